// The run result object (--report, --json) and resource limits, driven through the real
// binary. The fork bomb and the memory hog run with small limits and a --timeout as a
// safety net; afterwards the host must still start processes promptly.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

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

// A plain `exit 137` is the command's own failure, not a kill, and not a CPU-time limit
// (the result used to guess the signal from the exit code); a real SIGKILL still is a signal.
TEST(Limits, ExitCode137IsNotACpuLimitOrASignal) {
  TempDir ws, out;
  auto o = cordon_sh(ws.path(), "exit 137", {"--cpu-time", "30", "--report", out / "report.json"});
  EXPECT_EQ(o.code, 137) << o.err;
  auto j = report_of(out);
  ASSERT_TRUE(j.is_object()) << o.err;
  EXPECT_EQ(j["classification"], "failed") << j.dump();
  EXPECT_EQ(j["signal"], 0) << j.dump();
  EXPECT_TRUE(j["limits_hit"].empty()) << j.dump();
  auto k = cordon_sh(ws.path(), "kill -KILL $$", {"--report", out / "report.json"});
  EXPECT_EQ(k.code, 128 + SIGKILL) << k.err;
  EXPECT_EQ(report_of(out)["signal"], SIGKILL) << report_of(out).dump();
}

namespace {

// The mechanism cordon reports for a limit ("cgroup v1 ...", "RLIMIT_NPROC ...", "none").
std::string mechanism_of(const nlohmann::json& report, const std::string& limit) {
  return report["limits"][limit].value("mechanism", "");
}

// A per-run cgroup named in the result must be gone once cordon has exited.
void expect_cgroup_removed(const nlohmann::json& report, const std::string& limit) {
  if (!report["limits"][limit].contains("cgroup")) return;
  const std::string dir = report["limits"][limit]["cgroup"];
  EXPECT_EQ(dir.find("/cordon-run-"), dir.rfind('/')) << dir;
  EXPECT_FALSE(exists(dir)) << dir << " was left behind";
}

// Is a process with exactly this command line (arguments joined by spaces) running?
bool process_running(const std::string& cmdline) {
  return any_process([&](const std::string& cmd) { return cmd == cmdline + " "; });
}

}  // namespace

TEST(Limits, MemoryHogIsStoppedAndReported) {
  if (!have_tool("python3")) GTEST_SKIP() << "python3 is not installed";
  TempDir ws, out;
  auto o = run_process(
      {cordon_binary(), "run", "--no-config", "--memory", "64M", "--timeout", "30", "--report",
       out / "report.json", "--", "python3", "-c", "x = []\nwhile True: x.append(bytearray(1 << 20))"},
      ws.path());
  EXPECT_NE(o.code, 0);
  auto j = report_of(out);
  ASSERT_TRUE(j.is_object()) << o.err;
  EXPECT_EQ(j["classification"], "limit-exceeded") << read_file(out / "report.json");
  EXPECT_EQ(j["limits_hit"], nlohmann::json::array({"memory"}));
  EXPECT_EQ(j["limits"]["memory"]["value"], "64M");
  if (mechanism_of(j, "memory").rfind("cgroup", 0) == 0) {
    // The whole tree's memory: the kernel's OOM killer ends the hog, and cordon says so.
    EXPECT_EQ(j["limits"]["memory"]["evidence"], "memory (OOM kill)");
    EXPECT_TRUE(contains(o.err, "cordon: limit exceeded: memory (OOM kill)")) << o.err;
    EXPECT_EQ(j["signal"], SIGKILL);
    expect_cgroup_removed(j, "memory");
  } else {
    // RLIMIT_DATA: the allocation fails inside the process.
    EXPECT_TRUE(contains(o.err, "MemoryError")) << o.err;
  }
  expect_host_responsive();
}

