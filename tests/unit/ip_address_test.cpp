// IP literals, their text form (RFC 5952) and the special-use table behind the
// proxy's SSRF guard.
#include "core/ip_address.hpp"

#include <gtest/gtest.h>

namespace cordon {
namespace {

struct TextCase {
  const char* in;
  const char* out;  // nullptr: not an IP literal
};

TEST(IpAddress, ParseAndCanonicalText) {
  const TextCase cases[] = {
      {"127.0.0.1", "127.0.0.1"},
      {"::1", "::1"},
      {"[::1]", "::1"},
      {"::", "::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"FD00:EC2:0:0:0:0:0:254", "fd00:ec2::254"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // the first of two equal runs
      {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},       // the longest run
      {"2001:db8:0:1:2:3:4:5", "2001:db8:0:1:2:3:4:5"},  // one zero group stays
      {"1::", "1::"},
      {"::ffff:10.0.0.1", "::ffff:10.0.0.1"},
      {"::ffff:a00:1", "::ffff:10.0.0.1"},
      {"64:ff9b::10.0.0.1", "64:ff9b::a00:1"},
      {"fe80::1%eth0", nullptr},
      {"1.2.3", nullptr},
      {"01.2.3.4", nullptr},
      {"1:2:3:4:5:6:7:8:9", nullptr},
      {"1::2::3", nullptr},
      {":1", nullptr},
      {"1:", nullptr},
      {"[::1", nullptr},
      {"example.com", nullptr},
  };
  for (const auto& c : cases) {
    auto a = parse_ip_literal(c.in);
    if (!c.out) {
      EXPECT_FALSE(a) << c.in;
      continue;
    }
    ASSERT_TRUE(a) << c.in;
    EXPECT_EQ(a->to_string(), c.out) << c.in;
    auto back = parse_ip_literal(a->to_string());
    ASSERT_TRUE(back) << c.out;
    EXPECT_EQ(*back, *a) << c.out;
  }
}

struct AddressCase {
  const char* address;
  const char* reason;  // "" = an ordinary public address
};

TEST(IpAddress, SpecialUseTable) {
  const AddressCase cases[] = {
      // IPv4
      {"8.8.8.8", ""},
      {"93.184.216.34", ""},
      {"0.0.0.0", "unspecified"},
      {"0.1.2.3", "unspecified"},
      {"127.0.0.1", "loopback"},
      {"127.255.1.2", "loopback"},
      {"10.0.0.5", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"172.32.0.1", ""},
      {"192.168.1.1", "private"},
      {"169.254.1.1", "link-local"},
      {"169.254.169.254", "cloud metadata"},
      {"100.100.100.200", "cloud metadata"},
      {"100.64.0.1", "carrier-grade NAT"},
      {"100.127.255.255", "carrier-grade NAT"},
      {"100.128.0.1", ""},
      {"192.0.0.8", "reserved"},
      {"192.0.2.1", "reserved"},
      {"198.51.100.7", "reserved"},
      {"203.0.113.9", "reserved"},
      {"192.88.99.1", "reserved"},
      {"198.18.0.1", "reserved"},
      {"198.19.255.255", "reserved"},
      {"198.20.0.1", ""},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"240.0.0.1", "reserved"},
      {"255.255.255.255", "reserved"},
      // IPv6
      {"2606:4700::1111", ""},
      {"2a00:1450:4001::200e", ""},
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"::2", "reserved"},               // IPv4-compatible
      {"::10.0.0.1", "reserved"},        // IPv4-compatible
      {"::ffff:127.0.0.1", "loopback"},  // IPv4-mapped: judged by the IPv4 address
      {"::ffff:10.1.2.3", "private"},
      {"::ffff:169.254.169.254", "cloud metadata"},
      {"::ffff:8.8.8.8", ""},
      {"::ffff:0:127.0.0.1", "loopback"},  // IPv4-translated (SIIT)
      {"::ffff:0:8.8.8.8", ""},
      {"64:ff9b::10.0.0.1", "private"},  // NAT64: judged by the IPv4 address
      {"64:ff9b::127.0.0.1", "loopback"},
      {"64:ff9b::169.254.169.254", "cloud metadata"},
      {"64:ff9b::8.8.8.8", ""},
      {"64:ff9b:1::8.8.8.8", "private"},  // local-use NAT64
      {"2002:0a00:0001::1", "private"},   // 6to4 around 10.0.0.1
      {"2002:7f00:0001::1", "loopback"},  // 6to4 around 127.0.0.1
      {"2002:0808:0808::1", ""},          // 6to4 around 8.8.8.8
      {"100::1", "reserved"},             // discard-only
      {"2001::1", "reserved"},            // Teredo
      {"2001:2::1", "reserved"},          // benchmarking
      {"2001:db8::1", "reserved"},        // documentation
      {"3fff::1", "reserved"},            // documentation
      {"5f00::1", "reserved"},            // SRv6
      {"fd00:ec2::254", "cloud metadata"},
      {"fd20:ce::254", "cloud metadata"},
      {"fd12:3456::1", "private"},  // ULA fc00::/7
      {"fc00::1", "private"},
      {"fe80::1", "link-local"},
      {"febf:ffff::1", "link-local"},
      {"fec0::1", "private"},  // site-local
      {"ff02::1", "multicast"},
      {"ff0e::1", "multicast"},
  };
  for (const auto& c : cases) {
    auto a = parse_ip_literal(c.address);
    ASSERT_TRUE(a) << c.address;
    EXPECT_EQ(special_use_reason(*a), c.reason) << c.address;
  }
}

}  // namespace
}  // namespace cordon
