// The command runner's pure parts: the frame codec, git safe.directory injection, the
// pipe SDDL, the runner's arguments and the stale-logon retry rule.
#include <gtest/gtest.h>

#include <algorithm>

#include "plan/windows/runner_env.hpp"
#include "plan/windows/runner_protocol.hpp"
#include "plan/windows/sid.hpp"
#include "plan/windows/win_path.hpp"

namespace cordon::win::runner {
namespace {

std::string frame(std::string_view body) {
  std::string out(4, '\0');
  const auto n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + std::string(body);
}

Start sample_start() {
  Start s;
  s.argv = {"git", "status", "--short"};
  s.cwd = "C:\\work\\repo";
  s.env = {"PATH=C:\\Windows", "TEMP=C:\\t\\cordon-1"};
  s.capability_sids = {"S-1-5-21-1-2-3-4"};
  s.timeout_ms = 5000;
  s.tty = true;
  s.rows = 50;
  s.columns = 132;
  s.private_desktop = false;
  s.safe_directories = {"C:\\work\\repo"};
  s.memory_bytes = 64u << 20;
  s.processes = 4;
  s.process_user_time = 30'000'000;
  return s;
}

std::vector<Message> all_messages() {
  Exit failed;
  failed.exit_code = 0;
  failed.error =
      Failure{"CreateRestrictedToken", "WRITE_RESTRICTED", 5, "Win32 error 5 (Access is denied.)", "a hint"};
  return {sample_start(),
          Start{},
          Stdin{std::string("\0\xff\x01 binary", 10), false},
          Stdin{"", true},
          Terminate{},
          Started{4242},
          Output{Stream::Stdout, "hello\r\n"},
          Output{Stream::Stderr, std::string("\x80\x81", 2)},
          Exit{124, true, false, std::nullopt},
          Exit{0xC0000005u, false, true, std::nullopt},
          failed,
          ErrorFrame{Failure{"frame", "", 0, "body is not JSON", ""}},
          Resize{1, 1000},
          Resize{kMaxTtySide, 1}};
}

// Decodes `wire` fed in pieces of `chunk` bytes.
std::vector<Result<Message>> decode_all(const std::string& wire, size_t chunk, Direction d,
                                        size_t cap = kMaxFrameBody) {
  FrameDecoder decoder(d, cap);
  std::vector<Result<Message>> out;
  for (size_t i = 0; i < wire.size(); i += chunk) {
    decoder.feed(std::string_view(wire).substr(i, chunk));
    while (auto m = decoder.next()) {
      out.push_back(*m);
      if (!*m) return out;
    }
  }
  return out;
}

TEST(WinRunnerProtocol, EveryMessageRoundTrips) {
  for (const auto& m : all_messages()) {
    auto wire = encode(m);
    ASSERT_TRUE(wire) << wire.error().message();
    auto back = decode_all(*wire, wire->size(), direction_of(m));
    ASSERT_EQ(back.size(), 1u) << type_name(m);
    ASSERT_TRUE(back[0]) << back[0].error().message();
    EXPECT_EQ(*back[0], m) << type_name(m);
  }
}

TEST(WinRunnerProtocol, HeaderIsLittleEndianLengthOfTheJsonBody) {
  auto wire = encode(Terminate{});
  ASSERT_TRUE(wire);
  const std::string body = R"({"type":"terminate","version":1})";
  EXPECT_EQ(*wire, frame(body));
  EXPECT_EQ(type_name(Output{Stream::Stderr, ""}), "stderr");
  EXPECT_EQ(direction_of(Started{1}), Direction::ToCaller);
  EXPECT_EQ(direction_of(Stdin{}), Direction::ToRunner);
}

TEST(WinRunnerProtocol, AnyChunkingGivesTheSameMessages) {
  std::string wire;
  std::vector<Message> runner_bound;
  for (const auto& m : all_messages())
    if (direction_of(m) == Direction::ToRunner) {
      runner_bound.push_back(m);
      wire += encode(m).value();
    }
  for (size_t chunk :
       {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, size_t{64}, wire.size()}) {
    auto got = decode_all(wire, chunk, Direction::ToRunner);
    ASSERT_EQ(got.size(), runner_bound.size()) << "chunk " << chunk;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(got[i]) << got[i].error().message();
      EXPECT_EQ(*got[i], runner_bound[i]);
    }
  }
}

TEST(WinRunnerProtocol, PartialFrameWaitsAndReportsMidFrame) {
  FrameDecoder d(Direction::ToRunner);
  auto wire = encode(Terminate{}).value();
  d.feed(wire.substr(0, 2));
  EXPECT_FALSE(d.next());
  EXPECT_TRUE(d.mid_frame());
  d.feed(wire.substr(2, 5));
  EXPECT_FALSE(d.next());
  EXPECT_TRUE(d.mid_frame());
  d.feed(wire.substr(7));
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_FALSE(d.mid_frame());
  EXPECT_FALSE(d.next());
}

TEST(WinRunnerProtocol, OversizeLengthIsRejectedBeforeTheBodyArrives) {
  FrameDecoder d(Direction::ToRunner, 1024);
  d.feed(std::string("\xff\xff\xff\xff", 4));  // 4 GiB announced, nothing allocated
  auto m = d.next();
  ASSERT_TRUE(m);
  ASSERT_FALSE(*m);
  EXPECT_NE(m->error().detail.find("exceeds the cap"), std::string::npos);
  EXPECT_TRUE(d.failed());
  // Poisoned: later bytes (even a valid frame) are ignored and the error repeats.
  d.feed(encode(Terminate{}).value());
  auto again = d.next();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  FrameDecoder exact(Direction::ToRunner, 2);
  exact.feed(frame("{}"));  // exactly at the cap: framed fine, then rejected as a message
  auto at_cap = exact.next();
  ASSERT_TRUE(at_cap);
  EXPECT_FALSE(*at_cap);
  EXPECT_FALSE(exact.failed());
}

TEST(WinRunnerProtocol, EncoderRefusesOversizeAndNonUtf8) {
  Output big{Stream::Stdout, std::string(3000, 'x')};
  EXPECT_FALSE(encode(big, 1000));
  EXPECT_TRUE(encode(big, 10000));
  Start bad = sample_start();
  bad.argv.push_back(std::string("\xc3\x28", 2));  // invalid UTF-8
  auto r = encode(bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("UTF-8"), std::string::npos);
}

struct BadBody {
  const char* name;
  std::string body;
  const char* expect;  // part of the error
};

TEST(WinRunnerProtocol, MalformedBodiesAreErrorsNotGuesses) {
  const std::vector<BadBody> cases = {
      {"not json", "{\"version\":1,", "not JSON"},
      {"not an object", "[1,2]", "not a JSON object"},
      {"no version", R"({"type":"terminate"})", "version"},
      {"future version", R"({"version":2,"type":"terminate"})", "protocol version 2"},
      {"float version", R"({"version":1.0,"type":"terminate"})", "version"},
      {"no type", R"({"version":1})", "type"},
      {"unknown type", R"({"version":1,"type":"exec"})", "unknown frame type"},
      {"unknown field", R"({"version":1,"type":"terminate","force":true})", "unknown field \"force\""},
      {"wrong direction", R"({"version":1,"type":"started","pid":3})", "other way"},
      {"stdin without data", R"({"version":1,"type":"stdin","eof":true})", "missing field \"data\""},
      {"stdin bad base64", R"({"version":1,"type":"stdin","data":"a=b=","eof":false})", "base64"},
      {"stdin eof as string", R"({"version":1,"type":"stdin","data":"","eof":"yes"})", "boolean"},
      {"start argv not strings",
       R"({"version":1,"type":"start","argv":[1],"cwd":"","env":[],"capability_sids":[],"tty":false,"private_desktop":true,"safe_directories":[]})",
       "array of strings"},
      {"start negative timeout",
       R"({"version":1,"type":"start","argv":["a"],"cwd":"","env":[],"capability_sids":[],"timeout_ms":-1,"tty":false,"private_desktop":true,"safe_directories":[]})",
       "timeout_ms"},
      {"start missing env",
       R"({"version":1,"type":"start","argv":["a"],"cwd":"","capability_sids":[],"tty":false,"private_desktop":true,"safe_directories":[]})",
       "missing field \"env\""},
  };
  for (const auto& c : cases) {
    auto r = decode_body(c.body, Direction::ToRunner);
    ASSERT_FALSE(r) << c.name;
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos) << c.name << ": " << r.error().message();
  }
  const std::vector<BadBody> to_caller = {
      {"pid too large", R"({"version":1,"type":"started","pid":4294967296})", "range"},
      {"exit error with extra field",
       R"({"version":1,"type":"exit","exit_code":1,"timed_out":false,"terminated":false,"error":{"call":"c","argument":"","win32":5,"message":"m","hint":"","x":1}})",
       "unknown field \"x\""},
      {"error frame without error", R"({"version":1,"type":"error"})", "missing field \"error\""},
  };
  for (const auto& c : to_caller) {
    auto r = decode_body(c.body, Direction::ToCaller);
    ASSERT_FALSE(r) << c.name;
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos) << c.name << ": " << r.error().message();
  }
}

