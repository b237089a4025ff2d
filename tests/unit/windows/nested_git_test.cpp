// F13: git discovery below the top of a root, at parity with the Linux planner's
// collect_gitdir and its walk for protected names at depth. Checked through the access
// model: a repository or an editor directory below the root is protected as the root's
// own, links are never followed, and a walk that runs out of budget is reported.
#include <gtest/gtest.h>

#include <algorithm>

#include "plan/windows/win_path.hpp"
#include "win_fixture.hpp"

namespace cordon::win {
namespace {

using test::Case;
using test::expect_cases;
using test::Host;
using test::kOutside;
using test::kWs;
using test::ws;

bool has_ace_on(const WinPlan& plan, const std::string& path) {
  return std::any_of(plan.aces.begin(), plan.aces.end(),
                     [&](const PlannedAce& a) { return same_path(a.path, path); });
}

TEST(WinNestedGit, RepositoriesAndProtectedNamesBelowTheRootAreProtected) {
  Host h;
  // A vendored repository two levels down, with hooks and a config git would obey when
  // run there (or when an editor runs `git status` there).
  h.fs->mkdir(ws("vendor\\other\\.git\\hooks"));
  h.fs->mkdir(ws("vendor\\other\\.git\\objects"));
  h.fs->add_file(ws("vendor\\other\\.git\\config"), {}, "[core]\n");
  h.fs->add_file(ws("vendor\\other\\.git\\HEAD"));
  h.fs->add_file(ws("vendor\\other\\main.c"));
  // A checkout whose .git is a pointer file .gitmodules does not name.
  h.fs->mkdir(ws("third\\lib"));
  h.fs->mkdir(ws("third\\libgit\\hooks"));
  h.fs->add_file(ws("third\\libgit\\config"), {}, "[core]\n");
  h.fs->add_file(ws("third\\libgit\\HEAD"));
  h.fs->add_file(ws("third\\lib\\.git"), {}, "gitdir: ../libgit\n");
  // An editor directory below the root: VS Code opened in sub reads it.
  h.fs->mkdir(ws("sub\\.vscode"));
  h.fs->add_file(ws("sub\\.vscode\\tasks.json"));
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  TokenModel t = model_token(*r, h.host);
  expect_cases(*h.fs, t,
               {{Op::Write, ws("vendor\\other\\.git\\config"), false},
                {Op::Create, ws("vendor\\other\\.git\\hooks\\post-checkout"), false},
                {Op::Rename, ws("vendor\\other\\.git"), false, ws("vendor\\other\\git_old")},
                {Op::Rename, ws("vendor\\other"), false, ws("vendor\\other2")},
                {Op::Rename, ws("vendor"), false, ws("vendor2")},
                {Op::Write, ws("third\\lib\\.git"), false},
                {Op::Write, ws("third\\libgit\\config"), false},
                {Op::Create, ws("third\\libgit\\hooks\\pre-commit"), false},
                {Op::Write, ws("sub\\.vscode\\tasks.json"), false},
                {Op::Create, ws("sub\\.vscode\\launch.json"), false},
                {Op::Rename, ws("sub\\.vscode"), false, ws("sub\\vscode_old")},
                // What git and the command need stays writable.
                {Op::Create, ws("vendor\\other\\.git\\objects\\ab"), true},
                {Op::Write, ws("vendor\\other\\main.c"), true},
                {Op::Create, ws("sub\\new.txt"), true}});
  // The nested gitdir is watched like the root's: a commondir made there during the run
  // is renamed away after it.
  EXPECT_TRUE(std::any_of(r->git_watch.begin(), r->git_watch.end(),
                          [](const GitWatch& w) { return same_path(w.gitdir, ws("vendor\\other\\.git")); }));
  EXPECT_TRUE(r->walk_truncated.empty());
}

TEST(WinNestedGit, AWorktreeGitDirsCommondirIsProtectedWhereverItPoints) {
  Host h;
  // ws\.git\worktrees\wt2 takes its config and hooks from ws\shared.git (its commondir),
  // which is not ws\.git: Linux's collect_gitdir follows it, so does this planner.
  h.fs->mkdir(ws(".git\\worktrees\\wt2"));
  h.fs->add_file(ws(".git\\worktrees\\wt2\\HEAD"));
  h.fs->add_file(ws(".git\\worktrees\\wt2\\commondir"), {}, "../../../shared.git\n");
  h.fs->mkdir(ws("shared.git\\hooks"));
  h.fs->add_file(ws("shared.git\\config"), {}, "[core]\n");
  h.fs->add_file(ws("shared.git\\HEAD"));
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  TokenModel t = model_token(*r, h.host);
  expect_cases(*h.fs, t,
               {{Op::Write, ws("shared.git\\config"), false},
                {Op::Create, ws("shared.git\\hooks\\post-checkout"), false},
                {Op::Rename, ws("shared.git"), false, ws("shared_old.git")},
                {Op::Create, ws("shared.git\\objects"), true}});
}

TEST(WinNestedGit, TheWalkFollowsNoLinkAndSkipsToolCaches) {
  Host h;
  h.fs->mkdir(std::string(kOutside) + "\\proj\\.git\\hooks");
  h.fs->add_file(std::string(kOutside) + "\\proj\\.git\\config");
  h.fs->mkdir(std::string(kOutside) + "\\proj\\.vscode");
  h.fs->mkdir(ws("deep"));
  h.fs->add_link(ws("deep\\lnk"), kOutside);
  h.fs->mkdir(ws("node_modules\\pkg\\.vscode"));
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  // Nothing through the link: no ACE lands outside the root by way of the walk.
  EXPECT_FALSE(has_ace_on(*r, std::string(kOutside) + "\\proj\\.git\\config"));
  EXPECT_FALSE(has_ace_on(*r, std::string(kOutside) + "\\proj\\.vscode"));
  EXPECT_FALSE(has_ace_on(*r, std::string(kOutside) + "\\proj"));
  // Tool caches are not searched (as on Linux): node_modules holds no editor a user opens.
  EXPECT_FALSE(has_ace_on(*r, ws("node_modules\\pkg\\.vscode")));
}

// A .git pointer file (or a commondir) is text the sandbox may have written in an
// earlier run: one naming a directory outside every root must not make cordon create
// placeholders or persistent ACEs there (the sandbox cannot write there anyway).
TEST(WinNestedGit, APointerOutOfTheRootsSteersNoAceOrPlaceholderThere) {
  Host h;
  h.fs->add_file(std::string(kOutside) + "\\HEAD");
  h.fs->mkdir(ws("planted"));
  h.fs->add_file(ws("planted\\.git"), {}, std::string("gitdir: ") + kOutside + "\n");
  h.fs->mkdir(ws(".git\\worktrees\\evil"));
  h.fs->add_file(ws(".git\\worktrees\\evil\\HEAD"));
  h.fs->add_file(ws(".git\\worktrees\\evil\\commondir"), {}, "C:\\Users\\alice\\extra\n");
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  for (const auto& a : r->aces) {
    EXPECT_FALSE(is_within(a.path, kOutside)) << a.path << ": " << a.reason;
    EXPECT_FALSE(is_within(a.path, test::kExtra)) << a.path << ": " << a.reason;
  }
  for (const auto& ph : r->placeholders) {
    EXPECT_FALSE(is_within(ph.path, kOutside)) << ph.path;
    EXPECT_FALSE(is_within(ph.path, test::kExtra)) << ph.path;
  }
  // The pointer and the commondir themselves, inside the root, are protected.
  EXPECT_TRUE(has_ace_on(*r, ws("planted\\.git")));
  EXPECT_TRUE(has_ace_on(*r, ws(".git\\worktrees\\evil\\commondir")));
}

TEST(WinNestedGit, AWalkOutOfBudgetIsReportedNeverSilent) {
  Host h;
  h.fs->mkdir(ws("a\\b\\c"));
  h.fs->mkdir(ws("a\\b\\c\\.vscode"));
  PlanOptions options = test::with_audit();
  options.walk_budget = 3;
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), options);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_FALSE(r->walk_truncated.empty());
  EXPECT_TRUE(same_path(r->walk_truncated.front(), kWs));
  PlanReport report = to_report(*r, test::ws_policy(), h.host);
  auto prot = std::find_if(report.guarantees.begin(), report.guarantees.end(),
                           [](const Guarantee& g) { return g.name == "protected paths"; });
  ASSERT_NE(prot, report.guarantees.end());
  EXPECT_EQ(prot->state, GuaranteeState::Degraded);
  EXPECT_NE(prot->detail.find("stopped early"), std::string::npos) << prot->detail;
  EXPECT_EQ(to_json(*r)["walk_truncated"].size(), 1u);
}

}  // namespace
}  // namespace cordon::win
