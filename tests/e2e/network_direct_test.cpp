// The proxied network's direct route (docs/network.md, "The direct route"): with
// --allow-domain, the sandbox's name server answers allowed names with addresses of
// cordon's own (198.18.0.0/15, 2001:2::/48), and a TCP connect to one is dialled by
// cordon outside and installed in place of the command's socket. Test servers on the
// host's loopback, fake names mapped to them by CORDON_TEST_RESOLVE; each check is made
// from outside: the server saw the connection, or saw nothing. Loopback only.
#include "e2e/net_servers.hpp"

using namespace cordon_test;

namespace {

const std::vector<std::string> kAllowGood = {"--allow-domain", "good.test"};

// Python run inside the sandbox; `script` is the program's text (no single quotes).
std::string py(const std::string& script) {
  return "python3 -c '" + script + "'";
}

}  // namespace

TEST(DirectRoute, AnAllowedNameIsReachedWithoutTheProxy) {
  SKIP_WITHOUT("python3");
  TestServer server(true);
  NetBox box;
  const std::string port = server.port_text();
  // The proxy variables are dropped: a tool that ignores them reaches the allowed name.
  auto o = box.run(
      "unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy; " +
          py("import socket, select\n"
             "infos = socket.getaddrinfo(\"good.test\", " +
             port +
             ", socket.AF_INET, socket.SOCK_STREAM)\n"
             "addr = infos[0][4][0]\n"
             "print(\"answered\", addr.startswith(\"198.18.\"))\n"
             "s = socket.create_connection((\"good.test\", " +
             port +
             "), timeout=10)\n"
             "print(\"peer\", s.getpeername()[0])\n"
             "s.sendall(b\"GET /blocking HTTP/1.1\\r\\nHost: good.test\\r\\n\\r\\n\")\n"
             "print(s.recv(4096).split(b\"\\r\\n\")[0].decode())\n"
             "s.close()\n"
             "n = socket.socket(); n.setblocking(False)\n"
             "n.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n"
             "rc = n.connect_ex((addr, " +
             port +
             "))\n"
             "select.select([], [n], [], 10)\n"
             "print(\"nonblocking\", rc in (0, 115), n.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR),"
             " n.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0)\n"
             "print(\"again\", n.connect_ex((addr, " +
             port +
             ")))\n"
             "n.setblocking(True)\n"
             "n.sendall(b\"GET /nonblocking HTTP/1.1\\r\\nHost: good.test\\r\\n\\r\\n\")\n"
             "print(n.recv(4096).split(b\"\\r\\n\")[0].decode())\n"
             "s6 = socket.socket(socket.AF_INET6)\n"
             "s6.settimeout(10)\n"
             "s6.connect((\"::ffff:\" + addr, " +
             port +
             "))\n"
             "s6.sendall(b\"GET /mapped HTTP/1.1\\r\\nHost: good.test\\r\\n\\r\\n\")\n"
             "print(s6.recv(4096).split(b\"\\r\\n\")[0].decode())\n"),
      kAllowGood);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "answered True\n")) << o.out;
  EXPECT_TRUE(contains(o.out, "peer 127.0.0.1\n")) << o.out;  // the socket cordon dialled
  EXPECT_TRUE(contains(o.out, "nonblocking True 0 True\n")) << o.out;
  EXPECT_TRUE(contains(o.out, "again 106\n")) << o.out;  // EISCONN, as the kernel says
  EXPECT_EQ(server.requests(),
            (std::vector<std::string>{"GET /blocking HTTP/1.1", "GET /nonblocking HTTP/1.1",
                                      "GET /mapped HTTP/1.1"}));
}

TEST(DirectRoute, CurlWithoutTheProxyReachesAnAllowedName) {
  SKIP_WITHOUT("curl");
  TestServer server(true);
  NetBox box;
  auto o =
      box.run("curl -sS -m 10 --noproxy '*' http://good.test:" + server.port_text() + "/direct", kAllowGood);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hello from the test server\n");
  EXPECT_EQ(server.requests(), std::vector<std::string>{"GET /direct HTTP/1.1"});
}

