// cordon: a per-run cgroup holding the whole sandbox (plan/cgroup_plan.hpp chooses where).
//
//   CgroupCaps caps = probe_cgroups();                 // in probe_linux_host
//   auto group = RunCgroup::create(limits_plan.cgroup); // mkdir, limits, open cgroup.procs
//   spec.cgroup = &group->join();                      // the child writes "0" to each fd first
//   ... launch ...
//   CgroupEvents ev = group->events();                 // oom_kill, forks refused
//   group->remove();   // kill what is left (cgroup.kill on v2), wait until empty, rmdir
//                      // (~RunCgroup does the same if remove() was never called)
//
// Why the child joins itself: it writes "0" into cgroup.procs descriptors the parent opened
// before clone(), as the very first step after PR_SET_PDEATHSIG, so it is inside the group
// before anything else runs and one path works for v2 and for several v1 hierarchies
// (CLONE_INTO_CGROUP takes one v2 group only). The kernel checks the opener's credentials.
// A group left behind by a cordon killed with SIGKILL (e.g. a cancelled MCP worker) is
// empty; the next run removes groups whose owner process is gone.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/cgroup_plan.hpp"
#include "plan/limits_plan.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

CgroupCaps probe_cgroups();

// Fixed-size, no allocation: read by the child after clone().
struct ChildCgroupJoin {
  int fds[2] = {-1, -1};
  int count = 0;
};

struct CgroupEvents {
  std::optional<uint64_t> memory_oom_kills;
  std::optional<uint64_t> pids_refused;
};

class RunCgroup {
 public:
  [[nodiscard]] static Result<RunCgroup> create(const CgroupLimits& limits);
  RunCgroup(RunCgroup&& other) noexcept;
  RunCgroup& operator=(RunCgroup&&) = delete;
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  ~RunCgroup();

  const ChildCgroupJoin& join() const { return join_; }
  void close_join();  // in the parent, after clone()
  // SIGKILL every process in the groups (cgroup.kill where the kernel has it).
  void kill() const;
  CgroupEvents events() const;
  // The pids group's current count and refusals, for PidsCeiling.
  std::optional<uint64_t> pids_current() const;
  const std::vector<std::string>& dirs() const { return dirs_; }
  // The group that enforces "memory" or "pids" ("" if none): named in the run's result.
  std::string dir_for(const std::string& limit) const;
  // The cleanup stage: kill what is left, wait until empty (bounded), rmdir. Once.
  [[nodiscard]] Status remove();

 private:
  RunCgroup() = default;
  struct Group {
    std::string dir;
    CgroupVersion version;
    bool memory = false;
    bool pids = false;
  };
  std::vector<Group> groups_;
  std::vector<std::string> dirs_;
  std::vector<UniqueFd> procs_;
  ChildCgroupJoin join_;
  bool v2_kill_ = false;
};

}  // namespace cordon