TEST(WinRunnerProtocol, AMalformedFrameDoesNotDesynchroniseTheStream) {
  std::string wire = frame("garbage") + encode(Terminate{}).value();
  auto got = decode_all(wire, 3, Direction::ToRunner);
  ASSERT_EQ(got.size(), 1u);  // decode_all stops at the first error, like the runner
  EXPECT_FALSE(got[0]);
  FrameDecoder d(Direction::ToRunner);
  d.feed(wire);
  auto first = d.next();
  auto second = d.next();
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(*first);
  EXPECT_TRUE(*second);  // framing intact: the next frame still decodes
}

// The terminal's size travels from the caller's window to ResizePseudoConsole, whose
// COORD holds a SHORT: only 1..kMaxTtySide passes, in start (with tty only) and resize.
TEST(WinRunnerProtocol, TtySizesOutsideOneToAThousandAreRefused) {
  const std::string start_head =
      R"({"version":1,"type":"start","argv":["cmd"],"cwd":"","env":[],"capability_sids":[],)"
      R"("private_desktop":true,"safe_directories":[],)";
  auto start = [&](const std::string& tty) {
    return decode_body(start_head + tty + "}", Direction::ToRunner);
  };
  auto resize = [](const std::string& size) {
    return decode_body(R"({"version":1,"type":"resize",)" + size + "}", Direction::ToRunner);
  };
  auto ok = start(R"("tty":true,"rows":24,"columns":80)");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(std::get<Start>(*ok).rows, 24);
  EXPECT_TRUE(start(R"("tty":false)"));
  const std::vector<std::pair<std::string, const char*>> bad_sizes = {
      {R"("rows":0,"columns":80)", "rows"},          {R"("rows":24,"columns":0)", "columns"},
      {R"("rows":1001,"columns":80)", "rows"},       {R"("rows":24,"columns":65535)", "columns"},
      {R"("rows":65536,"columns":80)", "rows"},      {R"("rows":-1,"columns":80)", "rows"},
      {R"("rows":24.5,"columns":80)", "rows"},       {R"("rows":"24","columns":80)", "rows"},
      {R"("rows":4294967297,"columns":80)", "rows"}, {R"("columns":80)", "missing field \"rows\""},
      {R"("rows":24)", "missing field \"columns\""}};
  for (const auto& [size, named] : bad_sizes) {
    auto s = start(R"("tty":true,)" + size);
    ASSERT_FALSE(s) << size;
    EXPECT_NE(s.error().message().find(named), std::string::npos) << size << ": " << s.error().message();
    auto r = resize(size);
    ASSERT_FALSE(r) << size;
    EXPECT_NE(r.error().message().find(named), std::string::npos) << size << ": " << r.error().message();
  }
  // A size without tty is a field nobody reads: refused, not ignored.
  auto stray = start(R"("tty":false,"rows":24,"columns":80)");
  ASSERT_FALSE(stray);
  EXPECT_NE(stray.error().message().find("unknown field"), std::string::npos);
  // Resize travels to the runner only.
  EXPECT_EQ(direction_of(Resize{}), Direction::ToRunner);
  EXPECT_FALSE(decode_body(R"({"version":1,"type":"resize","rows":24,"columns":80})", Direction::ToCaller));
  EXPECT_FALSE(resize(R"("rows":24,"columns":80,"x":0)"));
  // Without tty the encoder leaves the size out, so a default start stays as it was.
  EXPECT_EQ(encode(Start{}).value().find("rows"), std::string::npos);
}

