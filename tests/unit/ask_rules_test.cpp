#include "plan/ask_rules.hpp"

#include <gtest/gtest.h>

#include "core/config.hpp"

namespace cordon {
namespace {

DenialRules rules() {
  DenialRules r;
  r.home = "/home/u";
  r.workspace = "/home/u/proj";
  r.write_roots = {"/home/u/proj", "/tmp"};
  r.policy_roots = {"/home/u/proj"};
  r.masked = {"/home/u/.ssh", "/home/u/.aws"};
  r.hidden = {"/home/u/.local/state/cordon"};
  r.read_only = {{"/home/u/proj/.git/hooks", "protected path: git hooks", "--git writable"}};
  return r;
}

TEST(NeverAsk, OnlyWritesOutsideTheRootsBelowTheHomeOrVarTmp) {
  const DenialRules r = rules();
  EXPECT_EQ(never_ask(r, Operation::Create, "/home/u/.npm/_cacache/x"), std::nullopt);
  EXPECT_EQ(never_ask(r, Operation::Write, "/home/u/.cache/pip/y"), std::nullopt);
  EXPECT_EQ(never_ask(r, Operation::Create, "/var/tmp/build/out"), std::nullopt);
  EXPECT_EQ(never_ask(r, Operation::Create, "/home/u/.npm/../.npm/x"), std::nullopt);
  // Allowed already, or refused for another reason: not a question.
  EXPECT_NE(never_ask(r, Operation::Create, "/home/u/proj/x"), std::nullopt);
  EXPECT_NE(never_ask(r, Operation::Create, "/home/u/proj/.git/hooks/pre-commit"), std::nullopt);
  EXPECT_NE(never_ask(r, Operation::Create, "/etc/cron.d/x"), std::nullopt);
  EXPECT_NE(never_ask(r, Operation::Create, "/usr/local/bin/x"), std::nullopt);
  EXPECT_NE(never_ask(r, Operation::Create, "/var/tmp"), std::nullopt);
  EXPECT_NE(never_ask(r, Operation::Create, "/home/u"), std::nullopt);
  EXPECT_NE(never_ask(r, Operation::Create, "/proc/self/x"), std::nullopt);
  EXPECT_NE(never_ask(r, Operation::Create, "relative/x"), std::nullopt);
}

// A rename moves what lies below its ends: never one above a protected path, a secret,
// cordon's own or a writable root. Creating such a directory stays askable (what is made
// below it is asked about by its own path).
TEST(NeverAsk, ARenameAboveAProtectedPathOrARootIsNeverAsked) {
  DenialRules r = rules();
  r.write_roots.push_back("/home/u/a/b/root");
  r.never_ask = {"/home/u/xdg/cordon", "/home/u/tools/cordon"};
  for (const char* p : {"/home/u/.config", "/home/u/.config/systemd", "/home/u/.local", "/home/u/a",
                        "/home/u/a/b", "/home/u/xdg", "/home/u/tools"})
    EXPECT_NE(never_ask(r, Operation::Rename, p), std::nullopt) << p;
  EXPECT_EQ(never_ask(r, Operation::Create, "/home/u/.config/systemd"), std::nullopt);
  EXPECT_EQ(never_ask(r, Operation::Rename, "/home/u/.config/other"), std::nullopt);
  EXPECT_EQ(never_ask(r, Operation::Rename, "/home/u/tools/new"), std::nullopt);
  // The paths the environment names (DenialRules::never_ask): themselves and below.
  EXPECT_NE(never_ask(r, Operation::Create, "/home/u/xdg/cordon/config.toml"), std::nullopt);
  EXPECT_NE(never_ask(r, Operation::Rename, "/home/u/tools/cordon"), std::nullopt);
  EXPECT_EQ(grant_directory(r, "/home/u/xdg/x", false), "");
  EXPECT_EQ(grant_directory(r, "/home/u/xdg/other/x", false), "/home/u/xdg/other");
}

TEST(NeverAsk, ProtectedNamesSecretsAndStartupFilesNeverAsked) {
  const DenialRules r = rules();
  for (const char* p : {"/home/u/.ssh/authorized_keys",
                        "/home/u/.aws/credentials",
                        "/home/u/.bashrc",
                        "/home/u/.profile",
                        "/home/u/.gitconfig",
                        "/home/u/.config/git/config",
                        "/home/u/.config/autostart/x.desktop",
                        "/home/u/.config/systemd/user/x.service",
                        "/home/u/.config/cordon/config.toml",
                        "/home/u/.local/bin/ls",
                        "/home/u/bin/ls",
                        "/home/u/other/.git/config",
                        "/home/u/other/.GIT/hooks/x",
                        "/home/u/x/.vscode/tasks.json",
                        "/home/u/.claude/settings.json",
                        "/home/u/x/.envrc",
                        "/var/tmp/r/.git/HEAD",
                        "/home/u/.local/state/cordon/x",
                        "/home/u/.gnupg/private-keys-v1.d/k",
                        "/home/u/.config/gh/hosts.yml"})
    EXPECT_NE(never_ask(r, Operation::Create, p), std::nullopt) << p;
  // A directory above a secret is askable, but no directory rule may cover the secret.
  EXPECT_EQ(grant_directory(r, "/home/u/.ssh", true), "");
  EXPECT_EQ(grant_directory(r, "/home/u/.config/x", false), "");  // ~/.config holds ~/.config/git
}

TEST(GrantDirectory, TheDirectoryOfTheFileOrTheOneMadeNeverTheHome) {
  const DenialRules r = rules();
  EXPECT_EQ(grant_directory(r, "/home/u/.npm/x", false), "/home/u/.npm");
  EXPECT_EQ(grant_directory(r, "/home/u/.npm", true), "/home/u/.npm");
  EXPECT_EQ(grant_directory(r, "/home/u/.npmrc_history", false), "");  // a file in the home
  EXPECT_EQ(grant_directory(r, "/var/tmp/x", false), "");
  EXPECT_EQ(grant_directory(r, "/var/tmp/b/x", false), "/var/tmp/b");
}

Grant grant(const std::string& op, const std::string& path, bool allowed = true) {
  Grant g;
  g.operation = op;
  g.path = path;
  g.allowed = allowed;
  return g;
}

TEST(LearnFragment, NestedDirectoriesFoldIntoTheOutermostAndEachIsCommented) {
  const DenialRules r = rules();
  std::vector<Grant> gs = {grant("mkdir", "/home/u/.npm"), grant("mkdir", "/home/u/.npm/a")};
  for (int i = 0; i < 10; ++i) gs.push_back(grant("create", "/home/u/.npm/a/f" + std::to_string(i)));
  gs.push_back(grant("create", "/home/u/.cache/pip/x"));
  gs.push_back(grant("create", "/home/u/.evil", true));      // a file in the home: no rule
  gs.push_back(grant("create", "/home/u/denied/x", false));  // denied: left out
  const std::string text = learn_fragment(gs, r);
  EXPECT_NE(text.find("\"/home/u/.npm\","), std::string::npos) << text;
  EXPECT_NE(text.find("# 12 operations: mkdir /home/u/.npm; mkdir /home/u/.npm/a; create "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"/home/u/.cache/pip\","), std::string::npos) << text;
  EXPECT_EQ(text.find("/home/u/.npm/a\","), std::string::npos) << text;
  EXPECT_EQ(text.find("denied"), std::string::npos) << text;
  EXPECT_NE(
      text.find("# not covered (no directory rule smaller than the home holds it): create /home/u/.evil"),
      std::string::npos)
      << text;
  // It is a config cordon reads.
  auto layer = parse_config(text, "learned.toml", ConfigScope::User);
  ASSERT_TRUE(layer) << layer.error().message();
  ASSERT_EQ(layer->writable.size(), 2u);
}

TEST(LearnFragment, ControlBytesInNamesAreNeitherCommentsNorKeys) {
  const DenialRules r = rules();
  const std::string text = learn_fragment({grant("create", "/home/u/d\nx/f\"\\")}, r);
  auto layer = parse_config(text, "learned.toml", ConfigScope::User);
  ASSERT_TRUE(layer) << text;
  ASSERT_EQ(layer->writable.size(), 1u) << text;
}

Grant network_grant(const std::string& kind, const std::string& address, const std::string& rule,
                    bool allowed = true) {
  Grant g;
  g.operation = "connect";
  g.address = address;
  g.network = kind;
  g.rule = rule;
  g.allowed = allowed;
  return g;
}

TEST(LearnFragment, OneRulePerHostAndPortEachCommented) {
  const DenialRules r = rules();
  std::vector<Grant> gs = {network_grant("domain", "pypi.org:443", "pypi.org"),
                           network_grant("domain", "pypi.org:80", "pypi.org"),
                           network_grant("localhost", "127.0.0.1:5432", "5432"),
                           network_grant("localhost", "[::1]:6379", "6379"),
                           network_grant("domain", "evil.test:443", "evil.test", false),
                           network_grant("localhost", "127.0.0.1:1", "1; x")};  // not a port: no rule
  gs.push_back(grant("create", "/home/u/.npm/x"));
  const std::string text = learn_fragment(gs, r);
  EXPECT_NE(text.find("[network]\nallow = [\n  # 2 times: connect pypi.org:443; connect pypi.org:80\n"
                      "  \"pypi.org\",\n]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("allow_localhost = [\n  # 1 time: connect 127.0.0.1:5432\n  5432,\n"
                      "  # 1 time: connect [::1]:6379\n  6379,\n]\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("evil.test"), std::string::npos) << text;
  EXPECT_EQ(text.find("1; x"), std::string::npos) << text;
  auto layer = parse_config(text, "learned.toml", ConfigScope::User);
  ASSERT_TRUE(layer) << layer.error().message() << "\n" << text;
  ASSERT_EQ(layer->allow_domains.size(), 1u);
  EXPECT_EQ(layer->allow_domains[0].value, "pypi.org");
  ASSERT_EQ(layer->allow_localhost.size(), 2u);
  EXPECT_EQ(layer->writable.size(), 1u);
}

TEST(NeverAskRead, OnlyTheUsersDenyReadFilesOutsideProtectedPathsAndState) {
  DenialRules r = rules();
  r.asked_reads = {"/home/u/notes/key.txt", "/home/u/proj/.git/hooks/x", "/home/u/.local/state/cordon/f",
                   "/dev/shm/x"};
  EXPECT_EQ(never_ask_read(r, "/home/u/notes/key.txt"), std::nullopt);
  EXPECT_EQ(never_ask_read(r, "/home/u/notes/../notes/key.txt"), std::nullopt);
  for (const char* p : {"/home/u/notes/other", "/home/u/.ssh/id_rsa", "/home/u/proj/.git/hooks/x",
                        "/home/u/.local/state/cordon/f", "/dev/shm/x", "relative/key.txt"})
    EXPECT_NE(never_ask_read(r, p), std::nullopt) << p;
}

TEST(NeverAskRead, BelowADeniedDirectoryButNotItsProtectedOrSecretPaths) {
  DenialRules r = rules();
  r.asked_read_dirs = {"/home/u/vault", "/home/u/proj/docs"};
  r.masked.insert(r.masked.end(), {"/home/u/vault", "/home/u/proj/docs", "/home/u/vault/inner"});
  r.refuse_names = {{".mcp.json", "protected name", ""}};
  r.never_ask = {"/home/u/vault/cordon-config"};
  for (const char* p :
       {"/home/u/vault/a", "/home/u/vault/sub/b", "/home/u/vault/x/../y", "/home/u/proj/docs/k"})
    EXPECT_EQ(never_ask_read(r, p), std::nullopt) << p;
  for (const char* p :
       {"/home/u/vault", "/home/u/vault/../other", "/home/u/vault/.git/config", "/home/u/vault/s/.GIT/x",
        "/home/u/vault/.vscode/tasks.json", "/home/u/vault/.mcp.json", "/home/u/vault/inner/x",
        "/home/u/vault/cordon-config/f", "/home/u/vaultx/a", "/home/u/proj/.git/hooks/x"})
    EXPECT_NE(never_ask_read(r, p), std::nullopt) << p;
}

TEST(LearnFragment, AGrantedReadBelowADeniedDirectoryIsAnAllowReadEntryForThatFile) {
  DenialRules r = rules();
  r.asked_read_dirs = {"/home/u/vault"};
  const std::string text =
      learn_fragment({grant("read", "/home/u/vault/sub/k"), grant("read", "/home/u/vault/.git/x")}, r);
  EXPECT_NE(text.find("\"/home/u/vault/sub/k\""), std::string::npos) << text;
  EXPECT_EQ(text.find(".git"), std::string::npos) << text;
}

TEST(LearnFragment, AGrantedReadIsAnAllowReadEntryForThatFile) {
  DenialRules r = rules();
  r.asked_reads = {"/home/u/notes/key.txt"};
  std::vector<Grant> gs = {grant("read", "/home/u/notes/key.txt"), grant("read", "/home/u/notes/key.txt"),
                           grant("read", "/home/u/.ssh/id_rsa"), grant("create", "/home/u/.npm/x")};
  const std::string text = learn_fragment(gs, r);
  EXPECT_NE(text.find("allow_read = [\n  # read 2 times\n  \"/home/u/notes/key.txt\","), std::string::npos)
      << text;
  EXPECT_EQ(text.find(".ssh"), std::string::npos) << text;
  auto layer = parse_config(text, "learned.toml", ConfigScope::User);
  ASSERT_TRUE(layer) << layer.error().message();
  ASSERT_EQ(layer->allow_read.size(), 1u);
  ASSERT_EQ(layer->writable.size(), 1u);
}

TEST(AddConfigEntry, APortAndAHostIntoTheNetworkTable) {
  auto a = add_config_entry("", "network", "allow_localhost", ConfigEntry{"5432", true}, "why");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(*a, "\n[network]\nallow_localhost = [\n  5432,  # why\n]\n");
  auto b = add_config_entry(*a, "network", "allow", ConfigEntry{"pypi.org", false}, "");
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(*b, "\n[network]\nallow = [\n  \"pypi.org\"\n]\nallow_localhost = [\n  5432,  # why\n]\n");
  auto c = add_config_entry(*b, "network", "allow_localhost", ConfigEntry{"6379", true}, "");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_NE(c->find("allow_localhost = [\n  5432,\n  6379\n]"), std::string::npos) << *c;
  // A form it does not edit: an error, nothing written.
  EXPECT_FALSE(
      add_config_entry("network = { mode = \"off\" }\n", "network", "allow", ConfigEntry{"a.b", false}, ""));
}

TEST(AddWritableRule, NewTableNewKeyOrOneMoreEntry) {
  auto a = add_writable_rule("", "/home/u/.npm", "why");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(*a, "\n[filesystem]\nwritable = [\n  \"/home/u/.npm\",  # why\n]\n");
  auto b =
      add_writable_rule("# mine\n[filesystem]\ntmp = \"private\"\n\n[network]\nmode = \"off\"\n", "/x/y", "");
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(
      *b,
      "# mine\n[filesystem]\nwritable = [\n  \"/x/y\"\n]\ntmp = \"private\"\n\n[network]\nmode = \"off\"\n");
  auto c = add_writable_rule("[filesystem]\nwritable = [\"/a\", \"/b\"]  \n# after\n", "/c", "n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(*c, "[filesystem]\nwritable = [\n  \"/a\",\n  \"/b\",\n  \"/c\",  # n\n]\n# after\n");
  // Forms it does not edit, and files that do not parse: an error, nothing written.
  EXPECT_FALSE(add_writable_rule("filesystem = { tmp = \"private\" }\n", "/c", ""));
  EXPECT_FALSE(add_writable_rule("[filesystem]\nwritable = [\"/a\"] # ]x\n", "/c", ""));
  EXPECT_FALSE(add_writable_rule("[filesystem\n", "/c", ""));
  EXPECT_FALSE(add_writable_rule("unknown_key = 1\n", "/c", ""));
}

}  // namespace
}  // namespace cordon
