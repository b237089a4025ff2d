// Config files -> PolicyLayer: the schema, its errors, and what a project config may set.
#include "core/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace cordon {
namespace {

const std::string kUser = "/home/a/.config/cordon/config.toml";
const std::string kProject = "/w/.cordon/config.toml";

Result<PolicyLayer> parse_user(std::string_view text) {
  return parse_config(text, kUser, ConfigScope::User);
}

TEST(Config, EmptyFileIsAnEmptyLayer) {
  auto layer = parse_user("");
  ASSERT_TRUE(layer) << layer.error().message();
  EXPECT_FALSE(layer->mode);
  EXPECT_FALSE(layer->workspace);
  EXPECT_TRUE(layer->writable.empty());
  EXPECT_FALSE(layer->timeout);
  EXPECT_EQ(layer->origin.source, kUser);
}

TEST(Config, FullSchemaWithOrigins) {
  const char* text = R"(# cordon user config
mode = "workspace-write"
best_effort = false

[filesystem]
workspace = "/abs/dir"
writable = ["/abs", "~/dir"]
protect = ["/abs/p"]
deny_read = ["~/.secret"]
allow_read = ["~/.ssh/known_hosts"]
tmp = "none"
git = "read-only"

[network]
mode = "on"

[env]
keep = ["GITHUB_TOKEN"]
drop = ["MY_*"]

[limits]
timeout = 30
)";
  auto r = parse_user(text);
  ASSERT_TRUE(r) << r.error().message();
  const PolicyLayer& l = *r;
  ASSERT_TRUE(l.mode);
  EXPECT_EQ(l.mode->value, Mode::WorkspaceWrite);
  EXPECT_EQ(l.mode->origin.source, kUser);
  EXPECT_EQ(l.mode->origin.line, 2);
  ASSERT_TRUE(l.best_effort);
  EXPECT_FALSE(l.best_effort->value);
  EXPECT_EQ(l.best_effort->origin.line, 3);
  ASSERT_TRUE(l.workspace);
  EXPECT_EQ(l.workspace->value, "/abs/dir");
  EXPECT_EQ(l.workspace->origin.line, 6);
  ASSERT_EQ(l.writable.size(), 2u);
  EXPECT_EQ(l.writable[0].value, "/abs");
  EXPECT_EQ(l.writable[1].value, "~/dir");  // kept as written; resolve() expands it
  EXPECT_EQ(l.writable[1].origin.line, 7);
  ASSERT_EQ(l.protect.size(), 1u);
  EXPECT_EQ(l.protect[0].origin.line, 8);
  ASSERT_EQ(l.deny_read.size(), 1u);
  EXPECT_EQ(l.deny_read[0].value, "~/.secret");
  ASSERT_EQ(l.allow_read.size(), 1u);
  EXPECT_EQ(l.allow_read[0].value, "~/.ssh/known_hosts");
  ASSERT_TRUE(l.tmp);
  EXPECT_EQ(l.tmp->value, TmpMode::None);
  ASSERT_TRUE(l.git);
  EXPECT_EQ(l.git->value, GitMode::ReadOnly);
  ASSERT_TRUE(l.net);
  EXPECT_EQ(l.net->value, NetMode::On);
  EXPECT_EQ(l.net->origin.line, 15);
  ASSERT_EQ(l.env_keep.size(), 1u);
  EXPECT_EQ(l.env_keep[0].value, "GITHUB_TOKEN");
  ASSERT_EQ(l.env_drop.size(), 1u);
  EXPECT_EQ(l.env_drop[0].value, "MY_*");
  EXPECT_EQ(l.env_drop[0].origin.line, 19);
  ASSERT_TRUE(l.timeout);
  EXPECT_DOUBLE_EQ(l.timeout->value, 30.0);
  EXPECT_EQ(l.timeout->origin.describe(), kUser + ":22");
}

TEST(Config, MultiLineArrayElementsKeepTheirOwnLines) {
  auto r = parse_user("[filesystem]\nprotect = [\n  \"/a\",\n\n  \"/b\",\n]\n");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->protect.size(), 2u);
  EXPECT_EQ(r->protect[0].origin.line, 3);
  EXPECT_EQ(r->protect[1].origin.line, 5);
}

