// cordon: the process tree below a pid, from the parent links in /proc (one scan).
// Used where there is no pid namespace to end a tree at once: the leftovers of a
// Landlock-only run (launcher.cpp), an MCP worker's tree (apps/server/runner.cpp), and
// the --pids count without a cgroup (limits.cpp).
#pragma once

#include <sys/types.h>

#include <vector>

namespace cordon {

// Every descendant of `root`, at any depth (not `root` itself).
[[nodiscard]] std::vector<pid_t> descendants_of(pid_t root);

}  // namespace cordon
