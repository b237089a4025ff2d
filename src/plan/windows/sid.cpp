#include "plan/windows/sid.hpp"

#include <charconv>

namespace cordon::win {
namespace {

std::optional<uint64_t> parse_number(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Sid> Sid::parse(std::string_view text) {
  if (text.size() < 4 || (text[0] != 'S' && text[0] != 's') || text[1] != '-') return std::nullopt;
  std::vector<std::string_view> parts;
  size_t i = 2;
  while (true) {
    size_t j = text.find('-', i);
    parts.push_back(text.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  // revision, authority, then 1..15 sub-authorities
  if (parts.size() < 3 || parts.size() > 17 || parts[0] != "1") return std::nullopt;
  Sid sid;
  auto authority = parse_number(parts[1], (uint64_t{1} << 48) - 1);
  if (!authority) return std::nullopt;
  sid.authority = *authority;
  for (size_t k = 2; k < parts.size(); ++k) {
    auto v = parse_number(parts[k], UINT32_MAX);
    if (!v) return std::nullopt;
    sid.sub.push_back(static_cast<uint32_t>(*v));
  }
  return sid;
}

std::string Sid::str() const {
  std::string out = "S-1-" + std::to_string(authority);
  for (uint32_t s : sub) out += "-" + std::to_string(s);
  return out;
}

namespace sids {
Sid everyone() {
  return Sid{1, {0}};
}
Sid authenticated_users() {
  return Sid{5, {11}};
}
Sid users() {
  return Sid{5, {32, 545}};
}
Sid administrators() {
  return Sid{5, {32, 544}};
}
Sid local_system() {
  return Sid{5, {18}};
}
Sid creator_owner() {
  return Sid{3, {0}};
}
Sid capability(const std::array<uint32_t, 4>& random) {
  return Sid{5, {21, random[0], random[1], random[2], random[3]}};
}
bool is_capability(const Sid& sid) {
  return sid.authority == 5 && sid.sub.size() == 5 && sid.sub[0] == 21;
}
bool is_logon(const Sid& sid) {
  return sid.authority == 5 && sid.sub.size() == 3 && sid.sub[0] == 5;
}
}  // namespace sids

}  // namespace cordon::win
