// The user's startup files, git config and editor configuration (defaults::
// protected_home_entries, shared with Linux, and Windows' own: the Startup folder,
// PowerShell profiles, VS Code's user directory) stay read-only when a writable root holds
// them: HOME set to a checkout (Git Bash, git and the editors read it), or --writable on a
// directory of the profile. Checked through the access model; each case fails on the
// planner before it read the lists.
#include <gtest/gtest.h>

#include <algorithm>

#include "plan/windows/win_path.hpp"
#include "win_fixture.hpp"

namespace cordon::win {
namespace {

using test::expect_cases;
using test::Host;
using test::kProfile;
using test::kWs;
using test::ws;

bool has_placeholder(const WinPlan& plan, const std::string& path, bool directory) {
  return std::any_of(plan.placeholders.begin(), plan.placeholders.end(), [&](const Placeholder& p) {
    return same_path(p.path, path) && p.directory == directory;
  });
}

std::string profile(const std::string& rel) {
  return std::string(kProfile) + "\\" + rel;
}

TEST(WinHomeEntries, AHomeInsideTheWorkspaceKeepsItsStartupFilesAndGitConfig) {
  Host h;
  h.host.git_home = kWs;  // HOME=%CD% in some CI setups
  h.fs->add_file(ws(".bashrc"), {}, "echo hi\n");
  h.fs->mkdir(ws(".config"));
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  const TokenModel t = model_token(*r, h.host);
  EXPECT_TRUE(has_placeholder(*r, ws(".bash_profile"), false));
  EXPECT_TRUE(has_placeholder(*r, ws(".config\\git"), true));
  EXPECT_TRUE(has_placeholder(*r, ws(".vim"), true));
  expect_cases(*h.fs, t,
               {{Op::Write, ws(".bashrc"), false},
                {Op::Delete, ws(".bashrc"), false},
                {Op::Rename, ws("evil"), false, ws(".bashrc")},
                {Op::Write, ws(".bash_profile"), false},
                {Op::Create, ws(".config\\git\\config"), false},
                {Op::Rename, ws(".config"), false, ws("config_old")},
                {Op::Create, ws(".config\\other.json"), true},
                {Op::Write, ws("src\\main.c"), true}});
  // Nothing in the real profile: it is no writable root.
  for (const auto& ph : r->placeholders) EXPECT_TRUE(is_within(ph.path, kWs)) << ph.path;
}

TEST(WinHomeEntries, AWritableDirectoryOfTheProfileKeepsWhatRunsCodeInIt) {
  Host h;
  const std::string documents = profile("Documents");
  const std::string roaming = profile("AppData\\Roaming");
  h.fs->mkdir(documents + "\\WindowsPowerShell");
  h.fs->add_file(documents + "\\WindowsPowerShell\\Microsoft.PowerShell_profile.ps1");
  h.fs->add_file(documents + "\\notes.txt");
  h.fs->mkdir(roaming + "\\Microsoft\\Windows\\Start Menu\\Programs");
  h.fs->mkdir(roaming + "\\Code");
  Policy policy = test::ws_policy();
  policy.writable = {documents, roaming};
  CapabilitySids caps = test::test_caps();
  caps.by_root[path_key(documents)] = sids::capability({9, 9, 9, 9});
  caps.by_root[path_key(roaming)] = sids::capability({9, 9, 9, 10});
  auto r = plan_windows(policy, h.host, caps, test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  const TokenModel t = model_token(*r, h.host);
  EXPECT_TRUE(has_placeholder(*r, documents + "\\PowerShell", true));
  EXPECT_TRUE(has_placeholder(*r, roaming + "\\Microsoft\\Windows\\Start Menu\\Programs\\Startup", true));
  EXPECT_TRUE(has_placeholder(*r, roaming + "\\Code\\User", true));
  expect_cases(
      *h.fs, t,
      {{Op::Write, documents + "\\WindowsPowerShell\\Microsoft.PowerShell_profile.ps1", false},
       {Op::Create, documents + "\\WindowsPowerShell\\profile.ps1", false},
       {Op::Rename, documents + "\\WindowsPowerShell", false, documents + "\\wps_old"},
       {Op::Create, documents + "\\PowerShell\\Microsoft.PowerShell_profile.ps1", false},
       {Op::Create, roaming + "\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\evil.cmd", false},
       {Op::Rename, roaming + "\\Microsoft", false, roaming + "\\ms_old"},
       {Op::Create, roaming + "\\Code\\User\\settings.json", false},
       // The rest of the roots stays writable.
       {Op::Write, documents + "\\notes.txt", true},
       {Op::Create, roaming + "\\Code\\cache.bin", true}});
}

TEST(WinHomeEntries, AWritableRootThatIsAHomeEntryIsReadOnly) {
  // --writable %USERPROFILE%\.config\git: Linux makes it read-only too (what git reads as
  // the user's configuration is never the sandbox's to write).
  Host h;
  const std::string git = profile(".config\\git");
  h.fs->mkdir(git);
  Policy policy = test::ws_policy();
  policy.writable = {git};
  CapabilitySids caps = test::test_caps();
  caps.by_root[path_key(git)] = sids::capability({9, 9, 9, 11});
  auto r = plan_windows(policy, h.host, caps, test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  expect_cases(*h.fs, model_token(*r, h.host), {{Op::Create, git + "\\config", false}});
}

// XDG_CONFIG_HOME inside a root: git (and the ports of fish, Neovim, tmux) read their
// .config entries from there instead; protected at both places, as on Linux.
TEST(WinHomeEntries, XdgConfigHomeInsideARootIsProtectedToo) {
  Host h;
  h.host.xdg_config_home = ws("xdg");
  h.fs->mkdir(ws("xdg\\git"));
  h.fs->add_file(ws("xdg\\git\\config"), {}, "[user]\n");
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  EXPECT_TRUE(has_placeholder(*r, ws("xdg\\nvim"), true));
  expect_cases(*h.fs, model_token(*r, h.host),
               {{Op::Write, ws("xdg\\git\\config"), false},
                {Op::Create, ws("xdg\\git\\attributes"), false},
                {Op::Create, ws("xdg\\fish\\config.fish"), false},
                {Op::Create, ws("xdg\\other.txt"), true}});
}

// cordon's own user config below a directory that does not exist yet (HOME set to a
// checkout without .config): the first absent directory is the placeholder, as on Linux;
// it was left creatable (listed as unprotected) before.
TEST(WinHomeEntries, TheUserConfigBelowAnAbsentDirectoryIsUncreatable) {
  Host h;
  h.host.config_dir = ws(".config\\cordon");
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  EXPECT_TRUE(has_placeholder(*r, ws(".config"), true));
  EXPECT_TRUE(r->unprotected.empty());
  expect_cases(*h.fs, model_token(*r, h.host),
               {{Op::Mkdir, ws(".config\\cordon"), false},
                {Op::Create, ws(".config\\cordon\\config.toml"), false},
                {Op::Delete, ws(".config"), false}});
}

}  // namespace
}  // namespace cordon::win
