// cordon: which mechanism enforces each resource limit on this Linux host (pure).
//
//   LimitsPlan lp = plan_limits(policy.limits, caps, sandbox_has_userns);
//   if (!lp.losses.empty() && !policy.best_effort) refuse(lp.losses);
//   spec.limits = &lp.rlimits;            // applied in the child (platform/linux/limits.cpp)
//
// Today every limit is an rlimit set in the sandbox child just before seccomp:
//   memory   -> RLIMIT_DATA  per process (heap and private writable mappings; not reserved-only ranges)
//   pids     -> RLIMIT_NPROC counted per user namespace since Linux 5.14, so inside cordon's
//               namespace it counts only the sandbox's processes. uid 0 is exempt in the
//               kernel (copy_process), so as root it is not enforced: a loss.
//   cpu_time -> RLIMIT_CPU   per process; SIGXCPU at the limit, SIGKILL one second later
// A delegated cgroup v2 (memory.max, pids.max for the whole tree, cgroup.kill) is planned;
// `cordon check` says which mechanism is in use.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "plan/host_caps.hpp"

namespace cordon {

// Fixed-size, no allocation: read by the child after clone().
struct RlimitSetting {
  int resource = 0;  // RLIMIT_*
  uint64_t soft = 0;
  uint64_t hard = 0;
};
struct ChildLimits {
  RlimitSetting items[3];
  int count = 0;
};

struct LimitsPlan {
  ChildLimits rlimits;
  nlohmann::json report = nlohmann::json::object();  // {"memory": {"value": "64M", "mechanism": "RLIMIT_DATA
                                                     // (per process: heap and private writable mappings)"}}
  std::vector<std::string> losses;                   // requested limits that cannot be enforced here
};

// `in_user_namespace`: the sandbox gets its own user namespace (RLIMIT_NPROC then
// counts only its processes; without one it counts every process of the user).
LimitsPlan plan_limits(const LimitsPolicy& limits, const LinuxHostCaps& caps, bool in_user_namespace);

// The mechanism line for `cordon check`.
std::string limits_mechanism(const LinuxHostCaps& caps);

// How the command ended, as the kernel reported it to the parent.
struct LimitsEvidence {
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;
  uint64_t peak_rss_bytes = 0;  // largest ru_maxrss of any process in the sandbox
};
// Limits that were hit, from kernel evidence only:
//   cpu_time: the command ended by SIGXCPU, or by SIGKILL with no timeout (RLIMIT_CPU's hard limit);
//   memory:   the command failed and some process's peak RSS reached 90% of the limit
//             (an RLIMIT_DATA refusal is ENOMEM inside the process; the peak is what is visible).
// A fork refused by RLIMIT_NPROC (EAGAIN) leaves no trace outside the process: not detected.
std::vector<std::string> limits_hit(const LimitsPolicy& limits, const LimitsEvidence& e);

}  // namespace cordon
