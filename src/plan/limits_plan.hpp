// cordon: which mechanism enforces each resource limit on this Linux host (pure).
//
//   LimitsPlan lp = plan_limits(policy.limits, caps, sandbox_has_userns);  // plan_linux()
//   if (!lp.losses.empty() && !policy.best_effort) refuse(lp.losses);     // require_stage()
//   RunCgroup::create(lp.cgroup);         // whole-tree limits (platform/linux/cgroup.cpp)
//   spec.limits = &lp.rlimits;            // applied in the child (platform/linux/limits.cpp)
//
// memory   -> a per-run cgroup (v2 memory.max with swap off, or v1 memory.limit_in_bytes and
//             memsw): the whole tree, an OOM kill when exceeded, reported exactly;
//             else RLIMIT_DATA per process (heap and private writable mappings).
// pids     -> a per-run cgroup's pids.max (the whole tree, root included);
//             else RLIMIT_NPROC, counted per user namespace since Linux 5.14 (inside cordon's
//             namespace: only the sandbox's processes). uid 0 is exempt from RLIMIT_NPROC in
//             the kernel (copy_process), so as root without a cgroup it is a loss.
// cpu_time -> RLIMIT_CPU per process; SIGXCPU at the limit, SIGKILL one second later.
// The cgroup is chosen per controller (plan/cgroup_plan.hpp: v2, else v1, else none).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "plan/cgroup_plan.hpp"
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

// What the per-run cgroup enforces; a value is set only when a cgroup enforces it.
struct CgroupLimits {
  CgroupCaps host;
  std::optional<uint64_t> memory_bytes;
  std::optional<uint64_t> pids_max;
  bool any() const { return memory_bytes.has_value() || pids_max.has_value(); }
};

struct LimitsPlan {
  ChildLimits rlimits;
  CgroupLimits cgroup;
  nlohmann::json report = nlohmann::json::object();  // {"memory": {"value": "64M", "mechanism": "..."}}
  std::vector<std::string> losses;                   // requested limits that cannot be enforced here
};

// `in_user_namespace`: the sandbox gets its own user namespace (RLIMIT_NPROC then
// counts only its processes; without one it counts every process of the user).
LimitsPlan plan_limits(const LimitsPolicy& limits, const LinuxHostCaps& caps, bool in_user_namespace);

// The mechanism per limit for `cordon check`: {"memory": "...", "pids": "...", "cpu_time": "..."}.
nlohmann::json limits_mechanisms(const LinuxHostCaps& caps);
// One line for `cordon check`.
std::string limits_mechanism(const LinuxHostCaps& caps);

// How the command ended, as the kernel reported it to the parent.
struct LimitsEvidence {
  LimitsEvidence() = default;
  LimitsEvidence(int exit, int sig, bool timeout, uint64_t peak_rss)
      : exit_code(exit), signal(sig), timed_out(timeout), peak_rss_bytes(peak_rss) {}
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;
  uint64_t peak_rss_bytes = 0;               // largest ru_maxrss of any process in the sandbox
  std::optional<uint64_t> memory_oom_kills;  // cgroup: memory.events / memory.oom_control oom_kill
  std::optional<uint64_t> pids_refused;      // cgroup: pids.events max (forks refused)
  bool pids_ceiling_killed = false;          // cordon killed the tree pinned at its pids limit
};
// Limits that were hit, from kernel evidence only:
//   cpu_time: the command ended by SIGXCPU, or by SIGKILL that neither the timeout, an OOM kill
//             nor the pids ceiling explains (RLIMIT_CPU's hard limit);
//   memory:   the command failed and the cgroup counted an OOM kill; with rlimits, some
//             process's peak RSS reached 90% of the limit (an RLIMIT_DATA refusal is ENOMEM
//             inside the process; the peak is what is visible);
//   pids:     cordon killed a tree pinned at its limit (PidsCeiling), or the command failed
//             and the cgroup counted refused forks. A fork refused by RLIMIT_NPROC (EAGAIN)
//             leaves no trace outside the process: only the ceiling rule sees it.
std::vector<std::string> limits_hit(const LimitsPolicy& limits, const LimitsEvidence& e);
// "memory (OOM kill)", "pids (...)": the report line for one hit limit.
std::string limit_hit_text(const std::string& name, const LimitsEvidence& e);

// A fork bomb never ends by itself: it stays pinned at the pids limit, forks failing.
// Sampled every ~100 ms with the tree's process count (cgroup pids.current, or the
// sandbox's processes counted in /proc) and, where the kernel counts them, the forks
// refused so far (pids.events). `sample` returns true when the tree has been at its
// ceiling for `hold_seconds` without a break: forks refused within every second where the
// kernel counts them, else the count within 10% of the limit. Then cordon kills the tree
// and reports the pids limit.
// With RLIMIT_NPROC (no refusal count), the ceiling rule applies only to limits this large.
inline constexpr uint64_t kMinCountedPidsCeiling = 16;

class PidsCeiling {
 public:
  explicit PidsCeiling(uint64_t max, double hold_seconds = 2.0) : max_(max), hold_(hold_seconds) {}
  bool sample(double now_seconds, uint64_t current, std::optional<uint64_t> refused);

 private:
  uint64_t max_;
  double hold_;
  std::optional<double> since_;
  std::optional<uint64_t> last_refused_;
  double last_refusal_at_ = 0;
};

}  // namespace cordon