TEST(DirectRoute, NamesAndAddressesItDidNotAllowReachNothing) {
  SKIP_WITHOUT("python3");
  TestServer server(false);                            // good.test, bad.test: 127.0.0.1
  TestServer second(false, "", TestServer::V4Second);  // corp.test: 127.0.0.2
  uint16_t udp_port = 0;
  int udp = listen_loopback(SOCK_DGRAM, udp_port);
  ASSERT_GE(udp, 0);
  NetBox box;
  const std::string port = server.port_text(), port2 = second.port_text();
  auto o =
      box.run(py("import socket, time\n"
                 "def lookup(name):\n"
                 "  t = time.monotonic()\n"
                 "  try:\n"
                 "    a = socket.getaddrinfo(name, 80, socket.AF_INET)[0][4][0]\n"
                 "  except OSError as e:\n"
                 "    a = \"none\"\n"
                 "  print(name, a, \"fast\" if time.monotonic() - t < 2 else \"slow\")\n"
                 "  return a\n"
                 "for n in (\"bad.test\", \"private.test\", \"corp.test\", \"metadata.test\"): lookup(n)\n"
                 "def tcp(addr, port):\n"
                 "  s = socket.socket(); s.settimeout(5)\n"
                 "  try:\n"
                 "    s.connect((addr, port)); s.sendall(b\"x\\n\"); return \"connected\"\n"
                 "  except OSError as e:\n"
                 "    return e.__class__.__name__ + str(e.errno)\n"
                 "print(\"unanswered\", tcp(\"198.18.0.1\", " +
                 port +
                 "))\n"
                 "print(\"unanswered-top\", tcp(\"198.19.255.254\", " +
                 port +
                 "))\n"
                 "good = lookup(\"good.test\")\n"
                 "print(\"unanswered-next\", tcp(\"198.18.0.200\", " +
                 port +
                 "))\n"
                 "print(\"v6-unanswered\", (lambda s: s.connect_ex((\"2001:2::77\", " +
                 port +
                 "))) (socket.socket(socket.AF_INET6)))\n"
                 "print(\"loopback-inside\", tcp(\"127.0.0.2\", " +
                 port2 +
                 "))\n"
                 "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                 "try:\n"
                 "  u.connect((good, " +
                 std::to_string(udp_port) +
                 ")); u.send(b\"leak\"); print(\"udp sent\")\n"
                 "except OSError as e:\n"
                 "  print(\"udp\", e.errno)\n"
                 "try:\n"
                 "  u.sendto(b\"leak\", (good, " +
                 std::to_string(udp_port) +
                 "))\n"
                 "except OSError as e:\n"
                 "  print(\"udp sendto\", e.errno)\n"
                 "print(\"allowed\", tcp(good, " +
                 port + "))\n"),
              {"--allow-domain", "good.test", "--allow-domain", "private.test", "--allow-domain", "corp.test",
               "--allow-domain", "metadata.test", "--json"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  for (const char* s :
       {"bad.test none fast", "private.test none fast", "corp.test none fast", "metadata.test none fast",
        "unanswered OSError101", "unanswered-top OSError101", "unanswered-next OSError101",
        "v6-unanswered 101", "loopback-inside ConnectionRefusedError111", "allowed connected"})
    EXPECT_TRUE(contains(o.out, s)) << s << "\n" << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "udp sent")) << o.out;
  EXPECT_FALSE(udp_received(udp, 300));
  ::close(udp);
  // Only the allowed connection arrived; the 127.0.0.2 server saw nothing.
  EXPECT_EQ(server.requests(), std::vector<std::string>{"x\n"});
  EXPECT_TRUE(second.requests().empty());
  // The refusals are denials of the run: a name not allowed (with the option that allows
  // it), one resolving to a private address, an address the name server never gave.
  EXPECT_TRUE(contains(o.err, "\"suggestion\":\"--allow-domain bad.test\"")) << o.err;
  EXPECT_TRUE(contains(o.err, "resolves to a private address (10.0.0.5)")) << o.err;
  EXPECT_TRUE(contains(o.err, "\"suggestion\":\"--allow-private-host private.test\"")) << o.err;
  EXPECT_TRUE(contains(o.err, "resolves to a cloud metadata address")) << o.err;
  EXPECT_TRUE(contains(o.err, "198.18.0.200:" + port)) << o.err;
}

