#include "plan/limits_plan.hpp"

#include <sys/resource.h>

#include <cmath>
#include <csignal>

#include "core/limits.hpp"

namespace cordon {
namespace {

std::string cgroup_memory_mechanism(const CgroupCaps& cg) {
  if (cg.memory.version == CgroupVersion::V2)
    return "cgroup v2 memory.max, swap off (the whole tree; OOM kill reported)";
  return std::string("cgroup v1 memory.limit_in_bytes") + (cg.v1_memsw ? " and memsw, swap off" : "") +
         " (the whole tree; OOM kill reported)";
}

std::string cgroup_pids_mechanism(const CgroupCaps& cg) {
  return std::string(to_string(cg.pids.version)) + " pids.max (the whole tree)";
}

std::string rlimit_pids_mechanism(bool in_user_namespace) {
  return in_user_namespace ? "RLIMIT_NPROC (counted in the sandbox's user namespace)"
                           : "RLIMIT_NPROC (counts every process of the user: no user namespace)";
}

}  // namespace

LimitsPlan plan_limits(const LimitsPolicy& limits, const LinuxHostCaps& caps, bool in_user_namespace) {
  LimitsPlan lp;
  const CgroupCaps& cg = caps.cgroups;
  lp.cgroup.host = cg;
  auto add = [&](int resource, uint64_t soft, uint64_t hard) {
    lp.rlimits.items[lp.rlimits.count++] = RlimitSetting{resource, soft, hard};
  };
  if (limits.memory_bytes) {
    nlohmann::json r = {{"value", format_size(*limits.memory_bytes)}};
    if (cg.memory.version != CgroupVersion::None) {
      lp.cgroup.memory_bytes = *limits.memory_bytes;
      r["mechanism"] = cgroup_memory_mechanism(cg);
    } else {
      add(RLIMIT_DATA, *limits.memory_bytes, *limits.memory_bytes);
      r["mechanism"] = "RLIMIT_DATA (per process: heap and private writable mappings)";
      if (!cg.memory.reason.empty()) r["detail"] = "no cgroup: " + cg.memory.reason;
    }
    lp.report["memory"] = r;
  }
  if (limits.pids) {
    nlohmann::json r = {{"value", *limits.pids}};
    if (cg.pids.version != CgroupVersion::None) {
      lp.cgroup.pids_max = *limits.pids;
      r["mechanism"] = cgroup_pids_mechanism(cg);
    } else if (caps.uid == 0) {
      r["mechanism"] = "none";
      r["detail"] = "uid 0 is exempt from RLIMIT_NPROC and no cgroup is usable: " + cg.pids.reason;
      lp.losses.push_back("--pids " + std::to_string(*limits.pids) +
                          ": not enforced for uid 0 (the kernel exempts root from RLIMIT_NPROC and no "
                          "writable pids cgroup exists); run as an ordinary user");
    } else {
      add(RLIMIT_NPROC, *limits.pids, *limits.pids);
      r["mechanism"] = rlimit_pids_mechanism(in_user_namespace);
      if (!cg.pids.reason.empty()) r["detail"] = "no cgroup: " + cg.pids.reason;
    }
    lp.report["pids"] = r;
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

nlohmann::json limits_mechanisms(const LinuxHostCaps& caps) {
  const CgroupCaps& cg = caps.cgroups;
  nlohmann::json m;
  m["memory"] = cg.memory.version != CgroupVersion::None
                    ? cgroup_memory_mechanism(cg) + " under " + cg.memory.parent
                    : "RLIMIT_DATA (per process); no cgroup: " + cg.memory.reason;
  if (cg.pids.version != CgroupVersion::None)
    m["pids"] = cgroup_pids_mechanism(cg) + " under " + cg.pids.parent;
  else if (caps.uid == 0)
    m["pids"] = "none: uid 0 is exempt from RLIMIT_NPROC and no cgroup is usable (" + cg.pids.reason + ")";
  else
    m["pids"] = "RLIMIT_NPROC; no cgroup: " + cg.pids.reason;
  m["cpu_time"] = "RLIMIT_CPU (per process)";
  return m;
}

std::string limits_mechanism(const LinuxHostCaps& caps) {
  auto m = limits_mechanisms(caps);
  return "memory: " + m["memory"].get<std::string>() + "; pids: " + m["pids"].get<std::string>() +
         "; cpu_time: " + m["cpu_time"].get<std::string>();
}

std::vector<std::string> limits_hit(const LimitsPolicy& limits, const LimitsEvidence& e) {
  std::vector<std::string> hit;
  if (e.timed_out) return hit;
  const bool failed = e.exit_code != 0 || e.signal != 0;
  const bool oom = e.memory_oom_kills.value_or(0) > 0;
  if (limits.cpu_seconds && (e.signal == SIGXCPU || (e.signal == SIGKILL && !oom && !e.pids_ceiling_killed)))
    hit.push_back("cpu_time");
  if (limits.memory_bytes && failed &&
      (e.memory_oom_kills ? oom : e.peak_rss_bytes >= *limits.memory_bytes / 10 * 9))
    hit.push_back("memory");
  if (limits.pids && (e.pids_ceiling_killed || (failed && e.pids_refused.value_or(0) > 0)))
    hit.push_back("pids");
  return hit;
}

std::string limit_hit_text(const std::string& name, const LimitsEvidence& e) {
  if (name == "memory") return e.memory_oom_kills ? "memory (OOM kill)" : "memory (peak memory at the limit)";
  if (name == "pids")
    return e.pids_ceiling_killed
               ? "pids (the tree stayed at its process limit, forks failing; it was killed as a fork bomb)"
               : "pids (forks refused)";
  if (name == "cpu_time") return "cpu_time (RLIMIT_CPU)";
  return name;
}

bool PidsCeiling::sample(double now, uint64_t current, std::optional<uint64_t> refused) {
  if (refused) {
    if (!last_refused_ || *refused > *last_refused_) last_refusal_at_ = now;
    last_refused_ = refused;
  }
  // Where the kernel counts refusals, they say it exactly: forks kept failing (a refusal
  // within every second). Otherwise the count must stay within 10% of the limit.
  const uint64_t slack = std::max<uint64_t>(1, max_ / 10);
  const bool pinned = refused ? *refused > 0 && now - last_refusal_at_ <= 1.0 : current + slack >= max_;
  if (!pinned) {
    since_.reset();
    return false;
  }
  if (!since_) since_ = now;
  return now - *since_ >= hold_;
}

}  // namespace cordon
