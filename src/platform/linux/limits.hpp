// cordon: apply the planned rlimits in the sandbox child (plan/limits_plan.hpp).
// Called by launcher.cpp child_main after Landlock, just before seccomp. No allocation.
#pragma once

#include "plan/limits_plan.hpp"
#include "platform/linux/child_report.hpp"

namespace cordon {

// Returns false after reporting the failed setrlimit (fail closed).
bool apply_limits_in_child(const ChildLimits& limits, const ChildReporter& rep);

}  // namespace cordon