TEST(WinRunnerProtocol, Base64IsStrict) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                       std::string("\0\xff\xfe", 3)}) {
    auto round = base64_decode(base64_encode(s));
    ASSERT_TRUE(round) << s;
    EXPECT_EQ(*round, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  for (const char* bad : {"Zm8", "Zm8==", "Z===", "Zm=8", "Zm9v\n", "Zm9=Zm9v", "Zm9!", "Zm9="})
    EXPECT_FALSE(base64_decode(bad)) << bad;  // "Zm9=" has non-zero padding bits
}

TEST(WinRunnerEnv, SandboxProfileReplacesTheRealUsersIdentityButNotTemp) {
  auto env = with_sandbox_profile(
      {"UserProfile=C:\\Users\\alice", "APPDATA=C:\\Users\\alice\\AppData\\Roaming", "USERNAME=alice",
       "TEMP=C:\\Users\\alice\\AppData\\Local\\Temp\\cordon-1", "PATH=C:\\Windows"},
      {"CordonSandboxOffline", "C:\\Users\\CordonSandboxOffline"});
  auto value = [&](const std::string& name) {
    std::string found = "<unset>";
    for (const auto& e : env)
      if (win::fold_case(e.substr(0, e.find('='))) == win::fold_case(name)) found = e.substr(e.find('=') + 1);
    return found;
  };
  EXPECT_EQ(value("USERPROFILE"), "C:\\Users\\CordonSandboxOffline");
  EXPECT_EQ(value("USERNAME"), "CordonSandboxOffline");
  EXPECT_EQ(value("APPDATA"), "C:\\Users\\CordonSandboxOffline\\AppData\\Roaming");
  EXPECT_EQ(value("LOCALAPPDATA"), "C:\\Users\\CordonSandboxOffline\\AppData\\Local");
  EXPECT_EQ(value("HOMEDRIVE"), "C:");
  EXPECT_EQ(value("HOMEPATH"), "\\Users\\CordonSandboxOffline");
  EXPECT_EQ(value("HOME"), "C:\\Users\\CordonSandboxOffline");
  EXPECT_EQ(value("TEMP"), "C:\\Users\\alice\\AppData\\Local\\Temp\\cordon-1");  // the granted private temp
  EXPECT_EQ(value("PATH"), "C:\\Windows");
  EXPECT_EQ(env.size(), 9u);  // replaced in place, no duplicate names
}

TEST(WinRunnerEnv, SandboxProfileNeedsADrivePathAndAName) {
  const std::vector<std::string> env = {"USERPROFILE=C:\\Users\\alice"};
  EXPECT_EQ(with_sandbox_profile(env, {"x", "\\\\server\\share\\x"}), env);
  EXPECT_EQ(with_sandbox_profile(env, {"x", "relative"}), env);
  EXPECT_EQ(with_sandbox_profile(env, {"", "C:\\Users\\x"}), env);
}

TEST(WinRunnerEnv, SafeDirectoryEntriesAreAppendedAfterAnExistingCount) {
  auto env = with_git_safe_directories(
      {"PATH=x", "git_config_count=1", "GIT_CONFIG_KEY_0=core.pager", "GIT_CONFIG_VALUE_0=cat"},
      {"C:\\work\\repo", "D:\\extra"});
  auto has = [&](const std::string& e) { return std::find(env.begin(), env.end(), e) != env.end(); };
  EXPECT_TRUE(has("GIT_CONFIG_KEY_0=core.pager"));
  EXPECT_TRUE(has("GIT_CONFIG_KEY_1=safe.directory"));
  EXPECT_TRUE(has("GIT_CONFIG_VALUE_1=C:/work/repo"));
  EXPECT_TRUE(has("GIT_CONFIG_KEY_2=safe.directory"));
  EXPECT_TRUE(has("GIT_CONFIG_VALUE_2=D:/extra"));
  EXPECT_TRUE(has("GIT_CONFIG_COUNT=3"));
  EXPECT_FALSE(has("git_config_count=1"));  // one count, not two spellings
  EXPECT_TRUE(has("PATH=x"));
}

TEST(WinRunnerEnv, SafeDirectoryWithoutCountStartsAtZeroAndSkipsDuplicates) {
  auto env = with_git_safe_directories({"PATH=x"}, {"C:\\ws", "c:/WS", ""});
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=x", "GIT_CONFIG_KEY_0=safe.directory",
                                           "GIT_CONFIG_VALUE_0=C:/ws", "GIT_CONFIG_COUNT=1"}));
  // Already present in the caller's config: nothing added, the count kept.
  auto again = with_git_safe_directories(env, {"C:\\ws"});
  EXPECT_EQ(again, env);
  // A garbage count is replaced (git would refuse it anyway).
  auto fixed = with_git_safe_directories({"GIT_CONFIG_COUNT=lots"}, {"C:\\ws"});
  EXPECT_EQ(fixed, (std::vector<std::string>{"GIT_CONFIG_KEY_0=safe.directory", "GIT_CONFIG_VALUE_0=C:/ws",
                                             "GIT_CONFIG_COUNT=1"}));
  EXPECT_EQ(with_git_safe_directories({"A=b"}, {}), (std::vector<std::string>{"A=b"}));
}

