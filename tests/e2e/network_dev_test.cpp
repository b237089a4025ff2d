// Everyday development under the default policy (issue 17, network items), proven from
// outside: with the network off the command has a loopback of its own (a test server
// inside works while a server on the host's loopback, on the same port, sees nothing);
// interfaces can be listed in every mode; name lookups fail at once and for good; a name
// that resolves to a private address is refused with the one option that allows exactly
// that host. Loopback only: nothing here reaches an outside address.
#include <sys/un.h>

#include <cstring>

#include "e2e/net_servers.hpp"

using namespace cordon_test;

namespace {

// Python inside the sandbox: `code` as one shell word.
std::string py(const std::string& code) {
  return "python3 -c " + sh_quote(code);
}

// An abstract unix socket listening on the host; its name without the leading NUL.
struct AbstractListener {
  int fd = -1;
  std::string name = unique_token("cordon-net-abstract-");
  AbstractListener() {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path + 1, name.data(), name.size());
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (fd >= 0 && (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 8) != 0)) {
      ::close(fd);
      fd = -1;
    }
  }
  ~AbstractListener() {
    if (fd >= 0) ::close(fd);
  }
  bool connected_to(int ms) const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }
};

}  // namespace

TEST(NetworkDev, NetOffGivesALoopbackOfItsOwn) {
  SKIP_WITHOUT("python3");
  // Outside: a TCP server and a UDP socket on the host's 127.0.0.1, an abstract socket.
  TestServer outside(true, "outside\n");
  uint16_t udp_port = 0;
  int udp = listen_loopback(SOCK_DGRAM, udp_port);
  ASSERT_GE(udp, 0);
  AbstractListener abstract;
  ASSERT_GE(abstract.fd, 0);
  NetBox box;
  const std::string port = outside.port_text();
  // Inside: a server on the same port number, on 127.0.0.1 and ::1, reached from inside;
  // the host's servers (TCP, UDP, abstract) are not.
  auto o =
      box.run(py("import socket, threading\n"
                 "def serve(family, host):\n"
                 "    s = socket.socket(family); s.bind((host, " +
                 port +
                 ")); s.listen(4)\n"
                 "    def run():\n"
                 "        c, _ = s.accept(); c.sendall(b'inside ' + host.encode()); c.close()\n"
                 "    threading.Thread(target=run, daemon=True).start()\n"
                 "serve(socket.AF_INET, '127.0.0.1')\n"
                 "v6 = True\n"
                 "try: serve(socket.AF_INET6, '::1')\n"
                 "except OSError: v6 = False\n"
                 "for family, host in [(socket.AF_INET, '127.0.0.1')] + ([(socket.AF_INET6, '::1')] if v6 "
                 "else []):\n"
                 "    c = socket.create_connection((host, " +
                 port +
                 "), timeout=5); print(c.recv(100).decode()); c.close()\n"
                 "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                 "try: u.sendto(b'leak', ('127.0.0.1', " +
                 std::to_string(udp_port) +
                 ")); print('udp sent inside')\n"
                 "except OSError as e: print('udp', e.errno)\n"
                 "a = socket.socket(socket.AF_UNIX)\n"
                 "try: a.connect('\\0" +
                 abstract.name +
                 "'); print('abstract reached')\n"
                 "except OSError as e: print('abstract refused')\n"
                 "try: socket.create_connection(('10.0.0.1', 80), timeout=3); print('outside reached')\n"
                 "except OSError as e: print('no route', e.errno)\n"),
              {});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "inside 127.0.0.1\n")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "abstract refused")) << o.out;
  EXPECT_TRUE(contains(o.out, "no route 101")) << o.out;  // ENETUNREACH: nothing but lo
  EXPECT_TRUE(outside.requests().empty());
  EXPECT_FALSE(udp_received(udp, 300));
  EXPECT_FALSE(abstract.connected_to(100));
  ::close(udp);
}

TEST(NetworkDev, NetOffWithoutUserNamespacesStillRefusesTcpAndSaysWhy) {
  SKIP_WITHOUT("python3");
  TempDir ws;
  auto o = run_process(
      {no_userns_binary(), cordon_binary(), "run", "--no-config", "--best-effort", "--", "sh", "-c",
       py("import socket\ntry: socket.socket().bind(('127.0.0.1', 0)); print('bound')\n"
          "except OSError as e: print('refused', e.errno)\n")},
      ws.path());
  EXPECT_TRUE(contains(o.out, "refused 1")) << o.out << o.err;  // EPERM from seccomp
  EXPECT_TRUE(contains(o.err, "without user namespaces there is no loopback of the sandbox's own")) << o.err;
}

