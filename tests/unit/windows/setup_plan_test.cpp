// Stage-2 setup planning: full and refresh plans, the marker and its version, the
// grants (checked against the access model), secrets, passwords, structured errors.
#include "plan/windows/setup_plan.hpp"

#include <gtest/gtest.h>

#include "plan/windows/setup_error.hpp"
#include "plan/windows/win_path.hpp"
#include "win_fixture.hpp"

namespace cordon::win {
namespace {

using test::kProfile;
using test::kWs;

const Sid kGroup{5, {21, 10, 20, 30, 1004}};
const Sid kOfflineSid{5, {21, 10, 20, 30, 1005}};
const Sid kOnlineSid{5, {21, 10, 20, 30, 1006}};

SetupMarker current_marker() {
  SetupMarker m;
  m.offline = {kOfflineUser, kOfflineSid};
  m.online = {kOnlineUser, kOnlineSid};
  m.group = {kSandboxGroup, kGroup};
  m.write_roots = {kWs};
  m.real_user = test::kUser.str();
  return m;
}

std::vector<SetupStepKind> kinds(const SetupPlan& plan) {
  std::vector<SetupStepKind> out;
  for (const auto& s : plan.steps) out.push_back(s.kind);
  return out;
}

const SetupStep* find(const SetupPlan& plan, SetupStepKind kind, const std::string& target) {
  for (const auto& s : plan.steps)
    if (s.kind == kind && same_path(s.target, target)) return &s;
  return nullptr;
}

TEST(WinSetupPlan, FullSetupOrder) {
  test::Host h;
  SetupFacts facts;
  facts.real_user = test::kUser;
  facts.user_profile = kProfile;
  facts.write_roots = {kWs};
  facts.fs = h.fs.get();
  auto plan = plan_setup(facts);
  EXPECT_TRUE(plan.full);
  EXPECT_TRUE(plan.needs_elevation);
  using K = SetupStepKind;
  auto k = kinds(plan);
  // Accounts, then secrets, then the firewall, then grants; the marker last.
  std::vector<K> head{K::CreateGroup, K::CreateUser, K::CreateUser,  K::AddToGroup,   K::AddToGroup,
                      K::HideUser,    K::HideUser,   K::LogonRights, K::LockSetupDir, K::StoreSecrets};
  ASSERT_GE(k.size(), head.size());
  EXPECT_EQ(std::vector<K>(k.begin(), k.begin() + static_cast<long>(head.size())), head);
  EXPECT_EQ(k.back(), K::WriteMarker);
  EXPECT_EQ(plan.steps[1].target, kOfflineUser);
  EXPECT_FALSE(plan.steps[1].online);
  EXPECT_EQ(plan.steps[2].target, kOnlineUser);
  EXPECT_TRUE(plan.steps[2].online);
  // Block-all: the split rules of a previous setup are removed before it is applied.
  ASSERT_NE(find(plan, K::ApplyFirewallRule, "cordon-offline-block-outbound"), nullptr);
  EXPECT_NE(find(plan, K::RemoveFirewallRule, "cordon-offline-block-non-loopback"), nullptr);
  EXPECT_EQ(find(plan, K::RemoveFirewallRule, "cordon-offline-block-outbound"), nullptr);
  // The workspace and the ancestors below the profile that Users cannot read.
  EXPECT_NE(find(plan, K::GrantWrite, kWs), nullptr);
  EXPECT_NE(find(plan, K::GrantTraverse, kProfile), nullptr);
  EXPECT_NE(find(plan, K::GrantTraverse, std::string(kProfile) + "\\src"), nullptr);
  EXPECT_EQ(find(plan, K::GrantTraverse, "C:\\Users"), nullptr);  // not modelled as unreadable: see below
}

TEST(WinSetupPlan, SplitVariantRemovesBlockAll) {
  SetupFacts facts;
  facts.proxy_ports = PortRange{47800, 47809};
  auto plan = plan_setup(facts);
  EXPECT_NE(find(plan, SetupStepKind::RemoveFirewallRule, "cordon-offline-block-outbound"), nullptr);
  const auto* tcp =
      find(plan, SetupStepKind::ApplyFirewallRule, "cordon-offline-block-loopback-tcp-except-proxy");
  ASSERT_NE(tcp, nullptr);
  ASSERT_TRUE(tcp->rule);
  EXPECT_EQ(tcp->rule->remote_ports, "1-47799,47810-65535");
}

TEST(WinSetupPlan, RefusesProfileAndDriveRoots) {
  SetupFacts facts;
  facts.user_profile = kProfile;
  facts.write_roots = {kProfile, "C:\\", "C:\\Users"};
  facts.read_roots = {"D:\\"};
  auto plan = plan_setup(facts);
  for (const auto& s : plan.steps) {
    EXPECT_NE(s.kind, SetupStepKind::GrantWrite) << s.target;
    EXPECT_NE(s.kind, SetupStepKind::GrantRead) << s.target;
  }
  EXPECT_EQ(plan.notes.size(), 4u);
  auto m = marker_after(facts, {}, {}, {}, false);
  EXPECT_TRUE(m.write_roots.empty());
  EXPECT_TRUE(m.read_roots.empty());
}

// F19: stage 2 refused the profile and drive roots but not the system directories
// that stage 1's check_root refuses.
TEST(WinSetupPlan, RefusesSystemDirectories) {
  SetupFacts facts;
  facts.user_profile = kProfile;
  facts.system_dirs = {"C:\\Windows", "C:\\Program Files", "C:\\ProgramData"};
  facts.write_roots = {"C:\\Program Files\\Vendor", "C:\\Windows\\Temp", "C:\\ProgramData\\x"};
  facts.read_roots = {"C:\\Program Files"};
  auto plan = plan_setup(facts);
  for (const auto& s : plan.steps) {
    EXPECT_NE(s.kind, SetupStepKind::GrantWrite) << s.target;
    EXPECT_NE(s.kind, SetupStepKind::GrantRead) << s.target;
  }
  EXPECT_EQ(plan.notes.size(), 4u);
}

TEST(WinSetupPlan, RefusesTheStateDirAndItsAncestors) {
  SetupFacts facts;
  facts.user_profile = kProfile;
  facts.state_dir = test::kState;
  facts.write_roots = {test::kState, std::string(test::kState) + "\\setup",
                       std::string(kProfile) + "\\AppData"};
  facts.read_roots = {std::string(kProfile) + "\\AppData\\Local"};
  auto plan = plan_setup(facts);
  for (const auto& s : plan.steps) {
    EXPECT_NE(s.kind, SetupStepKind::GrantWrite) << s.target;
    EXPECT_NE(s.kind, SetupStepKind::GrantRead) << s.target;
  }
  EXPECT_EQ(plan.notes.size(), 4u);
}

TEST(WinSetupPlan, ReadRootsSkipWhatUsersCanReadAlready) {
  test::Host h;
  SetupFacts facts;
  facts.user_profile = kProfile;
  facts.fs = h.fs.get();
  facts.read_roots = {"C:\\Windows\\System32", test::kOutside, std::string(kWs) + "\\src"};
  facts.write_roots = {kWs};
  auto plan = plan_setup(facts);
  EXPECT_EQ(find(plan, SetupStepKind::GrantRead, "C:\\Windows\\System32"), nullptr);
  const auto* outside = find(plan, SetupStepKind::GrantRead, test::kOutside);
  ASSERT_NE(outside, nullptr);
  EXPECT_TRUE(outside->asynchronous);
  EXPECT_EQ(find(plan, SetupStepKind::GrantRead, std::string(kWs) + "\\src"),
            nullptr);  // inside a write root
}

TEST(WinSetupPlan, GrantsWorkInTheAccessModel) {
  test::Host h;
  SetupFacts facts;
  facts.user_profile = kProfile;
  facts.fs = h.fs.get();
  facts.write_roots = {kWs};
  auto plan = plan_setup(facts);
  for (const auto& s : plan.steps)
    if (s.kind == SetupStepKind::GrantWrite || s.kind == SetupStepKind::GrantTraverse)
      h.fs->add_ace(s.target, grant_ace(s.kind, kGroup));
  TokenModel sandbox;
  sandbox.user = kOfflineSid;
  sandbox.groups = {{sids::everyone()}, {sids::authenticated_users()}, {sids::users()}, {kGroup}};
  const auto scope = RestrictedScope::GenericWrite;
  EXPECT_TRUE(h.fs->can(sandbox, Op::Create, std::string(kWs) + "\\new.txt", scope));
  EXPECT_TRUE(h.fs->can(sandbox, Op::Read, std::string(kWs) + "\\src\\main.c", scope));
  EXPECT_TRUE(h.fs->can(sandbox, Op::Delete, std::string(kWs) + "\\src\\main.c", scope));
  // Outside the roots: the separate user has none of the real user's rights.
  EXPECT_FALSE(h.fs->can(sandbox, Op::Read, std::string(test::kOutside) + "\\secret.txt", scope));
  EXPECT_FALSE(h.fs->can(sandbox, Op::Delete, std::string(test::kOutside) + "\\secret.txt", scope));
  EXPECT_FALSE(h.fs->can(sandbox, Op::Create, std::string(kProfile) + "\\x.txt", scope));
  // Ancestors: stat and traverse, but their entries cannot be listed.
  auto dacl = h.fs->effective_dacl(kProfile);
  EXPECT_TRUE(access_allowed(sandbox, &dacl, test::kUser, access::kReadAttributes | access::kExecute, scope));
  EXPECT_FALSE(access_allowed(sandbox, &dacl, test::kUser, access::kReadData, scope));
}

TEST(WinSetupPlan, RefreshGrantsOnlyNewRoots) {
  SetupFacts facts;
  facts.user_profile = kProfile;
  facts.refresh = true;
  facts.accounts_present = true;
  facts.marker = current_marker();
  facts.write_roots = {kWs};
  auto none = plan_setup(facts);
  EXPECT_FALSE(none.full);
  EXPECT_FALSE(none.needs_elevation);
  EXPECT_TRUE(none.steps.empty());

  facts.write_roots = {kWs, test::kExtra};
  auto plan = plan_setup(facts);
  EXPECT_FALSE(plan.needs_elevation);
  ASSERT_NE(find(plan, SetupStepKind::GrantWrite, test::kExtra), nullptr);
  EXPECT_EQ(find(plan, SetupStepKind::GrantWrite, kWs), nullptr);
  EXPECT_EQ(plan.steps.back().kind, SetupStepKind::WriteMarker);
  for (const auto& s : plan.steps) EXPECT_FALSE(s.needs_elevation) << to_string(s.kind);
  auto m = marker_after(facts, facts.marker->offline, facts.marker->online, facts.marker->group, false);
  EXPECT_EQ(m.write_roots, (std::vector<std::string>{kWs, test::kExtra}));
}

TEST(WinSetupPlan, RefreshWithStaleMarkerNeedsFullSetup) {
  SetupFacts facts;
  facts.refresh = true;
  facts.accounts_present = true;
  facts.marker = current_marker();
  facts.marker->version = kSetupFormatVersion - 1;
  auto plan = plan_setup(facts);
  EXPECT_TRUE(plan.full);
  EXPECT_TRUE(plan.needs_elevation);
  ASSERT_FALSE(plan.notes.empty());
  EXPECT_NE(plan.notes[0].find("format"), std::string::npos);

  facts.marker = current_marker();
  facts.accounts_present = false;  // someone deleted the users
  EXPECT_TRUE(plan_setup(facts).needs_elevation);
  facts.marker.reset();
  EXPECT_TRUE(plan_setup(facts).needs_elevation);
}

TEST(WinSetupPlan, FullSetupKeepsEarlierRoots) {
  SetupFacts facts;
  facts.marker = current_marker();
  facts.write_roots = {test::kExtra};
  auto plan = plan_setup(facts);
  EXPECT_NE(find(plan, SetupStepKind::GrantWrite, kWs), nullptr);
  EXPECT_NE(find(plan, SetupStepKind::GrantWrite, test::kExtra), nullptr);
}

TEST(WinSetupMarker, RoundTripAndStageStatus) {
  auto m = current_marker();
  m.proxy_ports = PortRange{47800, 47809};
  m.read_roots = {"D:\\data"};
  m.read_grants_pending = true;
  std::string text = to_json(m).dump();
  auto back = parse_marker(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, m);
  auto status = stage_status(text);
  EXPECT_TRUE(status.stage2);
  EXPECT_EQ(status.marker->offline.sid, kOfflineSid);

  EXPECT_FALSE(stage_status(std::nullopt).stage2);
  EXPECT_NE(stage_status(std::nullopt).reason.find("has not run"), std::string::npos);
  EXPECT_FALSE(stage_status(std::string("{")).stage2);
  auto old = to_json(m);
  old["version"] = kSetupFormatVersion + 1;
  auto stale = stage_status(old.dump());
  EXPECT_FALSE(stale.stage2);
  EXPECT_NE(stale.reason.find("format"), std::string::npos);
  auto broken = to_json(m);
  broken["offline"]["sid"] = "not-a-sid";
  EXPECT_FALSE(stage_status(broken.dump()).stage2);
}

// F8: a stage 2 that was set up but cannot be used (stale, damaged or NUL-filled
// marker) used to fall back to stage 1 silently.
TEST(WinSetupMarker, AStaleOrDamagedMarkerIsRefusedNotSilentlyStageOne) {
  auto m = current_marker();
  EXPECT_EQ(*run_stage(stage_status(to_json(m).dump()), false), 2);
  EXPECT_EQ(*run_stage(stage_status(std::nullopt), false), 1);  // never set up: stage 1
  auto old = to_json(m);
  old["version"] = kSetupFormatVersion + 1;
  for (const std::string& text : {old.dump(), std::string("{"), std::string(64, '\0')}) {
    auto refused = run_stage(stage_status(text), false);
    ASSERT_FALSE(refused) << text.size();
    EXPECT_NE(refused.error().message().find("cordon setup"), std::string::npos);
    EXPECT_NE(refused.error().message().find("--best-effort"), std::string::npos);
    EXPECT_EQ(*run_stage(stage_status(text), true), 1);  // asked for: stage 1
  }
}

TEST(WinSetupSecrets, RoundTripWithoutPlaintext) {
  SecretsFile s{kOfflineUser, std::string("\x01\x02\xff\x00zz", 6), kOnlineUser, "blob-two"};
  std::string text = serialize(s);
  auto back = parse_secrets(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->offline_blob, s.offline_blob);
  EXPECT_EQ(back->online_name, kOnlineUser);
  EXPECT_FALSE(parse_secrets("{\"version\":1}"));
  EXPECT_FALSE(parse_secrets("garbage"));
}

TEST(WinSetupSecrets, Base64) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(base64_decode("Zm8"));
  EXPECT_FALSE(base64_decode("Z=8="));
  EXPECT_FALSE(base64_decode("Zm!="));
  EXPECT_FALSE(base64_decode("Zg==Zg=="));
  EXPECT_FALSE(base64_decode("Zm9="));  // non-canonical: dropped bits set
  EXPECT_FALSE(base64_decode("Zh=="));
}

TEST(WinSetupPassword, RejectionSamplingAndClasses) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>((i * 37 + 11) & 0xFF);  // spread over the alphabet
  auto p = password_from_bytes(bytes, 32);
  ASSERT_EQ(p.size(), 32u);
  EXPECT_NE(p.find_first_of("0123456789"), std::string::npos);
  // Bytes past the unbiased limit (256 - 256 % 76 = 228) are skipped.
  EXPECT_EQ(password_from_bytes(std::string(64, static_cast<char>(250)), 8), "");
  EXPECT_EQ(password_from_bytes("abc", 32), "");                 // ran out
  EXPECT_EQ(password_from_bytes(std::string(64, '\0'), 8), "");  // one class only
}

