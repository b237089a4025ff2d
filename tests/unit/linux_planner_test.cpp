// Table tests for the Linux planner: Policy + simulated host -> exact plan.
// No kernel involved: the filesystem is a map and the host capabilities are data.
#include "plan/linux_planner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "core/defaults.hpp"
#include "core/paths.hpp"
#include "plan/denial_rules.hpp"
#include "plan/git_hooks_path.hpp"
#include "plan/landlock_abi.hpp"
#include "unit/fake_fs.hpp"

namespace cordon {
namespace {

Policy base_policy() {
  Policy p;
  p.workspace = "/home/u/proj";
  p.deny_read = {"/home/u/.ssh", "/home/u/.aws"};
  return p;
}

FakeFs base_fs() {
  FakeFs fs;
  fs.dir("/home/u/proj/src")
      .dir("/home/u/proj/.git/hooks")
      .file("/home/u/proj/.git/config")
      .file("/home/u/proj/.git/HEAD");
  fs.dir("/home/u/.ssh")
      .file("/home/u/.ssh/id_rsa")
      .dir("/home/u/.cache")
      .dir("/usr/bin")
      .dir("/etc")
      .dir("/tmp");
  return fs;
}

LinuxHostCaps host(int abi, bool userns = true) {
  LinuxHostCaps c;
  c.landlock_abi = abi;
  c.userns = userns;
  c.uid = 1000;
  if (!userns) c.userns_reason = "test: no user namespaces";
  return c;
}

const LinuxPlanInputs kInputs{"/home/u/.local/state/cordon/tmp/proj-1", "/home/u"};

std::vector<std::string> targets(const LinuxPlan& plan, MountKind kind) {
  std::vector<std::string> out;
  for (const auto& m : plan.mounts)
    if (m.kind == kind) out.push_back(m.target);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const LandlockRule* rule_for(const LinuxPlan& plan, const std::string& path) {
  for (const auto& r : plan.landlock.rules)
    if (r.path == path) return &r;
  return nullptr;
}

// Landlock unions every rule on the same path.
uint64_t access_for(const LinuxPlan& plan, const std::string& path) {
  uint64_t a = 0;
  for (const auto& r : plan.landlock.rules)
    if (r.path == path) a |= r.access;
  return a;
}

TEST(LinuxPlanner, DefaultPolicyProtectsGitHooksAndConfigAndPinsGit) {
  auto fs = base_fs();
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->sandbox, LinuxSandbox::Namespaces);
  EXPECT_TRUE(plan->new_netns);
  auto ro = targets(*plan, MountKind::BindReadOnly);
  EXPECT_TRUE(contains(ro, "/home/u/proj/.git/hooks"));
  EXPECT_TRUE(contains(ro, "/home/u/proj/.git/config"));
  EXPECT_FALSE(contains(ro, "/home/u/proj/.git"));  // objects, refs and index stay writable
  EXPECT_TRUE(contains(targets(*plan, MountKind::Pin), "/home/u/proj/.git"));
  EXPECT_TRUE(contains(targets(*plan, MountKind::BindWritable), "/home/u/proj"));
  // Pins come before the read-only binds inside them.
  auto pos = [&](const std::string& t) {
    return std::find_if(plan->mounts.begin(), plan->mounts.end(),
                        [&](const MountStep& m) { return m.target == t; }) -
           plan->mounts.begin();
  };
  EXPECT_LT(pos("/home/u/proj/.git"), pos("/home/u/proj/.git/hooks"));
}

TEST(LinuxPlanner, MissingProtectedNamesAreRefusedByTheBrokerWithNothingPutInTheWorkspace) {
  auto fs = base_fs();
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->placeholders.empty());
  std::set<std::string> refused;
  for (const auto& r : plan->refused_creations) refused.insert(r.path);
  for (const char* n : {".cordon", ".codex", ".claude", ".agents", ".cursor", ".vscode", ".idea"}) {
    const std::string path = std::string("/home/u/proj/") + n;
    EXPECT_TRUE(refused.count(path)) << n;
    // Nothing to bind: the path does not exist, and nothing is made for it.
    for (const auto& m : plan->mounts) EXPECT_NE(m.target, path);
  }
  EXPECT_FALSE(refused.count("/home/u/proj/.git/hooks"));  // exists
}

TEST(LinuxPlanner, WithoutSeccompMissingProtectedNamesGetPlaceholders) {
  auto fs = base_fs();
  auto caps = host(7);
  caps.seccomp = false;
  auto p = base_policy();
  p.best_effort = true;  // no broker for unix sockets either
  auto plan = plan_linux(p, caps, fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->refused_creations.empty());
  std::set<std::string> ph;
  for (const auto& x : plan->placeholders) ph.insert(x.path);
  for (const char* n : {".cordon", ".codex", ".claude", ".agents", ".cursor", ".vscode", ".idea"})
    EXPECT_TRUE(ph.count(std::string("/home/u/proj/") + n)) << n;
  for (const auto& e : defaults::protected_name_entries()) {
    const std::string path = std::string("/home/u/proj/") + e.name;
    for (const auto& x : plan->placeholders)
      if (x.path == path) {
        EXPECT_EQ(x.directory, e.directory) << path;
      }
  }
}

TEST(LinuxPlanner, MissingHooksDirInExistingRepoIsBlocked) {
  FakeFs fs;
  fs.file("/home/u/proj/.git/config").file("/home/u/proj/.git/HEAD");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  bool found = false;
  for (const auto& r : plan->refused_creations) found |= r.path == "/home/u/proj/.git/hooks";
  EXPECT_TRUE(found);
}

// core.hooksPath moves the hooks: every value in the files git reads (and what they
// include, conditionally or not) names a directory to protect.
TEST(GitHooksPath, EveryValueInEveryFileGitReadsIsFound) {
  FakeFs fs;
  fs.file("/etc/gitconfig", "[core]\n\thooksPath = /srv/hooks\n");
  fs.file("/home/u/.gitconfig",
          "[include]\n\tpath = extra.inc\n[includeIf \"gitdir:~/work/\"]\n\tpath = ~/work.inc\n");
  fs.file("/home/u/extra.inc", "[core]\n\thooksPath = ~/global-hooks\n");
  fs.file("/home/u/work.inc", "[core]\n\thookspath = /home/u/work-hooks\n");
  fs.file("/home/u/.config/git/config", "[CORE]\n\tHooksPath = xdg-relative\n");
  fs.file("/home/u/proj/.git/config", "[core]\n\thooksPath = .githooks\n[core]\n\thooksPath = .githooks\n");
  fs.file("/home/u/proj/.git/config.worktree", "[core] hooksPath = ../elsewhere/./h\n");
  auto found = git_hooks::code_files(fs, {"/home/u/proj/.git", "/home/u/proj", "/home/u"}).hooks_dirs;
  EXPECT_EQ(found, (std::vector<std::string>{"/srv/hooks", "/home/u/proj/xdg-relative",
                                             "/home/u/global-hooks", "/home/u/work-hooks",
                                             "/home/u/proj/.githooks", "/home/u/elsewhere/h"}));
}

TEST(GitHooksPath, IncludeCyclesEnd) {
  FakeFs fs;
  fs.file("/home/u/.gitconfig", "[include]\n\tpath = ~/.gitconfig\n[core]\n\thooksPath = /h\n");
  EXPECT_EQ(git_hooks::code_files(fs, {"/home/u/proj/.git", "/home/u/proj", "/home/u"}).hooks_dirs,
            std::vector<std::string>{"/h"});
}

TEST(GitHooksPath, IncludedFilesAndTheProgramsConfigRunsAreFound) {
  FakeFs fs;
  fs.file("/home/u/proj/.git/config",
          "[include]\n\tpath = ../.gitconfig\n[filter \"strip\"]\n\tclean = tools/clean --x\n"
          "[diff \"img\"]\n\ttextconv = \"python3 ./scripts/conv.py\"\n[core]\n\tpager = less -R\n");
  fs.file("/home/u/proj/.gitconfig", "[core]\n\tfsmonitor = ~/bin/watch\n[alias]\n\tx = !sh ci/run.sh\n");
  const auto code = git_hooks::code_files(fs, {"/home/u/proj/.git", "/home/u/proj", "/home/u"});
  EXPECT_EQ(code.includes, std::vector<std::string>{"/home/u/proj/.gitconfig"});
  // In the order git reads them: an included file's where it is included.
  EXPECT_EQ(code.programs,
            (std::vector<std::string>{"/home/u/bin/watch", "/home/u/proj/ci/run.sh",
                                      "/home/u/proj/tools/clean", "/home/u/proj/scripts/conv.py"}));
}

// GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM and GIT_CONFIG_NOSYSTEM of the caller choose the
// files git reads outside after the run: those are read instead of ~/.gitconfig, the XDG
// file and /etc/gitconfig.
TEST(GitHooksPath, TheCallersGitConfigVariablesChooseTheFiles) {
  FakeFs fs;
  fs.file("/etc/gitconfig", "[core]\n\thooksPath = /etc-hooks\n");
  fs.file("/srv/system.cfg", "[core]\n\thooksPath = /system-hooks\n");
  fs.file("/home/u/.gitconfig", "[core]\n\thooksPath = /home-hooks\n");
  fs.file("/home/u/.config/git/config", "[core]\n\thooksPath = /xdg-hooks\n");
  fs.file("/home/u/proj/global.cfg", "[core]\n\thooksPath = /global-hooks\n");
  auto hooks = [&](git_hooks::ConfigEnv env) {
    return git_hooks::code_files(fs, {"/home/u/proj/.git", "/home/u/proj", "/home/u", "", std::move(env)})
        .hooks_dirs;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(hooks({}), (V{"/etc-hooks", "/xdg-hooks", "/home-hooks"}));
  EXPECT_EQ(hooks({"/home/u/proj/global.cfg", std::nullopt, std::nullopt}),
            (V{"/etc-hooks", "/global-hooks"}));
  EXPECT_EQ(hooks({"global.cfg", "/srv/system.cfg", std::nullopt}), (V{"/system-hooks", "/global-hooks"}));
  EXPECT_EQ(hooks({std::nullopt, "/srv/system.cfg", "1"}), (V{"/xdg-hooks", "/home-hooks"}));
  EXPECT_EQ(hooks({std::nullopt, std::nullopt, "true"}), (V{"/xdg-hooks", "/home-hooks"}));
  EXPECT_EQ(hooks({"", std::nullopt, "0"}), (V{"/etc-hooks"}));  // an empty global: no file at all
  EXPECT_EQ(hooks({std::nullopt, std::nullopt, "nonsense"}), (V{"/etc-hooks", "/xdg-hooks", "/home-hooks"}));
}

// GIT_CONFIG_COUNT's entries are config git reads after every file: a core.hooksPath or a
// program named there counts (an include's relative path git refuses there: ignored).
TEST(GitHooksPath, TheCallersGitConfigCountEntriesCount) {
  FakeFs fs;
  git_hooks::ConfigEnv env;
  env.parameters = {{"core.hooksPath", ".husky/_"},
                    {"filter.x.clean", "tools/clean"},
                    {"include.path", "relative.inc"},
                    {"Core.HooksPath", "/abs"},
                    {"nodot", "x"}};
  const auto code =
      git_hooks::code_files(fs, {"/home/u/proj/.git", "/home/u/proj", "/home/u", "", std::move(env)});
  EXPECT_EQ(code.hooks_dirs, (std::vector<std::string>{"/home/u/proj/.husky/_", "/abs"}));
  EXPECT_EQ(code.programs, std::vector<std::string>{"/home/u/proj/tools/clean"});
  EXPECT_TRUE(code.includes.empty());
}

// A GIT_CONFIG_GLOBAL file inside the workspace is the user's configuration outside:
// protected like ~/.gitconfig, present or absent, and what it names as hooks too.
TEST(LinuxPlanner, AGlobalConfigFileNamedByTheCallerIsProtected) {
  auto fs = base_fs();
  fs.file("/home/u/proj/my.gitconfig", "[core]\n\thooksPath = /home/u/proj/gh\n");
  auto inputs = kInputs;
  inputs.git_config_env.global = "/home/u/proj/my.gitconfig";
  inputs.git_config_env.system = "/home/u/proj/absent.cfg";
  auto plan = plan_linux(base_policy(), host(7), fs, inputs);
  ASSERT_TRUE(plan);
  std::set<std::string> bound, refused;
  for (const auto& m : plan->mounts)
    if (m.kind == MountKind::BindReadOnly) bound.insert(m.target);
  for (const auto& r : plan->refused_creations) refused.insert(r.path);
  EXPECT_TRUE(bound.count("/home/u/proj/my.gitconfig"));
  EXPECT_TRUE(refused.count("/home/u/proj/absent.cfg"));
  EXPECT_TRUE(refused.count("/home/u/proj/gh")) << "its hooks directory";
}

TEST(LinuxPlanner, HooksPathInsideTheWorkspaceIsProtectedPresentOrAbsent) {
  auto fs = base_fs();
  fs.file("/home/u/proj/.git/config", "[core]\n\thooksPath = .githooks\n");
  fs.file("/home/u/.gitconfig", "[core]\n\thooksPath = /home/u/proj/tools/hooks\n");
  fs.dir("/home/u/proj/.githooks");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(contains(targets(*plan, MountKind::BindReadOnly), "/home/u/proj/.githooks"));
  std::set<std::string> refused;
  for (const auto& r : plan->refused_creations) refused.insert(r.path);
  EXPECT_TRUE(refused.count("/home/u/proj/tools")) << "the absent hooks directory cannot be created";
}

// --git read-only makes the gitdir read-only whole; a hooksPath, include or filter script it
// names in the worktree was left writable (the planner returned before reading the config).
TEST(LinuxPlanner, GitReadOnlyStillProtectsWhatTheConfigNamesOutsideTheGitdir) {
  auto fs = base_fs();
  fs.file("/home/u/proj/.git/config",
          "[core]\n\thooksPath = .githooks\n[include]\n\tpath = ../team.gitconfig\n"
          "[filter \"x\"]\n\tclean = tools/clean.sh\n");
  fs.dir("/home/u/proj/.githooks");
  fs.file("/home/u/proj/team.gitconfig", "");
  fs.file("/home/u/proj/tools/clean.sh", "");
  auto p = base_policy();
  p.git = GitMode::ReadOnly;
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  const auto ro = targets(*plan, MountKind::BindReadOnly);
  EXPECT_TRUE(contains(ro, "/home/u/proj/.git"));
  EXPECT_TRUE(contains(ro, "/home/u/proj/.githooks"));
  EXPECT_TRUE(contains(ro, "/home/u/proj/team.gitconfig"));
  EXPECT_TRUE(contains(ro, "/home/u/proj/tools/clean.sh"));
}

TEST(LinuxPlanner, NoRepositoryMeansGitInitWorksAndIsWatched) {
  FakeFs fs;
  fs.dir("/home/u/proj/src");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->git_watch, std::vector<std::string>{"/home/u/proj"});
  for (const auto& p : plan->placeholders) EXPECT_NE(p.path, "/home/u/proj/.git");
}

TEST(LinuxPlanner, GitModes) {
  auto fs = base_fs();
  auto p = base_policy();
  p.git = GitMode::ReadOnly;
  auto ro = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(ro);
  EXPECT_TRUE(contains(targets(*ro, MountKind::BindReadOnly), "/home/u/proj/.git"));
  p.git = GitMode::Writable;
  auto w = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(w);
  for (const auto& t : targets(*w, MountKind::BindReadOnly))
    EXPECT_EQ(t.find("/.git"), std::string::npos) << t;
}

TEST(LinuxPlanner, GitFilePointerAndWorktreeCommonDirAreProtected) {
  FakeFs fs;
  // A linked worktree at /home/u/proj whose main repository is /home/u/main (also writable).
  fs.file("/home/u/proj/.git", "gitdir: /home/u/main/.git/worktrees/proj\n");
  fs.file("/home/u/main/.git/worktrees/proj/HEAD")
      .file("/home/u/main/.git/worktrees/proj/commondir", "../..\n");
  fs.dir("/home/u/main/.git/hooks").file("/home/u/main/.git/config").file("/home/u/main/.git/HEAD");
  auto p = base_policy();
  p.writable = {"/home/u/main"};
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = targets(*plan, MountKind::BindReadOnly);
  EXPECT_TRUE(contains(ro, "/home/u/proj/.git"));  // the pointer file itself
  EXPECT_TRUE(contains(ro, "/home/u/main/.git/hooks"));
  EXPECT_TRUE(contains(ro, "/home/u/main/.git/config"));
}

// A repository nested at any depth below a writable root (found by the walk for
// protected names) is protected like the root's own, its .git file pointers too.
TEST(LinuxPlanner, NestedRepositoriesAreProtectedLikeTheRootOne) {
  auto fs = base_fs();
  fs.dir("/home/u/proj/vendor/lib/.git/hooks").file("/home/u/proj/vendor/lib/.git/config");
  fs.file("/home/u/proj/a/b/c/.git/HEAD").file("/home/u/proj/a/b/c/.git/config");
  fs.file("/home/u/proj/x/sub/.git", "gitdir: ../../.git/modules/sub\n");
  fs.file("/home/u/proj/.git/modules/sub/HEAD").file("/home/u/proj/.git/modules/sub/config");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = targets(*plan, MountKind::BindReadOnly);
  for (const char* p : {"/home/u/proj/vendor/lib/.git/hooks", "/home/u/proj/vendor/lib/.git/config",
                        "/home/u/proj/a/b/c/.git/config", "/home/u/proj/.git/modules/sub/config"})
    EXPECT_TRUE(contains(ro, p)) << p;
  // The .git file below the top: held by the creation broker, not a mount (removable).
  EXPECT_TRUE(contains(plan->guarded_pointers, "/home/u/proj/x/sub/.git"));
  auto pins = targets(*plan, MountKind::Pin);
  for (const char* p : {"/home/u/proj/vendor", "/home/u/proj/vendor/lib", "/home/u/proj/vendor/lib/.git",
                        "/home/u/proj/a/b/c/.git"})
    EXPECT_TRUE(contains(pins, p)) << p;
  for (const char* g : {"/home/u/proj/.git", "/home/u/proj/vendor/lib/.git", "/home/u/proj/a/b/c/.git",
                        "/home/u/proj/.git/modules/sub"})
    EXPECT_TRUE(contains(plan->gitdirs, g)) << g;
}

// A git pointer read differently from git (no "gitdir: ", a trailing space git keeps, a
// target that is no directory) could leave the git directory git uses unprotected.
TEST(LinuxPlanner, UnparseableGitPointersAreRefusedUnlessBestEffort) {
  for (const std::string text :
       {"gitdir:/home/u/main/.git\n", "gitdir: /home/u/main/.git \n", "junk", "gitdir: /home/u/nowhere\n"}) {
    auto fs = base_fs();
    fs.dir("/home/u/main/.git/hooks").file("/home/u/main/.git/HEAD");
    fs.file("/home/u/proj/sub/.git", text);
    auto p = base_policy();
    auto plan = plan_linux(p, host(7), fs, kInputs);
    ASSERT_FALSE(plan) << text;
    EXPECT_NE(plan.error().message().find("/home/u/proj/sub/.git"), std::string::npos)
        << plan.error().message();
    p.best_effort = true;
    EXPECT_TRUE(plan_linux(p, host(7), fs, kInputs)) << text;
  }
  auto fs = base_fs();
  fs.file("/home/u/proj/.git/worktrees/w/HEAD").file("/home/u/proj/.git/worktrees/w/commondir", "");
  EXPECT_FALSE(plan_linux(base_policy(), host(7), fs, kInputs));
}

TEST(LinuxPlanner, SubmoduleGitdirsAreProtected) {
  auto fs = base_fs();
  fs.file("/home/u/proj/.git/modules/lib/HEAD")
      .dir("/home/u/proj/.git/modules/lib/hooks")
      .file("/home/u/proj/.git/modules/lib/config");
  fs.file("/home/u/proj/.git/modules/a/b/HEAD").file("/home/u/proj/.git/modules/a/b/config");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  auto ro = targets(*plan, MountKind::BindReadOnly);
  EXPECT_TRUE(contains(ro, "/home/u/proj/.git/modules/lib/hooks"));
  EXPECT_TRUE(contains(ro, "/home/u/proj/.git/modules/lib/config"));
  EXPECT_TRUE(contains(ro, "/home/u/proj/.git/modules/a/b/config"));
  auto pins = targets(*plan, MountKind::Pin);
  EXPECT_TRUE(contains(pins, "/home/u/proj/.git/modules"));
  EXPECT_TRUE(contains(pins, "/home/u/proj/.git/modules/a"));
}

TEST(LinuxPlanner, SymlinkedProtectedPathIsRefusedUnlessBestEffort) {
  auto fs = base_fs();
  fs.dir("/home/u/elsewhere").link("/home/u/proj/.claude", "/home/u/elsewhere");
  auto p = base_policy();
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message().find("/home/u/proj/.claude"), std::string::npos);
  p.best_effort = true;
  EXPECT_TRUE(plan_linux(p, host(7), fs, kInputs));
}

