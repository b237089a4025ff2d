#include "core/ip_address.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace cordon {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return (c | 0x20) - 'a' + 10;
}

std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view s) {
  std::array<uint8_t, 4> out{};
  size_t part = 0, i = 0;
  while (part < 4) {
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 3) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    const size_t len = i - start;
    // No empty parts, no leading zeros (octal in inet_aton), no value above 255.
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return std::nullopt;
    out[part++] = static_cast<uint8_t>(v);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return out;
}

std::optional<std::array<uint8_t, 16>> parse_ipv6(std::string_view s) {
  std::array<uint16_t, 8> head{}, tail{};
  size_t nhead = 0, ntail = 0;
  bool compressed = false;
  std::array<uint8_t, 4> v4{};
  bool has_v4 = false;
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    i = 2;
  } else if (!s.empty() && s[0] == ':') {
    return std::nullopt;
  }
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && is_hex(s[i])) ++i;
    if (i < s.size() && s[i] == '.') {  // embedded IPv4: must be last
      auto a = parse_ipv4(s.substr(start));
      if (!a) return std::nullopt;
      v4 = *a;
      has_v4 = true;
      i = s.size();
      break;
    }
    const size_t len = i - start;
    if (len == 0 || len > 4) return std::nullopt;
    uint16_t g = 0;
    for (size_t k = start; k < i; ++k) g = static_cast<uint16_t>(g * 16 + hex_value(s[k]));
    auto& groups = compressed ? tail : head;
    auto& n = compressed ? ntail : nhead;
    if (n >= 8) return std::nullopt;
    groups[n++] = g;
    if (i == s.size()) break;
    if (s[i] != ':') return std::nullopt;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return std::nullopt;
      compressed = true;
      ++i;
    } else if (i == s.size()) {
      return std::nullopt;  // trailing single ':'
    }
  }
  const size_t total = nhead + ntail + (has_v4 ? 2 : 0);
  if (compressed ? total > 7 : total != 8) return std::nullopt;
  std::array<uint16_t, 8> g{};
  for (size_t k = 0; k < nhead; ++k) g[k] = head[k];
  const size_t tail_start = 8 - ntail - (has_v4 ? 2 : 0);
  for (size_t k = 0; k < ntail; ++k) g[tail_start + k] = tail[k];
  if (has_v4) {
    g[6] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
    g[7] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
  }
  std::array<uint8_t, 16> out{};
  for (size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(g[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(g[k] & 0xff);
  }
  return out;
}

// One row of the special-use table: a prefix and why it is special, or (reason
// nullptr) where the IPv4 address it carries starts, to judge that one instead.
struct SpecialRange {
  const char* prefix;
  unsigned bits;
  const char* reason;
  int embedded_v4_at = -1;
};

// Most specific first: the first matching row decides.
constexpr SpecialRange kSpecialV4[] = {
    {"169.254.169.254", 32, "cloud metadata"},  // AWS, GCP, Azure, OCI ...
    {"100.100.100.200", 32, "cloud metadata"},  // Alibaba Cloud
    {"0.0.0.0", 8, "unspecified"},              // "this network"
    {"127.0.0.0", 8, "loopback"},
    {"10.0.0.0", 8, "private"},
    {"172.16.0.0", 12, "private"},
    {"192.168.0.0", 16, "private"},
    {"169.254.0.0", 16, "link-local"},
    {"100.64.0.0", 10, "carrier-grade NAT"},
    {"192.0.0.0", 24, "reserved"},     // IETF protocol assignments
    {"192.0.2.0", 24, "reserved"},     // documentation (TEST-NET-1)
    {"198.51.100.0", 24, "reserved"},  // documentation (TEST-NET-2)
    {"203.0.113.0", 24, "reserved"},   // documentation (TEST-NET-3)
    {"192.88.99.0", 24, "reserved"},   // 6to4 relay anycast (deprecated)
    {"198.18.0.0", 15, "reserved"},    // benchmarking
    {"224.0.0.0", 4, "multicast"},
    {"240.0.0.0", 4, "reserved"},  // including the broadcast 255.255.255.255
};

constexpr SpecialRange kSpecialV6[] = {
    {"::", 128, "unspecified"},
    {"::1", 128, "loopback"},
    {"::ffff:0:0", 96, nullptr, 12},           // IPv4-mapped
    {"::ffff:0:0:0", 96, nullptr, 12},         // IPv4-translated (SIIT)
    {"::", 96, "reserved"},                    // IPv4-compatible (deprecated)
    {"64:ff9b::", 96, nullptr, 12},            // NAT64, well-known prefix
    {"64:ff9b:1::", 48, "private"},            // NAT64, local use: the operator's own translator
    {"100::", 64, "reserved"},                 // discard-only
    {"2001:db8::", 32, "reserved"},            // documentation
    {"2001::", 23, "reserved"},                // IETF protocol assignments: Teredo, benchmarking, ORCHID
    {"2002::", 16, nullptr, 2},                // 6to4: the relay forwards to the IPv4 address inside
    {"3fff::", 20, "reserved"},                // documentation
    {"5f00::", 16, "reserved"},                // segment routing (SRv6) identifiers
    {"fd00:ec2::254", 128, "cloud metadata"},  // AWS
    {"fd20:ce::254", 128, "cloud metadata"},   // Google Cloud
    {"fc00::", 7, "private"},                  // unique local addresses (ULA)
    {"fe80::", 10, "link-local"},
    {"fec0::", 10, "private"},  // site-local (deprecated)
    {"ff00::", 8, "multicast"},
};

bool has_prefix(const std::array<uint8_t, 16>& bytes, const std::array<uint8_t, 16>& prefix, unsigned bits) {
  const unsigned whole = bits / 8, rest = bits % 8;
  if (!std::equal(bytes.begin(), bytes.begin() + whole, prefix.begin())) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (bytes[whole] & mask) == (prefix[whole] & mask);
}

}  // namespace

