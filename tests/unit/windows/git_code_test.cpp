// Issue 13 on Windows: what git's configuration names as code (core.hooksPath, included
// files, the programs and scripts of command-valued keys) is protected inside the writable
// roots as on Linux (git_hooks::code_files), checked through the access model: each
// case fails on the planner before it read the configuration.
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

bool has_ace_within(const WinPlan& plan, const std::string& dir) {
  return std::any_of(plan.aces.begin(), plan.aces.end(),
                     [&](const PlannedAce& a) { return is_within(a.path, dir); });
}

bool has_placeholder(const WinPlan& plan, const std::string& path, bool directory) {
  return std::any_of(plan.placeholders.begin(), plan.placeholders.end(), [&](const Placeholder& p) {
    return same_path(p.path, path) && p.directory == directory;
  });
}

// Plans with `config` as the workspace's .git\config, applies the plan to the model and
// returns the sandbox token.
struct Planned {
  Host h;
  WinPlan plan;
  TokenModel token;
};

std::unique_ptr<Planned> plan_with(const std::string& config, void (*setup)(Host&) = nullptr,
                                   Policy policy = test::ws_policy()) {
  auto p = std::make_unique<Planned>();
  p->h.fs->add_file(ws(".git\\config.new"), {}, config);
  // Replace the fixture's config by the case's.
  EXPECT_TRUE(p->h.fs->remove(ws(".git\\config")));
  EXPECT_TRUE(p->h.fs->rename_entry(ws(".git\\config.new"), "config"));
  if (setup) setup(p->h);
  auto r = plan_windows(policy, p->h.host, test::test_caps(), test::with_audit());
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  if (!r) return p;
  p->plan = *r;
  test::apply(*p->h.fs, p->plan);
  p->token = model_token(p->plan, p->h.host);
  return p;
}

TEST(WinGitCode, TrackedHooksPathIsProtected) {
  // husky and hook managers: a tracked directory of the worktree.
  auto p = plan_with("[core]\n\thooksPath = .githooks\n", [](Host& h) {
    h.fs->mkdir(ws(".githooks"));
    h.fs->add_file(ws(".githooks\\pre-commit"), {}, "#!/bin/sh\n");
  });
  expect_cases(*p->h.fs, p->token,
               {{Op::Write, ws(".githooks\\pre-commit"), false},
                {Op::Create, ws(".githooks\\post-checkout"), false},
                {Op::Delete, ws(".githooks\\pre-commit"), false},
                {Op::Rename, ws(".githooks"), false, ws("githooks_old")},
                {Op::Delete, ws(".githooks"), false},
                {Op::Write, ws("src\\main.c"), true},
                {Op::Create, ws("src\\new.c"), true}});
}

TEST(WinGitCode, AbsentHooksPathGetsAPlaceholderAndItsParentsArePinned) {
  // (.husky itself is a protected name: a directory of the tree, ci\hooks here.)
  auto p = plan_with("[core]\n\thooksPath = ci/hooks\n", [](Host& h) { h.fs->mkdir(ws("ci")); });
  EXPECT_TRUE(has_placeholder(p->plan, ws("ci\\hooks"), true));
  expect_cases(*p->h.fs, p->token,
               {{Op::Create, ws("ci\\hooks\\pre-commit"), false},
                {Op::Rename, ws("ci"), false, ws("ci_old")},
                {Op::Delete, ws("ci\\hooks"), false},
                {Op::Rename, ws("ci\\hooks"), false, ws("ci\\h2")},
                {Op::Create, ws("ci\\notes.txt"), true}});
}

TEST(WinGitCode, AbsentChainIsBlockedAtItsFirstAbsentDirectory) {
  auto p = plan_with("[core]\n\thooksPath = build/hooks/git\n");
  EXPECT_TRUE(has_placeholder(p->plan, ws("build"), true));
  expect_cases(*p->h.fs, p->token,
               {{Op::Mkdir, ws("build\\hooks"), false}, {Op::Delete, ws("build"), false}});
}

