// Ledger format 2 (setup records), the salvage of damaged ledgers, and the uninstall
// replay: reverse order, sweeps of well-known names, robustness to partial state.
#include "plan/windows/uninstall_plan.hpp"

#include <gtest/gtest.h>

namespace cordon::win {
namespace {

const Sid kGroup{5, {21, 10, 20, 30, 1004}};
const Sid kOfflineSid{5, {21, 10, 20, 30, 1005}};
const Sid kOnlineSid{5, {21, 10, 20, 30, 1006}};
const Ace kAceA{AceType::Allow, sids::capability({1, 2, 3, 4}), access::kFileAllAccess, ace_flags::kTree};
const Ace kAceB{AceType::Deny, sids::capability({1, 2, 3, 4}), access::kModifying, 0};

Ledger full_ledger() {
  Ledger l;
  l.add("C:\\ws", kAceA, "writable root");
  l.add("C:\\ws\\.git\\config", kAceB, "protected");
  l.add("C:\\ws", {AceType::Allow, kGroup, access::kFileGenericRead, ace_flags::kTree}, "stage 2 write");
  l.add_placeholder({"C:\\ws\\.claude", true, "protected .claude"});
  l.record_setup({SetupObject::Group, kSandboxGroup, "", ""});
  l.record_setup({SetupObject::User, kOfflineUser, "", ""});
  l.record_setup({SetupObject::User, kOfflineUser, kOfflineSid.str(), ""});  // SID learned later
  l.record_setup({SetupObject::User, kOnlineUser, kOnlineSid.str(), ""});
  l.record_setup({SetupObject::FirewallRule, "cordon-offline-block-outbound", "", ""});
  l.record_setup({SetupObject::RegistryValue, kHideKey, "", kOfflineUser});
  return l;
}

SetupMarker marker() {
  SetupMarker m;
  m.offline = {kOfflineUser, kOfflineSid};
  m.online = {kOnlineUser, kOnlineSid};
  m.group = {kSandboxGroup, kGroup};
  m.write_roots = {"C:\\Users\\alice\\src\\ws"};
  return m;
}

size_t index_of(const UninstallPlan& p, UninstallStepKind kind, const std::string& target = {}) {
  for (size_t i = 0; i < p.steps.size(); ++i)
    if (p.steps[i].kind == kind && (target.empty() || p.steps[i].target == target)) return i;
  return SIZE_MAX;
}

TEST(WinLedgerV2, SetupRecordsRoundTripAndUpdateInPlace) {
  Ledger l = full_ledger();
  EXPECT_EQ(l.setup.size(), 5u);  // the SID update did not add a second user record
  EXPECT_EQ(l.setup[1].sid, kOfflineSid.str());
  EXPECT_FALSE(l.record_setup({SetupObject::User, "cordonsandboxoffline", "", ""}));
  auto text = serialize(l);
  EXPECT_NE(text.find("\"version\": 2"), std::string::npos);
  auto back = parse_ledger(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->setup, l.setup);
  EXPECT_EQ(back->entries, l.entries);
  EXPECT_TRUE(back->remove_setup(SetupObject::RegistryValue, kHideKey, kOfflineUser));
  EXPECT_FALSE(back->remove_setup(SetupObject::RegistryValue, kHideKey, kOfflineUser));
  // Version 1 (stage 1 only) still loads; unknown versions and bad records do not.
  EXPECT_TRUE(parse_ledger(R"({"version": 1, "entries": [], "placeholders": []})"));
  EXPECT_FALSE(parse_ledger(R"({"version": 3, "entries": []})"));
  EXPECT_FALSE(parse_ledger(R"({"version": 2, "entries": [], "setup": [{"kind": "alien", "name": "x"}]})"));
}

TEST(WinLedgerSalvage, IntactLedgerHasNoProblems) {
  auto s = salvage_ledger(serialize(full_ledger()));
  EXPECT_TRUE(s.intact());
  EXPECT_EQ(s.ledger.entries, full_ledger().entries);
  EXPECT_EQ(s.ledger.setup, full_ledger().setup);
}

TEST(WinLedgerSalvage, TruncationKeepsEveryCompleteRecord) {
  const std::string text = serialize(full_ledger());
  // Cut the file at every byte: never a crash, never an invented record, and every
  // ACE recovered is one that was really in the ledger.
  for (size_t cut = 0; cut <= text.rfind('}'); ++cut) {
    auto s = salvage_ledger(text.substr(0, cut));
    EXPECT_FALSE(s.intact()) << cut;
    for (const auto& e : s.ledger.entries) EXPECT_TRUE(full_ledger().contains(e.path, e.ace)) << cut;
    for (const auto& r : s.ledger.setup) {
      bool known = false;
      for (const auto& k : full_ledger().setup) known = known || (k.kind == r.kind && k.name == r.name);
      EXPECT_TRUE(known) << cut;
    }
  }
  // Cut inside the third ACE entry: the first two survive, the third is reported.
  auto at = text.find("stage 2 write");
  auto s = salvage_ledger(text.substr(0, at));
  EXPECT_EQ(s.ledger.entries.size(), 2u);
  EXPECT_GE(s.problems.size(), 2u);  // truncated JSON, a truncated ACE entry
}

TEST(WinLedgerSalvage, TruncatedNumberIsNotTrusted) {
  // "mask": 2032127 cut to "mask": 20 would name a different ACE: the open entry is dropped.
  std::string text =
      R"({"version":2,"entries":[{"path":"C:\\ws","type":"allow","sid":"S-1-5-21-1-2-3-4","flags":3,"mask":20)";
  auto s = salvage_ledger(text);
  EXPECT_TRUE(s.ledger.entries.empty());
  EXPECT_FALSE(s.intact());
}

TEST(WinLedgerSalvage, GarbageAndWrongShapes) {
  for (const char* text :
       {"", "\x00\x00\x00", "[]", "42", "{\"entries\": 5}", "{\"version\":2,\"entries\":[7,null]}",
        "{\"version\":2,\"entries\":[],\"setup\":{}}", "nul\xff"}) {
    auto s = salvage_ledger(text);
    EXPECT_FALSE(s.intact()) << text;
    EXPECT_TRUE(s.ledger.entries.empty());
  }
}

TEST(WinUninstall, ReverseOrderAndEverythingListed) {
  LedgerSalvage s{full_ledger(), {}};
  auto p = plan_uninstall(s, marker());
  EXPECT_TRUE(p.problems.empty());
  using K = UninstallStepKind;
  // ACEs newest first, before anything that would orphan their SIDs.
  ASSERT_EQ(p.steps[0].kind, K::RemoveAce);
  EXPECT_EQ(p.steps[0].ace->sid, kGroup);
  EXPECT_EQ(p.steps[2].ace, kAceA);
  size_t sweep = index_of(p, K::SweepSids, "C:\\Users\\alice\\src\\ws");
  ASSERT_NE(sweep, SIZE_MAX);
  EXPECT_EQ(p.steps[sweep].sids.size(), 3u);
  EXPECT_NE(index_of(p, K::SweepSids, "C:\\Users\\alice"), SIZE_MAX);  // traversed ancestors too
  EXPECT_EQ(index_of(p, K::SweepSids, "C:\\"), SIZE_MAX);
  size_t placeholder = index_of(p, K::RemovePlaceholder);
  size_t rule = index_of(p, K::RemoveFirewallRule);
  size_t reg = index_of(p, K::RemoveRegistryValue);
  size_t profile = index_of(p, K::DeleteProfile, kOfflineUser);
  size_t user = index_of(p, K::DeleteUser, kOfflineUser);
  size_t group = index_of(p, K::DeleteGroup, kSandboxGroup);
  size_t rights = index_of(p, K::RemoveLogonRights, kSandboxGroup);  // F23: no LSA account left
  size_t files = index_of(p, K::RemoveSetupFiles);
  ASSERT_NE(rights, SIZE_MAX);
  EXPECT_LT(user, rights);
  EXPECT_LT(rights, group);
  EXPECT_LT(sweep, placeholder);
  EXPECT_LT(placeholder, rule);
  EXPECT_LT(rule, reg);
  EXPECT_LT(reg, profile);
  EXPECT_LT(profile, user);
  EXPECT_LT(user, group);
  EXPECT_LT(group, files);
  EXPECT_EQ(files, p.steps.size() - 1);
  EXPECT_EQ(p.steps[profile].sids, std::vector<Sid>{kOfflineSid});
  // Every rule name is swept once, the ledgered one marked as such.
  size_t rules = 0;
  for (const auto& st : p.steps)
    if (st.kind == K::RemoveFirewallRule) {
      ++rules;
      EXPECT_EQ(st.from_ledger, st.target == "cordon-offline-block-outbound") << st.target;
    }
  EXPECT_EQ(rules, known_rule_names().size());
  EXPECT_NE(index_of(p, K::DeleteUser, kOnlineUser), SIZE_MAX);
  size_t groups = 0;
  for (const auto& st : p.steps) groups += st.kind == K::DeleteGroup;
  EXPECT_EQ(groups, 1u);
}

TEST(WinUninstall, EmptyLedgerStillSweepsWellKnownNames) {
  auto p = plan_uninstall(LedgerSalvage{}, std::nullopt);
  using K = UninstallStepKind;
  EXPECT_EQ(index_of(p, K::RemoveAce), SIZE_MAX);
  EXPECT_EQ(index_of(p, K::SweepSids), SIZE_MAX);  // no SID known: nothing to sweep
  EXPECT_NE(index_of(p, K::DeleteUser, kOfflineUser), SIZE_MAX);
  EXPECT_NE(index_of(p, K::DeleteUser, kOnlineUser), SIZE_MAX);
  EXPECT_NE(index_of(p, K::DeleteGroup, kSandboxGroup), SIZE_MAX);
  EXPECT_NE(index_of(p, K::RemoveRegistryValue, kHideKey), SIZE_MAX);
  for (const auto& st : p.steps) {
    if (st.kind != K::DeleteProfile && st.kind != K::DeleteUser) {
      EXPECT_FALSE(st.from_ledger) << to_string(st.kind);
    }
  }
}

TEST(WinUninstall, StageOneOnlyNeedsNoSetupSteps) {
  Ledger l;
  l.add("C:\\ws", kAceA, "writable root");
  l.add_placeholder({"C:\\ws\\.claude", true, "protected .claude"});
  auto p = plan_uninstall(LedgerSalvage{l, {}}, std::nullopt, /*setup_traces=*/false);
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].kind, UninstallStepKind::RemoveAce);
  EXPECT_EQ(p.steps[1].kind, UninstallStepKind::RemovePlaceholder);
}

