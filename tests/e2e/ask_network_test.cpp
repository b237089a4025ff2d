// cordon run --ask and --learn for the network (ask.hpp, broker.hpp, proxy.hpp,
// direct_route.hpp): a connect() to a port of the host's loopback that is not allowed, and
// a host that is not on the allowlist, are asked about on cordon's own terminal (driven
// through a real outer pty), granted mid-run, or learned. The servers are the test's own,
// on the host's loopback (ephemeral ports), and each proves from outside exactly which
// connections reached it. Every read and wait is bounded.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "e2e/harness.hpp"
#include "e2e/net_servers.hpp"
#include "e2e/pty_harness.hpp"

namespace {

using namespace cordon_test;

constexpr const char* kQuestion = "cordon: the command asks to ";
constexpr const char* kTestResolve =
    "CORDON_TEST_RESOLVE=good.test=127.0.0.1,bad.test=127.0.0.1,"
    "private.test=10.0.0.5";

std::vector<std::string> cordon_argv(std::vector<std::string> opts, const std::vector<std::string>& command,
                                     bool no_config = true) {
  std::vector<std::string> argv = {cordon_binary(), "run"};
  if (no_config) argv.push_back("--no-config");
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

// `python3 -c CODE`: the command, connecting with plain sockets (no proxy involved).
std::vector<std::string> python(const std::string& code) {
  return {"/usr/bin/env", "python3", "-c", code};
}

std::string ask_unavailable(const Sandbox& box) {
  static const std::string why = [&] {
    OutsideDir kept;  // what --learn writes: outside the writable roots
    Outcome o = cordon_sh(box.ws.path(), "true", {"--learn", kept / "probe.toml"}, "", box.env());
    if (o.code == 0) return std::string();
    return "cordon run --learn cannot work here: " + o.err;
  }();
  return why;
}

nlohmann::json report_of(const std::string& path) {
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

// Python: connect to 127.0.0.1:PORT, send LINE, print what comes back; print
// "refused PORT" when the connect is refused.
std::string py_connect(uint16_t port, const std::string& line) {
  return "import socket\n"
         "s = socket.socket()\n"
         "s.settimeout(20)\n"
         "try:\n"
         "    s.connect(('127.0.0.1', " +
         std::to_string(port) +
         "))\n"
         "    s.sendall(b'" +
         line +
         "\\n')\n"
         "    print('got', s.recv(100).decode().strip(), flush=True)\n"
         "except ConnectionRefusedError:\n"
         "    print('refused " +
         std::to_string(port) +
         "', flush=True)\n"
         "s.close()\n";
}

#define SKIP_UNLESS_READY(box, term)                                      \
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why; \
  if (!(term).ok()) GTEST_SKIP() << kNoOuterPty;                          \
  SKIP_WITHOUT("python3")

TEST(AskNetwork, ALoopbackPortGrantedForTheRunAndASiblingPortStaysRefused) {
  Sandbox box;
  OuterTerminal term;
  SKIP_UNLESS_READY(box, term);
  TestServer granted(false), sibling(false);
  ASSERT_TRUE(granted.ok() && sibling.ok());
  const std::string a = granted.port_text(), b = sibling.port_text();
  const std::string code = py_connect(granted.port(), "first") + py_connect(granted.port(), "second") +
                           py_connect(sibling.port(), "sib");
  term.start(cordon_argv({"--ask", "--report", box.ws / "r.json"}, python(code)), box.ws.path(), box.env());
  ASSERT_TRUE(
      term.expect(kQuestion + std::string("connect to 127.0.0.1:") + a + " (the host's loopback port " + a))
      << term.screen();
  ASSERT_TRUE(term.expect("[r] allow port " + a + " for this run")) << term.screen();
  term.answer("r");
  ASSERT_TRUE(term.expect(kQuestion + std::string("connect to 127.0.0.1:") + b)) << term.screen();
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "got first")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "got second")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "refused " + b)) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 2u) << term.screen();  // the port for the run: asked once
  // From outside (the echo server records each line as received): the granted server saw exactly the two
  // granted connections, the sibling nothing.
  EXPECT_EQ(granted.requests(), (std::vector<std::string>{"first\n", "second\n"}));
  EXPECT_TRUE(sibling.requests().empty());
  const auto r = report_of(box.ws / "r.json");
  ASSERT_TRUE(r.contains("grants")) << r.dump();
  ASSERT_EQ(r["grants"].size(), 2u) << r.dump();
  EXPECT_EQ(r["grants"][0]["network"], "localhost") << r.dump();
  EXPECT_EQ(r["grants"][0]["address"], "127.0.0.1:" + a) << r.dump();
  EXPECT_EQ(r["grants"][0]["scope"], "run") << r.dump();
  EXPECT_EQ(r["grants"][0]["rule"], a) << r.dump();
  EXPECT_EQ(r["grants"][0]["by"], "user") << r.dump();
  EXPECT_EQ(r["grants"][1]["answer"], "deny") << r.dump();
  bool denial = false;
  for (const auto& d : r["denials"])
    if (d.value("address", "") == "127.0.0.1:" + b && d.value("suggestion", "") == "--allow-localhost " + b)
      denial = true;
  EXPECT_TRUE(denial) << r.dump();
}

