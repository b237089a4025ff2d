// Config files and command-line flags, driven through the real binary: bad input is a
// clear error and nothing runs; a project config cannot widen the policy; flags win;
// `explain` and `check` describe what is enforced.
#include <map>
#include <nlohmann/json.hpp>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

// `cordon ARGS...` in the workspace, with the fake home (so the user config is the fake one).
Outcome cordon(const Sandbox& box, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {cordon_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, box.ws.path(), "", box.env());
}

// `cordon run OPTS -- sh -c 'echo ran > ran.txt'`: the marker shows whether anything ran.
Outcome run_marker(const Sandbox& box, std::vector<std::string> opts) {
  opts.insert(opts.begin(), "run");
  opts.insert(opts.end(), {"--", "sh", "-c", "echo ran > ran.txt"});
  return cordon(box, opts);
}

// Asserts the run was refused before anything started, and the message names each piece.
void expect_refused(const Sandbox& box, const Outcome& o, const std::vector<std::string>& named) {
  EXPECT_NE(o.code, 0) << o.err;
  EXPECT_FALSE(exists(box.ws / "ran.txt")) << "the command ran although the input was bad";
  for (const auto& n : named)
    EXPECT_TRUE(contains(o.err, n)) << "message should name '" << n << "':\n" << o.err;
}

// A config file outside the workspace; returns its path.
std::string config_file(const OutsideDir& dir, const std::string& text) {
  write_file(dir / "config.toml", text);
  return dir / "config.toml";
}

}  // namespace

// ---- bad input: a clear error, nothing runs ----------------------------------------------

TEST(ConfigCli, UnknownConfigKeyIsNamedWithFileAndLine) {
  Sandbox box;
  OutsideDir dir;
  auto path = config_file(dir, "# cordon\n[filesystem]\nwritable_roots = [\"/var/tmp\"]\n");
  expect_refused(box, run_marker(box, {"--config", path}), {"writable_roots", path, ":3"});
}

TEST(ConfigCli, RelativePathInConfigIsRefused) {
  Sandbox box;
  OutsideDir dir;
  auto path = config_file(dir, "[filesystem]\nwritable = [\"build/out\"]\n");
  expect_refused(box, run_marker(box, {"--config", path}), {"filesystem.writable", "build/out", path, ":2"});
}

TEST(ConfigCli, MalformedTomlIsRefused) {
  Sandbox box;
  OutsideDir dir;
  auto path = config_file(dir, "[filesystem\nwritable = \n");
  expect_refused(box, run_marker(box, {"--config", path}), {path, ":1"});
}

TEST(ConfigCli, MissingConfigFileGivenByFlagIsRefused) {
  Sandbox box;
  OutsideDir dir;
  expect_refused(box, run_marker(box, {"--config", dir / "absent.toml"}), {dir / "absent.toml"});
}

TEST(ConfigCli, MissingWritableDirectoryIsRefused) {
  Sandbox box;
  OutsideDir dir;
  expect_refused(box, run_marker(box, {"--no-config", "--writable", dir / "missing"}),
                 {"--writable", dir / "missing"});
}

TEST(ConfigCli, ReadOnlyModeWithWritableRootConflicts) {
  Sandbox box;
  OutsideDir dir;
  expect_refused(box, run_marker(box, {"--no-config", "--mode", "read-only", "--writable", dir.path()}),
                 {"--writable", "read-only"});
}

TEST(ConfigCli, FullAccessWithProtectConflicts) {
  Sandbox box;
  expect_refused(box, run_marker(box, {"--no-config", "--mode", "full-access", "--protect", box.ws / "ci"}),
                 {"full-access", "--protect"});
}

TEST(ConfigCli, BadNetValueIsRefused) {
  Sandbox box;
  expect_refused(box, run_marker(box, {"--no-config", "--net", "maybe"}), {"--net", "maybe"});
}

