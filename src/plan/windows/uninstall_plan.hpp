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
//   4. firewall rules: the ledger's and every name cordon ever uses;
//   5. the UserList registry values;
//   6. the users' profiles (DeleteProfileW by SID), then the users, then the group;
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
  RemoveRegistryValue,  // HKLM key + value name
  DeleteProfile,        // user SID
  DeleteUser,           // name
  DeleteGroup,          // name
  RemoveSetupFiles,     // the setup directory
};
const char* to_string(UninstallStepKind kind);

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

}  // namespace cordon::win