TEST(Config, DottedKeysAndInlineTablesAreTheSameSchema) {
  auto r = parse_user("filesystem.tmp = \"host\"\nlimits = { timeout = 1.5 }\n");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(r->tmp);
  EXPECT_EQ(r->tmp->value, TmpMode::Host);
  ASSERT_TRUE(r->timeout);
  EXPECT_DOUBLE_EQ(r->timeout->value, 1.5);
}

TEST(Config, EnumValuesRoundTrip) {
  struct Case {
    const char* text;
    bool ok;
  };
  const Case cases[] = {
      {"mode = \"read-only\"", true},
      {"mode = \"workspace-write\"", true},
      {"mode = \"full-access\"", true},
      {"filesystem.tmp = \"private\"", true},
      {"filesystem.tmp = \"host\"", true},
      {"filesystem.tmp = \"none\"", true},
      {"filesystem.git = \"read-only\"", true},
      {"filesystem.git = \"config-only\"", true},
      {"filesystem.git = \"writable\"", true},
      {"network.mode = \"off\"", true},
      {"network.mode = \"on\"", true},
      {"mode = \"Read-Only\"", false},
      {"network.mode = \"proxy\"", true},
      {"network.deny = [\"*.example.com\"]", true},
      {"network.allow_localhost = [5432, \"8080\"]", true},
      {"network.allow_unix_socket = [\"/run/user/1000/ssh.sock\"]", true},
      {"network.allow_unix_socket = \"/run/user/1000/ssh.sock\"", false},
      {"filesystem.git = \"\"", false},
  };
  for (const auto& c : cases) {
    auto r = parse_user(c.text);
    EXPECT_EQ(static_cast<bool>(r), c.ok) << c.text << (r ? std::string() : "\n" + r.error().message());
  }
}

// `ask` (--ask): a boolean from the user config; a project config may only turn it off
// (asking widens: tested in the error table above); anything else names the key, the
// file and the line.
TEST(Config, AskIsABooleanOfTheUserConfig) {
  for (bool value : {true, false}) {
    auto r = parse_user(std::string("ask = ") + (value ? "true" : "false") + "\n");
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(r->ask);
    EXPECT_EQ(r->ask->value, value);
    EXPECT_EQ(r->ask->origin.describe(), kUser + ":1");
  }
  auto off = parse_config("ask = false\n", kProject, ConfigScope::Project);
  ASSERT_TRUE(off) << off.error().message();
  ASSERT_TRUE(off->ask);
  EXPECT_FALSE(off->ask->value);
  EXPECT_FALSE(parse_user("mode = \"read-only\"\n")->ask);
  for (const char* bad : {"ask = \"true\"", "ask = 1", "ask = \"yes\"", "[ask]\nx = 1", "ask = [true]"}) {
    auto r = parse_user(std::string("# c\n") + bad + "\n");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("ask"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find(kUser + ":2"), std::string::npos) << r.error().message();
  }
}

// `tty` (--tty): the three values, from either config; anything else names the key, the
// file, the line and the valid values, and leaves no layer behind.
TEST(Config, TtyTakesItsThreeValuesFromEitherConfig) {
  const std::pair<const char*, TtyMode> good[] = {
      {"auto", TtyMode::Auto}, {"always", TtyMode::Always}, {"never", TtyMode::Never}};
  for (const auto& [text, mode] : good)
    for (auto scope : {ConfigScope::User, ConfigScope::Project}) {
      auto r = parse_config(std::string("tty = \"") + text + "\"\n", kProject, scope);
      ASSERT_TRUE(r) << text << ": " << r.error().message();
      ASSERT_TRUE(r->tty) << text;
      EXPECT_EQ(r->tty->value, mode);
      EXPECT_EQ(r->tty->origin.describe(), kProject + ":1");
    }
  EXPECT_FALSE(parse_user("mode = \"read-only\"\n")->tty);
  for (const char* bad : {"tty = \"Always\"", "tty = \"\"", "tty = true", "tty = 1", "[tty]\nx = 1",
                          "tty = [\"always\"]", "tty = \"always\\u0000\""}) {
    auto r = parse_user(std::string("# c\n") + bad + "\n");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("tty"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find(kUser + ":2"), std::string::npos) << r.error().message();
  }
  auto r = parse_user("tty = \"sometimes\"");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("auto, always, never"), std::string::npos) << r.error().message();
}

