#include "plan/windows/firewall_spec.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "plan/windows/win_path.hpp"

namespace cordon::win {
namespace {

// An address as 16 big-endian bytes; IPv4 uses the last 4 (v4 = true).
struct Address {
  bool v4 = true;
  std::array<uint8_t, 16> b{};
  friend auto operator<=>(const Address&, const Address&) = default;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(sep, i);
    if (j == std::string::npos) j = s.size();
    std::string part = s.substr(i, j - i);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(part);
    i = j + 1;
  }
  return out;
}

std::optional<unsigned> number(const std::string& s, int base, unsigned max) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

std::optional<Address> parse_v4(const std::string& s) {
  auto parts = split(s, '.');
  if (parts.size() != 4 || std::count(s.begin(), s.end(), '.') != 3) return std::nullopt;
  Address a;
  for (size_t i = 0; i < 4; ++i) {
    auto v = number(parts[i], 10, 255);
    if (!v) return std::nullopt;
    a.b[12 + i] = static_cast<uint8_t>(*v);
  }
  return a;
}

std::optional<Address> parse_v6(const std::string& s) {
  if (s.find(':') == std::string::npos) return std::nullopt;
  size_t gap = s.find("::");
  if (gap != std::string::npos && s.find("::", gap + 1) != std::string::npos) return std::nullopt;
  auto groups = [](const std::string& part, std::vector<uint16_t>& out) {
    if (part.empty()) return true;
    for (const auto& g : split(part, ':')) {
      auto v = number(g, 16, 0xFFFF);
      if (!v || g.size() > 4) return false;
      out.push_back(static_cast<uint16_t>(*v));
    }
    return std::count(part.begin(), part.end(), ':') + 1 == static_cast<long>(split(part, ':').size());
  };
  std::vector<uint16_t> head, tail;
  if (gap == std::string::npos) {
    if (!groups(s, head) || head.size() != 8) return std::nullopt;
  } else {
    if (!groups(s.substr(0, gap), head) || !groups(s.substr(gap + 2), tail)) return std::nullopt;
    if (head.size() + tail.size() > 7) return std::nullopt;
  }
  Address a;
  a.v4 = false;
  std::vector<uint16_t> all = head;
  all.resize(8 - tail.size(), 0);
  all.insert(all.end(), tail.begin(), tail.end());
  for (size_t i = 0; i < 8; ++i) {
    a.b[2 * i] = static_cast<uint8_t>(all[i] >> 8);
    a.b[2 * i + 1] = static_cast<uint8_t>(all[i] & 0xFF);
  }
  return a;
}

std::optional<Address> parse_address(const std::string& s) {
  if (auto a = parse_v4(s)) return a;
  return parse_v6(fold_case(s));
}

// RFC 5952: lower case, the longest run of zero groups (at least two) as "::".
std::string format(const Address& a) {
  char buf[48];
  if (a.v4) {
    std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a.b[12], a.b[13], a.b[14], a.b[15]);
    return buf;
  }
  std::array<unsigned, 8> g{};
  for (size_t i = 0; i < 8; ++i) g[i] = (unsigned{a.b[2 * i]} << 8) | a.b[2 * i + 1];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[static_cast<size_t>(j)] == 0) ++j;
    if (j - i > best_len && j - i >= 2) best = i, best_len = j - i;
    i = j == i ? i + 1 : j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ":";
    std::snprintf(buf, sizeof(buf), "%x", g[static_cast<size_t>(i)]);
    out += buf;
  }
  return out;
}

Address step(Address a, int delta) {  // a + 1 or a - 1 within its family
  const size_t first = a.v4 ? 12 : 0;
  for (size_t i = 16; i-- > first;) {
    if (delta > 0) {
      if (++a.b[i] != 0) break;
    } else {
      if (a.b[i]-- != 0) break;
    }
  }
  return a;
}

Address family_min(bool v4) {
  Address a;
  a.v4 = v4;
  return a;
}
Address family_max(bool v4) {
  Address a;
  a.v4 = v4;
  for (size_t i = v4 ? 12 : 0; i < 16; ++i) a.b[i] = 0xFF;
  return a;
}

