// The run result object (--report, --json) and resource limits, driven through the real
// binary. The fork bomb and the memory hog run with small limits and a --timeout as a
// safety net; afterwards the host must still start processes promptly.
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

nlohmann::json report_of(const TempDir& dir) {
  return nlohmann::json::parse(read_file(dir / "report.json"), nullptr, false);
}

// The host still forks and execs quickly.
void expect_host_responsive() {
  auto start = std::chrono::steady_clock::now();
  auto o = run_process({"sh", "-c", "echo alive"}, "", "", {}, 10);
  EXPECT_EQ(o.out, "alive\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace

TEST(RunReport, FailedCommandWritesTheWholeObject) {
  TempDir ws, out;
  auto o = cordon_sh(ws.path(), "exit 3", {"--report", out / "report.json"});
  EXPECT_EQ(o.code, 3) << o.err;
  auto j = report_of(out);
  ASSERT_TRUE(j.is_object()) << read_file(out / "report.json");
  EXPECT_EQ(j["classification"], "failed");
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["signal"], 0);
  EXPECT_TRUE(j["denials"].is_array());
  EXPECT_EQ(j["truncated"]["stdout"], false);
  EXPECT_FALSE(j["guarantees"].empty());
  EXPECT_TRUE(j["degradations"].is_array());
  EXPECT_GT(j["duration_ms"].get<double>(), 0.0);
}

TEST(RunReport, JsonLineOnStderrMatches) {
  TempDir ws;
  auto o = cordon_sh(ws.path(), "true", {"--json"});
  EXPECT_EQ(o.code, 0);
  std::string err = o.err.substr(0, o.err.find_last_not_of('\n') + 1);
  auto last = err.substr(err.rfind('\n') == std::string::npos ? 0 : err.rfind('\n') + 1);
  auto j = nlohmann::json::parse(last, nullptr, false);
  ASSERT_TRUE(j.is_object()) << o.err;
  EXPECT_EQ(j["classification"], "ok");
}

TEST(RunReport, TimeoutIsClassified) {
  TempDir ws, out;
  auto o = cordon_sh(ws.path(), "sleep 30", {"--timeout", "0.5", "--report", out / "report.json"});
  EXPECT_EQ(o.code, 124);
  EXPECT_EQ(report_of(out)["classification"], "timed-out");
}

TEST(RunReport, SetupFailureIsASandboxError) {
  TempDir ws, out;
  // A protected path that is a symbolic link cannot be enforced: refused before running.
  ASSERT_EQ(::symlink("/nonexistent", (ws / ".cordon").c_str()), 0);
  auto o = cordon_sh(ws.path(), "true", {"--report", out / "report.json"});
  EXPECT_EQ(o.code, 125) << o.err;
  auto j = report_of(out);
  EXPECT_EQ(j["classification"], "sandbox-error") << read_file(out / "report.json");
  EXPECT_FALSE(j["error"].get<std::string>().empty());
}

TEST(Limits, InvalidValuesAreUsageErrors) {
  TempDir ws;
  for (auto opts : std::vector<std::vector<std::string>>{{"--memory", "12"},
                                                         {"--memory", "lots"},
                                                         {"--pids", "0"},
                                                         {"--cpu-time", "0"},
                                                         {"--max-output", "0"}}) {
    auto o = cordon_sh(ws.path(), "true", opts);
    EXPECT_EQ(o.code, 2) << opts[0] << " " << opts[1] << ": " << o.err;
  }
}

TEST(Limits, CpuTimeEndsABusyLoop) {
  TempDir ws, out;
  auto o = cordon_sh(ws.path(), "while :; do :; done",
                     {"--cpu-time", "1", "--timeout", "20", "--report", out / "report.json"});
  auto j = report_of(out);
  EXPECT_EQ(j["classification"], "limit-exceeded") << o.err;
  EXPECT_EQ(j["limits_hit"], nlohmann::json::array({"cpu_time"}));
  EXPECT_EQ(j["signal"], SIGXCPU);
}

TEST(Limits, MemoryHogIsRefusedAndReported) {
  if (!have_tool("python3")) GTEST_SKIP() << "python3 is not installed";
  TempDir ws, out;
  auto o = run_process(
      {cordon_binary(), "run", "--no-config", "--memory", "64M", "--timeout", "30", "--report",
       out / "report.json", "--", "python3", "-c", "x = []\nwhile True: x.append(bytearray(1 << 20))"},
      ws.path());
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(contains(o.err, "MemoryError")) << o.err;
  auto j = report_of(out);
  EXPECT_EQ(j["classification"], "limit-exceeded") << read_file(out / "report.json");
  EXPECT_EQ(j["limits"]["memory"]["value"], "64M");
  expect_host_responsive();
}

TEST(Limits, ForkBombIsBoundedByPids) {
  TempDir ws, out;
  const std::string bomb = "bomb() { bomb | bomb & }; bomb; sleep 3; echo survived";
  if (is_root()) {
    // uid 0 is exempt from RLIMIT_NPROC: cordon refuses rather than pretend.
    auto o = cordon_sh(ws.path(), "true", {"--pids", "32", "--report", out / "report.json"});
    EXPECT_EQ(o.code, 125);
    EXPECT_TRUE(contains(o.err, "not enforced for uid 0")) << o.err;
    EXPECT_EQ(report_of(out)["classification"], "sandbox-error");
    GTEST_SKIP() << "the fork bomb itself runs only unprivileged (RLIMIT_NPROC does not bind root)";
  }
  auto start = std::chrono::steady_clock::now();
  auto o = cordon_sh(ws.path(), bomb, {"--pids", "32", "--timeout", "15", "--report", out / "report.json"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  auto j = report_of(out);
  ASSERT_TRUE(j.is_object()) << o.err;
  EXPECT_EQ(j["limits"]["pids"]["value"], 32);
  // The bomb is bounded: the shell survives to print, or the timeout ends it.
  EXPECT_TRUE(contains(o.out, "survived") || j["classification"] == "timed-out") << o.out << o.err;
  expect_host_responsive();
}
