// The proxied network without user namespaces, from outside: cordon runs under the
// no_userns helper (user namespaces refused by a parent seccomp filter, as in a
// container), so its proxy listens on the host's 127.0.0.1 and the sandbox reaches it
// directly, with Landlock (ABI >= 4) allowing TCP connect only to the proxy's ports
// and seccomp allowing only TCP sockets. Test servers run on the host's loopback;
// fake names reach them through the proxy's test-only resolver override. Loopback
// only: nothing here reaches an outside address.
#include <ifaddrs.h>

#include <regex>

#include "e2e/harness.hpp"
#include "e2e/net_servers.hpp"

using namespace cordon_test;

namespace {

// The Landlock ABI cordon sees under no_userns (`cordon check --json`).
int landlock_abi() {
  TempDir ws;
  auto o = run_process({no_userns_binary(), cordon_binary(), "check", "--no-config", "--json"}, ws.path());
  std::smatch m;
  static const std::regex abi("\"landlock_abi\": ([0-9]+)");
  return std::regex_search(o.out, m, abi) ? std::stoi(m[1]) : 0;
}

#define SKIP_WITHOUT_LANDLOCK_TCP()                                        \
  if (int abi = landlock_abi(); abi < 4)                                   \
  GTEST_SKIP() << "Landlock ABI " << abi                                   \
               << " < 4 (Linux 6.7): TCP cannot be confined without user " \
                  "namespaces"

struct HostNetBox : Sandbox {
  // `no_userns cordon run --best-effort [opts] -- sh -c SCRIPT`, fake names mapped to loopback.
  Outcome run(const std::string& script, const std::vector<std::string>& opts) const {
    std::vector<std::string> argv = {no_userns_binary(), cordon_binary(), "run", "--no-config",
                                     "--best-effort"};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.insert(argv.end(), {"--", "sh", "-c", script});
    return run_process(argv, ws.path(), "",
                       env({"CORDON_TEST_RESOLVE=good.test=127.0.0.1,bad.test=127.0.0.1"}));
  }
};

const std::vector<std::string> kAllowGood = {"--allow-domain", "good.test"};

// A Python one-liner that connects to HOST and PORT (a Python expression) and prints
// "connected" or the errno name.
std::string py_connect(const std::string& host, const std::string& port) {
  return "python3 -c 'import socket,errno,os\ntry:\n socket.create_connection((\"" + host + "\", " + port +
         "), timeout=5)\n print(\"connected\")\nexcept OSError as e:\n print(errno.errorcode.get(e.errno, "
         "e.errno))'";
}

// A local IPv4 address that is not loopback (the host's own), or "".
std::string non_loopback_ipv4() {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return "";
  std::string found;
  for (ifaddrs* i = all; i && found.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127) continue;
    char buf[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf)) found = buf;
  }
  ::freeifaddrs(all);
  return found;
}

}  // namespace

TEST(NoUsernsNetwork, AllowedNameWorksThroughCurlAndPython) {
  SKIP_WITHOUT("curl");
  SKIP_WITHOUT("python3");
  SKIP_WITHOUT_LANDLOCK_TCP();
  TestServer server(true);
  HostNetBox box;
  const std::string port = server.port_text();
  auto o = box.run("curl -sS -m 10 http://good.test:" + port +
                       "/via-http && curl -sS -m 10 -x \"$ALL_PROXY\" " + "http://good.test:" + port +
                       "/via-socks && python3 -c 'import urllib.request,sys; "
                       "sys.stdout.write(urllib.request.urlopen(\"http://good.test:" +
                       port + "/py\", timeout=10).read().decode())'",
                   kAllowGood);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hello from the test server\nhello from the test server\nhello from the test server\n");
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"GET /via-http HTTP/1.1", "GET /via-socks HTTP/1.1",
                                                         "GET /py HTTP/1.1"}));
  // The proxy is on the host's loopback, on ports the kernel chose.
  EXPECT_TRUE(contains(o.err, "network allowlist degraded")) << o.err;
}

TEST(NoUsernsNetwork, DeniedNameFailsAndTheServerSawNothing) {
  SKIP_WITHOUT("curl");
  SKIP_WITHOUT_LANDLOCK_TCP();
  TestServer server(true);
  HostNetBox box;
  const std::string port = server.port_text();
  auto o = box.run("curl -sS -f -m 10 http://bad.test:" + port + "/; echo http=$?; " +
                       "curl -sS -m 10 -x \"$ALL_PROXY\" http://bad.test:" + port + "/; echo socks=$?",
                   kAllowGood);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "http=22")) << o.out << o.err;  // 403 from the proxy
  EXPECT_TRUE(contains(o.out, "socks=")) << o.out;
  EXPECT_FALSE(contains(o.out, "socks=0")) << o.out;
  EXPECT_TRUE(server.requests().empty());
  EXPECT_TRUE(contains(o.err, "bad.test:" + port + " (not in the allowlist) x2")) << o.err;
}

