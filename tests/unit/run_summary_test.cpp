#include "plan/run_summary.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace cordon {
namespace {

Denial denial(const std::string& path) {
  Denial d;
  d.operation = "create";
  d.path = path;
  d.rule = "outside the writable roots";
  d.suggestion = "--writable /x";
  return d;
}

TEST(RunSummary, NothingToSayIsSilent) {
  EXPECT_TRUE(summarize_run(RunFacts{}).empty());
}

TEST(RunSummary, OrderIsFixed) {
  RunFacts f;
  f.exec_failed = std::make_pair(std::string("nosuch"), ENOENT);
  f.proxy_refused_total = 3;
  f.proxy_refusals = {"evil.example:443 (not in the allowlist) x3"};
  f.git_notes = {"disabled hook pre-commit"};
  f.git_warnings = {"cannot verify .git"};
  f.denials = {denial("/x/a")};
  f.timed_out_after = 2.5;
  f.limits_exceeded = {"memory (OOM kill)"};
  f.limits_reached = {"pids (3 forks refused; the command carried on)"};
  const auto lines = summarize_run(f);
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[0], "cannot run 'nosuch': No such file or directory");
  EXPECT_EQ(lines[1], "network: 3 connections refused by the proxy:");
  EXPECT_EQ(lines[2], "  evil.example:443 (not in the allowlist) x3");
  EXPECT_EQ(lines[3], "disabled hook pre-commit (a repository created inside the sandbox)");
  EXPECT_EQ(lines[4], "warning: cannot verify .git");
  EXPECT_NE(lines[5].find("/x/a"), std::string::npos);
  EXPECT_EQ(lines[6], "timed out after 2.5 s; the whole process tree was killed");
  EXPECT_EQ(lines[7], "limit exceeded: memory (OOM kill)");
  EXPECT_EQ(lines[8], "limit reached: pids (3 forks refused; the command carried on)");
}

TEST(RunSummary, DenialsAreCappedWithAPointerToTheJson) {
  RunFacts f;
  for (int i = 0; i < 15; ++i) f.denials.push_back(denial("/x/" + std::to_string(i)));
  const auto lines = summarize_run(f);
  ASSERT_EQ(lines.size(), kDenialsShown + 1);
  EXPECT_EQ(lines.back(), "... and more denials (see --json)");
  f.denials.resize(2);
  f.denials_truncated = true;
  EXPECT_EQ(summarize_run(f).back(), "... and more denials (see --json)");
}

TEST(RunSummary, LossesAreWarnedOnlyUnderBestEffort) {
  RunFacts f;
  f.guarantees = {{"protected paths", GuaranteeState::Missing, "", "landlock cannot carve out", ""},
                  {"write confinement", GuaranteeState::Enforced, "landlock", "", ""},
                  {"network allowlist", GuaranteeState::Degraded, "", "ports, not addresses", ""}};
  EXPECT_TRUE(summarize_run(f).empty());  // refused before the run without --best-effort
  f.best_effort = true;
  const auto lines = summarize_run(f);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "warning: protected paths not enforced (landlock cannot carve out)");
  EXPECT_EQ(lines[1], "warning: network allowlist degraded (ports, not addresses)");
}

// The lines are data; the escaping happens in print_lines. A hostile name keeps its bytes
// here, so the JSON result stays exact.
TEST(RunSummary, HostileNamesAreKeptForPrintToEscape) {
  RunFacts f;
  f.denials = {denial("/w/a\ncordon: exit 0 (ok)\x1b[2K")};
  const auto lines = summarize_run(f);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find('\n'), std::string::npos);
}

// A command that succeeded gets one line for every refusal it coped with (issue: npm, pip and
// git printed lists of denials after runs that worked).
TEST(RunSummary, SuccessGetsOneLineAtMost) {
  RunFacts f;
  f.command_succeeded = true;
  for (int i = 0; i < 4; ++i) f.denials.push_back(denial("/x/" + std::to_string(i)));
  f.proxy_refused_total = 2;
  f.proxy_refusals = {"evil.example:443 (not in the allowlist) x2"};
  auto lines = summarize_run(f);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("the command succeeded; 6 refused operations"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("--report-denials full"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("/x/0"), std::string::npos) << lines[0];
  // --report-denials full: every one, even on success.
  f.every_denial = true;
  lines = summarize_run(f);
  EXPECT_EQ(lines.size(), 2u + 4u) << "two proxy lines and four denials";
}

TEST(RunSummary, ExpectedRefusalsAreNotCountedOnSuccess) {
  RunFacts f;
  f.command_succeeded = true;
  Denial lock = denial("/w/.git/index.lock");
  lock.rule = "read-only mode";
  lock.suggestion = "--mode workspace-write";
  f.denials = {lock};
  EXPECT_TRUE(summarize_run(f).empty());
  EXPECT_TRUE(expected_refusal(lock));
  EXPECT_FALSE(expected_refusal(denial("/w/.git/index")));
  // A failed command still gets the whole list, the expected one included.
  f.command_succeeded = false;
  EXPECT_EQ(summarize_run(f).size(), 1u);
}

TEST(RunSummary, StopKilledIsSaid) {
  RunFacts f;
  f.stop_killed = "still running 5 s after SIGTERM: the whole process tree was killed";
  const auto lines = summarize_run(f);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], *f.stop_killed);
}

}  // namespace
}  // namespace cordon