std::string IpAddress::to_string() const {
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
    return buf;
  }
  std::array<unsigned, 8> groups{};
  for (size_t k = 0; k < 8; ++k) groups[k] = static_cast<unsigned>(bytes[2 * k] << 8 | bytes[2 * k + 1]);
  if (std::all_of(groups.begin(), groups.begin() + 5, [](unsigned g) { return g == 0; }) &&
      groups[5] == 0xFFFF) {
    std::snprintf(buf, sizeof buf, "::ffff:%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
    return buf;
  }
  // The longest run of two or more zero groups becomes "::" (the first one on a tie).
  size_t best = 8, best_len = 1;
  for (size_t k = 0; k < 8;) {
    size_t end = k;
    while (end < 8 && groups[end] == 0) ++end;
    if (end - k > best_len) best = k, best_len = end - k;
    k = end == k ? k + 1 : end;
  }
  std::string out;
  for (size_t k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    std::snprintf(buf, sizeof buf, "%x", groups[k]);
    if (!out.empty() && out.back() != ':') out += ':';
    out += buf;
  }
  return out;
}

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  IpAddress a;
  if (auto v4 = parse_ipv4(text)) {
    std::copy(v4->begin(), v4->end(), a.bytes.begin());
    return a;
  }
  if (text.find(':') == std::string_view::npos) return std::nullopt;
  auto v6 = parse_ipv6(text);
  if (!v6) return std::nullopt;
  a.v6 = true;
  a.bytes = *v6;
  return a;
}

std::string special_use_reason(const IpAddress& a) {
  struct Parsed {
    std::array<uint8_t, 16> prefix;
    unsigned bits;
    const char* reason;
    int embedded_v4_at;
  };
  auto parse_table = [](const auto& table) {
    std::vector<Parsed> rows;
    for (const auto& r : table)
      rows.push_back({parse_ip_literal(r.prefix)->bytes, r.bits, r.reason, r.embedded_v4_at});
    return rows;
  };
  static const std::vector<Parsed> v4 = parse_table(kSpecialV4), v6 = parse_table(kSpecialV6);
  for (const auto& r : a.v6 ? v6 : v4) {
    if (!has_prefix(a.bytes, r.prefix, r.bits)) continue;
    if (r.reason) return r.reason;
    IpAddress inner;
    std::copy_n(a.bytes.begin() + r.embedded_v4_at, 4, inner.bytes.begin());
    return special_use_reason(inner);
  }
  return "";
}

}  // namespace cordon
