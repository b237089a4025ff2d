// cordon: a repository created inside the sandbox (`git init`, `git clone` into a
// writable root that had no .git) must not leave code that runs later, outside the
// sandbox, when the user runs git there.
//
//   auto pins = pin_git_roots(plan.git_watch);   // before the command starts
//   ... the command runs and ends ...
//   for (const auto& pin : pins) GitRepair r = neutralise_new_repository(pin);
//
// Everything after the run goes through descriptors beneath the root pinned before it
// (pinned_fs.hpp): no link is followed, nothing but regular files and directories is
// opened, reads are bounded. In <root>/.git, cordon:
//   - hooks/: removes the execute bits of every regular hook (fchmod on the descriptor)
//     and renames anything else (symlink, FIFO, directory, hard link) out of git's way;
//     a hooks/ that is not a plain directory is renamed away as a whole;
//   - config: parses it as git does (core/git_config.hpp) and writes a new file with
//     only the allowlisted inert keys (and, in a submodule's gitdir, a core.worktree that
//     leads to its own checkout, TOP/.git/modules/NAME's TOP/NAME, whose .git file leads
//     back), renamed over the old name;
//     an unparseable, oversized or non-regular config is replaced by a minimal one;
//   - commondir, config.worktree, worktrees/: renamed away (they point git elsewhere);
//   - modules/: each submodule gitdir gets the same treatment;
//   - a .git that is a file or link: renamed away and reported (cordon cannot verify
//     where it leads).
// It prints no file content: removed keys are named, escaped (git_config::escape_name).
#pragma once

#include <time.h>

#include <optional>
#include <string>
#include <vector>

#include "platform/linux/pinned_fs.hpp"

namespace cordon {

struct GitRootPin {
  std::string root;
  std::optional<PinnedDir> dir;  // empty: pinning failed (error says why)
  std::string error;             // one line, escaped
};

// Opens an O_PATH descriptor on each root; call before the command starts.
[[nodiscard]] std::vector<GitRootPin> pin_git_roots(const std::vector<std::string>& roots);

struct GitRepair {
  std::vector<std::string> done;      // what was changed, one escaped line each
  std::vector<std::string> warnings;  // what could not be checked or repaired
};

[[nodiscard]] GitRepair neutralise_new_repository(const GitRootPin& pin);

// A git directory made during the run below the top of a writable root, found by the walk
// after it (protected_scan.hpp): a `.git` made in a subdirectory, or a bare repository
// planted in any directory (HEAD, objects/ and refs/ beside a config): git run in that
// directory or below it later uses it as its repository and obeys its config (a
// core.pager runs on the next `git log`). Same treatment as a new repository's .git.
[[nodiscard]] GitRepair neutralise_gitdir(const PinnedDir& gitdir);

// A `.git` file or link below the top of a root that changed during the run (`git worktree
// add`, `git submodule update --init` write them): kept when it names a directory within
// one of `gitdirs` (the repositories the plan protected), renamed away otherwise (git would
// take its config and hooks from wherever it points). `dir` holds it; `path` is for messages.
[[nodiscard]] GitRepair check_git_pointer(const PinnedDir& dir, const std::string& path,
                                          const std::vector<std::string>& gitdirs);

// Where the `.git` file or link in `dir` leads, resolved lexically against `dir_path`;
// "" when it is neither a link nor a "gitdir: PATH" file.
[[nodiscard]] std::string git_pointer_target(const PinnedDir& dir, const std::string& dir_path);

// A pointer file git reads (a .git file, a commondir) beneath `dir`, without the line ends
// git drops; the read's error as read_regular() gives it (a link, FIFO or hard link refused).
[[nodiscard]] Result<std::string> read_pointer_file(const PinnedDir& dir, const std::string& name);

// A path git reads from a pointer (a .git file or link, a commondir), resolved against
// `base` lexically; "" when a ".." in it follows a name (a link there would take git
// elsewhere than the lexical reading) or an absolute path holds one.
[[nodiscard]] std::string resolve_pointer_text(const std::string& text, const std::string& base);

// Renames the `.git` in `dir` away; the warning reads "PATH WHY: renamed to ...".
[[nodiscard]] GitRepair disable_git_pointer(const PinnedDir& dir, const std::string& path,
                                            const std::string& why);

// The file times of a run: whether an entry changed (or was made) since `since`; false
// when absent, true when it cannot be told (assume the worst).
[[nodiscard]] bool changed_since(int dir, const char* name, const struct timespec& since);

// A repository that existed before the run keeps hooks/ and config read-only, but the
// rest of .git is writable (objects, refs, the index): a `commondir` or `config.worktree`
// written there would send git, run outside afterwards, to another directory's config and
// hooks. Which of those names exist is recorded before the run; one that appears during
// it is renamed away after it (beneath the pinned .git, never following a link).
struct GitDirPin {
  std::string gitdir;
  std::optional<PinnedDir> dir;
  std::vector<std::string> present;  // pointer names that existed before the run
  struct timespec pinned_at {};      // a linked worktree's commondir changed after it is checked
  // The creation broker held config.worktree to its checked writes during the run: one
  // changed then is the checked content, and stays.
  bool checked_worktree_config = false;
};
// `gitdirs`: the plan's (LinuxPlan::gitdirs: the roots', nested repositories', worktrees'
// and submodules' git directories).
[[nodiscard]] std::vector<GitDirPin> pin_existing_gitdirs(const std::vector<std::string>& gitdirs,
                                                          bool checked_worktree_config = false);
// Also reports git state that names commands for a later git run (exec lines in a rebase
// todo), without changing it. A submodule gitdir below it whose config or hooks changed is
// neutralised unless it is one of `held` (the plan's gitdirs, protected during the run).
[[nodiscard]] GitRepair remove_new_pointers(const GitDirPin& pin, const std::vector<std::string>& held = {});

// `.git` files the command made below a writable root (the creation broker records them:
// git worktree add and a submodule's checkout write them directly, so their content cannot
// be checked when they are made). Each is read beneath its root, pinned before the run
// (`roots`), without following a link; one that does not point to a git directory of the
// plan (`gitdirs`) or to one made during the run (a directory named .git, held to the
// broker's rules), through no link, is renamed away and reported, as is a linked
// worktree's whose commondir is not "../..".
[[nodiscard]] GitRepair check_new_pointers(const std::vector<GitRootPin>& roots,
                                           const std::vector<std::string>& pointers,
                                           const std::vector<std::string>& gitdirs);

}  // namespace cordon
