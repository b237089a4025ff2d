// Stage 2 as a planner input: given the facts the platform reads (the setup marker, the
// runner directory, whether the firewall rules take effect), plan_windows returns the
// final plan, stage-2 ACEs included, and to_report the stage rows; nothing is added to
// the plan afterwards, so explain (which plans with the same facts) shows run's plan.
#include <gtest/gtest.h>

#include <algorithm>

#include "plan/windows/runner_env.hpp"
#include "plan/windows/win_path.hpp"
#include "win_fixture.hpp"

namespace cordon::win {
namespace {

using test::Host;
using test::kWs;

const Sid kGroup{5, {21, 9, 9, 9, 1100}};
const char* const kRunnerDir = "C:\\Users\\alice\\AppData\\Local\\cordon\\runner";

Stage2Facts active_facts() {
  SetupMarker m;
  m.offline = {"CordonSandboxOffline", Sid{5, {21, 9, 9, 9, 1101}}};
  m.online = {"CordonSandboxOnline", Sid{5, {21, 9, 9, 9, 1102}}};
  m.group = {kSandboxGroup, kGroup};
  m.write_roots = {kWs};
  Stage2Facts f;
  f.status = StageStatus{true, "", m};
  f.runner_dir = kRunnerDir;
  f.wfp_not_verified = "";  // read back at this run
  return f;
}

Stage2Facts stage1_facts() {
  Stage2Facts f;
  f.status = StageStatus{false, "no setup marker", std::nullopt};
  f.runner_dir = kRunnerDir;
  return f;
}

WinPlan plan_with(const Policy& policy, std::optional<Stage2Facts> facts) {
  Host h;
  PlanOptions options = test::with_audit();
  options.stage = std::move(facts);
  auto p = plan_windows(policy, h.host, test::test_caps(), options);
  EXPECT_TRUE(p) << (p ? "" : p.error().message());
  return p ? *p : WinPlan{};
}

bool has_ace(const WinPlan& plan, const std::string& path, const Ace& ace, AceLifetime lifetime) {
  return std::any_of(plan.aces.begin(), plan.aces.end(), [&](const PlannedAce& a) {
    return same_path(a.path, path) && a.ace == ace && a.lifetime == lifetime;
  });
}

const Guarantee* row(const PlanReport& r, const std::string& name) {
  for (const auto& g : r.guarantees)
    if (g.name == name) return &g;
  return nullptr;
}

TEST(WinStage2Plan, TheGroupGrantsAndDeniesComeOutOfThePlanner) {
  const WinPlan plan = plan_with(test::ws_policy(), active_facts());
  ASSERT_FALSE(plan.child_temp.empty());
  // Every capability-SID deny (world-writable ones aside) has its twin for the group.
  size_t cap_denies = 0;
  for (const auto& a : plan.aces) {
    if (a.ace.type != AceType::Deny || a.best_effort || a.ace.sid == kGroup) continue;
    ++cap_denies;
    Ace twin = a.ace;
    twin.sid = kGroup;
    EXPECT_TRUE(has_ace(plan, a.path, twin, a.lifetime)) << "no group deny on " << a.path;
  }
  EXPECT_GT(cap_denies, 0U);
  const std::string git_config = std::string(kWs) + "\\.git\\config";
  auto cap_deny = std::find_if(plan.aces.begin(), plan.aces.end(), [&](const PlannedAce& a) {
    return a.ace.type == AceType::Deny && a.ace.sid != kGroup && same_path(a.path, git_config);
  });
  ASSERT_NE(cap_deny, plan.aces.end());
  EXPECT_TRUE(has_ace(plan, git_config, Ace{AceType::Deny, kGroup, cap_deny->ace.mask, cap_deny->ace.flags},
                      cap_deny->lifetime));
  // The private temp for the sandbox users, for this run only.
  EXPECT_TRUE(has_ace(plan, plan.child_temp,
                      Ace{AceType::Allow, kGroup,
                          access::kFileGenericRead | access::kFileGenericWrite | access::kFileGenericExecute |
                              access::kDelete,
                          ace_flags::kTree},
                      AceLifetime::PerRun));
  // The runner directory: read and execute, kept (uninstall removes it).
  EXPECT_TRUE(has_ace(
      plan, kRunnerDir,
      Ace{AceType::Allow, kGroup, access::kFileGenericRead | access::kFileGenericExecute, ace_flags::kTree},
      AceLifetime::Persistent));
  // Nothing else for the group there: no write on the runner it executes.
  EXPECT_EQ(std::count_if(plan.aces.begin(), plan.aces.end(),
                          [](const PlannedAce& a) { return same_path(a.path, kRunnerDir); }),
            1);
  // The per-run profile lives in the private temp.
  auto profile = std::find_if(plan.env.begin(), plan.env.end(),
                              [](const auto& e) { return e.first == runner::kRunProfileVariable; });
  ASSERT_NE(profile, plan.env.end());
  EXPECT_EQ(profile->second, join(plan.child_temp, "profile"));
}

// The planner's stage-2 additions are exactly what the platform used to append to a
// stage-1 plan after planning: same ACEs in the same order, same environment.
TEST(WinStage2Plan, PlannedWithFactsEqualsTheOldAppendedPlan) {
  const WinPlan with_facts = plan_with(test::ws_policy(), active_facts());
  WinPlan appended = plan_with(test::ws_policy(), std::nullopt);
  add_stage2_aces(appended, active_facts());
  ASSERT_EQ(with_facts.aces.size(), appended.aces.size());
  for (size_t i = 0; i < appended.aces.size(); ++i) {
    EXPECT_EQ(with_facts.aces[i].path, appended.aces[i].path) << i;
    EXPECT_EQ(with_facts.aces[i].ace, appended.aces[i].ace) << i;
    EXPECT_EQ(with_facts.aces[i].reason, appended.aces[i].reason) << i;
    EXPECT_EQ(with_facts.aces[i].lifetime, appended.aces[i].lifetime) << i;
  }
  EXPECT_EQ(with_facts.env, appended.env);
  EXPECT_EQ(to_json(with_facts), to_json(appended));
}

// explain and run plan through the same call with the same facts: the same plan, and
// reporting on it (what explain prints, what run's gate reads) changes nothing.
TEST(WinStage2Plan, ExplainAndRunGetTheSamePlan) {
  for (const auto& facts : {active_facts(), stage1_facts()}) {
    const WinPlan explain = plan_with(test::ws_policy(), facts);
    const WinPlan run = plan_with(test::ws_policy(), facts);
    EXPECT_EQ(to_json(explain), to_json(run));
    Host h;
    const nlohmann::json before = to_json(run);
    PlanReport first = to_report(run, test::ws_policy(), h.host);
    PlanReport second = to_report(run, test::ws_policy(), h.host);
    EXPECT_EQ(to_json(run), before);
    EXPECT_EQ(first.notes, second.notes);
    EXPECT_EQ(first.detail, second.detail);
  }
}

TEST(WinStage2Plan, Stage1FactsAddNoAcesButTheStageRows) {
  const WinPlan without = plan_with(test::ws_policy(), std::nullopt);
  const WinPlan stage1 = plan_with(test::ws_policy(), stage1_facts());
  EXPECT_EQ(to_json(without), to_json(stage1));
  for (const auto& a : stage1.aces) EXPECT_NE(a.ace.sid, kGroup);
  Host h;
  PlanReport r = to_report(stage1, test::ws_policy(), h.host);
  EXPECT_EQ(r.detail["stage"], 1);
  EXPECT_EQ(r.detail["stage_reason"], "no setup marker");
  EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(),
                          [](const std::string& n) { return n.find("stage 1 active") == 0; }));
  // No facts read (unit tests, older callers): no stage rows.
  PlanReport none = to_report(without, test::ws_policy(), h.host);
  EXPECT_FALSE(none.detail.contains("stage"));
}

