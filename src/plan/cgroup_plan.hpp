// cordon: which cgroup can hold a run's processes on this host (pure).
//
//   RealCgroupFs fs;                                   // platform/linux/cgroup.cpp
//   CgroupCaps cg = find_cgroups(read("/proc/self/mountinfo"), read("/proc/self/cgroup"), fs, getpid());
//   if (cg.pids.version != CgroupVersion::None) ...    // a per-run group under cg.pids.parent
//
// For each controller cordon needs (memory, pids), in this order of preference:
//   cgroup v2: the caller's own cgroup (the `0::` line) on the cgroup2 mount, when it is
//              writable and the controller is in its cgroup.controllers. A non-root cgroup
//              with processes cannot enable controllers for its children ("no internal
//              processes"), so, as systemd-run --user --scope does, cordon moves itself into
//              a leaf `<own>/cordon.leaf` first; this is done only when cordon is the only
//              process in its cgroup (otherwise the reason names the fix).
//   cgroup v1: the controller's own hierarchy (hybrid hosts, containers), when the caller's
//              group there is writable (in practice: root).
//   none:      the limit falls back to an rlimit (plan/limits_plan.hpp).
// The filesystem is asked through CgroupFs, so tests describe hosts without a kernel.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cordon {

// One line of /proc/self/mountinfo (only the fields cordon reads).
struct MountInfo {
  std::string root;         // the mount's root inside its filesystem ("/" unless a bind or cgroup ns)
  std::string mount_point;  // where it is mounted
  std::string fstype;       // "cgroup", "cgroup2", ...
  std::string super_options;
};
std::vector<MountInfo> parse_mountinfo(const std::string& text);

// One line of /proc/self/cgroup: "4:memory:/a/b", "0::/user.slice/..."
struct CgroupMembership {
  int hierarchy = -1;
  std::vector<std::string> controllers;  // empty for the v2 line; "name=systemd" kept as is
  std::string path;
};
std::vector<CgroupMembership> parse_proc_cgroup(const std::string& text);

enum class CgroupVersion { None, V1, V2 };
const char* to_string(CgroupVersion v);

struct CgroupController {
  CgroupVersion version = CgroupVersion::None;
  std::string parent;  // the directory per-run groups are created in
  std::string reason;  // why no cgroup, when None (for `cordon check`)
  bool operator==(const CgroupController&) const = default;
};

struct CgroupCaps {
  CgroupController memory;
  CgroupController pids;
  // cgroup v2 only: move cordon into `<parent>/cordon.leaf` before creating run groups,
  // and write `v2_enable` ("+memory +pids") into `<parent>/cgroup.subtree_control`.
  bool v2_needs_leaf = false;
  std::string v2_enable;
  bool v2_kill = false;   // cgroup.kill exists (Linux 5.14)
  bool v1_memsw = false;  // memory.memsw.limit_in_bytes exists (swap accounting)
  bool operator==(const CgroupCaps&) const = default;
};

class CgroupFs {
 public:
  virtual ~CgroupFs() = default;
  virtual bool writable(const std::string& path) const = 0;
  virtual bool exists(const std::string& path) const = 0;
  virtual std::optional<std::string> read(const std::string& path) const = 0;
};

inline constexpr const char* kCgroupLeaf = "cordon.leaf";

CgroupCaps find_cgroups(const std::string& mountinfo, const std::string& proc_cgroup, const CgroupFs& fs,
                        long self_pid);

// "max 3\n" style files (pids.events, memory.events, memory.oom_control): the value of `key`.
std::optional<unsigned long long> cgroup_counter(const std::string& text, const std::string& key);

}  // namespace cordon
