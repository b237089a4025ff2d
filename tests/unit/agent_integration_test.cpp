// Unit tests for the agent-integration pieces that need no kernel: sizes and resource
// limits in config and resolve, the limits planner, the run result and its
// classification, the JSON-RPC parser and the run_command argument checks.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>

#include "apps/server/jsonrpc.hpp"
#include "apps/server/tool_call.hpp"
#include "core/config.hpp"
#include "core/limits.hpp"
#include "core/resolve.hpp"
#include "core/result.hpp"
#include "plan/limits_plan.hpp"

namespace cordon {
namespace {

bool any_dir(const std::string&) {
  return true;
}
ResolveContext ctx() {
  return ResolveContext{"/home/a/proj", "/home/a", any_dir};
}

TEST(Limits, ParseSize) {
  struct Case {
    const char* text;
    std::optional<uint64_t> bytes;
  } cases[] = {{"0", 0},
               {"512", 512},
               {"64M", 64ull << 20},
               {"64m", 64ull << 20},
               {"2G", 2ull << 30},
               {"1KiB", 1024},
               {"10MB", 10ull << 20},
               {"", std::nullopt},
               {"M", std::nullopt},
               {"12X", std::nullopt},
               {"-1", std::nullopt},
               {"99999999999999999999", std::nullopt},
               {"17179869184G", std::nullopt}};
  for (const auto& c : cases) EXPECT_EQ(parse_size(c.text), c.bytes) << c.text;
  EXPECT_EQ(format_size(64ull << 20), "64M");
  EXPECT_EQ(format_size(1000), "1000");
}

TEST(Limits, ConfigKeysAndResolve) {
  auto layer = parse_config("[limits]\nmemory = \"512M\"\npids = 64\ncpu_time = 30\nmax_output = 65536\n",
                            "/u.toml", ConfigScope::User);
  ASSERT_TRUE(layer) << layer.error().message();
  auto p = resolve({*layer}, ctx());
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->limits.memory_bytes, 512ull << 20);
  EXPECT_EQ(p->limits.pids, 64u);
  EXPECT_EQ(p->limits.cpu_seconds, 30.0);
  EXPECT_EQ(p->limits.max_output_bytes, 65536u);
}

TEST(Limits, BadValuesNameTheKey) {
  auto bad_type = parse_config("[limits]\npids = \"many\"\n", "/u.toml", ConfigScope::User);
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message().find("limits.pids"), std::string::npos) << bad_type.error().message();
  auto bad_size = parse_config("[limits]\nmemory = \"lots\"\n", "/u.toml", ConfigScope::User);
  ASSERT_FALSE(bad_size);
  EXPECT_NE(bad_size.error().message().find("limits.memory"), std::string::npos);
  auto tiny = parse_config("[limits]\nmemory = 1000\n", "/u.toml", ConfigScope::User);
  ASSERT_TRUE(tiny);
  auto r = resolve({*tiny}, ctx());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("at least 1M"), std::string::npos) << r.error().message();
  auto cpu = parse_config("[limits]\ncpu_time = 0.5\n", "/u.toml", ConfigScope::User);
  ASSERT_TRUE(cpu);
  EXPECT_FALSE(resolve({*cpu}, ctx()));
}

TEST(Limits, ProjectConfigMayOnlyLower) {
  auto user = parse_config("[limits]\nmemory = \"1G\"\npids = 100\n", "/u.toml", ConfigScope::User);
  auto lower = parse_config("[limits]\nmemory = \"512M\"\npids = 50\n", "/w/.cordon/config.toml",
                            ConfigScope::Project);
  auto higher = parse_config("[limits]\npids = 500\n", "/w/.cordon/config.toml", ConfigScope::Project);
  ASSERT_TRUE(user && lower && higher);
  auto ok = resolve({*user, *lower}, ctx());
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->limits.pids, 50u);
  auto widened = resolve({*user, *higher}, ctx());
  ASSERT_FALSE(widened);
  EXPECT_NE(widened.error().message().find("limits.pids"), std::string::npos) << widened.error().message();
  // With no limit before it, a project limit only narrows.
  EXPECT_TRUE(resolve({*higher}, ctx()));
}

