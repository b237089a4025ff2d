// cordon: where git runs hooks from besides <gitdir>/hooks. core.hooksPath moves them
// anywhere (hook managers point it at a tracked directory of the worktree, .githooks or
// .husky/_): a command that wrote there would run code at the user's next commit.
//
//   for (const auto& dir : git_hooks::code_files(fs, {gitdir, worktree, home, xdg}).hooks_dirs) protect(dir);
//
// Every value of core.hooksPath found in the files git reads for a repository (system,
// global and XDG config, the repository's config and config.worktree, and every file they
// include, conditionally or not) is returned, not only the effective one: protecting a
// directory git would not use costs nothing, missing the one it uses is a hole. Pure: the
// files are read through FsProbe.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan/fs_probe.hpp"

namespace cordon::git_hooks {

struct Inputs {
  std::string gitdir;    // absolute
  std::string worktree;  // the top of the worktree: relative hooksPath values start there
  std::string home;      // "" when unknown: ~ is not expanded
  std::string xdg_config_home = {};
};

// The hooks git runs, by name (githooks(5)).
inline constexpr const char* kHookNames[] = {"applypatch-msg",
                                             "pre-applypatch",
                                             "post-applypatch",
                                             "pre-commit",
                                             "pre-merge-commit",
                                             "prepare-commit-msg",
                                             "commit-msg",
                                             "post-commit",
                                             "pre-rebase",
                                             "post-checkout",
                                             "post-merge",
                                             "pre-push",
                                             "pre-receive",
                                             "update",
                                             "proc-receive",
                                             "post-receive",
                                             "post-update",
                                             "reference-transaction",
                                             "push-to-checkout",
                                             "pre-auto-gc",
                                             "post-rewrite",
                                             "sendemail-validate",
                                             "fsmonitor-watchman",
                                             "p4-changelist",
                                             "p4-prepare-changelist",
                                             "p4-post-changelist",
                                             "p4-pre-submit",
                                             "post-index-change"};

// What in that configuration is code for git, each absolute, lexically normalised, once, in
// the order git reads it (one read of the files for all three):
//   hooks_dirs: every core.hooksPath value;
//   includes:   the files it includes (a project's tracked .gitconfig named by include.path
//               is config like .git/config);
//   programs:   every path in a value git runs as a command (filter.*.clean = tools/clean,
//               core.fsmonitor, core.pager, diff.*.textconv, merge.*.driver,
//               credential.helper, aliases, ...): the program and the scripts it is given.
struct CodeFiles {
  std::vector<std::string> hooks_dirs;
  std::vector<std::string> includes;
  std::vector<std::string> programs;
};
[[nodiscard]] CodeFiles code_files(const FsProbe& fs, const Inputs& in);

// The same reading for any host's path rules (the Windows planner's: drive letters, '\'
// and '/' both separators, case-insensitive names: plan/windows/planner.cpp).
struct PathSyntax {
  bool (*is_absolute)(std::string_view);
  std::string (*join)(std::string_view, std::string_view);
  std::string (*parent)(std::string_view);
  std::string (*normalize)(std::string_view);
  // Windows: '\' separates components too ("~\x", "tools\clean.cmd"), and a word
  // with a drive ("C:x") names a path.
  bool backslash = false;
};
// Up to max_bytes of a configuration file; nullopt when absent or unreadable.
using ReadConfig = std::function<std::optional<std::string>(const std::string& path, size_t max_bytes)>;
struct Sources {
  std::vector<std::string> files;  // the files git reads, in its order (system, global, repository)
  std::string worktree;            // as Inputs::worktree
  std::string home;                // as Inputs::home
};
[[nodiscard]] CodeFiles code_files(const ReadConfig& read, const PathSyntax& syntax, const Sources& sources);

}  // namespace cordon::git_hooks
