#include "plan/limits_plan.hpp"

#include <sys/resource.h>

#include <cmath>
#include <csignal>

#include "core/limits.hpp"

namespace cordon {

LimitsPlan plan_limits(const LimitsPolicy& limits, const LinuxHostCaps& caps, bool in_user_namespace) {
  LimitsPlan lp;
  auto add = [&](int resource, uint64_t soft, uint64_t hard) {
    lp.rlimits.items[lp.rlimits.count++] = RlimitSetting{resource, soft, hard};
  };
  if (limits.memory_bytes) {
    add(RLIMIT_DATA, *limits.memory_bytes, *limits.memory_bytes);
    lp.report["memory"] = {{"value", format_size(*limits.memory_bytes)},
                           {"mechanism", "RLIMIT_DATA (per process: heap and private writable mappings)"}};
  }
  if (limits.pids) {
    if (caps.uid == 0) {
      lp.report["pids"] = {
          {"value", *limits.pids},
          {"mechanism", "none"},
          {"detail", "uid 0 is exempt from RLIMIT_NPROC and no delegated cgroup v2 is used"}};
      lp.losses.push_back(
          "--pids " + std::to_string(*limits.pids) +
          ": not enforced for uid 0 (the kernel exempts root from RLIMIT_NPROC); run as an ordinary user");
    } else {
      add(RLIMIT_NPROC, *limits.pids, *limits.pids);
      lp.report["pids"] = {
          {"value", *limits.pids},
          {"mechanism", in_user_namespace
                            ? "RLIMIT_NPROC (counted in the sandbox's user namespace)"
                            : "RLIMIT_NPROC (counts every process of the user: no user namespace)"}};
    }
  }
  if (limits.cpu_seconds) {
    auto secs = static_cast<uint64_t>(std::ceil(*limits.cpu_seconds));
    add(RLIMIT_CPU, secs, secs + 1);
    lp.report["cpu_time"] = {{"value", secs}, {"mechanism", "RLIMIT_CPU (per process)"}};
  }
  if (limits.max_output_bytes)
    lp.report["max_output"] = {{"value", format_size(*limits.max_output_bytes)},
                               {"mechanism", "capture cap (cordon mcp)"}};
  return lp;
}

std::string limits_mechanism(const LinuxHostCaps& caps) {
  std::string m = "rlimits (RLIMIT_DATA, RLIMIT_NPROC, RLIMIT_CPU)";
  if (caps.uid == 0) m += "; --pids is not enforced for root";
  if (caps.cgroup2_delegated)
    m += "; a delegated cgroup v2 exists at " + caps.cgroup_path +
         " but cgroup limits are not implemented yet";
  return m;
}

std::vector<std::string> limits_hit(const LimitsPolicy& limits, const LimitsEvidence& e) {
  std::vector<std::string> hit;
  if (e.timed_out) return hit;
  if (limits.cpu_seconds && (e.signal == SIGXCPU || e.signal == SIGKILL)) hit.push_back("cpu_time");
  const bool failed = e.exit_code != 0 || e.signal != 0;
  if (limits.memory_bytes && failed && e.peak_rss_bytes >= *limits.memory_bytes / 10 * 9)
    hit.push_back("memory");
  return hit;
}

}  // namespace cordon
