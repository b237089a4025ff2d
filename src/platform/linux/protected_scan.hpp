// cordon: after the run, the protected names that appeared below the top of a writable
// root (a new sub/.vscode/). The sandbox can create them: refusing that needs the broker
// (the check and the creation as one act), so they are reported loudly, never acted on.
//
//   auto scan = DepthScan::pin(policy.write_roots(), names, git);  // before the command starts
//   ... the command runs and every process of it is gone ...
//   auto found = scan.scan(known);  // known: protected before
//   for (const auto& path : found.appeared) warn(path);
//
// Every directory is opened beneath a root pinned before the run, without following a
// link or crossing a mount (platform/linux/pinned_fs.hpp); the walk reads at most a
// budget of entries and says when it stopped early.
#pragma once

#include <time.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "platform/linux/git_guard.hpp"
#include "platform/linux/pinned_fs.hpp"

namespace cordon {

struct DepthFindings {
  // Protected names below the top of each root that are not in `known`, as paths; a
  // last line says so when a root was not read to the end.
  std::vector<std::string> appeared;
  // Git directories below the top of a root, made during the run and unknown to the plan:
  // each neutralised (git_guard.hpp). One that existed before the run is never changed:
  // when its config or hooks changed during it, a warning says so.
  std::vector<GitRepair> gitdirs;
};

class DepthScan {
 public:
  // `git`: also look for git directories made during the run (not with --git writable);
  // `gitdirs`: the repositories the plan protects, where a .git file or link made during
  // the run may lead; nullopt: such pointers are checked elsewhere (the creation broker
  // records every one it makes).
  static DepthScan pin(const std::vector<std::string>& roots, std::vector<std::string> names, bool git,
                       std::optional<std::vector<std::string>> gitdirs);
  // `known`: the paths the plan protected (a known gitdir's config among them).
  DepthFindings scan(const std::set<std::string>& known) const;

 private:
  // The `.git` in directory `rel`: a directory is checked as a repository, a file or link
  // as a pointer (git_guard.hpp's check_git_pointer).
  void check_dotgit(const PinnedDir& root, const std::string& root_path, const std::string& rel,
                    const std::set<std::string>& known, DepthFindings& out) const;
  // A pointer kept because it leads inside a protected repository: what it leads to must
  // not be a repository planted in that repository's writable parts.
  void check_pointer_target(const PinnedDir& dir, const std::string& path, const std::set<std::string>& known,
                            DepthFindings& out) const;
  void check_gitdir(const PinnedDir& root, const std::string& root_path, const std::string& rel,
                    const std::set<std::string>& known, DepthFindings& out) const;

  std::vector<PinnedDir> roots_;
  std::vector<std::string> root_paths_;
  std::vector<std::string> names_;
  bool git_ = false;
  std::optional<std::vector<std::string>> gitdirs_;
  struct timespec started_ {};  // before the command: what is born after it is the run's
};

}  // namespace cordon
