// cordon (Windows plan): after the run, a `commondir` or `config.worktree` that appeared
// in a protected gitdir is renamed away.
//
//   for (const auto& watch : plan.git_watch)          // recorded by plan_windows
//     GitGuardResult r = remove_new_pointers(ops, watch, run_id);
//
// In `--git config-only` (the default) hooks and config carry deny ACEs, but the rest of
// .git stays writable for git (objects, refs, the index, lock files). An absent name
// cannot carry an ACE, and an empty `commondir` placeholder would break git, so the
// sandbox can create `.git\commondir` (git then reads config and hooks from any
// directory it names) or `.git\config.worktree`, and git run by the user afterwards
// would execute what they point at. Linux renames such new names away after the run
// (platform/linux/git_guard.hpp); so does this, through TreeOps: the gitdir is opened
// without following a reparse point (one that became a link is reported, never
// entered), the new entry relative to that handle, and renamed by handle within the
// same directory, so the decision and the rename act on one object.
#pragma once

#include <string>
#include <vector>

#include "plan/windows/remove_tree.hpp"

namespace cordon::win {

// A gitdir whose pointer names are checked after the run.
struct GitWatch {
  std::string gitdir;                // canonical
  std::vector<std::string> present;  // pointer names that existed at plan time (protected by ACEs)
  // The directories below modules\ (submodule gitdirs and the segments of a name with
  // slashes, relative: "sub\\mod") and the names below worktrees\ at plan time: one that
  // appeared during the run is neutralised after it (remove_new_pointers).
  std::vector<std::string> modules = {};
  std::vector<std::string> worktrees = {};
  friend bool operator==(const GitWatch&, const GitWatch&) = default;
};

// The names that send git to another directory's config and hooks.
const std::vector<std::string>& git_pointer_names();

struct GitGuardResult {
  std::vector<std::string> renamed;   // "<gitdir>\\commondir -> commondir.cordon-removed-<id>"
  std::vector<std::string> warnings;  // what could not be checked or renamed
};

// Renames every pointer name in `watch.gitdir` that is not in `watch.present` to
// "<name>.cordon-removed-<suffix>". A missing gitdir is not an error (the sandbox may
// have removed an unprotected one); a gitdir that is now a link or not a directory is
// a warning and is left alone. As Linux's guard, what appeared during the run below
// modules\ and worktrees\ is neutralised too: a new submodule gitdir (git submodule
// update --init reuses one it finds, and runs its hooks) as a new repository is (below);
// a link or a file there is renamed away; in a new worktree gitdir, config.worktree, and a
// commondir other than git's own "../..", are renamed away.
[[nodiscard]] GitGuardResult remove_new_pointers(TreeOps& ops, const GitWatch& watch,
                                                 const std::string& suffix);

// A repository created during the run (`git init`, `git clone` into a writable root that
// had no .git): its hooks and config would run code the first time the user runs git
// there, outside the sandbox. As Linux's neutralise_new_repository
// (platform/linux/git_guard.hpp), through TreeOps, never following a link, in
// <root>\.git:
//   - hooks, commondir, config.worktree, worktrees, modules: renamed away (hooks run
//     through git's shell whatever their attributes; the others point git elsewhere or
//     hold gitdirs with hooks and config of their own);
//   - config: parsed as git does (core/git_config.hpp); kept only when every key is on
//     the inert allowlist, else renamed away, naming the dropped keys (git works without
//     a config; the user can restore what they trust);
//   - a .git that is a file or a link: renamed away (cordon cannot check where it leads).
// `root` must be a root that had no .git when the run was planned.
[[nodiscard]] GitGuardResult neutralise_new_repository(TreeOps& ops, const std::string& root,
                                                       const std::string& suffix);

}  // namespace cordon::win