TEST(WinGitCode, HooksPathAtTheTopProtectsEveryHookName) {
  auto p = plan_with("[core]\n\thooksPath = .\n",
                     [](Host& h) { h.fs->add_file(ws("pre-commit"), {}, "#!/bin/sh\nexit 0\n"); });
  EXPECT_TRUE(has_placeholder(p->plan, ws("commit-msg"), false));
  expect_cases(*p->h.fs, p->token,
               {{Op::Write, ws("pre-commit"), false},
                {Op::Delete, ws("pre-commit"), false},
                {Op::Write, ws("post-checkout"), false},
                {Op::Rename, ws("evil"), false, ws("pre-push")},
                // the root itself stays writable
                {Op::Create, ws("README.md"), true},
                {Op::Write, ws("evil"), true}});
}

TEST(WinGitCode, IncludedFilesAreProtected) {
  // A tracked .gitconfig included by .git\config is config like .git\config; an included
  // file may include further (relative to itself), and includeIf counts too.
  auto p =
      plan_with("[include]\n\tpath = ../.gitconfig\n[includeIf \"gitdir:C:/\"]\n\tpath = ../ci/absent.inc\n",
                [](Host& h) {
                  h.fs->add_file(ws(".gitconfig"), {}, "[include]\n\tpath = conf/more.inc\n");
                  h.fs->mkdir(ws("conf"));
                  h.fs->add_file(ws("conf\\more.inc"), {}, "[core]\n\tfsmonitor = tools\\\\fsmon.cmd\n");
                });
  EXPECT_TRUE(has_placeholder(p->plan, ws("ci"), true));
  EXPECT_TRUE(has_placeholder(p->plan, ws("tools\\fsmon.cmd"), false) ||
              has_placeholder(p->plan, ws("tools"), true));
  expect_cases(*p->h.fs, p->token,
               {{Op::Write, ws(".gitconfig"), false},
                {Op::Delete, ws(".gitconfig"), false},
                {Op::Write, ws("conf\\more.inc"), false},
                {Op::Rename, ws("conf"), false, ws("conf2")},
                {Op::Create, ws("ci\\absent.inc"), false},
                {Op::Create, ws("tools\\fsmon.cmd"), false},
                {Op::Create, ws("conf\\other.txt"), true}});
}

TEST(WinGitCode, ProgramsOfCommandValuedKeysAreProtected) {
  auto p = plan_with(
      "[filter \"lfs\"]\n\tclean = tools/clean.cmd %f\n"
      "[diff \"img\"]\n\ttextconv = \"scripts\\\\conv.ps1\"\n"
      "[credential]\n\thelper = C:/Users/alice/src/ws/bin/cred.exe --store\n"
      "[alias]\n\tst = !sh ./scripts/st.sh\n"
      "[core]\n\tpager = C:\\\\Tools\\\\less.exe\n",
      [](Host& h) {
        h.fs->mkdir(ws("tools"));
        h.fs->add_file(ws("tools\\clean.cmd"), {}, "@exit 0\r\n");
        h.fs->mkdir(ws("scripts"));
        h.fs->mkdir(ws("bin"));
      });
  // Absent programs: directories, so an empty program never runs in their place.
  EXPECT_TRUE(has_placeholder(p->plan, ws("scripts\\conv.ps1"), true));
  EXPECT_TRUE(has_placeholder(p->plan, ws("bin\\cred.exe"), true));
  EXPECT_TRUE(has_placeholder(p->plan, ws("scripts\\st.sh"), true));
  expect_cases(*p->h.fs, p->token,
               {{Op::Write, ws("tools\\clean.cmd"), false},
                {Op::Delete, ws("tools\\clean.cmd"), false},
                {Op::Rename, ws("tools"), false, ws("tools2")},
                {Op::Create, ws("scripts\\conv.ps1\\x"), false},
                {Op::Delete, ws("scripts\\conv.ps1"), false},
                {Op::Delete, ws("bin\\cred.exe"), false},
                {Op::Create, ws("tools\\other.cmd"), true},
                {Op::Create, ws("scripts\\other.sh"), true}});
  // Outside every root: nothing planned there (C:\Tools is outside).
  EXPECT_FALSE(has_ace_within(p->plan, "C:\\Tools\\less.exe"));
}

