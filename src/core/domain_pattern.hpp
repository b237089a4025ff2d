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
#include "core/ip_address.hpp"

namespace cordon {

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
