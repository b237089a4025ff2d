// cordon: which refused file operations `cordon run --ask` and `--learn` may offer to
// grant, and the config text a grant becomes. Pure (no system calls), table-tested.
//
//   if (auto why = never_ask(rules, Operation::Create, "/home/u/.npm/x")) refuse(*why);
//   std::string toml = learn_fragment(grants, "/home/u");      // --learn FILE
//   (the rule "always" writes into a config file: add_writable_rule, core/config.hpp)
//
// Askable: an operation the policy refuses only because its path lies outside the
// writable roots, below the user's home or /var/tmp. Never askable: everything refused
// for another reason (protected paths, masked secrets, cordon's state, /proc, /sys,
// /dev), any path with a protected name or `.git` as a component, the secret list and
// the code the user's shell, session or git runs (even where the file does not exist
// yet), cordon's own configuration, and the directories on the user's PATH in the home
// (~/.local/bin, ~/bin), and the paths of DenialRules::never_ask. A rename is never asked
// when an end lies above any of these, a writable root or a git directory (what is below a
// moved directory moves with it). Paths are as the host has them (the caller resolves them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/result.hpp"
#include "plan/denial_rules.hpp"

namespace cordon {

// nullopt: askable. Otherwise why it is never asked (the refusal stands).
std::optional<std::string> never_ask(const DenialRules& rules, Operation op, const std::string& path);

// A read of `path` (absolute, as the host has it), which the caller found masked: nullopt
// when it is a file the user added to --deny-read (DenialRules::asked_reads), or lies below
// a directory the user added (DenialRules::asked_read_dirs), and lies in no protected path,
// cordon's state, /proc, /sys or /dev. Below a directory also never: a path with `.git` or
// a protected name as a component, the protected and secret paths of the home, cordon's
// own configuration, DenialRules::never_ask, and a secret masked on its own (the default
// list). Otherwise why it is never asked.
std::optional<std::string> never_ask_read(const DenialRules& rules, const std::string& path);

// The directory a "for this run, the directory" or "always" grant for `path` would name,
// or "" when there is none smaller than the home (a file directly in the home) or the
// directory itself is not askable.
std::string grant_directory(const DenialRules& rules, const std::string& path, bool path_is_directory);

// The config fragment --learn writes: one `filesystem.writable` directory per group of
// grants (the directory a grant made, else the directory of the file; nested ones fold
// into the outermost), each commented with what needed it. Denied grants are left out;
// a grant no directory rule can cover is listed in a comment. A granted read becomes a
// `filesystem.allow_read` entry for that file. Network grants become one
// `network.allow` entry per host name and one `network.allow_localhost` port per port.
std::string learn_fragment(const std::vector<Grant>& grants, const DenialRules& rules);

// A TOML basic string for `s` (quotes, backslashes and control bytes escaped).
std::string toml_string(const std::string& s);

}  // namespace cordon
