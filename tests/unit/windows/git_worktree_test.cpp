// core.hooksPath of nested submodules and linked worktrees on Windows, at parity with the
// Linux planner's collect_gitdir: a relative value starts at the checkout whose .git led to
// the gitdir (a submodule's sub\mod, a linked worktree's top), even when the gitdir was met
// first below .git\modules or .git\worktrees; the common config is read again against
// each worktree's top; a gitdir outside every root still has its configuration read. Each
// case is checked through the access model, and fails on the planner before these fixes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

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

bool has_placeholder(const WinPlan& plan, const std::string& path) {
  return std::any_of(plan.placeholders.begin(), plan.placeholders.end(),
                     [&](const Placeholder& p) { return same_path(p.path, path); });
}

struct Planned {
  WinPlan plan;
  TokenModel token;
};

Planned plan_and_apply(Host& h, const Policy& policy = test::ws_policy()) {
  auto r = plan_windows(policy, h.host, test::test_caps(), test::with_audit());
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  if (!r) return {};
  test::apply(*h.fs, *r);
  return {*r, model_token(*r, h.host)};
}

// ws\sub\mod is a submodule checkout; its gitdir ws\.git\modules\sub\mod is found first by
// the walk of ws\.git\modules, then through the checkout's .git pointer.
void add_submodule(Host& h, const std::string& config) {
  h.fs->add_file(ws(".gitmodules"), {}, "[submodule \"mod\"]\n\tpath = sub/mod\n\turl = ../mod\n");
  h.fs->mkdir(ws(".git\\modules\\sub\\mod\\hooks"));
  h.fs->add_file(ws(".git\\modules\\sub\\mod\\HEAD"));
  h.fs->add_file(ws(".git\\modules\\sub\\mod\\config"), {}, config);
  h.fs->mkdir(ws("sub\\mod\\.githooks"));
  h.fs->add_file(ws("sub\\mod\\.git"), {}, "gitdir: ../../.git/modules/sub/mod\n");
}

TEST(WinGitWorktree, ASubmodulesRelativeHooksPathStartsAtItsCheckout) {
  Host h;
  add_submodule(h, "[core]\n\thooksPath = .githooks\n");
  auto p = plan_and_apply(h);
  expect_cases(*h.fs, p.token,
               {{Op::Create, ws("sub\\mod\\.githooks\\pre-commit"), false},
                {Op::Rename, ws("sub\\mod\\.githooks"), false, ws("sub\\mod\\old")},
                {Op::Rename, ws("sub\\mod"), false, ws("sub\\mod2")},
                {Op::Create, ws("sub\\mod\\main.c"), true}});
}

TEST(WinGitWorktree, ANestedSubmodulesHooksPathStartsAtItsOwnCheckout) {
  // A submodule of a submodule: ws\sub\mod\lib's gitdir lies in the submodule's gitdir.
  Host h;
  add_submodule(h, "[core]\n");
  h.fs->add_file(ws("sub\\mod\\.gitmodules"), {}, "[submodule \"lib\"]\n\tpath = lib\n");
  h.fs->mkdir(ws(".git\\modules\\sub\\mod\\modules\\lib\\hooks"));
  h.fs->add_file(ws(".git\\modules\\sub\\mod\\modules\\lib\\HEAD"));
  h.fs->add_file(ws(".git\\modules\\sub\\mod\\modules\\lib\\config"), {}, "[core]\n\thooksPath = ci/hooks\n");
  h.fs->mkdir(ws("sub\\mod\\lib\\ci"));
  h.fs->add_file(ws("sub\\mod\\lib\\.git"), {}, "gitdir: ../../../.git/modules/sub/mod/modules/lib\n");
  auto p = plan_and_apply(h);
  EXPECT_TRUE(has_placeholder(p.plan, ws("sub\\mod\\lib\\ci\\hooks")));
  expect_cases(*h.fs, p.token,
               {{Op::Create, ws("sub\\mod\\lib\\ci\\hooks\\pre-commit"), false},
                {Op::Rename, ws("sub\\mod\\lib\\ci"), false, ws("sub\\mod\\lib\\ci2")},
                {Op::Create, ws("sub\\mod\\lib\\ci\\notes.txt"), true}});
}

