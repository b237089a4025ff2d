// The proxied network mode from outside: test servers on the host's loopback
// (ephemeral ports, started here), fake names mapped to them by cordon's test-only
// resolver override (CORDON_TEST_RESOLVE), and commands inside the sandbox that try
// to reach them through the proxy, directly, by DNS and over UDP. Loopback only:
// nothing here reaches an outside address.
#include "e2e/net_servers.hpp"

using namespace cordon_test;

namespace {

const std::vector<std::string> kAllowGood = {"--allow-domain", "good.test"};

}  // namespace

TEST(Network, AllowedNameWorksThroughCurlHttpAndSocks) {
  SKIP_WITHOUT("curl");
  TestServer server(true);
  NetBox box;
  auto o = box.run("curl -sS -m 10 http://good.test:" + server.port_text() +
                       "/via-http && curl -sS -m 10 -x \"$ALL_PROXY\" " +
                       "http://good.test:" + server.port_text() + "/via-socks",
                   kAllowGood);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hello from the test server\nhello from the test server\n");
  auto r = server.requests();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "GET /via-http HTTP/1.1");
  EXPECT_EQ(r[1], "GET /via-socks HTTP/1.1");
}

TEST(Network, AllowedNameWorksThroughPythonUrllib) {
  SKIP_WITHOUT("python3");
  TestServer server(true);
  NetBox box;
  auto o = box.run(
      "python3 -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen(\"http://good.test:" +
          server.port_text() + "/py\", timeout=10).read().decode())'",
      kAllowGood);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hello from the test server\n");
  ASSERT_EQ(server.requests().size(), 1u);
}

TEST(Network, ConnectTunnelReachesAPlainTcpServer) {
  SKIP_WITHOUT("curl");
  TestServer echo(false);
  NetBox box;
  auto o = box.run(
      "printf 'through-the-tunnel\\n' | curl -sS -m 10 --proxytunnel -x \"$HTTPS_PROXY\" "
      "telnet://good.test:" +
          echo.port_text(),
      kAllowGood);
  EXPECT_NE(o.out.find("through-the-tunnel"), std::string::npos) << o.out << o.err;
  EXPECT_EQ(echo.requests().size(), 1u);
}

TEST(Network, HalfCloseTravelsThroughTheTunnel) {
  SKIP_WITHOUT("python3");
  TestServer server(false);
  server.reply_at_eof();  // answers only after the client's FIN arrived through the proxy
  NetBox box;
  auto o = box.run(
      "python3 -c '\nimport socket\ns = socket.create_connection((\"127.0.0.1\", 3128))\n"
      "s.sendall(b\"CONNECT good.test:" +
          server.port_text() +
          " HTTP/1.1\\r\\n\\r\\n\")\nhead = b\"\"\nwhile b\"\\r\\n\\r\\n\" not in head: head += "
          "s.recv(4096)\n"
          "s.sendall(b\"sent before the half-close\"); s.shutdown(socket.SHUT_WR)\ndata = b\"\"\n"
          "while True:\n  d = s.recv(4096)\n  if not d: break\n  data += d\nprint(data.decode())\n'",
      kAllowGood);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "sent before the half-close\n") << o.err;
}

TEST(Network, GitCloneOverDumbHttp) {
  SKIP_WITHOUT("git");
  SKIP_WITHOUT("python3");
  OutsideDir served;
  const std::string env =
      "GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t "
      "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t";
  auto setup =
      run_process({"sh", "-c",
                   env + " git init -q src && cd src && echo payload > file && git add file && " + env +
                       " git commit -qm one && cd .. && git clone -q --bare src repo.git && cd repo.git && " +
                       env + " git update-server-info"},
                  served.path());
  ASSERT_EQ(setup.code, 0) << setup.err;
  uint16_t port = 0;
  int probe = listen_loopback(SOCK_STREAM, port);
  ::close(probe);
  pid_t server = ::fork();
  if (server == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execlp("python3", "python3", "-m", "http.server", std::to_string(port).c_str(), "--bind", "127.0.0.1",
             "--directory", served.path().c_str(), nullptr);
    ::_exit(127);
  }
  // Wait for the server to listen.
  for (int i = 0; i < 100; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (up) break;
    ::usleep(50 * 1000);
  }
  NetBox box;
  auto o = box.run(
      env + " git clone -q http://git.test:" + std::to_string(port) + "/repo.git clone && cat clone/file",
      {"--allow-domain", "git.test"});
  ::kill(server, SIGTERM);
  ::waitpid(server, nullptr, 0);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "payload\n");
}