TEST(AskNetwork, AlwaysWritesOneLocalhostPortRuleAndTheNextRunAsksNothing) {
  Sandbox box;
  OuterTerminal term;
  SKIP_UNLESS_READY(box, term);
  TestServer server(false);
  ASSERT_TRUE(server.ok());
  const std::string p = server.port_text();
  const std::string config = box.home.path() + "/.config/cordon/config.toml";
  term.start(cordon_argv({"--ask"}, python(py_connect(server.port(), "one")), /*no_config=*/false),
             box.ws.path(), box.env());
  ASSERT_TRUE(term.expect("[a] allow port " + p + " always (network.allow_localhost in " + config + ")"))
      << term.screen();
  term.answer("a");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "got one")) << term.screen();
  EXPECT_TRUE(contains(term.screen(),
                       "added the host's loopback port " + p + " to network.allow_localhost in " + config))
      << term.screen();
  const std::string text = read_file(config);
  EXPECT_TRUE(
      contains(text, "[network]\nallow_localhost = [\n  " + p + ",  # allowed with cordon run --ask on "))
      << text;
  // The next run reads the rule (a forwarder inside for the port): nothing is asked.
  OuterTerminal again;
  again.start(cordon_argv({"--ask"}, python(py_connect(server.port(), "two")), false), box.ws.path(),
              box.env());
  EXPECT_EQ(again.wait(), 0) << again.screen();
  EXPECT_EQ(again.count(kQuestion), 0u) << again.screen();
  EXPECT_TRUE(contains(again.screen(), "got two")) << again.screen();
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"one\n", "two\n"}));
}

TEST(AskNetwork, DenyAndNoAnswerRefuseTheConnectAndTheServersSeeNothing) {
  Sandbox box;
  OuterTerminal term;
  SKIP_UNLESS_READY(box, term);
  TestServer denied(false), unanswered(false);
  ASSERT_TRUE(denied.ok() && unanswered.ok());
  const std::string code = py_connect(denied.port(), "x") + py_connect(unanswered.port(), "y");
  term.start(cordon_argv({"--ask", "--ask-timeout", "2", "--report", box.ws / "r.json"}, python(code)),
             box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("connect to 127.0.0.1:") + denied.port_text()))
      << term.screen();
  term.answer("n");
  ASSERT_TRUE(term.expect(kQuestion + std::string("connect to 127.0.0.1:") + unanswered.port_text()))
      << term.screen();
  ASSERT_TRUE(term.expect("no answer: denied", 10000)) << term.screen();
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "refused " + denied.port_text())) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "refused " + unanswered.port_text())) << term.screen();
  EXPECT_TRUE(denied.requests().empty());
  EXPECT_TRUE(unanswered.requests().empty());
  const auto r = report_of(box.ws / "r.json");
  ASSERT_EQ(r["grants"].size(), 2u) << r.dump();
  EXPECT_EQ(r["grants"][0]["answer"], "deny") << r.dump();
  EXPECT_EQ(r["grants"][0]["by"], "user") << r.dump();
  EXPECT_EQ(r["grants"][1]["answer"], "deny") << r.dump();
  EXPECT_EQ(r["grants"][1]["by"], "timeout") << r.dump();
}