TEST(WinStage2Plan, StageRowsComeFromTheFacts) {
  Host h;
  Policy policy = test::ws_policy();
  policy.net.mode = NetMode::Off;
  {
    PlanReport r = to_report(plan_with(policy, active_facts()), policy, h.host);
    EXPECT_EQ(r.detail["stage"], 2);
    const Guarantee* net = row(r, "network off");
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(net->state, GuaranteeState::Degraded);  // services' traffic passes: never Enforced
    EXPECT_NE(net->mechanism.find("CordonSandboxOffline"), std::string::npos);
    EXPECT_NE(net->mechanism.find("verified on this host"), std::string::npos);
  }
  {
    Stage2Facts off = active_facts();
    off.firewall_not_effective = "the public profile is off";
    off.wfp_not_verified = "FwpmEngineOpen0: error 0x000006e4";
    PlanReport r = to_report(plan_with(policy, off), policy, h.host);
    const Guarantee* net = row(r, "network off");
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(net->state, GuaranteeState::Missing);
    EXPECT_NE(net->detail.find("the public profile is off"), std::string::npos);
    EXPECT_NE(net->detail.find("0x000006e4"), std::string::npos);
  }
  {
    Policy limited = policy;
    limited.limits.memory_bytes = 1 << 30;
    PlanReport r = to_report(plan_with(limited, active_facts()), limited, h.host);
    const Guarantee* limits = row(r, "limits");
    ASSERT_NE(limits, nullptr);
    // F10: the start frame carries them to the runner's job, which reads them back: the
    // row is stage 1's (Enforced for --memory, read back at each launch).
    EXPECT_EQ(limits->state, GuaranteeState::Enforced);
    EXPECT_NE(limits->mechanism.find("read back"), std::string::npos) << limits->mechanism;
    PlanReport stage1 = to_report(plan_with(limited, stage1_facts()), limited, h.host);
    ASSERT_NE(row(stage1, "limits"), nullptr);
    EXPECT_EQ(row(stage1, "limits")->state, limits->state);
    EXPECT_EQ(row(stage1, "limits")->mechanism, limits->mechanism);
    Policy pids = limited;
    pids.limits.pids = 4;
    EXPECT_EQ(row(to_report(plan_with(pids, active_facts()), pids, h.host), "limits")->state,
              GuaranteeState::Degraded);  // processes, not threads, in both stages
  }
}

