// Merging layers into a Policy: precedence, accumulation, validation and conflicts.
#include "core/resolve.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/config.hpp"
#include "core/defaults.hpp"

namespace cordon {
namespace {

// The fake file system: only these directories exist.
const std::set<std::string>& existing_dirs() {
  static const std::set<std::string> dirs = {
      "/",           "/home/a", "/home/a/proj", "/home/a/cache",    "/work",
      "/work/other", "/tmp",    "/home/a/.ssh", "/home/a/.ssh/keys"};
  return dirs;
}
bool fake_is_dir(const std::string& p) {
  return existing_dirs().count(p) > 0;
}

ResolveContext ctx(std::string home = "/home/a") {
  return ResolveContext{"/home/a/proj", std::move(home), fake_is_dir};
}

const std::string kUser = "/home/a/.config/cordon/config.toml";
const std::string kProject = "/home/a/proj/.cordon/config.toml";

Origin at(const std::string& file, int line) {
  return Origin{file, line};
}
Origin flag(const char* name) {
  return Origin{name, 0};
}
Sourced<std::string> str(std::string v, Origin o) {
  return Sourced<std::string>{std::move(v), std::move(o)};
}

PolicyLayer layer(const std::string& source) {
  PolicyLayer l;
  l.origin = Origin{source, 0};
  return l;
}

// Parses a config text, failing the test on errors.
PolicyLayer config(const std::string& text, const std::string& file = kUser,
                   ConfigScope scope = ConfigScope::User) {
  auto r = parse_config(text, file, scope);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : PolicyLayer{};
}

std::string resolve_error(const std::vector<PolicyLayer>& layers, const ResolveContext& c = ctx()) {
  auto r = resolve(layers, c);
  EXPECT_FALSE(r) << "resolved without error";
  return r ? std::string() : r.error().message();
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

#define EXPECT_MESSAGE_HAS(msg, part) \
  EXPECT_NE((msg).find(part), std::string::npos) << "missing '" << (part) << "' in: " << (msg)

TEST(Resolve, Defaults) {
  auto r = resolve({}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->mode, Mode::WorkspaceWrite);
  EXPECT_EQ(r->workspace, "/home/a/proj");
  EXPECT_TRUE(r->writable.empty());
  EXPECT_EQ(r->tmp, TmpMode::Private);
  EXPECT_EQ(r->git, GitMode::ConfigOnly);
  EXPECT_EQ(r->net.mode, NetMode::Off);
  EXPECT_FALSE(r->limits.timeout_seconds);
  EXPECT_FALSE(r->best_effort);
  EXPECT_TRUE(r->env.filter_secrets);
  EXPECT_EQ(r->deny_read.size(), defaults::secret_home_paths().size());
  EXPECT_TRUE(has(r->deny_read, "/home/a/.ssh"));
  EXPECT_TRUE(has(r->deny_read, "/home/a/.config/git/credentials"));
  EXPECT_TRUE(has(r->deny_read, "/home/a/.claude/.credentials.json"));
  EXPECT_FALSE(has(r->deny_read, "/etc/shadow"));  // the kernel refuses it to a user already
  ResolveContext as_root = ctx();
  as_root.as_root = true;
  auto root = resolve({}, as_root);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->deny_read.size(),
            defaults::secret_home_paths().size() + defaults::secret_system_entries().size());
  EXPECT_TRUE(has(root->deny_read, "/etc/shadow"));
  EXPECT_TRUE(has(r->deny_read, "/home/a/.config/gcloud"));
  EXPECT_EQ(r->write_roots(), (std::vector<std::string>{"/home/a/proj"}));
}

// The reads --ask may ask about: the user's own --deny-read entries, never one that is,
// lies in or holds a default secret, nor one an --allow-read exception removed.
TEST(Resolve, UserDenyReadLeavesOutTheDefaultSecrets) {
  PolicyLayer flags;
  flags.origin = flag("--deny-read");
  for (const char* d :
       {"/home/a/notes/key", "/home/a/.ssh/id_rsa", "/home/a/.config", "/home/a/open", "/home/a/notes/key"})
    flags.deny_read.push_back(str(d, flag("--deny-read")));
  flags.allow_read.push_back(str("/home/a/open", flag("--allow-read")));
  auto r = resolve({flags}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->user_deny_read, (std::vector<std::string>{"/home/a/notes/key"}));
  EXPECT_TRUE(has(r->deny_read, "/home/a/.config"));
}

// A user's entry that repeats a default secret, or repeats itself, is judged once: the
// default stays never askable, the user's own entry is listed once.
TEST(Resolve, UserDenyReadRepeatsAreJudgedOnce) {
  PolicyLayer flags;
  flags.origin = flag("--deny-read");
  for (const char* d : {"/home/a/.ssh", "/home/a/mine", "/home/a/.aws/x", "/home/a/mine", "/home/a/.ssh"})
    flags.deny_read.push_back(str(d, flag("--deny-read")));
  for (bool root : {false, true}) {
    ResolveContext c = ctx();
    c.as_root = root;
    auto r = resolve({flags}, c);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->user_deny_read, (std::vector<std::string>{"/home/a/mine"}));
    EXPECT_EQ(std::count(r->deny_read.begin(), r->deny_read.end(), "/home/a/.ssh"), 1);
    EXPECT_EQ(std::count(r->deny_read.begin(), r->deny_read.end(), "/home/a/mine"), 1);
    EXPECT_TRUE(has(r->deny_read, "/home/a/.aws/x"));
    EXPECT_EQ(r->deny_read.size(), defaults::secret_home_paths().size() +
                                       (root ? defaults::secret_system_entries().size() : 0) + 2);
  }
}

// resolve_workspace() (what finding the project config needs) chooses the workspace
// resolve() chooses, and refuses what it refuses, with the same message.
TEST(Resolve, WorkspaceAloneAsResolveChoosesIt) {
  PolicyLayer user = layer(kUser), flags = layer("command line"), bad_writable = layer("command line");
  user.workspace = str("~/cache", at(kUser, 3));
  flags.workspace = str("/work/other", flag("--workspace"));
  bad_writable.writable.push_back(str("/work/absent", flag("--writable")));
  PolicyLayer missing = layer("command line"), relative = layer("command line");
  missing.workspace = str("/work/absent", flag("--workspace"));
  relative.workspace = str("proj", flag("--workspace"));
  const std::vector<std::vector<PolicyLayer>> cases = {
      {}, {user}, {flags}, {user, flags}, {flags, user}, {user, bad_writable}, {missing}, {user, relative}};
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<const PolicyLayer*> refs;
    for (const auto& l : cases[i]) refs.push_back(&l);
    auto alone = resolve_workspace(refs, ctx());
    auto full = resolve(cases[i], ctx());
    if (full) {
      ASSERT_TRUE(alone) << i << ": " << alone.error().message();
      EXPECT_EQ(*alone, full->workspace) << i;
    } else if (alone) {
      // Only an error elsewhere (here: a --writable that does not exist).
      EXPECT_MESSAGE_HAS(full.error().message(), "writable");
    } else {
      EXPECT_EQ(alone.error().message(), full.error().message()) << i;
    }
  }
  ASSERT_TRUE(resolve_workspace({}, ctx()));
  EXPECT_EQ(*resolve_workspace({}, ctx()), "/home/a/proj");
  EXPECT_FALSE(resolve_workspace({&missing}, ctx()));
}