TEST(ConfigCli, BadModeValueIsRefused) {
  Sandbox box;
  expect_refused(box, run_marker(box, {"--no-config", "--mode", "yolo"}), {"--mode", "yolo"});
}

TEST(ConfigCli, ValidConfigFileRuns) {
  Sandbox box;
  OutsideDir dir;
  auto path = config_file(dir, "[filesystem]\nprotect = [\"~/nothing-here\"]\n[network]\nmode = \"off\"\n");
  auto o = run_marker(box, {"--config", path});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "ran.txt"), "ran\n");
}

// ---- the user config comes from the user ---------------------------------------------------

// A repository that ships `.config/cordon/config.toml` asking for full access, and a caller
// whose environment points XDG_CONFIG_HOME (or HOME) into the checkout (an agent that loads
// the project's .env): refused, nothing runs. The same file outside is honoured.
TEST(ConfigCli, UserConfigInsideTheWorkspaceIsRefused) {
  Sandbox box;
  write_file(box.ws / ".config/cordon/config.toml", "mode = \"full-access\"\n");
  OutsideDir outside;
  for (const std::string& var : {"XDG_CONFIG_HOME=" + box.ws.path() + "/.config", "HOME=" + box.ws.path()}) {
    std::vector<std::string> env = box.env({var});
    if (var.rfind("HOME=", 0) == 0) env.push_back("XDG_CONFIG_HOME=");  // HOME alone decides
    auto o = run_process({cordon_binary(), "run", "--", "sh", "-c",
                          "echo ran > ran.txt; echo x > '" + outside.path() + "/escaped'"},
                         box.ws.path(), "", env);
    expect_refused(box, o, {"user config", "lies inside"});
    EXPECT_FALSE(exists(outside / "escaped")) << var;
  }
  // The allowed half: a user config outside the workspace is read (its extra root works).
  OutsideDir cfg, extra;
  write_file(cfg / "cordon/config.toml", "[filesystem]\nwritable = [\"" + extra.path() + "\"]\n");
  auto ok = run_process({cordon_binary(), "run", "--", "sh", "-c",
                         "echo ran > ran.txt; echo y > '" + extra.path() + "/allowed'"},
                        box.ws.path(), "", box.env({"XDG_CONFIG_HOME=" + cfg.path()}));
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(read_file(extra / "allowed"), "y\n");
}

// ---- the project config may only narrow ---------------------------------------------------

TEST(ConfigCli, ProjectConfigCannotTurnTheNetworkOn) {
  Sandbox box;
  write_file(box.ws / ".cordon/config.toml", "[network]\nmode = \"on\"\n");
  expect_refused(box, run_marker(box, {}), {"network.mode", ".cordon/config.toml", ":2"});
}

TEST(ConfigCli, ProjectConfigCannotAddWritableRoots) {
  Sandbox box;
  OutsideDir extra;
  write_file(box.ws / ".cordon/config.toml", "[filesystem]\nwritable = [\"" + extra.path() + "\"]\n");
  expect_refused(box, run_marker(box, {}), {"filesystem.writable", ".cordon/config.toml"});
}

TEST(ConfigCli, ProjectConfigCannotAskForFullAccess) {
  Sandbox box;
  write_file(box.ws / ".cordon/config.toml", "mode = \"full-access\"\n");
  expect_refused(box, run_marker(box, {}), {"mode", ".cordon/config.toml"});
}

TEST(ConfigCli, ProjectConfigThatNarrowsIsApplied) {
  Sandbox box;
  write_file(box.ws / ".cordon/config.toml", "[filesystem]\nprotect = [\"" + box.ws.path() + "/ci\"]\n");
  write_file(box.ws / "ci/deploy.sh", "echo deploy\n");
  auto o = cordon(box, {"run", "--", "sh", "-c", "echo ran > ran.txt; echo evil > ci/deploy.sh; true"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "ran.txt"), "ran\n");
  EXPECT_EQ(read_file(box.ws / "ci/deploy.sh"), "echo deploy\n");
}

