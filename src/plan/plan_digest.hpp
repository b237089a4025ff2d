// A digest of the parts of a Linux plan that depend on the disk at planning time (the
// mounts, Landlock rules, watched roots, review overlays; not which placeholders cordon itself must make). A
// warm `cordon mcp` worker was planned before its call arrived; the server compares its digest with a plan
// made when the call starts, and runs the call on a fresh worker when they differ (a `git init` between two
// calls is protected in the second).
#pragma once

#include <string>

#include "plan/linux_planner.hpp"

namespace cordon {

[[nodiscard]] std::string plan_digest(const LinuxPlan& plan);

}  // namespace cordon