TEST(LimitsPlan, MechanismsAndRootLoss) {
  LimitsPolicy l;
  l.memory_bytes = 64ull << 20;
  l.pids = 16;
  l.cpu_seconds = 1.5;
  LinuxHostCaps user;
  user.uid = 1000;
  auto plan = plan_limits(l, user, true);
  EXPECT_TRUE(plan.losses.empty());
  ASSERT_EQ(plan.rlimits.count, 3);
  EXPECT_EQ(plan.rlimits.items[0].resource, RLIMIT_DATA);
  EXPECT_EQ(plan.rlimits.items[1].resource, RLIMIT_NPROC);
  EXPECT_EQ(plan.rlimits.items[2].resource, RLIMIT_CPU);
  EXPECT_EQ(plan.rlimits.items[2].soft, 2u);  // whole seconds, rounded up
  EXPECT_EQ(plan.rlimits.items[2].hard, 3u);
  LinuxHostCaps root;
  root.uid = 0;
  auto as_root = plan_limits(l, root, true);
  EXPECT_EQ(as_root.losses.size(), 1u);  // no pids cgroup on this fake host
  EXPECT_EQ(as_root.rlimits.count, 2);
  EXPECT_EQ(as_root.report["pids"]["mechanism"], "none");
}

TEST(LimitsPlan, HitOnlyFromKernelEvidence) {
  LimitsPolicy l;
  l.cpu_seconds = 1;
  l.memory_bytes = 100ull << 20;
  EXPECT_EQ(limits_hit(l, {0, SIGXCPU, false, 0}), std::vector<std::string>{"cpu_time"});
  EXPECT_TRUE(limits_hit(l, {0, SIGKILL, true, 0}).empty());  // the timeout, not the CPU limit
  EXPECT_EQ(limits_hit(l, {1, 0, false, 95ull << 20}), std::vector<std::string>{"memory"});
  EXPECT_TRUE(limits_hit(l, {0, 0, false, 95ull << 20}).empty());  // succeeded: nothing was refused
  EXPECT_TRUE(limits_hit(l, {1, 0, false, 10ull << 20}).empty());
  EXPECT_TRUE(limits_hit(LimitsPolicy{}, {0, SIGXCPU, false, 0}).empty());
}

TEST(RunResult, ClassificationFromEvidence) {
  auto cls = [](auto&& edit) {
    RunResult r;
    r.exit_code = 0;
    edit(r);
    return std::string(to_string(classify(r)));
  };
  EXPECT_EQ(cls([](RunResult&) {}), "ok");
  EXPECT_EQ(cls([](RunResult& r) { r.exit_code = 2; }), "failed");
  EXPECT_EQ(cls([](RunResult& r) { r.exit_code = 137, r.signal = 9; }), "killed");
  EXPECT_EQ(cls([](RunResult& r) {
              r.exit_code = 1, r.denials.push_back({"write", "/x", "", "outside", "--writable /x"});
            }),
            "denied-by-sandbox");
  EXPECT_EQ(cls([](RunResult& r) { r.denials.push_back({"write", "/x", "", "outside", ""}); }), "ok");
  EXPECT_EQ(cls([](RunResult& r) { r.exit_code = 124, r.timed_out = true; }), "timed-out");
  EXPECT_EQ(cls([](RunResult& r) { r.exit_code = 1, r.limits_hit = {"memory"}; }), "limit-exceeded");
  EXPECT_EQ(cls([](RunResult& r) { r.exit_code = 125, r.sandbox_error = true; }), "sandbox-error");
}

TEST(RunResult, JsonRoundTrip) {
  RunResult r;
  r.exit_code = 1;
  r.denials.push_back({"connect", "", "93.184.216.34:443", "network off", "--net on"});
  r.denials.push_back({"write", "/home/a/.npm/x", "", "outside the writable roots", "--writable ~/.npm"});
  r.stdout_truncated = true;
  r.limits_hit = {"memory"};
  auto j = to_json(r);
  EXPECT_EQ(j["classification"], "limit-exceeded");
  EXPECT_EQ(j["denials"][0]["address"], "93.184.216.34:443");
  EXPECT_FALSE(j["denials"][0].contains("path"));
  EXPECT_EQ(j["denials"][1]["path"], "/home/a/.npm/x");
  EXPECT_EQ(j["truncated"]["stdout"], true);
  auto back = from_json(j);
  EXPECT_EQ(to_json(back), j);
  EXPECT_EQ(
      to_json(from_json(nlohmann::json::parse("{\"exit_code\":\"x\",\"denials\":[1,{}]}")))["exit_code"],
      nullptr);
}

