// cordon: what the Linux host offers, as probed (platform/linux/probe.cpp) or
// simulated (tests). The planner reads only this, never the kernel.
#pragma once

#include <string>
#include <vector>

#include "plan/cgroup_plan.hpp"

namespace cordon {

struct LinuxHostCaps {
  int landlock_abi = 0;                     // 0: Landlock unavailable
  bool userns = true;                       // unprivileged user + mount namespaces usable
  std::string userns_reason;                // why not, when !userns
  bool apparmor_restricts_userns = false;   // kernel.apparmor_restrict_unprivileged_userns=1
  bool apparmor_profile_installed = false;  // cordon's profile is loaded
  bool seccomp = true;                      // seccomp filters available
  bool openat2 = true;                      // openat2 (Linux 5.6): the creation broker resolves with it
  CgroupCaps cgroups;                       // where per-run cgroups can go (plan/cgroup_plan.hpp)
  unsigned uid = 0;
  unsigned gid = 0;
  std::string kernel;  // uname -r
  // Host IPC sockets named by the caller's environment (SSH_AUTH_SOCK, D-Bus).
  std::vector<std::string> ipc_sockets;
  bool operator==(const LinuxHostCaps&) const = default;
};

}  // namespace cordon
