#include "plan/run_summary.hpp"

#include <cstdio>
#include <cstring>

#include "core/terminal_text.hpp"
#include "plan/denial_rules.hpp"

namespace cordon {

std::vector<std::string> summarize_run(const RunFacts& f) {
  std::vector<std::string> lines;
  if (f.cwd_failed)
    lines.push_back("cannot change to '" + f.cwd_failed->first + "': " + std::strerror(f.cwd_failed->second));
  else if (f.exec_failed)
    lines.push_back("cannot run '" + f.exec_failed->first + "': " + std::strerror(f.exec_failed->second));
  const bool quiet = f.command_succeeded && !f.every_denial;
  if (f.proxy_refused_total > 0 && !quiet) {
    lines.push_back("network: " + std::to_string(f.proxy_refused_total) + " connection" +
                    (f.proxy_refused_total == 1 ? "" : "s") + " refused by the proxy:");
    for (const auto& r : f.proxy_refusals) lines.push_back("  " + r);
  }
  for (const auto& note : f.git_notes) lines.push_back(note + " (a repository created inside the sandbox)");
  for (const auto& w : f.git_warnings) lines.push_back("warning: " + w);
  if (f.best_effort)
    for (const auto& g : f.guarantees)
      if (g.state == GuaranteeState::Degraded || g.state == GuaranteeState::Missing)
        lines.push_back("warning: " + g.name +
                        (g.state == GuaranteeState::Degraded ? " degraded" : " not enforced") + " (" +
                        g.detail + ")");
  if (quiet) {
    // Success: one line at most for every refusal the command coped with (the proxy's
    // included), naming the first that a tool does not expect.
    size_t count = f.proxy_refused_total;
    std::string first;
    for (const auto& d : f.denials)
      if (!expected_refusal(d)) {
        if (first.empty()) first = to_text(d);
        ++count;
      }
    if (first.empty() && !f.proxy_refusals.empty())
      first = "connection refused by the proxy: " + f.proxy_refusals[0];
    if (count > 0)
      lines.push_back("the command succeeded; " + std::to_string(count) + (f.denials_truncated ? "+" : "") +
                      " refused operation" + (count == 1 ? "" : "s") +
                      " along the way (--report-denials full or --json lists " +
                      (count == 1 ? "it" : "them") + "); the first: " + first);
  } else {
    for (size_t i = 0; i < f.denials.size() && (f.every_denial || i < kDenialsShown); ++i)
      lines.push_back(to_text(f.denials[i]));
    if ((!f.every_denial && f.denials.size() > kDenialsShown) || f.denials_truncated)
      lines.push_back("... and more denials (see --json)");
  }
  if (f.stop_killed) lines.push_back(*f.stop_killed);
  if (f.timed_out_after) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "timed out after %.3g s; the whole process tree was killed",
                  *f.timed_out_after);
    lines.emplace_back(buf);
  }
  for (const auto& l : f.limits_exceeded) lines.push_back("limit exceeded: " + l);
  for (const auto& l : f.limits_reached) lines.push_back("limit reached: " + l);
  return lines;
}

bool expected_refusal(const Denial& d) {
  auto ends_with = [&](const std::string& suffix) {
    return d.path.size() >= suffix.size() &&
           d.path.compare(d.path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  // git status, diff, describe: "refresh the index if we can" (git's repo_refresh_and_write_index
  // tolerates a lock it cannot take); a real write of the index fails the git command itself.
  return d.operation == "create" && ends_with("/.git/index.lock");
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  out.push_back(text.substr(start));
  return out;
}

void print_lines(const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    const std::string text = "cordon: " + escape_for_terminal(line) + "\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
  }
  std::fflush(stderr);
}

}  // namespace cordon
