// summarize -> print: the lines cordon writes to stderr when a run ends.
//
// summarize_run() is pure (table-tested in tests/unit/run_summary_test.cpp): it turns
// what the run found out into lines, in a fixed order. print_lines() is the only code of
// a Linux run that writes cordon's own report to the terminal, and it escapes every line
// (core/terminal_text.hpp): file and host names, argv and key names come from the sandbox,
// and a name with an escape sequence or a newline must not erase, hide or forge a line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "plan/report.hpp"

namespace cordon {

struct RunFacts {
  // The command could not be started: its argv[0] and the errno of execve.
  std::optional<std::pair<std::string, int>> exec_failed;
  // The working directory an MCP request named could not be entered: the path and errno.
  std::optional<std::pair<std::string, int>> cwd_failed;
  std::vector<std::string> proxy_refusals;  // one line per distinct refusal (summarize_refusals)
  size_t proxy_refused_total = 0;
  std::vector<std::string> git_notes;     // what the post-run repository check did
  std::vector<std::string> git_warnings;  // ... and what it could not do (loud)
  std::vector<Guarantee> guarantees;      // the plan's; degraded and missing ones are warned about
  bool best_effort = false;
  std::vector<Denial> denials;
  bool denials_truncated = false;
  // The command exited 0: refusals it coped with get one summary line, not a list (unless
  // every_denial: --report-denials full), and the ones tools expect and handle are not
  // counted at all (expected_refusal()).
  bool command_succeeded = false;
  bool every_denial = false;
  std::optional<double> timed_out_after;  // seconds
  // Still running after cordon forwarded SIGTERM/SIGHUP: the line that says how it ended.
  std::optional<std::string> stop_killed;
  std::vector<std::string> limits_exceeded;
  std::vector<std::string> limits_reached;
};

// At most this many denials are listed; the JSON result has the whole (bounded) list.
inline constexpr size_t kDenialsShown = 10;

[[nodiscard]] std::vector<std::string> summarize_run(const RunFacts& facts);

// A refusal a tool expects and handles on its own, with no effect on its result: git's
// opportunistic refresh of the index (`git status` takes .git/index.lock, and goes on
// without it when it cannot). Still in the JSON result; never the subject of a line when
// the command succeeds.
[[nodiscard]] bool expected_refusal(const Denial& d);

// Writes each line as "cordon: <escaped line>\n" to stderr.
void print_lines(const std::vector<std::string>& lines);

// cordon's own multi-line text (an error with its hint) as separate lines, so that
// print_lines keeps its structure while escaping what is inside each line.
[[nodiscard]] std::vector<std::string> split_lines(const std::string& text);

}  // namespace cordon
