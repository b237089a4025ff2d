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
#include <utility>
#include <vector>

#include "plan/fs_probe.hpp"

namespace cordon::git_hooks {

// The variables of the caller's environment that choose git's configuration files (git
// run later outside, by the same user, reads those instead of /etc/gitconfig, ~/.gitconfig
// and the XDG file): from the caller's environment, never the sandbox's filtered one.
struct ConfigEnv {
  std::optional<std::string> global;    // GIT_CONFIG_GLOBAL: replaces ~/.gitconfig and the XDG file
  std::optional<std::string> system;    // GIT_CONFIG_SYSTEM: replaces /etc/gitconfig
  std::optional<std::string> nosystem;  // GIT_CONFIG_NOSYSTEM: true skips the system file
  // GIT_CONFIG_COUNT with GIT_CONFIG_KEY_<n> and GIT_CONFIG_VALUE_<n>: entries git reads
  // after every file (a core.hooksPath set there is as real as one in a file).
  std::vector<std::pair<std::string, std::string>> parameters = {};
  bool operator==(const ConfigEnv&) const = default;
};

struct Inputs {
  std::string gitdir;    // absolute
  std::string worktree;  // the top of the worktree: relative hooksPath values start there
  std::string home;      // "" when unknown: ~ is not expanded
  std::string xdg_config_home = {};
  ConfigEnv env = {};
};

// The files git reads before the repository's own, in its order (config.c
// git_config_sequence): the system file unless GIT_CONFIG_NOSYSTEM is true, then
// GIT_CONFIG_GLOBAL alone when set, else the XDG file and ~/.gitconfig. Relative values
// of the variables are as git takes them: from its working directory, which cordon does
// not know, so `worktree` stands for it (where the user runs git).
[[nodiscard]] std::vector<std::string> base_config_files(const Inputs& in);

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
//   through:    every path a `..` of one of those values steps out of (tools for
//               hooksPath = tools/../githooks): the kernel resolves `..` from where tools
//               leads, so a link made there would move the directory git uses away from
//               the lexically normalised one above. Each must stay what it is.
struct CodeFiles {
  std::vector<std::string> hooks_dirs;
  std::vector<std::string> includes;
  std::vector<std::string> programs;
  std::vector<std::string> through = {};
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
  // Entries git reads after every file (ConfigEnv::parameters), as "section[.sub].key".
  std::vector<std::pair<std::string, std::string>> parameters = {};
};
[[nodiscard]] CodeFiles code_files(const ReadConfig& read, const PathSyntax& syntax, const Sources& sources);

}  // namespace cordon::git_hooks
