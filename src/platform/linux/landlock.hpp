// cordon: Landlock (second layer with namespaces; primary layer without them).
//
//   int abi = landlock_probe_abi();            // parent: 0 when unavailable
//   landlock_apply(plan.landlock, reporter);   // child: after mounts, before seccomp
#pragma once

#include "plan/linux_planner.hpp"
#include "platform/linux/child_report.hpp"

namespace cordon {

int landlock_probe_abi();
// Opens every rule path as the child sees it, builds the ruleset and restricts the
// calling thread (and so the command). Missing paths are skipped. `exec_fd` (optional):
// one file the sandbox may execute and read whatever its path is: the init's image,
// for the init's exec (launcher.cpp).
bool landlock_apply(const LandlockPlan& plan, const ChildReporter& rep, int exec_fd = -1);

}  // namespace cordon