TEST(Config, FileLoaderMissingUnreadableAndTooLarge) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() /
      ("cordon_config_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(dir);

  auto missing = load_config_file((dir / "nope.toml").string(), ConfigScope::User);
  ASSERT_TRUE(missing) << missing.error().message();
  EXPECT_FALSE(missing->has_value());

  const fs::path good = dir / "good.toml";
  std::ofstream(good) << "mode = \"read-only\"\n";
  auto loaded = load_config_file(good.string(), ConfigScope::User);
  ASSERT_TRUE(loaded) << loaded.error().message();
  ASSERT_TRUE(loaded->has_value());
  ASSERT_TRUE((*loaded)->mode);
  EXPECT_EQ((*loaded)->mode->origin.describe(), good.string() + ":1");

  auto as_dir = load_config_file(dir.string(), ConfigScope::User);
  ASSERT_FALSE(as_dir);
  EXPECT_NE(as_dir.error().message().find(dir.string()), std::string::npos) << as_dir.error().message();

  const fs::path big = dir / "big.toml";
  {
    std::ofstream out(big);
    out << "# " << std::string((1u << 20) + 16, 'x') << "\n";
  }
  auto too_big = load_config_file(big.string(), ConfigScope::User);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message().find("1 MiB"), std::string::npos) << too_big.error().message();
  EXPECT_NE(too_big.error().message().find(big.string()), std::string::npos);

  fs::remove_all(dir);
}

TEST(Config, ParseRejectsOversizedText) {
  auto r = parse_user(std::string((1u << 20) + 1, '\n'));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("1 MiB"), std::string::npos);
}

// --- errors: every message names the key and where it is ----------------------------

struct ErrorCase {
  const char* name;
  ConfigScope scope;
  std::string text;
  std::vector<std::string> expect;  // substrings of the message
};

class ConfigError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigError, NamesKeyAndLine) {
  const auto& c = GetParam();
  const std::string& file = c.scope == ConfigScope::User ? kUser : kProject;
  auto r = parse_config(c.text, file, c.scope);
  ASSERT_FALSE(r) << "accepted: " << c.text;
  const std::string msg = r.error().message();
  for (const auto& s : c.expect)
    EXPECT_NE(msg.find(s), std::string::npos) << "missing '" << s << "' in: " << msg;
}

std::string user_at(int line) {
  return kUser + ":" + std::to_string(line);
}
std::string project_at(int line) {
  return kProject + ":" + std::to_string(line);
}
const std::string kHint = "~/.config/cordon/config.toml";

