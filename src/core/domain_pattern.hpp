// cordon: host names and domain patterns for the proxied network mode.
//
//   auto p = parse_domain_pattern("*.Example.COM.");   // -> "*.example.com"
//   DomainFilter f = DomainFilter::build(allow, deny).value();
//   auto host = normalize_host("Bücher.example");      // -> "xn--bcher-kva.example"
//   if (f.decide(*host) == DomainVerdict::Allowed) ...
//
// Normalisation: ASCII case folded, one trailing dot removed, IP literals written in
// one canonical form, every non-ASCII label encoded with Punycode (RFC 3492) and
// prefixed "xn--". Labels are letters, digits, '-' and '_' (1..63 octets, no
// leading or trailing '-'); names are at most 253 octets. Unicode case folding is
// limited to Latin-1, Greek and Cyrillic capitals, and no Unicode normalisation
// (NFC) is applied: write non-ASCII names in their usual lower-case form.
//
// Patterns: an exact name ("registry.npmjs.org"), a wildcard "*.suffix" that matches
// every name below the suffix but not the suffix itself (as in srt), or an IP
// literal (IPv4 dotted quad, IPv6 with or without brackets) that matches only that
// address. "*" alone and "*.tld" (one label) are rejected as too broad.
// Deny wins over allow. Pure: no system calls, portable.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cordon {

// An IP address in network byte order; v4 uses the first 4 bytes.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  std::string to_string() const;  // "10.0.0.5", "fd00:ec2:0:0:0:0:0:254"
  bool operator==(const IpAddress& o) const { return v6 == o.v6 && bytes == o.bytes; }
};

// Strict IPv4 dotted quad ("1.2.3.4") or IPv6 text (with or without [brackets],
// "::" compression and an embedded IPv4 tail).
std::optional<IpAddress> parse_ip_literal(std::string_view text);

// Why a destination address is special-use, or "" when it is an ordinary public
// address: "loopback", "private", "link-local", "carrier-grade NAT", "multicast",
// "unspecified", "cloud metadata", "reserved". IPv4-mapped IPv6 addresses are
// classified as their IPv4 address.
std::string special_use_reason(const IpAddress& a);

// RFC 3492 Punycode of one label given as Unicode code points (no "xn--" prefix).
// Empty optional on overflow.
std::optional<std::string> punycode_encode(const std::u32string& label);

// A host name (or IP literal) as the proxy compares it. Error names the reason.
[[nodiscard]] Result<std::string> normalize_host(std::string_view name);

struct DomainPattern {
  std::string text;    // normalised: "example.com", "*.example.com", "10.0.0.5"
  std::string suffix;  // the name after "*." (wildcards) or the whole name
  bool wildcard = false;
  std::optional<IpAddress> ip;  // set for IP literals
  bool matches(std::string_view normalized_host) const;
};

[[nodiscard]] Result<DomainPattern> parse_domain_pattern(std::string_view text);

enum class DomainVerdict { Allowed, Denied, NotAllowed };

class DomainFilter {
 public:
  [[nodiscard]] static Result<DomainFilter> build(const std::vector<std::string>& allow,
                                                  const std::vector<std::string>& deny);
  // `host` must already be normalised (normalize_host).
  DomainVerdict decide(std::string_view host) const;
  // True when an allow pattern names this IP address exactly (the explicit
  // permission that lets a special-use address through the SSRF guard).
  bool allows_address(const IpAddress& a) const;
  bool empty() const { return allow_.empty(); }

 private:
  std::vector<DomainPattern> allow_, deny_;
};

}  // namespace cordon