TEST(LinuxPlanner, SecretsAreMaskedAndExcludedFromLandlockReads) {
  auto fs = base_fs();
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(contains(targets(*plan, MountKind::MaskDir), "/home/u/.ssh"));
  EXPECT_FALSE(contains(targets(*plan, MountKind::MaskDir), "/home/u/.aws"));  // absent: nothing to mask
  EXPECT_EQ(rule_for(*plan, "/home/u/.ssh"), nullptr);
  ASSERT_NE(rule_for(*plan, "/home/u/.cache"), nullptr);
  EXPECT_EQ(rule_for(*plan, "/home/u/.cache")->access, landlock::kRead);
  // Ancestors of a secret can be listed but grant no file reads below them.
  ASSERT_NE(rule_for(*plan, "/home/u"), nullptr);
  EXPECT_EQ(rule_for(*plan, "/home/u")->access & landlock::kReadFile, 0u);
  ASSERT_NE(rule_for(*plan, "/usr"), nullptr);
  EXPECT_EQ(rule_for(*plan, "/usr")->access, landlock::kRead);
}

// A link beside a secret gets no rule of its own: the applier opens a rule's path following
// links, so `~/keys -> .ssh` would have granted the masked directory itself.
TEST(LinuxPlanner, LinksBesideASecretGetNoReadRule) {
  auto fs = base_fs();
  fs.link("/home/u/keys", "/home/u/.ssh");
  fs.link("/home/u/keyfile", "/home/u/.ssh/id_rsa");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_EQ(rule_for(*plan, "/home/u/keys"), nullptr);
  EXPECT_EQ(rule_for(*plan, "/home/u/keyfile"), nullptr);
  EXPECT_EQ(rule_for(*plan, "/home/u/.ssh"), nullptr);
  ASSERT_NE(rule_for(*plan, "/home/u/.cache"), nullptr);  // a real sibling still has its rule
}