// bash retries a failed fork, so its bomb stays pinned at the limit, as a real one does.
TEST(Limits, ForkBombEndsWithAPidsReport) {
  if (!have_tool("bash")) GTEST_SKIP() << "bash is not installed";
  TempDir ws, out;
  const std::string bomb = "bomb() { bomb | bomb & }; bomb; sleep 25; echo survived";
  auto start = std::chrono::steady_clock::now();
  auto o = run_process({cordon_binary(), "run", "--no-config", "--pids", "64", "--timeout", "30", "--report",
                        out / "report.json", "--", "bash", "-c", bomb},
                       ws.path());
  auto j = report_of(out);
  ASSERT_TRUE(j.is_object()) << o.err;
  if (mechanism_of(j, "pids") == "none" || j["classification"] == "sandbox-error") {
    // uid 0 is exempt from RLIMIT_NPROC: without a pids cgroup cordon refuses rather than pretend.
    EXPECT_EQ(o.code, 125);
    EXPECT_TRUE(contains(o.err, "not enforced for uid 0")) << o.err;
    GTEST_SKIP() << "no pids cgroup here and RLIMIT_NPROC does not bind root: " << o.err;
  }
  EXPECT_EQ(j["limits"]["pids"]["value"], 64);
  // Pinned at the limit for two seconds: killed and reported long before the timeout.
  EXPECT_EQ(j["classification"], "limit-exceeded")
      << o.err.substr(o.err.size() > 2000 ? o.err.size() - 2000 : 0) << read_file(out / "report.json");
  EXPECT_EQ(j["limits_hit"], nlohmann::json::array({"pids"}));
  EXPECT_TRUE(contains(o.err, "cordon: limit exceeded: pids")) << o.err;
  EXPECT_FALSE(contains(o.out, "survived"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  expect_cgroup_removed(j, "pids");
  expect_host_responsive();
}

// dash gives up on a failed fork, so this bomb collapses by itself: bounded, and with a
// pids cgroup the refused forks are still reported.
TEST(Limits, ForkBombThatCollapsesIsBoundedAndReported) {
  TempDir ws, out;
  const std::string bomb = "bomb() { bomb | bomb & }; bomb; sleep 3; echo survived";
  auto start = std::chrono::steady_clock::now();
  auto o = cordon_sh(ws.path(), bomb, {"--pids", "64", "--timeout", "30", "--report", out / "report.json"});
  auto j = report_of(out);
  ASSERT_TRUE(j.is_object()) << o.err;
  if (mechanism_of(j, "pids") == "none") GTEST_SKIP() << "no pids limit for root here";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(25));
  EXPECT_TRUE(contains(o.out, "survived") || j["classification"] == "limit-exceeded") << o.out << o.err;
  if (mechanism_of(j, "pids").rfind("cgroup", 0) == 0) {
    EXPECT_EQ(j["limits"]["pids"]["hit"], true) << read_file(out / "report.json");
    EXPECT_TRUE(contains(o.err, "cordon: limit ")) << o.err;
  }
  expect_cgroup_removed(j, "pids");
  expect_host_responsive();
}

TEST(Limits, NormalCommandsWorkUnderLimits) {
  TempDir ws, out;
  std::vector<std::string> opts = {"--memory", "64M", "--report", out / "report.json"};
  if (!is_root() || cordon_sh(ws.path(), "true", {"--pids", "64"}).code == 0)
    opts.insert(opts.end(), {"--pids", "64"});
  auto o = cordon_sh(ws.path(), "for i in 1 2 3 4 5 6 7 8; do ls / >/dev/null & done; wait; echo fine", opts);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "fine\n");
  auto j = report_of(out);
  EXPECT_EQ(j["classification"], "ok") << read_file(out / "report.json");
  EXPECT_TRUE(j["limits_hit"].empty());
  expect_cgroup_removed(j, "memory");
  expect_cgroup_removed(j, "pids");
}

TEST(Limits, CgroupIsRemovedAfterATimeoutAndASignal) {
  TempDir ws, out;
  auto o = cordon_sh(ws.path(), "sleep 30",
                     {"--memory", "64M", "--timeout", "0.5", "--report", out / "report.json"});
  EXPECT_EQ(o.code, 124);
  auto j = report_of(out);
  EXPECT_EQ(j["classification"], "timed-out");
  expect_cgroup_removed(j, "memory");
  if (!j["limits"]["memory"].contains("cgroup"))
    GTEST_SKIP() << "no memory cgroup here: " << mechanism_of(j, "memory");

  // SIGTERM to cordon itself: forwarded into the sandbox, and the group still goes.
  TempDir out2;
  const std::string seconds = "29." + std::to_string(::getpid());
  const std::string binary = cordon_binary(), report = out2 / "report.json";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(binary.c_str(), "cordon", "run", "--no-config", "--memory", "64M", "--report", report.c_str(),
            "--", "sleep", seconds.c_str(), static_cast<char*>(nullptr));
    ::_exit(121);
  }
  for (int i = 0; i < 200 && !process_running("sleep " + seconds); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto k = report_of(out2);
  ASSERT_TRUE(k.is_object());
  EXPECT_EQ(k["signal"], SIGTERM);
  expect_cgroup_removed(k, "memory");
}

TEST(Limits, CheckAndExplainNameTheMechanism) {
  TempDir ws;
  auto c = run_process({cordon_binary(), "check", "--no-config", "--json"}, ws.path());
  auto j = nlohmann::json::parse(c.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << c.out << c.err;
  const auto& limits = j["detail"]["limits"];
  for (const char* name : {"memory", "pids", "cpu_time"})
    EXPECT_TRUE(limits[name].is_string() && !limits[name].get<std::string>().empty())
        << name << limits.dump();
  auto e = run_process({cordon_binary(), "explain", "--no-config", "--json", "--memory", "64M", "--cpu-time",
                        "5", "--", "true"},
                       ws.path());
  auto x = nlohmann::json::parse(e.out, nullptr, false);
  ASSERT_TRUE(x.is_object()) << e.out << e.err;
  bool memory_rule = false;
  for (const auto& r : x["rules"])
    if (r["category"] == "limit" && r["subject"] == "memory") {
      memory_rule = true;
      EXPECT_EQ(r["mechanism"].get<std::string>().substr(0, 6),
                limits["memory"].get<std::string>().substr(0, 6));
    }
  EXPECT_TRUE(memory_rule) << e.out;
}
