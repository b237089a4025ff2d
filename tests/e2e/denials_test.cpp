// Denial reports: the real cordon runs a command that is refused something, and the
// run's JSON result (and its stderr summary) names the operation, the path or socket,
// the rule and the smallest option that would allow it. The refusal itself is checked
// from outside too: the supervisor only observes.
#include <nlohmann/json.hpp>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

const std::vector<std::string> kGitIdentity = {
    "GIT_AUTHOR_NAME=Cordon Test", "GIT_AUTHOR_EMAIL=test@example.invalid", "GIT_COMMITTER_NAME=Cordon Test",
    "GIT_COMMITTER_EMAIL=test@example.invalid"};

struct Run {
  Outcome outcome;
  nlohmann::json result;  // the --json object (last line of stderr)
  const nlohmann::json& denials() const { return result["denials"]; }
};

Run run_json(const Sandbox& box, const std::string& script, std::vector<std::string> opts = {}) {
  opts.push_back("--json");
  Run r{box.sh(script, opts), {}};
  std::string err = r.outcome.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  const auto nl = err.rfind('\n');
  r.result = nlohmann::json::parse(nl == std::string::npos ? err : err.substr(nl + 1), nullptr, false);
  if (r.result.is_discarded() || !r.result.contains("denials")) {
    ADD_FAILURE() << "no JSON result on stderr:\n" << r.outcome.err;
    r.result = {{"denials", nlohmann::json::array()}};
  }
  return r;
}

// The record for `path` (and operation), or null.
nlohmann::json find(const Run& r, const std::string& operation, const std::string& path) {
  for (const auto& d : r.denials())
    if (d.value("operation", "") == operation &&
        (d.value("path", "") == path || d.value("address", "") == path))
      return d;
  return nullptr;
}

void expect_record(const Run& r, const std::string& operation, const std::string& path,
                   const std::string& rule, const std::string& suggestion) {
  auto d = find(r, operation, path);
  ASSERT_FALSE(d.is_null()) << "no " << operation << " record for " << path << " in " << r.denials().dump(1)
                            << "\nstderr:\n"
                            << r.outcome.err;
  EXPECT_TRUE(contains(d["rule"].get<std::string>(), rule)) << d.dump();
  EXPECT_EQ(d["suggestion"].get<std::string>().rfind(suggestion, 0), 0u) << d.dump();
}

void make_repo_outside(const Sandbox& box) {
  auto env = box.env(kGitIdentity);
  ASSERT_EQ(run_process({"git", "init", "-q"}, box.ws.path(), "", env).code, 0);
  write_file(box.ws / "README", "readme\n");
  ASSERT_EQ(run_process({"git", "add", "README"}, box.ws.path(), "", env).code, 0);
  ASSERT_EQ(run_process({"git", "commit", "-qm", "init"}, box.ws.path(), "", env).code, 0);
}

}  // namespace

TEST(Denials, WriteOutsideTheWorkspaceNamesTheDirectoryToAllow) {
  Sandbox box;
  OutsideDir out;
  // The command fails: each refusal gets its line (a success gets one summary line).
  auto r = run_json(box, "echo x > '" + (out / "file") + "'; echo ok > inside; false");
  EXPECT_FALSE(exists(out / "file"));
  EXPECT_TRUE(exists(box.ws / "inside"));
  expect_record(r, "create", out / "file", "outside the writable roots", "--writable " + out.path());
  EXPECT_TRUE(find(r, "create", box.ws / "inside").is_null());
  EXPECT_TRUE(contains(r.outcome.err, "cordon: denied create " + (out / "file") +
                                          " (outside the writable roots); allow with --writable " +
                                          out.path()))
      << r.outcome.err;
}