std::string range(const Address& lo, const Address& hi) {
  return lo == hi ? format(lo) : format(lo) + "-" + format(hi);
}

// Host masks and one-address ranges collapse to the bare address; a prefix keeps
// its length ("10.0.0.0/8"); keywords (LocalSubnet, DNS ...) fold to lower case.
std::optional<std::string> normalize_entry(const std::string& entry) {
  if (entry == "*") return std::string("*");
  if (auto dash = entry.find('-'); dash != std::string::npos) {
    auto lo = parse_address(entry.substr(0, dash));
    auto hi = parse_address(entry.substr(dash + 1));
    if (!lo || !hi || lo->v4 != hi->v4 || *hi < *lo) return std::nullopt;
    return range(*lo, *hi);
  }
  if (auto slash = entry.find('/'); slash != std::string::npos) {
    auto addr = parse_address(entry.substr(0, slash));
    if (!addr) return std::nullopt;
    std::string mask = entry.substr(slash + 1);
    int bits = -1;
    if (auto m = parse_v4(mask); m && addr->v4) {
      bits = 0;
      for (size_t i = 12; i < 16; ++i)
        for (int k = 7; k >= 0; --k)
          if (m->b[i] >> k & 1) ++bits;
    } else if (auto n = number(mask, 10, addr->v4 ? 32 : 128)) {
      bits = static_cast<int>(*n);
    }
    if (bits < 0) return std::nullopt;
    if (bits == (addr->v4 ? 32 : 128)) return format(*addr);
    return format(*addr) + "/" + std::to_string(bits);
  }
  if (auto addr = parse_address(entry)) return format(*addr);
  for (char c : entry)
    if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
  return fold_case(entry);
}

bool iequal(const std::string& a, const std::string& b) {
  return fold_case(a) == fold_case(b);
}

}  // namespace