TEST(JsonRpc, ParserTable) {
  using server::MessageKind;
  struct Case {
    std::string text;
    MessageKind kind;
    int code;
  } cases[] = {
      {R"({"jsonrpc":"2.0","id":1,"method":"ping"})", MessageKind::Request, 0},
      {R"({"jsonrpc":"2.0","id":"a","method":"tools/call","params":{}})", MessageKind::Request, 0},
      {R"({"jsonrpc":"2.0","method":"notifications/initialized"})", MessageKind::Notification, 0},
      {R"({"jsonrpc":"2.0","id":1,"result":{}})", MessageKind::Response, 0},
      {"{not json", MessageKind::Invalid, server::kParseError},
      {"", MessageKind::Invalid, server::kParseError},
      {"[]", MessageKind::Invalid, server::kInvalidRequest},
      {"42", MessageKind::Invalid, server::kInvalidRequest},
      {R"({"id":1,"method":"ping"})", MessageKind::Invalid, server::kInvalidRequest},
      {R"({"jsonrpc":"1.0","id":1,"method":"ping"})", MessageKind::Invalid, server::kInvalidRequest},
      {R"({"jsonrpc":"2.0","id":{},"method":"ping"})", MessageKind::Invalid, server::kInvalidRequest},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", MessageKind::Invalid, server::kInvalidRequest},
      {R"({"jsonrpc":"2.0","id":1,"method":7})", MessageKind::Invalid, server::kInvalidRequest},
      {R"({"jsonrpc":"2.0","id":1,"method":"x","params":"s"})", MessageKind::Invalid,
       server::kInvalidRequest},
      {std::string(100, '[') + std::string(100, ']'), MessageKind::Invalid, server::kInvalidRequest},
  };
  for (const auto& c : cases) {
    auto m = server::parse_message(c.text);
    EXPECT_EQ(m.kind, c.kind) << c.text;
    EXPECT_EQ(m.error_code, c.code) << c.text;
  }
  EXPECT_EQ(server::parse_message(R"({"jsonrpc":"1.0","id":7,"method":"ping"})").id, 7);
  auto reply = nlohmann::json::parse(server::error_response(3, server::kMethodNotFound, "nope"));
  EXPECT_EQ(reply["error"]["code"], -32601);
  EXPECT_EQ(reply["id"], 3);
  // Invalid UTF-8 in output never throws.
  EXPECT_NO_THROW((void)server::result_response(1, {{"stdout", std::string("\xff\xfe")}}));
}

TEST(RunCommandTool, ArgumentsNarrowNeverWiden) {
  Policy p;
  p.workspace = "/w";
  p.limits.timeout_seconds = 30;
  auto ok = [&](const char* json) { return server::parse_run_command(nlohmann::json::parse(json), p); };
  auto r = ok(R"({"command":"make test","cwd":"sub","timeout":5,"stdin":"x","env":{"CI":"1"}})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->argv, (std::vector<std::string>{"/bin/sh", "-c", "make test"}));
  EXPECT_EQ(r->cwd, "/w/sub");
  EXPECT_EQ(r->timeout_seconds, 5.0);
  auto clamped = ok(R"({"argv":["sleep","1"],"timeout":3600})");
  ASSERT_TRUE(clamped);
  EXPECT_EQ(clamped->timeout_seconds, 30.0);
  EXPECT_EQ(clamped->notes.size(), 1u);
  EXPECT_EQ(ok(R"({"argv":["true"]})")->cwd, "/w");
  for (const char* bad :
       {R"({})", R"({"argv":["a"],"command":"b"})", R"({"argv":[]})", R"({"argv":[1]})",
        R"({"command":"x","cwd":"/etc"})", R"({"command":"x","cwd":"../.."})",
        R"({"command":"x","cwd":"/w2"})", R"({"command":"x","timeout":-1})",
        R"({"command":"x","env":{"GITHUB_TOKEN":"t"}})", R"({"command":"x","env":{"A B":"t"}})",
        R"({"command":"x","env":{"CORDON_SANDBOX":"0"}})", R"({"command":"x","unknown":1})", R"([1])"})
    EXPECT_FALSE(ok(bad)) << bad;
  p.env.keep = {"GITHUB_TOKEN"};
  EXPECT_TRUE(ok(R"({"command":"x","env":{"GITHUB_TOKEN":"t"}})"));
  EXPECT_EQ(server::run_command_tool(p)["name"], "run_command");
}

// 1e10 s overflowed the deadline's nanoseconds and killed the command at once: a timeout
// beyond a year is refused, whether or not the server has one of its own.
TEST(RunCommandTool, HugeTimeoutIsRefusedNotWrapped) {
  Policy p;
  p.workspace = "/w";
  auto parse = [&](const char* json) { return server::parse_run_command(nlohmann::json::parse(json), p); };
  EXPECT_FALSE(parse(R"({"command":"x","timeout":1e10})"));
  EXPECT_FALSE(parse(R"({"command":"x","timeout":1e300})"));
  auto year = parse(R"({"command":"x","timeout":31536000})");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->timeout_seconds, 31536000.0);
  p.limits.timeout_seconds = 30;
  EXPECT_FALSE(parse(R"({"command":"x","timeout":1e10})"));
}

