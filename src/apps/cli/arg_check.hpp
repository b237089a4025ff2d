// cordon: the command line checked before CLI11 parses it, so a mistake is named in the
// user's terms: an unknown option with the nearest known one, a command's own flags after
// a forgotten `--`, an unknown command. Pure (unit-tested in tests/unit/arg_check_test.cpp).
//
//   CommandSyntax run{"run", {{"--writable", true}, {"--json", false}}, true};
//   if (auto e = check_command_args(run, {"--writeable", "/tmp", "--", "true"}))
//     ...  // "run: unknown option '--writeable'" hint "did you mean --writable?"
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cordon::cli {

struct OptionSyntax {
  std::string name;  // "--writable" or "-h"
  bool takes_value = false;
};

struct CommandSyntax {
  std::string command;  // "run"
  std::vector<OptionSyntax> options;
  bool takes_command = false;  // run and explain: the command to sandbox, after --
};

// The candidate closest to `word` by edit distance, or "" when none is close enough to be
// what was meant (at most a third of the word's length, and at least 1, edits away).
[[nodiscard]] std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

// `args`: everything after the subcommand's name. Nothing after the first `--` is looked at.
[[nodiscard]] std::optional<Error> check_command_args(const CommandSyntax& syntax,
                                                      const std::vector<std::string>& args);

// The first argument of cordon itself, when it is neither a command nor one of `options`
// (--help, --version): an error naming the nearest command, or saying that a policy option
// (one of `policy_options`) goes after `cordon run`.
[[nodiscard]] std::optional<Error> check_first_arg(const std::string& first,
                                                   const std::vector<std::string>& commands,
                                                   const std::vector<std::string>& options,
                                                   const std::vector<std::string>& policy_options);

}  // namespace cordon::cli
