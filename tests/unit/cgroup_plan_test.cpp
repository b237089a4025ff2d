// Unit tests for the cgroup choice and the pids ceiling, with fake hosts: the texts of
// /proc/self/mountinfo and /proc/self/cgroup, and a fake cgroup filesystem.
#include "plan/cgroup_plan.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <map>
#include <set>

#include "plan/limits_plan.hpp"

namespace cordon {
namespace {

// A hybrid host like a container's: v1 memory and pids, cgroup2 with hugetlb only.
constexpr const char* kHybridMounts =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridGroups = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n0::/\n";

// A systemd host with a delegated user slice (cgroup2 only).
constexpr const char* kUnifiedMounts =
    "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
constexpr const char* kUnifiedGroups =
    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/run.scope\n";
constexpr const char* kScope =
    "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/run.scope";

struct FakeFs : CgroupFs {
  std::set<std::string> writable_paths;
  std::map<std::string, std::string> files;
  bool writable(const std::string& p) const override { return writable_paths.count(p) > 0; }
  bool exists(const std::string& p) const override {
    return files.count(p) > 0 || writable_paths.count(p) > 0;
  }
  std::optional<std::string> read(const std::string& p) const override {
    auto it = files.find(p);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  void writable_group(const std::string& dir) {
    for (const char* f : {"", "/cgroup.procs", "/cgroup.subtree_control"}) writable_paths.insert(dir + f);
  }
};

TEST(CgroupParse, Mountinfo) {
  auto m = parse_mountinfo(std::string(kHybridMounts) +
                           "50 23 0:40 /sub /mnt/with\\040space rw shared:1 master:2 - cgroup2 none rw\n"
                           "garbage line\n");
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[1].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(m[1].fstype, "cgroup");
  EXPECT_EQ(m[1].super_options, "rw,memory");
  EXPECT_EQ(m[5].root, "/sub");
  EXPECT_EQ(m[5].mount_point, "/mnt/with space");  // optional fields before "-" are skipped
  EXPECT_EQ(m[5].fstype, "cgroup2");
}

TEST(CgroupParse, ProcSelfCgroup) {
  auto g = parse_proc_cgroup(std::string(kHybridGroups) + "x:bad:/\n3:cpu,cpuacct:/a:b\n");
  ASSERT_EQ(g.size(), 5u);
  EXPECT_EQ(g[2].hierarchy, 4);
  EXPECT_EQ(g[2].controllers, std::vector<std::string>{"memory"});
  EXPECT_EQ(g[2].path, "/process_api/abc");
  EXPECT_EQ(g[3].hierarchy, 0);
  EXPECT_TRUE(g[3].controllers.empty());
  EXPECT_EQ(g[4].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(g[4].path, "/a:b");  // a path may hold colons
}

TEST(CgroupParse, Counters) {
  EXPECT_EQ(cgroup_counter("max 3\n", "max"), 3u);
  EXPECT_EQ(cgroup_counter("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", "oom_kill"), 2u);
  EXPECT_EQ(cgroup_counter("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n", "oom_kill"), 1u);
  EXPECT_FALSE(cgroup_counter("max x\n", "max"));
  EXPECT_FALSE(cgroup_counter("", "max"));
}

TEST(CgroupChoice, HybridAsRootUsesV1) {
  FakeFs fs;
  fs.files["/sys/fs/cgroup/unified/cgroup.controllers"] = "hugetlb\n";
  fs.files["/sys/fs/cgroup/unified/cgroup.subtree_control"] = "";
  fs.writable_group("/sys/fs/cgroup/unified");
  fs.writable_group("/sys/fs/cgroup/memory/process_api/abc");
  fs.writable_group("/sys/fs/cgroup/pids");
  fs.files["/sys/fs/cgroup/memory/process_api/abc/memory.memsw.limit_in_bytes"] = "";
  auto c = find_cgroups(kHybridMounts, kHybridGroups, fs, 42);
  EXPECT_EQ(c.memory.version, CgroupVersion::V1);
  EXPECT_EQ(c.memory.parent, "/sys/fs/cgroup/memory/process_api/abc");
  EXPECT_EQ(c.pids.version, CgroupVersion::V1);
  EXPECT_EQ(c.pids.parent, "/sys/fs/cgroup/pids");
  EXPECT_TRUE(c.v1_memsw);
  EXPECT_FALSE(c.v2_needs_leaf);
}

TEST(CgroupChoice, HybridUnprivilegedHasNone) {
  FakeFs fs;
  fs.files["/sys/fs/cgroup/unified/cgroup.controllers"] = "hugetlb\n";
  auto c = find_cgroups(kHybridMounts, kHybridGroups, fs, 42);
  EXPECT_EQ(c.memory.version, CgroupVersion::None);
  EXPECT_EQ(c.pids.version, CgroupVersion::None);
  EXPECT_NE(c.pids.reason.find("not writable"), std::string::npos) << c.pids.reason;
  EXPECT_NE(c.memory.reason.find("memory controller is not delegated"), std::string::npos) << c.memory.reason;
}

TEST(CgroupChoice, DelegatedScopeNeedsALeaf) {
  FakeFs fs;
  fs.writable_group(kScope);
  fs.files[std::string(kScope) + "/cgroup.controllers"] = "cpu memory pids\n";
  fs.files[std::string(kScope) + "/cgroup.subtree_control"] = "";
  fs.files[std::string(kScope) + "/cgroup.procs"] = "42\n";
  fs.files[std::string(kScope) + "/cgroup.kill"] = "";
  auto c = find_cgroups(kUnifiedMounts, kUnifiedGroups, fs, 42);
  EXPECT_EQ(c.memory.version, CgroupVersion::V2);
  EXPECT_EQ(c.pids.version, CgroupVersion::V2);
  EXPECT_EQ(c.pids.parent, kScope);
  EXPECT_TRUE(c.v2_needs_leaf);
  EXPECT_EQ(c.v2_enable, "+memory +pids");
  EXPECT_TRUE(c.v2_kill);

  // Other processes share the scope: the no-internal-processes rule forbids it.
  fs.files[std::string(kScope) + "/cgroup.procs"] = "42\n43\n";
  auto shared = find_cgroups(kUnifiedMounts, kUnifiedGroups, fs, 42);
  EXPECT_EQ(shared.pids.version, CgroupVersion::None);
  EXPECT_NE(shared.pids.reason.find("systemd-run --user --scope"), std::string::npos) << shared.pids.reason;

  // Already in cordon's leaf with the controllers enabled above it: nothing to prepare.
  fs.files[std::string(kScope) + "/cgroup.subtree_control"] = "memory pids\n";
  auto again = find_cgroups(
      kUnifiedMounts,
      std::string(kUnifiedGroups).insert(std::string(kUnifiedGroups).size() - 1, "/cordon.leaf"), fs, 42);
  EXPECT_EQ(again.pids.version, CgroupVersion::V2);
  EXPECT_EQ(again.pids.parent, kScope);
  EXPECT_FALSE(again.v2_needs_leaf);
  EXPECT_EQ(again.v2_enable, "");
}

TEST(CgroupChoice, V2WithoutPidsFallsBackPerController) {
  FakeFs fs;
  fs.writable_group(kScope);
  fs.files[std::string(kScope) + "/cgroup.controllers"] = "memory\n";
  fs.files[std::string(kScope) + "/cgroup.subtree_control"] = "memory\n";
  auto c = find_cgroups(kUnifiedMounts, kUnifiedGroups, fs, 42);
  EXPECT_EQ(c.memory.version, CgroupVersion::V2);
  EXPECT_EQ(c.pids.version, CgroupVersion::None);
  EXPECT_NE(c.pids.reason.find("pids controller is not delegated"), std::string::npos) << c.pids.reason;
}

TEST(LimitsPlan, CgroupsWhereAvailableRlimitsElse) {
  LimitsPolicy l;
  l.memory_bytes = 64ull << 20;
  l.pids = 64;
  l.cpu_seconds = 5;
  LinuxHostCaps root;
  root.uid = 0;
  root.cgroups.memory = {CgroupVersion::V1, "/sys/fs/cgroup/memory/x", ""};
  root.cgroups.pids = {CgroupVersion::V1, "/sys/fs/cgroup/pids", ""};
  auto p = plan_limits(l, root, true);
  EXPECT_TRUE(p.losses.empty());  // --pids works as root with a pids cgroup
  EXPECT_EQ(p.cgroup.memory_bytes, 64ull << 20);
  EXPECT_EQ(p.cgroup.pids_max, 64u);
  ASSERT_EQ(p.rlimits.count, 1);  // only the CPU time stays an rlimit
  EXPECT_EQ(p.rlimits.items[0].resource, RLIMIT_CPU);
  EXPECT_EQ(p.report["pids"]["mechanism"], "cgroup v1 pids.max (the whole tree)");
  EXPECT_NE(p.report["memory"]["mechanism"].get<std::string>().find("cgroup v1"), std::string::npos);

  LinuxHostCaps v2memory;
  v2memory.uid = 1000;
  v2memory.cgroups.memory = {CgroupVersion::V2, "/sys/fs/cgroup/x", ""};
  v2memory.cgroups.pids.reason = "cgroup v2 /sys/fs/cgroup/x: the pids controller is not delegated";
  auto q = plan_limits(l, v2memory, true);
  EXPECT_TRUE(q.cgroup.memory_bytes.has_value());
  EXPECT_FALSE(q.cgroup.pids_max.has_value());
  ASSERT_EQ(q.rlimits.count, 2);
  EXPECT_EQ(q.rlimits.items[0].resource, RLIMIT_NPROC);
  EXPECT_NE(q.report["pids"]["detail"].get<std::string>().find("not delegated"), std::string::npos);

  auto m = limits_mechanisms(root);
  EXPECT_NE(m["pids"].get<std::string>().find("cgroup v1"), std::string::npos);
  LinuxHostCaps bare;
  bare.uid = 0;
  EXPECT_NE(limits_mechanisms(bare)["pids"].get<std::string>().find("none"), std::string::npos);
}

TEST(LimitsPlan, HitFromCgroupEvidence) {
  LimitsPolicy l;
  l.memory_bytes = 64ull << 20;
  l.pids = 64;
  l.cpu_seconds = 10;
  LimitsEvidence oom{128 + SIGKILL, SIGKILL, false, 0};
  oom.memory_oom_kills = 1;
  oom.pids_refused = 0;
  EXPECT_EQ(limits_hit(l, oom),
            std::vector<std::string>{"memory"});  // not cpu_time: the OOM killer's SIGKILL
  EXPECT_EQ(limit_hit_text("memory", oom), "memory (OOM kill)");

  LimitsEvidence bomb{128 + SIGKILL, SIGKILL, false, 0};
  bomb.memory_oom_kills = 0;
  bomb.pids_refused = 500;
  bomb.pids_ceiling_killed = true;
  EXPECT_EQ(limits_hit(l, bomb), std::vector<std::string>{"pids"});
  EXPECT_NE(limit_hit_text("pids", bomb).find("fork bomb"), std::string::npos);

  LimitsEvidence coped{0, 0, false, 60ull << 20};  // forks refused, but the command succeeded
  coped.memory_oom_kills = 0;
  coped.pids_refused = 3;
  EXPECT_TRUE(limits_hit(l, coped).empty());

  LimitsEvidence timeout{124, SIGKILL, true, 0};
  timeout.pids_refused = 9;
  EXPECT_TRUE(limits_hit(l, timeout).empty());  // the timeout wins; a note names the limit
}

TEST(PidsCeiling, PinnedForTheHoldTimeFires) {
  PidsCeiling c(64, 2.0);
  EXPECT_FALSE(c.sample(0.0, 10, std::nullopt));
  EXPECT_FALSE(c.sample(0.1, 60, std::nullopt));  // within 10%: pinned from here
  EXPECT_FALSE(c.sample(1.0, 64, std::nullopt));
  EXPECT_FALSE(c.sample(2.0, 63, std::nullopt));
  EXPECT_TRUE(c.sample(2.2, 64, std::nullopt));
}

TEST(PidsCeiling, ABreakResetsIt) {
  PidsCeiling c(64, 2.0);
  EXPECT_FALSE(c.sample(0.0, 64, std::nullopt));
  EXPECT_FALSE(c.sample(1.5, 64, std::nullopt));
  EXPECT_FALSE(c.sample(1.6, 20, std::nullopt));  // a build that hit the limit and recovered
  EXPECT_FALSE(c.sample(3.0, 64, std::nullopt));
  EXPECT_FALSE(c.sample(4.9, 64, std::nullopt));
  EXPECT_TRUE(c.sample(5.0, 64, std::nullopt));
}

TEST(PidsCeiling, WithRefusalsCountedTheyMustKeepRising) {
  PidsCeiling c(64, 2.0);
  EXPECT_FALSE(c.sample(0.0, 64, 0));  // full, but no fork was refused: a legitimately busy tree
  EXPECT_FALSE(c.sample(2.5, 64, 0));
  EXPECT_FALSE(c.sample(3.0, 64, 5));
  EXPECT_FALSE(c.sample(4.0, 64, 9));
  EXPECT_TRUE(c.sample(5.0, 64, 20));
  PidsCeiling quiet(64, 2.0);
  EXPECT_FALSE(quiet.sample(0.0, 64, 5));
  EXPECT_FALSE(quiet.sample(1.5, 64, 5));
  EXPECT_FALSE(quiet.sample(2.6, 64, 5));  // no refusal for over a second: waiting, not bombing
}

}  // namespace
}  // namespace cordon