TEST(Network, DeniedNameFailsAndTheServerSawNothing) {
  SKIP_WITHOUT("curl");
  TestServer server(true);
  NetBox box;
  const std::string port = server.port_text();
  auto o = box.run("curl -sS -f -m 10 http://bad.x.test:" + port + "/; echo http=$?; " +
                       "curl -sS -m 10 -x \"$ALL_PROXY\" http://bad.x.test:" + port + "/; echo socks=$?; " +
                       "curl -sS -f -m 10 http://good.test:" + port + "/; echo unlisted=$?; " +
                       "curl -sS -f -m 10 http://a.x.test:" + port + "/wildcard; echo wildcard=$?",
                   {"--allow-domain", "*.x.test", "--deny-domain", "bad.x.test", "--report-denials", "full"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "http=22")) << o.out << o.err;  // 403 from the proxy
  EXPECT_FALSE(contains(o.out, "socks=0")) << o.out;
  EXPECT_TRUE(contains(o.out, "unlisted=22")) << o.out;
  EXPECT_TRUE(contains(o.out, "wildcard=0")) << o.out;
  // Only the allowed wildcard name reached the server.
  EXPECT_EQ(server.requests(), std::vector<std::string>{"GET /wildcard HTTP/1.1"});
  // The summary at the end of the run names host, port and reason.
  EXPECT_TRUE(contains(o.err, "bad.x.test:" + port + " (denied by --deny-domain) x2")) << o.err;
  EXPECT_TRUE(contains(o.err, "good.test:" + port + " (not in the allowlist)")) << o.err;
}

TEST(Network, IpLiteralsAndDirectConnectionsFail) {
  SKIP_WITHOUT("curl");
  TestServer server(true);
  NetBox box;
  const std::string url = "http://127.0.0.1:" + server.port_text() + "/";
  auto o = box.run("curl -sS -f -m 10 --noproxy '' -x \"$HTTP_PROXY\" " + url + "; echo via_proxy=$?; " +
                       "curl -sS -m 10 --noproxy '*' " + url + "; echo direct=$?",
                   kAllowGood);
  EXPECT_TRUE(contains(o.out, "via_proxy=22")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "direct=7")) << o.out << o.err;
  EXPECT_TRUE(server.requests().empty());
  EXPECT_TRUE(contains(o.err, "127.0.0.1:" + server.port_text() + " (IP address not allowed")) << o.err;
}

TEST(Network, NamesResolvingToSpecialAddressesAreRefused) {
  SKIP_WITHOUT("curl");
  TestServer server(true);
  NetBox box;
  // private.test is mapped to 10.0.0.5; "localhost" really resolves (to loopback).
  auto o =
      box.run("curl -sS -f -m 10 http://private.test:" + server.port_text() + "/; echo private=$?; " +
                  "curl -sS -f -m 10 --noproxy '' -x \"$HTTP_PROXY\" http://localhost:" + server.port_text() +
                  "/; echo loopback=$?",
              {"--allow-domain", "private.test", "--allow-domain", "localhost", "--json"});
  EXPECT_TRUE(contains(o.out, "private=22")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "loopback=22")) << o.out << o.err;
  EXPECT_TRUE(server.requests().empty());
  EXPECT_TRUE(
      contains(o.err, "private.test:" + server.port_text() + " (resolves to a private address (10.0.0.5))"))
      << o.err;
  EXPECT_TRUE(contains(o.err, "resolves to a loopback address")) << o.err;
  // The --json result object carries them as denials of "connect" to host:port.
  EXPECT_TRUE(contains(o.err, "\"address\":\"private.test:" + server.port_text() + "\"")) << o.err;
  EXPECT_TRUE(contains(o.err, "network proxy: resolves to a private address (10.0.0.5)")) << o.err;
}

TEST(Network, DnsAndUdpDoNotLeaveTheSandbox) {
  SKIP_WITHOUT("python3");
  uint16_t udp_port = 0;
  int udp = listen_loopback(SOCK_DGRAM, udp_port);
  ASSERT_GE(udp, 0);
  NetBox box;
  // A name that is not allowed resolves nowhere (the sandbox's name server says "no such
  // host" and never asks outside); an allowed one gets only an address of cordon's direct
  // route (network_direct_test.cpp), never its real one. A UDP datagram to the host's
  // loopback never arrives.
  auto o = box.run(
      "getent hosts bad.test; echo getent=$?; getent hosts good.test; "
      "python3 -c 'import socket\ntry:\n socket.getaddrinfo(\"bad.test\", 80); print(\"resolved\")\nexcept "
      "OSError: "
      "print(\"no-dns\")'; "
      "python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b\"leak\", "
      "(\"127.0.0.1\", " +
          std::to_string(udp_port) + ")); print(\"sent\")'",
      kAllowGood);
  EXPECT_TRUE(contains(o.out, "getent=2")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "198.18.0.1      good.test")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "127.0.0.1")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "no-dns")) << o.out << o.err;
  EXPECT_FALSE(udp_received(udp, 300));
  ::close(udp);
}

