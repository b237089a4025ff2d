// cordon (Windows plan): `cordon uninstall` as a replay of the ledger, in reverse.
//
//   LedgerSalvage s = salvage_ledger(text);             // never fails; says what was lost
//   UninstallPlan u = plan_uninstall(s, stage_status(marker_text).marker);
//   for (const auto& step : u.steps) apply(step);       // "missing" counts as done
//
// The order removes dependents before what they depend on, so no SID is ever left
// orphaned in an ACL (Codex users report orphaned SIDs and ACEs after removal):
//   1. every ACE the ledger names (newest first), while the SIDs still resolve;
//   2. a sweep of the marker's roots and their ancestors for any explicit ACE of the
//      sandbox group or users (catches ACEs a damaged ledger forgot);
//   3. the placeholders still empty;
//   4. firewall rules: the ledger's and every name cordon ever uses; cordon's WFP
//      filters, sublayer and provider, by cordon's fixed keys only;
//   5. the UserList registry values;
//   6. the users' profiles (DeleteProfileW by SID), then the users, then the group's
//      logon rights (an LSA account left for a deleted SID), then the group;
//   7. the setup directory (secrets, marker), the ledger's setup records.
// Each step tolerates the object being gone already (a partial setup, a second
// uninstall), so uninstall can always be re-run until it reports nothing left.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/windows/setup_plan.hpp"
#include "plan/windows/state.hpp"

namespace cordon::win {

enum class UninstallStepKind {
  RemoveAce,            // path + ace: exactly this explicit ACE
  SweepSids,            // path + sids: every explicit ACE of these SIDs
  RemovePlaceholder,    // path, if still empty
  RemoveFirewallRule,   // name
  RemoveWfpObjects,     // cordon's WFP filters (every key of wfp_filter_keys()), sublayer, provider
  RemoveRegistryValue,  // HKLM key + value name
  DeleteProfile,        // user SID
  DeleteUser,           // name
  RemoveLogonRights,    // group name: every user right of its SID (LsaRemoveAccountRights, all)
  DeleteGroup,          // name
  RemoveSetupFiles,     // the setup directory
};
const char* to_string(UninstallStepKind kind);
// The target of the RemoveWfpObjects step (a label: the keys are wfp_spec.hpp's).
inline constexpr const char* kWfpObjects = "cordon WFP objects";

struct UninstallStep {
  UninstallStepKind kind;
  std::string target;  // path, rule, user, group, registry key
  std::string detail;  // registry value name; placeholder kind ("file"/"directory")
  std::optional<Ace> ace;
  std::vector<Sid> sids;
  bool from_ledger = true;  // false: a sweep of well-known names (no record needed)
};

struct UninstallPlan {
  std::vector<UninstallStep> steps;
  std::vector<std::string> problems;  // what the ledger lost; reported, never fatal
};

// `setup_traces`: false when nothing of stage 2 can exist (no marker, an intact ledger
// without setup records, no sandbox account by name); then only the stage-1 steps
// (ACEs, placeholders) are planned, and uninstall needs no administrator.
UninstallPlan plan_uninstall(const LedgerSalvage& ledger, const std::optional<SetupMarker>& marker,
                             bool setup_traces = true);

// Who may replay which step (F19). The ledger and the marker sit in the user's state
// dir, which the user's unelevated processes (a sandbox under the narrow restricted
// pass included) can rewrite; an elevated process that took names, paths or SIDs from
// them would delete any local account, registry value or firewall rule, or strip any
// ACE, for whoever wrote them. So the plan is split:
//  - `elevated_part`: only cordon's own fixed names (kOfflineUser, kOnlineUser,
//    kSandboxGroup, known_rule_names(), the kHideKey values, the WFP keys of
//    wfp_spec.hpp), and ACEs and sweeps only
//    for `sandbox` - the SIDs the elevated process itself looked up for those names in
//    the account database, never SIDs read from the ledger or the marker;
//  - `unelevated_part`: every other ledgered ACE and the placeholders, which the user's
//    own rights can undo (and which nobody else's rights should).
// elevated_part + unelevated_part never holds a step from a file that names something
// outside cordon's own objects under an administrator's token.
UninstallPlan elevated_part(const UninstallPlan& plan, const std::vector<Sid>& sandbox);
// Whether a ledger record names one of cordon's own setup objects (the names above).
// A record that does not was never written by cordon; the unelevated part forgets it,
// so a forged record neither steers the elevated part nor makes every later uninstall
// ask for elevation.
bool own_setup_object(const SetupRecord& record);
UninstallPlan unelevated_part(const UninstallPlan& plan, const std::vector<Sid>& sandbox);

}  // namespace cordon::win