const ErrorCase kErrorCases[] = {
    // syntax errors: file:line:column
    {"Syntax",
     ConfigScope::User,
     "mode = \"read-only\"\nbest_effort = tru\n",
     {kUser + ":2:", "TOML syntax error"}},
    {"UnterminatedString", ConfigScope::User, "\n\nmode = \"oops\n", {kUser + ":3:"}},
    {"DuplicateKey", ConfigScope::User, "mode = \"read-only\"\nmode = \"read-only\"\n", {kUser + ":2:"}},
    // unknown keys and tables, with the full dotted name
    {"UnknownTopKey", ConfigScope::User, "\nfoo = 1\n", {"foo (" + user_at(2) + ")", "unknown key", "mode"}},
    {"UnknownTable",
     ConfigScope::User,
     "[sandbox]\nx = 1\n",
     {"sandbox (" + user_at(1) + ")", "unknown key"}},
    {"UnknownNestedKey",
     ConfigScope::User,
     "[filesystem]\ntmp = \"none\"\nwriteable = []\n",
     {"filesystem.writeable (" + user_at(3) + ")", "unknown key", "writable"}},
    {"UnknownSubTable",
     ConfigScope::User,
     "[filesystem.extra]\na = 1\n",
     {"filesystem.extra (" + user_at(1) + ")"}},
    {"UnknownEnvKey", ConfigScope::User, "[env]\nset = { A = \"1\" }\n", {"env.set (" + user_at(2) + ")"}},
    {"UnknownLimitsKey", ConfigScope::User, "[limits]\nnofile = 1\n", {"limits.nofile (" + user_at(2) + ")"}},
    // wrong types
    {"TableNotTable",
     ConfigScope::User,
     "filesystem = \"x\"\n",
     {"filesystem (" + user_at(1) + ")", "must be a table"}},
    {"ArrayOfTables",
     ConfigScope::User,
     "[[limits]]\ntimeout = 1\n",
     {"limits (", "must be a table", "an array"}},
    {"ModeNotString",
     ConfigScope::User,
     "mode = 1\n",
     {"mode (" + user_at(1) + ")", "an integer", "workspace-write"}},
    {"BestEffortNotBool",
     ConfigScope::User,
     "best_effort = \"yes\"\n",
     {"best_effort (" + user_at(1) + ")", "boolean"}},
    {"WritableNotArray",
     ConfigScope::User,
     "[filesystem]\nwritable = \"/a\"\n",
     {"filesystem.writable (" + user_at(2) + ")", "an array of strings", "a string"}},
    {"WritableElementType",
     ConfigScope::User,
     "[filesystem]\nwritable = [\n \"/a\",\n 5,\n]\n",
     {"filesystem.writable (" + user_at(4) + ")", "an integer"}},
    {"WorkspaceNotString",
     ConfigScope::User,
     "[filesystem]\nworkspace = [\"/a\"]\n",
     {"filesystem.workspace (" + user_at(2) + ")", "an array"}},
    {"TimeoutString",
     ConfigScope::User,
     "[limits]\ntimeout = \"30\"\n",
     {"limits.timeout (" + user_at(2) + ")", "number"}},
    {"KeepNotArray", ConfigScope::User, "[env]\nkeep = \"A\"\n", {"env.keep (" + user_at(2) + ")"}},
    // invalid values list the valid ones
    {"ModeValue",
     ConfigScope::User,
     "mode = \"sandbox\"\n",
     {"mode (" + user_at(1) + ")", "'sandbox'", "read-only, workspace-write, full-access"}},
    {"TmpValue",
     ConfigScope::User,
     "[filesystem]\ntmp = \"shared\"\n",
     {"filesystem.tmp (" + user_at(2) + ")", "private, host, none"}},
    {"GitValue",
     ConfigScope::User,
     "[filesystem]\ngit = \"yes\"\n",
     {"filesystem.git (" + user_at(2) + ")", "read-only, config-only, writable"}},
    {"NetValue",
     ConfigScope::User,
     "[network]\nmode = \"wifi\"\n",
     {"network.mode (" + user_at(2) + ")", "off, proxy, on"}},
    {"NetAllowNotAList",
     ConfigScope::User,
     "[network]\nallow = \"example.com\"\n",
     {"network.allow (" + user_at(2) + ")", "array of strings"}},
    {"NetAllowInProject",
     ConfigScope::Project,
     "[network]\nallow = [\"example.com\"]\n",
     {"network.allow (" + project_at(2) + ")", "only narrow"}},
    {"NetAllowLocalhostInProject",
     ConfigScope::Project,
     "[network]\nallow_localhost = [5432]\n",
     {"network.allow_localhost (" + project_at(2) + ")", "only narrow"}},
    {"NetAllowUnixSocketInProject",
     ConfigScope::Project,
     "[network]\nallow_unix_socket = [\"/run/user/1000/ssh.sock\"]\n",
     {"network.allow_unix_socket (" + project_at(2) + ")", "only narrow"}},
    {"NetAllowLocalhostType",
     ConfigScope::User,
     "[network]\nallow_localhost = [true]\n",
     {"network.allow_localhost (" + user_at(2) + ")", "not a boolean"}},
    {"TimeoutZero",
     ConfigScope::User,
     "[limits]\ntimeout = 0\n",
     {"limits.timeout (" + user_at(2) + ")", "positive"}},
    {"TimeoutNegative",
     ConfigScope::User,
     "[limits]\ntimeout = -1.5\n",
     {"limits.timeout (" + user_at(2) + ")", "positive"}},
    {"TimeoutInf",
     ConfigScope::User,
     "[limits]\ntimeout = inf\n",
     {"limits.timeout (" + user_at(2) + ")", "positive"}},
    {"TimeoutNan",
     ConfigScope::User,
     "[limits]\ntimeout = nan\n",
     {"limits.timeout (" + user_at(2) + ")", "positive"}},
    {"EnvKeepEquals",
     ConfigScope::User,
     "[env]\nkeep = [\"A=B\"]\n",
     {"env.keep (" + user_at(2) + ")", "'A=B'"}},
    {"EnvDropEmpty", ConfigScope::User, "[env]\ndrop = [\"\"]\n", {"env.drop (" + user_at(2) + ")"}},
    // paths: relative, empty, ~user, NUL
    {"RelativeWorkspace",
     ConfigScope::User,
     "[filesystem]\nworkspace = \"proj\"\n",
     {"filesystem.workspace (" + user_at(2) + ")", "'proj' is a relative path"}},
    {"RelativeWritable",
     ConfigScope::User,
     "[filesystem]\nwritable = [\"/ok\",\n \"./build\"]\n",
     {"filesystem.writable (" + user_at(3) + ")", "'./build'", "relative"}},
    {"TildeUser",
     ConfigScope::User,
     "[filesystem]\nprotect = [\"~bob/x\"]\n",
     {"filesystem.protect (" + user_at(2) + ")", "relative"}},
    {"RelativeDenyRead",
     ConfigScope::User,
     "[filesystem]\ndeny_read = [\"secrets\"]\n",
     {"filesystem.deny_read (" + user_at(2) + ")", "relative"}},
    {"RelativeAllowRead",
     ConfigScope::User,
     "[filesystem]\nallow_read = [\"a/b\"]\n",
     {"filesystem.allow_read (" + user_at(2) + ")", "relative"}},
    {"EmptyPath",
     ConfigScope::User,
     "[filesystem]\nprotect = [\"\"]\n",
     {"filesystem.protect (" + user_at(2) + ")", "empty path"}},
    {"NulInPath",
     ConfigScope::User,
     "[filesystem]\nwritable = [\"/etc\\u0000/x\"]\n",
     {"filesystem.writable (" + user_at(2) + ")", "NUL"}},
    // a project config may only narrow
    {"ProjectWorkspace",
     ConfigScope::Project,
     "[filesystem]\nworkspace = \"/x\"\n",
     {"filesystem.workspace (" + project_at(2) + ")", "project config", kHint, "--workspace"}},
    {"ProjectFullAccess",
     ConfigScope::Project,
     "\nmode = \"full-access\"\n",
     {"mode (" + project_at(2) + ")", "project config", kHint, "--mode full-access"}},
    {"ProjectBestEffort",
     ConfigScope::Project,
     "best_effort = true\n",
     {"best_effort (" + project_at(1) + ")", kHint, "--best-effort"}},
    {"ProjectAsk",
     ConfigScope::Project,
     "# a repository's config\nask = true\n",
     {"ask (" + project_at(2) + ")", "project config", kHint, "--ask"}},
    {"ProjectNetOn",
     ConfigScope::Project,
     "[network]\nmode = \"on\"\n",
     {"network.mode (" + project_at(2) + ")", "--net on"}},
    {"ProjectWritable",
     ConfigScope::Project,
     "[filesystem]\nwritable = []\n",
     {"filesystem.writable (" + project_at(2) + ")", kHint, "--writable"}},
    {"ProjectAllowRead",
     ConfigScope::Project,
     "[filesystem]\nallow_read = [\"~/.ssh\"]\n",
     {"filesystem.allow_read (" + project_at(2) + ")", "--allow-read"}},
    {"ProjectUnprotect",
     ConfigScope::Project,
     "[filesystem]\nunprotect = [\".vscode\"]\n",
     {"filesystem.unprotect (" + project_at(2) + ")", "--unprotect"}},
    {"ProjectTmpHost",
     ConfigScope::Project,
     "[filesystem]\ntmp = \"host\"\n",
     {"filesystem.tmp (" + project_at(2) + ")", "--tmp host"}},
    {"ProjectGitWritable",
     ConfigScope::Project,
     "[filesystem]\ngit = \"writable\"\n",
     {"filesystem.git (" + project_at(2) + ")", "--git writable"}},
    {"ProjectEnvKeep",
     ConfigScope::Project,
     "[env]\nkeep = [\"GITHUB_TOKEN\"]\n",
     {"env.keep (" + project_at(2) + ")", "--env-keep"}},
    {"ProjectDottedWidening",
     ConfigScope::Project,
     "filesystem.writable = [\"/x\"]\n",
     {"filesystem.writable (" + project_at(1) + ")"}},
};

