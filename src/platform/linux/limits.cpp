#include "platform/linux/limits.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

namespace cordon {

bool apply_limits_in_child(const ChildLimits& limits, const ChildReporter& rep) {
  for (int i = 0; i < limits.count; ++i) {
    const RlimitSetting& s = limits.items[i];
    rlimit r{static_cast<rlim_t>(s.soft), static_cast<rlim_t>(s.hard)};
    // Never raise an existing hard limit (that needs CAP_SYS_RESOURCE): keep the lower one.
    rlimit cur{};
    if (::getrlimit(s.resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY) {
      if (r.rlim_max > cur.rlim_max) r.rlim_max = cur.rlim_max;
      if (r.rlim_cur > r.rlim_max) r.rlim_cur = r.rlim_max;
    }
    if (::setrlimit(s.resource, &r) != 0) {
      const char* name = s.resource == RLIMIT_DATA    ? "RLIMIT_DATA"
                         : s.resource == RLIMIT_NPROC ? "RLIMIT_NPROC"
                                                      : "RLIMIT_CPU";
      return rep.fail("limits", "setrlimit", name);
    }
  }
  return true;
}

uint64_t count_process_tree(int root) {
  std::unordered_multimap<int, int> children;  // ppid -> pid
  DIR* d = ::opendir("/proc");
  if (!d) return 0;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE* f = std::fopen(path, "re");
    if (!f) continue;
    char buf[512];
    size_t got = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[got] = '\0';
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
    const char* close = nullptr;
    for (const char* p = buf; *p; ++p)
      if (*p == ')') close = p;
    int ppid = 0;
    char state = 0;
    if (close && std::sscanf(close + 1, " %c %d", &state, &ppid) == 2)
      children.emplace(ppid, static_cast<int>(pid));
  }
  ::closedir(d);
  uint64_t count = 0;
  std::vector<int> todo = {root};
  while (!todo.empty()) {
    int p = todo.back();
    todo.pop_back();
    ++count;
    auto [first, last] = children.equal_range(p);
    for (auto it = first; it != last; ++it) todo.push_back(it->second);
  }
  return count;
}

}  // namespace cordon
