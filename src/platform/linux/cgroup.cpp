#include "platform/linux/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace cordon {
namespace {

constexpr const char* kRunPrefix = "cordon-run-";

class RealCgroupFs final : public CgroupFs {
 public:
  bool writable(const std::string& path) const override { return ::access(path.c_str(), W_OK) == 0; }
  bool exists(const std::string& path) const override { return ::access(path.c_str(), F_OK) == 0; }
  std::optional<std::string> read(const std::string& path) const override {
    std::ifstream f(path);
    if (!f) return std::nullopt;
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
};

std::string read_text(const std::string& path) {
  return RealCgroupFs().read(path).value_or("");
}

Status write_text(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return os_error("open", path, errno);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return os_error("write", path + " <- " + text, errno);
  return Ok{};
}

// Groups named cordon-run-<pid>-<n> whose cordon is gone (killed with SIGKILL): empty, since
// their sandbox died with it; remove them. A group still holding processes stays.
void sweep_stale(const std::string& parent) {
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(kRunPrefix, 0) != 0) continue;
    char* end = nullptr;
    long pid = std::strtol(name.c_str() + std::string(kRunPrefix).size(), &end, 10);
    if (pid > 0 && *end == '-' && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      stale.push_back(parent + "/" + name);
  }
  ::closedir(d);
  for (const auto& dir : stale) ::rmdir(dir.c_str());
}

// cgroup v2: cordon moves itself into <parent>/cordon.leaf so <parent> may enable
// controllers for its children (no internal processes).
Status prepare_v2_parent(const CgroupCaps& host, const std::string& parent) {
  if (host.v2_needs_leaf) {
    const std::string leaf = parent + "/" + kCgroupLeaf;
    if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) return os_error("mkdir", leaf, errno);
    if (auto st = write_text(leaf + "/cgroup.procs", std::to_string(::getpid())); !st) return st;
  }
  if (!host.v2_enable.empty())
    if (auto st = write_text(parent + "/cgroup.subtree_control", host.v2_enable); !st) return st;
  return Ok{};
}

}  // namespace

CgroupCaps probe_cgroups() {
  return find_cgroups(read_text("/proc/self/mountinfo"), read_text("/proc/self/cgroup"), RealCgroupFs(),
                      static_cast<long>(::getpid()));
}

RunCgroup::RunCgroup(RunCgroup&& o) noexcept
    : groups_(std::move(o.groups_)),
      dirs_(std::move(o.dirs_)),
      procs_(std::move(o.procs_)),
      join_(o.join_),
      v2_kill_(o.v2_kill_) {
  o.groups_.clear();
  o.dirs_.clear();
  o.join_ = ChildCgroupJoin{};
}

