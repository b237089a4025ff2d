// F14: stage 2's WFP filters for the offline user. What filters setup adds (layers,
// conditions, weights, hard blocks), what they block and permit (a model of the
// engine's arbitration inside cordon's sublayer), the read-back comparison, that setup
// adds them before anything claims stage 2, and that uninstall removes only cordon's own
// objects (fixed keys; nothing a forged ledger names).
#include "plan/windows/wfp_spec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "plan/windows/setup_plan.hpp"
#include "plan/windows/uninstall_plan.hpp"

namespace cordon::win {
namespace {

using wfp::Field;
using wfp::Layer;

const Sid kOffline{5, {21, 10, 20, 30, 1005}};
const Sid kOnline{5, {21, 10, 20, 30, 1006}};
const Sid kAlice{5, {21, 10, 20, 30, 1001}};

std::array<uint8_t, 16> v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {a, b, c, d};
}
std::array<uint8_t, 16> v6_loopback() {
  std::array<uint8_t, 16> a{};
  a[15] = 1;
  return a;
}

WfpConnection conn(const Sid& user, Layer layer, uint8_t protocol, std::array<uint8_t, 16> remote,
                   uint16_t port) {
  return {user, layer, protocol, remote, port};
}

bool has_user(const WfpFilterSpec& f, const Sid& s) {
  return std::any_of(f.conditions.begin(), f.conditions.end(), [&](const WfpCondition& c) {
    return c.field == Field::UserId && c.user_sddl == user_sddl(s);
  });
}

TEST(WinWfp, BlockAllVariantFilters) {
  auto f = wfp_filters(kOffline, std::nullopt);
  ASSERT_EQ(f.size(), 4u);
  std::set<std::string> keys;
  for (const auto& x : f) {
    SCOPED_TRACE(x.name);
    keys.insert(x.key.str());
    EXPECT_FALSE(x.permit);
    // Every filter is the offline user's only, persistent, and a hard block (a lower
    // sublayer's permit cannot override it).
    EXPECT_TRUE(has_user(x, kOffline));
    EXPECT_EQ(x.flags & wfp::kFlagPersistent, wfp::kFlagPersistent);
    EXPECT_EQ(x.flags & wfp::kFlagClearActionRight, wfp::kFlagClearActionRight);
    EXPECT_EQ(x.flags & wfp::kFlagDisabled, 0u);
  }
  EXPECT_EQ(keys.size(), 4u);
  EXPECT_EQ(f[0].layer, Layer::ConnectV4);
  EXPECT_EQ(f[1].layer, Layer::ConnectV6);
  EXPECT_EQ(f[0].conditions.size(), 2u);
  EXPECT_EQ(f[0].conditions[1].field, Field::IpProtocol);
  EXPECT_EQ(f[0].conditions[1].protocol, wfp::kIcmp);
  EXPECT_EQ(f[1].conditions[1].protocol, wfp::kIcmpV6);
  EXPECT_EQ(f[2].conditions.size(), 1u);  // block all: the user alone
  EXPECT_EQ(f[3].conditions.size(), 1u);
  EXPECT_GT(f[0].weight, f[2].weight);
  EXPECT_EQ(user_sddl(kOffline), "O:LSD:(A;;CC;;;S-1-5-21-10-20-30-1005)");
}

TEST(WinWfp, KeysAreCordonsOwnAndStable) {
  auto all = wfp_filter_keys();
  std::set<std::string> keys;
  for (const auto& k : all) keys.insert(k.str());
  EXPECT_EQ(keys.size(), all.size());
  EXPECT_EQ(keys.count(wfp_provider().key.str()), 0u);
  EXPECT_EQ(keys.count(wfp_sublayer().key.str()), 0u);
  EXPECT_NE(wfp_provider().key, wfp_sublayer().key);
  // Both variants use only keys from the list uninstall deletes.
  for (const auto& proxy : {std::optional<PortRange>{}, std::optional<PortRange>{PortRange{47800, 47809}}})
    for (const auto& f : wfp_filters(kOffline, proxy)) EXPECT_EQ(keys.count(f.key.str()), 1u) << f.name;
  EXPECT_EQ(wfp_provider().key.str(), "092628fb-a014-468f-9962-9da6a9a70ae4");
  EXPECT_EQ(wfp_sublayer().weight, 0xFFFF);
  EXPECT_EQ(wfp_provider().flags & wfp::kObjectPersistent, wfp::kObjectPersistent);
  // The well-known keys of fwpmu.h.
  EXPECT_EQ(wfp::layer_key(Layer::ConnectV4).str(), "c38d57d1-05a7-4c33-904f-7fbceee60e82");
  EXPECT_EQ(wfp::layer_key(Layer::ConnectV6).str(), "4a72393b-319f-44bc-84c3-ba54dcb3b6b4");
  EXPECT_EQ(wfp::field_key(Field::UserId).str(), "af043a0a-b34d-4f86-979c-c90371af6e66");
  // An unelevated run reads them back: Authenticated Users get FWPM_ACTRL_READ.
  EXPECT_EQ(wfp_object_sddl(), "D:(A;;0x80;;;AU)");
}

TEST(WinWfp, WhatTheBlockAllVariantBlocks) {
  auto f = wfp_filters(kOffline, std::nullopt);
  // The offline user: TCP, UDP and ICMP, v4 and v6, loopback included.
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kTcp, v4(93, 184, 216, 34), 443)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, 17, v4(8, 8, 8, 8), 53)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kIcmp, v4(8, 8, 8, 8), 0)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV6, wfp::kIcmpV6, v6_loopback(), 0)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kTcp, v4(127, 0, 0, 1), 47800)), false);
  // Nobody else is touched: the online user, the real user.
  EXPECT_EQ(wfp_verdict(f, conn(kOnline, Layer::ConnectV4, wfp::kTcp, v4(93, 184, 216, 34), 443)),
            std::nullopt);
  EXPECT_EQ(wfp_verdict(f, conn(kAlice, Layer::ConnectV4, wfp::kIcmp, v4(8, 8, 8, 8), 0)), std::nullopt);
}