struct AbiCase {
  int abi;
  uint64_t fs;
  uint64_t net;
  uint64_t scoped;
};

class LandlockAbi : public ::testing::TestWithParam<AbiCase> {};

TEST_P(LandlockAbi, HandledRightsFollowTheAbi) {
  auto c = GetParam();
  auto fs = base_fs();
  auto plan = plan_linux(base_policy(), host(c.abi), fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->landlock.abi, c.abi);
  EXPECT_EQ(plan->landlock.handled_fs, c.fs);
  EXPECT_EQ(plan->landlock.handled_net, c.net);
  EXPECT_EQ(plan->landlock.scoped, c.scoped);
  EXPECT_EQ(plan->landlock.enabled(), c.abi > 0);
  if (c.abi > 0) {
    EXPECT_EQ(access_for(*plan, "/home/u/proj"), c.fs);
  }
}

INSTANTIATE_TEST_SUITE_P(Abi0To7, LandlockAbi,
                         // net: the network is off in a namespace of the sandbox's own, whose
                         // loopback it may use: Landlock handles no TCP right (below without one).
                         ::testing::Values(AbiCase{0, 0, 0, 0}, AbiCase{1, 0x1fff, 0, 0},
                                           AbiCase{2, 0x3fff, 0, 0}, AbiCase{3, 0x7fff, 0, 0},
                                           AbiCase{4, 0x7fff, 0, 0}, AbiCase{5, 0xffff, 0, 0},
                                           AbiCase{6, 0xffff, 0, 3}, AbiCase{7, 0xffff, 0, 3}));

TEST(LinuxPlanner, NetOffGetsItsOwnLoopbackWithNamespacesAndNoTcpWithout) {
  auto fs = base_fs();
  auto p = base_policy();
  for (int abi : {4, 7}) {
    auto own = plan_linux(p, host(abi), fs, kInputs);
    ASSERT_TRUE(own);
    EXPECT_TRUE(own->new_netns);
    EXPECT_EQ(own->landlock.handled_net, 0u) << abi;
    p.best_effort = true;
    auto shared = plan_linux(p, host(abi, false), fs, kInputs);
    ASSERT_TRUE(shared) << shared.error().message();
    EXPECT_FALSE(shared->new_netns);
    EXPECT_EQ(shared->landlock.handled_net, landlock::kNetBindTcp | landlock::kNetConnectTcp) << abi;
    p.best_effort = false;
  }
}

TEST(LinuxPlanner, NetOnHandlesNoNetworkRightsAndAllowsSockets) {
  auto fs = base_fs();
  auto p = base_policy();
  p.net.mode = NetMode::On;
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->new_netns);
  EXPECT_EQ(plan->landlock.handled_net, 0u);
  for (const auto& r : plan->seccomp) EXPECT_NE(r.syscall, "socket");
}

TEST(LinuxPlanner, SeccompDenyListHasAReasonForEachEntry) {
  auto fs = base_fs();
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  std::set<std::string> names;
  for (const auto& r : plan->seccomp) {
    EXPECT_FALSE(r.reason.empty()) << r.syscall;
    names.insert(r.syscall);
  }
  for (const char* s : {"ioctl",
                        "keyctl",
                        "add_key",
                        "bpf",
                        "perf_event_open",
                        "io_uring_setup",
                        "mount",
                        "umount2",
                        "pivot_root",
                        "move_mount",
                        "unshare",
                        "clone",
                        "init_module",
                        "kexec_load",
                        "socket",
                        "pidfd_getfd",
                        "kcmp",
                        "process_madvise",
                        "process_mrelease",
                        "get_robust_list"})
    EXPECT_TRUE(names.count(s)) << s;
}

// Tracing (gdb, strace, LeakSanitizer) is allowed where the kernel confines every tracee to
// the run: a pid namespace, or a Landlock domain. With neither, cordon itself would be in
// reach: ptrace and the process_vm calls stay refused, each with its reason.
TEST(LinuxPlanner, TracingAllowedOnlyWhereConfinedToTheRun) {
  auto fs = base_fs();
  auto tracing = [](const LinuxPlan& plan) {
    std::set<std::string> out;
    for (const auto& r : plan.seccomp)
      if (r.syscall == "ptrace" || r.syscall == "process_vm_readv" || r.syscall == "process_vm_writev") {
        EXPECT_FALSE(r.reason.empty());
        out.insert(r.syscall);
      }
    return out;
  };
  struct Case {
    int abi;
    bool userns;
    bool refused;
  };
  for (const Case c :
       {Case{7, true, false}, Case{0, true, false}, Case{4, false, false}, Case{0, false, true}}) {
    auto p = base_policy();
    p.best_effort = true;  // the no-user-namespace plans
    auto plan = plan_linux(p, host(c.abi, c.userns), fs, kInputs);
    ASSERT_TRUE(plan) << c.abi << " " << c.userns;
    EXPECT_EQ(tracing(*plan).size(), c.refused ? 3u : 0u) << "abi " << c.abi << " userns " << c.userns;
  }
}

TEST(LinuxPlanner, ProxiedNetworkKeepsTheNamespaceAndLeavesTcpToIt) {
  auto fs = base_fs();
  auto p = base_policy();
  p.net.mode = NetMode::Proxy;
  p.net.allow_domains = {"registry.npmjs.org"};
  p.net.allow_localhost_ports = {5432};
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->new_netns);
  EXPECT_TRUE(plan->net.proxied);
  EXPECT_EQ(plan->net.localhost_ports, std::vector<uint16_t>{5432});
  EXPECT_EQ(plan->landlock.handled_net, 0u);  // the namespace confines TCP; local servers keep working
  bool socket_filtered = false;
  for (const auto& r : plan->seccomp) socket_filtered |= r.syscall == "socket";
  EXPECT_TRUE(socket_filtered);
  bool reported = false;
  for (const auto& g : plan->report.guarantees)
    if (g.name == "network allowlist") reported = g.state == GuaranteeState::Enforced;
  EXPECT_TRUE(reported);
}

// glibc waits `timeout` seconds for each of `attempts` sends, each capped (30 and 5): the
// sandbox's resolver must outwait a question of --ask, within those caps.
TEST(ResolvConfForAsking, WaitsForTheQuestionWithinGlibcsCaps) {
  EXPECT_EQ(resolv_conf_for_asking(10),
            "# cordon run --ask: cordon's name server asks about names that are not allowed;\n"
            "# wait for the answer.\n"
            "nameserver 127.0.0.1\n"
            "options timeout:15 attempts:1\n");
  auto options = [](int ask) {
    const std::string text = resolv_conf_for_asking(ask);
    return text.substr(text.find("options "));
  };
  EXPECT_EQ(options(25), "options timeout:30 attempts:1\n");
  EXPECT_EQ(options(60), "options timeout:22 attempts:3\n");  // the default: 66 s
  EXPECT_EQ(options(145), "options timeout:30 attempts:5\n");
  EXPECT_EQ(options(3600), "options timeout:30 attempts:5\n");  // past the caps: 150 s at most
  EXPECT_EQ(options(0), "options timeout:5 attempts:1\n");
  EXPECT_EQ(options(-1), "options timeout:5 attempts:1\n");
  for (int ask = 1; ask <= 145; ++ask) {
    const std::string o = options(ask);
    int timeout = 0, attempts = 0;
    ASSERT_EQ(std::sscanf(o.c_str(), "options timeout:%d attempts:%d", &timeout, &attempts), 2) << o;
    EXPECT_LE(timeout, 30) << ask;
    EXPECT_LE(attempts, 5) << ask;
    EXPECT_GE(timeout * attempts, ask + 5) << ask;
  }
}

// --ask with the proxy in a namespace: resolv.conf is shown with those options; without
// asking (and with --learn, which the front end passes as 0) it stays an empty mask.
TEST(LinuxPlanner, ProxiedNetworkWithAskTellsTheResolverToWait) {
  auto fs = base_fs();
  fs.file("/etc/resolv.conf", "nameserver 10.0.0.1\n");
  auto p = base_policy();
  p.net.mode = NetMode::Proxy;
  p.net.allow_domains = {"registry.npmjs.org"};
  auto inputs = kInputs;
  inputs.ask_timeout_seconds = 60;
  auto plan = plan_linux(p, host(7), fs, inputs);
  ASSERT_TRUE(plan) << plan.error().message();
  const MountStep* shown = nullptr;
  for (const auto& m : plan->mounts)
    if (m.target == "/etc/resolv.conf") shown = &m;
  ASSERT_NE(shown, nullptr);
  EXPECT_EQ(shown->kind, MountKind::FilteredFile);
  EXPECT_EQ(shown->text, resolv_conf_for_asking(60));
  auto quiet = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(quiet) << quiet.error().message();
  EXPECT_TRUE(contains(targets(*quiet, MountKind::MaskFile), "/etc/resolv.conf"));
  EXPECT_FALSE(contains(targets(*quiet, MountKind::FilteredFile), "/etc/resolv.conf"));
  // Network off: no name server asks; still the empty mask.
  p.net.mode = NetMode::Off;
  auto off = plan_linux(p, host(7), fs, inputs);
  ASSERT_TRUE(off) << off.error().message();
  EXPECT_TRUE(contains(targets(*off, MountKind::MaskFile), "/etc/resolv.conf"));
}

