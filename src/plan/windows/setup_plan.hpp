// cordon (Windows plan): stage 2, the elevated sandbox - what `cordon setup` does.
//
//   SetupFacts facts{...};                        // probed: roots, marker, users present
//   SetupPlan plan = plan_setup(facts);           // ordered, idempotent steps
//   for (const auto& step : plan.steps) apply(step);   // platform/windows/setup/
//   SetupMarker marker = marker_after(facts, accounts);  // written last
//
// Stage 2 follows the Codex design: two real local users run the sandboxed commands,
//  - CordonSandboxOffline, used whenever the policy does not allow the network; the
//    firewall blocks its outbound traffic (plan/windows/firewall_spec.hpp);
//  - CordonSandboxOnline, used only when the policy allows the network;
// both members of the local group CordonSandboxUsers, which carries the file grants
// (one ACE per root for both users). Names are fixed and ASCII so that uninstall can
// find them without state; membership and SIDs are resolved through SIDs, never through
// localized group names. Passwords are random (CSPRNG), DPAPI-protected and stored in a
// directory only the real user, SYSTEM and Administrators can open. The accounts are
// hidden from the logon screen (Winlogon\SpecialAccounts\UserList, value 0).
//
// One UAC elevation creates everything. `cordon setup --refresh` (unelevated) only adds
// the grants for roots the marker does not list yet. The marker carries a format
// version: a marker of another version is stale and forces a full setup again.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/windows/access.hpp"
#include "plan/windows/firewall_spec.hpp"
#include "plan/windows/host.hpp"
#include "plan/windows/sid.hpp"

