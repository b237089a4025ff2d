// The sandboxed environment: glob matching and secret filtering.
#include "core/env_filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace cordon {
namespace {

TEST(GlobMatch, Table) {
  struct Case {
    std::string pattern;
    std::string text;
    bool match;
  };
  const Case cases[] = {
      {"", "", true},
      {"", "A", false},
      {"*", "", true},
      {"*", "ANYTHING", true},
      {"**", "x", true},
      {"ABC", "ABC", true},
      {"ABC", "abc", true},  // case-insensitive both ways
      {"abc", "ABC", true},
      {"ABC", "ABCD", false},
      {"ABCD", "ABC", false},
      {"*TOKEN*", "GITHUB_TOKEN", true},
      {"*TOKEN*", "token", true},
      {"*TOKEN*", "MY_TOKEN_FILE", true},
      {"*TOKEN*", "TOKE", false},
      {"*_KEY", "AWS_SECRET_KEY", true},
      {"*_KEY", "KEYBOARD", false},
      {"*_KEY", "_KEY", true},
      {"*_KEY", "MY_KEYS", false},
      {"AWS_*", "AWS_", true},
      {"AWS_*", "AWS", false},
      {"NPM_*AUTH*", "NPM_CONFIG__AUTH", true},
      {"NPM_*AUTH*", "NPM_CONFIG", false},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "abcabc", true},
      {"a*b*c", "acb", false},
      {"*a*a*a*a*a*a*a*a*b", std::string(64, 'a'), false},
      {"?", "?", true},  // '?' is a literal, not a wildcard
      {"?", "x", false},
      {"[A]", "A", false},  // no character classes
      {"A.B", "AXB", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(glob_match_icase(c.pattern, c.text), c.match) << c.pattern << " vs " << c.text;
}

// The iterative matcher against a plain recursive one (exponential, fine for short
// strings), over every pattern of up to five characters from {a, B, *} and every text of
// up to five from {a, A, b}: a faster matcher (every run filters every variable of the
// caller's environment with it) can be checked the same way.
bool reference_match(std::string_view p, std::string_view t) {
  if (p.empty()) return t.empty();
  if (p[0] == '*') return reference_match(p.substr(1), t) || (!t.empty() && reference_match(p, t.substr(1)));
  auto low = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); };
  return !t.empty() && low(p[0]) == low(t[0]) && reference_match(p.substr(1), t.substr(1));
}

std::vector<std::string> all_strings(const std::string& alphabet, size_t max_len) {
  std::vector<std::string> out = {""};
  for (size_t begin = 0, len = 0; len < max_len; ++len) {
    const size_t end = out.size();
    for (size_t i = begin; i < end; ++i)
      for (char c : alphabet) out.push_back(out[i] + c);
    begin = end;
  }
  return out;
}

TEST(GlobMatch, AgreesWithARecursiveMatcher) {
  const auto patterns = all_strings("aB*", 5), texts = all_strings("aAb", 5);
  size_t matched = 0;
  for (const auto& p : patterns)
    for (const auto& t : texts) {
      const bool want = reference_match(p, t);
      ASSERT_EQ(glob_match_icase(p, t), want) << "'" << p << "' vs '" << t << "'";
      matched += want ? 1 : 0;
    }
  EXPECT_GT(matched, 1000u);  // the alphabet makes both answers common
}

TEST(GlobMatch, LongAdversarialInputIsFast) {
  // A recursive matcher explodes here; the iterative one is quadratic at worst.
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "*a";
  pattern += "*b";
  const std::string text(20000, 'a');
  EXPECT_FALSE(glob_match_icase(pattern, text));
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(FilterEnv, DropsSecretsByDefault) {
  const std::vector<std::string> in = {
      "PATH=/usr/bin",       "HOME=/home/a",        "GITHUB_TOKEN=ghp_supersecret", "AWS_ACCESS_KEY_ID=AKIA",
      "my_api_key=lower",    "OPENAI_API_KEY=sk-x", "SSH_AUTH_SOCK=/run/ssh",       "LANG=C.UTF-8",
      "DB_PASSWORD=hunter2", "KEYBOARD=us"};
  EnvResult r = filter_env(in, EnvPolicy{});
  EXPECT_EQ(r.env,
            (std::vector<std::string>{"PATH=/usr/bin", "HOME=/home/a", "LANG=C.UTF-8", "KEYBOARD=us"}));
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"GITHUB_TOKEN", "AWS_ACCESS_KEY_ID", "my_api_key",
                                                 "OPENAI_API_KEY", "SSH_AUTH_SOCK", "DB_PASSWORD"}));
}