TEST(WinRunnerEnv, StartFrameFromAPlan) {
  WinPlan plan;
  plan.token.capabilities = {sids::capability({1, 2, 3, 4}), sids::capability({5, 6, 7, 8})};
  plan.token.logon = *Sid::parse("S-1-5-5-0-999");
  plan.write_roots = {"C:\\work\\repo", "C:\\Users\\u\\AppData\\Local\\Temp\\cordon-1"};
  Start s = start_from_plan(plan, {"git", "status"}, "C:\\work\\repo", {"PATH=x"}, 2.5, false, true);
  EXPECT_EQ(s.capability_sids, (std::vector<std::string>{"S-1-5-21-1-2-3-4", "S-1-5-21-5-6-7-8"}));
  EXPECT_EQ(s.safe_directories, plan.write_roots);
  EXPECT_EQ(s.timeout_ms, 2500u);
  EXPECT_EQ(s.argv, (std::vector<std::string>{"git", "status"}));
  EXPECT_TRUE(s.private_desktop);
  EXPECT_FALSE(start_from_plan(plan, {"x"}, "", {}, std::nullopt, false, true).timeout_ms);
  // Whatever the plan holds, the frame encodes.
  EXPECT_TRUE(encode(s));
  // No limits asked for: none in the frame, none on the runner's job.
  EXPECT_FALSE(s.memory_bytes || s.processes || s.process_user_time);
  EXPECT_EQ(job_limits_of(s), JobLimits{});
}