TEST(Resolve, NoHomeMeansNoHomeSecrets) {
  for (const char* home : {"", "relative/home"}) {
    auto r = resolve({}, ctx(home));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->deny_read.empty()) << home;
  }
}

TEST(Resolve, LaterScalarLayersWin) {
  PolicyLayer user = config(
      "mode = \"read-only\"\n[filesystem]\ntmp = \"host\"\ngit = \"writable\"\n[limits]\ntimeout = 10\n");
  PolicyLayer project =
      config("[filesystem]\ntmp = \"none\"\n[limits]\ntimeout = 5\n", kProject, ConfigScope::Project);
  PolicyLayer flags = layer("flags");
  flags.mode = Sourced<Mode>{Mode::WorkspaceWrite, flag("--mode")};
  flags.git = Sourced<GitMode>{GitMode::ReadOnly, flag("--git")};

  struct Case {
    std::vector<PolicyLayer> layers;
    Mode mode;
    TmpMode tmp;
    GitMode git;
    double timeout;
  };
  const Case cases[] = {
      {{user}, Mode::ReadOnly, TmpMode::Host, GitMode::Writable, 10},
      {{user, project}, Mode::ReadOnly, TmpMode::None, GitMode::Writable, 5},
      {{user, project, flags}, Mode::WorkspaceWrite, TmpMode::None, GitMode::ReadOnly, 5},
      {{user, flags}, Mode::WorkspaceWrite, TmpMode::Host, GitMode::ReadOnly, 10},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    auto r = resolve(cases[i].layers, ctx());
    ASSERT_TRUE(r) << i << ": " << r.error().message();
    EXPECT_EQ(r->mode, cases[i].mode) << i;
    EXPECT_EQ(r->tmp, cases[i].tmp) << i;
    EXPECT_EQ(r->git, cases[i].git) << i;
    ASSERT_TRUE(r->limits.timeout_seconds) << i;
    EXPECT_DOUBLE_EQ(*r->limits.timeout_seconds, cases[i].timeout) << i;
  }
}

