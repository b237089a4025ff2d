// The proxied network mode over IPv6, on loopback only: the proxy's listeners on ::1
// inside the sandbox, an upstream test server on the host's ::1 reached through an
// allowed fake name (mapped to ::1 by CORDON_TEST_RESOLVE, where loopback counts as
// allowed, as for 127.0.0.1), IPv6 literals, and the SSRF guard on IPv6 answers.
#include "e2e/net_servers.hpp"

using namespace cordon_test;

namespace {

#define SKIP_WITHOUT_IPV6() \
  if (!host_has_ipv6_loopback()) GTEST_SKIP() << "this host has no IPv6 loopback (::1)"

}  // namespace

TEST(NetworkIpv6, ProxyListensOnV6LoopbackAndReachesAV6Server) {
  SKIP_WITHOUT("curl");
  SKIP_WITHOUT_IPV6();
  TestServer server(true, "hello over IPv6\n", TestServer::V6);
  ASSERT_TRUE(server.ok());
  NetBox box;
  const std::string url = "http://v6.test:" + server.port_text();
  // The HTTP proxy and SOCKS5 on [::1] inside (ports from the plan: 3128 and 1080).
  auto o = box.run("curl -sS -m 10 -x 'http://[::1]:3128' " + url + "/http; echo http=$?; " +
                       "curl -sS -m 10 -x 'socks5h://[::1]:1080' " + url + "/socks; echo socks=$?",
                   {"--allow-domain", "v6.test"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hello over IPv6\nhttp=0\nhello over IPv6\nsocks=0\n") << o.err;
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"GET /http HTTP/1.1", "GET /socks HTTP/1.1"}));
}

TEST(NetworkIpv6, LiteralNeedsAnAllowPatternForThatAddress) {
  SKIP_WITHOUT("curl");
  SKIP_WITHOUT_IPV6();
  TestServer server(true, "literal\n", TestServer::V6);
  ASSERT_TRUE(server.ok());
  NetBox box;
  // NO_PROXY lists ::1, so curl is told to use the proxy for it explicitly.
  const std::string script =
      "curl -sS -f -m 10 -g --noproxy '' -x \"$HTTP_PROXY\" http://[::1]:" + server.port_text() +
      "/; echo code=$?";
  auto refused = box.run(script, {"--allow-domain", "v6.test"});
  EXPECT_TRUE(contains(refused.out, "code=22")) << refused.out << refused.err;
  EXPECT_TRUE(server.requests().empty());
  // IPv6 hosts are written in brackets in the summary.
  EXPECT_TRUE(contains(refused.err, "[::1]:" + server.port_text() + " (IP address not allowed"))
      << refused.err;
  auto allowed = box.run(script, {"--allow-domain", "::1"});
  EXPECT_TRUE(contains(allowed.out, "literal\ncode=0")) << allowed.out << allowed.err;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(NetworkIpv6, NamesResolvingToSpecialV6AddressesAreRefused) {
  SKIP_WITHOUT("curl");
  NetBox box;
  // ula.test -> fd00::5 (unique local), mapped.test -> ::ffff:10.0.0.5 (IPv4-mapped,
  // judged as 10.0.0.5). Neither is loopback, so the test override does not help.
  auto o = box.run(
      "curl -sS -f -m 10 http://ula.test:8080/; echo ula=$?; "
      "curl -sS -f -m 10 http://mapped.test:8080/; echo mapped=$?",
      {"--allow-domain", "ula.test", "--allow-domain", "mapped.test", "--report-denials", "full"});
  EXPECT_TRUE(contains(o.out, "ula=22")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "mapped=22")) << o.out << o.err;
  EXPECT_TRUE(contains(o.err, "ula.test:8080 (resolves to a private address (fd00::5))")) << o.err;
  EXPECT_TRUE(contains(o.err, "mapped.test:8080 (resolves to a private address (::ffff:10.0.0.5))")) << o.err;
}

TEST(NetworkIpv6, AllowLocalhostPortIsForwardedFromV6Loopback) {
  SKIP_WITHOUT("curl");
  SKIP_WITHOUT_IPV6();
  TestServer server(true, "forwarded\n");  // the host's 127.0.0.1
  NetBox box;
  auto o = box.run("curl -sS -m 10 -g --noproxy '*' http://[::1]:" + server.port_text() + "/v6",
                   {"--allow-localhost", server.port_text()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "forwarded\n");
  EXPECT_EQ(server.requests(), std::vector<std::string>{"GET /v6 HTTP/1.1"});
}
