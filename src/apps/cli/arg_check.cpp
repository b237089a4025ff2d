#include "apps/cli/arg_check.hpp"

#include <algorithm>
#include <cstddef>

namespace cordon::cli {
namespace {

// Levenshtein distance, with a swap of two neighbours counted as one edit ("--wirtable").
size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

bool is_option_like(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-';
}

const OptionSyntax* find_option(const CommandSyntax& syntax, const std::string& name) {
  for (const auto& o : syntax.options)
    if (o.name == name) return &o;
  return nullptr;
}

std::string command_line(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  // Option names share their dashes: they are not part of the likeness.
  auto bare = [](const std::string& s) { return s.substr(std::min(s.find_first_not_of('-'), s.size())); };
  const std::string w = bare(word);
  if (w.empty()) return {};
  const size_t allowed = std::max<size_t>(1, (w.size() + 2) / 3);
  std::string best;
  size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    const std::string b = bare(c);
    size_t dist = edit_distance(w, b);
    // A prefix of a longer name ("--writ") is what was meant too.
    if (w.size() >= 3 && b.compare(0, w.size(), w) == 0) dist = std::min(dist, allowed);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  return best;
}

std::optional<Error> check_command_args(const CommandSyntax& syntax, const std::vector<std::string>& args) {
  std::vector<std::string> names;
  for (const auto& o : syntax.options) names.push_back(o.name);
  const std::string usage =
      "cordon " + syntax.command + " [OPTIONS]" + (syntax.takes_command ? " -- CMD [ARGS...]" : "");
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return std::nullopt;
    if (!is_option_like(arg)) {
      if (!syntax.takes_command) return std::nullopt;  // CLI11 names it
      // The command has begun without `--`: one of its own flags after it would be read as
      // cordon's. Name that, not the flag.
      for (size_t j = i + 1; j < args.size() && args[j] != "--"; ++j)
        if (is_option_like(args[j])) {
          std::vector<std::string> fixed(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
          fixed.insert(fixed.begin(), {"cordon", syntax.command});
          fixed.push_back("--");
          fixed.insert(fixed.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
          return usage_error(syntax.command,
                             "'" + args[j] + "' comes after the command '" + arg +
                                 "': put -- between cordon's options and the command",
                             command_line(fixed));
        }
      return std::nullopt;
    }
    // "--name=value", "--name value", "-x value"; CLI11 also takes "-xVALUE".
    const size_t eq = arg.find('=');
    std::string name = arg.rfind("--", 0) == 0 ? arg.substr(0, eq) : arg.substr(0, 2);
    const OptionSyntax* found = find_option(syntax, name);
    if (!found) {
      const std::string near = nearest(name, names);
      return usage_error(
          syntax.command, "unknown option '" + name + "'",
          near.empty() ? "see cordon " + syntax.command +
                             " --help for the options; the command goes after --: " + usage
                       : "did you mean " + near + "? (cordon " + syntax.command + " --help lists them all)");
    }
    const bool value_inline = arg.rfind("--", 0) == 0 ? eq != std::string::npos : arg.size() > 2;
    if (found->takes_value && !value_inline) ++i;  // its value, whatever it looks like
  }
  return std::nullopt;
}

std::optional<Error> check_first_arg(const std::string& first, const std::vector<std::string>& commands,
                                     const std::vector<std::string>& options,
                                     const std::vector<std::string>& policy_options) {
  if (std::find(commands.begin(), commands.end(), first) != commands.end()) return std::nullopt;
  if (std::find(options.begin(), options.end(), first) != options.end()) return std::nullopt;
  if (is_option_like(first)) {
    const std::string name = first.substr(0, first.find('='));
    if (std::find(policy_options.begin(), policy_options.end(), name) != policy_options.end())
      return usage_error(name, "is an option of a command, not of cordon itself",
                         "cordon run " + name + " ... -- CMD [ARGS...]");
    const std::string near = nearest(name, options);
    const std::string near_policy = nearest(name, policy_options);
    return usage_error(name, "unknown option",
                       !near.empty()          ? "did you mean " + near + "?"
                       : !near_policy.empty() ? "did you mean cordon run " + near_policy + " ... -- CMD?"
                                              : "see cordon --help");
  }
  const std::string near = nearest(first, commands);
  return usage_error(first, "unknown command",
                     near.empty() ? "the commands are " + command_line(commands) +
                                        "; to sandbox a program: cordon run -- " + first
                                  : "did you mean cordon " + near + "?");
}

}  // namespace cordon::cli