// A name chosen by the command reaches cordon's stderr escaped: it cannot erase the
// report line, move the cursor, or start a forged "cordon:" line of its own.
TEST(Denials, HostileNamesReachStderrEscaped) {
  Sandbox box;
  OutsideDir out;
  // (The command's own stderr is silenced: only cordon's lines are under test.)
  auto r = run_json(box, "n=$(printf 'a\\033[2K\\033[1Ab\\ncordon: exit 0 (ok)'); { echo x > '" + out.path() +
                             "'/\"$n\"; } 2>/dev/null; echo ok > inside");
  EXPECT_TRUE(exists(box.ws / "inside"));
  EXPECT_TRUE(fs::is_empty(out.path())) << "the denied file exists outside";
  // The JSON record keeps the exact name; the text line shows it escaped.
  const std::string name = out.path() + "/a\x1b[2K\x1b[1Ab\ncordon: exit 0 (ok)";
  expect_record(r, "create", name, "outside the writable roots", "--writable " + out.path());
  const std::string text = r.outcome.err.substr(0, r.outcome.err.rfind("\n{"));
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_FALSE(contains(text, "\ncordon: exit 0 (ok)")) << text;
  EXPECT_TRUE(contains(text, "a\\e[2K\\e[1Ab\\ncordon: exit 0 (ok)")) << text;
}

// cordon's own configuration, inside a writable root: no option of cordon's allows it.
TEST(Denials, OwnConfigHasNoOption) {
  Sandbox box;
  fs::create_directories(box.home / ".config/cordon");
  auto r = run_json(box, "echo x > ~/.config/cordon/config.toml", {"--writable", box.home.path()});
  EXPECT_FALSE(exists(box.home / ".config/cordon/config.toml"));
  expect_record(r, "create", box.home / ".config/cordon/config.toml", "cordon's own", "none:");
}

TEST(Denials, UnderHomeTheToolDirectoryIsSuggested) {
  Sandbox box;
  fs::create_directories(box.home / ".npm/_cacache");
  auto r = run_json(box, "echo x > ~/.npm/_cacache/entry; mkdir ~/.cargo");
  EXPECT_FALSE(exists(box.home / ".npm/_cacache/entry"));
  expect_record(r, "create", box.home / ".npm/_cacache/entry", "outside the writable roots",
                "--writable ~/.npm");
  expect_record(r, "create", box.home / ".cargo", "outside the writable roots",
                "--writable ~/.cargo (create the directory first)");
}

TEST(Denials, GitHooks) {
  Sandbox box;
  make_repo_outside(box);
  auto r = run_json(box, "echo 'echo pwned' > .git/hooks/pre-commit; echo x > .git/config");
  EXPECT_FALSE(exists(box.ws / ".git/hooks/pre-commit"));
  expect_record(r, "create", box.ws / ".git/hooks/pre-commit", "protected path", "--git writable");
  expect_record(r, "write", box.ws / ".git/config", "protected path", "--git writable");
}

TEST(Denials, RenamingGitAway) {
  Sandbox box;
  make_repo_outside(box);
  auto r = run_json(box, "mv .git .git2");
  EXPECT_TRUE(exists(box.ws / ".git/HEAD"));
  EXPECT_FALSE(exists(box.ws / ".git2"));
  expect_record(r, "rename", box.ws / ".git", "cannot be renamed or removed", "--git writable");
}

TEST(Denials, AgentSettingsNameTheOptionThatLiftsTheName) {
  Sandbox box;
  auto r = run_json(box, "mkdir -p .claude; echo '{}' > .claude/settings.json");
  EXPECT_FALSE(exists(box.ws / ".claude"));
  // The directory itself is refused (it is absent, and cordon's broker makes every name).
  expect_record(r, "create", box.ws / ".claude", "protected path", "--unprotect .claude");
}

TEST(Denials, MaskedSecret) {
  Sandbox box;
  write_file(box.home / ".aws/credentials", "[default]\naws_secret_access_key=x\n");
  // Writes are watched by default; reads of secrets with --report-denials full.
  auto w = run_json(box, "echo stolen >> ~/.aws/credentials");
  expect_record(w, "write", box.home / ".aws/credentials", "masked secret",
                "none: secrets are never writable");
  auto r = run_json(box, "cat ~/.aws/credentials", {"--report-denials", "full"});
  EXPECT_FALSE(contains(r.outcome.out, "aws_secret_access_key"));
  expect_record(r, "read", box.home / ".aws/credentials", "masked secret", "--allow-read ~/.aws/credentials");
  EXPECT_EQ(read_file(box.home / ".aws/credentials"), "[default]\naws_secret_access_key=x\n");
}