INSTANTIATE_TEST_SUITE_P(Table, ConfigError, ::testing::ValuesIn(kErrorCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Config, MalformedTableHeadersAreSyntaxErrors) {
  // toml++ 3.3 asserts on these (found by fuzz/config_fuzz.cpp); they must be plain errors.
  for (const char* text : {"[/fuzz\"]\n", "[[[1]]]\n", "[[[a]]]\n", "[[=\n", "[[[]]\n", "x = 1\n[ =]\n"}) {
    auto r = parse_user(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find("TOML syntax error"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find(kUser + ":"), std::string::npos) << r.error().message();
  }
}

TEST(Config, NonAsciiThatToml33MisclassifiesIsAPlainError) {
  // toml++ 3.3 reaches __builtin_unreachable() on these (upstream #190, #295; found by
  // fuzz/config_fuzz.cpp); parse_config must turn them into ordinary syntax errors.
  struct Case {
    std::string text;
    std::string where;
  };
  const Case cases[] = {
      {"\xcc\xaa", ":1:"},
      {"\xef\xbb\xbb\x02", ":1:"},
      {"mode = \"read-only\"\nx = 1\xc2\xa7\n", ":2:"},
      {"a = \"\"\"\\\n\xc2\xa7\"\"\"\n", ":"},
      {"a = \"\"\"x\\   \n   \xc3\xa9\"\"\"\n", ":"},
      {"a = \"\"\"\\\xc3\xa9\"\"\"\n", ":1:"},
      {"[network]\nmode =5555:5>55/55555rivate\"5\xca\x9bp", ":2:"},
  };
  for (const auto& c : cases) {
    auto r = parse_user(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().message().find(kUser + c.where), std::string::npos) << r.error().message();
  }
}

TEST(Config, NonAsciiInStringsKeysAndCommentsRoundTrips) {
  const char* text =
      "\xef\xbb\xbf# caf\xc3\xa9 \xc2\xa7\n"
      "[filesystem]\n"
      "writable = [\"/home/jos\xc3\xa9\", '/srv/\xe3\x81\x82', \"\"\"/x\xe2\x80\xb0\"\"\", "
      "'''/y\xe3\x80\x80''']\n"
      "protect = [\"/a\\\\\xef\xbb\xbe\", \"/\\u00e9\"]  # \xc2\xa7\n"
      "[env]\n"
      "\"dr\xc3\xb6p\" = []\n";
  auto r = parse_user(text);
  ASSERT_FALSE(r);
  // The unknown key comes back with its own spelling.
  EXPECT_NE(r.error().message().find("env.dr\xc3\xb6p (" + kUser + ":6)"), std::string::npos)
      << r.error().message();

  r = parse_user(std::string(text).substr(0, std::string(text).find("[env]")));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->writable.size(), 4u);
  EXPECT_EQ(r->writable[0].value, "/home/jos\xc3\xa9");
  EXPECT_EQ(r->writable[1].value, "/srv/\xe3\x81\x82");
  EXPECT_EQ(r->writable[2].value, "/x\xe2\x80\xb0");
  EXPECT_EQ(r->writable[3].value, "/y\xe3\x80\x80");  // U+3000 is whitespace to toml++: never shifted
  EXPECT_EQ(r->writable[0].origin.line, 3);
  ASSERT_EQ(r->protect.size(), 2u);
  EXPECT_EQ(r->protect[0].value, "/a\\\xef\xbb\xbe");
  EXPECT_EQ(r->protect[1].value, "/\xc3\xa9");
}

TEST(Config, PlaneFifteenPrivateUseIsRefused) {
  for (const char* text : {"[filesystem]\nprotect = [\"/\xf3\xb0\x80\x80\"]\n",
                           "[filesystem]\nprotect = [\"/\\U000F00E9\"]\n"}) {
    auto r = parse_user(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find(kUser + ":2:"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("U+F0000"), std::string::npos) << r.error().message();
  }
}

TEST(Config, MessagesEscapeControlCharacters) {
  // A cloned repository's config must not reach the terminal with escape sequences.
  const char* texts[] = {
      "mode = \"\\u001b[31mred\"\n",
      "\"\\u001b]0;title\\u0007\" = 1\n",
      "[filesystem]\nprotect = [\"rel\\u009b2J\"]\n",
  };
  for (const char* text : texts) {
    auto r = parse_user(text);
    ASSERT_FALSE(r) << text;
    const std::string msg = r.error().message();
    EXPECT_EQ(msg.find('\x1b'), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\x07'), std::string::npos) << msg;
    EXPECT_EQ(msg.find("\xc2\x9b"), std::string::npos) << msg;
    EXPECT_TRUE(msg.find("\\x1b") != std::string::npos || msg.find("\\u009b") != std::string::npos) << msg;
  }
}

TEST(Config, ProjectMayNarrow) {
  const char* text = R"(mode = "read-only"
best_effort = false
[filesystem]
protect = ["/w/generated"]
deny_read = ["~/.config/private"]
tmp = "none"
git = "read-only"
[network]
mode = "off"
[env]
drop = ["INTERNAL_*"]
[limits]
timeout = 600
)";
  auto r = parse_config(text, kProject, ConfigScope::Project);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->mode->value, Mode::ReadOnly);
  EXPECT_EQ(r->mode->origin.describe(), kProject + ":1");
  EXPECT_EQ(r->tmp->value, TmpMode::None);
  EXPECT_EQ(r->git->value, GitMode::ReadOnly);
  EXPECT_EQ(r->net->value, NetMode::Off);
  EXPECT_EQ(r->env_drop.size(), 1u);
}

TEST(Config, ProjectMayChooseNonWideningEnumValues) {
  for (const char* text :
       {"mode = \"workspace-write\"", "filesystem.tmp = \"private\"", "filesystem.git = \"config-only\""}) {
    auto r = parse_config(text, kProject, ConfigScope::Project);
    EXPECT_TRUE(r) << text << ": " << r.error().message();
  }
}

TEST(Config, NetworkListsKeepTheirLines) {
  auto r = parse_user(
      "[network]\nallow = [\"example.com\",\n  \"*.npmjs.org\"]\ndeny = "
      "[\"evil.example.com\"]\nallow_localhost = [5432]\n");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->allow_domains.size(), 2u);
  EXPECT_EQ(r->allow_domains[1].value, "*.npmjs.org");
  EXPECT_EQ(r->allow_domains[1].origin.line, 3);
  ASSERT_EQ(r->deny_domains.size(), 1u);
  ASSERT_EQ(r->allow_localhost.size(), 1u);
  EXPECT_EQ(r->allow_localhost[0].value, "5432");
}

TEST(Config, ProjectMayAddDenyDomains) {
  auto r = parse_config("[network]\ndeny = [\"tracker.example.com\"]\n", "/w/.cordon/config.toml",
                        ConfigScope::Project);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->deny_domains.size(), 1u);
}

}  // namespace
}  // namespace cordon