TEST(AskNetwork, AProxiedHostGrantedMidRunThenReachedDirectlyAndAnotherDenied) {
  Sandbox box;
  OuterTerminal term;
  SKIP_UNLESS_READY(box, term);
  SKIP_WITHOUT("curl");
  TestServer good(true, "hello granted host\n"), bad(true, "must not be seen\n");
  ASSERT_TRUE(good.ok() && bad.ok());
  const std::string g = good.port_text();
  // curl through the HTTP proxy (the environment names it); then a proxy-unaware client that
  // resolves the name inside and connects itself (the name server and the direct route).
  const std::string script =
      "curl -sS --max-time 30 http://good.test:" + g + "/via-proxy; echo curl=$?; " +
      "curl -sS --max-time 30 -o /dev/null -w 'bad=%{http_code}\\n' http://bad.test:" + bad.port_text() +
      "/; " + "python3 -c \"import socket; s = socket.create_connection(('good.test', " + g +
      "), 20); s.sendall(b'GET /direct HTTP/1.0\\r\\n\\r\\n'); print('direct', s.recv(200).split(b' "
      "')[1].decode())\"";
  term.start(cordon_argv({"--ask", "--net", "proxy", "--report", box.ws / "r.json"}, {"sh", "-c", script}),
             box.ws.path(), box.env({kTestResolve}));
  ASSERT_TRUE(term.expect(kQuestion + std::string("connect to good.test:") + g +
                          " (not in the allowlist; through cordon's proxy)"))
      << term.screen();
  ASSERT_TRUE(term.expect("[r] allow good.test for this run")) << term.screen();
  term.answer("r");
  ASSERT_TRUE(term.expect(kQuestion + std::string("connect to bad.test:"))) << term.screen();
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "hello granted host")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "curl=0")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "bad=403")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "direct 200")) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 2u) << term.screen();  // the name server: granted for the run already
  EXPECT_EQ(good.requests(), (std::vector<std::string>{"GET /via-proxy HTTP/1.1", "GET /direct HTTP/1.0"}));
  EXPECT_TRUE(bad.requests().empty());
  const auto r = report_of(box.ws / "r.json");
  ASSERT_EQ(r["grants"].size(), 2u) << r.dump();
  EXPECT_EQ(r["grants"][0]["network"], "domain") << r.dump();
  EXPECT_EQ(r["grants"][0]["address"], "good.test:" + g) << r.dump();
  EXPECT_EQ(r["grants"][0]["rule"], "good.test") << r.dump();
  EXPECT_EQ(r["grants"][0]["scope"], "run") << r.dump();
  EXPECT_EQ(r["grants"][1]["answer"], "deny") << r.dump();
}

TEST(AskNetwork, AGrantedNameThatResolvesToAPrivateAddressIsStillRefused) {
  Sandbox box;
  OuterTerminal term;
  SKIP_UNLESS_READY(box, term);
  SKIP_WITHOUT("curl");
  const std::string script =
      "curl -sS --max-time 30 -o /dev/null -w 'private=%{http_code}\\n' http://private.test:80/; "
      "python3 -c \"import socket\ntry:\n socket.getaddrinfo('private.test', 80)\n print('resolved')\n"
      "except socket.gaierror:\n print('no such host')\"";
  term.start(cordon_argv({"--ask", "--net", "proxy"}, {"sh", "-c", script}), box.ws.path(),
             box.env({kTestResolve}));
  ASSERT_TRUE(term.expect(kQuestion + std::string("connect to private.test:80"))) << term.screen();
  term.answer("r");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "private=403")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "no such host")) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 1u) << term.screen();
}