TEST(LinuxPlanner, ProxiedNetworkWithoutUserNamespacesNeedsLandlockTcp) {
  auto fs = base_fs();
  auto p = base_policy();
  p.net.mode = NetMode::Proxy;
  p.net.allow_domains = {"example.com"};
  // Landlock ABI < 4 cannot confine TCP: refused, naming the kernel requirement.
  for (int abi : {0, 1, 3}) {
    auto refused = plan_linux(p, host(abi, false), fs, kInputs);
    ASSERT_FALSE(refused) << abi;
    EXPECT_NE(refused.error().message().find("network allowlist"), std::string::npos)
        << refused.error().message();
    EXPECT_NE(refused.error().message().find("Landlock ABI >= 4"), std::string::npos)
        << refused.error().message();
  }
  // --best-effort: the network is off (fails closed), never unconfined.
  p.best_effort = true;
  auto plan = plan_linux(p, host(3, false), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_FALSE(plan->net.proxied);
  EXPECT_EQ(plan->landlock.handled_net, 0u);  // ABI 3 has no TCP rights
  bool inet_refused = false;  // AF_INET (2): refused, like every family but AF_UNIX and route netlink
  for (const auto& r : plan->seccomp)
    inet_refused |= r.syscall == "socket" && r.check == ArgCheck::Eq && r.arg == 0 && r.value == 2;
  EXPECT_TRUE(inet_refused);
  // seccomp unavailable: no host proxy either.
  auto no_seccomp = host(7, false);
  no_seccomp.seccomp = false;
  auto off = plan_linux(p, no_seccomp, fs, kInputs);
  ASSERT_TRUE(off) << off.error().message();
  EXPECT_FALSE(off->net.proxied);
}

TEST(LinuxPlanner, ProxiedNetworkOnTheHostConfinesTcpToTheProxyPorts) {
  auto fs = base_fs();
  auto p = base_policy();
  p.net.mode = NetMode::Proxy;
  p.net.allow_domains = {"example.com"};
  p.net.allow_localhost_ports = {5432};
  p.best_effort = true;  // without user namespaces protected paths are lost anyway
  for (int abi : {4, 5, 6, 7}) {
    auto plan = plan_linux(p, host(abi, false), fs, kInputs);
    ASSERT_TRUE(plan) << plan.error().message();
    EXPECT_EQ(plan->sandbox, LinuxSandbox::LandlockOnly);
    EXPECT_FALSE(plan->new_netns);
    EXPECT_TRUE(plan->net.proxied);
    EXPECT_TRUE(plan->net.on_host);
    // Connect and bind handled; without bound listeners (explain), only --allow-localhost.
    EXPECT_EQ(plan->landlock.handled_net, landlock::kNetBindTcp | landlock::kNetConnectTcp);
    ASSERT_EQ(plan->landlock.ports.size(), 1u);
    EXPECT_EQ(plan->landlock.ports[0].port, 5432);
    EXPECT_EQ(plan->landlock.ports[0].access, landlock::kNetConnectTcp);
    // The listeners' ports are planner inputs: the plan is final when it leaves the planner.
    LinuxPlanInputs bound = kInputs;
    bound.host_proxy = HostProxyPorts{41000, 41001};
    plan = plan_linux(p, host(abi, false), fs, bound);
    ASSERT_TRUE(plan) << plan.error().message();
    EXPECT_EQ(plan->net.http_port, 41000);
    EXPECT_EQ(plan->net.socks_port, 41001);
    std::set<uint16_t> ports;
    for (const auto& r : plan->landlock.ports) {
      EXPECT_EQ(r.access, landlock::kNetConnectTcp) << r.port;  // no bind anywhere
      ports.insert(r.port);
    }
    EXPECT_EQ(ports, (std::set<uint16_t>{41000, 41001, 5432}));
    // seccomp: TCP only (UDP refused by type).
    bool udp_refused = false;
    for (const auto& r : plan->seccomp)
      udp_refused |= r.syscall == "socket" && r.also.check == ArgCheck::Eq && r.also.value == 2 &&
                     r.check == ArgCheck::MaskedEq && r.mask == 2 && r.errno_value == 13;
    EXPECT_TRUE(udp_refused);
    // Reported degraded, with the address caveat, in the guarantees and the rules.
    const Guarantee* g = nullptr;
    for (const auto& x : plan->report.guarantees)
      if (x.name == "network allowlist") g = &x;
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->state, GuaranteeState::Degraded);
    EXPECT_NE(g->detail.find("ports, not addresses"), std::string::npos) << g->detail;
    EXPECT_NE(g->mechanism.find("landlock TCP"), std::string::npos) << g->mechanism;
    bool dns_rule = false, localhost_rule = false;
    for (const auto& r : plan->report.rules) {
      dns_rule |= r.category == "network" && r.subject == "DNS";
      localhost_rule |= r.subject == "127.0.0.1:5432" && r.mechanism.find("landlock") != std::string::npos;
    }
    EXPECT_TRUE(dns_rule);
    EXPECT_TRUE(localhost_rule);
  }
  // The degraded guarantee alone needs --best-effort (as every no-user-namespace run does).
  p.best_effort = false;
  EXPECT_FALSE(plan_linux(p, host(7, false), fs, kInputs));
}

TEST(LinuxPlanner, HostProxyPortsAreIgnoredOutsideThatMode) {
  auto fs = base_fs();
  auto p = base_policy();
  p.net.mode = NetMode::Proxy;
  p.net.allow_domains = {"example.com"};
  LinuxPlanInputs bound = kInputs;
  bound.host_proxy = HostProxyPorts{41000, 41001};
  EXPECT_FALSE(plan_needs_host_proxy_ports(p, host(7)));
  EXPECT_TRUE(plan_needs_host_proxy_ports(p, host(7, false)));
  auto plan = plan_linux(p, host(7), fs, bound);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->net.http_port, 3128);  // the namespace's fixed ports stay
  EXPECT_TRUE(plan->landlock.ports.empty());
}

// The platform binds the host proxy's listeners before planning exactly when the plan
// will put the proxy on the host: the predicate and the planner agree on every host.
TEST(LinuxPlanner, HostProxyListenersAreBoundExactlyWhenThePlanNeedsThem) {
  auto fs = base_fs();
  for (Mode mode : {Mode::ReadOnly, Mode::WorkspaceWrite, Mode::FullAccess})
    for (NetMode net : {NetMode::Off, NetMode::Proxy, NetMode::On})
      for (int abi = 0; abi <= 7; ++abi)
        for (bool userns : {true, false})
          for (bool seccomp : {true, false}) {
            auto p = base_policy();
            p.mode = mode;
            p.net.mode = net;
            p.best_effort = true;
            if (mode == Mode::FullAccess) p.deny_read.clear();
            LinuxHostCaps caps = host(abi, userns);
            caps.seccomp = seccomp;
            LinuxPlanInputs bound = kInputs;
            bound.host_proxy = HostProxyPorts{41000, 41001};
            auto plan = plan_linux(p, caps, fs, bound);
            ASSERT_TRUE(plan) << plan.error().message();
            const std::string where = std::string(to_string(mode)) + " " + to_string(net) + " abi " +
                                      std::to_string(abi) + (userns ? " userns" : "") +
                                      (seccomp ? " seccomp" : "");
            EXPECT_EQ(plan_needs_host_proxy_ports(p, caps), plan->net.on_host) << where;
            if (plan->net.on_host) {
              EXPECT_EQ(plan->net.http_port, 41000) << where;
            }
          }
}

