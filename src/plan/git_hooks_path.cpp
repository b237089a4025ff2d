#include "plan/git_hooks_path.hpp"

#include <algorithm>

#include "core/git_config.hpp"
#include "core/paths.hpp"

namespace cordon::git_hooks {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr int kMaxIncludeDepth = 10;  // git's own limit (MAX_INCLUDE_DEPTH)
constexpr size_t kMaxFiles = 64;

// "~/x" against the home; anything else unchanged (relative ones are the caller's).
std::string expand_home(const std::string& value, const std::string& home) {
  if (value == "~" && !home.empty()) return home;
  if (value.rfind("~/", 0) == 0 && !home.empty()) return paths::join(home, value.substr(2));
  return value;
}

class Reader {
 public:
  Reader(const FsProbe& fs, const Inputs& in) : fs_(fs), in_(in) {}

  void file(const std::string& path, int depth) {
    if (depth > kMaxIncludeDepth || read_ >= kMaxFiles) return;
    ++read_;
    auto text = fs_.read_small(path, kMaxConfigBytes);
    if (!text) return;
    // Entries before a syntax error count too: git would stop at it, so this finds more
    // values, never fewer.
    for (const auto& e : git_config::parse(*text).entries) {
      if (!e.value) continue;
      if (e.section == "core" && !e.has_subsection && e.key == "hookspath") hooks(*e.value);
      const bool include = (e.section == "include" && !e.has_subsection) || e.section == "includeif";
      if (include && e.key == "path") {
        std::string p = expand_home(*e.value, in_.home);
        if (!paths::is_absolute(p)) p = paths::join(paths::parent(path), p);
        file(paths::normalize(p), depth + 1);
      }
    }
  }

  std::vector<std::string> found;

 private:
  void hooks(const std::string& value) {
    if (value.empty()) return;
    std::string p = expand_home(value, in_.home);
    if (!paths::is_absolute(p)) p = paths::join(in_.worktree, p);
    p = paths::normalize(p);
    if (std::find(found.begin(), found.end(), p) == found.end()) found.push_back(p);
  }

  const FsProbe& fs_;
  const Inputs& in_;
  size_t read_ = 0;
};

}  // namespace

std::vector<std::string> paths(const FsProbe& fs, const Inputs& in) {
  Reader r(fs, in);
  r.file("/etc/gitconfig", 0);
  const std::string xdg = paths::is_absolute(in.xdg_config_home) ? in.xdg_config_home
                          : in.home.empty()                      ? ""
                                                                 : paths::join(in.home, ".config");
  if (!xdg.empty()) r.file(paths::join(xdg, "git/config"), 0);
  if (!in.home.empty()) r.file(paths::join(in.home, ".gitconfig"), 0);
  r.file(paths::join(in.gitdir, "config"), 0);
  r.file(paths::join(in.gitdir, "config.worktree"), 0);
  return r.found;
}

}  // namespace cordon::git_hooks
