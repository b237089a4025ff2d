#include "core/domain_pattern.hpp"

#include <algorithm>
#include <cstdio>

namespace cordon {
namespace {

constexpr size_t kMaxName = 253;
constexpr size_t kMaxLabel = 63;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Strict UTF-8 to code points: no overlong forms, no surrogates, at most U+10FFFF.
std::optional<std::u32string> decode_utf8(std::string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t extra;
    if (b < 0x80) {
      cp = b, extra = 0;
    } else if ((b & 0xE0) == 0xC0) {
      cp = b & 0x1F, extra = 1;
    } else if ((b & 0xF0) == 0xE0) {
      cp = b & 0x0F, extra = 2;
    } else if ((b & 0xF8) == 0xF0) {
      cp = b & 0x07, extra = 3;
    } else {
      return std::nullopt;
    }
    if (i + extra >= s.size()) return std::nullopt;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

// Simple case folding for the scripts most often seen in IDN host names.
char32_t fold_case(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;     // Latin-1 capitals
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;  // Greek capitals
  if (c >= 0x410 && c <= 0x42F) return c + 32;                // Cyrillic capitals
  if (c >= 0x400 && c <= 0x40F) return c + 80;                // Cyrillic Ѐ..Џ
  return c;
}

bool valid_ascii_label(std::string_view l) {
  if (l.empty() || l.size() > kMaxLabel || l.front() == '-' || l.back() == '-') return false;
  return std::all_of(l.begin(), l.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_'; });
}

// inet_aton accepts "127.1", "0x7f.1" and "2130706433": a name whose last label is
// numeric would be resolved as an address, so it is not a valid host name.
bool numeric_label(std::string_view l) {
  if (l.size() > 2 && l[0] == '0' && l[1] == 'x') return std::all_of(l.begin() + 2, l.end(), is_hex);
  return !l.empty() && std::all_of(l.begin(), l.end(), is_digit);
}

// RFC 3492 section 6.1.
uint32_t adapt(uint32_t delta, uint32_t points, bool first) {
  constexpr uint32_t base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700;
  delta = first ? delta / damp : delta / 2;
  delta += delta / points;
  uint32_t k = 0;
  while (delta > ((base - tmin) * tmax) / 2) {
    delta /= base - tmin;
    k += base;
  }
  return k + (base - tmin + 1) * delta / (delta + skew);
}

char punycode_digit(uint32_t d) {
  return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26));
}

}  // namespace

std::optional<std::string> punycode_encode(const std::u32string& input) {
  constexpr uint32_t base = 36, tmin = 1, tmax = 26;
  constexpr uint32_t kMax = 0xFFFFFFFFu;
  std::string out;
  for (char32_t c : input)
    if (c < 0x80) out.push_back(static_cast<char>(c));
  const auto basic = static_cast<uint32_t>(out.size());
  uint32_t h = basic;
  if (basic > 0) out.push_back('-');
  uint32_t n = 0x80, delta = 0, bias = 72;
  const auto length = static_cast<uint32_t>(input.size());
  while (h < length) {
    uint32_t m = kMax;
    for (char32_t c : input)
      if (c >= n && c < m) m = c;
    if ((m - n) > (kMax - delta) / (h + 1)) return std::nullopt;
    delta += (m - n) * (h + 1);
    n = m;
    for (char32_t c : input) {
      if (c < n && ++delta == 0) return std::nullopt;
      if (c != n) continue;
      uint32_t q = delta;
      for (uint32_t k = base;; k += base) {
        const uint32_t t = k <= bias ? tmin : (k >= bias + tmax ? tmax : k - bias);
        if (q < t) break;
        out.push_back(punycode_digit(t + (q - t) % (base - t)));
        q = (q - t) / (base - t);
      }
      out.push_back(punycode_digit(q));
      bias = adapt(delta, h + 1, h == basic);
      delta = 0;
      ++h;
    }
    ++delta;
    ++n;
  }
  return out;
}

Result<std::string> normalize_host(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return usage_error("host '" + std::string(name) + "'", "invalid host name: " + why);
  };
  if (auto ip = parse_ip_literal(name)) return ip->to_string();
  std::string_view rest = name;
  if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
  if (rest.empty()) return bad("empty");
  if (rest.size() > 4 * kMaxName) return bad("too long");
  std::string out;
  std::string_view last_label;
  while (true) {
    const size_t dot = rest.find('.');
    std::string_view raw = rest.substr(0, dot);
    if (raw.empty()) return bad("empty label");
    std::string label;
    const bool ascii =
        std::all_of(raw.begin(), raw.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) {
      for (char c : raw) label.push_back(ascii_lower(c));
    } else {
      auto cps = decode_utf8(raw);
      if (!cps) return bad("not valid UTF-8");
      for (auto& c : *cps) {
        c = fold_case(c);
        // Controls, spaces, dot look-alikes and other separators never belong in a label.
        if (c < 0x80
                ? !((c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9') || c == U'-' || c == U'_')
                : (c <= 0xA0 || c == 0x3002 || c == 0xFF0E || c == 0xFF61 || (c >= 0x2000 && c <= 0x206F)))
          return bad("character not allowed in a label");
      }
      auto encoded = punycode_encode(*cps);
      if (!encoded) return bad("label too long");
      label = "xn--" + *encoded;
    }
    if (!valid_ascii_label(label))
      return bad("label '" + label +
                 "' (letters, digits, '-' and '_', 1..63 characters, no leading or trailing '-')");
    out += (out.empty() ? "" : ".") + label;
    if (out.size() > kMaxName) return bad("longer than 253 characters");
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  last_label = std::string_view(out).substr(out.rfind('.') == std::string::npos ? 0 : out.rfind('.') + 1);
  if (numeric_label(last_label))
    return bad("the last label is numeric (an IP address in a non-standard form?)");
  return out;
}

bool DomainPattern::matches(std::string_view host) const {
  if (!wildcard) return host == text;
  return host.size() > suffix.size() + 1 && host.substr(host.size() - suffix.size()) == suffix &&
         host[host.size() - suffix.size() - 1] == '.';
}

Result<DomainPattern> parse_domain_pattern(std::string_view text) {
  auto bad = [&](const std::string& why, const std::string& hint = {}) {
    return usage_error("domain pattern '" + std::string(text) + "'", why, hint);
  };
  DomainPattern p;
  if (text == "*" || text == "*.")
    return bad("'*' would allow every name", "use --net on for the host network, or list the names");
  std::string_view body = text;
  if (body.substr(0, 2) == "*.") {
    p.wildcard = true;
    body.remove_prefix(2);
  }
  if (body.find('*') != std::string_view::npos)
    return bad("'*' is only allowed as the first label ('*.example.com')");
  if (body.find(':') != std::string_view::npos && !parse_ip_literal(body))
    return bad("ports are not part of a pattern (and this is not an IPv6 address)");
  auto host = normalize_host(body);
  if (!host) return bad(host.error().detail);
  if (auto ip = parse_ip_literal(*host)) {
    if (p.wildcard) return bad("a wildcard cannot apply to an IP address");
    p.ip = ip;
  }
  if (p.wildcard && host->find('.') == std::string::npos)
    return bad("'*.' followed by a single label would match a whole top-level domain",
               "name the domain: '*.example.com'");
  p.suffix = *host;
  p.text = (p.wildcard ? "*." : "") + *host;
  return p;
}

Result<DomainFilter> DomainFilter::build(const std::vector<std::string>& allow,
                                         const std::vector<std::string>& deny) {
  DomainFilter f;
  for (const auto& a : allow) {
    auto p = parse_domain_pattern(a);
    if (!p) return p.error();
    f.allow_.push_back(std::move(*p));
  }
  for (const auto& d : deny) {
    auto p = parse_domain_pattern(d);
    if (!p) return p.error();
    f.deny_.push_back(std::move(*p));
  }
  return f;
}

DomainVerdict DomainFilter::decide(std::string_view host) const {
  auto hit = [&](const std::vector<DomainPattern>& list) {
    return std::any_of(list.begin(), list.end(), [&](const DomainPattern& p) { return p.matches(host); });
  };
  if (hit(deny_)) return DomainVerdict::Denied;
  return hit(allow_) ? DomainVerdict::Allowed : DomainVerdict::NotAllowed;
}

bool DomainFilter::allows_address(const IpAddress& a) const {
  return std::any_of(allow_.begin(), allow_.end(),
                     [&](const DomainPattern& p) { return p.ip && *p.ip == a; }) &&
         !std::any_of(deny_.begin(), deny_.end(), [&](const DomainPattern& p) { return p.ip && *p.ip == a; });
}

}  // namespace cordon