TEST(LinuxPlanner, NoUserNamespacesRefusesWithoutBestEffort) {
  auto fs = base_fs();
  auto plan = plan_linux(base_policy(), host(7, false), fs, kInputs);
  ASSERT_FALSE(plan);
  const auto msg = plan.error().message();
  EXPECT_NE(msg.find("protected paths"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--best-effort"), std::string::npos) << msg;
}

TEST(LinuxPlanner, NoUserNamespacesWithBestEffortUsesLandlockOnly) {
  auto fs = base_fs();
  auto p = base_policy();
  p.best_effort = true;
  auto plan = plan_linux(p, host(7, false), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->sandbox, LinuxSandbox::LandlockOnly);
  EXPECT_TRUE(plan->mounts.empty());
  EXPECT_TRUE(plan->placeholders.empty());
  EXPECT_EQ(plan->tmpdir, kInputs.private_tmp);
  EXPECT_NE(rule_for(*plan, kInputs.private_tmp), nullptr);
  EXPECT_EQ(rule_for(*plan, "/home/u/.ssh"), nullptr);
}

TEST(LinuxPlanner, NoUserNamespacesAndNoLandlockHasNothingToEnforceWrites) {
  auto p = base_policy();
  auto r = linux_guarantees(p, host(0, false));
  auto write = std::find_if(r.guarantees.begin(), r.guarantees.end(),
                            [](const Guarantee& g) { return g.name == "write confinement"; });
  ASSERT_NE(write, r.guarantees.end());
  EXPECT_EQ(write->state, GuaranteeState::Missing);
  EXPECT_FALSE(write->fix.empty());
}

TEST(LinuxPlanner, ReadOnlyModeHasNoWritableRootsButKeepsTemp) {
  auto fs = base_fs();
  auto p = base_policy();
  p.mode = Mode::ReadOnly;
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(targets(*plan, MountKind::BindWritable).empty());
  EXPECT_TRUE(contains(targets(*plan, MountKind::Tmp), "/tmp"));
  EXPECT_TRUE(plan->placeholders.empty());
}

TEST(LinuxPlanner, FullAccessPlansNoSandbox) {
  auto fs = base_fs();
  auto p = base_policy();
  p.mode = Mode::FullAccess;
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->sandbox, LinuxSandbox::None);
  for (const auto& g : plan->report.guarantees) EXPECT_EQ(g.state, GuaranteeState::NotRequested) << g.name;
}

TEST(LinuxPlanner, AppArmorRestrictionPointsAtCordonSetup) {
  auto caps = host(7, false);
  caps.apparmor_restricts_userns = true;
  auto r = linux_guarantees(base_policy(), caps);
  bool mentions = false;
  for (const auto& g : r.guarantees) mentions |= g.fix.find("sudo cordon setup") != std::string::npos;
  EXPECT_TRUE(mentions);
}

TEST(LinuxPlanner, HostIpcIsMaskedButTmpSocketsOnlyWithHostTmp) {
  auto fs = base_fs();
  fs.dir("/run/user/1000").file("/tmp/ssh-x/agent.1");
  auto caps = host(7);
  caps.ipc_sockets = {"/tmp/ssh-x/agent.1"};
  auto plan = plan_linux(base_policy(), caps, fs, kInputs);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(contains(targets(*plan, MountKind::EmptyWritableDir), "/run/user/1000"));
  EXPECT_FALSE(contains(targets(*plan, MountKind::MaskFile), "/tmp/ssh-x/agent.1"));  // private /tmp hides it
  auto p = base_policy();
  p.tmp = TmpMode::Host;
  auto host_tmp = plan_linux(p, caps, fs, kInputs);
  ASSERT_TRUE(host_tmp);
  EXPECT_TRUE(contains(targets(*host_tmp, MountKind::MaskFile), "/tmp/ssh-x/agent.1"));
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

TEST(LinuxPlannerAllowRead, ExceptionInsideADeniedDirectoryIsBoundBack) {
  auto fs = base_fs();
  fs.dir("/home/u/.aws").file("/home/u/.aws/config").file("/home/u/.aws/credentials");
  auto p = base_policy();
  p.allow_read = {"/home/u/.aws/config"};
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  const MountStep* mask = nullptr;
  for (const auto& m : plan->mounts)
    if (m.kind == MountKind::MaskDir && m.target == "/home/u/.aws") mask = &m;
  ASSERT_NE(mask, nullptr);
  EXPECT_EQ(mask->reexpose, std::vector<std::string>{"/home/u/.aws/config"});
  EXPECT_EQ(access_for(*plan, "/home/u/.aws/config"), landlock::kRead);
  EXPECT_EQ(access_for(*plan, "/home/u/.aws/credentials"), 0u);
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

TEST(LinuxPlannerOwnFiles, CordonStateAndConfigStayReadOnlyInsideAWritableRoot) {
  auto fs = base_fs();
  fs.dir("/home/u/.local/state/cordon").dir("/home/u/.config");
  auto p = base_policy();
  p.writable = {"/home/u"};
  p.deny_read.clear();
  LinuxPlanInputs in = kInputs;
  in.own_paths = {"/home/u/.local/state/cordon", "/home/u/.config/cordon"};
  auto plan = plan_linux(p, host(7), fs, in);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = targets(*plan, MountKind::BindReadOnly);
  EXPECT_TRUE(contains(ro, "/home/u/.local/state/cordon"));
  bool refused = false;  // absent: the creation broker refuses to make it
  for (const auto& r : plan->refused_creations) refused |= r.path == "/home/u/.config/cordon";
  EXPECT_TRUE(refused);
  // Outside every writable root they are read-only anyway: nothing to add.
  auto narrow = plan_linux(base_policy(), host(7), fs, in);
  ASSERT_TRUE(narrow);
  EXPECT_FALSE(contains(targets(*narrow, MountKind::BindReadOnly), "/home/u/.local/state/cordon"));
}

}  // namespace
}  // namespace cordon

// ---- cordon's state hidden (issue 12, principle 3) ------------------------------------
namespace cordon {
namespace {

constexpr const char* kState = "/home/u/.local/state/cordon";

LinuxPlanInputs state_inputs() {
  LinuxPlanInputs in = kInputs;
  in.state_root = kState;
  return in;
}

FakeFs state_fs() {
  auto fs = base_fs();
  fs.dir("/home/u/.local/state/cordon/tmp/proj-1")
      .dir("/home/u/.local/state/cordon/tmp/other-2")
      .dir("/home/u/.local/state/cordon/locks")
      .dir("/home/u/.local/state/cordon/placeholders");
  return fs;
}

const Guarantee* guarantee(const PlanReport& r, const std::string& name) {
  for (const auto& g : r.guarantees)
    if (g.name == name) return &g;
  return nullptr;
}

TEST(LinuxPlannerState, NamespacesMaskTheStateRootAfterTmpAndExcludeItFromLandlock) {
  auto fs = state_fs();
  auto plan = plan_linux(base_policy(), host(7), fs, state_inputs());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(contains(targets(*plan, MountKind::MaskDir), kState));
  // /tmp's source lies beneath the mask: the Tmp step comes first in the plan (and the
  // applier clones every source before it mounts any mask).
  auto pos = [&](MountKind k, const std::string& t) {
    return std::find_if(plan->mounts.begin(), plan->mounts.end(),
                        [&](const MountStep& m) { return m.kind == k && m.target == t; }) -
           plan->mounts.begin();
  };
  EXPECT_LT(pos(MountKind::Tmp, "/tmp"), pos(MountKind::MaskDir, kState));
  EXPECT_EQ(access_for(*plan, kState), 0u);
  EXPECT_EQ(access_for(*plan, "/home/u/.local/state/cordon/tmp/other-2"), 0u);
  EXPECT_EQ(access_for(*plan, "/home/u/.local/state") & landlock::kReadFile, 0u);
  EXPECT_EQ(access_for(*plan, "/home/u/.cache") & landlock::kReadFile, landlock::kReadFile);  // siblings stay
  const auto* g = guarantee(plan->report, "cordon's state hidden");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state, GuaranteeState::Enforced);
}

TEST(LinuxPlannerState, LandlockOnlyKeepsTheOwnPrivateTmpWritableAndHidesTheRest) {
  auto fs = state_fs();
  auto p = base_policy();
  p.best_effort = true;
  auto plan = plan_linux(p, host(7, false), fs, state_inputs());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->mounts.empty());
  EXPECT_EQ(access_for(*plan, kState), 0u);
  EXPECT_EQ(access_for(*plan, "/home/u/.local/state/cordon/tmp/other-2"), 0u);
  EXPECT_EQ(access_for(*plan, "/home/u/.local/state/cordon/locks"), 0u);
  EXPECT_EQ(access_for(*plan, kInputs.private_tmp), plan->landlock.handled_fs);
  // Landlock cannot hide names beneath a listable parent: degraded, and said so.
  const auto* g = guarantee(plan->report, "cordon's state hidden");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state, GuaranteeState::Degraded);
  EXPECT_NE(g->detail.find("names"), std::string::npos);
}

TEST(LinuxPlannerState, StateUnderAPrivateTmpNeedsNoMaskButUnderAHostTmpDoes) {
  auto fs = base_fs();
  fs.dir("/tmp/cordon-1000/tmp/proj-1");
  LinuxPlanInputs in{"/tmp/cordon-1000/tmp/proj-1", "/home/u", {}, "/tmp/cordon-1000"};
  auto plan = plan_linux(base_policy(), host(7), fs, in);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_FALSE(contains(targets(*plan, MountKind::MaskDir), "/tmp/cordon-1000"));
  auto p = base_policy();
  p.tmp = TmpMode::Host;
  auto shared = plan_linux(p, host(7), fs, in);
  ASSERT_TRUE(shared) << shared.error().message();
  EXPECT_TRUE(contains(targets(*shared, MountKind::MaskDir), "/tmp/cordon-1000"));
}

TEST(LinuxPlannerState, StateInsideAWritableRootIsMaskedOnTopOfItsProtection) {
  auto fs = state_fs();
  auto p = base_policy();
  p.writable = {"/home/u/.local"};
  LinuxPlanInputs in = state_inputs();
  in.own_paths = {kState};
  auto plan = plan_linux(p, host(7), fs, in);
  ASSERT_TRUE(plan) << plan.error().message();
  auto pos = [&](MountKind k) {
    return std::find_if(plan->mounts.begin(), plan->mounts.end(),
                        [&](const MountStep& m) { return m.kind == k && m.target == kState; }) -
           plan->mounts.begin();
  };
  EXPECT_LT(pos(MountKind::BindReadOnly), pos(MountKind::MaskDir));
  EXPECT_LT(pos(MountKind::MaskDir), static_cast<long>(plan->mounts.size()));
  // Landlock only: the writable root grants the state whole, so the guarantee is lost.
  p.best_effort = true;
  auto ll = plan_linux(p, host(7, false), fs, in);
  ASSERT_TRUE(ll) << ll.error().message();
  const auto* g = guarantee(ll->report, "cordon's state hidden");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state, GuaranteeState::Missing);
}

TEST(LinuxPlannerState, AWorkspaceInsideTheStateDirectoryIsRefused) {
  auto fs = state_fs();
  auto p = base_policy();
  p.workspace = "/home/u/.local/state/cordon/tmp/other-2";
  auto plan = plan_linux(p, host(7), fs, state_inputs());
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message().find("state directory"), std::string::npos) << plan.error().message();
}

// ---- kernel settings read-only and honest guarantees (issue 12, principle 4) -----------

TEST(LinuxPlannerKernel, NamespacesBindProcSettingsReadOnlyEvenWithoutLandlock) {
  auto fs = base_fs();
  for (int abi : {0, 7}) {
    auto plan = plan_linux(base_policy(), host(abi), fs, kInputs);
    ASSERT_TRUE(plan) << plan.error().message();
    auto ro = targets(*plan, MountKind::ProcReadOnly);
    for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"})
      EXPECT_TRUE(contains(ro, p)) << p << " abi " << abi;
    for (const auto& m : plan->mounts)
      if (m.kind == MountKind::ProcReadOnly) {
        EXPECT_FALSE(m.reason.empty());
      }
    const auto* g = guarantee(plan->report, "kernel settings read-only");
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->state, GuaranteeState::Enforced);
    EXPECT_EQ(g->mechanism.find("landlock") != std::string::npos, abi > 0) << g->mechanism;
  }
}

TEST(LinuxPlannerKernel, LandlockOnlyLeavesProcToLandlock) {
  auto fs = base_fs();
  auto p = base_policy();
  p.best_effort = true;
  auto plan = plan_linux(p, host(7, false), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(targets(*plan, MountKind::ProcReadOnly).empty());
  EXPECT_EQ(access_for(*plan, "/proc") & landlock::kWriteFile, 0u);
  const auto* g = guarantee(plan->report, "kernel settings read-only");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state, GuaranteeState::Enforced);
}

