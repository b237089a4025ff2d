// cordon: IP addresses for the proxied network mode: parsing, text, and the
// special-use classification behind the proxy's SSRF / DNS-rebinding guard.
//
//   auto a = parse_ip_literal("[::ffff:10.0.0.5]");   // IPv6, brackets optional
//   a->to_string();                                   // "::ffff:10.0.0.5" (RFC 5952)
//   special_use_reason(*a);                           // "private" ("" = ordinary public)
//
// The classification is a table of prefixes (RFC 6890 and the IANA special-purpose
// registries, plus cloud metadata endpoints), most specific first. Addresses that
// carry an IPv4 address for a translator (IPv4-mapped ::ffff:0:0/96, SIIT
// ::ffff:0:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4
// address, so ::ffff:127.0.0.1 is loopback and 64:ff9b::10.0.0.1 is private.
// Pure: no system calls, portable.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cordon {

// An IP address in network byte order; v4 uses the first 4 bytes.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  // "10.0.0.5", "fd00:ec2::254", "::1", "::ffff:10.0.0.5" (RFC 5952: lower case, the
  // longest run of zero groups compressed, IPv4-mapped addresses with a dotted tail).
  std::string to_string() const;
  bool operator==(const IpAddress& o) const { return v6 == o.v6 && bytes == o.bytes; }
};

// Strict IPv4 dotted quad ("1.2.3.4") or IPv6 text (with or without [brackets],
// "::" compression and an embedded IPv4 tail). No zone ids ("fe80::1%eth0").
std::optional<IpAddress> parse_ip_literal(std::string_view text);

// Why a destination address is special-use, or "" when it is an ordinary public
// address: "loopback", "private", "link-local", "carrier-grade NAT", "multicast",
// "unspecified", "cloud metadata", "reserved".
std::string special_use_reason(const IpAddress& a);

}  // namespace cordon
