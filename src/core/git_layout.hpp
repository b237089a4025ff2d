// cordon: which names the command may make or write inside a git directory, following
// gitrepository-layout(5). git run later outside the sandbox, with the user's rights,
// runs what a git directory holds as hooks and obeys its config and pointers; everyday
// git inside (status, add, commit, branch, switch, stash, rebase, merge, cherry-pick,
// bisect, gc, worktree add) writes only data.
//
//   auto v = git_layout::check_existing("refs/heads/main");  // v.allowed
//   auto w = git_layout::check_existing("hooks/pre-commit"); // refused, w.reason says why
//   auto n = git_layout::check_new("modules/x/config");      // a repository made in the run
//
// `rel` is the path of the name relative to the git directory, '/'-separated (as the
// creation broker computes it from the directory it pinned and the last name).
//
// A git directory that existed when the run started gets an allowlist (a feature we did
// not think of fails safe): objects/ (not objects/info/alternates), refs/, logs/, the
// state files and directories of merge, rebase, cherry-pick, revert, bisect, stash,
// commit, notes and gc, info/exclude and info/sparse-checkout, lfs/, the `.lock` files of
// those, config.lock and config.worktree.lock (renamed over config and config.worktree only
// by the caller's checked rename), and below worktrees/ and modules/ the gitdirs `git worktree add` and `git
// submodule` make. A git directory made during the run (`git init`, `git clone`, an
// unpacked archive, a new worktree's or submodule's) is checked against the names git
// reads as code or as a pointer, at every place in the path where a git directory could
// begin (a submodule's name may hold slashes): hooks/ only *.sample (git init copies the
// templates), no config but through the checked rename of config.lock (the caller does
// that), no commondir except in worktrees/<id>/, no config.worktree (but through the
// checked rename of config.worktree.lock), info/attributes,
// objects/info/alternates. Names compare ASCII case-insensitively there (a directory that
// folds case reads `HOOKS` as `hooks`).
// Pure: no system calls.
#pragma once

#include <string>
#include <string_view>

namespace cordon::git_layout {

struct Verdict {
  bool allowed = false;
  std::string reason;  // why it is refused ("" when allowed)
};

[[nodiscard]] Verdict check_existing(std::string_view rel);
[[nodiscard]] Verdict check_new(std::string_view rel);

// May a directory be renamed to `rel` in an existing git directory? Only into the parts
// whose content git treats as data whatever it is (objects/, refs/, logs/, the state
// directories): a directory moved in brings content no call made there was checked on.
[[nodiscard]] bool directory_may_move_to(std::string_view rel);

// Is `name` the name git gives a git directory or its pointer (".git", any case)?
[[nodiscard]] bool is_dot_git(std::string_view name);

}  // namespace cordon::git_layout