// F10: --memory, --pids and --cpu-time reach the stage-2 runner's job. Before, the start
// frame had no field for them and the runner's job got none.
TEST(WinRunnerEnv, StartFrameCarriesTheJobLimits) {
  LimitsPolicy limits;
  limits.memory_bytes = 64u << 20;
  limits.pids = 3;
  limits.cpu_seconds = 1.5;
  WinPlan plan;
  plan.job = job_limits(limits);
  Start s = start_from_plan(plan, {"x"}, "C:\\w", {}, std::nullopt, false, true);
  EXPECT_EQ(s.memory_bytes, 64u << 20);
  EXPECT_EQ(s.processes, 3u);
  EXPECT_EQ(s.process_user_time, 15'000'000u);
  // Through the wire to the runner, which asks its job for exactly the plan's limits.
  auto wire = encode(s);
  ASSERT_TRUE(wire);
  auto decoded = decode_all(*wire, 7, Direction::ToRunner);
  ASSERT_EQ(decoded.size(), 1u);
  ASSERT_TRUE(decoded[0]) << decoded[0].error().message();
  EXPECT_EQ(job_limits_of(std::get<Start>(*decoded[0])), plan.job);
}

TEST(WinRunnerProtocol, LimitsOutOfRangeAreRejected) {
  const std::string base =
      R"({"version":1,"type":"start","argv":["x"],"cwd":"C:\\w","env":[],"capability_sids":[],)"
      R"("tty":false,"private_desktop":true,"safe_directories":[])";
  for (const char* bad : {R"(,"memory_bytes":0})", R"(,"processes":0})", R"(,"processes":4294967296})",
                          R"(,"process_user_time":9223372036854775808})", R"(,"memory_bytes":-1})",
                          R"(,"memory_bytes":"1"})", R"(,"processes":1.5})"})
    EXPECT_FALSE(decode_body(base + bad, Direction::ToRunner)) << bad;
  auto ok =
      decode_body(base + R"(,"processes":1,"process_user_time":9223372036854775807})", Direction::ToRunner);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(std::get<Start>(*ok).processes, 1u);
  EXPECT_TRUE(decode_body(base + "}", Direction::ToRunner));
}

TEST(WinRunnerEnv, PipeSddlAdmitsOneSidOnly) {
  EXPECT_EQ(pipe_sddl("S-1-5-21-10-20-30-1001").value(), "D:P(A;;GA;;;S-1-5-21-10-20-30-1001)");
  EXPECT_FALSE(pipe_sddl("WD"));
  EXPECT_FALSE(pipe_sddl("S-1-5-21-1-2-3-4)(A;;GA;;;WD"));
  EXPECT_FALSE(pipe_sddl("S-1-1-0"));       // Everyone
  EXPECT_FALSE(pipe_sddl("S-1-5-11"));      // Authenticated Users
  EXPECT_FALSE(pipe_sddl("S-1-5-32-545"));  // Users
  EXPECT_FALSE(pipe_sddl(""));
}