// tty: a pty for the call, of the asked size; pipes unless asked.
TEST(RunCommandTool, TtyIsOptInWithASize) {
  Policy p;
  p.workspace = "/w";
  auto parse = [&](const char* json) { return server::parse_run_command(nlohmann::json::parse(json), p); };
  auto plain = parse(R"({"command":"x"})");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tty);
  auto tty = parse(R"({"command":"x","tty":true})");
  ASSERT_TRUE(tty);
  EXPECT_TRUE(tty->tty);
  EXPECT_EQ(tty->rows, 24u);
  EXPECT_EQ(tty->columns, 80u);
  auto sized = parse(R"({"command":"x","tty":true,"rows":50,"columns":132})");
  ASSERT_TRUE(sized);
  EXPECT_EQ(sized->rows, 50u);
  EXPECT_EQ(sized->columns, 132u);
  for (const char* bad :
       {R"({"command":"x","tty":1})", R"({"command":"x","rows":50})",
        R"({"command":"x","tty":true,"rows":0})", R"({"command":"x","tty":true,"columns":1001})",
        R"({"command":"x","tty":true,"rows":2.5})", R"({"command":"x","tty":true,"rows":"9"})"})
    EXPECT_FALSE(parse(bad)) << bad;
  EXPECT_TRUE(server::run_command_tool(p)["inputSchema"]["properties"].contains("tty"));
}

// review: only on a --review server, only a change set id (never a path).
TEST(RunCommandTool, ReviewIsAnIdOnAReviewServerOnly) {
  Policy p;
  p.workspace = "/w";
  auto parse = [&](const char* json, bool review) {
    return server::parse_run_command(nlohmann::json::parse(json), p, review);
  };
  EXPECT_FALSE(parse(R"({"command":"x","review":"abc"})", false));
  auto r = parse(R"({"command":"x","review":"abc-1.2_3"})", true);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->review, "abc-1.2_3");
  EXPECT_FALSE(parse(R"({"command":"x"})", true)->review);
  for (const char* bad : {R"({"command":"x","review":"../x"})", R"({"command":"x","review":".."})",
                          R"({"command":"x","review":".a"})", R"({"command":"x","review":"a/b"})",
                          R"({"command":"x","review":""})", R"({"command":"x","review":1})"})
    EXPECT_FALSE(parse(bad, true)) << bad;
  EXPECT_FALSE(
      parse(std::string(R"({"command":"x","review":")" + std::string(65, 'a') + "\"}").c_str(), true));
  EXPECT_TRUE(server::run_command_tool(p, true)["inputSchema"]["properties"].contains("review"));
  EXPECT_FALSE(server::run_command_tool(p)["inputSchema"]["properties"].contains("review"));
}

TEST(ReviewChangesTool, ArgumentsAreChecked) {
  auto parse = [](const char* json) { return server::parse_review_changes(nlohmann::json::parse(json)); };
  auto all = parse(R"({})");
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->id);
  EXPECT_FALSE(all->diff);
  auto some = parse(R"({"id":"x1","diff":true,"paths":["a","b/c"]})");
  ASSERT_TRUE(some);
  EXPECT_EQ(some->id, "x1");
  EXPECT_TRUE(some->diff);
  EXPECT_EQ(some->paths, (std::vector<std::string>{"a", "b/c"}));
  for (const char* bad :
       {R"({"id":"../x"})", R"({"id":""})", R"({"id":7})", R"({"paths":"a"})", R"({"paths":[""]})",
        R"({"paths":[1]})", R"({"diff":"yes"})", R"({"apply":true})", R"({"discard":true})", R"([])"})
    EXPECT_FALSE(parse(bad)) << bad;
  EXPECT_EQ(server::review_changes_tool()["annotations"]["readOnlyHint"], true);
}

}  // namespace
}  // namespace cordon