TEST(FilterEnv, DroppedNeverHoldsValues) {
  const std::vector<std::string> in = {"GITHUB_TOKEN=ghp_supersecret", "X_PASSWORD=a=b=c",
                                       "NOEQUALS_SECRET_VALUE"};
  EnvResult r = filter_env(in, EnvPolicy{});
  EXPECT_TRUE(r.env.empty());
  for (const auto& d : r.dropped) {
    EXPECT_EQ(d.find('='), std::string::npos) << d;
    EXPECT_EQ(d.find("ghp_"), std::string::npos) << d;
    EXPECT_EQ(d.find("NOEQUALS"), std::string::npos) << d;  // malformed entries are not reported
  }
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"GITHUB_TOKEN", "X_PASSWORD"}));
}

TEST(FilterEnv, EntriesWithoutEqualsAreDropped) {
  EnvResult r = filter_env({"JUSTANAME", "", "=", "OK=1"}, EnvPolicy{});
  EXPECT_EQ(r.env, (std::vector<std::string>{"OK=1"}));
}

TEST(FilterEnv, WindowsDriveEntriesKeepTheirName) {
  // Windows keeps per-drive directories as "=C:=C:\dir"; the name is "=C:".
  EnvResult r = filter_env({"=C:=C:\\work", "PATH=x"}, EnvPolicy{});
  EXPECT_EQ(r.env, (std::vector<std::string>{"=C:=C:\\work", "PATH=x"}));
}

TEST(FilterEnv, KeepIsExactAndCaseSensitive) {
  EnvPolicy p;
  p.keep = {"GITHUB_TOKEN"};
  EnvResult r = filter_env({"GITHUB_TOKEN=1", "github_token=2", "GITHUB_TOKEN_2=3"}, p);
  EXPECT_EQ(r.env, (std::vector<std::string>{"GITHUB_TOKEN=1"}));
  EXPECT_TRUE(contains(r.dropped, "github_token"));
  EXPECT_TRUE(contains(r.dropped, "GITHUB_TOKEN_2"));
}

TEST(FilterEnv, KeepAlsoOverridesExtraDropPatterns) {
  EnvPolicy p;
  p.drop_patterns = {"CORP_*"};
  p.keep = {"CORP_PROXY"};
  EnvResult r = filter_env({"CORP_PROXY=http://p", "CORP_LICENSE=abc", "EDITOR=vi"}, p);
  EXPECT_EQ(r.env, (std::vector<std::string>{"CORP_PROXY=http://p", "EDITOR=vi"}));
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"CORP_LICENSE"}));
}

TEST(FilterEnv, FilterSecretsOffStillAppliesDropPatterns) {
  EnvPolicy p;
  p.filter_secrets = false;
  p.drop_patterns = {"*license*"};
  EnvResult r = filter_env({"GITHUB_TOKEN=1", "CORP_LICENSE=2"}, p);
  EXPECT_EQ(r.env, (std::vector<std::string>{"GITHUB_TOKEN=1"}));
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"CORP_LICENSE"}));
}

TEST(FilterEnv, SetOverridesAndAppends) {
  EnvPolicy p;
  p.set = {{"PATH", "/sandbox/bin"}, {"NEW", "v=1"}, {"GITHUB_TOKEN", "explicit"}};
  EnvResult r = filter_env({"PATH=/usr/bin", "HOME=/h", "PATH=/dup", "GITHUB_TOKEN=host"}, p);
  EXPECT_EQ(r.env,
            (std::vector<std::string>{"PATH=/sandbox/bin", "HOME=/h", "NEW=v=1", "GITHUB_TOKEN=explicit"}));
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"GITHUB_TOKEN"}));  // the host value was still dropped
}

TEST(FilterEnv, SetIgnoresInvalidNames) {
  EnvPolicy p;
  p.set = {{"", "x"}, {"A=B", "y"}};
  EnvResult r = filter_env({"A=1"}, p);
  EXPECT_EQ(r.env, (std::vector<std::string>{"A=1"}));
}

TEST(FilterEnv, DroppedNamesAreUnique) {
  EnvResult r = filter_env({"X_TOKEN=1", "X_TOKEN=2"}, EnvPolicy{});
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"X_TOKEN"}));
}