TEST(WinGitWorktree, TheCommonConfigIsReadAgainstALinkedWorktreesTop) {
  // git worktree add wt\feature: its gitdir ws\.git\worktrees\feature names ws\.git as its
  // common dir, whose relative hooksPath git takes from wt\feature when run there.
  Host h;
  h.fs->remove(ws(".git\\config"));
  h.fs->add_file(ws(".git\\config"), {}, "[core]\n\thooksPath = .githooks\n");
  h.fs->mkdir(ws(".git\\worktrees\\feature"));
  h.fs->add_file(ws(".git\\worktrees\\feature\\HEAD"));
  h.fs->add_file(ws(".git\\worktrees\\feature\\commondir"), {}, "../..\n");
  h.fs->add_file(ws(".git\\worktrees\\feature\\gitdir"), {}, std::string(kWs) + "\\wt\\feature\\.git\n");
  h.fs->mkdir(ws("wt\\feature\\.githooks"));
  h.fs->add_file(ws("wt\\feature\\.git"), {}, std::string("gitdir: ") + kWs + "\\.git\\worktrees\\feature\n");
  auto p = plan_and_apply(h);
  EXPECT_TRUE(has_placeholder(p.plan, ws(".githooks")));
  expect_cases(*h.fs, p.token,
               {{Op::Create, ws("wt\\feature\\.githooks\\pre-commit"), false},
                {Op::Delete, ws("wt\\feature\\.githooks"), false},
                {Op::Create, ws(".githooks\\pre-commit"), false},
                {Op::Create, ws("wt\\feature\\README.md"), true}});
}

TEST(WinGitWorktree, AWorktreesConfigWorktreeStartsAtItsTop) {
  // extensions.worktreeConfig: the worktree's own config.worktree, in its gitdir.
  Host h;
  h.fs->mkdir(ws(".git\\worktrees\\feature"));
  h.fs->add_file(ws(".git\\worktrees\\feature\\HEAD"));
  h.fs->add_file(ws(".git\\worktrees\\feature\\commondir"), {}, "../..\n");
  h.fs->add_file(ws(".git\\worktrees\\feature\\config.worktree"), {}, "[core]\n\thooksPath = hooks\n");
  h.fs->mkdir(ws("wt\\feature\\hooks"));
  h.fs->add_file(ws("wt\\feature\\.git"), {}, "gitdir: ../../.git/worktrees/feature\n");
  auto p = plan_and_apply(h);
  expect_cases(*h.fs, p.token,
               {{Op::Create, ws("wt\\feature\\hooks\\post-checkout"), false},
                {Op::Write, ws(".git\\worktrees\\feature\\config.worktree"), false},
                {Op::Create, ws("wt\\feature\\notes.txt"), true}});
}