TEST(AskNetwork, LearnOneHostAndOnePortThenThePolicyRunsWithoutAQuestion) {
  NetBox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  SKIP_WITHOUT("python3");
  SKIP_WITHOUT("curl");
  TestServer http(true, "learned host\n"), port(false);
  ASSERT_TRUE(http.ok() && port.ok());
  OutsideDir kept;  // what --learn writes: outside the writable roots
  const std::string frag = kept / "learned.toml";
  const std::string script = "curl -sS --max-time 30 http://good.test:" + http.port_text() +
                             "/ && python3 -c " + sh_quote(py_connect(port.port(), "learned"));
  // private.test is granted, then refused by the private-address guard: no rule for it.
  Outcome learn =
      box.run("curl -sS --max-time 30 http://private.test/; " + script, {"--net", "proxy", "--learn", frag});
  ASSERT_EQ(learn.code, 0) << learn.err;
  EXPECT_TRUE(contains(learn.err, "cordon: learn: allowed connect private.test:80")) << learn.err;
  EXPECT_TRUE(contains(learn.out, "learned host")) << learn.out;
  EXPECT_TRUE(contains(learn.out, "got learned")) << learn.out;
  EXPECT_TRUE(contains(learn.err, "cordon: learn: allowed connect good.test:" + http.port_text()))
      << learn.err;
  EXPECT_TRUE(contains(learn.err, "cordon: learn: allowed connect 127.0.0.1:" + port.port_text()))
      << learn.err;
  const std::string text = read_file(frag);
  EXPECT_TRUE(contains(text, "[network]")) << text;
  EXPECT_TRUE(contains(text, "\"good.test\",")) << text;
  EXPECT_FALSE(contains(text, "private.test")) << text;
  EXPECT_TRUE(contains(text, "allow_localhost = [")) << text;
  EXPECT_TRUE(contains(text, "  " + port.port_text() + ",")) << text;
  EXPECT_TRUE(contains(text, "# 1 time: connect 127.0.0.1:" + port.port_text())) << text;
  // The fragment alone allows both: run with --ask on a terminal, and nothing is asked.
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  std::vector<std::string> env = box.env({kTestResolve});
  term.start(cordon_argv({"--ask", "--policy", frag}, {"sh", "-c", script}), box.ws.path(), env);
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 0u) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "learned host")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "got learned")) << term.screen();
  EXPECT_EQ(http.requests().size(), 2u);
  EXPECT_EQ(port.requests(), (std::vector<std::string>{"learned\n", "learned\n"}));
}

// The sockaddr is read once: a thread that rewrites it while the question is on the
// terminal (to a second server's port) cannot make the grant connect there.
TEST(AskNetwork, ARacingThreadRewritingTheAddressCannotRedirectTheGrant) {
  Sandbox box;
  OuterTerminal term;
  SKIP_UNLESS_READY(box, term);
  TestServer asked(false), other(false);
  ASSERT_TRUE(asked.ok() && other.ok());
  const std::string code =
      "import ctypes, socket, struct, threading, time\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "buf = ctypes.create_string_buffer(struct.pack('!HH4s8x', socket.AF_INET, " +
      asked.port_text() +
      ", socket.inet_aton('127.0.0.1')), 16)\n"
      "buf[0:2] = struct.pack('=H', socket.AF_INET)\n"
      "other = struct.pack('!H', " +
      other.port_text() +
      ")\n"
      "done = False\n"
      "def race():\n"
      "    time.sleep(1.0)\n"
      "    while not done:\n"
      "        buf[2:4] = other\n"
      "s = socket.socket()\n"
      "t = threading.Thread(target=race); t.start()\n"
      "rc = libc.connect(s.fileno(), buf, 16)\n"
      "err = ctypes.get_errno()\n"
      "done = True; t.join()\n"
      "print('connect', rc, err, 'buffer now', struct.unpack('!H', buf[2:4])[0], flush=True)\n"
      "if rc == 0:\n"
      "    s.sendall(b'raced\\n'); print('got', s.recv(100).decode().strip(), flush=True)\n";
  term.start(cordon_argv({"--ask"}, python(code)), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("connect to 127.0.0.1:") + asked.port_text()))
      << term.screen();
  ::usleep(1500 * 1000);  // the racing thread rewrites the port all along
  term.answer("o");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "connect 0 0 buffer now " + other.port_text())) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "got raced")) << term.screen();
  EXPECT_EQ(asked.requests(), (std::vector<std::string>{"raced\n"}));
  EXPECT_TRUE(other.requests().empty());
}

}  // namespace
