// cordon (Windows setup): the sandbox group's user rights (F23), through the LSA.
//
//   deny_other_logons(group_sid);              // LsaAddAccountRights, then read back
//   check_local_logon({user, group, Users, ...});  // SeInteractiveLogonRight held, not denied
//   remove_logon_rights(group_sid);            // uninstall: every right of that SID
//
// Which rights, and why, is plan data (win::denied_logon_rights, setup_plan.hpp); the
// decision on the local logon is pure (win::interactive_logon_problem) and unit-tested.
#pragma once

#include <vector>

#include "plan/windows/sid.hpp"
#include "platform/windows/setup/outcome.hpp"

namespace cordon::winsys {

// Grants `group` every right of win::denied_logon_rights() and reads them back: a right
// the LSA does not report afterwards is an error, never assumed.
[[nodiscard]] SetupStatus deny_other_logons(const win::Sid& group);
// Stops setup (structured error, hint) when the sandbox users, holding `principals`,
// could not log on locally: CreateProcessWithLogonW would fail every run with 1385.
[[nodiscard]] SetupStatus check_local_logon(const std::vector<win::Sid>& principals);
// Removes every user right of `sid` and its LSA account object; none is not an error
// (`*existed` = false).
[[nodiscard]] SetupStatus remove_logon_rights(const win::Sid& sid, bool* existed = nullptr);

}  // namespace cordon::winsys