TEST(WinGitWorktree, AWorkspaceThatIsALinkedWorktreeOfARepositoryElsewhere) {
  // git worktree add ..\ws from outside\main: the gitdir and its common dir are outside
  // every root (read-only already), but a relative hooksPath there names ws's own
  // directories, which the sandbox can write.
  Host h;
  h.fs->remove(ws(".git\\hooks\\pre-commit"));
  for (const char* name : {"hooks", "objects"}) h.fs->remove(ws(std::string(".git\\") + name));
  for (const char* name : {"config", "HEAD", "index", "index.lock"})
    h.fs->remove(ws(std::string(".git\\") + name));
  ASSERT_TRUE(h.fs->remove(ws(".git")));
  const std::string main_git = std::string(kOutside) + "\\main\\.git";
  h.fs->mkdir(main_git + "\\hooks");
  h.fs->add_file(main_git + "\\HEAD");
  h.fs->add_file(main_git + "\\config", {}, "[core]\n\thooksPath = .githooks\n");
  h.fs->mkdir(main_git + "\\worktrees\\ws");
  h.fs->add_file(main_git + "\\worktrees\\ws\\HEAD");
  h.fs->add_file(main_git + "\\worktrees\\ws\\commondir", {}, "../..\n");
  h.fs->add_file(main_git + "\\worktrees\\ws\\config.worktree", {}, "[alias]\n\tt = !tools/t.cmd\n");
  h.fs->add_file(ws(".git"), {}, "gitdir: " + main_git + "\\worktrees\\ws\n");
  h.fs->mkdir(ws("tools"));
  auto p = plan_and_apply(h);
  EXPECT_TRUE(has_placeholder(p.plan, ws(".githooks")));
  EXPECT_TRUE(has_placeholder(p.plan, ws("tools\\t.cmd")));
  expect_cases(*h.fs, p.token,
               {{Op::Create, ws(".githooks\\pre-commit"), false},
                {Op::Delete, ws(".githooks"), false},
                {Op::Create, ws("tools\\t.cmd\\x"), false},
                {Op::Write, ws(".git"), false},
                {Op::Create, ws("tools\\other.cmd"), true}});
  // Nothing is planned outside the roots: the gitdir is only read.
  for (const auto& a : p.plan.aces) EXPECT_FALSE(is_within(a.path, kOutside)) << a.path << ": " << a.reason;
  for (const auto& ph : p.plan.placeholders) EXPECT_FALSE(is_within(ph.path, kOutside)) << ph.path;
}

TEST(WinGitWorktree, ADotDotIsResolvedByTextAsWin32Does) {
  // Win32 folds `..` out of a path before the object manager sees it (NTFS has no `..`
  // entry to walk), so hooksPath = out/../githooks is ws\githooks whatever ws\out is (a
  // junction out of the workspace in the fixture): the lexical path is the one protected,
  // and the junction on the way is not a protected link.
  Host h;
  h.fs->remove(ws(".git\\config"));
  h.fs->add_file(ws(".git\\config"), {}, "[core]\n\thooksPath = out/../githooks\n");
  auto p = plan_and_apply(h);
  EXPECT_TRUE(has_placeholder(p.plan, ws("githooks")));
  EXPECT_TRUE(p.plan.linked_protected.empty());
  expect_cases(*h.fs, p.token, {{Op::Create, ws("githooks\\pre-commit"), false}});
}

TEST(WinGitWorktree, ABareRepositoryBelowTheRootIsProtected) {
  // A local remote (remotes\origin.git): its hooks run when anyone pushes into it, and a
  // relative hooksPath starts at the repository itself (it has no worktree), as on Linux.
  Host h;
  const std::string bare = ws("remotes\\origin.git");
  for (const char* d : {"hooks", "objects", "refs", "custom"}) h.fs->mkdir(bare + "\\" + d);
  h.fs->add_file(bare + "\\HEAD", {}, "ref: refs/heads/main\n");
  h.fs->add_file(bare + "\\config", {}, "[core]\n\tbare = true\n\thooksPath = custom\n");
  auto p = plan_and_apply(h);
  expect_cases(*h.fs, p.token,
               {{Op::Create, bare + "\\hooks\\pre-receive", false},
                {Op::Write, bare + "\\config", false},
                {Op::Create, bare + "\\custom\\update", false},
                {Op::Rename, bare, false, ws("remotes\\o2.git")},
                {Op::Create, bare + "\\objects\\ab", true}});
}

TEST(WinGitWorktree, ARepositoryAtTheTopOfAToolCacheIsProtected) {
  // node_modules is not searched for protected names, but a git dependency checked out
  // there with its .git (two levels: a scoped package too) is a repository like any other.
  Host h;
  for (const char* pkg : {"node_modules\\pkg", "node_modules\\@scope\\lib"}) {
    h.fs->mkdir(ws(std::string(pkg) + "\\.git\\hooks"));
    h.fs->add_file(ws(std::string(pkg) + "\\.git\\HEAD"));
    h.fs->add_file(ws(std::string(pkg) + "\\.git\\config"), {}, "[core]\n");
    h.fs->add_file(ws(std::string(pkg) + "\\index.js"));
  }
  auto p = plan_and_apply(h);
  expect_cases(*h.fs, p.token,
               {{Op::Create, ws("node_modules\\pkg\\.git\\hooks\\post-checkout"), false},
                {Op::Write, ws("node_modules\\@scope\\lib\\.git\\config"), false},
                {Op::Write, ws("node_modules\\pkg\\index.js"), true},
                {Op::Create, ws("node_modules\\pkg\\new.js"), true}});
}