// ---- precedence ----------------------------------------------------------------------------

TEST(ConfigCli, UserConfigAppliesAndFlagsOverrideIt) {
  Sandbox box;
  // The default user config location under the (fake) home.
  write_file(box.home / ".config/cordon/config.toml", "mode = \"read-only\"\n");
  auto from_config = run_marker(box, {});
  EXPECT_FALSE(exists(box.ws / "ran.txt"))
      << "read-only from the user config should deny the write: " << from_config.err;

  auto overridden = run_marker(box, {"--mode", "workspace-write"});
  EXPECT_EQ(overridden.code, 0) << overridden.err;
  EXPECT_EQ(read_file(box.ws / "ran.txt"), "ran\n");
}

TEST(ConfigCli, NoConfigIgnoresTheUserConfig) {
  Sandbox box;
  write_file(box.home / ".config/cordon/config.toml", "mode = \"read-only\"\n");
  auto o = run_marker(box, {"--no-config"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "ran.txt"), "ran\n");
}

// ---- explain and check -----------------------------------------------------------------------

TEST(ConfigCli, ExplainJsonListsTheWorkspaceWritableAndHooksProtected) {
  Sandbox box;
  fs::create_directories(box.ws / ".git/hooks");
  auto o = cordon(box, {"explain", "--no-config", "--json", "--", "true"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto doc = nlohmann::json::parse(o.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "not valid JSON:\n" << o.out;
  ASSERT_TRUE(doc.contains("rules") && doc["rules"].is_array()) << o.out;
  bool workspace_writable = false, hooks_protected = false;
  for (const auto& rule : doc["rules"]) {
    const auto subject = rule.value("subject", "");
    const auto category = rule.value("category", "");
    if (subject == box.ws.path() && category == "write" && contains(rule.value("effect", ""), "read-write"))
      workspace_writable = true;
    if (subject == box.ws / ".git/hooks" && category == "protect") hooks_protected = true;
  }
  EXPECT_TRUE(workspace_writable) << o.out;
  EXPECT_TRUE(hooks_protected) << o.out;
  EXPECT_FALSE(exists(box.ws / ".cordon")) << "explain must not create placeholders";
}

TEST(ConfigCli, CheckPrintsEachGuarantee) {
  Sandbox box;
  auto o = cordon(box, {"check", "--no-config"});
  for (const char* g :
       {"write confinement", "protected paths", "secret denial", "network off", "process isolation"})
    EXPECT_TRUE(contains(o.out, g)) << "missing '" << g << "':\n" << o.out << o.err;
}

// What `check` says holds on this host must match what `run` then enforces.
TEST(ConfigCli, CheckAgreesWithWhatRunEnforces) {
  Sandbox box;
  auto check = cordon(box, {"check", "--no-config", "--json"});
  auto run = cordon(box, {"run", "--no-config", "--json", "--", "true"});
  ASSERT_EQ(run.code, 0) << run.err;
  auto check_doc = nlohmann::json::parse(check.out, nullptr, false);
  ASSERT_FALSE(check_doc.is_discarded()) << check.out;
  // The result object is the last line of stderr.
  std::string last = run.err;
  while (!last.empty() && last.back() == '\n') last.pop_back();
  last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
  auto run_doc = nlohmann::json::parse(last, nullptr, false);
  ASSERT_FALSE(run_doc.is_discarded()) << run.err;

  std::map<std::string, std::string> checked;
  for (const auto& g : check_doc["guarantees"]) checked[g.value("name", "")] = g.value("state", "");
  std::string mismatches;
  for (const auto& g : run_doc["guarantees"]) {
    const auto name = g.value("name", "");
    if (checked.count(name) && checked[name] != g.value("state", ""))
      mismatches +=
          "  " + name + ": check says " + checked[name] + ", run says " + g.value("state", "") + "\n";
  }
  EXPECT_EQ(mismatches, "") << "check's host probe: " << check_doc["detail"].dump();
}
