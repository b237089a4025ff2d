#include "plan/windows/setup_error.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <utility>

namespace cordon::win {
namespace {

constexpr std::array<std::pair<SetupErrorCode, const char*>, 33> kCodes{{
    {SetupErrorCode::NotElevated, "not_elevated"},
    {SetupErrorCode::ElevationDeclined, "elevation_declined"},
    {SetupErrorCode::ElevationFailed, "elevation_failed"},
    {SetupErrorCode::StateDir, "state_dir"},
    {SetupErrorCode::GroupCreate, "group_create"},
    {SetupErrorCode::UserCreate, "user_create"},
    {SetupErrorCode::GroupMembership, "group_membership"},
    {SetupErrorCode::SidLookup, "sid_lookup"},
    {SetupErrorCode::HideUser, "hide_user"},
    {SetupErrorCode::Password, "password"},
    {SetupErrorCode::DpapiProtect, "dpapi_protect"},
    {SetupErrorCode::DpapiUnprotect, "dpapi_unprotect"},
    {SetupErrorCode::Secrets, "secrets"},
    {SetupErrorCode::FirewallCom, "firewall_com"},
    {SetupErrorCode::FirewallRuleApply, "firewall_rule_apply"},
    {SetupErrorCode::FirewallRuleVerify, "firewall_rule_verify"},
    {SetupErrorCode::FirewallRuleRemove, "firewall_rule_remove"},
    {SetupErrorCode::WfpEngine, "wfp_engine"},
    {SetupErrorCode::WfpApply, "wfp_apply"},
    {SetupErrorCode::WfpVerify, "wfp_verify"},
    {SetupErrorCode::WfpRemove, "wfp_remove"},
    {SetupErrorCode::GrantWrite, "grant_write"},
    {SetupErrorCode::GrantRead, "grant_read"},
    {SetupErrorCode::Marker, "marker"},
    {SetupErrorCode::Ledger, "ledger"},
    {SetupErrorCode::ProfileDelete, "profile_delete"},
    {SetupErrorCode::UserDelete, "user_delete"},
    {SetupErrorCode::GroupDelete, "group_delete"},
    {SetupErrorCode::RegistryDelete, "registry_delete"},
    {SetupErrorCode::AceRemove, "ace_remove"},
    {SetupErrorCode::Logon, "logon"},
    {SetupErrorCode::LogonRights, "logon_rights"},
    {SetupErrorCode::Internal, "internal"},
}};

}  // namespace

const char* to_string(SetupErrorCode code) {
  for (const auto& [c, name] : kCodes)
    if (c == code) return name;
  return "internal";
}

std::optional<SetupErrorCode> parse_setup_error_code(const std::string& text) {
  for (const auto& [c, name] : kCodes)
    if (text == name) return c;
  return std::nullopt;
}

nlohmann::json to_json(const SetupError& e) {
  return {{"version", 1},   {"code", to_string(e.code)}, {"call", e.call}, {"win32", e.win32},
          {"path", e.path}, {"message", e.message},      {"hint", e.hint}};
}

std::optional<SetupError> parse_setup_error(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("code") || !j["code"].is_string())
    return std::nullopt;
  auto code = parse_setup_error_code(j["code"].get<std::string>());
  if (!code) return std::nullopt;
  SetupError e;
  e.code = *code;
  auto str = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  e.call = str("call");
  e.path = str("path");
  e.message = str("message");
  e.hint = str("hint");
  if (j.contains("win32") && j["win32"].is_number_unsigned()) e.win32 = j["win32"].get<uint32_t>();
  return e;
}

std::string setup_hint(SetupErrorCode code, uint32_t win32) {
  switch (code) {
    case SetupErrorCode::NotElevated:
      return "run `cordon setup` from an account that can approve a UAC prompt";
    case SetupErrorCode::ElevationDeclined:
      return "accept the UAC prompt; `cordon setup` asks for it once";
    case SetupErrorCode::UserCreate:
      if (win32 == 2245)
        return "the local password policy rejected the generated password; relax it or report it";
      break;
    case SetupErrorCode::FirewallCom:
    case SetupErrorCode::FirewallRuleApply:
      return "is the Windows Defender Firewall service (mpssvc) running?";
    case SetupErrorCode::WfpEngine:
    case SetupErrorCode::WfpApply:
      return "is the Base Filtering Engine service (BFE) running?";
    case SetupErrorCode::FirewallRuleVerify:
      return "another tool (group policy, security software) rewrites firewall rules; check the cordon rules "
             "in wf.msc";
    case SetupErrorCode::DpapiUnprotect:
      return "the secrets were written on another machine or are damaged; run `cordon setup` again";
    case SetupErrorCode::LogonRights:
      return "the sandbox users log on locally (CreateProcessWithLogonW): check 'Allow log on locally' and "
             "'Deny log on locally' in secpol.msc (Local Policies, User Rights Assignment)";
    case SetupErrorCode::Ledger:
      return "inspect acl-ledger.json in cordon's state dir; `cordon setup status` lists what it still knows";
    default:
      break;
  }
  if (win32 == 5) return "access denied: this step needs an elevated `cordon setup`";
  return {};
}

std::string to_text(const SetupError& e) {
  std::string out = "cordon setup failed [" + std::string(to_string(e.code)) + "]: " + e.call;
  if (!e.path.empty()) out += "(" + e.path + ")";
  if (e.win32 & 0x80000000u) {  // an HRESULT (COM), shown as Windows tools show it
    char hr[16];
    std::snprintf(hr, sizeof(hr), "0x%08X", static_cast<unsigned>(e.win32));
    out += std::string(": HRESULT ") + hr;
  } else if (e.win32) {
    out += ": Win32 error " + std::to_string(e.win32);
  }
  if (!e.message.empty()) out += ": " + e.message;
  out += "\n";
  std::string hint = e.hint.empty() ? setup_hint(e.code, e.win32) : e.hint;
  if (!hint.empty()) out += "  hint: " + hint + "\n";
  return out;
}

uint32_t win32_code_from_detail(const std::string& detail) {
  const std::string prefix = "Win32 error ";
  auto at = detail.find(prefix);
  if (at == std::string::npos) return 0;
  const char* begin = detail.data() + at + prefix.size();
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(begin, detail.data() + detail.size(), v);
  return ec == std::errc() && ptr != begin ? v : 0;
}

}  // namespace cordon::win