// F14: two layers block the offline user's sockets, each read back at this run: cordon's
// WFP filters (whatever the firewall's state, ICMP too) and the firewall rules. The row
// is Missing only when neither holds, Degraded otherwise (services' traffic passes), and
// says which layer was not verified and why.
TEST(WinStage2Plan, NetworkRowFollowsBothReadBacks) {
  Host h;
  Policy policy = test::ws_policy();
  policy.net.mode = NetMode::Off;
  auto net_row = [&](const std::string& fw, const std::string& wfp) {
    Stage2Facts f = active_facts();
    f.firewall_not_effective = fw;
    f.wfp_not_verified = wfp;
    PlanReport r = to_report(plan_with(policy, f), policy, h.host);
    const Guarantee* g = row(r, "network off");
    EXPECT_NE(g, nullptr);
    return g ? *g : Guarantee{};
  };
  const Guarantee both = net_row("", "");
  EXPECT_EQ(both.state, GuaranteeState::Degraded);  // never Enforced: DNS, SMB, WebDAV, BITS
  EXPECT_NE(both.mechanism.find("WFP"), std::string::npos);
  EXPECT_NE(both.mechanism.find("read back at this run"), std::string::npos);
  EXPECT_EQ(both.mechanism.find("NOT"), std::string::npos);
  EXPECT_NE(both.detail.find("SMB"), std::string::npos);
  // The firewall off for a profile: the WFP filters still block the user's sockets.
  const Guarantee fw_off = net_row("Windows Firewall is off for an active profile", "");
  EXPECT_EQ(fw_off.state, GuaranteeState::Degraded);
  EXPECT_NE(fw_off.detail.find("Windows Firewall is off"), std::string::npos);
  EXPECT_NE(fw_off.mechanism.find("NOT effective"), std::string::npos);
  // The filters missing (a setup from before them, or a stub engine): the firewall alone.
  const Guarantee wfp_missing = net_row("", "the WFP filter cordon-offline-block-all-v4 is missing");
  EXPECT_EQ(wfp_missing.state, GuaranteeState::Degraded);
  EXPECT_NE(wfp_missing.detail.find("not verified"), std::string::npos);
  EXPECT_NE(wfp_missing.detail.find("cordon-offline-block-all-v4"), std::string::npos);
  EXPECT_NE(wfp_missing.mechanism.find("NOT verified"), std::string::npos);
  EXPECT_NE(wfp_missing.fix.find("cordon setup"), std::string::npos);
  // Neither: nothing blocks.
  const Guarantee neither = net_row("the rule cordon-offline-block-outbound is missing", "not probed");
  EXPECT_EQ(neither.state, GuaranteeState::Missing);
  EXPECT_NE(neither.detail.find("cordon-offline-block-outbound is missing"), std::string::npos);
  // Facts nobody probed count as not verified (the field's default).
  Stage2Facts unprobed = active_facts();
  unprobed.wfp_not_verified = Stage2Facts{}.wfp_not_verified;
  unprobed.firewall_not_effective = "off";
  PlanReport r = to_report(plan_with(policy, unprobed), policy, h.host);
  EXPECT_EQ(row(r, "network off")->state, GuaranteeState::Missing);
}