TEST(Resolve, NetAndBestEffortOverride) {
  PolicyLayer user = config("best_effort = true\n[network]\nmode = \"on\"\n");
  PolicyLayer project =
      config("best_effort = false\n[network]\nmode = \"off\"\n", kProject, ConfigScope::Project);
  auto r = resolve({user}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->best_effort);
  EXPECT_EQ(r->net.mode, NetMode::On);
  r = resolve({user, project}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->best_effort);
  EXPECT_EQ(r->net.mode, NetMode::Off);
}

TEST(Resolve, AllowPrivateHostNamesOneHostAndAllowsIt) {
  PolicyLayer user = config("[network]\nallow_private_host = [\"NPM.Corp.Example.\"]\n");
  auto r = resolve({user}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->net.mode, NetMode::Proxy);
  EXPECT_EQ(r->net.allow_private_hosts, std::vector<std::string>{"npm.corp.example"});
  EXPECT_TRUE(has(r->net.allow_domains, "npm.corp.example"));
  // A project config cannot widen the network this way.
  auto project =
      parse_config("[network]\nallow_private_host = [\"a.example\"]\n", kProject, ConfigScope::Project);
  ASSERT_FALSE(project);
  EXPECT_MESSAGE_HAS(project.error().message(), "allow_private_host");
}

TEST(Resolve, ListsAccumulateAcrossLayersWithoutDuplicates) {
  PolicyLayer user = config(
      "[filesystem]\nwritable = [\"~/cache\", \"/work\"]\nprotect = [\"/home/a/proj/secret.txt\"]\n"
      "[env]\nkeep = [\"GH_TOKEN\"]\ndrop = [\"CORP_*\"]\n");
  PolicyLayer project =
      config("[filesystem]\nprotect = [\"/home/a/proj/build.sh\"]\n[env]\ndrop = [\"X_*\"]\n", kProject,
             ConfigScope::Project);
  PolicyLayer flags = layer("flags");
  flags.writable = {str("/work/other", flag("--writable")), str("/work/", flag("--writable"))};
  flags.env_keep = {str("NPM_TOKEN", flag("--env-keep"))};

  auto r = resolve({user, project, flags}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->writable, (std::vector<std::string>{"/home/a/cache", "/work", "/work/other"}));
  EXPECT_EQ(r->protect, (std::vector<std::string>{"/home/a/proj/secret.txt", "/home/a/proj/build.sh"}));
  EXPECT_EQ(r->env.keep, (std::vector<std::string>{"GH_TOKEN", "NPM_TOKEN"}));
  EXPECT_EQ(r->env.drop_patterns, (std::vector<std::string>{"CORP_*", "X_*"}));
  EXPECT_EQ(r->write_roots(),
            (std::vector<std::string>{"/home/a/proj", "/home/a/cache", "/work", "/work/other"}));
}

TEST(Resolve, TildeExpansionAndNormalisation) {
  PolicyLayer flags = layer("flags");
  flags.workspace = str("~/proj/./src/..", flag("--workspace"));
  flags.writable = {str("~", flag("--writable"))};
  flags.protect = {str("/home/a//proj/x/../y/", flag("--protect"))};
  auto r = resolve({flags}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->workspace, "/home/a/proj");
  EXPECT_EQ(r->writable, (std::vector<std::string>{"/home/a"}));
  EXPECT_EQ(r->protect, (std::vector<std::string>{"/home/a/proj/y"}));
}