TEST(NetworkDev, InterfacesCanBeListedInEveryMode) {
  SKIP_WITHOUT("python3");
  NetBox box;
  const std::string python =
      py("import socket\nnames = [n for _, n in socket.if_nameindex()]\nprint('py:' + "
         "','.join(sorted(names)))\n");
  const std::string node = have_tool("node")
                               ? "; node -e 'const i = require(\"os\").networkInterfaces(); "
                                 "console.log(\"node:\" + Object.keys(i).sort().join(\",\") + \":\" + "
                                 "(i.lo || []).map(a => a.address).sort().join(\",\"))'"
                               : "";
  if (node.empty()) std::printf("[ SKIPPED  ] node is not installed: only Python lists interfaces\n");
  struct Case {
    const char* name;
    std::vector<std::string> opts;
    bool only_lo;
  };
  const Case cases[] = {
      {"off", {}, true}, {"proxy", {"--allow-domain", "good.test"}, true}, {"on", {"--net", "on"}, false}};
  for (const auto& c : cases) {
    auto o = box.run(python + node, c.opts);
    EXPECT_EQ(o.code, 0) << c.name << ": " << o.out << o.err;
    EXPECT_TRUE(contains(o.out, c.only_lo ? "py:lo\n" : "py:")) << c.name << ": " << o.out << o.err;
    if (!node.empty()) {
      EXPECT_TRUE(contains(o.out, c.only_lo ? "node:lo:127.0.0.1" : "node:")) << c.name << ": " << o.out;
    }
  }
  // Without user namespaces the sandbox shares the host's interfaces: listed, read-only.
  TempDir ws;
  auto o = run_process(
      {no_userns_binary(), cordon_binary(), "run", "--no-config", "--best-effort", "--", "sh", "-c", python},
      ws.path());
  EXPECT_TRUE(contains(o.out, "py:") && contains(o.out, "lo")) << o.out << o.err;
}

TEST(NetworkDev, RouteNetlinkReadsButChangesNothing) {
  std::string ip;  // in /usr/sbin, which an unprivileged user's PATH often lacks
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (ip.empty() && ::access(p, X_OK) == 0) ip = p;
  if (ip.empty()) GTEST_SKIP() << "ip (iproute2) is not installed";
  NetBox box;
  auto o = box.run(ip + " -o link show; " + ip + " -o addr show; " + ip +
                       " link add dummy0 type dummy; echo add=$?; " + ip +
                       " addr add 10.9.9.9/32 dev lo; echo addr=$?; " + ip +
                       " link set lo down; echo down=$?; " + ip + " -o link show lo",
                   {});
  EXPECT_TRUE(contains(o.out, "lo:")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "inet 127.0.0.1/8")) << o.out;
  EXPECT_FALSE(contains(o.out, "add=0")) << o.out;
  EXPECT_FALSE(contains(o.out, "addr=0")) << o.out;
  EXPECT_FALSE(contains(o.out, "down=0")) << o.out;
  EXPECT_FALSE(contains(o.out, "10.9.9.9")) << o.out;
  // Other netlink families stay refused (sock_diag would list sockets, audit ...).
  SKIP_WITHOUT("python3");
  auto d =
      box.run(py("import socket\nfor proto in (4, 9, 12):\n"
                 "    try: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto); print('opened', proto)\n"
                 "    except OSError as e: print('refused', proto, e.errno)\n"),
              {});
  for (const char* p : {"refused 4 1", "refused 9 1", "refused 12 1"})
    EXPECT_TRUE(contains(d.out, p)) << d.out;
}

TEST(NetworkDev, NameLookupsWithTheNetworkOffFailAtOnceForGood) {
  SKIP_WITHOUT("python3");
  NetBox box;
  const auto start = std::chrono::steady_clock::now();
  auto o = box.run(
      py("import socket, time\n"
         "for name in ('registry.npmjs.org', 'example.com.', 'x.invalid'):\n"
         "    t = time.time()\n"
         "    try: socket.getaddrinfo(name, 443); print('resolved', name)\n"
         "    except socket.gaierror as e: print(name, e.errno == socket.EAI_NONAME, "
         "round(time.time() - t, 1))\n"
         "print('localhost', socket.getaddrinfo('localhost', 80)[0][4][0] in ('127.0.0.1', '::1'))\n") +
          "; getent hosts registry.npmjs.org; echo getent=$?",
      {});
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "registry.npmjs.org True 0.")) << o.out << o.err;  // EAI_NONAME, under a second
  EXPECT_TRUE(contains(o.out, "example.com. True 0.")) << o.out;
  EXPECT_TRUE(contains(o.out, "localhost True")) << o.out;  // /etc/hosts still answers
  EXPECT_TRUE(contains(o.out, "getent=2")) << o.out;        // "not found", not a temporary failure
  EXPECT_LT(seconds, 20.0);
}

TEST(NetworkDev, NpmWithTheNetworkOffFailsWithinSeconds) {
  SKIP_WITHOUT("npm");
  NetBox box;
  const auto start = std::chrono::steady_clock::now();
  auto o = box.run(
      // npm's own defaults (two retries, after 10 and 60 seconds), the user's npmrc out of the way.
      "npm view left-pad version --registry https://registry.npmjs.org/ --cache \"$PWD/.npm\" "
      "--userconfig \"$PWD/.npmrc-none\"; echo npm=$?",
      {});
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(contains(o.out, "npm=0")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out + o.err, "ENOTFOUND")) << o.out << o.err;
  EXPECT_LT(seconds, 15.0) << o.out << o.err;
  std::printf("npm with the network off failed after %.1f s\n", seconds);
}