// Real variable names from the tools' documentation: every credential is dropped, every
// setting is kept (issue: AWS_CA_BUNDLE and the like vanished with the secrets).
TEST(FilterEnv, RealNamesSecretsDroppedSettingsKept) {
  const std::vector<std::string> secrets = {"AWS_ACCESS_KEY_ID",
                                            "AWS_SECRET_ACCESS_KEY",
                                            "AWS_SESSION_TOKEN",
                                            "AWS_SECURITY_TOKEN",
                                            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                            "AWS_WEB_IDENTITY_TOKEN_FILE",
                                            "AWS_BEARER_TOKEN_BEDROCK",
                                            "AZURE_CLIENT_SECRET",
                                            "AZURE_CLIENT_ID",
                                            "AZURE_TENANT_ID",
                                            "AZURE_STORAGE_KEY",
                                            "AZURE_STORAGE_CONNECTION_STRING",
                                            "GITHUB_TOKEN",
                                            "GH_TOKEN",
                                            "GH_ENTERPRISE_TOKEN",
                                            "GITLAB_TOKEN",
                                            "CI_JOB_TOKEN",
                                            "ACTIONS_RUNTIME_TOKEN",
                                            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                                            "NPM_TOKEN",
                                            "NPM_CONFIG__AUTH",
                                            "NODE_AUTH_TOKEN",
                                            "OPENAI_API_KEY",
                                            "ANTHROPIC_API_KEY",
                                            "ANTHROPIC_AUTH_TOKEN",
                                            "HF_TOKEN",
                                            "HUGGING_FACE_HUB_TOKEN",
                                            "CARGO_REGISTRY_TOKEN",
                                            "TWINE_PASSWORD",
                                            "PGPASSWORD",
                                            "MYSQL_PWD_PASSWORD",
                                            "DOCKER_AUTH_CONFIG",
                                            "VAULT_TOKEN",
                                            "SSH_AUTH_SOCK",
                                            "GOOGLE_APPLICATION_CREDENTIALS",
                                            "STRIPE_SECRET_KEY",
                                            "SENTRY_AUTH_TOKEN",
                                            "SLACK_BOT_TOKEN",
                                            "DATABASE_PRIVATE_URL",
                                            "KUBECONFIG",
                                            "CLOUDFLARE_API_TOKEN",
                                            "DIGITALOCEAN_ACCESS_TOKEN",
                                            "GPG_AGENT_INFO",
                                            "DBUS_SESSION_BUS_ADDRESS"};
  const std::vector<std::string> settings = {"AWS_CA_BUNDLE",
                                             "AWS_REGION",
                                             "AWS_DEFAULT_REGION",
                                             "AWS_PROFILE",
                                             "AWS_CONFIG_FILE",
                                             "AWS_ENDPOINT_URL",
                                             "AWS_PAGER",
                                             "AWS_RETRY_MODE",
                                             "aws_region",
                                             "AZURE_CONFIG_DIR",
                                             "AZURE_CORE_OUTPUT",
                                             "GH_HOST",
                                             "GH_REPO",
                                             "GITHUB_ACTIONS",
                                             "GITHUB_WORKSPACE",
                                             "GITHUB_SHA",
                                             "GITHUB_REF",
                                             "GITHUB_OUTPUT",
                                             "GITHUB_STEP_SUMMARY",
                                             "GITLAB_CI",
                                             "OPENAI_BASE_URL",
                                             "ANTHROPIC_BASE_URL",
                                             "VAULT_ADDR",
                                             "VAULT_CACERT",
                                             "TOKENIZERS_PARALLELISM",
                                             "PATH",
                                             "HOME",
                                             "LANG",
                                             "SSL_CERT_FILE",
                                             "REQUESTS_CA_BUNDLE",
                                             "NODE_EXTRA_CA_CERTS",
                                             "CURL_CA_BUNDLE",
                                             "NPM_CONFIG_REGISTRY",
                                             "PIP_INDEX_URL",
                                             "HTTPS_PROXY",
                                             "NO_PROXY",
                                             "CI",
                                             "KEYBOARD",
                                             "EDITOR",
                                             "TERM"};
  std::vector<std::string> in;
  for (const auto& n : secrets) in.push_back(n + "=value-of-" + n);
  for (const auto& n : settings) in.push_back(n + "=value-of-" + n);
  const EnvResult r = filter_env(in, EnvPolicy{});
  for (const auto& n : secrets) {
    EXPECT_TRUE(contains(r.dropped, n)) << n << " is a secret and must be dropped";
    EXPECT_FALSE(contains(r.env, n + "=value-of-" + n)) << n;
  }
  for (const auto& n : settings) {
    EXPECT_TRUE(contains(r.env, n + "=value-of-" + n)) << n << " is a setting and must be kept";
    EXPECT_FALSE(contains(r.dropped, n)) << n;
  }
}

// The settings list is exact: a longer name under a known setting's name is not kept.
TEST(FilterEnv, KnownSettingsAreExactNames) {
  const EnvResult r = filter_env(
      {"AWS_CA_BUNDLE_TOKEN=x", "AWS_REGION2=x", "XAWS_CA_BUNDLE=x", "VAULT_ADDR_SECRET=x"}, EnvPolicy{});
  EXPECT_EQ(r.env, (std::vector<std::string>{"XAWS_CA_BUNDLE=x"}));
}

// filter_secrets = false keeps everything; drop_patterns still apply to the settings.
TEST(FilterEnv, DropPatternsStillApplyToKnownSettings) {
  EnvPolicy p;
  p.drop_patterns = {"AWS_*"};
  const EnvResult r = filter_env({"AWS_REGION=eu-west-1"}, p);
  EXPECT_TRUE(r.env.empty());
}

}  // namespace
}  // namespace cordon