TEST(WinGitCode, ShortNamesCaseAndStreamsReachTheRealEntry) {
  auto p = plan_with(
      "[core]\n\thooksPath = C:\\\\Users\\\\alice\\\\src\\\\ws\\\\GITHOO~1:evil\n"
      "[filter \"x\"]\n\tsmudge = .TOOLS/Smudge.CMD\n",
      [](Host& h) {
        h.fs->mkdir(ws(".githooks"));
        h.fs->set_short_name(ws(".githooks"), "GITHOO~1");
        h.fs->mkdir(ws(".tools"));
        h.fs->add_file(ws(".tools\\smudge.cmd"));
      });
  EXPECT_FALSE(std::any_of(p->plan.aces.begin(), p->plan.aces.end(), [](const PlannedAce& a) {
    return a.path.find('~') != std::string::npos || a.path.find(":evil") != std::string::npos;
  }));
  EXPECT_TRUE(p->plan.placeholders.empty() ||
              std::none_of(p->plan.placeholders.begin(), p->plan.placeholders.end(),
                           [](const Placeholder& ph) { return ph.path.find('~') != std::string::npos; }));
  expect_cases(*p->h.fs, p->token,
               {{Op::Create, ws(".githooks\\pre-commit"), false},
                {Op::Create, ws("GITHOO~1\\pre-commit"), false},
                {Op::Write, ws(".githooks:evil"), false},
                {Op::Write, ws(".tools\\smudge.cmd"), false},
                {Op::Write, ws(".tools\\smudge.cmd:x"), false}});
}

TEST(WinGitCode, ALinkOnTheWayIsRefusedAndNeverProtectsItsTarget) {
  // ws\out is a junction to a directory outside the workspace (fixture).
  const std::string config = "[core]\n\thooksPath = out/hooks\n";
  {
    Host h;
    h.fs->remove(ws(".git\\config"));
    h.fs->add_file(ws(".git\\config"), {}, config);
    auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("junction or symbolic link"), std::string::npos)
        << r.error().message();
  }
  Policy best = test::ws_policy();
  best.best_effort = true;
  auto p = plan_with(config, nullptr, best);
  EXPECT_FALSE(p->plan.linked_protected.empty());
  // The link itself is kept in place; nothing lands on its target outside the roots.
  EXPECT_FALSE(has_ace_within(p->plan, kOutside));
  expect_cases(*p->h.fs, p->token,
               {{Op::Delete, ws("out"), false}, {Op::Rename, ws("out"), false, ws("o2")}});
}

TEST(WinGitCode, HostileValuesPlanNothingOutsideTheRoots) {
  auto p = plan_with(
      "[core]\n\thooksPath = ..\\\\..\\\\outside\n"
      "\tfsmonitor = \\\\\\\\attacker\\\\share\\\\x.exe\n"
      "\tpager = \\\\\\\\.\\\\pipe\\\\evil\n"
      "\teditor = NUL\n"
      "\tsshCommand = C:/Users/alice/src/ws/NUL\n"
      "[include]\n\tpath = //attacker/share/inc\n\tpath = C:/Users/alice/outside/secret.txt\n");
  EXPECT_FALSE(has_ace_within(p->plan, kOutside));
  // A reserved name is the device, not a file of the workspace; shares and pipes are
  // neither read nor protected.
  for (const auto& a : p->plan.aces) {
    EXPECT_EQ(fold_case(a.path).find("ws\\nul"), std::string::npos) << a.path;
    EXPECT_EQ(a.path.find("attacker"), std::string::npos) << a.path;
    EXPECT_EQ(a.path.find("pipe"), std::string::npos) << a.path;
  }
  for (const auto& ph : p->plan.placeholders)
    EXPECT_EQ(ph.path.find("attacker"), std::string::npos) << ph.path;
}

