// The proxy's request parsers (HTTP CONNECT / absolute URI, SOCKS5) and the network plan.
#include "core/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "plan/landlock_abi.hpp"
#include "plan/linux_planner.hpp"
#include "plan/net_plan.hpp"

namespace cordon {
namespace {

TEST(HttpProxyRequest, ConnectTable) {
  struct Case {
    const char* head;
    ParseState state;
    const char* host;
    uint16_t port;
  };
  const Case cases[] = {
      {"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", ParseState::Done, "example.com",
       443},
      {"CONNECT [::1]:8443 HTTP/1.1\r\n\r\n", ParseState::Done, "::1", 8443},
      {"CONNECT 10.0.0.5:22 HTTP/1.0\r\n\r\n", ParseState::Done, "10.0.0.5", 22},
      {"CONNECT example.com HTTP/1.1\r\n\r\n", ParseState::Bad, "", 0},
      {"CONNECT example.com:0 HTTP/1.1\r\n\r\n", ParseState::Bad, "", 0},
      {"CONNECT example.com:65536 HTTP/1.1\r\n\r\n", ParseState::Bad, "", 0},
      {"CONNECT ::1:443 HTTP/1.1\r\n\r\n", ParseState::Bad, "", 0},
      {"CONNECT example.com:443 HTTP/1.1\r\n", ParseState::NeedMore, "", 0},
      {"CONNECT  example.com:443 HTTP/1.1\r\n\r\n", ParseState::Bad, "", 0},
  };
  for (const auto& c : cases) {
    auto r = parse_http_proxy_request(c.head);
    EXPECT_EQ(r.state, c.state) << c.head;
    if (c.state != ParseState::Done) continue;
    EXPECT_TRUE(r.connect);
    EXPECT_EQ(r.host, c.host);
    EXPECT_EQ(r.port, c.port);
    EXPECT_EQ(r.consumed, std::string(c.head).size());
  }
}

TEST(HttpProxyRequest, AbsoluteUriIsRewrittenToOriginForm) {
  const std::string head =
      "GET http://Example.com:8080/a/b?q=1#frag HTTP/1.1\r\nHost: Example.com:8080\r\nProxy-Connection: "
      "keep-alive\r\n"
      "Proxy-Authorization: Basic eA==\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\nBODY";
  auto r = parse_http_proxy_request(head);
  ASSERT_EQ(r.state, ParseState::Done) << r.error;
  EXPECT_FALSE(r.connect);
  EXPECT_EQ(r.host, "Example.com");
  EXPECT_EQ(r.port, 8080);
  EXPECT_EQ(r.forward_head,
            "GET /a/b?q=1 HTTP/1.1\r\nHost: Example.com:8080\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.substr(r.consumed), "BODY");
}

TEST(HttpProxyRequest, DefaultsAndRefusals) {
  auto r = parse_http_proxy_request("GET http://example.com HTTP/1.0\r\n\r\n");
  ASSERT_EQ(r.state, ParseState::Done);
  EXPECT_EQ(r.port, 80);
  EXPECT_EQ(r.forward_head, "GET / HTTP/1.0\r\nHost: example.com\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(parse_http_proxy_request("GET /relative HTTP/1.1\r\n\r\n").state, ParseState::Bad);
  EXPECT_EQ(parse_http_proxy_request("GET https://example.com/ HTTP/1.1\r\n\r\n").state, ParseState::Bad);
  EXPECT_EQ(parse_http_proxy_request("GET http://user:pw@example.com/ HTTP/1.1\r\n\r\n").state,
            ParseState::Bad);
  EXPECT_EQ(parse_http_proxy_request("GET http://example.com/ HTTP/1.1\r\nBad header\r\n\r\n").state,
            ParseState::Bad);
  EXPECT_EQ(parse_http_proxy_request(std::string(kMaxRequestHead + 10, 'a')).state, ParseState::Bad);
}

TEST(Socks5, GreetingAndRequests) {
  auto g = parse_socks_greeting(std::string("\x05\x02\x02\x00", 4));
  ASSERT_EQ(g.state, ParseState::Done);
  EXPECT_TRUE(g.no_auth_offered);
  EXPECT_EQ(g.consumed, 4u);
  EXPECT_FALSE(parse_socks_greeting(std::string("\x05\x01\x02", 3)).no_auth_offered);
  EXPECT_EQ(parse_socks_greeting(std::string("\x04\x01", 2)).state, ParseState::Bad);
  EXPECT_EQ(parse_socks_greeting(std::string("\x05\x02\x00", 3)).state, ParseState::NeedMore);

  auto d =
      parse_socks_request(std::string("\x05\x01\x00\x03\x0b"
                                      "example.com"
                                      "\x01\xbb",
                                      18));
  ASSERT_EQ(d.state, ParseState::Done);
  EXPECT_EQ(d.host, "example.com");
  EXPECT_EQ(d.port, 443);
  auto v4 = parse_socks_request(std::string("\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50", 10));
  ASSERT_EQ(v4.state, ParseState::Done);
  EXPECT_EQ(v4.host, "127.0.0.1");
  EXPECT_EQ(v4.port, 80);
  std::string six("\x05\x01\x00\x04", 4);
  six += std::string(15, '\0') + "\x01" + std::string("\x1f\x90", 2);
  auto v6 = parse_socks_request(six);
  ASSERT_EQ(v6.state, ParseState::Done);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8080);
  auto bind = parse_socks_request(std::string("\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x50", 10));
  EXPECT_EQ(bind.state, ParseState::Bad);
  EXPECT_EQ(bind.reply_on_error, 0x07);
  EXPECT_EQ(parse_socks_request(std::string("\x05\x01\x00\x05\x00\x00", 6)).reply_on_error, 0x08);
  EXPECT_EQ(parse_socks_request(std::string("\x05\x01\x00\x03\x0b"
                                            "example",
                                            12))
                .state,
            ParseState::NeedMore);
  EXPECT_EQ(socks_reply(0).size(), 10u);
}

Policy proxy_policy(std::vector<uint16_t> ports = {}) {
  Policy p;
  p.workspace = "/w";
  p.net.mode = NetMode::Proxy;
  p.net.allow_domains = {"example.com"};
  p.net.allow_localhost_ports = std::move(ports);
  return p;
}

TEST(NetPlan, PortsAvoidForwardedPorts) {
  auto n = plan_network(proxy_policy(), true);
  EXPECT_TRUE(n.proxied);
  EXPECT_EQ(n.http_port, 3128);
  EXPECT_EQ(n.socks_port, 1080);
  auto m = plan_network(proxy_policy({3128, 1080, 1081}), true);
  EXPECT_EQ(m.http_port, 3129);
  EXPECT_EQ(m.socks_port, 1082);
  EXPECT_FALSE(plan_network(proxy_policy(), false).proxied);
  Policy on = proxy_policy();
  on.net.mode = NetMode::On;
  EXPECT_FALSE(plan_network(on, true).proxied);
}

// Evaluates a rule list the way the BPF program does: the first rule whose
// comparisons all hold refuses the call with its errno (0: allowed).
int refused_with(const std::vector<SeccompRule>& rules, const std::string& call, std::array<uint64_t, 4> a) {
  auto holds = [&](const SeccompArg& c) {
    const uint64_t v = a[c.arg];
    switch (c.check) {
      case ArgCheck::None:
        return true;
      case ArgCheck::MaskedEq:
        return (v & c.mask) == c.value;
      case ArgCheck::NotEq:
        return v != c.value;
      case ArgCheck::Eq:
        return v == c.value;
      case ArgCheck::Gt:
        return v > c.value;
    }
    return false;
  };
  for (const auto& r : rules)
    if (r.syscall == call && holds({r.check, r.arg, r.mask, r.value}) && holds(r.also)) return r.errno_value;
  return 0;
}

// Which socket families each network mode lets the command create (socket(family, type,
// protocol)); route netlink everywhere (listing interfaces), other netlink nowhere.
TEST(NetPlan, SocketFamiliesByMode) {
  constexpr uint64_t kUnix = 1, kInet = 2, kInet6 = 10, kNetlink = 16, kStream = 1, kRaw = 3;
  constexpr uint64_t kRoute = 0, kSockDiag = 4, kAudit = 9;
  Policy off = proxy_policy();
  off.net.mode = NetMode::Off;
  struct Case {
    const char* name;
    std::vector<SeccompRule> rules;
    bool inet;
  };
  const Case cases[] = {
      {"off, own namespace", network_seccomp_rules(off, true), true},
      {"proxied, own namespace", network_seccomp_rules(proxy_policy(), true), true},
      {"off, no namespace", network_seccomp_rules(off, false), false},
      {"proxied, no namespace, no host proxy", network_seccomp_rules(proxy_policy(), false), false},
      {"proxied on the host", network_seccomp_rules(proxy_policy(), false, true), true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(refused_with(c.rules, "socket", {kUnix, kStream, 0, 0}), 0) << c.name;
    for (uint64_t family : {kInet, kInet6})
      EXPECT_EQ(refused_with(c.rules, "socket", {family, kStream, 0, 0}) == 0, c.inet) << c.name << family;
    EXPECT_EQ(refused_with(c.rules, "socket", {kNetlink, kRaw, kRoute, 0}), 0) << c.name;
    for (uint64_t protocol : {kSockDiag, kAudit, uint64_t{1} << 32})
      EXPECT_NE(refused_with(c.rules, "socket", {kNetlink, kRaw, protocol, 0}), 0) << c.name << protocol;
    for (uint64_t family : std::initializer_list<uint64_t>{0, 3, 4, 5, 9, 11, 15, 17 /* packet */, 30,
                                                           40 /* vsock */, 45, uint64_t{1} << 31})
      EXPECT_NE(refused_with(c.rules, "socket", {family, kStream, 0, 0}), 0) << c.name << " " << family;
    EXPECT_NE(refused_with(c.rules, "socketpair", {kInet, kStream, 0, 0}), 0) << c.name;
  }
  Policy on = proxy_policy();
  on.net.mode = NetMode::On;
  EXPECT_TRUE(network_seccomp_rules(on, true).empty());
}

TEST(NetPlan, OnTheHostOnlyTcpSocketsAreAllowed) {
  constexpr uint64_t kUnix = 1, kInet = 2, kInet6 = 10, kStream = 1, kDgram = 2, kRaw = 3, kSeqpacket = 5;
  constexpr uint64_t kNonblockCloexec = 0x800 | 0x80000;
  auto rules = network_seccomp_rules(proxy_policy(), false, /*host_proxy=*/true);
  for (uint64_t family : {kInet, kInet6}) {
    EXPECT_EQ(refused_with(rules, "socket", {family, kStream, 0, 0}), 0) << family;
    EXPECT_EQ(refused_with(rules, "socket", {family, kStream | kNonblockCloexec, 6, 0}), 0) << family;
    for (uint64_t type : {uint64_t{0}, kDgram, kRaw, uint64_t{4}, kSeqpacket, uint64_t{6}, uint64_t{10}})
      EXPECT_EQ(refused_with(rules, "socket", {family, type | kNonblockCloexec, 0, 0}), 13) << type;
    for (uint64_t protocol : {1, 5, 17, 132 /* SCTP */, 136 /* UDP-lite */, 262 /* MPTCP */})
      EXPECT_EQ(refused_with(rules, "socket", {family, kStream, protocol, 0}), 13) << protocol;
  }
  EXPECT_EQ(refused_with(rules, "socket", {kUnix, kDgram, 0, 0}), 0);
  for (uint64_t family :
       {0, 17 /* packet */, 30 /* TIPC */, 40 /* vsock */})  // netlink: SocketFamiliesByMode
    EXPECT_NE(refused_with(rules, "socket", {family, kStream, 0, 0}), 0) << family;
  EXPECT_EQ(refused_with(rules, "socketpair", {kUnix, kStream, 0, 0}), 0);
  EXPECT_NE(refused_with(rules, "socketpair", {30, kSeqpacket, 0, 0}), 0);
  // TCP Fast Open would connect without connect(), where Landlock checks the port.
  EXPECT_EQ(refused_with(rules, "sendto", {3, 0, 10, 0x20000000}), 13);
  EXPECT_EQ(refused_with(rules, "sendmsg", {3, 0, 0x20000000, 0}), 13);
  EXPECT_EQ(refused_with(rules, "sendto", {3, 0, 10, 0x4000 /* MSG_NOSIGNAL */}), 0);
  // With namespaces, UDP stays allowed (it has nowhere to go there).
  EXPECT_EQ(refused_with(network_seccomp_rules(proxy_policy(), true), "socket", {kInet, kDgram, 0, 0}), 0);
}

TEST(NetPlan, OnTheHostTheProxyPortsAreChosenAtRunTime) {
  auto n = plan_network(proxy_policy({5432}), false, /*host_proxy=*/true);
  EXPECT_TRUE(n.proxied);
  EXPECT_TRUE(n.on_host);
  EXPECT_EQ(n.http_port, 0);
  EXPECT_EQ(n.socks_port, 0);
  // Before the supervisor binds: only the --allow-localhost port, no environment.
  auto before = landlock_port_rules(n);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].port, 5432);
  EXPECT_TRUE(proxy_environment(n, "").empty());
  n.http_port = 40001, n.socks_port = 40002;
  auto after = landlock_port_rules(n);
  ASSERT_EQ(after.size(), 3u);
  for (const auto& r : after) EXPECT_EQ(r.access, landlock::kNetConnectTcp) << r.port;  // never bind
  EXPECT_EQ(after[0].port, 40001);
  EXPECT_EQ(after[1].port, 40002);
  auto env = proxy_environment(n, "");
  EXPECT_NE(std::find(env.begin(), env.end(),
                      std::make_pair(std::string("HTTP_PROXY"), std::string("http://127.0.0.1:40001"))),
            env.end());
  EXPECT_NE(std::find(env.begin(), env.end(),
                      std::make_pair(std::string("ALL_PROXY"), std::string("socks5h://127.0.0.1:40002"))),
            env.end());
  // No host proxy support: no proxy at all (the planner reports it missing).
  EXPECT_FALSE(plan_network(proxy_policy(), false, false).proxied);
  EXPECT_TRUE(landlock_port_rules(plan_network(proxy_policy(), true)).empty());
}

TEST(NetPlan, EnvironmentPointsEveryToolAtTheProxies) {
  auto n = plan_network(proxy_policy(), true);
  auto env = proxy_environment(n, "-Xmx1g");
  auto get = [&](const std::string& k) {
    for (const auto& [name, value] : env)
      if (name == k) return value;
    return std::string("<unset>");
  };
  for (const char* k : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "npm_config_proxy",
                        "npm_config_https_proxy", "PIP_PROXY", "CARGO_HTTP_PROXY", "YARN_HTTPS_PROXY"})
    EXPECT_EQ(get(k), "http://127.0.0.1:3128") << k;
  EXPECT_EQ(get("ALL_PROXY"), "socks5h://127.0.0.1:1080");
  EXPECT_EQ(get("all_proxy"), "socks5h://127.0.0.1:1080");
  EXPECT_EQ(get("NO_PROXY"), "localhost,127.0.0.1,::1");
  EXPECT_EQ(get("no_proxy"), "localhost,127.0.0.1,::1");
  EXPECT_EQ(get("JAVA_TOOL_OPTIONS").rfind("-Xmx1g -Dhttp.proxyHost=127.0.0.1", 0), 0u);
  EXPECT_EQ(get("npm_config_fetch_retries"), "<unset>");
  // No way out (network off, or proxied where it cannot run): only npm's retries are
  // turned off (they cannot succeed); --net on and full access leave the environment alone.
  const std::vector<std::pair<std::string, std::string>> offline = {{"npm_config_fetch_retries", "0"}};
  EXPECT_EQ(proxy_environment(plan_network(proxy_policy(), false), ""), offline);
  Policy off = proxy_policy();
  off.net.mode = NetMode::Off;
  EXPECT_EQ(proxy_environment(plan_network(off, true), ""), offline);
  EXPECT_EQ(proxy_environment(plan_network(off, false), ""), offline);
  off.mode = Mode::FullAccess;
  EXPECT_TRUE(proxy_environment(plan_network(off, true), "").empty());
  Policy on = proxy_policy();
  on.net.mode = NetMode::On;
  EXPECT_TRUE(proxy_environment(plan_network(on, true), "").empty());
}

}  // namespace
}  // namespace cordon