Result<RunCgroup> RunCgroup::create(const CgroupLimits& limits) {
  static std::atomic<unsigned> sequence{0};
  RunCgroup g;
  g.v2_kill_ = limits.host.v2_kill;
  // One group per parent directory: v2 holds both controllers, v1 has a hierarchy each
  // (or one, when they are mounted together).
  auto group_for = [&](const CgroupController& c) -> Group& {
    for (auto& existing : g.groups_)
      if (existing.dir == c.parent) return existing;
    g.groups_.push_back(Group{c.parent, c.version, false, false});
    return g.groups_.back();
  };
  if (limits.memory_bytes) group_for(limits.host.memory).memory = true;
  if (limits.pids_max) group_for(limits.host.pids).pids = true;
  const std::string name =
      std::string(kRunPrefix) + std::to_string(::getpid()) + "-" + std::to_string(sequence++);
  for (auto& grp : g.groups_) {
    const std::string parent = grp.dir;
    sweep_stale(parent);
    if (grp.version == CgroupVersion::V2)
      if (auto st = prepare_v2_parent(limits.host, parent); !st)
        return os_error(st.error().call, st.error().argument, st.error().code,
                        "the delegated cgroup v2 could not be prepared; see `cordon check`");
    grp.dir = parent + "/" + name;
    if (::mkdir(grp.dir.c_str(), 0755) != 0)
      return os_error("mkdir", grp.dir, errno,
                      "cordon could not create its per-run cgroup; see `cordon check`");
    g.dirs_.push_back(grp.dir);
  }
  for (const auto& grp : g.groups_) {
    const bool v2 = grp.version == CgroupVersion::V2;
    if (grp.memory) {
      const std::string bytes = std::to_string(*limits.memory_bytes);
      if (v2) {
        if (auto st = write_text(grp.dir + "/memory.max", bytes); !st) return st.error();
        if (::access((grp.dir + "/memory.swap.max").c_str(), F_OK) == 0)
          if (auto st = write_text(grp.dir + "/memory.swap.max", "0"); !st) return st.error();
      } else {
        if (auto st = write_text(grp.dir + "/memory.limit_in_bytes", bytes); !st) return st.error();
        // memsw is memory plus swap: equal to the memory limit means no swap.
        if (limits.host.v1_memsw)
          if (auto st = write_text(grp.dir + "/memory.memsw.limit_in_bytes", bytes); !st) return st.error();
      }
    }
    if (grp.pids)
      if (auto st = write_text(grp.dir + "/pids.max", std::to_string(*limits.pids_max)); !st)
        return st.error();
    const std::string procs = grp.dir + "/cgroup.procs";
    UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return os_error("open", procs, errno);
    g.join_.fds[g.join_.count++] = fd.get();
    g.procs_.push_back(std::move(fd));
  }
  return Result<RunCgroup>(std::move(g));
}

void RunCgroup::close_join() {
  procs_.clear();
  join_ = ChildCgroupJoin{};
}

void RunCgroup::kill() const {
  for (const auto& grp : groups_) {
    if (grp.version == CgroupVersion::V2 && v2_kill_ && write_text(grp.dir + "/cgroup.kill", "1")) continue;
    std::istringstream pids(read_text(grp.dir + "/cgroup.procs"));
    for (long pid = 0; pids >> pid;)
      if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

CgroupEvents RunCgroup::events() const {
  CgroupEvents ev;
  for (const auto& grp : groups_) {
    if (grp.memory)
      ev.memory_oom_kills = cgroup_counter(
          read_text(grp.dir + (grp.version == CgroupVersion::V2 ? "/memory.events" : "/memory.oom_control")),
          "oom_kill");
    if (grp.pids) ev.pids_refused = cgroup_counter(read_text(grp.dir + "/pids.events"), "max");
  }
  return ev;
}

std::string RunCgroup::dir_for(const std::string& limit) const {
  for (const auto& grp : groups_)
    if ((limit == "memory" && grp.memory) || (limit == "pids" && grp.pids)) return grp.dir;
  return "";
}

std::optional<uint64_t> RunCgroup::pids_current() const {
  for (const auto& grp : groups_)
    if (grp.pids) {
      std::istringstream in(read_text(grp.dir + "/pids.current"));
      uint64_t n = 0;
      if (in >> n) return n;
    }
  return std::nullopt;
}

Status RunCgroup::remove() {
  if (dirs_.empty()) return Ok{};
  procs_.clear();
  // The sandbox's init has exited, so its pid namespace is gone; without one (Landlock
  // only) something may remain. Kill it, then remove the groups once they are empty
  // (rmdir fails with EBUSY while a process is still being torn down). Bounded: ~2 s.
  std::string busy;
  int err = 0;
  for (int round = 0; round < 200; ++round) {
    busy.clear();
    for (const auto& dir : dirs_)
      if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) busy = dir, err = errno;
    if (busy.empty()) {
      dirs_.clear();
      return Ok{};
    }
    kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  dirs_.clear();  // once: a destructor after a failed remove() does not wait again
  return os_error("rmdir", busy, err, "the per-run cgroup is left behind; the next run removes it");
}

RunCgroup::~RunCgroup() {
  Status ignored = remove();  // the cleanup stage calls remove() and reports; this is the backstop
  (void)ignored;
}

}  // namespace cordon