TEST(WinUninstall, DamagedLedgerIsReportedAndMarkerFillsTheGaps) {
  auto s = salvage_ledger(serialize(full_ledger()).substr(0, 40));
  auto p = plan_uninstall(s, marker());
  EXPECT_FALSE(p.problems.empty());
  // The marker still names the SIDs, so the granted roots are swept for them.
  size_t sweep = index_of(p, UninstallStepKind::SweepSids, "C:\\Users\\alice\\src\\ws");
  ASSERT_NE(sweep, SIZE_MAX);
  EXPECT_EQ(p.steps[sweep].sids.size(), 3u);
  size_t profile = index_of(p, UninstallStepKind::DeleteProfile, kOnlineUser);
  ASSERT_NE(profile, SIZE_MAX);
  EXPECT_EQ(p.steps[profile].sids, std::vector<Sid>{kOnlineSid});
}

// F19: the elevated child replays only cordon's own objects. A user (or a sandbox that
// can rewrite the state dir) who forges the ledger and the marker must not steer an
// administrator's token at another account, registry value, firewall rule or ACE.
TEST(WinUninstall, ElevatedPartTakesNoNameOrSidFromTheUsersFiles) {
  Ledger l = full_ledger();
  const Sid users = *Sid::parse("S-1-5-32-545");
  const Sid admins = *Sid::parse("S-1-5-32-544");
  l.add("C:\\Windows\\System32\\drivers", {AceType::Deny, users, access::kModifying, 0}, "forged");
  l.add("C:\\Windows\\System32", {AceType::Allow, kGroup, access::kFileAllAccess, 0}, "forged, sandbox SID");
  l.add_placeholder({"C:\\Windows\\System32\\empty", true, "forged"});
  l.record_setup({SetupObject::User, "Administrator", admins.str(), ""});
  l.record_setup({SetupObject::Group, "Administrators", admins.str(), ""});
  l.record_setup({SetupObject::FirewallRule, "Core Networking - DNS (UDP-Out)", "", ""});
  l.record_setup({SetupObject::RegistryValue, "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "",
                  "SecurityHealth"});
  SetupMarker m = marker();
  m.group = {"Administrators", admins};  // a forged marker naming a real group's SID
  m.write_roots.push_back("C:\\Windows");
  auto full = plan_uninstall(LedgerSalvage{l, {}}, m);
  // Before the split, the elevated child replayed `full` as it is: all of the above.
  ASSERT_NE(index_of(full, UninstallStepKind::DeleteUser, "Administrator"), SIZE_MAX);

  // The SIDs the elevated process looked up itself for cordon's fixed names.
  const std::vector<Sid> sandbox{kGroup, kOfflineSid, kOnlineSid};
  auto up = elevated_part(full, sandbox);
  using K = UninstallStepKind;
  for (const auto& st : up.steps) {
    SCOPED_TRACE(std::string(to_string(st.kind)) + " " + st.target + " " + st.detail);
    EXPECT_NE(st.kind, K::RemovePlaceholder);
    if (st.ace) {
      EXPECT_TRUE(st.ace->sid == kGroup || st.ace->sid == kOfflineSid || st.ace->sid == kOnlineSid);
    }
    for (const auto& sid : st.sids) EXPECT_NE(sid, admins);
    if (st.kind == K::DeleteUser || st.kind == K::DeleteProfile) {
      EXPECT_TRUE(st.target == kOfflineUser || st.target == kOnlineUser);
    }
    if (st.kind == K::DeleteGroup || st.kind == K::RemoveLogonRights) {
      EXPECT_EQ(st.target, kSandboxGroup);
    }
    if (st.kind == K::RemoveRegistryValue) {
      EXPECT_EQ(st.target, kHideKey);
    }
    if (st.kind == K::RemoveFirewallRule) {
      EXPECT_NE(st.target, "Core Networking - DNS (UDP-Out)");
    }
  }
  // cordon's own objects are all still there.
  EXPECT_NE(index_of(up, K::DeleteUser, kOfflineUser), SIZE_MAX);
  EXPECT_NE(index_of(up, K::DeleteGroup, kSandboxGroup), SIZE_MAX);
  EXPECT_NE(index_of(up, K::RemoveLogonRights, kSandboxGroup), SIZE_MAX);
  EXPECT_NE(index_of(up, K::RemoveFirewallRule, "cordon-offline-block-outbound"), SIZE_MAX);
  EXPECT_NE(index_of(up, K::RemoveSetupFiles), SIZE_MAX);
  size_t sweep = index_of(up, K::SweepSids, "C:\\Users\\alice\\src\\ws");
  ASSERT_NE(sweep, SIZE_MAX);
  EXPECT_EQ(up.steps[sweep].sids, (std::vector<Sid>{kOfflineSid, kOnlineSid}));  // not the forged group SID
  // A sandbox-SID ACE anywhere may go (it only ever widened the sandbox's access).
  EXPECT_NE(index_of(up, K::RemoveAce, "C:\\Windows\\System32"), SIZE_MAX);
  // What was refused is said.
  EXPECT_FALSE(up.problems.empty());

  // The unelevated part: the other ACEs and the placeholders, nothing else.
  auto down = unelevated_part(full, sandbox);
  EXPECT_NE(index_of(down, K::RemoveAce, "C:\\Windows\\System32\\drivers"), SIZE_MAX);
  EXPECT_NE(index_of(down, K::RemovePlaceholder, "C:\\ws\\.claude"), SIZE_MAX);
  for (const auto& st : down.steps) {
    EXPECT_TRUE(st.kind == K::RemoveAce || st.kind == K::RemovePlaceholder) << to_string(st.kind);
    if (st.ace) {
      EXPECT_NE(st.ace->sid, kGroup);
    }
  }
  // The forged records are recognisable as not cordon's, its own are.
  for (const auto& r : l.setup) {
    bool own = r.name == kSandboxGroup || r.name == kOfflineUser || r.name == kOnlineUser ||
               r.name == "cordon-offline-block-outbound" || (r.name == kHideKey && r.detail == kOfflineUser);
    EXPECT_EQ(own_setup_object(r), own) << r.name << " " << r.detail;
  }
  // Together they cover every ledgered ACE.
  size_t aces = 0;
  for (const auto* p : {&up, &down})
    for (const auto& st : p->steps) aces += st.kind == K::RemoveAce;
  EXPECT_EQ(aces, l.entries.size());
}

}  // namespace
}  // namespace cordon::win