TEST(WinWfp, SplitVariantPermitsOnlyLoopbackTcpOnTheProxyPorts) {
  auto f = wfp_filters(kOffline, PortRange{47800, 47809});
  ASSERT_EQ(f.size(), 6u);
  for (const auto& x : f) {
    SCOPED_TRACE(x.name);
    EXPECT_TRUE(has_user(x, kOffline));
    // A permit is soft: another sublayer's block (the firewall's) still applies.
    EXPECT_EQ((x.flags & wfp::kFlagClearActionRight) != 0, !x.permit);
  }
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kTcp, v4(127, 0, 0, 1), 47800)), true);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kTcp, v4(127, 0, 0, 1), 47809)), true);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV6, wfp::kTcp, v6_loopback(), 47805)), true);
  // Its siblings stay blocked: other ports, UDP, another loopback address, elsewhere, ICMP.
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kTcp, v4(127, 0, 0, 1), 47810)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kTcp, v4(127, 0, 0, 1), 47799)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, 17, v4(127, 0, 0, 1), 47800)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kTcp, v4(127, 0, 0, 2), 47800)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kTcp, v4(10, 0, 0, 1), 47800)), false);
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV4, wfp::kIcmp, v4(127, 0, 0, 1), 0)), false);
  // The v4 loopback permit does not open v6 and the other way round.
  EXPECT_EQ(wfp_verdict(f, conn(kOffline, Layer::ConnectV6, wfp::kTcp, v4(127, 0, 0, 1), 47800)), false);
}

TEST(WinWfp, ReadBackComparison) {
  const auto want = wfp_filters(kOffline, PortRange{47800, 47809})[2];  // the v4 permit
  EXPECT_TRUE(compare_filters(want, want).empty());
  WfpFilterSpec got = want;
  std::reverse(got.conditions.begin(), got.conditions.end());  // order is not meaning
  got.flags |= 0x40;                                           // INDEXED: the engine's own
  got.conditions[got.conditions.size() - 1].user_sddl = "O:SYD:(A;;CC;;;S-1-5-21-10-20-30-1005)";
  EXPECT_TRUE(compare_filters(want, got).empty());
  // What matters is caught: a widened user, an extra condition, a disabled filter,
  // another weight, action or layer, a condition gone.
  auto differs = [&](const std::function<void(WfpFilterSpec&)>& change) {
    WfpFilterSpec g = want;
    change(g);
    return !compare_filters(want, g).empty();
  };
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.conditions[0].user_sddl = user_sddl(kAlice); }));
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.conditions.push_back(g.conditions[1]); }));
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.conditions.pop_back(); }));
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.flags |= wfp::kFlagDisabled; }));
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.flags &= ~wfp::kFlagPersistent; }));
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.weight = 15; }));
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.permit = false; }));
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.layer = Layer::ConnectV6; }));
  EXPECT_TRUE(differs([](WfpFilterSpec& g) { g.conditions[3].ports.last = 65535; }));
  const auto block = wfp_filters(kOffline, std::nullopt)[2];
  WfpFilterSpec soft = block;
  soft.flags &= ~wfp::kFlagClearActionRight;  // a block another sublayer could override
  EXPECT_FALSE(compare_filters(block, soft).empty());
}