// The broker reads the address once and dials exactly what it read: another thread
// rewriting the sockaddr between an allowed address and a forbidden one (the second
// server's 127.0.0.2, which inside is the namespace's own loopback), and a third moving
// a UDP socket and a unix socket onto the connecting number, never get a connection to
// the second server. Both as root and as an unprivileged user (scripts/test.sh).
TEST(DirectRoute, ARacingRewriteOrDup2NeverReachesAnotherAddress) {
  SKIP_WITHOUT("python3");
  TestServer server(false);
  TestServer second(false, "", TestServer::V4Second);
  NetBox box;
  const std::string port = server.port_text(), port2 = second.port_text();
  auto o = box.run(py("import ctypes, os, socket, struct, threading\n"
                      "libc = ctypes.CDLL(None, use_errno=True)\n"
                      "good = socket.getaddrinfo(\"good.test\", 80, socket.AF_INET)[0][4][0]\n"
                      "def sin(addr, port): return struct.pack(\"!HH4s8x\", socket.AF_INET, port, "
                      "socket.inet_aton(addr))\n"
                      "sin = [sin(good, " +
                      port + "), sin(\"127.0.0.2\", " + port2 + "), sin(\"198.18.0.99\", " + port2 +
                      ")]\n"
                      "sin = [bytes([b[1], b[0]]) + b[2:] for b in sin]  # sa_family in host order\n"
                      "buf = ctypes.create_string_buffer(sin[0], 16)\n"
                      "stop = False\n"
                      "target = [-1]\n"
                      "def flip():\n"
                      "  i = 0\n"
                      "  while not stop:\n"
                      "    ctypes.memmove(buf, sin[i % 3], 16); i += 1\n"
                      "def swap():\n"
                      "  u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                      "  x = socket.socket(socket.AF_UNIX)\n"
                      "  i = 0\n"
                      "  while not stop:\n"
                      "    if target[0] >= 0:\n"
                      "      try: os.dup2((u, x)[i % 2].fileno(), target[0])\n"
                      "      except OSError: pass\n"
                      "    i += 1\n"
                      "threads = [threading.Thread(target=flip), threading.Thread(target=swap)]\n"
                      "for t in threads: t.start()\n"
                      "ok = 0\n"
                      "for i in range(400):\n"
                      "  try:\n"
                      "    s = socket.socket()\n"
                      "    target[0] = s.fileno() if i % 2 else -1\n"
                      "    rc = libc.connect(s.fileno(), buf, 16)\n"
                      "    target[0] = -1\n"
                      "    s.settimeout(2)\n"
                      "    if rc == 0:\n"
                      "      s.sendall(b\"r\\n\"); s.recv(16); ok += 1\n"
                      "  except OSError: pass\n"
                      "  s.close()\n"
                      "stop = True\n"
                      "for t in threads: t.join()\n"
                      "print(\"done\", ok)\n"),
                   kAllowGood);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "done ")) << o.out << o.err;
  EXPECT_TRUE(second.requests().empty()) << second.requests().size();
  EXPECT_FALSE(server.requests().empty()) << o.out;  // the allowed address was read and dialled too
  for (const auto& r : server.requests()) EXPECT_TRUE(r == "r\n" || r.empty()) << r;
}

TEST(DirectRoute, TheProxyStillWorksBesideIt) {
  SKIP_WITHOUT("curl");
  TestServer server(true);
  NetBox box;
  auto o = box.run("curl -sS -m 10 http://good.test:" + server.port_text() + "/via-proxy", kAllowGood);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(server.requests(), std::vector<std::string>{"GET /via-proxy HTTP/1.1"});
}

TEST(DirectRoute, AnIpv6NameIsAnsweredInItsOwnRangeAndDialledOverIpv6) {
  SKIP_WITHOUT("python3");
  if (!host_has_ipv6_loopback()) GTEST_SKIP() << "this host has no IPv6 loopback (::1)";
  TestServer server(true, "hello over IPv6\n", TestServer::V6);  // v6.test: ::1
  NetBox box;
  const std::string port = server.port_text();
  auto o = box.run(py("import socket\n"
                      "a = socket.getaddrinfo(\"v6.test\", " +
                      port +
                      ", socket.AF_INET6, socket.SOCK_STREAM)[0][4][0]\n"
                      "print(\"answered\", a.startswith(\"2001:2:\"))\n"
                      "print(\"no A record\", socket.getaddrinfo(\"v6.test\", 80)[0][0] == socket.AF_INET6)\n"
                      "s = socket.socket(socket.AF_INET6); s.settimeout(10); s.connect((a, " +
                      port +
                      "))\n"
                      "print(\"peer\", s.getpeername()[0])\n"
                      "s.sendall(b\"GET /v6 HTTP/1.1\\r\\nHost: v6.test\\r\\n\\r\\n\")\n"
                      "print(s.recv(4096).split(b\"\\r\\n\")[0].decode())\n"),
                   {"--allow-domain", "v6.test"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "answered True\n")) << o.out;
  EXPECT_TRUE(contains(o.out, "no A record True\n")) << o.out;
  EXPECT_TRUE(contains(o.out, "peer ::1\n")) << o.out;
  EXPECT_EQ(server.requests(), std::vector<std::string>{"GET /v6 HTTP/1.1"});
}
