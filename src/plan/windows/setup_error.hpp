// cordon (Windows plan): the structured error of `cordon setup` and `cordon uninstall`.
//
//   SetupError e{SetupErrorCode::FirewallRuleVerify, "INetFwRule::get_RemoteAddresses",
//                0, "cordon-offline-block-outbound", "read back differs: RemoteAddresses"};
//   io.write_atomic(kSetupErrorFile, to_json(e).dump(2));   // setup-error.json
//   std::cerr << to_text(e);
//
// The elevated setup runs in a separate process (UAC), so its failure travels to the
// unelevated parent as this JSON file in the state dir; the parent prints it. The code
// is stable (scripts and support can match on it); `call` and `win32` say exactly which
// Win32 call failed and how.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cordon::win {

enum class SetupErrorCode {
  NotElevated,        // a step needs an administrator and none was available
  ElevationDeclined,  // the UAC prompt was refused
  ElevationFailed,    // ShellExecuteExW/the elevated child failed without a result
  StateDir,           // creating or locking the state directory
  GroupCreate,
  UserCreate,
  GroupMembership,
  SidLookup,
  HideUser,  // the SpecialAccounts\UserList registry value
  Password,  // the CSPRNG
  DpapiProtect,
  DpapiUnprotect,
  Secrets,  // reading or writing the secrets file
  FirewallCom,
  FirewallRuleApply,
  FirewallRuleVerify,
  FirewallRuleRemove,
  WfpEngine,  // FwpmEngineOpen0 and the transaction (a stub, e.g. Wine, fails here)
  WfpApply,
  WfpVerify,  // a WFP object read back differs from what setup added, or is missing
  WfpRemove,
  GrantWrite,
  GrantRead,
  Marker,
  Ledger,
  ProfileDelete,
  UserDelete,
  GroupDelete,
  RegistryDelete,
  AceRemove,
  Logon,        // CreateProcessWithLogonW
  LogonRights,  // LsaAddAccountRights / LsaEnumerateAccountRights, or a host policy
  Internal,
};

const char* to_string(SetupErrorCode code);
std::optional<SetupErrorCode> parse_setup_error_code(const std::string& text);

struct SetupError {
  SetupErrorCode code = SetupErrorCode::Internal;
  std::string call;    // "NetUserAdd", "INetFwRules::Add" ...
  uint32_t win32 = 0;  // the Win32 error / HRESULT; 0 when none
  std::string path;    // the object: a path, user, rule or registry value
  std::string message;
  std::string hint;  // one-line fix, if known
  friend bool operator==(const SetupError&, const SetupError&) = default;
};

inline constexpr const char* kSetupErrorFile = "setup-error.json";

nlohmann::json to_json(const SetupError& error);
std::optional<SetupError> parse_setup_error(const std::string& text);
// "cordon setup failed [user_create]: NetUserAdd(CordonSandboxOffline): Win32 error 2224: ...\n  hint: ..."
std::string to_text(const SetupError& error);
// A default hint for well-known codes (access denied, password policy ...).
std::string setup_hint(SetupErrorCode code, uint32_t win32);
// The Win32 number in an Error::detail written by winsys::win32_error ("Win32 error 5 (...)").
uint32_t win32_code_from_detail(const std::string& detail);

}  // namespace cordon::win
