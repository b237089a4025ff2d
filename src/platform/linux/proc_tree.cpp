#include "platform/linux/proc_tree.hpp"

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

namespace cordon {

std::vector<pid_t> descendants_of(pid_t root) {
  std::unordered_multimap<pid_t, pid_t> children;  // ppid -> pid
  DIR* d = ::opendir("/proc");
  if (!d) return {};
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    // FILE*, not a stream: a process that exits between open and read is an error to
    // skip, never an exception.
    FILE* f = std::fopen(path, "re");
    if (!f) continue;
    char buf[512];
    const size_t got = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[got] = '\0';
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
    const char* close = nullptr;
    for (const char* p = buf; *p; ++p)
      if (*p == ')') close = p;
    int ppid = 0;
    char state = 0;
    if (close && std::sscanf(close + 1, " %c %d", &state, &ppid) == 2)
      children.emplace(static_cast<pid_t>(ppid), static_cast<pid_t>(pid));
  }
  ::closedir(d);
  std::vector<pid_t> out, todo = {root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    auto [first, last] = children.equal_range(p);
    for (auto it = first; it != last; ++it) out.push_back(it->second), todo.push_back(it->second);
  }
  return out;
}

}  // namespace cordon