// With neither user namespaces nor Landlock nothing confines writes: every guarantee
// that needs one of them is Missing, and the plan refuses unless best effort.
TEST(LinuxPlannerKernel, NeitherMechanismReportsNoFilesystemGuaranteeAsHeld) {
  auto r = linux_guarantees(base_policy(), host(0, false));
  for (const char* name : {"write confinement", "protected paths", "secret denial",
                           "kernel settings read-only", "cordon's state hidden", "process isolation"}) {
    const auto* g = guarantee(r, name);
    ASSERT_NE(g, nullptr) << name;
    EXPECT_EQ(g->state, GuaranteeState::Missing) << name;
    EXPECT_FALSE(g->fix.empty()) << name;
    EXPECT_EQ(g->mechanism.find("landlock"), std::string::npos) << name;
  }
  EXPECT_FALSE(r.complete());
  auto fs = base_fs();
  auto refused = plan_linux(base_policy(), host(0, false), fs, kInputs);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("kernel settings read-only"), std::string::npos);
}

// No guarantee names a mechanism the host lacks (Landlock ABI 0, seccomp missing).
TEST(LinuxPlannerKernel, NoMechanismIsNamedThatTheHostLacks) {
  for (bool userns : {true, false})
    for (bool seccomp : {true, false}) {
      auto caps = host(0, userns);
      caps.seccomp = seccomp;
      for (NetMode net : {NetMode::Off, NetMode::Proxy, NetMode::On}) {
        auto p = base_policy();
        p.net.mode = net;
        for (const auto& g : linux_guarantees(p, caps).guarantees) {
          if (g.state != GuaranteeState::Enforced && g.state != GuaranteeState::Degraded) continue;
          EXPECT_EQ(g.mechanism.find("landlock"), std::string::npos) << g.name << ": " << g.mechanism;
          if (!seccomp) {
            EXPECT_EQ(g.mechanism.find("seccomp"), std::string::npos) << g.name << ": " << g.mechanism;
          }
        }
      }
    }
}

TEST(LinuxPlannerKernel, LandlockOnlyDoesNotClaimSecretsInsideAWritableRoot) {
  auto fs = base_fs();
  auto p = base_policy();
  p.best_effort = true;
  p.writable = {"/home/u"};
  auto plan = plan_linux(p, host(7, false), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  const auto* g = guarantee(plan->report, "secret denial");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state, GuaranteeState::Degraded);
  EXPECT_NE(g->detail.find("/home/u/.ssh"), std::string::npos) << g->detail;
  // With namespaces the mask holds.
  auto ns = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(ns);
  EXPECT_EQ(guarantee(ns->report, "secret denial")->state, GuaranteeState::Enforced);
}

}  // namespace
}  // namespace cordon

// ---- protected names: the extended list, at depth, ancestors pinned (issue 13, part 2) ----
namespace cordon {
namespace {

// Absent and kept from being made: refused by the creation broker (with seccomp), or
// an empty placeholder of the entry's kind (without).
bool has_placeholder(const LinuxPlan& plan, const std::string& path, bool directory) {
  for (const auto& r : plan.refused_creations)
    if (r.path == path) return true;
  for (const auto& p : plan.placeholders)
    if (p.path == path) return p.directory == directory;
  return false;
}

// Every protected path: read-only binds, and the absent ones the broker refuses.
std::vector<std::string> kept(const LinuxPlan& plan) {
  auto out = targets(plan, MountKind::BindReadOnly);
  for (const auto& r : plan.refused_creations) out.push_back(r.path);
  return out;
}

size_t position(const LinuxPlan& plan, MountKind kind, const std::string& target) {
  for (size_t i = 0; i < plan.mounts.size(); ++i)
    if (plan.mounts[i].kind == kind && plan.mounts[i].target == target) return i;
  return plan.mounts.size();
}

TEST(LinuxPlannerProtectedNames, EveryEntryIsBlockedAtTheTopWithItsKind) {
  auto fs = base_fs();
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = kept(*plan);
  for (const auto& e : defaults::protected_name_entries()) {
    const std::string path = std::string("/home/u/proj/") + e.name;
    EXPECT_TRUE(has_placeholder(*plan, path, e.directory)) << path;
    EXPECT_TRUE(contains(ro, path)) << path;
  }
  EXPECT_TRUE(has_placeholder(*plan, "/home/u/proj/.mcp.json", false));
  EXPECT_TRUE(has_placeholder(*plan, "/home/u/proj/.envrc", false));
  EXPECT_TRUE(has_placeholder(*plan, "/home/u/proj/.gemini", true));
}

TEST(LinuxPlannerProtectedNames, ExistingNamesAtDepthAreProtectedWithTheirParentsPinned) {
  auto fs = base_fs();
  fs.file("/home/u/proj/sub/.vscode/tasks.json")
      .file("/home/u/proj/a/b/.claude/settings.json")
      .file("/home/u/proj/a/b/c/.envrc")
      .file("/home/u/proj/node_modules/x/.vscode/tasks.json")  // not walked
      .file("/home/u/proj/py/.venv/lib/.vscode/x")             // a tool's environment: not walked
      .file("/home/u/proj/.git/modules/.vscode/x")             // git's own: not walked
      .file("/home/u/proj/.claude/inner/.vscode/x");           // inside a protected name
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = kept(*plan);
  auto pins = targets(*plan, MountKind::Pin);
  for (const char* p : {"/home/u/proj/sub/.vscode", "/home/u/proj/a/b/.claude", "/home/u/proj/a/b/c/.envrc"})
    EXPECT_TRUE(contains(ro, p)) << p;
  for (const char* p : {"/home/u/proj/sub", "/home/u/proj/a", "/home/u/proj/a/b", "/home/u/proj/a/b/c"})
    EXPECT_TRUE(contains(pins, p)) << p;
  EXPECT_FALSE(contains(ro, "/home/u/proj/node_modules/x/.vscode"));
  EXPECT_FALSE(contains(ro, "/home/u/proj/py/.venv/lib/.vscode"));
  EXPECT_FALSE(contains(ro, "/home/u/proj/.git/modules/.vscode"));
  EXPECT_FALSE(contains(ro, "/home/u/proj/.claude/inner/.vscode"));
  EXPECT_FALSE(contains(pins, "/home/u/proj"));  // the root is a mount point already
  // Absent names at depth are not invented: only the top gets placeholders.
  for (const auto& ph : plan->placeholders) EXPECT_NE(paths::parent(ph.path), "/home/u/proj/sub") << ph.path;
  // Outermost pins first, and every pin before the read-only binds below it.
  EXPECT_LT(position(*plan, MountKind::Pin, "/home/u/proj/a"),
            position(*plan, MountKind::Pin, "/home/u/proj/a/b"));
  EXPECT_LT(position(*plan, MountKind::Pin, "/home/u/proj/a/b"),
            position(*plan, MountKind::BindReadOnly, "/home/u/proj/a/b/.claude"));
  EXPECT_EQ(plan->report.guarantees.empty(), false);
}

TEST(LinuxPlannerProtectedNames, UnprotectDropsOneNameEverywhereAndExplainSaysSo) {
  auto fs = base_fs();
  fs.file("/home/u/proj/sub/.vscode/tasks.json").file("/home/u/proj/sub/.claude/settings.json");
  auto p = base_policy();
  p.unprotect = {".vscode"};
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = kept(*plan);
  EXPECT_FALSE(contains(ro, "/home/u/proj/.vscode"));
  EXPECT_FALSE(contains(ro, "/home/u/proj/sub/.vscode"));
  EXPECT_TRUE(contains(ro, "/home/u/proj/.claude"));
  EXPECT_TRUE(contains(ro, "/home/u/proj/sub/.claude"));
  bool said = false;
  for (const auto& r : plan->report.rules)
    said |= r.subject == "/home/u/proj/.vscode" && r.effect == "writable (--unprotect)";
  EXPECT_TRUE(said);
}

TEST(LinuxPlannerProtectedNames, ProtectPathsHaveTheirParentsPinned) {
  auto fs = base_fs();
  fs.file("/home/u/proj/gen/out/keep.txt");
  auto p = base_policy();
  p.protect = {"/home/u/proj/gen/out/keep.txt"};
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto pins = targets(*plan, MountKind::Pin);
  EXPECT_TRUE(contains(pins, "/home/u/proj/gen"));
  EXPECT_TRUE(contains(pins, "/home/u/proj/gen/out"));
  EXPECT_TRUE(contains(targets(*plan, MountKind::BindReadOnly), "/home/u/proj/gen/out/keep.txt"));
}

// pin_ancestors() walks a directory's ancestors once and reuses the outcome for its
// other entries: every sibling is still bound, every ancestor pinned once, and every
// sibling below a symbolic link is noted (and refused without --best-effort).
TEST(LinuxPlannerProtectedNames, SiblingProtectPathsShareTheirParentsPinsAndLinks) {
  auto fs = base_fs();
  fs.file("/home/u/proj/gen/out/a").file("/home/u/proj/gen/out/b").file("/home/u/proj/gen/c");
  fs.file("/home/u/proj/real/x").file("/home/u/proj/real/y").link("/home/u/proj/ln", "/home/u/proj/real");
  auto p = base_policy();
  p.protect = {"/home/u/proj/gen/out/a", "/home/u/proj/gen/out/b", "/home/u/proj/gen/c", "/home/u/proj/ln/x",
               "/home/u/proj/ln/y"};
  auto refused = plan_linux(p, host(7), fs, kInputs);
  ASSERT_FALSE(refused);
  p.best_effort = true;
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = targets(*plan, MountKind::BindReadOnly);
  for (const char* f : {"/home/u/proj/gen/out/a", "/home/u/proj/gen/out/b", "/home/u/proj/gen/c"})
    EXPECT_TRUE(contains(ro, f)) << f;
  auto pins = targets(*plan, MountKind::Pin);
  EXPECT_EQ(std::count(pins.begin(), pins.end(), "/home/u/proj/gen"), 1);
  EXPECT_EQ(std::count(pins.begin(), pins.end(), "/home/u/proj/gen/out"), 1);
  for (const char* f : {"/home/u/proj/ln/x", "/home/u/proj/ln/y"}) {
    EXPECT_FALSE(contains(ro, f)) << f;
    bool noted = false;
    for (const auto& n : plan->report.notes)
      noted |= n == std::string("not protected (below the symbolic link /home/u/proj/ln): ") + f;
    EXPECT_TRUE(noted) << f;
  }
}

TEST(LinuxPlannerProtectedNames, AWritableHomeKeepsStartupFilesAndGitConfigReadOnly) {
  auto fs = base_fs();
  fs.file("/home/u/.bashrc").file("/home/u/.gitconfig").file("/home/u/.config/git/config");
  auto p = base_policy();
  p.writable = {"/home/u/.config"};
  p.deny_read.clear();
  auto narrow = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(narrow) << narrow.error().message();
  EXPECT_TRUE(contains(kept(*narrow), "/home/u/.config/git"));
  EXPECT_FALSE(contains(kept(*narrow), "/home/u/.bashrc"));  // outside: read-only
  p.writable = {"/home/u"};
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = kept(*plan);
  for (const char* f : {"/home/u/.bashrc", "/home/u/.gitconfig", "/home/u/.config/git", "/home/u/.profile"})
    EXPECT_TRUE(contains(ro, f)) << f;
  EXPECT_TRUE(has_placeholder(*plan, "/home/u/.profile", false));  // absent: blocked
  EXPECT_TRUE(contains(targets(*plan, MountKind::Pin), "/home/u/.config"));
  // An absent parent is blocked instead, so the chain cannot be created either.
  EXPECT_FALSE(has_placeholder(*plan, "/home/u/.config/systemd/user", true));
  EXPECT_TRUE(has_placeholder(*plan, "/home/u/.config/systemd", true));
}

TEST(LinuxPlannerProtectedNames, ASymlinkAboveAProtectedPathIsRefusedUnlessBestEffort) {
  auto fs = base_fs();
  fs.file("/home/u/proj/real/.vscode/tasks.json").link("/home/u/proj/ln", "/home/u/proj/real");
  auto p = base_policy();
  p.protect = {"/home/u/proj/ln/.vscode"};
  auto refused = plan_linux(p, host(7), fs, kInputs);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("/home/u/proj/ln"), std::string::npos);
  p.best_effort = true;
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  bool noted = false;
  for (const auto& n : plan->report.notes) noted |= n.find("/home/u/proj/ln/.vscode") != std::string::npos;
  EXPECT_TRUE(noted);
  // The real directory, found by the walk, is protected in its own right.
  EXPECT_TRUE(contains(targets(*plan, MountKind::BindReadOnly), "/home/u/proj/real/.vscode"));
}

TEST(LinuxPlannerProtectedNames, AWalkPastItsBudgetIsReportedDegradedNotHeld) {
  auto fs = base_fs();
  for (int i = 0; i < 200001; ++i) fs.file("/home/u/proj/big/f" + std::to_string(i));
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  const Guarantee* g = nullptr;
  for (const auto& x : plan->report.guarantees)
    if (x.name == "protected paths") g = &x;
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state, GuaranteeState::Degraded);
  bool noted = false;
  for (const auto& n : plan->report.notes) noted |= n.find("/home/u/proj") != std::string::npos;
  EXPECT_TRUE(noted);
  // The top of the root is still protected in full.
  EXPECT_TRUE(contains(kept(*plan), "/home/u/proj/.vscode"));
}