TEST(Resolve, TildeWithoutHomeIsAnError) {
  PolicyLayer user = config("[filesystem]\nprotect = [\n  \"~/x\"]\n");
  for (const char* home : {"", "relative"}) {
    const std::string msg = resolve_error({user}, ctx(home));
    EXPECT_MESSAGE_HAS(msg, "protect");
    EXPECT_MESSAGE_HAS(msg, kUser + ":3");
    EXPECT_MESSAGE_HAS(msg, "home directory is unknown");
  }
}

struct PathErrorCase {
  const char* name;
  PolicyLayer layer;
  std::vector<std::string> expect;
};

std::vector<PathErrorCase> path_error_cases() {
  std::vector<PathErrorCase> cases;
  auto add = [&](const char* name, auto fill, std::vector<std::string> expect) {
    PolicyLayer l = layer("flags");
    fill(l);
    cases.push_back({name, std::move(l), std::move(expect)});
  };
  add("RelativeWorkspace", [](PolicyLayer& l) { l.workspace = str("proj", flag("--workspace")); },
      {"workspace (--workspace)", "'proj' is a relative path"});
  add("RelativeWritable", [](PolicyLayer& l) { l.writable = {str("build", at(kUser, 4))}; },
      {"writable (" + kUser + ":4)", "relative"});
  add("RelativeProtect", [](PolicyLayer& l) { l.protect = {str("./x", flag("--protect"))}; },
      {"protect (--protect)", "relative"});
  add("RelativeDenyRead", [](PolicyLayer& l) { l.deny_read = {str("x", flag("--deny-read"))}; },
      {"deny-read (--deny-read)"});
  add("RelativeAllowRead", [](PolicyLayer& l) { l.allow_read = {str("x", flag("--allow-read"))}; },
      {"allow-read (--allow-read)"});
  add("TildeUser", [](PolicyLayer& l) { l.writable = {str("~bob/x", flag("--writable"))}; },
      {"writable (--writable)", "relative"});
  add("EmptyPath", [](PolicyLayer& l) { l.protect = {str("", at(kProject, 2))}; },
      {"protect (" + kProject + ":2)", "empty path"});
  add("NulInPath",
      [](PolicyLayer& l) { l.writable = {str(std::string("/work\0/x", 8), flag("--writable"))}; },
      {"writable (--writable)", "NUL"});
  add("MissingWorkspace", [](PolicyLayer& l) { l.workspace = str("/nope", at(kUser, 6)); },
      {"workspace (" + kUser + ":6)", "'/nope' does not exist"});
  add("MissingWritable",
      [](PolicyLayer& l) {
        l.writable = {str("/work", flag("--writable")), str("/gone", at(kUser, 9))};
      },
      {"writable (" + kUser + ":9)", "'/gone' does not exist"});
  add("WritableIsAFile",
      [](PolicyLayer& l) { l.writable = {str("/home/a/proj/file.txt", flag("--writable"))}; },
      {"writable (--writable)", "not a directory"});
  add("WritableRoot", [](PolicyLayer& l) { l.writable = {str("/", flag("--writable"))}; },
      {"writable (--writable)", "'/'"});
  add("WritableRootAfterNormalising", [](PolicyLayer& l) { l.writable = {str("/work/..", at(kUser, 3))}; },
      {"writable (" + kUser + ":3)", "'/'"});
  add("DenyReadRoot", [](PolicyLayer& l) { l.deny_read = {str("/", at(kUser, 5))}; },
      {"deny-read (" + kUser + ":5)", "'/'"});
  add("AllowDomainInvalid",
      [](PolicyLayer& l) { l.allow_domains = {str("exa mple.com", flag("--allow-domain"))}; },
      {"allow-domain (--allow-domain)", "exa mple.com"});
  add("AllowDomainStar", [](PolicyLayer& l) { l.allow_domains = {str("*", at(kUser, 4))}; },
      {"allow-domain (" + kUser + ":4)", "every name"});
  add("DenyDomainInvalid", [](PolicyLayer& l) { l.deny_domains = {str("a.*.com", flag("--deny-domain"))}; },
      {"deny-domain (--deny-domain)", "first label"});
  add("AllowLocalhostZero", [](PolicyLayer& l) { l.allow_localhost = {str("0", flag("--allow-localhost"))}; },
      {"allow-localhost (--allow-localhost)", "invalid port '0'"});
  add("AllowLocalhostTooBig",
      [](PolicyLayer& l) { l.allow_localhost = {str("65536", flag("--allow-localhost"))}; },
      {"allow-localhost (--allow-localhost)", "65536"});
  add("AllowLocalhostName",
      [](PolicyLayer& l) { l.allow_localhost = {str("http", flag("--allow-localhost"))}; },
      {"allow-localhost (--allow-localhost)", "'http'"});
  add("AllowPrivateHostPattern",
      [](PolicyLayer& l) { l.allow_private_host = {str("*.corp.example", flag("--allow-private-host"))}; },
      {"allow-private-host (--allow-private-host)", "not one host name"});
  add("AllowPrivateHostAddress",
      [](PolicyLayer& l) { l.allow_private_host = {str("10.0.0.5", flag("--allow-private-host"))}; },
      {"allow-private-host (--allow-private-host)", "--allow-domain ADDRESS"});
  add("NetOnWithAllowPrivateHost",
      [](PolicyLayer& l) {
        l.net = Sourced<NetMode>{NetMode::On, flag("--net")};
        l.allow_private_host = {str("npm.corp.example", flag("--allow-private-host"))};
      },
      {"conflicts with allow-private-host"});
  add("NetOffWithAllowDomain",
      [](PolicyLayer& l) {
        l.net = Sourced<NetMode>{NetMode::Off, flag("--net")};
        l.allow_domains = {str("example.com", flag("--allow-domain"))};
      },
      {"net (--net)", "conflicts with allow-domain (--allow-domain)"});
  add("NetOnWithAllowLocalhost",
      [](PolicyLayer& l) {
        l.net = Sourced<NetMode>{NetMode::On, flag("--net")};
        l.allow_localhost = {str("5432", flag("--allow-localhost"))};
      },
      {"net (--net)", "conflicts with allow-localhost"});
  return cases;
}

