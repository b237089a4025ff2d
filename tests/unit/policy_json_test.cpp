#include "core/policy_json.hpp"

#include <gtest/gtest.h>

namespace cordon {
namespace {

Policy sample() {
  Policy p;
  p.mode = Mode::WorkspaceWrite;
  p.workspace = "/w/project";
  p.writable = {"/home/u/.npm", "/opt/cache dir"};
  p.tmp = TmpMode::Host;
  p.git = GitMode::ReadOnly;
  p.protect = {"/w/project/.husky"};
  p.unprotect = {".vscode"};
  p.deny_read = {"/home/u/.ssh", "/home/u/.aws"};
  p.user_deny_read = {"/home/u/.aws"};
  p.allow_read = {"/home/u/.aws/config"};
  p.net.mode = NetMode::Proxy;
  p.net.allow_domains = {"*.npmjs.org", "github.com"};
  p.net.deny_domains = {"evil.github.com"};
  p.net.allow_localhost_ports = {5432, 8080};
  p.net.allow_private_hosts = {"npm.corp.example"};
  p.net.allow_unix_sockets = {"/run/user/1000/ssh-agent.sock"};
  p.env.filter_secrets = true;
  p.env.keep = {"GITHUB_TOKEN"};
  p.env.drop_patterns = {"*_KEY"};
  p.env.set = {{"CI", "1"}, {"EMPTY", ""}};
  p.limits.timeout_seconds = 600;
  p.limits.memory_bytes = uint64_t{2} << 30;
  p.limits.pids = 256;
  p.limits.cpu_seconds = 60;
  p.limits.max_output_bytes = 1 << 20;
  p.best_effort = true;
  p.tty = TtyMode::Always;
  return p;
}

TEST(PolicyJson, RoundTripsEveryField) {
  const Policy p = sample();
  auto back = policy_from_json(to_json(p));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(to_json(*back), to_json(p));
  EXPECT_EQ(back->writable, p.writable);
  EXPECT_EQ(back->unprotect, p.unprotect);
  EXPECT_EQ(back->net.allow_localhost_ports, p.net.allow_localhost_ports);
  EXPECT_EQ(back->net.allow_private_hosts, p.net.allow_private_hosts);
  EXPECT_EQ(back->net.allow_unix_sockets, p.net.allow_unix_sockets);
  EXPECT_EQ(back->env.set, p.env.set);
  EXPECT_EQ(back->limits.pids, p.limits.pids);
  EXPECT_EQ(back->tty, TtyMode::Always);
  // Through text, as a worker receives it.
  auto text = policy_from_json(nlohmann::json::parse(to_json(p).dump()));
  ASSERT_TRUE(text);
  EXPECT_EQ(to_json(*text), to_json(p));
}

TEST(PolicyJson, DefaultsRoundTrip) {
  Policy p;
  p.workspace = "/w";
  auto back = policy_from_json(to_json(p));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(to_json(*back), to_json(p));
  EXPECT_FALSE(back->limits.timeout_seconds);
}

TEST(PolicyJson, RefusesRatherThanDefaults) {
  const nlohmann::json good = to_json(sample());
  auto refused = [&](auto mutate) {
    nlohmann::json j = good;
    mutate(j);
    return !policy_from_json(j);
  };
  EXPECT_TRUE(refused([](auto& j) { j["extra"] = 1; }));
  EXPECT_TRUE(refused([](auto& j) { j.erase("deny_read"); }));
  EXPECT_TRUE(refused([](auto& j) { j["mode"] = "everything"; }));
  EXPECT_TRUE(refused([](auto& j) { j["workspace"] = "relative"; }));
  EXPECT_TRUE(refused([](auto& j) { j["writable"] = {"rel"}; }));
  EXPECT_TRUE(refused([](auto& j) { j["deny_read"] = "/x"; }));
  // A path asked about must be one the policy denies.
  EXPECT_TRUE(refused([](auto& j) { j["user_deny_read"] = nlohmann::json::array({"/not/denied"}); }));
  EXPECT_TRUE(refused([](auto& j) { j.erase("user_deny_read"); }));
  EXPECT_TRUE(refused([](auto& j) { j["best_effort"] = "yes"; }));
  EXPECT_TRUE(refused([](auto& j) { j["tty"] = "sometimes"; }));
  EXPECT_TRUE(refused([](auto& j) { j.erase("tty"); }));
  EXPECT_TRUE(refused([](auto& j) { j["net"]["allow_localhost_ports"] = {70000}; }));
  EXPECT_TRUE(refused([](auto& j) { j["net"]["allow_localhost_ports"] = {-1}; }));
  EXPECT_TRUE(refused([](auto& j) { j["net"]["surprise"] = true; }));
  EXPECT_TRUE(refused([](auto& j) { j["env"]["set"] = {{"A=B", "x"}}; }));
  EXPECT_TRUE(refused([](auto& j) { j["env"]["set"] = {{"A"}}; }));
  EXPECT_TRUE(refused([](auto& j) { j["limits"]["timeout_seconds"] = 1e10; }));
  EXPECT_TRUE(refused([](auto& j) { j["limits"]["pids"] = 0; }));
  EXPECT_TRUE(refused([](auto& j) { j["limits"]["memory_bytes"] = 5; }));
  EXPECT_TRUE(refused([](auto& j) { j["limits"]["cpu_seconds"] = "60"; }));
  EXPECT_TRUE(refused([](auto& j) { j = nlohmann::json::array(); }));
  EXPECT_FALSE(refused([](auto&) {}));
}

}  // namespace
}  // namespace cordon