namespace cordon::win {

inline constexpr int kSetupFormatVersion = 1;
inline constexpr const char* kOfflineUser = "CordonSandboxOffline";
inline constexpr const char* kOnlineUser = "CordonSandboxOnline";
inline constexpr const char* kSandboxGroup = "CordonSandboxUsers";
inline constexpr const char* kHideKey =
    "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\SpecialAccounts\\UserList";
// Files in the setup directory (<state dir>\setup), locked to the real user, SYSTEM and
// Administrators.
inline constexpr const char* kSetupDirName = "setup";
inline constexpr const char* kMarkerFile = "setup-marker.json";
inline constexpr const char* kSecretsFile = "sandbox-secrets.json";
inline constexpr const char* kReadGrantsMutex = "Global\\cordon-read-grants";

struct SandboxAccount {
  std::string name;
  Sid sid;
  friend bool operator==(const SandboxAccount&, const SandboxAccount&) = default;
};

struct SetupMarker {
  int version = kSetupFormatVersion;
  SandboxAccount offline;
  SandboxAccount online;
  SandboxAccount group;
  std::optional<PortRange> proxy_ports;  // the split firewall variant when set
  std::vector<std::string> write_roots;  // granted read+write to the group
  std::vector<std::string> read_roots;   // granted read+execute (or already readable)
  std::string real_user;                 // SID of the user setup was run for
  bool read_grants_pending = false;      // the asynchronous read grants had not finished
  friend bool operator==(const SetupMarker&, const SetupMarker&) = default;
};

nlohmann::json to_json(const SetupMarker& marker);
std::optional<SetupMarker> parse_marker(const std::string& text);

// Is stage 2 usable? Active only with a marker of the current format whose accounts
// have SIDs. `reason` says why not ("no setup marker", "marker format 0, expected 1").
struct StageStatus {
  bool stage2 = false;
  std::string reason;
  std::optional<SetupMarker> marker;
  // Stage 2 was set up here at some point: a marker in any state (even unreadable or
  // NUL-filled), or the secrets file. Set by stage_status and read_stage.
  bool traces = false;
};
StageStatus stage_status(const std::optional<std::string>& marker_text);

// Which stage a run uses: 2 when active; 1 when stage 2 was never set up; otherwise
// (set up, but the marker is stale, damaged or from another version) a refusal naming
// the reason, unless --best-effort. Stage 1 has no firewall and reads as the user, so
// falling back silently would drop guarantees the user set up stage 2 for.
[[nodiscard]] Result<int> run_stage(const StageStatus& status, bool best_effort);

// What setup learned about the host before planning.
struct SetupFacts {
  Sid real_user;
  std::string user_profile;              // refused as a root; its ancestors are never granted
  std::vector<std::string> system_dirs;  // Windows, Program Files, ProgramData: refused, inside or around
  std::string state_dir;                 // cordon's state: never inside or above a granted root
  std::vector<std::string> write_roots;  // canonical; from the policy (workspace, --writable)
  std::vector<std::string> read_roots;   // canonical; extra read roots (setup --read-root)
  std::optional<SetupMarker> marker;     // the current marker, if any (any version)
  bool accounts_present = false;         // both users and the group exist
  std::optional<PortRange> proxy_ports;  // setup --proxy-ports
  bool refresh = false;                  // `cordon setup --refresh`: unelevated, grants only
  const FsView* fs = nullptr;            // DACLs, to skip roots already readable by Users
};

enum class SetupStepKind {
  CreateGroup,         // NetLocalGroupAdd (exists: kept)
  CreateUser,          // NetUserAdd, or a new password when it exists (NetUserSetInfo 1003)
  AddToGroup,          // NetLocalGroupAddMembers by SID (already a member: fine)
  HideUser,            // HKLM ...\UserList\<name> = 0 (REG_DWORD)
  LogonRights,         // the group: denied_logon_rights() (LsaAddAccountRights, read back),
                       // and the local logon CreateProcessWithLogonW needs checked (F23)
  StoreSecrets,        // DPAPI-protect both passwords into the secrets file
  LockSetupDir,        // protected DACL: real user, SYSTEM, Administrators
  ApplyWfpFilters,     // cordon's WFP provider, sublayer and filters (wfp_spec.hpp): one
                       // transaction, then every object read back and compared (F14)
  ApplyFirewallRule,   // create or overwrite every field, then read back and compare
  RemoveFirewallRule,  // a rule of the other variant (switching block-all <-> split)
  GrantWrite,          // group: read, write, execute, delete; inheritable
  GrantRead,           // group: read + execute, inheritable (asynchronous: large trees)
  GrantTraverse,       // group: list + read attributes on an ancestor, not inherited
  WriteMarker,
};
const char* to_string(SetupStepKind kind);

struct SetupStep {
  SetupStepKind kind;
  std::string target;                    // user/group name, rule name, or path
  bool online = false;                   // CreateUser/AddToGroup/HideUser: which account
  std::optional<FirewallRuleSpec> rule;  // ApplyFirewallRule (SID filled by the applier)
  bool needs_elevation = true;
  bool asynchronous = false;  // GrantRead: done by a detached helper process
  std::string reason;
};

struct SetupPlan {
  bool full = true;  // false: refresh (grants for new roots and the marker only)
  bool needs_elevation = false;
  std::vector<SetupStep> steps;
  std::vector<std::string> notes;  // skipped roots and why
};

// Never fails: a refresh that cannot be done (no or stale marker) becomes a full plan
// that needs elevation, with a note saying why.
SetupPlan plan_setup(const SetupFacts& facts);

// The ACE a grant step puts on a path for the sandbox group.
Ace grant_ace(SetupStepKind kind, const Sid& group);
// The marker after a successful setup: roots merged with the old marker's on refresh.
SetupMarker marker_after(const SetupFacts& facts, const SandboxAccount& offline, const SandboxAccount& online,
                         const SandboxAccount& group, bool read_grants_pending);

// The secrets file: {version, offline: {name, password_dpapi}, online: {...}}; the
// blobs are base64 of CryptProtectData output (never the password itself).
struct SecretsFile {
  std::string offline_name;
  std::string offline_blob;  // raw DPAPI bytes
  std::string online_name;
  std::string online_blob;
};
std::string serialize(const SecretsFile& secrets);
std::optional<SecretsFile> parse_secrets(const std::string& text);

std::string base64_encode(const std::string& bytes);
std::optional<std::string> base64_decode(const std::string& text);

// A password of `length` characters drawn from `random` bytes by rejection sampling
// (no modulo bias) over letters, digits and punctuation; always holds each class, so
// complexity policies accept it. Returns "" when the bytes ran out (ask for more).
std::string password_from_bytes(const std::string& random, size_t length = 32);

// Logon rights (F23). The sandbox users exist only to run commands through
// CreateProcessWithLogonW, an interactive logon on this machine. Their passwords sit in
// DPAPI machine-scope blobs, so whoever recovers one must not get more than that: the
// group is denied every other logon type (from the network, SMB included; Remote
// Desktop; as a batch job, a scheduled task; as a service). Read back after it is set.
const std::vector<std::string>& denied_logon_rights();
// The user rights the setup step wants but did not read back from the group.
std::vector<std::string> missing_rights(const std::vector<std::string>& wanted,
                                        const std::vector<std::string>& read_back);
// Whether a sandbox user, whose token holds `principals` (its SID, cordon's group,
// Users, Authenticated Users, Everyone, ...), may log on locally under this host's user
// rights: one of them must hold SeInteractiveLogonRight (`allowed`: its holders) and
// none SeDenyInteractiveLogonRight (`denied`). "" = it may; else why not (setup stops
// with it, before the first run fails with error 1385).
std::string interactive_logon_problem(const std::vector<Sid>& principals, const std::vector<Sid>& allowed,
                                      const std::vector<Sid>& denied);

// An account of cordon's name that exists already (a setup run again, or made by
// someone else) is adopted with a new password only when its local groups are
// BUILTIN\Users and cordon's own group: anything more (Administrators, Remote Desktop
// Users, Backup Operators, ...) would run every sandboxed command with it (F23).
// Returns the groups that are not allowed; empty = adoptable.
std::vector<Sid> unexpected_groups(const std::vector<Sid>& groups, const std::optional<Sid>& sandbox_group);

}  // namespace cordon::win