TEST(WinGitWorktree, AGitdirReachedThroughALinkInTheRootIsRefused) {
  // ws\.git is a pointer to gd, a junction in the workspace to ws\real: git follows it, and
  // the command could point it at a directory of its own after the plan. It was skipped
  // (not a real directory), leaving ws\real's hooks and config writable.
  Host h;
  h.fs->mkdir(ws("real\\hooks"));
  h.fs->add_file(ws("real\\HEAD"));
  h.fs->add_file(ws("real\\config"), {}, "[core]\n");
  h.fs->mkdir(ws("sub"));
  h.fs->add_link(ws("sub\\gd"), ws("real"));
  h.fs->mkdir(ws("mod"));
  h.fs->add_file(ws("mod\\.git"), {}, "gitdir: ../sub/gd\n");
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("junction or symbolic link"), std::string::npos) << r.error().message();
  Policy best = test::ws_policy();
  best.best_effort = true;
  auto p = plan_and_apply(h, best);
  expect_cases(*h.fs, p.token,
               {{Op::Delete, ws("sub\\gd"), false},
                {Op::Rename, ws("sub"), false, ws("sub2")},
                {Op::Create, ws("real\\hooks\\pre-commit"), false},
                {Op::Write, ws("real\\config"), false}});
}

// Every path the planner looks at, as a real host would be asked.
class RecordingFs : public FsView {
 public:
  explicit RecordingFs(const FsView& inner) : inner_(inner) {}
  FsEntry stat(const std::string& p) const override {
    asked.insert(p);
    return inner_.stat(p);
  }
  bool is_link(const std::string& p) const override {
    asked.insert(p);
    return inner_.is_link(p);
  }
  std::vector<std::string> list(const std::string& p) const override {
    asked.insert(p);
    return inner_.list(p);
  }
  std::optional<std::vector<Ace>> dacl(const std::string& p) const override {
    asked.insert(p);
    return inner_.dacl(p);
  }
  std::optional<std::string> read_small(const std::string& p, size_t max) const override {
    asked.insert(p);
    return inner_.read_small(p, max);
  }
  mutable std::set<std::string> asked;

 private:
  const FsView& inner_;
};

TEST(WinGitWorktree, APointerToAShareOrADeviceIsNeverOpened) {
  // A .git pointer or a commondir is text the sandbox may have written: one naming a share
  // would have cordon authenticate to its server, a pipe would connect cordon to a server
  // the sandbox runs. Neither is opened, stat'ed or listed.
  Host h;
  h.fs->mkdir(ws("planted"));
  h.fs->add_file(ws("planted\\.git"), {}, "gitdir: \\\\attacker\\share\\x\n");
  h.fs->mkdir(ws("tunnel"));
  h.fs->add_file(ws("tunnel\\.git"), {}, "gitdir: //./pipe/evil\n");
  h.fs->mkdir(ws(".git\\worktrees\\evil"));
  h.fs->add_file(ws(".git\\worktrees\\evil\\HEAD"));
  h.fs->add_file(ws(".git\\worktrees\\evil\\commondir"), {}, "\\\\attacker\\share\\common\n");
  RecordingFs rec(*h.fs);
  h.host.fs = &rec;
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  for (const auto& path : rec.asked) {
    EXPECT_EQ(path.find("attacker"), std::string::npos) << path;
    EXPECT_EQ(fold_case(path).find("pipe"), std::string::npos) << path;
  }
  // The pointers themselves, in the root, are protected.
  EXPECT_TRUE(std::any_of(r->aces.begin(), r->aces.end(),
                          [](const PlannedAce& a) { return same_path(a.path, ws("planted\\.git")); }));
}

}  // namespace
}  // namespace cordon::win