// Issue 15: the stage-2 rows say what they rest on too (the firewall probe, or
// documentation), like stage 1's.
TEST(WinStage2Plan, StageRowsSayWhetherTheyWereProbed) {
  Policy policy = test::ws_policy();
  policy.limits.memory_bytes = 1 << 30;
  Host h;
  Stage2Facts off = active_facts();
  off.firewall_not_effective = "the public profile is off";
  for (const Stage2Facts& facts : {active_facts(), off}) {
    PlanReport r = to_report(plan_with(policy, facts), policy, h.host);
    for (const auto& g : r.guarantees) {
      if (g.state == GuaranteeState::NotRequested) continue;
      EXPECT_TRUE(g.mechanism.find(" [verified") != std::string::npos ||
                  g.mechanism.find(" [documented behaviour") != std::string::npos)
          << g.name << ": " << g.mechanism;
    }
  }
}

// The read-denial row said "none in stage 1" while stage 2 ran the command as another
// user: Degraded now, naming what that user can still read.
TEST(WinStage2Plan, ReadDenialInStageTwoIsTheSeparateUserNotNone) {
  Policy policy = test::ws_policy();
  policy.deny_read = {"C:\\Users\\alice\\.ssh"};
  Host h;
  PlanReport r1 = to_report(plan_with(policy, stage1_facts()), policy, h.host);
  const Guarantee* stage1 = row(r1, "read denial");
  ASSERT_NE(stage1, nullptr);
  EXPECT_EQ(stage1->state, GuaranteeState::Missing);
  PlanReport r2 = to_report(plan_with(policy, active_facts()), policy, h.host);
  const Guarantee* stage2 = row(r2, "read denial");
  ASSERT_NE(stage2, nullptr);
  EXPECT_EQ(stage2->state, GuaranteeState::Degraded);
  EXPECT_NE(stage2->mechanism.find("separate sandbox user"), std::string::npos);
  EXPECT_EQ(stage2->mechanism.find("none in stage 1"), std::string::npos);
}

// F22: with --tmp host there is no private temp to hold HOME; the sandbox profile is
// not writable, so the command gets a per-run directory of its own, granted for the run
// to the run SID and the group, removed after it. --tmp none asked for no scratch space.
TEST(WinStage2Plan, TmpHostGetsAPerRunProfileDirectoryTmpNoneDoesNot) {
  auto env_of = [](const WinPlan& plan, const std::string& name) {
    for (const auto& [k, v] : plan.env)
      if (k == name) return v;
    return std::string();
  };
  Policy host_tmp = test::ws_policy();
  host_tmp.tmp = TmpMode::Host;
  const WinPlan plan = plan_with(host_tmp, active_facts());
  ASSERT_FALSE(plan.run_home.empty());
  EXPECT_TRUE(is_within(plan.run_home, test::kTemp));
  EXPECT_EQ(env_of(plan, runner::kRunProfileVariable), plan.run_home);
  const uint32_t rw =
      access::kFileGenericRead | access::kFileGenericWrite | access::kFileGenericExecute | access::kDelete;
  EXPECT_TRUE(
      has_ace(plan, plan.run_home, Ace{AceType::Allow, kGroup, rw, ace_flags::kTree}, AceLifetime::PerRun));
  bool created_for_run_sid = std::any_of(plan.aces.begin(), plan.aces.end(), [&](const PlannedAce& a) {
    return same_path(a.path, plan.run_home) && a.ace.sid == test::kRunSid && a.create_dir &&
           a.lifetime == AceLifetime::PerRun;
  });
  EXPECT_TRUE(created_for_run_sid);

  Policy no_tmp = test::ws_policy();
  no_tmp.tmp = TmpMode::None;
  const WinPlan none = plan_with(no_tmp, active_facts());
  EXPECT_TRUE(none.run_home.empty());
  EXPECT_TRUE(env_of(none, runner::kRunProfileVariable).empty());
  // Stage 1 has no sandbox profile to replace.
  EXPECT_TRUE(plan_with(host_tmp, stage1_facts()).run_home.empty());
  // The private temp keeps holding it, as before.
  const WinPlan priv = plan_with(test::ws_policy(), active_facts());
  EXPECT_TRUE(priv.run_home.empty());
  EXPECT_EQ(env_of(priv, runner::kRunProfileVariable), join(priv.child_temp, "profile"));
}

TEST(WinStage2Plan, FullAccessGetsNoStageAcesButItsRows) {
  Policy policy = test::ws_policy();
  policy.mode = Mode::FullAccess;
  const WinPlan plan = plan_with(policy, active_facts());
  EXPECT_TRUE(plan.aces.empty());
  Host h;
  PlanReport r = to_report(plan, policy, h.host);
  EXPECT_EQ(r.detail["stage"], 2);
}

}  // namespace
}  // namespace cordon::win