TEST(LinuxPlannerProtectedNames, AWritableToolCacheIsNotSearched) {
  auto fs = base_fs();
  fs.file("/home/u/.cache/go-build/ab/.vscode/x").file("/home/u/proj/sub/.vscode/x");
  auto p = base_policy();
  p.writable = {"/home/u/.cache/go-build"};
  auto plan = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto ro = kept(*plan);
  EXPECT_FALSE(contains(ro, "/home/u/.cache/go-build/ab/.vscode"));
  EXPECT_TRUE(contains(ro, "/home/u/.cache/go-build/.vscode"));  // its top still is
  EXPECT_TRUE(contains(ro, "/home/u/proj/sub/.vscode"));
  bool said = false;
  for (const auto& r : plan->report.rules)
    said |= r.subject == "/home/u/.cache/go-build" && r.effect.find("not searched") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(LinuxPlannerProtectedNames, LandlockOnlySaysNothingIsProtected) {
  auto fs = base_fs();
  fs.file("/home/u/proj/sub/.vscode/tasks.json");
  auto p = base_policy();
  p.best_effort = true;
  auto plan = plan_linux(p, host(7, false), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->mounts.empty());
  const Guarantee* g = nullptr;
  for (const auto& x : plan->report.guarantees)
    if (x.name == "protected paths") g = &x;
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state, GuaranteeState::Missing);
  bool listed = false;
  for (const auto& r : plan->report.rules)
    listed |= r.subject == "/home/u/proj/sub/.vscode" && r.effect.find("NOT protected") == 0;
  EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

// Unix sockets: the broker is the mechanism wherever seccomp is; without seccomp the
// guarantee is Missing (and the plan refuses unless best effort), never claimed.
TEST(LinuxPlannerUnixSockets, TheBrokerHoldsWithSeccompAndIsNeverClaimedWithout) {
  for (bool userns : {true, false}) {
    auto caps = host(7, userns);
    caps.seccomp = true;
    const PlanReport r = linux_guarantees(base_policy(), caps);
    const auto* g = guarantee(r, "host services (unix sockets)");
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->state, GuaranteeState::Enforced);
    EXPECT_NE(g->mechanism.find("broker"), std::string::npos) << g->mechanism;
  }
  auto caps = host(7);
  caps.seccomp = false;
  auto r = linux_guarantees(base_policy(), caps);
  const auto* g = guarantee(r, "host services (unix sockets)");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state, GuaranteeState::Missing);
  EXPECT_FALSE(g->fix.empty());
}