class ResolvePathError : public ::testing::TestWithParam<PathErrorCase> {};

TEST_P(ResolvePathError, NamesKeyAndSource) {
  const std::string msg = resolve_error({GetParam().layer});
  for (const auto& s : GetParam().expect) EXPECT_MESSAGE_HAS(msg, s);
}

INSTANTIATE_TEST_SUITE_P(Table, ResolvePathError, ::testing::ValuesIn(path_error_cases()),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Resolve, MissingCurrentDirectory) {
  ResolveContext c{"/deleted/dir", "/home/a", fake_is_dir};
  const std::string msg = resolve_error({}, c);
  EXPECT_MESSAGE_HAS(msg, "workspace");
  EXPECT_MESSAGE_HAS(msg, "/deleted/dir");
  ResolveContext relative{"", "/home/a", fake_is_dir};
  EXPECT_MESSAGE_HAS(resolve_error({}, relative), "current directory");
}

TEST(Resolve, WithoutIsDirNothingIsProbed) {
  PolicyLayer flags = layer("flags");
  flags.writable = {str("/not/probed", flag("--writable"))};
  auto r = resolve({flags}, ResolveContext{"/home/a/proj", "/home/a", nullptr});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->writable, (std::vector<std::string>{"/not/probed"}));
}

TEST(Resolve, ReadOnlyConflictsWithWritable) {
  PolicyLayer user = config("[filesystem]\nwritable = [\"/work\"]\n");
  PolicyLayer flags = layer("flags");
  flags.mode = Sourced<Mode>{Mode::ReadOnly, flag("--mode")};
  const std::string msg = resolve_error({user, flags});
  EXPECT_MESSAGE_HAS(msg, "writable (" + kUser + ":2)");
  EXPECT_MESSAGE_HAS(msg, "read-only (--mode)");
}

TEST(Resolve, ReadOnlyHasNoWriteRoots) {
  auto r = resolve({config("mode = \"read-only\"\n")}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->write_roots().empty());
}