TEST(Network, AllowLocalhostReachesExactlyThatPort) {
  SKIP_WITHOUT("curl");
  expect_allow_localhost_reaches_exactly_that_port<NetBox>();
}

TEST(Network, LocalServersInsideTheSandboxWork) {
  SKIP_WITHOUT("python3");
  SKIP_WITHOUT("curl");
  NetBox box;
  // Binding and connecting on the namespace's own loopback is free (test servers).
  auto o = box.run(
      "python3 -m http.server 18765 --bind 127.0.0.1 >/dev/null 2>&1 & "
      "for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null --noproxy '*' http://127.0.0.1:18765/ && "
      "echo served && break; sleep 0.2; done; kill $!",
      kAllowGood);
  EXPECT_TRUE(contains(o.out, "served")) << o.out << o.err;
}

TEST(Network, NetOffReachesNothing) {
  SKIP_WITHOUT("curl");
  TestServer server(true);
  NetBox box;
  const std::string port = server.port_text();
  auto o = box.run("curl -sS -m 5 -x http://127.0.0.1:3128 http://good.test:" + port + "/; echo proxy=$?; " +
                       "curl -sS -m 5 --noproxy '*' http://127.0.0.1:" + port + "/; echo direct=$?",
                   {"--net", "off"});
  EXPECT_FALSE(contains(o.out, "proxy=0")) << o.out;
  EXPECT_FALSE(contains(o.out, "direct=0")) << o.out;
  EXPECT_TRUE(server.requests().empty());
}

TEST(Network, BadInputIsAnErrorAndNothingRuns) {
  NetBox box;
  struct Case {
    std::vector<std::string> opts;
    std::string needle;
  };
  const Case cases[] = {
      {{"--allow-domain", "exa mple.com"}, "exa mple.com"},
      {{"--allow-domain", "*"}, "every name"},
      {{"--deny-domain", "a.*.b"}, "a.*.b"},
      {{"--allow-localhost", "70000"}, "70000"},
      {{"--net", "off", "--allow-domain", "good.test"}, "conflicts"},
  };
  for (const auto& c : cases) {
    auto o = box.run("touch ran", c.opts);
    EXPECT_EQ(o.code, 2) << c.needle << ": " << o.err;
    EXPECT_TRUE(contains(o.err, c.needle)) << o.err;
    EXPECT_FALSE(exists(box.ws / "ran"));
  }
}

TEST(Network, ExplainShowsTheProxyAndTheAllowlist) {
  NetBox box;
  auto o = run_process({cordon_binary(), "explain", "--no-config", "--allow-domain", "*.Example.com",
                        "--deny-domain", "bad.example.com", "--allow-localhost", "5432", "--", "true"},
                       box.ws.path(), "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  for (const char* s : {"*.example.com", "bad.example.com", "127.0.0.1:5432", "HTTP proxy 127.0.0.1:3128",
                        "network allowlist"})
    EXPECT_TRUE(contains(o.out, s)) << s << "\n" << o.out;
}

TEST(Network, WithoutUserNamespacesTheAllowlistNeedsBestEffortAndDirectConnectsStillFail) {
  SKIP_WITHOUT("curl");
  TestServer server(true);
  TempDir ws;
  std::vector<std::string> argv = {no_userns_binary(),
                                   cordon_binary(),
                                   "run",
                                   "--no-config",
                                   "--allow-domain",
                                   "good.test",
                                   "--",
                                   "sh",
                                   "-c",
                                   "touch ran"};
  auto refused = run_process(argv, ws.path());
  EXPECT_EQ(refused.code, 125) << refused.err;
  EXPECT_TRUE(contains(refused.err, "network allowlist")) << refused.err;
  EXPECT_FALSE(exists(ws / "ran"));
  argv = {no_userns_binary(),
          cordon_binary(),
          "run",
          "--no-config",
          "--best-effort",
          "--allow-domain",
          "good.test",
          "--",
          "sh",
          "-c",
          "curl -sS -m 5 --noproxy '*' http://127.0.0.1:" + server.port_text() + "/; echo direct=$?"};
  auto off = run_process(argv, ws.path());
  EXPECT_FALSE(contains(off.out, "direct=0")) << off.out << off.err;
  EXPECT_TRUE(server.requests().empty());
}
