#include "platform/linux/protected_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <unordered_set>
#include <utility>

#include "core/defaults.hpp"
#include "core/error.hpp"
#include "core/git_config.hpp"
#include "core/paths.hpp"

namespace cordon {
namespace {

constexpr size_t kScanBudget = 200000;  // entries, as the planner's walk before the run
// Past kScanBudget the walk goes on for repositories only (when it looks for them): a command
// that made 200,001 empty files at the top hid a repository planted in src/ from it (found:
// its core.fsmonitor ran on git status there outside). Files are then skipped without being
// counted (every one cost the command a brokered creation, far more than reading its name);
// directories are counted against this, and past it the walk stops and says so loudly.
constexpr size_t kGitDirBudget = 1000000;
constexpr int kScanMaxDepth = 64;

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

DepthScan DepthScan::pin(const std::vector<std::string>& roots, std::vector<std::string> names, bool git,
                         std::optional<std::vector<std::string>> gitdirs) {
  DepthScan s;
  s.gitdirs_ = std::move(gitdirs);
  s.names_ = std::move(names);
  s.git_ = git;
  (void)::clock_gettime(CLOCK_REALTIME, &s.started_);
  for (const auto& r : roots) {
    if (defaults::in_depth_walk_skipped(r)) continue;  // not searched before the run either
    auto d = PinnedDir::open(r);
    if (!d) continue;  // nothing to report on a root that cannot be opened
    s.roots_.push_back(std::move(*d));
    s.root_paths_.push_back(r);
  }
  return s;
}

DepthFindings DepthScan::scan(const std::set<std::string>& known) const {
  DepthFindings out;
  std::vector<std::string>& found = out.appeared;
  size_t read = 0;
  const std::unordered_set<std::string> names(names_.begin(), names_.end());
  const auto& skip = defaults::depth_walk_skipped_names();
  const std::unordered_set<std::string> skipped(skip.begin(), skip.end());
  for (size_t i = 0; i < roots_.size(); ++i) {
    const std::string& root = root_paths_[i];
    std::vector<std::pair<std::string, int>> stack = {{".", 0}};
    bool stopped = false, too_deep = false, names_stopped = false;
    size_t dirs = 0;
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
      bool head = false, objects = false, refs = false, common = false;
      while (dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        // git takes a directory holding HEAD, objects/ and refs/ for a repository, and so
        // is a .git below the top (the top's own is the planner's and git_guard's).
        head = head || name == "HEAD";
        objects = objects || name == "objects";
        refs = refs || name == "refs";
        common = common || name == "commondir";  // objects and refs are then found through it
        if (git_ && name == ".git" && depth > 0) check_dotgit(roots_[i], root, rel, known, out);
        if (!names_stopped && ++read > kScanBudget) {
          found.push_back("(" + root + " was searched only in part: more than " +
                          std::to_string(kScanBudget) + " entries)");
          names_stopped = true;
          stopped = !git_;
          if (stopped) break;
        }
        if (!names_stopped && names.count(name)) {
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
        if (names_stopped && ++dirs > kGitDirBudget) {
          GitRepair unchecked;
          unchecked.warnings.push_back(
              git_config::escape_name(root) + " holds more than " + std::to_string(kGitDirBudget) +
              " directories: not all were checked for repositories planted during the "
              "run; do not run git below it before inspecting it");
          out.gitdirs.push_back(std::move(unchecked));
          stopped = true;
          break;
        }
        if (depth + 1 >= kScanMaxDepth) {  // bounded, and said: a deeper name is not seen
          if (!too_deep)
            found.push_back("(" + root + " was searched only to a depth of " + std::to_string(kScanMaxDepth) +
                            " directories)");
          too_deep = true;
          continue;
        }
        stack.emplace_back(rel == "." ? name : rel + "/" + name, depth + 1);
      }
      if (git_ && head && ((objects && refs) || common) && !stopped)
        check_gitdir(roots_[i], root, rel, known, out);
    }
  }
  return out;
}

namespace {}  // namespace

void DepthScan::check_dotgit(const PinnedDir& root, const std::string& root_path, const std::string& rel,
                             const std::set<std::string>& known, DepthFindings& out) const {
  auto dir = root.subdir(rel);
  if (!dir) return;
  auto st = stat_entry(*dir, ".git");
  if (!st) return;
  if (S_ISDIR(st->st_mode)) {
    check_gitdir(root, root_path, rel + "/.git", known, out);
    return;
  }
  // Without the broker only (with it, the broker's record of every .git file made is
  // checked); one unchanged since the start is the user's.
  if (!gitdirs_ || !changed_since(dir->fd(), ".git", started_)) return;
  const std::string path = paths::join(paths::join(root_path, rel), ".git");
  GitRepair checked = check_git_pointer(*dir, path, *gitdirs_);
  const bool kept = checked.done.empty() && checked.warnings.empty();
  out.gitdirs.push_back(std::move(checked));
  if (kept) check_pointer_target(*dir, path, known, out);
}

void DepthScan::check_pointer_target(const PinnedDir& dir, const std::string& path,
                                     const std::set<std::string>& known, DepthFindings& out) const {
  const std::string target = git_pointer_target(dir, paths::parent(path));
  if (std::find(gitdirs_->begin(), gitdirs_->end(), target) != gitdirs_->end())
    return;  // the repository itself
  // Inside a protected gitdir, whose objects/, refs/, modules/ and worktrees/ the command
  // may write: a directory there with HEAD, objects/, refs/ and a config is a repository
  // of its own to git (found: .git/refs/x planted with a core.fsmonitor, and sub/.git
  // naming it, ran it on git status outside). Opened beneath a writable root without
  // following a link; outside every writable root the command could not plant it.
  for (size_t i = 0; i < roots_.size(); ++i) {
    const std::string& root_path = root_paths_[i];
    if (!paths::is_within(target, root_path)) continue;
    const std::string rel = target == root_path ? "." : target.substr(root_path.size() + 1);
    auto gitdir = roots_[i].subdir(rel);
    if (!gitdir) {
      if (gitdir.error().code == ENOENT) return;  // git finds no repository there
      out.gitdirs.push_back(disable_git_pointer(
          dir, path, "(made or changed inside the sandbox) leads through a link or a non-directory"));
      return;
    }
    // A linked worktree's gitdir: its config and hooks are its common directory's, which
    // must be the protected repository (git writes ../..).
    if (stat_entry(*gitdir, "commondir")) {
      auto text = read_pointer_file(*gitdir, "commondir");
      const std::string common = resolve_pointer_text(text ? *text : std::string(), target);
      if (!text || std::find(gitdirs_->begin(), gitdirs_->end(), common) == gitdirs_->end())
        out.gitdirs.push_back(disable_git_pointer(
            dir, path,
            "(made or changed inside the sandbox) leads to a gitdir whose commondir is not a "
            "repository cordon protected"));
      return;
    }
    check_gitdir(roots_[i], root_path, rel, known, out);  // a submodule's, or planted
    return;
  }
}

void DepthScan::check_gitdir(const PinnedDir& root, const std::string& root_path, const std::string& rel,
                             const std::set<std::string>& known, DepthFindings& out) const {
  const std::string clean = rel.rfind("./", 0) == 0 ? rel.substr(2) : rel;
  const std::string path = clean == "." ? root_path : paths::join(root_path, clean);
  if (known.count(path) || known.count(paths::join(path, "config"))) return;  // protected all run
  auto dir = root.subdir(clean);
  if (!dir) return;  // a link, a file or gone: git does not take it for a repository either
  // Not a repository to git without HEAD, and objects/ and refs/ or a commondir naming
  // where they are (a linked worktree's gitdir: its config is the common directory's).
  if (!stat_entry(*dir, "HEAD") ||
      (!stat_entry(*dir, "commondir") && (!stat_entry(*dir, "objects") || !stat_entry(*dir, "refs"))))
    return;
  // Left alone when nothing git reads there changed during the run (a bare fixture
  // repository of the project's, untouched). Otherwise, made or changed by the command:
  // neutralised. Change times, not birth times: a rename keeps a directory's birth time (an
  // old directory moved to `objects`) but sets its change time, which no process can set
  // back.
  bool touched = false;
  for (const char* name : {"HEAD", "objects", "refs", "commondir", "config", "config.worktree", "hooks"})
    touched = touched || changed_since(dir->fd(), name, started_);
  if (auto hooks = dir->subdir("hooks"); !touched && hooks) {
    auto names = list_entries(*hooks, 4096);
    touched = !names;  // unreadable: assume the worst
    for (const auto& n : names ? *names : std::vector<std::string>{})
      touched = touched || changed_since(hooks->fd(), n.c_str(), started_);
  }
  if (touched) out.gitdirs.push_back(neutralise_gitdir(*dir));
}

}  // namespace cordon