TEST(WinWfp, SetupAddsTheFiltersBeforeTheFirewallRules) {
  SetupFacts facts;
  facts.real_user = kAlice;
  facts.write_roots = {"C:\\Users\\alice\\src\\ws"};
  for (const auto& proxy : {std::optional<PortRange>{}, std::optional<PortRange>{PortRange{47800, 47809}}}) {
    facts.proxy_ports = proxy;
    auto plan = plan_setup(facts);
    auto at = [&](SetupStepKind k) {
      for (size_t i = 0; i < plan.steps.size(); ++i)
        if (plan.steps[i].kind == k) return i;
      return plan.steps.size();
    };
    const size_t wfp = at(SetupStepKind::ApplyWfpFilters);
    ASSERT_LT(wfp, plan.steps.size());
    EXPECT_TRUE(plan.steps[wfp].needs_elevation);
    EXPECT_LT(at(SetupStepKind::StoreSecrets), wfp);  // after the accounts: the SID is known
    EXPECT_LT(wfp, at(SetupStepKind::ApplyFirewallRule));
    EXPECT_LT(wfp, at(SetupStepKind::WriteMarker));
  }
  // A refresh (unelevated) never touches them.
  SetupMarker m;
  m.offline = {kOfflineUser, kOffline};
  m.online = {kOnlineUser, kOnline};
  m.group = {kSandboxGroup, Sid{5, {21, 10, 20, 30, 1004}}};
  facts.marker = m;
  facts.refresh = true;
  facts.accounts_present = true;
  facts.write_roots.push_back("C:\\Users\\alice\\src\\other");
  auto refresh = plan_setup(facts);
  EXPECT_FALSE(refresh.full);
  for (const auto& s : refresh.steps) EXPECT_NE(s.kind, SetupStepKind::ApplyWfpFilters);
}

TEST(WinWfp, UninstallRemovesOnlyCordonsOwnObjects) {
  Ledger l;
  l.record_setup({SetupObject::User, kOfflineUser, kOffline.str(), ""});
  // A forged record cannot name a WFP object: the step carries no key from the files.
  l.record_setup({SetupObject::FirewallRule, "Core Networking - DNS (UDP-Out)", "", ""});
  SetupMarker m;
  m.offline = {kOfflineUser, kOffline};
  m.online = {kOnlineUser, kOnline};
  m.group = {kSandboxGroup, Sid{5, {21, 10, 20, 30, 1004}}};
  auto full = plan_uninstall(LedgerSalvage{l, {}}, m);
  size_t wfp = full.steps.size(), rule = full.steps.size(), user = full.steps.size();
  for (size_t i = 0; i < full.steps.size(); ++i) {
    if (full.steps[i].kind == UninstallStepKind::RemoveWfpObjects) wfp = i;
    if (full.steps[i].kind == UninstallStepKind::RemoveFirewallRule && rule == full.steps.size()) rule = i;
    if (full.steps[i].kind == UninstallStepKind::DeleteUser && user == full.steps.size()) user = i;
  }
  ASSERT_LT(wfp, full.steps.size());
  EXPECT_EQ(full.steps[wfp].target, kWfpObjects);
  EXPECT_FALSE(full.steps[wfp].from_ledger);
  EXPECT_LT(rule, wfp);
  EXPECT_LT(wfp, user);  // before the user whose SID the filters name
  // The elevated child does it; the unelevated parent never does.
  auto up = elevated_part(full, {kOffline, kOnline});
  EXPECT_TRUE(std::any_of(up.steps.begin(), up.steps.end(), [](const UninstallStep& s) {
    return s.kind == UninstallStepKind::RemoveWfpObjects;
  }));
  auto down = unelevated_part(full, {kOffline, kOnline});
  EXPECT_TRUE(std::none_of(down.steps.begin(), down.steps.end(), [](const UninstallStep& s) {
    return s.kind == UninstallStepKind::RemoveWfpObjects;
  }));
  // A step of that kind naming anything else is not replayed elevated.
  UninstallPlan forged;
  forged.steps.push_back({UninstallStepKind::RemoveWfpObjects, "{b0d3...}", "", std::nullopt, {}, true});
  EXPECT_TRUE(elevated_part(forged, {kOffline}).steps.empty());
  // Without any trace of stage 2 nothing is removed (and no administrator asked for).
  auto none = plan_uninstall(LedgerSalvage{}, std::nullopt, /*setup_traces=*/false);
  EXPECT_TRUE(std::none_of(none.steps.begin(), none.steps.end(), [](const UninstallStep& s) {
    return s.kind == UninstallStepKind::RemoveWfpObjects;
  }));
}

}  // namespace
}  // namespace cordon::win
