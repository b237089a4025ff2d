#include "plan/cgroup_plan.hpp"

#include <algorithm>
#include <sstream>

namespace cordon {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        std::all_of(s.begin() + static_cast<long>(i) + 1, s.begin() + static_cast<long>(i) + 4,
                    [](char c) { return c >= '0' && c <= '7'; })) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The directory of cgroup `path` under a mount whose root is `root`; empty if not reachable.
std::string dir_of(const MountInfo& m, const std::string& path) {
  if (path.empty() || path[0] != '/' || path.find("/..") != std::string::npos) return "";
  std::string rel = path;
  if (m.root != "/") {
    if (path.compare(0, m.root.size(), m.root) != 0 ||
        (path.size() > m.root.size() && path[m.root.size()] != '/'))
      return "";
    rel = path.substr(m.root.size());
  }
  if (rel.empty() || rel == "/") return m.mount_point;
  return m.mount_point == "/" ? rel : m.mount_point + rel;
}

std::string parent_of(const std::string& dir) {
  auto slash = dir.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
}

std::string base_name(const std::string& dir) {
  auto slash = dir.rfind('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

// The caller's cgroup v2 directory and whether each wanted controller can be used there.
void find_v2(const std::vector<MountInfo>& mounts, const std::vector<CgroupMembership>& groups,
             const CgroupFs& fs, long self_pid, CgroupCaps& caps) {
  const MountInfo* m2 = nullptr;
  for (const auto& m : mounts)
    if (m.fstype == "cgroup2") {
      m2 = &m;
      break;
    }
  const CgroupMembership* own = nullptr;
  for (const auto& g : groups)
    if (g.hierarchy == 0 && g.controllers.empty()) own = &g;
  if (!m2 || !own) return;
  std::string dir = dir_of(*m2, own->path);
  if (dir.empty()) return;
  // Already in our own leaf (an earlier run of this process, or its parent cordon): use its parent.
  const bool in_leaf = base_name(dir) == kCgroupLeaf;
  const bool is_root = dir == m2->mount_point;
  const std::string base = in_leaf ? parent_of(dir) : dir;
  const auto controllers = words(fs.read(base + "/cgroup.controllers").value_or(""));
  const auto enabled = words(fs.read(base + "/cgroup.subtree_control").value_or(""));
  const bool writable = fs.writable(base) && fs.writable(base + "/cgroup.subtree_control") &&
                        fs.writable(base + "/cgroup.procs");
  // Other processes in `base` (not cordon) forbid enabling controllers for its children.
  bool alone = true;
  if (!in_leaf && !is_root) {
    for (const auto& pid : words(fs.read(base + "/cgroup.procs").value_or("")))
      if (pid != std::to_string(self_pid)) alone = false;
  }
  caps.v2_kill = fs.exists(base + "/cgroup.kill");
  for (auto* c : {&caps.memory, &caps.pids}) {
    const std::string name = c == &caps.memory ? "memory" : "pids";
    if (!has(controllers, name)) {
      c->reason = "cgroup v2 " + base + ": the " + name + " controller is not delegated";
      continue;
    }
    if (!writable) {
      c->reason = "cgroup v2 " + base + " is not writable (not delegated to this user)";
      continue;
    }
    if (!has(enabled, name) && !alone) {
      c->reason = "cgroup v2 " + base +
                  " holds other processes (no internal processes rule); start cordon in its own "
                  "scope: systemd-run --user --scope -p Delegate=yes cordon ...";
      continue;
    }
    c->version = CgroupVersion::V2;
    c->parent = base;
    if (!has(enabled, name)) {
      caps.v2_enable += (caps.v2_enable.empty() ? "+" : " +") + name;
      if (!in_leaf && !is_root) caps.v2_needs_leaf = true;
    }
  }
}

void find_v1(const std::vector<MountInfo>& mounts, const std::vector<CgroupMembership>& groups,
             const CgroupFs& fs, CgroupController& c, const std::string& name) {
  if (c.version != CgroupVersion::None) return;  // v2 has it
  const MountInfo* mount = nullptr;
  for (const auto& m : mounts)
    if (m.fstype == "cgroup" && has(split(m.super_options, ','), name)) {
      mount = &m;
      break;
    }
  const CgroupMembership* own = nullptr;
  for (const auto& g : groups)
    if (g.hierarchy > 0 && has(g.controllers, name)) own = &g;
  if (!mount || !own) {
    if (c.reason.empty()) c.reason = "no cgroup hierarchy has the " + name + " controller";
    return;
  }
  std::string dir = dir_of(*mount, own->path);
  if (dir.empty()) {
    c.reason += (c.reason.empty() ? "" : "; ") + std::string("cgroup v1 ") + name + ": own group not visible";
    return;
  }
  if (!fs.writable(dir) || !fs.writable(dir + "/cgroup.procs")) {
    c.reason += (c.reason.empty() ? "" : "; ") + std::string("cgroup v1 ") + dir + " is not writable";
    return;
  }
  c = CgroupController{CgroupVersion::V1, dir, ""};
}

}  // namespace

const char* to_string(CgroupVersion v) {
  switch (v) {
    case CgroupVersion::V1:
      return "cgroup v1";
    case CgroupVersion::V2:
      return "cgroup v2";
    case CgroupVersion::None:
      break;
  }
  return "none";
}

std::vector<MountInfo> parse_mountinfo(const std::string& text) {
  std::vector<MountInfo> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto f = words(line);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 6 || dash == f.end() || f.end() - dash < 4) continue;
    out.push_back(MountInfo{unescape(f[3]), unescape(f[4]), *(dash + 1), *(dash + 3)});
  }
  return out;
}

std::vector<CgroupMembership> parse_proc_cgroup(const std::string& text) {
  std::vector<CgroupMembership> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto first = line.find(':');
    auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    CgroupMembership g;
    try {
      g.hierarchy = std::stoi(line.substr(0, first));
    } catch (...) {
      continue;
    }
    g.controllers = split(line.substr(first + 1, second - first - 1), ',');
    g.path = line.substr(second + 1);
    out.push_back(std::move(g));
  }
  return out;
}

CgroupCaps find_cgroups(const std::string& mountinfo, const std::string& proc_cgroup, const CgroupFs& fs,
                        long self_pid) {
  CgroupCaps caps;
  const auto mounts = parse_mountinfo(mountinfo);
  const auto groups = parse_proc_cgroup(proc_cgroup);
  find_v2(mounts, groups, fs, self_pid, caps);
  find_v1(mounts, groups, fs, caps.memory, "memory");
  find_v1(mounts, groups, fs, caps.pids, "pids");
  if (caps.memory.version == CgroupVersion::V1)
    caps.v1_memsw = fs.exists(caps.memory.parent + "/memory.memsw.limit_in_bytes");
  return caps;
}

std::optional<unsigned long long> cgroup_counter(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto w = words(line);
    if (w.size() == 2 && w[0] == key) {
      try {
        return std::stoull(w[1]);
      } catch (...) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

}  // namespace cordon