TEST(Denials, NetworkOff) {
  if (!have_tool("bash")) GTEST_SKIP() << "bash not installed (used for /dev/tcp)";
  Sandbox box;
  // With user namespaces the sandbox has a loopback of its own: nothing listens on port 9
  // there, and nothing was refused by policy (tests/e2e/network_dev_test.cpp).
  auto r = run_json(box, "bash -c 'echo hi > /dev/tcp/127.0.0.1/9' 2>/dev/null; echo $? > rc");
  EXPECT_NE(read_file(box.ws / "rc"), "0\n");
  EXPECT_TRUE(find(r, "network", "socket(AF_INET, SOCK_STREAM)").is_null()) << r.denials().dump(1);
  // Without them the socket is refused, and the record says why.
  auto o = run_process({no_userns_binary(), cordon_binary(), "run", "--no-config", "--best-effort", "--json",
                        "--", "bash", "-c", "echo hi > /dev/tcp/127.0.0.1/9"},
                       box.ws.path(), "", box.env());
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(contains(o.err, "\"address\":\"socket(AF_INET, SOCK_STREAM)\"")) << o.err;
  EXPECT_TRUE(contains(o.err, "network off: without user namespaces there is no loopback")) << o.err;
  EXPECT_TRUE(contains(o.err, "\"suggestion\":\"--net on\"")) << o.err;
}

TEST(Denials, AllowedOperationsProduceNone) {
  Sandbox box;
  make_repo_outside(box);
  auto r =
      run_json(box,
               "echo ok > f && mkdir -p d/e && mv f d/ && ln -s d/f l && rm -r d l && echo t > /tmp/t && "
               "git status --short >/dev/null && echo x >> README && git -c user.name=a -c user.email=a@b "
               "commit -qam change && : > /dev/null");
  EXPECT_EQ(r.outcome.code, 0) << r.outcome.err;
  EXPECT_TRUE(r.denials().empty()) << r.denials().dump(1);
  EXPECT_TRUE(r.result.value("denials_reported", false));
  EXPECT_FALSE(contains(r.outcome.err, "cordon: denied"));
}

TEST(Denials, OffRecordsNothingAndStillRefuses) {
  Sandbox box;
  OutsideDir out;
  auto r = run_json(box,
                    "echo x > '" + (out / "file") +
                        "'; "
                        "if command -v bash >/dev/null; then bash -c 'echo > /dev/tcp/127.0.0.1/9' "
                        "2>/dev/null && touch net; fi",
                    {"--report-denials", "off"});
  EXPECT_FALSE(exists(out / "file"));
  EXPECT_FALSE(exists(box.ws / "net"));
  EXPECT_TRUE(r.denials().empty());
  EXPECT_FALSE(r.result.value("denials_reported", true));
}

TEST(Denials, ListIsBoundedAndMarkedTruncated) {
  Sandbox box;
  OutsideDir out;
  auto r = run_json(box, "i=0; while [ $i -lt 100 ]; do echo > '" + out.path() +
                             "'/f$i 2>/dev/null; i=$((i+1)); done; false");
  EXPECT_EQ(r.denials().size(), 64u);
  EXPECT_TRUE(r.result.value("denials_truncated", false));
  EXPECT_TRUE(contains(r.outcome.err, "and more denials")) << r.outcome.err;
}

TEST(Denials, WithoutUserNamespaces) {
  // Landlock-only mode (--best-effort): writes outside and refused sockets are still
  // reported; nothing inside the workspace is protected there, so nothing is claimed.
  TempDir ws;
  OutsideDir out;
  std::vector<std::string> argv = {no_userns_binary(),
                                   cordon_binary(),
                                   "run",
                                   "--no-config",
                                   "--best-effort",
                                   "--json",
                                   "--",
                                   "sh",
                                   "-c",
                                   "echo x > '" + (out / "f") + "'; mkdir -p .claude/x"};
  auto o = run_process(argv, ws.path());
  if (contains(o.err, "Landlock is unavailable")) GTEST_SKIP() << "no Landlock on this host";
  EXPECT_FALSE(exists(out / "f"));
  EXPECT_TRUE(contains(o.err, "denied create " + (out / "f") + " (outside the writable roots)")) << o.err;
  EXPECT_FALSE(contains(o.err, "denied create " + (ws / ".claude"))) << o.err;
}