std::optional<PortRange> parse_port_range(const std::string& text) {
  auto dash = text.find('-');
  auto first = number(text.substr(0, dash), 10, 65535);
  auto last = dash == std::string::npos ? first : number(text.substr(dash + 1), 10, 65535);
  if (!first || !last) return std::nullopt;
  PortRange r{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
  if (!r.valid()) return std::nullopt;
  return r;
}

std::string to_string(const PortRange& r) {
  return r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
}

std::string user_sddl(const Sid& user) {
  return "O:LSD:(A;;CC;;;" + user.str() + ")";
}

std::string address_complement(const std::vector<std::string>& excluded) {
  std::vector<Address> v4, v6;
  for (const auto& e : excluded)
    if (auto a = parse_address(e)) (a->v4 ? v4 : v6).push_back(*a);
  std::vector<std::string> out;
  for (bool family : {true, false}) {
    auto& list = family ? v4 : v6;
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    Address next = family_min(family);
    bool open = true;  // `next` is still inside the family
    for (const auto& a : list) {
      if (open && next < a) out.push_back(range(next, step(a, -1)));
      if (a == family_max(family)) open = false;
      next = step(a, +1);
    }
    if (open) out.push_back(range(next, family_max(family)));
  }
  std::string joined;
  for (const auto& r : out) joined += (joined.empty() ? "" : ",") + r;
  return joined;
}

std::string port_complement(const PortRange& keep) {
  std::vector<std::string> out;
  if (keep.first > 1) out.push_back(to_string(PortRange{1, static_cast<uint16_t>(keep.first - 1)}));
  if (keep.last < 65535) out.push_back(to_string(PortRange{static_cast<uint16_t>(keep.last + 1), 65535}));
  std::string joined;
  for (const auto& r : out) joined += (joined.empty() ? "" : ",") + r;
  return joined;
}

std::optional<std::string> normalize_addresses(const std::string& list) {
  std::vector<std::string> entries;
  for (const auto& e : split(list, ',')) {
    auto n = normalize_entry(e);
    if (!n) return std::nullopt;
    entries.push_back(*n);
  }
  if (entries.empty() || std::find(entries.begin(), entries.end(), "*") != entries.end()) return "*";
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  std::string joined;
  for (const auto& e : entries) joined += (joined.empty() ? "" : ",") + e;
  return joined;
}

std::string normalize_ports(const std::string& list) {
  std::vector<std::string> entries = split(list, ',');
  if (std::find(entries.begin(), entries.end(), "*") != entries.end()) return "";
  for (auto& e : entries)
    if (auto r = parse_port_range(e)) e = to_string(*r);
  std::sort(entries.begin(), entries.end());
  std::string joined;
  for (const auto& e : entries) joined += (joined.empty() ? "" : ",") + e;
  return joined;
}

std::vector<FirewallRuleSpec> firewall_rules(const Sid& offline_user, const std::optional<PortRange>& proxy) {
  FirewallRuleSpec base;
  base.local_user_authorized_list = user_sddl(offline_user);
  if (!proxy) {
    FirewallRuleSpec all = base;
    all.name = "cordon-offline-block-outbound";
    all.description = "cordon: the offline sandbox user has no network";
    return {all};
  }
  const std::string loopback = "127.0.0.1,::1";
  std::vector<FirewallRuleSpec> rules;
  FirewallRuleSpec remote = base;
  remote.name = "cordon-offline-block-non-loopback";
  remote.description = "cordon: the offline sandbox user reaches no address but 127.0.0.1 and ::1";
  remote.remote_addresses = address_complement({"127.0.0.1", "::1"});
  rules.push_back(remote);
  FirewallRuleSpec udp = base;
  udp.name = "cordon-offline-block-loopback-udp";
  udp.description = "cordon: no UDP to loopback for the offline sandbox user";
  udp.protocol = fw::kUdp;
  udp.remote_addresses = loopback;
  rules.push_back(udp);
  std::string ports = port_complement(*proxy);
  if (!ports.empty()) {
    FirewallRuleSpec tcp = base;
    tcp.name = "cordon-offline-block-loopback-tcp-except-proxy";
    tcp.description = "cordon: loopback TCP only to cordon's proxy ports (" + to_string(*proxy) + ")";
    tcp.protocol = fw::kTcp;
    tcp.remote_addresses = loopback;
    tcp.remote_ports = ports;
    rules.push_back(tcp);
  }
  return rules;
}

std::vector<std::string> known_rule_names() {
  return {"cordon-offline-block-outbound", "cordon-offline-block-non-loopback",
          "cordon-offline-block-loopback-udp", "cordon-offline-block-loopback-tcp-except-proxy"};
}

std::vector<std::string> compare_rules(const FirewallRuleSpec& want, const FirewallRuleSpec& got) {
  std::vector<std::string> diff;
  auto check = [&](bool same, const char* field) {
    if (!same) diff.emplace_back(field);
  };
  auto same_addresses = [](const std::string& a, const std::string& b) {
    auto na = normalize_addresses(a), nb = normalize_addresses(b);
    return na && nb && *na == *nb;
  };
  check(want.name == got.name, "Name");
  check(want.description == got.description, "Description");
  check(want.grouping == got.grouping, "Grouping");
  check(want.direction == got.direction, "Direction");
  check(want.action == got.action, "Action");
  check(want.protocol == got.protocol, "Protocol");
  check(same_addresses(want.local_addresses, got.local_addresses), "LocalAddresses");
  check(same_addresses(want.remote_addresses, got.remote_addresses), "RemoteAddresses");
  check(normalize_ports(want.local_ports) == normalize_ports(got.local_ports), "LocalPorts");
  check(normalize_ports(want.remote_ports) == normalize_ports(got.remote_ports), "RemotePorts");
  check(iequal(want.local_user_authorized_list, got.local_user_authorized_list), "LocalUserAuthorizedList");
  check(want.enabled == got.enabled, "Enabled");
  // NET_FW_PROFILE2_ALL may read back as the three profile bits.
  auto profiles = [](int32_t p) { return (p & 7) == 7 ? fw::kAllProfiles : p; };
  check(profiles(want.profiles) == profiles(got.profiles), "Profiles");
  return diff;
}

}  // namespace cordon::win