TEST(WinSetupError, JsonRoundTripAndText) {
  SetupError e{SetupErrorCode::FirewallRuleVerify, "INetFwRule::get_RemoteAddresses",    0,
               "cordon-offline-block-outbound",    "read back differs: RemoteAddresses", ""};
  auto back = parse_setup_error(to_json(e).dump());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, e);
  EXPECT_EQ(to_json(e)["code"], "firewall_rule_verify");
  std::string text = to_text(SetupError{SetupErrorCode::UserCreate, "NetUserAdd", 5, kOfflineUser, "", ""});
  EXPECT_NE(text.find("[user_create]: NetUserAdd(CordonSandboxOffline): Win32 error 5"), std::string::npos);
  EXPECT_NE(text.find("hint: "), std::string::npos);
  EXPECT_NE(to_text(SetupError{SetupErrorCode::FirewallCom, "INetFwRules::Item", 0x80004001u, "", "", ""})
                .find("HRESULT 0x80004001"),
            std::string::npos);
  EXPECT_FALSE(parse_setup_error("{\"code\":\"nope\"}"));
  EXPECT_FALSE(parse_setup_error("[]"));
  for (int c = 0; c <= static_cast<int>(SetupErrorCode::Internal); ++c) {
    auto code = static_cast<SetupErrorCode>(c);
    EXPECT_EQ(parse_setup_error_code(to_string(code)), code);
  }
  EXPECT_EQ(win32_code_from_detail("Win32 error 1332 (No mapping)"), 1332u);
  EXPECT_EQ(win32_code_from_detail("nothing"), 0u);
}