TEST(WinGitCode, ReadOnlyGitStillProtectsAHooksPathInTheWorktree) {
  Policy ro = test::ws_policy();
  ro.git = GitMode::ReadOnly;
  auto p = plan_with(
      "[core]\n\thooksPath = .githooks\n", [](Host& h) { h.fs->mkdir(ws(".githooks")); }, ro);
  expect_cases(*p->h.fs, p->token, {{Op::Create, ws(".githooks\\pre-commit"), false}});
}

TEST(WinGitCode, GlobalConfigAndHomeAreRead) {
  auto p = plan_with("[core]\n", [](Host& h) {
    h.host.git_home = test::kProfile;
    h.host.git_configs = {std::string(test::kProfile) + "\\.gitconfig", "C:\\ProgramData\\Git\\config"};
    h.fs->add_file(std::string(test::kProfile) + "\\.gitconfig", {},
                   "[core]\n\thooksPath = ~/src/ws/.hooks\n[alias]\n\tx = !~\\\\src\\\\ws\\\\bin\\\\x.cmd\n");
    h.fs->mkdir(ws(".hooks"));
    h.fs->mkdir(ws("bin"));
  });
  expect_cases(*p->h.fs, p->token,
               {{Op::Create, ws(".hooks\\pre-commit"), false}, {Op::Create, ws("bin\\x.cmd\\y"), false}});
  EXPECT_TRUE(has_placeholder(p->plan, ws("bin\\x.cmd"), true));
}

// GIT_CONFIG_COUNT/KEY/VALUE of the caller's environment (WinHost::git_parameters): git
// run later by the user reads them after every file, as on Linux (ConfigEnv::parameters).
TEST(WinGitCode, TheCallersConfigParametersAreRead) {
  auto p = plan_with("[core]\n", [](Host& h) {
    h.host.git_parameters = {{"core.hooksPath", "envhooks"}, {"alias.x", "!tools/x.cmd"}};
    h.fs->mkdir(ws("tools"));
  });
  EXPECT_TRUE(has_placeholder(p->plan, ws("envhooks"), true));
  EXPECT_TRUE(has_placeholder(p->plan, ws("tools\\x.cmd"), true));
  expect_cases(*p->h.fs, p->token,
               {{Op::Create, ws("envhooks\\pre-commit"), false},
                {Op::Create, ws("tools\\x.cmd\\y"), false},
                {Op::Create, ws("tools\\y.cmd"), true}});
}

// The planner drops every ACE on a profile hive (ntuser.*, usrclass.dat*); it dropped the
// denies of a name in a writable root that only looks like one, leaving that hooks
// directory writable.
TEST(WinGitCode, ANameThatLooksLikeAHiveInARootKeepsItsDenies) {
  auto p =
      plan_with("[core]\n\thooksPath = ntuser.hooks\n", [](Host& h) { h.fs->mkdir(ws("NTUSER.hooks")); });
  expect_cases(
      *p->h.fs, p->token,
      {{Op::Create, ws("ntuser.hooks\\pre-commit"), false}, {Op::Delete, ws("ntuser.hooks"), false}});
}

TEST(WinGitCode, AProgramThatIsADirectoryIsLeftAlone) {
  auto p = plan_with("[alias]\n\tb = !tools/ && echo\n", [](Host& h) { h.fs->mkdir(ws("tools")); });
  EXPECT_FALSE(has_ace_within(p->plan, ws("tools")));
}

// HOME set to the workspace (some CI setups): the global .gitconfig git for Windows reads
// lies in a writable root, so it is protected, and held by a placeholder when absent.
TEST(WinGitCode, AGlobalConfigInsideARootIsProtected) {
  auto p = plan_with("[core]\n", [](Host& h) {
    h.host.git_home = kWs;
    h.host.git_configs = {ws(".gitconfig"), ws(".config\\git\\config")};
    h.fs->add_file(ws(".gitconfig"), {}, "[user]\n");
  });
  EXPECT_TRUE(has_placeholder(p->plan, ws(".config"), true));
  expect_cases(*p->h.fs, p->token,
               {{Op::Write, ws(".gitconfig"), false},
                {Op::Delete, ws(".gitconfig"), false},
                {Op::Mkdir, ws(".config\\git"), false}});
}

}  // namespace
}  // namespace cordon::win
