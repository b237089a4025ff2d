// cordon: apply the planned rlimits in the sandbox child (plan/limits_plan.hpp).
// Called by launcher.cpp child_main after Landlock, just before seccomp. No allocation.
// The parent counts the sandbox's processes for the pids ceiling (PidsCeiling).
#pragma once

#include "plan/limits_plan.hpp"
#include "platform/linux/child_report.hpp"

namespace cordon {

// Returns false after reporting the failed setrlimit (fail closed).
bool apply_limits_in_child(const ChildLimits& limits, const ChildReporter& rep);

// Processes in the tree rooted at `root` (itself included), from the parent links in /proc:
// how the pids ceiling is observed when RLIMIT_NPROC, not a cgroup, bounds the sandbox.
uint64_t count_process_tree(int root);

}  // namespace cordon