// F23: an existing account of cordon's name was adopted whatever its groups.
TEST(WinSetupPlan, AnExistingAccountIsAdoptedOnlyInUsersAndCordonsGroup) {
  const Sid group{5, {21, 7, 7, 7, 1100}};
  EXPECT_TRUE(unexpected_groups({sids::users(), group}, group).empty());
  EXPECT_TRUE(unexpected_groups({}, group).empty());
  EXPECT_EQ(unexpected_groups({sids::users(), sids::administrators(), group}, group),
            std::vector<Sid>{sids::administrators()});
  const Sid rdp = *Sid::parse("S-1-5-32-555");
  EXPECT_EQ(unexpected_groups({rdp}, std::nullopt), std::vector<Sid>{rdp});
  // Without cordon's group known, a group of that SID is not waved through.
  EXPECT_EQ(unexpected_groups({group}, std::nullopt), std::vector<Sid>{group});
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// F23: the sandbox group gets no logon but the local one CreateProcessWithLogonW makes,
// set after the accounts exist and before their passwords are stored.
TEST(WinSetupLogonRights, TheGroupIsDeniedEveryOtherLogonAndTheLocalOneIsChecked) {
  test::Host h;
  SetupFacts facts;
  facts.real_user = test::kUser;
  facts.user_profile = test::kProfile;
  facts.write_roots = {test::kWs};
  facts.fs = h.fs.get();
  auto plan = plan_setup(facts);
  auto it = std::find_if(plan.steps.begin(), plan.steps.end(),
                         [](const SetupStep& s) { return s.kind == SetupStepKind::LogonRights; });
  ASSERT_NE(it, plan.steps.end());
  EXPECT_EQ(it->target, kSandboxGroup);
  EXPECT_TRUE(it->needs_elevation);
  const auto& rights = denied_logon_rights();
  for (const char* r : {"SeDenyNetworkLogonRight", "SeDenyRemoteInteractiveLogonRight",
                        "SeDenyBatchLogonRight", "SeDenyServiceLogonRight"})
    EXPECT_NE(std::find(rights.begin(), rights.end(), r), rights.end()) << r;
  // Never the local logon itself: every run logs the sandbox user on that way.
  EXPECT_EQ(std::find(rights.begin(), rights.end(), "SeDenyInteractiveLogonRight"), rights.end());
  // Read back: a right the LSA does not report is missing (names compare case-blind).
  EXPECT_TRUE(missing_rights(rights, {"sedenynetworklogonright", "SeDenyRemoteInteractiveLogonRight",
                                      "SeDenyBatchLogonRight", "SeDenyServiceLogonRight"})
                  .empty());
  EXPECT_EQ(missing_rights(rights, {"SeDenyNetworkLogonRight"}).size(), 3u);
}

TEST(WinSetupLogonRights, ALocalLogonTheHostDeniesStopsSetup) {
  const Sid user = *Sid::parse("S-1-5-21-9-9-9-1001");
  const Sid group = *Sid::parse("S-1-5-21-9-9-9-1003");
  const std::vector<Sid> principals = {user, group, sids::users(), sids::authenticated_users(),
                                       sids::everyone()};
  // The stock policy: Users may log on locally, nobody is denied.
  EXPECT_EQ(interactive_logon_problem(principals, {sids::administrators(), sids::users()}, {}), "");
  // Hardened hosts: only Administrators may log on locally, or Users are denied it.
  EXPECT_NE(interactive_logon_problem(principals, {sids::administrators()}, {}), "");
  EXPECT_NE(interactive_logon_problem(principals, {sids::users()}, {sids::users()}).find("S-1-5-32-545"),
            std::string::npos);
  EXPECT_NE(interactive_logon_problem(principals, {sids::users()}, {group}), "");
  // A deny for someone else does not matter.
  EXPECT_EQ(interactive_logon_problem(principals, {sids::users()}, {*Sid::parse("S-1-5-32-546")}), "");
}

}  // namespace
}  // namespace cordon::win