TEST(LinuxPlannerUnixSockets, ExplainListsTheBrokerAndEachGrant) {
  auto fs = base_fs();
  auto p = base_policy();
  p.net.allow_unix_sockets = {"/tmp/ssh-x/agent.1"};
  auto caps = host(7);
  caps.seccomp = true;
  auto plan = plan_linux(p, caps, fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  std::vector<std::string> subjects;
  for (const auto& r : plan->report.rules)
    if (r.category == "unix-socket") subjects.push_back(r.subject);
  ASSERT_GE(subjects.size(), 3u);
  EXPECT_EQ(subjects[0], "pathname sockets");
  EXPECT_EQ(subjects[1], "/tmp/ssh-x/agent.1");
  // The old denylist stays visible, as examples.
  EXPECT_NE(std::find(subjects.begin(), subjects.end(), "/run/docker.sock"), subjects.end());
  EXPECT_NE(std::find(subjects.begin(), subjects.end(), "/run/user/1000/*"), subjects.end());
  const DenialRules rules = denial_rules(p, *plan, "/home/u");
  EXPECT_TRUE(rules.broker_connect);
  EXPECT_TRUE(rules.own_netns);
  EXPECT_EQ(rules.allowed_unix_sockets, p.net.allow_unix_sockets);
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

// A set-id file made inside would run as its owner outside: every chmod call refuses the
// bits in BPF (a register), for set-user-id and set-group-id alike.
TEST(LinuxPlannerSeccomp, ChmodCannotSetTheSetIdBits) {
  auto fs = base_fs();
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  for (const char* call : {"chmod", "fchmod", "fchmodat", "fchmodat2"})
    for (uint64_t bit : {uint64_t{04000}, uint64_t{02000}}) {
      bool found = false;
      for (const auto& r : plan->seccomp)
        found |= r.syscall == call && r.check == ArgCheck::MaskedEq && r.mask == bit && r.value == bit;
      EXPECT_TRUE(found) << call << " " << bit;
    }
}

}  // namespace

// With the creation broker, a linked worktree's .git file and its gitdir under
// .git/worktrees are not mounts (git worktree remove deletes both): the broker guards the
// pointer's bytes and the gitdir's allowlist; without it, both stay read-only binds.
TEST(LinuxPlanner, ALinkedWorktreeIsRemovableWithTheBroker) {
  auto fs = base_fs();
  fs.dir("/home/u/proj/.git/worktrees/wt")
      .file("/home/u/proj/.git/worktrees/wt/HEAD", "ref: refs/heads/wt\n")
      .file("/home/u/proj/.git/worktrees/wt/commondir", "../..\n")
      .file("/home/u/proj/.git/worktrees/wt/config.worktree", "[core]\n\tsparseCheckout = true\n")
      .dir("/home/u/proj/sub/wt")
      .file("/home/u/proj/sub/wt/.git", "gitdir: /home/u/proj/.git/worktrees/wt\n");
  auto caps = host(7);
  caps.seccomp = caps.openat2 = true;
  auto plan = plan_linux(base_policy(), caps, fs, kInputs);
  ASSERT_TRUE(plan);
  ASSERT_TRUE(plan->creation_broker);
  std::set<std::string> mounted;
  for (const auto& m : plan->mounts) mounted.insert(m.target);
  for (const char* p :
       {"/home/u/proj/sub/wt/.git", "/home/u/proj/sub/wt", "/home/u/proj/.git/worktrees/wt",
        "/home/u/proj/.git/worktrees/wt/commondir", "/home/u/proj/.git/worktrees/wt/config.worktree"})
    EXPECT_FALSE(mounted.count(p)) << p;
  EXPECT_TRUE(mounted.count("/home/u/proj/.git/worktrees")) << "pinned: holds the gitdir's path";
  EXPECT_EQ(plan->guarded_pointers, std::vector<std::string>{"/home/u/proj/sub/wt/.git"});
  EXPECT_TRUE(std::count(plan->gitdirs.begin(), plan->gitdirs.end(), "/home/u/proj/.git/worktrees/wt"));
  auto rules = denial_rules(base_policy(), *plan, "/home/u");
  EXPECT_EQ(rules.guarded_files, plan->guarded_pointers);

  caps.openat2 = false;  // Linux < 5.6: no creation broker
  auto old = plan_linux(base_policy(), caps, fs, kInputs);
  ASSERT_TRUE(old) << old.error().message();
  std::set<std::string> bound;
  for (const auto& m : old->mounts) bound.insert(m.target);
  for (const char* p : {"/home/u/proj/sub/wt/.git", "/home/u/proj/.git/worktrees/wt/commondir",
                        "/home/u/proj/.git/worktrees/wt"})
    EXPECT_TRUE(bound.count(p)) << p;
  EXPECT_TRUE(old->guarded_pointers.empty());
}

// Bare repositories in a writable root (a local remote a test pushes to) and repositories
// in the first levels of a tool cache the walk skips (node_modules/pkg/.git) are git
// directories like the workspace's own.
TEST(LinuxPlanner, BareRepositoriesAndRepositoriesInToolCachesAreProtected) {
  auto fs = base_fs();
  fs.dir("/home/u/proj/remote.git/objects")
      .dir("/home/u/proj/remote.git/refs")
      .dir("/home/u/proj/remote.git/hooks")
      .file("/home/u/proj/remote.git/HEAD", "ref: refs/heads/main\n")
      .file("/home/u/proj/remote.git/config", "[core]\n\tbare = true\n");
  fs.dir("/home/u/proj/node_modules/pkg/.git/hooks")
      .file("/home/u/proj/node_modules/pkg/.git/HEAD", "ref: refs/heads/main\n")
      .file("/home/u/proj/node_modules/pkg/.git/config");
  fs.dir("/home/u/proj/node_modules/@scope/lib/.git/hooks")
      .file("/home/u/proj/node_modules/@scope/lib/.git/HEAD", "ref: refs/heads/main\n");
  fs.dir("/home/u/proj/node_modules/a/node_modules/b/.git/hooks")
      .file("/home/u/proj/node_modules/a/node_modules/b/.git/HEAD", "ref: refs/heads/main\n");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  auto has = [&](const std::string& g) {
    return std::count(plan->gitdirs.begin(), plan->gitdirs.end(), g) > 0;
  };
  EXPECT_TRUE(has("/home/u/proj/remote.git"));
  EXPECT_TRUE(has("/home/u/proj/node_modules/pkg/.git"));
  EXPECT_TRUE(has("/home/u/proj/node_modules/@scope/lib/.git"));
  EXPECT_FALSE(has("/home/u/proj/node_modules/a/node_modules/b/.git")) << "deeper: not searched (documented)";
  std::set<std::string> bound;
  for (const auto& m : plan->mounts)
    if (m.kind == MountKind::BindReadOnly) bound.insert(m.target);
  EXPECT_TRUE(bound.count("/home/u/proj/remote.git/hooks"));
  EXPECT_TRUE(bound.count("/home/u/proj/remote.git/config"));
  EXPECT_TRUE(bound.count("/home/u/proj/node_modules/pkg/.git/hooks"));
}

// A nested repository's relative core.hooksPath starts at its own checkout: sub/inner's
// githooks for sub/inner/.git, sub/mod's for a submodule whose gitdir is
// .git/modules/sub/mod, a linked worktree's top for the common config it reads.
TEST(LinuxPlanner, NestedRepositoriesRelativeHooksPathStartsAtTheirOwnCheckout) {
  auto fs = base_fs();
  fs.file("/home/u/proj/sub/inner/.git/HEAD")
      .file("/home/u/proj/sub/inner/.git/config", "[core]\n\thooksPath = githooks\n");
  fs.dir("/home/u/proj/sub/inner/githooks");
  fs.file("/home/u/proj/sub/mod/.git", "gitdir: ../../.git/modules/sub/mod\n");
  fs.file("/home/u/proj/.git/modules/sub/mod/HEAD")
      .file("/home/u/proj/.git/modules/sub/mod/config", "[core]\n\thooksPath = mod-hooks\n");
  fs.dir("/home/u/proj/sub/mod/src");
  fs.file("/home/u/proj/.git/config", "[core]\n\thooksPath = team-hooks\n");
  fs.file("/home/u/proj/wt/.git", "gitdir: ../.git/worktrees/wt\n");
  fs.file("/home/u/proj/.git/worktrees/wt/HEAD").file("/home/u/proj/.git/worktrees/wt/commondir", "../..\n");
  fs.dir("/home/u/proj/wt/w");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(contains(targets(*plan, MountKind::BindReadOnly), "/home/u/proj/sub/inner/githooks"));
  std::set<std::string> refused;
  for (const auto& r : plan->refused_creations) refused.insert(r.path);
  EXPECT_TRUE(refused.count("/home/u/proj/sub/mod/mod-hooks")) << "the submodule's checkout";
  EXPECT_TRUE(refused.count("/home/u/proj/team-hooks")) << "the root's checkout";
  EXPECT_TRUE(refused.count("/home/u/proj/wt/team-hooks")) << "the linked worktree's, from the common config";
}

// The workspace is a linked worktree of a repository outside it: the gitdirs are read-only
// already, but the common config's relative hooksPath names the workspace's own .githooks.
TEST(LinuxPlanner, AWorkspaceThatIsALinkedWorktreeOfARepositoryElsewhereKeepsItsHooksPath) {
  auto fs = base_fs();
  fs.file("/home/u/proj/.git", "gitdir: /home/u/main/.git/worktrees/w\n");
  fs.file("/home/u/main/.git/worktrees/w/HEAD").file("/home/u/main/.git/worktrees/w/commondir", "../..\n");
  fs.file("/home/u/main/.git/HEAD").file("/home/u/main/.git/config", "[core]\n\thooksPath = .githooks\n");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  std::set<std::string> refused;
  for (const auto& r : plan->refused_creations) refused.insert(r.path);
  EXPECT_TRUE(refused.count("/home/u/proj/.githooks"));
}

// --git read-only in a linked worktree protects what it protects in the main one: the common
// dir is read-only whole (also one the walk does not reach: here below a skipped cache
// directory, deeper than it looks), and the common config's relative hooksPath is taken
// from the worktree's top. The default mode protects the same common dir's hooks and config.
TEST(LinuxPlanner, ALinkedWorktreesCommonDirIsProtectedInEveryGitMode) {
  FakeFs fs;
  fs.dir("/home/u/proj/src").dir("/etc").dir("/tmp").dir("/usr/bin");
  const std::string main = "/home/u/proj/.cache/x/y/main/.git";
  fs.file("/home/u/proj/wt/.git", "gitdir: " + main + "/worktrees/wt\n");
  fs.file(main + "/worktrees/wt/HEAD").file(main + "/worktrees/wt/commondir", "../..\n");
  fs.dir(main + "/hooks").file(main + "/HEAD").file(main + "/config", "[core]\n\thooksPath = team-hooks\n");
  auto p = base_policy();
  p.git = GitMode::ReadOnly;
  auto ro = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(ro) << ro.error().message();
  EXPECT_TRUE(contains(targets(*ro, MountKind::BindReadOnly), main));
  EXPECT_TRUE(contains(targets(*ro, MountKind::BindReadOnly), main + "/worktrees/wt"));
  std::set<std::string> refused;
  for (const auto& r : ro->refused_creations) refused.insert(r.path);
  EXPECT_TRUE(refused.count("/home/u/proj/wt/team-hooks")) << "the common config, from the worktree's top";
  p.git = GitMode::ConfigOnly;
  auto co = plan_linux(p, host(7), fs, kInputs);
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_TRUE(contains(targets(*co, MountKind::BindReadOnly), main + "/hooks"));
  EXPECT_TRUE(contains(targets(*co, MountKind::BindReadOnly), main + "/config"));
  refused.clear();
  for (const auto& r : co->refused_creations) refused.insert(r.path);
  EXPECT_TRUE(refused.count("/home/u/proj/wt/team-hooks"));
  // An unreadable commondir refuses the run in read-only mode too (cordon could protect
  // another directory than the one git uses).
  fs.file(main + "/worktrees/wt/commondir", "");
  p.git = GitMode::ReadOnly;
  EXPECT_FALSE(plan_linux(p, host(7), fs, kInputs));
}

// hooksPath = tools/../githooks: the kernel resolves `..` from where tools leads, so a
// link made at tools would move the hooks directory git uses; tools stays what it is
// (absent: uncreatable; a directory: pinned).
TEST(LinuxPlanner, ThePathsADotDotInAHooksPathStepsOutOfStayInPlace) {
  auto fs = base_fs();
  fs.file("/home/u/proj/sub/inner/.git/HEAD")
      .file("/home/u/proj/sub/inner/.git/config",
            "[core]\n\thooksPath = tools/../githooks\n[filter \"x\"]\n\tclean = bin/../x/../clean\n");
  fs.dir("/home/u/proj/sub/inner/bin");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan) << plan.error().message();
  std::set<std::string> refused;
  for (const auto& r : plan->refused_creations) refused.insert(r.path);
  EXPECT_TRUE(refused.count("/home/u/proj/sub/inner/tools"));
  EXPECT_TRUE(refused.count("/home/u/proj/sub/inner/githooks"));
  EXPECT_TRUE(refused.count("/home/u/proj/sub/inner/x"));
  EXPECT_TRUE(contains(targets(*plan, MountKind::Pin), "/home/u/proj/sub/inner/bin"));
}

// A bare repository's relative core.hooksPath is taken from the repository itself (it has
// no worktree): that directory is the one protected.
TEST(LinuxPlanner, ABareRepositorysRelativeHooksPathIsItsOwn) {
  auto fs = base_fs();
  fs.dir("/home/u/proj/remote.git/objects")
      .dir("/home/u/proj/remote.git/refs")
      .file("/home/u/proj/remote.git/HEAD", "ref: refs/heads/main\n")
      .file("/home/u/proj/remote.git/config", "[core]\n\tbare = true\n\thooksPath = custom-hooks\n");
  auto plan = plan_linux(base_policy(), host(7), fs, kInputs);
  ASSERT_TRUE(plan);
  std::set<std::string> refused;
  for (const auto& r : plan->refused_creations) refused.insert(r.path);
  EXPECT_TRUE(refused.count("/home/u/proj/remote.git/custom-hooks"));
}

// --review-all: each staged root becomes an overlay of its own, named in the report; a
// root that is not a writable root of the policy is refused, never mounted.
TEST(LinuxPlanner, ReviewAllStagesEachWritableRootAsAnOverlay) {
  FakeFs fs = base_fs();
  Policy p = base_policy();
  p.writable = {"/home/u/.cache"};
  LinuxPlanInputs in = kInputs;
  in.review_upper = "/s/reviews/a/upper";
  in.review_work = "/s/reviews/a/work";
  in.review_roots = {{"/home/u/.cache", "/s/reviews/a/roots/1/upper", "/s/reviews/a/roots/1/work"}};
  auto plan = plan_linux(p, host(7), fs, in);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_TRUE(plan->review.has_value());
  ASSERT_EQ(plan->review_roots.size(), 1u);
  EXPECT_EQ(plan->review_roots[0].target, "/home/u/.cache");
  EXPECT_EQ(plan->review_roots[0].options,
            "lowerdir=/home/u/.cache,upperdir=/s/reviews/a/roots/1/upper,workdir=/s/reviews/a/roots/1/work,"
            "userxattr");
  bool reported = false;
  for (const auto& r : plan->report.rules)
    reported = reported || (r.subject == "/home/u/.cache" && r.effect == "staged (--review-all)");
  EXPECT_TRUE(reported);
  in.review_roots = {{"/etc", "/s/u", "/s/w"}};
  EXPECT_FALSE(plan_linux(p, host(7), fs, in));
  in.review_roots = {{"/home/u/proj", "/s/u", "/s/w"}};  // the workspace has its own overlay
  EXPECT_FALSE(plan_linux(p, host(7), fs, in));
}

}  // namespace cordon
