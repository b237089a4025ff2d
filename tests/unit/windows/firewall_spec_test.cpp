// Stage-2 firewall rules: the block-all and split variants, the complement ranges
// (block beats allow, so the split variant is built from block rules only), and the
// read-back comparison.
#include "plan/windows/firewall_spec.hpp"

#include <gtest/gtest.h>

namespace cordon::win {
namespace {

const Sid kOffline{5, {21, 10, 20, 30, 1005}};

TEST(WinFirewall, BlockAllWithoutProxy) {
  auto rules = firewall_rules(kOffline, std::nullopt);
  ASSERT_EQ(rules.size(), 1u);
  const auto& r = rules[0];
  EXPECT_EQ(r.name, "cordon-offline-block-outbound");
  EXPECT_EQ(r.direction, fw::kOut);
  EXPECT_EQ(r.action, fw::kBlock);
  EXPECT_EQ(r.protocol, fw::kProtocolAny);
  EXPECT_EQ(r.remote_addresses, "*");
  EXPECT_EQ(r.local_user_authorized_list, "O:LSD:(A;;CC;;;S-1-5-21-10-20-30-1005)");
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.profiles, fw::kAllProfiles);
  EXPECT_EQ(r.grouping, fw::kGrouping);
}

TEST(WinFirewall, SplitVariantIsOnlyBlockRules) {
  auto rules = firewall_rules(kOffline, PortRange{47800, 47809});
  ASSERT_EQ(rules.size(), 3u);
  for (const auto& r : rules) {
    EXPECT_EQ(r.action, fw::kBlock) << r.name;  // an allow rule could never beat a block rule
    EXPECT_EQ(r.direction, fw::kOut);
    EXPECT_EQ(r.local_user_authorized_list, user_sddl(kOffline));
  }
  EXPECT_EQ(rules[0].protocol, fw::kProtocolAny);
  EXPECT_EQ(rules[0].remote_addresses,
            "0.0.0.0-127.0.0.0,127.0.0.2-255.255.255.255,::,::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(rules[1].protocol, fw::kUdp);
  EXPECT_EQ(rules[1].remote_addresses, "127.0.0.1,::1");
  EXPECT_EQ(rules[2].protocol, fw::kTcp);
  EXPECT_EQ(rules[2].remote_addresses, "127.0.0.1,::1");
  EXPECT_EQ(rules[2].remote_ports, "1-47799,47810-65535");
}

TEST(WinFirewall, PortComplementEdges) {
  EXPECT_EQ(port_complement({1, 1}), "2-65535");
  EXPECT_EQ(port_complement({65535, 65535}), "1-65534");
  EXPECT_EQ(port_complement({2, 65534}), "1,65535");
  EXPECT_EQ(port_complement({1, 65535}), "");
  EXPECT_EQ(port_complement({8080, 8080}), "1-8079,8081-65535");
  // Every port except the proxy's is blocked: no gap, no overlap.
  auto rules = firewall_rules(kOffline, PortRange{1, 65535});
  EXPECT_EQ(rules.size(), 2u);  // nothing left to block on loopback TCP
}

TEST(WinFirewall, AddressComplementEdges) {
  EXPECT_EQ(address_complement({}), "0.0.0.0-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(address_complement({"0.0.0.0"}),
            "0.0.0.1-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(address_complement({"255.255.255.255", "::"}),
            "0.0.0.0-255.255.255.254,::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(address_complement({"10.0.0.1", "10.0.0.2"}),
            "0.0.0.0-10.0.0.0,10.0.0.3-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  // Carries across bytes and groups.
  EXPECT_EQ(address_complement({"1.0.0.0", "::1:0"}),
            "0.0.0.0-0.255.255.255,1.0.0.1-255.255.255.255,::-::ffff,::1:1-ffff:ffff:ffff:ffff:ffff:ffff:"
            "ffff:ffff");
}

TEST(WinFirewall, PortRangeParsing) {
  EXPECT_EQ(parse_port_range("47800"), (PortRange{47800, 47800}));
  EXPECT_EQ(parse_port_range("47800-47809"), (PortRange{47800, 47809}));
  EXPECT_FALSE(parse_port_range("0"));
  EXPECT_FALSE(parse_port_range("10-5"));
  EXPECT_FALSE(parse_port_range("65536"));
  EXPECT_FALSE(parse_port_range("x"));
  EXPECT_FALSE(parse_port_range(""));
  EXPECT_EQ(to_string(PortRange{5, 5}), "5");
}

TEST(WinFirewall, NormalizesWhatWindowsReadsBack) {
  EXPECT_EQ(normalize_addresses("127.0.0.1/255.255.255.255,::1"), "127.0.0.1,::1");
  EXPECT_EQ(normalize_addresses("0000:0000::0001/128, 127.0.0.1"), "127.0.0.1,::1");
  EXPECT_EQ(normalize_addresses("10.0.0.0/255.0.0.0"), "10.0.0.0/8");
  EXPECT_EQ(normalize_addresses(""), "*");
  EXPECT_EQ(normalize_addresses("*"), "*");
  EXPECT_EQ(normalize_addresses("LocalSubnet"), "localsubnet");
  EXPECT_EQ(normalize_addresses("1.1.1.1-1.1.1.1"), "1.1.1.1");
  EXPECT_FALSE(normalize_addresses("1.2.3"));
  EXPECT_FALSE(normalize_addresses("2.0.0.0-1.0.0.0"));
  EXPECT_FALSE(normalize_addresses("1::2::3"));
  EXPECT_EQ(normalize_ports("47810-65535, 1-47799"), "1-47799,47810-65535");
  EXPECT_EQ(normalize_ports("*"), "");
}

TEST(WinFirewall, CompareFindsEveryField) {
  auto want = firewall_rules(kOffline, PortRange{47800, 47800})[2];
  auto got = want;
  got.remote_addresses = "::1, 127.0.0.1/255.255.255.255";  // same set, Windows spelling
  got.remote_ports = "47801-65535,1-47799";
  got.local_user_authorized_list = "o:lsd:(a;;cc;;;s-1-5-21-10-20-30-1005)";
  got.profiles = 7;  // domain | private | public: the same as "all"
  EXPECT_TRUE(compare_rules(want, got).empty());

  struct Case {
    const char* field;
    void (*mutate)(FirewallRuleSpec&);
  };
  const Case cases[] = {
      {"Name", [](FirewallRuleSpec& r) { r.name += "x"; }},
      {"Description", [](FirewallRuleSpec& r) { r.description = ""; }},
      {"Grouping", [](FirewallRuleSpec& r) { r.grouping = "other"; }},
      {"Direction", [](FirewallRuleSpec& r) { r.direction = fw::kIn; }},
      {"Action", [](FirewallRuleSpec& r) { r.action = fw::kAllow; }},
      {"Protocol", [](FirewallRuleSpec& r) { r.protocol = fw::kUdp; }},
      {"LocalAddresses", [](FirewallRuleSpec& r) { r.local_addresses = "10.0.0.1"; }},
      {"RemoteAddresses", [](FirewallRuleSpec& r) { r.remote_addresses = "127.0.0.1"; }},
      {"LocalPorts", [](FirewallRuleSpec& r) { r.local_ports = "80"; }},
      {"RemotePorts", [](FirewallRuleSpec& r) { r.remote_ports = "1-65535"; }},
      {"LocalUserAuthorizedList",
       [](FirewallRuleSpec& r) { r.local_user_authorized_list = "O:LSD:(A;;CC;;;WD)"; }},
      {"Enabled", [](FirewallRuleSpec& r) { r.enabled = false; }},
      {"Profiles", [](FirewallRuleSpec& r) { r.profiles = 1; }},
  };
  for (const auto& c : cases) {
    auto changed = want;
    c.mutate(changed);
    EXPECT_EQ(compare_rules(want, changed), std::vector<std::string>{c.field}) << c.field;
  }
  auto unparsable = want;
  unparsable.remote_addresses = "garbage!";
  EXPECT_EQ(compare_rules(want, unparsable), std::vector<std::string>{"RemoteAddresses"});
}

TEST(WinFirewall, KnownNamesCoverEveryVariant) {
  auto names = known_rule_names();
  for (const auto& proxy : {std::optional<PortRange>{}, std::optional<PortRange>{PortRange{9000, 9001}}})
    for (const auto& r : firewall_rules(kOffline, proxy))
      EXPECT_NE(std::find(names.begin(), names.end(), r.name), names.end()) << r.name;
}

}  // namespace
}  // namespace cordon::win