TEST(Resolve, FullAccessConflictsWithRestrictions) {
  struct Case {
    const char* toml;
    std::string restriction_at;
  };
  const Case cases[] = {
      {"mode = \"full-access\"\n[filesystem]\nwritable = [\"/work\"]\n", kUser + ":3"},
      {"mode = \"full-access\"\n[filesystem]\nprotect = [\"/work\"]\n", kUser + ":3"},
      {"mode = \"full-access\"\n\n[filesystem]\ndeny_read = [\"/work\"]\n", kUser + ":4"},
  };
  for (const auto& c : cases) {
    const std::string msg = resolve_error({config(c.toml)});
    EXPECT_MESSAGE_HAS(msg, "mode (" + kUser + ":1)");
    EXPECT_MESSAGE_HAS(msg, "full-access");
    EXPECT_MESSAGE_HAS(msg, c.restriction_at);
  }
  // Allowing reads is not a restriction.
  auto r = resolve({config("mode = \"full-access\"\n[filesystem]\nallow_read = [\"~/.ssh\"]\n")}, ctx());
  EXPECT_TRUE(r) << r.error().message();
}

TEST(Resolve, AllowReadAtOrAboveADenialRemovesIt) {
  PolicyLayer user = config(
      "[filesystem]\ndeny_read = [\"/work/secrets\", \"/work/other/keys\"]\nallow_read = [\"~/.ssh\", "
      "\"/work/other\"]\n");
  auto r = resolve({user}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(has(r->deny_read, "/home/a/.ssh"));
  EXPECT_TRUE(has(r->deny_read, "/home/a/.aws"));
  EXPECT_TRUE(has(r->deny_read, "/work/secrets"));
  EXPECT_FALSE(has(r->deny_read, "/work/other/keys"));
  EXPECT_EQ(r->allow_read, (std::vector<std::string>{"/home/a/.ssh", "/work/other"}));
}

TEST(Resolve, AllowReadBelowADenialKeepsTheDenial) {
  PolicyLayer flags = layer("flags");
  flags.allow_read = {str("/home/a/.ssh/known_hosts", flag("--allow-read"))};
  auto r = resolve({flags}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(has(r->deny_read, "/home/a/.ssh"));
  EXPECT_EQ(r->allow_read, (std::vector<std::string>{"/home/a/.ssh/known_hosts"}));
}

TEST(Resolve, AllowReadOfHomeRemovesAllHomeSecrets) {
  PolicyLayer flags = layer("flags");
  flags.allow_read = {str("~", flag("--allow-read"))};
  auto r = resolve({flags}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->deny_read.empty());
}

TEST(Resolve, WritableInsideADeniedPathConflicts) {
  PolicyLayer flags = layer("flags");
  flags.writable = {str("/home/a/.ssh/keys", flag("--writable"))};
  const std::string msg = resolve_error({flags});
  EXPECT_MESSAGE_HAS(msg, "writable");
  EXPECT_MESSAGE_HAS(msg, "/home/a/.ssh/keys");
  EXPECT_MESSAGE_HAS(msg, "--allow-read /home/a/.ssh");

  flags.allow_read = {str("/home/a/.ssh", flag("--allow-read"))};
  auto r = resolve({flags}, ctx());
  EXPECT_TRUE(r) << r.error().message();
}

TEST(Resolve, WorkspaceInsideADeniedPathConflicts) {
  PolicyLayer user = config("[filesystem]\nworkspace = \"/work/other\"\ndeny_read = [\"/work\"]\n");
  EXPECT_MESSAGE_HAS(resolve_error({user}), "'/work/other'");
}

TEST(Resolve, TimeoutValidation) {
  struct Case {
    double value;
    bool ok;
  };
  const Case cases[] = {
      {30, true},
      {0.5, true},
      {0, false},
      {-1, false},
      {std::numeric_limits<double>::quiet_NaN(), false},
      {std::numeric_limits<double>::infinity(), false},
  };
  for (const auto& c : cases) {
    PolicyLayer flags = layer("flags");
    flags.timeout = Sourced<double>{c.value, flag("--timeout")};
    auto r = resolve({flags}, ctx());
    EXPECT_EQ(static_cast<bool>(r), c.ok) << c.value;
    if (!r) {
      EXPECT_MESSAGE_HAS(r.error().message(), "timeout (--timeout)");
      EXPECT_MESSAGE_HAS(r.error().message(), "positive");
    }
  }
  // An invalid value is an error even when a later layer overrides it.
  PolicyLayer bad = layer("x");
  bad.timeout = Sourced<double>{-5, at(kUser, 12)};
  PolicyLayer good = layer("flags");
  good.timeout = Sourced<double>{5, flag("--timeout")};
  EXPECT_MESSAGE_HAS(resolve_error({bad, good}), "timeout (" + kUser + ":12)");
}

}  // namespace
}  // namespace cordon