TEST(NoUsernsNetwork, DirectConnectionsBindsAndListensFail) {
  SKIP_WITHOUT("curl");
  SKIP_WITHOUT("python3");
  SKIP_WITHOUT_LANDLOCK_TCP();
  TestServer server(true);
  HostNetBox box;
  const std::string port = server.port_text();
  auto o = box.run(
      "curl -sS -m 10 --noproxy '*' http://127.0.0.1:" + port + "/; echo curl=$?; " +
          py_connect("127.0.0.1", port) + "; " + py_connect("::1", port) + "; " +
          "python3 -c 'import socket\ns=socket.socket()\ntry:\n s.bind((\"127.0.0.1\", 0))\n "
          "print(\"bound\")\nexcept OSError as e:\n print(\"bind:\", e.errno)'; " +
          "python3 -c 'import socket\ns=socket.socket()\ntry:\n s.listen()\n "
          "print(\"listening on\", s.getsockname())\nexcept OSError as e:\n print(\"listen:\", e.errno)'; " +
          "python3 -c 'import socket\ns=socket.socket()\ntry:\n s.sendto(b\"GET /tfo HTTP/1.0\\r\\n\\r\\n\", "
          "socket.MSG_FASTOPEN, (\"127.0.0.1\", " +
          port +
          "))\n print(\"sent\")\nexcept OSError as e:\n "
          "print(\"fastopen:\", e.errno)'",
      {"--allow-domain", "good.test", "--json"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "curl=7")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "connected")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "EACCES\nEACCES\n")) << o.out;  // IPv4 and IPv6 loopback
  EXPECT_TRUE(contains(o.out, "bind: 13")) << o.out;          // Landlock: no TCP bind at all
  // listen() without bind() would autobind a port on every interface (Landlock has no
  // listen right): the supervisor refuses it.
  EXPECT_TRUE(contains(o.out, "listen: 13")) << o.out;
  // TCP Fast Open would connect from sendto(), past Landlock's connect hook: seccomp refuses it.
  EXPECT_TRUE(contains(o.out, "fastopen: 13")) << o.out;
  EXPECT_TRUE(server.requests().empty());
  // The refused connect is a denial, with the option that would allow it.
  EXPECT_TRUE(contains(o.err, "\"address\":\"127.0.0.1:" + port + "\"")) << o.err;
  EXPECT_TRUE(contains(o.err, "--allow-localhost " + port)) << o.err;
}

TEST(NoUsernsNetwork, TheProxyPortOnAnotherAddressIsRefusedBySupervisor) {
  SKIP_WITHOUT("python3");
  SKIP_WITHOUT_LANDLOCK_TCP();
  const std::string ip = non_loopback_ipv4();
  if (ip.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this host";
  HostNetBox box;
  // Landlock allows the proxy's port number on any address; the supervisor refuses a
  // destination that is not loopback (EACCES; the kernel alone would answer
  // ECONNREFUSED, since the proxy listens on 127.0.0.1 only).
  auto o = box.run(py_connect(ip, "int(os.environ[\"HTTP_PROXY\"].rsplit(\":\", 1)[1])"),
                   {"--allow-domain", "good.test", "--json"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "EACCES")) << o.out << o.err;
  EXPECT_TRUE(contains(o.err, "only cordon's proxy on 127.0.0.1 is reachable")) << o.err;
}

TEST(NoUsernsNetwork, DnsAndUdpDoNotLeaveTheSandbox) {
  SKIP_WITHOUT("python3");
  SKIP_WITHOUT_LANDLOCK_TCP();
  uint16_t udp_port = 0;
  int udp = listen_loopback(SOCK_DGRAM, udp_port);
  ASSERT_GE(udp, 0);
  HostNetBox box;
  auto o = box.run(
      "getent hosts good.test; echo getent=$?; "
      "python3 -c 'import socket\ntry:\n socket.getaddrinfo(\"good.test\", 80); print(\"resolved\")\nexcept "
      "OSError: print(\"no-dns\")'; "
      "python3 -c 'import socket\ntry:\n s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n "
      "s.sendto(b\"leak\", (\"127.0.0.1\", " +
          std::to_string(udp_port) + "))\n print(\"sent\")\nexcept OSError as e:\n print(\"udp:\", e.errno)'",
      kAllowGood);
  EXPECT_TRUE(contains(o.out, "getent=2")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "no-dns")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "udp: 13")) << o.out << o.err;  // seccomp: TCP sockets only
  EXPECT_FALSE(udp_received(udp, 300));
  ::close(udp);
}

TEST(NoUsernsNetwork, AllowLocalhostReachesExactlyThatPort) {
  SKIP_WITHOUT("curl");
  SKIP_WITHOUT_LANDLOCK_TCP();
  expect_allow_localhost_reaches_exactly_that_port<HostNetBox>();
}

TEST(NoUsernsNetwork, CheckAndExplainReportTheModeAndItsResidual) {
  SKIP_WITHOUT_LANDLOCK_TCP();
  HostNetBox box;
  auto check = run_process(
      {no_userns_binary(), cordon_binary(), "check", "--no-config", "--allow-domain", "good.test", "--json"},
      box.ws.path(), "", box.env());
  EXPECT_TRUE(contains(check.out, "\"name\": \"network allowlist\"")) << check.out;
  EXPECT_TRUE(contains(check.out, "\"state\": \"degraded\"")) << check.out;
  EXPECT_TRUE(contains(check.out, "ports, not addresses")) << check.out;
  auto explain = run_process({no_userns_binary(), cordon_binary(), "explain", "--no-config", "--best-effort",
                              "--allow-domain", "good.test", "--allow-localhost", "5432", "--", "true"},
                             box.ws.path(), "", box.env());
  EXPECT_EQ(explain.code, 0) << explain.err;
  for (const char* s : {"host's 127.0.0.1", "landlock TCP", "127.0.0.1:5432", "DNS", "network allowlist"})
    EXPECT_TRUE(contains(explain.out, s)) << s << "\n" << explain.out;
}