TEST(WinRunnerEnv, RunnerArgumentsRoundTripAndRejectTheRest) {
  RunnerArgs a{"\\\\.\\pipe\\cordon-runner-00ff", 4242};
  EXPECT_EQ(parse_runner_args(format_runner_args(a)).value(), a);
  EXPECT_FALSE(parse_runner_args({}));
  EXPECT_FALSE(parse_runner_args({"--pipe=\\\\.\\pipe\\x"}));
  EXPECT_FALSE(parse_runner_args({"--pipe=C:\\x", "--server-pid=3"}));
  EXPECT_FALSE(parse_runner_args({"--pipe=\\\\.\\pipe\\x", "--server-pid=0"}));
  EXPECT_FALSE(parse_runner_args({"--pipe=\\\\.\\pipe\\x", "--server-pid=12ab"}));
  EXPECT_FALSE(parse_runner_args({"--pipe=\\\\.\\pipe\\x", "--server-pid=3", "--extra"}));
  EXPECT_FALSE(parse_runner_args({"--pipe=\\\\.\\pipe\\x", "--pipe=\\\\.\\pipe\\y", "--server-pid=3"}));
  const uint32_t words[4] = {1, 2, 0xabcdef, 0xffffffff};
  EXPECT_EQ(pipe_base_name(words), "\\\\.\\pipe\\cordon-runner-000000010000000200abcdefffffffff");
}

TEST(WinRunnerEnv, StaleLogonIsRetriedExactlyOnce) {
  EXPECT_TRUE(should_retry_runner_launch(1, kErrorNoSuchLogonSession));
  EXPECT_FALSE(should_retry_runner_launch(2, kErrorNoSuchLogonSession));
  EXPECT_FALSE(should_retry_runner_launch(1, 5));     // access denied: not stale
  EXPECT_FALSE(should_retry_runner_launch(1, 1326));  // bad password: retrying will not help
  Error e;
  e.detail = "Win32 error 1312 (A specified logon session does not exist.)";
  EXPECT_EQ(win32_code_of(e), 1312u);
  e.detail = "Win32 error x";
  EXPECT_EQ(win32_code_of(e), 0u);
  e.detail = "something else";
  EXPECT_EQ(win32_code_of(e), 0u);
}

}  // namespace
}  // namespace cordon::win::runner

namespace cordon::win::runner {
namespace {

// F22: the sandbox profile grants no restricting SID, so a write-restricted command could
// not write the caches and settings the environment pointed it at. With a per-run profile
// in the private temp (named by the caller), HOME, APPDATA and LOCALAPPDATA go there; the
// identity (USERNAME, USERPROFILE) stays the sandbox user's.
TEST(WinRunnerEnv, HomeAndAppDataGoToThePerRunProfileWhenTheCallerMadeOne) {
  const std::string run_profile = "C:\\Users\\alice\\AppData\\Local\\Temp\\cordon-1\\profile";
  auto env = with_sandbox_profile(
      {"APPDATA=C:\\Users\\alice\\AppData\\Roaming", std::string(kRunProfileVariable) + "=" + run_profile},
      {"CordonSandboxOffline", "C:\\Users\\CordonSandboxOffline"});
  auto value = [&](const std::string& name) {
    for (const auto& e : env)
      if (win::fold_case(e.substr(0, e.find('='))) == win::fold_case(name)) return e.substr(e.find('=') + 1);
    return std::string("<unset>");
  };
  EXPECT_EQ(value("HOME"), run_profile);
  EXPECT_EQ(value("APPDATA"), run_profile + "\\AppData\\Roaming");
  EXPECT_EQ(value("LOCALAPPDATA"), run_profile + "\\AppData\\Local");
  EXPECT_EQ(value("USERPROFILE"), "C:\\Users\\CordonSandboxOffline");
  EXPECT_EQ(value("USERNAME"), "CordonSandboxOffline");
  // A value that is not a drive path is ignored (the profile as before).
  auto plain = with_sandbox_profile({std::string(kRunProfileVariable) + "=relative\\x"},
                                    {"CordonSandboxOffline", "C:\\Users\\CordonSandboxOffline"});
  EXPECT_NE(std::find(plain.begin(), plain.end(), "HOME=C:\\Users\\CordonSandboxOffline"), plain.end());
}

}  // namespace
}  // namespace cordon::win::runner