namespace {

cordon::PolicyLayer project_layer() {
  cordon::PolicyLayer l;
  l.origin = cordon::Origin{"/ws/.cordon/config.toml", 0};
  l.narrow_only = true;
  return l;
}

bool always_dir(const std::string&) {
  return true;
}

TEST(ResolveNarrowOnly, ProjectConfigCannotWidenTheUserConfig) {
  cordon::ResolveContext ctx{"/ws", "/home/u", &always_dir};
  cordon::PolicyLayer user;
  user.origin = cordon::Origin{"/home/u/.config/cordon/config.toml", 0};
  user.mode =
      cordon::Sourced<cordon::Mode>{cordon::Mode::ReadOnly, {"/home/u/.config/cordon/config.toml", 3}};
  user.tmp =
      cordon::Sourced<cordon::TmpMode>{cordon::TmpMode::None, {"/home/u/.config/cordon/config.toml", 4}};
  user.timeout = cordon::Sourced<double>{10, {"/home/u/.config/cordon/config.toml", 5}};

  auto widen_mode = project_layer();
  widen_mode.mode =
      cordon::Sourced<cordon::Mode>{cordon::Mode::WorkspaceWrite, {"/ws/.cordon/config.toml", 2}};
  auto r = cordon::resolve({user, widen_mode}, ctx);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("mode (/ws/.cordon/config.toml:2)"), std::string::npos)
      << r.error().message();

  auto widen_tmp = project_layer();
  widen_tmp.tmp = cordon::Sourced<cordon::TmpMode>{cordon::TmpMode::Private, {"/ws/.cordon/config.toml", 7}};
  EXPECT_FALSE(cordon::resolve({user, widen_tmp}, ctx));

  auto longer = project_layer();
  longer.timeout = cordon::Sourced<double>{60, {"/ws/.cordon/config.toml", 9}};
  EXPECT_FALSE(cordon::resolve({user, longer}, ctx));

  auto narrower = project_layer();
  narrower.timeout = cordon::Sourced<double>{5, {"/ws/.cordon/config.toml", 9}};
  narrower.git = cordon::Sourced<cordon::GitMode>{cordon::GitMode::ReadOnly, {"/ws/.cordon/config.toml", 10}};
  auto ok = cordon::resolve({user, narrower}, ctx);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*ok->limits.timeout_seconds, 5);
  EXPECT_EQ(ok->git, cordon::GitMode::ReadOnly);
  EXPECT_EQ(ok->mode, cordon::Mode::ReadOnly);
}

TEST(ResolveNarrowOnly, FlagsStillOverrideAProjectConfig) {
  cordon::ResolveContext ctx{"/ws", "/home/u", &always_dir};
  auto project = project_layer();
  project.mode = cordon::Sourced<cordon::Mode>{cordon::Mode::ReadOnly, {"/ws/.cordon/config.toml", 1}};
  cordon::PolicyLayer flags;
  flags.mode = cordon::Sourced<cordon::Mode>{cordon::Mode::WorkspaceWrite, {"--mode", 0}};
  auto r = cordon::resolve({project, flags}, ctx);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->mode, cordon::Mode::WorkspaceWrite);
}

TEST(ResolveNarrowOnly, AbsurdTimeoutsAreRejected) {
  cordon::ResolveContext ctx{"/ws", "/home/u", &always_dir};
  cordon::PolicyLayer flags;
  flags.timeout = cordon::Sourced<double>{1e300, {"--timeout", 0}};
  EXPECT_FALSE(cordon::resolve({flags}, ctx));
}

}  // namespace