TEST(NetworkDev, APrivateHostNeedsItsOwnOption) {
  SKIP_WITHOUT("curl");
  TestServer corp(true, "corp registry\n", TestServer::V4Second);  // 127.0.0.2
  if (!corp.port()) GTEST_SKIP() << "cannot listen on 127.0.0.2";
  NetBox box;
  const std::string port = corp.port_text();
  const std::string fetch = "curl -sS -m 10 http://corp.test:" + port + "/; echo corp=$?; " +
                            "curl -sS -f -m 10 http://other-corp.test:" + port + "/; echo other=$?; " +
                            "curl -sS -f -m 10 http://metadata.test:" + port + "/; echo metadata=$?; " +
                            "exit 3";  // a failed run: every refusal is printed, not a summary of them
  const std::vector<std::string> allow = {"--allow-domain",  "corp.test",      "--allow-domain",
                                          "other-corp.test", "--allow-domain", "metadata.test"};
  // Refused by the SSRF guard: the body, the line at the end and the JSON name the option.
  auto args = allow;
  args.push_back("--json");
  auto refused = box.run(fetch, args);
  EXPECT_TRUE(contains(refused.out, "allow with --allow-private-host corp.test"))
      << refused.out << refused.err;
  EXPECT_TRUE(contains(refused.err, "corp.test:" + port +
                                        " (resolves to a loopback address (127.0.0.2)); allow with "
                                        "--allow-private-host corp.test"))
      << refused.err;
  EXPECT_TRUE(contains(refused.err, "\"suggestion\":\"--allow-private-host corp.test\"")) << refused.err;
  EXPECT_TRUE(corp.requests().empty());
  // With the option: that host works, the other private host and cloud metadata do not.
  args = allow;
  args.insert(args.end(), {"--allow-private-host", "corp.test"});
  auto allowed = box.run(fetch, args);
  EXPECT_TRUE(contains(allowed.out, "corp registry\ncorp=0")) << allowed.out << allowed.err;
  EXPECT_TRUE(contains(allowed.out, "other=22")) << allowed.out;
  EXPECT_TRUE(contains(allowed.out, "metadata=22")) << allowed.out;
  EXPECT_EQ(corp.requests().size(), 1u);
  EXPECT_TRUE(contains(allowed.err, "other-corp.test:" + port)) << allowed.err;
  EXPECT_FALSE(contains(allowed.err, "--allow-private-host metadata.test")) << allowed.err;
  // It names one host: a pattern or an address is an error, and nothing runs.
  for (const char* bad : {"*.corp.test", "10.0.0.5"}) {
    auto o = box.run("touch ran", {"--allow-private-host", bad});
    EXPECT_EQ(o.code, 2) << bad << ": " << o.err;
    EXPECT_TRUE(contains(o.err, "allow-private-host")) << o.err;
    EXPECT_FALSE(exists(box.ws / "ran"));
  }
  auto conflict = box.run("touch ran", {"--net", "off", "--allow-private-host", "corp.test"});
  EXPECT_EQ(conflict.code, 2) << conflict.err;
  EXPECT_FALSE(exists(box.ws / "ran"));
}

TEST(NetworkDev, ASocketPassedInFromOutsideReachesNothing) {
  SKIP_WITHOUT("python3");
  uint16_t udp_port = 0;
  int udp = listen_loopback(SOCK_DGRAM, udp_port);
  ASSERT_GE(udp, 0);
  NetBox box;
  // The caller's stdin is a UDP socket of the host's network namespace: the command may
  // read and write it as given, but not aim it (sendto, connect) at the host's loopback.
  const std::string inner =
      "import socket\n"
      "s = socket.socket(fileno=0)\n"
      "try: s.sendto(b'leak', ('127.0.0.1', " +
      std::to_string(udp_port) +
      ")); print('sent')\n"
      "except OSError as e: print('send refused', e.errno)\n"
      "try: s.connect(('127.0.0.1', " +
      std::to_string(udp_port) +
      ")); s.send(b'leak'); print('connected')\n"
      "except OSError as e: print('connect refused', e.errno)\n";
  const std::string outer =
      "import os, socket, sys\n"
      "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
      "os.dup2(s.fileno(), 0)\n"
      "os.execv(sys.argv[1], sys.argv[1:])\n";
  for (const std::vector<std::string>& net :
       {std::vector<std::string>{"--net", "off"}, std::vector<std::string>{"--allow-domain", "good.test"}}) {
    std::vector<std::string> argv = {"python3", "-c", outer, cordon_binary(), "run", "--no-config"};
    argv.insert(argv.end(), net.begin(), net.end());
    argv.insert(argv.end(), {"--", "python3", "-c", inner});
    auto o = run_process(argv, box.ws.path(), "", box.env());
    EXPECT_TRUE(contains(o.out, "send refused 13")) << net[0] << ": " << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "connect refused 13")) << net[0] << ": " << o.out << o.err;
  }
  EXPECT_FALSE(udp_received(udp, 300));
  ::close(udp);
}
