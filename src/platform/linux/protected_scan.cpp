#include "platform/linux/protected_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <unordered_set>
#include <utility>

#include "core/defaults.hpp"
#include "core/error.hpp"
#include "core/paths.hpp"

namespace cordon {
namespace {

constexpr size_t kScanBudget = 200000;  // entries, as the planner's walk before the run
constexpr int kScanMaxDepth = 64;

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

DepthScan DepthScan::pin(const std::vector<std::string>& roots, std::vector<std::string> names) {
  DepthScan s;
  s.names_ = std::move(names);
  for (const auto& r : roots) {
    if (defaults::in_depth_walk_skipped(r)) continue;  // not searched before the run either
    auto d = PinnedDir::open(r);
    if (!d) continue;  // nothing to report on a root that cannot be opened
    s.roots_.push_back(std::move(*d));
    s.root_paths_.push_back(r);
  }
  return s;
}

std::vector<std::string> DepthScan::appeared(const std::set<std::string>& known) const {
  std::vector<std::string> found;
  size_t read = 0;
  const std::unordered_set<std::string> names(names_.begin(), names_.end());
  const auto& skip = defaults::depth_walk_skipped_names();
  const std::unordered_set<std::string> skipped(skip.begin(), skip.end());
  for (size_t i = 0; i < roots_.size(); ++i) {
    const std::string& root = root_paths_[i];
    std::vector<std::pair<std::string, int>> stack = {{".", 0}};
    bool stopped = false, too_deep = false;
    while (!stack.empty() && !stopped) {
      auto [rel, depth] = stack.back();
      stack.pop_back();
      auto fd = open_beneath(roots_[i], rel, O_RDONLY | O_DIRECTORY);
      if (!fd) {
        // Replaced by a link or a file since: not walked through. A directory the command
        // made unreadable (chmod 000) would hide what it holds: said, never silent.
        const int code = fd.error().code;
        if (code == EACCES || code == EPERM)
          found.push_back("(" + (rel == "." ? root : paths::join(root, rel)) +
                          " could not be searched: " + errno_name(code) + ")");
        continue;
      }
      std::unique_ptr<DIR, DirCloser> d(::fdopendir(fd->get()));
      if (!d) continue;
      (void)fd->release();  // owned by the DIR now
      while (dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (++read > kScanBudget) {
          found.push_back("(" + root + " was searched only in part: more than " +
                          std::to_string(kScanBudget) + " entries)");
          stopped = true;
          break;
        }
        if (names.count(name)) {
          const std::string path = paths::join(root, rel == "." ? name : rel + "/" + name);
          if (depth > 0 && !known.count(path)) found.push_back(path);
          continue;
        }
        bool dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
          struct stat st {};
          dir =
              ::fstatat(::dirfd(d.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        if (!dir || skipped.count(name)) continue;
        if (depth + 1 >= kScanMaxDepth) {  // bounded, and said: a deeper name is not seen
          if (!too_deep)
            found.push_back("(" + root + " was searched only to a depth of " + std::to_string(kScanMaxDepth) +
                            " directories)");
          too_deep = true;
          continue;
        }
        stack.emplace_back(rel == "." ? name : rel + "/" + name, depth + 1);
      }
    }
  }
  return found;
}

}  // namespace cordon