namespace cordon {
namespace {

TEST(ResolveNetwork, AllowDomainImpliesProxyAndIsNormalised) {
  PolicyLayer l = layer("flags");
  l.allow_domains = {str("Registry.NPMJS.org.", flag("--allow-domain")),
                     str("*.Example.com", flag("--allow-domain")),
                     str("registry.npmjs.org", flag("--allow-domain"))};
  l.deny_domains = {str("evil.example.com", flag("--deny-domain"))};
  l.allow_localhost = {str("5432", flag("--allow-localhost")), str("5432", flag("--allow-localhost"))};
  auto r = resolve({l}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->net.mode, NetMode::Proxy);
  EXPECT_EQ(r->net.allow_domains, (std::vector<std::string>{"registry.npmjs.org", "*.example.com"}));
  EXPECT_EQ(r->net.deny_domains, (std::vector<std::string>{"evil.example.com"}));
  EXPECT_EQ(r->net.allow_localhost_ports, (std::vector<uint16_t>{5432}));
}

TEST(ResolveNetwork, AllowLocalhostAloneImpliesProxy) {
  PolicyLayer l = layer("flags");
  l.allow_localhost = {str("8080", flag("--allow-localhost"))};
  auto r = resolve({l}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->net.mode, NetMode::Proxy);
}

TEST(ResolveNetwork, ExplicitProxyWithoutListsAllowsNothing) {
  PolicyLayer l = layer("flags");
  l.net = Sourced<NetMode>{NetMode::Proxy, flag("--net")};
  auto r = resolve({l}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->net.mode, NetMode::Proxy);
  EXPECT_TRUE(r->net.allow_domains.empty());
}

TEST(ResolveNetwork, UserAllowlistThenProjectDenyAndOff) {
  PolicyLayer user = config("[network]\nallow = [\"example.com\"]\n");
  PolicyLayer deny = config("[network]\ndeny = [\"bad.example.com\"]\n", kProject, ConfigScope::Project);
  auto r = resolve({user, deny}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->net.mode, NetMode::Proxy);
  EXPECT_EQ(r->net.deny_domains, (std::vector<std::string>{"bad.example.com"}));
  // A project config may narrow the allowlist to no network at all.
  PolicyLayer off = config("[network]\nmode = \"off\"\n", kProject, ConfigScope::Project);
  auto r2 = resolve({user, off}, ctx());
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_EQ(r2->net.mode, NetMode::Off);
  EXPECT_TRUE(r2->net.allow_domains.empty());
}

TEST(ResolveNetwork, ProjectCannotWidenOffToProxy) {
  PolicyLayer proj = config("[network]\nmode = \"proxy\"\n", kProject, ConfigScope::Project);
  const std::string msg = resolve_error({proj});
  EXPECT_MESSAGE_HAS(msg, "network.mode");
  EXPECT_MESSAGE_HAS(msg, "only narrow");
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

// $HOME moved away from the account's home (a caller's or a project .env's doing): the
// secrets of the real home stay masked, beside those of the moved one.
TEST(Resolve, SecretsOfTheAccountHomeStayMaskedWhenHomeMoves) {
  ResolveContext c = ctx("/tmp/elsewhere");
  c.account_home = "/home/a";
  auto r = resolve({}, c);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(has(r->deny_read, "/home/a/.ssh"));
  EXPECT_TRUE(has(r->deny_read, "/tmp/elsewhere/.ssh"));
  // The same home twice is listed once.
  c = ctx();
  c.account_home = "/home/a";
  auto same = resolve({}, c);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->deny_read.size(), defaults::secret_home_paths().size());
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

TEST(ResolveUnprotect, TakesBuiltInNamesFromTheUserConfigAndFlags) {
  auto user = config("[filesystem]\nunprotect = [\".vscode\"]\n");
  PolicyLayer flags = layer("command line");
  flags.unprotect = {str(".idea", flag("--unprotect")), str(".vscode", flag("--unprotect"))};
  auto r = resolve({user, flags}, ctx());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->unprotect, (std::vector<std::string>{".vscode", ".idea"}));
}

TEST(ResolveUnprotect, AnythingElseIsAnErrorNamingTheSource) {
  PolicyLayer flags = layer("command line");
  flags.unprotect = {str(".vscode/tasks.json", flag("--unprotect"))};
  const std::string msg = resolve_error({flags});
  EXPECT_MESSAGE_HAS(msg, "unprotect (--unprotect)");
  EXPECT_MESSAGE_HAS(msg, "not a built-in protected name");
  EXPECT_MESSAGE_HAS(msg, ".claude");  // the hint lists the valid names
}

}  // namespace
}  // namespace cordon
