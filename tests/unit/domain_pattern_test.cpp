// Host names, domain patterns and IP literals as patterns (ip_address_test.cpp has the
// address table).
#include "core/domain_pattern.hpp"

#include <gtest/gtest.h>

namespace cordon {
namespace {

struct HostCase {
  const char* in;
  const char* out;  // nullptr: rejected
};

TEST(DomainPattern, NormalizeHostTable) {
  const HostCase cases[] = {
      {"example.com", "example.com"},
      {"Example.COM.", "example.com"},
      {"registry.npmjs.org", "registry.npmjs.org"},
      {"_dmarc.example.com", "_dmarc.example.com"},
      {"bücher.example", "xn--bcher-kva.example"},
      {"BÜCHER.example", "xn--bcher-kva.example"},
      {"münchen.de", "xn--mnchen-3ya.de"},
      {"中文.example", "xn--fiq228c.example"},
      {"xn--bcher-kva.example", "xn--bcher-kva.example"},
      {"ПРИМЕР.рф", "xn--e1afmkfd.xn--p1ai"},
      {"127.0.0.1", "127.0.0.1"},
      {"[::1]", "::1"},
      {"FD00:EC2::254", "fd00:ec2::254"},
      {"::ffff:10.0.0.1", "::ffff:10.0.0.1"},
      {"", nullptr},
      {".", nullptr},
      {"a..b", nullptr},
      {".example.com", nullptr},
      {"-bad.example", nullptr},
      {"bad-.example", nullptr},
      {"exa mple.com", nullptr},
      {"exa\tmple.com", nullptr},
      {"example.com/path", nullptr},
      {"user@example.com", nullptr},
      {"example.com:80", nullptr},
      {"127.1", nullptr},
      {"0x7f.0.0.1", nullptr},
      {"2130706433", nullptr},
      {"127.0.0.01", nullptr},
      {"256.1.1.1", nullptr},
      {"a.0x1", nullptr},
      {"bad\xff.example", nullptr},
      {"over\xc0\xaflong.example", nullptr},
      {"trunc\xc3", nullptr},
      {"dot\xe3\x80\x82"
       "example.com",
       nullptr},  // U+3002 ideographic full stop
      {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", nullptr},  // 64
  };
  for (const auto& c : cases) {
    auto r = normalize_host(c.in);
    if (c.out) {
      ASSERT_TRUE(r) << c.in << ": " << r.error().message();
      EXPECT_EQ(*r, c.out) << c.in;
    } else {
      EXPECT_FALSE(r) << c.in << " accepted as " << *r;
    }
  }
}

TEST(DomainPattern, LongNamesAreBounded) {
  std::string name;
  for (int i = 0; i < 50; ++i) name += "abcd.";
  name += "com";  // 253 characters
  EXPECT_TRUE(normalize_host(name));
  EXPECT_FALSE(normalize_host("x" + name));
}

TEST(DomainPattern, PunycodeVectors) {
  EXPECT_EQ(punycode_encode(U"bücher"), "bcher-kva");
  EXPECT_EQ(punycode_encode(U"münchen-ost"), "mnchen-ost-9db");
  EXPECT_EQ(punycode_encode(U"π"), "1xa");
  EXPECT_EQ(punycode_encode(U"ñandú"), "and-6ma2c");
  // RFC 3492 section 7.1 (A): Arabic (Egyptian).
  EXPECT_EQ(punycode_encode(U"\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639"
                            U"\u0631\u0628\u064A\u061F"),
            "egbpdaj6bu4bxfgehfvwxn");
}

struct PatternCase {
  const char* pattern;
  const char* host;
  bool match;
};

TEST(DomainPattern, MatchTable) {
  const PatternCase cases[] = {
      {"example.com", "example.com", true},
      {"example.com", "www.example.com", false},
      {"EXAMPLE.com.", "example.com", true},
      {"*.example.com", "www.example.com", true},
      {"*.example.com", "a.b.example.com", true},
      {"*.example.com", "example.com", false},
      {"*.example.com", "badexample.com", false},
      {"*.example.com", "example.com.evil.net", false},
      {"*.bücher.example", "shop.xn--bcher-kva.example", true},
      {"10.0.0.5", "10.0.0.5", true},
      {"10.0.0.5", "10.0.0.6", false},
      {"[::1]", "::1", true},
  };
  for (const auto& c : cases) {
    auto p = parse_domain_pattern(c.pattern);
    ASSERT_TRUE(p) << c.pattern << ": " << p.error().message();
    EXPECT_EQ(p->matches(c.host), c.match) << c.pattern << " vs " << c.host;
  }
}

TEST(DomainPattern, RejectedPatterns) {
  for (const char* bad : {"*", "*.", "*.com", "a.*.com", "*example.com", "**.example.com", "example.com:443",
                          "*.10.0.0.1", "exa mple.com", "", "http://example.com"}) {
    auto p = parse_domain_pattern(bad);
    EXPECT_FALSE(p) << "'" << bad << "' accepted";
    if (!p) {
      EXPECT_NE(p.error().message().find(bad), std::string::npos) << p.error().message();
    }
  }
}

TEST(DomainPattern, DenyWinsOverAllow) {
  auto f = DomainFilter::build({"*.example.com", "example.com"}, {"secret.example.com"});
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->decide("www.example.com"), DomainVerdict::Allowed);
  EXPECT_EQ(f->decide("example.com"), DomainVerdict::Allowed);
  EXPECT_EQ(f->decide("secret.example.com"), DomainVerdict::Denied);
  EXPECT_EQ(f->decide("other.org"), DomainVerdict::NotAllowed);
  auto g = DomainFilter::build({"*.example.com"}, {"*.example.com"});
  ASSERT_TRUE(g);
  EXPECT_EQ(g->decide("a.example.com"), DomainVerdict::Denied);
}

TEST(DomainPattern, ExplicitAddressPermission) {
  auto f = DomainFilter::build({"10.0.0.5", "example.com"}, {});
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->allows_address(*parse_ip_literal("10.0.0.5")));
  EXPECT_FALSE(f->allows_address(*parse_ip_literal("10.0.0.6")));
}

TEST(DomainPattern, Ipv6Literals) {
  for (const char* ok :
       {"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1::8", "::ffff:1.2.3.4", "64:ff9b::1.2.3.4", "[fe80::1]"})
    EXPECT_TRUE(parse_ip_literal(ok)) << ok;
  for (const char* bad : {":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "1:", ":1", "fe80::1%eth0",
                          "1.2.3.4::", "::1.2.3", "g::1"})
    EXPECT_FALSE(parse_ip_literal(bad)) << bad;
}

}  // namespace
}  // namespace cordon
