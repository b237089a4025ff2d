// ~/.npmrc shown without its secrets (core/secret_filter.hpp).
#include "core/secret_filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace cordon {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(NpmrcFilter, KeepsSettingsDropsSecrets) {
  const std::string in =
      "registry=https://npm.example.corp/\n"
      "@corp:registry = https://npm.example.corp/corp/\n"
      "audit=false\n"
      "fund=false\n"
      "proxy=http://proxy.example.corp:3128\n"
      "strict-ssl=true\n"
      "cafile=/etc/ssl/corp.pem\n"
      "always-auth=true\n"
      "//npm.example.corp/:_authToken=TOKEN-AAA\n"
      "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"
      "//npm.example.corp/corp/:_auth=BASE64-BBB\n"
      "//npm.example.corp/:_password=PASS-CCC\n"
      "//npm.example.corp/:username=alice\n"
      "_auth=BASE64-DDD\n"
      "_authToken=TOKEN-EEE\n"
      "_password=PASS-FFF\n"
      "key=\"-----BEGIN PRIVATE KEY-----\\nKEY-GGG\\n-----END PRIVATE KEY-----\"\n"
      "//npm.example.corp/:keyfile=/home/a/.npm-key.pem\n"
      "certfile=/home/a/.npm-cert.pem\n"
      "otp=123456\n"
      "https-proxy=http://bob:PASS-HHH@proxy.example.corp:3128\n"
      "; _authToken=TOKEN-III (commented out)\n"
      "# //old.example/:_authToken=TOKEN-JJJ\n"
      "KEY-KKK-A-CONTINUATION-LINE\n"
      "  _AUTHTOKEN = TOKEN-LLL\n"
      "//x.example/:NPM_TOKEN=TOKEN-MMM\n";
  const FilteredText out = filter_npmrc(in);
  for (const char* kept :
       {"registry=https://npm.example.corp/", "@corp:registry = https://npm.example.corp/corp/",
        "audit=false", "fund=false", "proxy=http://proxy.example.corp:3128", "strict-ssl=true",
        "cafile=/etc/ssl/corp.pem", "always-auth=true", "//npm.example.corp/:username=alice",
        "certfile=/home/a/.npm-cert.pem"})
    EXPECT_TRUE(has(out.text, kept)) << kept << "\n" << out.text;
  for (const char* secret : {"TOKEN-", "BASE64-", "PASS-", "KEY-", "NPM_TOKEN", "123456", "npm-key.pem"})
    EXPECT_FALSE(has(out.text, secret)) << secret << "\n" << out.text;
  // The removed keys are named (for the JSON result), never their values.
  for (const auto& k : out.removed) {
    EXPECT_FALSE(has(k, "TOKEN-") || has(k, "PASS-") || has(k, "BASE64")) << k;
  }
  EXPECT_TRUE(std::find(out.removed.begin(), out.removed.end(), "//npm.example.corp/:_authToken") !=
              out.removed.end());
  EXPECT_TRUE(std::find(out.removed.begin(), out.removed.end(), "https-proxy") != out.removed.end());
}

TEST(NpmrcFilter, EmptyAndOddInput) {
  EXPECT_FALSE(has(filter_npmrc("").text, "="));
  EXPECT_FALSE(has(filter_npmrc("=value-without-key\n").text, "value-without-key"));
  EXPECT_FALSE(has(filter_npmrc("//host/=TOKEN-Z\n").text, "TOKEN-Z"));  // a scope without a key name
  EXPECT_FALSE(has(filter_npmrc("//host/:_authToken=TOKEN-CRLF\r\n").text, "TOKEN-CRLF"));
  EXPECT_TRUE(has(filter_npmrc("[section]\nfoo=bar").text, "[section]\nfoo=bar\n"));
  EXPECT_FALSE(has(filter_npmrc(std::string("a=b\0_authToken=TOKEN-NUL\n", 25)).text, "TOKEN-NUL"));
}

// npm's ini parser unquotes keys and drops backslashes: the filter sees the same name.
TEST(NpmrcFilter, QuotedAndEscapedKeys) {
  for (const char* line :
       {"\"//host/:_authToken\"=TOKEN-Q1\n", "'_auth'=TOKEN-Q2\n", "_auth\\Token=TOKEN-Q3\n",
        "//host/:_\\authToken=TOKEN-Q4\n", "authToken=TOKEN-Q5\n"})
    EXPECT_FALSE(has(filter_npmrc(line).text, "TOKEN-Q")) << line;
  EXPECT_TRUE(
      has(filter_npmrc("always-auth=true\nauth-type=web\n").text, "always-auth=true\nauth-type=web\n"));
}

TEST(NpmrcFilter, TheTableNamesNpmrc) {
  ASSERT_NE(filtered_entry(".npmrc"), nullptr);
  EXPECT_EQ(filtered_entry(".pypirc"), nullptr);
}

}  // namespace
}  // namespace cordon
