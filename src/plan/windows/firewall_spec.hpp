// cordon (Windows plan): the firewall rules of stage 2, as plain data.
//
//   auto rules = win::firewall_rules(offline_sid, std::nullopt);          // block all outbound
//   auto split = win::firewall_rules(offline_sid, PortRange{47800, 47809}); // only the proxy
//   auto diff = win::compare_rules(rules[0], read_back);   // {} when every field matches
//
// The rules hold for the offline sandbox user only (LocalUserAuthorizedList
// "O:LSD:(A;;CC;;;<SID>)"); the online user has none. Windows Firewall evaluates block
// rules before allow rules ("block beats allow"), so an exception cannot be carved out
// of a block-all rule with an allow rule. The split variant is therefore built from
// block rules that cover exactly the complement of what stays reachable:
//   1. every protocol to every remote address except 127.0.0.1 and ::1;
//   2. UDP to 127.0.0.1 and ::1;
//   3. TCP to 127.0.0.1 and ::1 on every remote port except the proxy range.
// What remains is TCP to 127.0.0.1/::1 on the proxy ports. Other protocols to
// loopback need raw sockets, which a non-admin user cannot open.
// Pure: the applier (platform/windows/setup/firewall.cpp) writes these through
// INetFwPolicy2/INetFwRule3, reads every field back and compares with compare_rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/windows/sid.hpp"

namespace cordon::win {

namespace fw {
// NET_FW_RULE_DIRECTION, NET_FW_ACTION, NET_FW_IP_PROTOCOL, NET_FW_PROFILE2 values.
constexpr int kIn = 1;
constexpr int kOut = 2;
constexpr int kBlock = 0;
constexpr int kAllow = 1;
constexpr int kProtocolAny = 256;
constexpr int kTcp = 6;
constexpr int kUdp = 17;
constexpr int32_t kAllProfiles = 0x7FFFFFFF;
inline constexpr const char* kGrouping = "cordon sandbox";
}  // namespace fw

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool valid() const { return first >= 1 && first <= last; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};
// "47800" or "47800-47809"; nullopt when malformed or out of 1..65535.
std::optional<PortRange> parse_port_range(const std::string& text);
std::string to_string(const PortRange& range);

struct FirewallRuleSpec {
  std::string name;
  std::string description;
  std::string grouping = fw::kGrouping;
  int direction = fw::kOut;
  int action = fw::kBlock;
  int protocol = fw::kProtocolAny;
  std::string local_addresses = "*";
  std::string remote_addresses = "*";
  std::string local_ports;                 // "" for protocols without ports (ANY)
  std::string remote_ports;                // "" = any
  std::string local_user_authorized_list;  // SDDL
  bool enabled = true;
  int32_t profiles = fw::kAllProfiles;
  friend bool operator==(const FirewallRuleSpec&, const FirewallRuleSpec&) = default;
};

// "O:LSD:(A;;CC;;;<sid>)": the rule applies to connections made by that user.
std::string user_sddl(const Sid& user);

// The rules for the offline user: block-all, or the split variant when a proxy port
// range is configured. Ordered; names are stable (uninstall and read-back use them).
std::vector<FirewallRuleSpec> firewall_rules(const Sid& offline_user, const std::optional<PortRange>& proxy);
// Every rule name any cordon version installs (uninstall sweeps these even without a ledger).
std::vector<std::string> known_rule_names();

// Field names that differ between what setup wrote and what it read back, after
// normalising the forms Windows rewrites (address masks, IPv6 spelling, list order,
// case, "" vs "*"). Empty when the rule is exactly as wanted.
std::vector<std::string> compare_rules(const FirewallRuleSpec& want, const FirewallRuleSpec& got);

// --- building blocks, exposed for the tests ---------------------------------------
// Remote-address list covering every IPv4 and IPv6 address except `excluded` (single
// addresses). Ranges are "first-last", single addresses bare, IPv4 first.
std::string address_complement(const std::vector<std::string>& excluded);
// Port list covering 1..65535 except `keep`; "" when nothing is left.
std::string port_complement(const PortRange& keep);
// Canonical form of an address list ("127.0.0.1/255.255.255.255,::0001" -> "127.0.0.1,::1");
// nullopt when an entry does not parse. "*" and "" both mean any.
std::optional<std::string> normalize_addresses(const std::string& list);
std::string normalize_ports(const std::string& list);

}  // namespace cordon::win
