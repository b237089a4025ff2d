// The Windows planner, checked through the access-check MODEL: every plan permits the
// intended operations and denies the rest. Paths use the simulated host in
// win_fixture.hpp; "ws" is workspace A.
#include <gtest/gtest.h>

#include <algorithm>

#include "plan/windows/win_path.hpp"
#include "win_fixture.hpp"

namespace cordon::win {
namespace {

using test::Host;
using test::kOutside;
using test::kWs;

struct Case {
  Op op;
  std::string path;
  bool allowed;
  std::string to = {};
};

std::string ws(const std::string& rel) {
  return std::string(kWs) + "\\" + rel;
}
std::string out(const std::string& rel) {
  return std::string(kOutside) + "\\" + rel;
}

void expect_cases(const ModelFs& fs, const TokenModel& token, RestrictedScope scope,
                  const std::vector<Case>& cases) {
  for (const auto& c : cases)
    EXPECT_EQ(fs.can(token, c.op, c.path, scope, c.to), c.allowed)
        << to_string(c.op) << " " << c.path << (c.to.empty() ? "" : " -> " + c.to) << " should be "
        << (c.allowed ? "allowed" : "denied");
}

struct Planned {
  Host h;
  WinPlan plan;
  TokenModel token;
};

std::unique_ptr<Planned> planned(const Policy& policy, PlanOptions options = test::with_audit()) {
  auto p = std::make_unique<Planned>();
  auto r = plan_windows(policy, p->h.host, test::test_caps(), options);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  if (!r) return p;
  p->plan = *r;
  test::apply(*p->h.fs, p->plan);
  p->token = model_token(p->plan, p->h.host);
  return p;
}

// Operations the workspace-write plan must allow, whichever way Windows scopes the
// restricted pass.
const std::vector<Case> kWorkspaceAllowed = {
    {Op::Create, ws("new.txt"), true},
    {Op::Write, ws("src\\main.c"), true},
    {Op::Append, ws("src\\main.c"), true},
    {Op::Mkdir, ws("newdir"), true},
    {Op::Delete, ws("src\\main.c"), true},
    {Op::Rename, ws("src\\main.c"), true, ws("src\\main2.c")},
    {Op::Rename, ws("src\\main.c"), true, ws("moved.c")},
    {Op::Rename, ws("src"), true, ws("src2")},
    {Op::WriteAttributes, ws("src\\main.c"), true},
    {Op::Write, ws("src\\main.c:notes"), true},  // a stream of an ordinary workspace file
    // --git config-only: objects, refs, the index and its lock stay writable.
    {Op::Create, ws(".git\\objects\\ab"), true},
    {Op::Write, ws(".git\\HEAD"), true},
    {Op::Delete, ws(".git\\index.lock"), true},
    {Op::Rename, ws(".git\\index.lock"), true, ws(".git\\index")},
    // Private temp, the NUL device, and reads anywhere the user can read.
    {Op::Create, std::string(test::kTemp) + "\\cordon-t1\\x.tmp", true},
    {Op::Write, "\\\\.\\NUL", true},
    {Op::Write, ws("nul"), true},
    {Op::Read, out("secret.txt"), true},
    {Op::Read, "C:\\Windows\\System32\\kernel32.dll", true},
};

// Operations it must deny under either scope.
const std::vector<Case> kWorkspaceDenied = {
    // Outside every root.
    {Op::Create, out("x.txt"), false},
    {Op::Write, out("secret.txt"), false},
    {Op::Append, out("secret.txt"), false},
    {Op::Mkdir, out("d"), false},
    {Op::Rename, ws("src\\main.c"), false, out("main.c")},
    {Op::Create, "\\\\?\\C:\\Users\\alice\\outside\\long.txt", false},
    {Op::Create, "C:\\Users\\alice\\OUTSID~1\\short.txt", false},
    {Op::Write, "C:\\Users\\alice\\OUTSID~1\\secret.txt:ads", false},
    {Op::Create, std::string(test::kTemp) + "\\host-temp.txt", false},
    // Junctions and links inside the workspace that point outside.
    {Op::Create, ws("out\\x.txt"), false},
    {Op::Write, ws("out\\secret.txt"), false},
    {Op::Create, ws("sys_link\\System32\\evil.dll"), false},
    {Op::Create, ws("drive\\evil.txt"), false},
    {Op::Mkdir, ws("drive\\evil"), false},
    // Protected .git parts: case variants, 8.3 alias, trailing dots, prefixes, streams.
    {Op::Write, ws(".git\\config"), false},
    {Op::Write, ws(".GiT\\CONFIG"), false},
    {Op::Write, ws("GIT~1\\config"), false},
    {Op::Write, ws(".git.\\config"), false},
    {Op::Write, ws(".git\\config "), false},
    {Op::Write, "\\\\?\\" + ws(".git\\config"), false},
    {Op::Write, "\\\\.\\" + ws(".git\\config"), false},
    {Op::Write, ws(".git\\config:evil"), false},
    {Op::Write, ws(".git::$INDEX_ALLOCATION\\config"), false},
    {Op::Append, ws(".git\\config"), false},
    {Op::WriteAttributes, ws(".git\\config"), false},
    {Op::Write, ws(".git\\hooks\\pre-commit"), false},
    {Op::Create, ws(".git\\hooks\\post-checkout"), false},
    {Op::Create, ws(".GIT\\HOOKS\\post-merge"), false},
    {Op::Mkdir, ws(".git\\hooks\\sub"), false},
    // Agent/editor config and cordon's own state.
    {Op::Write, ws(".vscode\\settings.json"), false},
    {Op::Create, ws(".VSCode\\tasks.json"), false},
    {Op::Write, std::string(test::kState) + "\\capability-sids.json", false},
    // Devices.
    {Op::Read, "\\\\.\\PhysicalDrive0", false},
    {Op::Write, "\\\\.\\PhysicalDrive0", false},
    {Op::Write, "\\\\.\\pipe\\codex_testpipe", false},
    // Workspace B keeps the ACE for its own SID; this run does not carry that SID.
    {Op::Create, std::string(test::kWsB) + "\\x.txt", false},
    {Op::Write, std::string(test::kWsB) + "\\file", false},
    // A world-writable directory on PATH (Everyone: full control) outside the roots.
    {Op::Create, std::string(test::kTools) + "\\evil.exe", false},
    {Op::Mkdir, std::string(test::kTools) + "\\evil", false},
};

// Delete, rename-away and DACL changes: denied only if the kernel's restricted pass
// covers DELETE, FILE_DELETE_CHILD and WRITE_DAC (probed on real hosts).
const std::vector<Case> kDeleteFamily = {
    {Op::Delete, out("secret.txt"), false},
    {Op::Rename, out("secret.txt"), false, ws("stolen.txt")},
    {Op::SetDacl, out("secret.txt"), false},
    {Op::Delete, ws(".git\\config"), false},
    {Op::Delete, ws("GIT~1\\hooks\\pre-commit"), false},
    {Op::Rename, ws(".git\\config"), false, ws("cfg")},
    {Op::Rename, ws("evil"), false, ws(".git\\config")},
    {Op::Rename, ws(".git\\hooks"), false, ws("hooks_old")},
    {Op::Delete, ws(".git\\hooks"), false},
    {Op::Delete, ws(".vscode\\settings.json"), false},
    {Op::Delete, std::string(test::kState) + "\\capability-sids.json", false},
    {Op::SetDacl, ws(".git\\config"), false},  // the owner's implicit WRITE_DAC
};

TEST(WinPlanner, WorkspaceWriteAllowsTheWorkspace) {
  auto p = planned(test::ws_policy());
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying, kWorkspaceAllowed);
  expect_cases(*p->h.fs, p->token, RestrictedScope::GenericWrite, kWorkspaceAllowed);
}

TEST(WinPlanner, WorkspaceWriteDeniesEverythingElse) {
  auto p = planned(test::ws_policy());
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying, kWorkspaceDenied);
  expect_cases(*p->h.fs, p->token, RestrictedScope::GenericWrite, kWorkspaceDenied);
}

TEST(WinPlanner, DeleteAndRenameDeniedWhenTheRestrictedPassCoversDelete) {
  auto p = planned(test::ws_policy());
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying, kDeleteFamily);
}

// Under the narrow reading, no ACE for a capability SID can stop DELETE: the model
// shows the gap, and the report must say so unless the host probe proves otherwise.
TEST(WinPlanner, NarrowRestrictedPassExposesTheDeleteGapAndTheReportSaysSo) {
  auto p = planned(test::ws_policy());
  EXPECT_TRUE(p->h.fs->can(p->token, Op::Delete, out("secret.txt"), RestrictedScope::GenericWrite));
  EXPECT_TRUE(
      p->h.fs->can(p->token, Op::Rename, out("secret.txt"), RestrictedScope::GenericWrite, ws("stolen.txt")));
  // Writing stays denied even then.
  EXPECT_FALSE(p->h.fs->can(p->token, Op::Write, out("secret.txt"), RestrictedScope::GenericWrite));

  auto guarantee = [&](const WinHost& host) {
    auto report = to_report(p->plan, test::ws_policy(), host);
    auto it = std::find_if(report.guarantees.begin(), report.guarantees.end(),
                           [](const Guarantee& g) { return g.name.rfind("delete", 0) == 0; });
    EXPECT_NE(it, report.guarantees.end());
    return it == report.guarantees.end() ? GuaranteeState::Missing : it->state;
  };
  WinHost unknown = p->h.host;
  EXPECT_EQ(guarantee(unknown), GuaranteeState::Degraded);
  WinHost narrow = p->h.host;
  narrow.restricted_pass_rights = restricted_pass_rights(RestrictedScope::GenericWrite);
  EXPECT_EQ(guarantee(narrow), GuaranteeState::Degraded);
  WinHost wide = p->h.host;
  wide.restricted_pass_rights = restricted_pass_rights(RestrictedScope::AllModifying);
  EXPECT_EQ(guarantee(wide), GuaranteeState::Enforced);
}

TEST(WinPlanner, WithoutTheAuditWorldWritableDirectoriesLeak) {
  PlanOptions no_audit = test::with_audit();
  no_audit.audit.max_checks = 0;
  auto p = planned(test::ws_policy(), no_audit);
  EXPECT_TRUE(p->h.fs->can(p->token, Op::Create, std::string(test::kTools) + "\\evil.exe",
                           RestrictedScope::AllModifying));
  auto with = planned(test::ws_policy());
  ASSERT_EQ(with->plan.audit.denied.size(), 1u);
  EXPECT_EQ(with->plan.audit.denied[0], test::kTools);
  // C:\ lets Authenticated Users create folders; that SID is not a restricting SID, so
  // the restricted pass refuses it anyway: not flagged (F17), and still not writable.
  auto root = std::find_if(with->plan.audit.found.begin(), with->plan.audit.found.end(),
                           [](const WorldWritable& w) { return w.path == "C:\\"; });
  EXPECT_EQ(root, with->plan.audit.found.end());
  EXPECT_FALSE(with->h.fs->can(with->token, Op::Mkdir, "C:\\newdir", RestrictedScope::AllModifying));
  EXPECT_FALSE(with->h.fs->can(with->token, Op::Mkdir, "C:\\newdir", RestrictedScope::GenericWrite));
}

// F11: the audit looked one level below its candidates, skipped ProgramData and every
// file, and an explicit Everyone allow below a flagged directory beat the inherited deny.
TEST(WinPlanner, AuditReachesTwoLevelsProgramDataFilesAndExplicitGrantsBelowAFlaggedDirectory) {
  using namespace access;
  const Ace everyone_full{AceType::Allow, sids::everyone(), kFileAllAccess, ace_flags::kTree};
  for (Mode mode : {Mode::WorkspaceWrite, Mode::ReadOnly}) {
    SCOPED_TRACE(to_string(mode));
    Planned p;
    ModelFs& fs = *p.h.fs;
    fs.mkdir("C:\\Users\\alice\\vendor\\cache", {});
    fs.add_ace("C:\\Users\\alice\\vendor\\cache", everyone_full);  // two levels below the profile
    fs.mkdir("C:\\ProgramData",
             {{AceType::Allow, sids::local_system(), kFileAllAccess, ace_flags::kTree},
              {AceType::Allow, sids::users(), kFileGenericRead | kFileGenericExecute, ace_flags::kTree}});
    fs.mkdir("C:\\ProgramData\\Vendor", {everyone_full});
    fs.add_file("C:\\Users\\alice\\shared.txt", {{AceType::Allow, sids::everyone(), kFileAllAccess, 0}});
    fs.mkdir(std::string(test::kTools) + "\\sub", {everyone_full});  // explicit, below a flagged directory
    Policy policy = test::ws_policy();
    policy.mode = mode;
    auto r = plan_windows(policy, p.h.host, test::test_caps(), test::with_audit());
    ASSERT_TRUE(r) << r.error().message();
    p.plan = *r;
    test::apply(fs, p.plan);
    p.token = model_token(p.plan, p.h.host);
    const std::vector<Case> cases = {
        {Op::Create, "C:\\Users\\alice\\vendor\\cache\\x.dll", false},
        {Op::Create, "C:\\ProgramData\\Vendor\\x.dll", false},
        {Op::Write, "C:\\Users\\alice\\shared.txt", false},
        {Op::Create, std::string(test::kTools) + "\\sub\\x.exe", false},
        {Op::Create, std::string(test::kTools) + "\\x.exe", false},
    };
    expect_cases(fs, p.token, RestrictedScope::AllModifying, cases);
    expect_cases(fs, p.token, RestrictedScope::GenericWrite, cases);
    EXPECT_FALSE(p.plan.audit.truncated);
  }
}

// F23: Windows sets TEMP with 8.3 names for a long user name; --tmp host refused it as
// "passes through a junction". An alias is accepted under its real name; a link
// anywhere on the way is still refused.
TEST(WinPlanner, ShortNameRootsAreAcceptedUnderTheirRealNameLinksAreNot) {
  Planned p;
  p.h.fs->set_short_name("C:\\Users\\alice\\AppData", "APPDAT~1");
  p.h.host.temp = "C:\\Users\\alice\\APPDAT~1\\Local\\Temp";
  p.h.host.tmp = p.h.host.temp;
  Policy policy = test::ws_policy();
  policy.tmp = TmpMode::Host;
  auto r = plan_windows(policy, p.h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  bool on_real_name = std::any_of(r->aces.begin(), r->aces.end(), [](const PlannedAce& a) {
    return a.reason == "host temp (this run only)" && a.path == test::kTemp;
  });
  EXPECT_TRUE(on_real_name);

  p.h.fs->set_short_name(test::kExtra, "EXTRA~1");
  Policy extra = test::ws_policy();
  extra.writable = {"C:\\Users\\alice\\EXTRA~1"};
  auto e = plan_windows(extra, p.h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_NE(std::find(e->write_roots.begin(), e->write_roots.end(), std::string(test::kExtra)),
            e->write_roots.end());

  for (const char* linked : {"C:\\Users\\alice\\src\\ws_link", "C:\\Users\\alice\\src\\ws\\out"}) {
    Policy l = test::ws_policy();
    l.writable = {linked};
    auto refused = plan_windows(l, p.h.host, test::test_caps(), test::with_audit());
    ASSERT_FALSE(refused) << linked;
    EXPECT_NE(refused.error().message().find("junction or symbolic link"), std::string::npos);
  }
}

TEST(WinPlanner, ReadOnlyDeniesWorkspaceWritesButKeepsPrivateTempAndNul) {
  Policy policy = test::ws_policy();
  policy.mode = Mode::ReadOnly;
  auto p = planned(policy);
  const std::vector<Case> cases = {
      {Op::Create, ws("x.txt"), false},
      {Op::Write, ws("src\\main.c"), false},
      {Op::Append, ws("src\\main.c"), false},
      {Op::Mkdir, ws("d"), false},
      {Op::Create, std::string(test::kTemp) + "\\x.txt", false},
      {Op::Create, std::string(test::kTools) + "\\evil.exe", false},
      {Op::Create, std::string(test::kTemp) + "\\cordon-t1\\x.tmp", true},
      {Op::Write, "\\\\.\\NUL", true},
      {Op::Read, ws("src\\main.c"), true},
  };
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying, cases);
  expect_cases(*p->h.fs, p->token, RestrictedScope::GenericWrite, cases);
  EXPECT_EQ(p->plan.token.capabilities, std::vector<Sid>{test::test_caps().readonly});
}

TEST(WinPlanner, HostTempAndExtraRoots) {
  Policy policy = test::ws_policy();
  policy.tmp = TmpMode::Host;
  policy.writable = {test::kExtra};
  auto p = planned(policy);
  const std::vector<Case> cases = {
      {Op::Create, std::string(test::kTemp) + "\\x.txt", true},
      {Op::Create, std::string(test::kExtra) + "\\x.txt", true},
      {Op::Create, out("x.txt"), false},
  };
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying, cases);
  // The extra root has its own SID: a later run without it cannot write there.
  auto later = planned(test::ws_policy());
  test::apply(*later->h.fs, p->plan);  // the ACEs persist on disk
  EXPECT_FALSE(later->h.fs->can(later->token, Op::Create, std::string(test::kExtra) + "\\y.txt",
                                RestrictedScope::AllModifying));
}

TEST(WinPlanner, TmpNoneGrantsNoTemp) {
  Policy policy = test::ws_policy();
  policy.tmp = TmpMode::None;
  auto p = planned(policy);
  EXPECT_TRUE(p->plan.child_temp.empty());
  EXPECT_FALSE(
      p->h.fs->can(p->token, Op::Create, std::string(test::kTemp) + "\\x", RestrictedScope::AllModifying));
}

TEST(WinPlanner, GitReadOnlyProtectsAllOfGit) {
  Policy policy = test::ws_policy();
  policy.git = GitMode::ReadOnly;
  auto p = planned(policy);
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying,
               {{Op::Create, ws(".git\\objects\\ab"), false},
                {Op::Write, ws(".git\\HEAD"), false},
                {Op::Create, ws(".git\\index2.lock"), false},
                {Op::Create, ws("src\\ok.c"), true}});
}

TEST(WinPlanner, GitWritableProtectsNothingInGit) {
  Policy policy = test::ws_policy();
  policy.git = GitMode::Writable;
  auto p = planned(policy);
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying,
               {{Op::Write, ws(".git\\config"), true}, {Op::Write, ws(".vscode\\settings.json"), false}});
}

TEST(WinPlanner, MissingHooksAndConfigGetPlaceholdersThenDenyAces) {
  Host h;
  const std::string bare = "C:\\Users\\alice\\src\\bare";
  h.fs->mkdir(bare + "\\.git\\objects");
  auto r = plan_windows(test::ws_policy(bare), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  auto find = [&](const std::string& path) {
    return std::find_if(r->placeholders.begin(), r->placeholders.end(),
                        [&](const Placeholder& p) { return same_path(p.path, path); });
  };
  ASSERT_NE(find(bare + "\\.git\\hooks"), r->placeholders.end());
  ASSERT_NE(find(bare + "\\.git\\config"), r->placeholders.end());
  EXPECT_TRUE(find(bare + "\\.git\\hooks")->directory);
  EXPECT_FALSE(find(bare + "\\.git\\config")->directory);  // file-like: an empty file
  test::apply(*h.fs, *r);
  EXPECT_EQ(h.fs->stat(bare + "\\.git\\config").kind, FsEntry::Kind::File);
  auto token = model_token(*r, h.host);
  for (auto scope : {RestrictedScope::AllModifying, RestrictedScope::GenericWrite})
    expect_cases(*h.fs, token, scope,
                 {{Op::Create, bare + "\\.git\\hooks\\pre-commit", false},
                  {Op::Write, bare + "\\.git\\config", false},
                  {Op::Append, bare + "\\.GIT\\Config", false},
                  {Op::Create, bare + "\\.git\\HEAD", true},
                  {Op::Create, bare + "\\.git\\objects\\ab", true}});
  expect_cases(*h.fs, token, RestrictedScope::AllModifying,
               {{Op::Delete, bare + "\\.git\\config", false},
                {Op::Rename, bare + "\\.git\\hooks", false, bare + "\\.git\\hooks_old"},
                {Op::Rename, bare + "\\.git\\HEAD", false, bare + "\\.git\\config"}});
}

TEST(WinPlanner, GitPointerFileProtectsTheResolvedGitDir) {
  Host h;
  const std::string wt = "C:\\Users\\alice\\src\\wt";
  h.fs->mkdir(wt);
  h.fs->add_file(wt + "\\.git", {}, "gitdir: C:\\Users\\alice\\src\\ws\\.git\\worktrees\\wt\n");
  h.fs->mkdir("C:\\Users\\alice\\src\\ws\\.git\\worktrees\\wt");
  h.fs->add_file("C:\\Users\\alice\\src\\ws\\.git\\worktrees\\wt\\config");
  auto r = plan_windows(test::ws_policy(wt), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  auto token = model_token(*r, h.host);
  expect_cases(*h.fs, token, RestrictedScope::AllModifying,
               {{Op::Write, wt + "\\.git", false},
                {Op::Create, wt + "\\main.c", true},
                {Op::Write, "C:\\Users\\alice\\src\\ws\\.git\\worktrees\\wt\\config", false},
                {Op::Create, "C:\\Users\\alice\\src\\ws\\.git\\worktrees\\wt\\hooks\\x", false}});
}

TEST(WinPlanner, CaseVariantGitDirectoryIsProtected) {
  Host h;
  const std::string root = "C:\\Users\\alice\\src\\bare";
  h.fs->mkdir(root + "\\.GIT\\hooks");
  h.fs->add_file(root + "\\.GIT\\config");
  auto r = plan_windows(test::ws_policy(root), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r);
  test::apply(*h.fs, *r);
  auto token = model_token(*r, h.host);
  EXPECT_FALSE(h.fs->can(token, Op::Write, root + "\\.git\\config", RestrictedScope::AllModifying));
}

TEST(WinPlanner, AbsentProtectedNamesGetPlaceholders) {
  auto p = planned(test::ws_policy());
  auto placeholder = [&](const std::string& name) {
    return std::find_if(p->plan.placeholders.begin(), p->plan.placeholders.end(),
                        [&](const Placeholder& ph) { return same_path(ph.path, ws(name)); });
  };
  for (const char* name : {".cordon", ".codex", ".claude", ".agents", ".cursor", ".idea"}) {
    auto it = placeholder(name);
    ASSERT_NE(it, p->plan.placeholders.end()) << name;
    EXPECT_TRUE(it->directory) << name;
    EXPECT_EQ(p->h.fs->stat(ws(name)).kind, FsEntry::Kind::Directory) << name;  // applied
  }
  EXPECT_EQ(placeholder(".vscode"), p->plan.placeholders.end());  // present: protected as it is
  EXPECT_EQ(placeholder(".git"), p->plan.placeholders.end());
  EXPECT_TRUE(p->plan.unprotected.empty());
  WinHost wide = p->h.host;  // enforced only with the probe's evidence (F3)
  wide.restricted_pass_rights = restricted_pass_rights(RestrictedScope::AllModifying);
  auto report = to_report(p->plan, test::ws_policy(), wide);
  auto it = std::find_if(report.guarantees.begin(), report.guarantees.end(),
                         [](const Guarantee& g) { return g.name == "protected paths"; });
  ASSERT_NE(it, report.guarantees.end());
  EXPECT_EQ(it->state, GuaranteeState::Enforced);
  EXPECT_NE(it->mechanism.find("placeholder"), std::string::npos);
  EXPECT_EQ(to_json(p->plan)["placeholders"].size(), p->plan.placeholders.size());
}

// The placeholder carries the same deny ACEs as an existing protected directory: the
// sandbox can neither fill it, nor remove it, nor rename something over it, while
// ordinary files at the root stay creatable.
TEST(WinPlanner, PlaceholdersBlockCreationAndReplacement) {
  auto p = planned(test::ws_policy());
  const std::vector<Case> denied_either_scope = {
      {Op::Create, ws(".claude\\settings.json"), false},
      {Op::Create, ws(".CLAUDE\\settings.json"), false},
      {Op::Mkdir, ws(".claude\\commands"), false},
      {Op::Write, ws(".claude:evil"), false},
      {Op::Mkdir, ws(".claude"), false},  // exists now
      {Op::Create, ws(".cordon\\config.toml"), false},
      {Op::Create, ws(".codex\\config.toml"), false},
      {Op::Create, ws(".cursor\\rules"), false},
      {Op::Create, ws(".agents\\x"), false},
      {Op::Create, ws(".idea\\workspace.xml"), false},
      {Op::Create, ws("new.txt"), true},
      {Op::Create, ws("claude.md"), true},
      {Op::Mkdir, ws(".claudex"), true},
      {Op::Mkdir, ws("newdir"), true},
  };
  for (auto scope : {RestrictedScope::AllModifying, RestrictedScope::GenericWrite})
    expect_cases(*p->h.fs, p->token, scope, denied_either_scope);
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying,
               {{Op::Delete, ws(".claude"), false},
                {Op::Rename, ws(".claude"), false, ws("claude_old")},
                {Op::Rename, ws("evil"), false, ws(".claude")},
                {Op::Rename, ws("src"), false, ws(".cordon")},
                {Op::SetDacl, ws(".claude"), false}});
  // Under the narrow reading the placeholder shares the delete gap of every protected
  // path (reported by the "delete/rename" guarantee), nothing more.
  EXPECT_TRUE(p->h.fs->can(p->token, Op::Delete, ws(".claude"), RestrictedScope::GenericWrite));
}

TEST(WinPlanner, PlaceholdersPersistAndTheNextPlanIsIdempotent) {
  auto p = planned(test::ws_policy());
  auto before = p->h.fs->explicit_aces(ws(".claude"));
  auto again = plan_windows(test::ws_policy(), p->h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(again);
  EXPECT_TRUE(std::none_of(again->placeholders.begin(), again->placeholders.end(),
                           [](const Placeholder& ph) { return leaf(ph.path) == ".claude"; }));
  test::apply(*p->h.fs, *again);
  EXPECT_EQ(p->h.fs->explicit_aces(ws(".claude")), before);
  EXPECT_FALSE(
      p->h.fs->can(p->token, Op::Create, ws(".claude\\settings.json"), RestrictedScope::AllModifying));
}

TEST(WinPlanner, MissingGitIsNotAPlaceholderSoGitInitWorks) {
  Host h;
  auto r = plan_windows(test::ws_policy(test::kExtra), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  for (const auto& ph : r->placeholders) EXPECT_NE(fold_case(leaf(ph.path)), ".git") << ph.path;
  test::apply(*h.fs, *r);
  auto token = model_token(*r, h.host);
  const std::string git = std::string(test::kExtra) + "\\.git";
  EXPECT_TRUE(h.fs->can(token, Op::Mkdir, git, RestrictedScope::AllModifying));
  h.fs->mkdir(git);  // git init
  EXPECT_TRUE(h.fs->can(token, Op::Create, git + "\\config", RestrictedScope::AllModifying));
  EXPECT_TRUE(h.fs->can(token, Op::Mkdir, git + "\\hooks", RestrictedScope::AllModifying));
}

TEST(WinPlanner, MissingProtectPathInsideARootIsAPlaceholderElsewhereDegraded) {
  Policy policy = test::ws_policy();
  policy.protect = {ws("secrets"), std::string(test::kOutside) + "\\gone"};
  auto p = planned(policy);
  EXPECT_TRUE(std::any_of(p->plan.placeholders.begin(), p->plan.placeholders.end(),
                          [](const Placeholder& ph) { return same_path(ph.path, ws("secrets")); }));
  EXPECT_FALSE(p->h.fs->can(p->token, Op::Create, ws("secrets\\key"), RestrictedScope::AllModifying));
  ASSERT_EQ(p->plan.unprotected.size(), 1u);
  auto report = to_report(p->plan, policy, p->h.host);
  auto it = std::find_if(report.guarantees.begin(), report.guarantees.end(),
                         [](const Guarantee& g) { return g.name == "protected paths"; });
  ASSERT_NE(it, report.guarantees.end());
  EXPECT_EQ(it->state, GuaranteeState::Degraded);
}

TEST(WinPlanner, RefusesDangerousRoots) {
  Host h;
  auto caps = test::test_caps();
  for (const char* bad :
       {"C:\\", "C:\\Users\\alice", "C:\\Users", "C:\\Windows\\Temp2", "C:\\Users\\alice\\src\\ws_link",
        "\\\\server\\share\\ws", "C:\\Users\\alice\\missing"}) {
    auto r = plan_windows(test::ws_policy(bad), h.host, caps);
    EXPECT_FALSE(r) << bad;
  }
  auto link = plan_windows(test::ws_policy("C:\\Users\\alice\\src\\ws_link"), h.host, caps);
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().message().find(kOutside), std::string::npos) << link.error().message();
}

TEST(WinPlanner, NeverPlansAcesOnDriveRootsOrHives) {
  auto p = planned(test::ws_policy());
  for (const auto& a : p->plan.aces) {
    if (parse_path(a.path)->kind == PathKind::Device) continue;  // the NUL grant
    EXPECT_FALSE(is_root(a.path)) << a.path;
    EXPECT_NE(fold_case(leaf(a.path)).rfind("ntuser", 0), 0u) << a.path;
  }
}

TEST(WinPlanner, TokenSpec) {
  auto p = planned(test::ws_policy());
  auto caps = test::test_caps();
  std::vector<Sid> expected = {caps.by_root.at("c:\\users\\alice\\src\\ws"), test::kRunSid, test::kLogon,
                               sids::everyone()};
  EXPECT_EQ(p->plan.token.restricting(), expected);
  EXPECT_EQ(p->plan.token.flags,
            (std::vector<std::string>{"WRITE_RESTRICTED", "DISABLE_MAX_PRIVILEGE", "LUA_TOKEN"}));
  auto dacl = p->plan.token.default_dacl(test::kUser);
  EXPECT_EQ(std::count(dacl.begin(), dacl.end(), sids::everyone()), 0);
  // Only the run's own SID opens the restricted pass: the logon SID and the
  // capability SIDs are shared with other sandboxes (F6).
  EXPECT_EQ(dacl, (std::vector<Sid>{test::kUser, sids::local_system(), test::kRunSid}));
}

TEST(WinPlanner, ExactAcesForTheWorkspaceRoot) {
  auto p = planned(test::ws_policy());
  const Sid cap = test::test_caps().by_root.at("c:\\users\\alice\\src\\ws");
  std::vector<Ace> on_root;
  for (const auto& a : p->plan.aces)
    if (same_path(a.path, kWs)) on_root.push_back(a.ace);
  using namespace access;
  std::vector<Ace> expected = {
      {AceType::Allow, cap, kFileGenericRead | kFileGenericWrite | kFileGenericExecute | kDelete,
       ace_flags::kTree},
      {AceType::Deny, cap, kDeleteChild, 0},  // keeps .git and .vscode from being unlinked
  };
  EXPECT_EQ(on_root, expected);
  auto deny = std::find_if(p->plan.aces.begin(), p->plan.aces.end(),
                           [](const PlannedAce& a) { return same_path(a.path, ws(".git\\config")); });
  ASSERT_NE(deny, p->plan.aces.end());
  EXPECT_EQ(deny->ace.type, AceType::Deny);
  EXPECT_EQ(deny->ace.mask, kModifying);
}

TEST(WinPlanner, AdvisoryNetworkEnvironment) {
  auto p = planned(test::ws_policy());
  auto get = [&](const std::string& k) {
    for (const auto& [name, value] : p->plan.env)
      if (name == k) return value;
    return std::string("<unset>");
  };
  EXPECT_EQ(get("HTTPS_PROXY"), "http://127.0.0.1:9");
  EXPECT_EQ(get("PIP_NO_INDEX"), "1");
  EXPECT_EQ(get("CARGO_NET_OFFLINE"), "true");
  EXPECT_EQ(get("TEMP"), std::string(test::kTemp) + "\\cordon-t1");
  EXPECT_FALSE(p->plan.stubs.empty());
  Policy online = test::ws_policy();
  online.net.mode = NetMode::On;
  auto q = planned(online);
  EXPECT_TRUE(std::none_of(q->plan.env.begin(), q->plan.env.end(),
                           [](const auto& kv) { return kv.first == "HTTPS_PROXY"; }));
}

TEST(WinPlanner, ReportAndJson) {
  auto p = planned(test::ws_policy());
  auto report = to_report(p->plan, test::ws_policy(), p->h.host);
  EXPECT_EQ(report.platform, "windows");
  auto net = std::find_if(report.guarantees.begin(), report.guarantees.end(),
                          [](const Guarantee& g) { return g.name == "network off"; });
  ASSERT_NE(net, report.guarantees.end());
  EXPECT_EQ(net->state, GuaranteeState::Degraded);
  EXPECT_NE(net->mechanism.find("advisory"), std::string::npos);
  auto j = to_json(p->plan);
  EXPECT_EQ(j["token"]["restricting_sids"].size(), 4u);
  EXPECT_GT(j["aces"].size(), 5u);
  EXPECT_EQ(j["audit"]["world_writable"][0]["path"], test::kTools);
}

TEST(WinPlanner, FullAccessPlansNothing) {
  Policy policy = test::ws_policy();
  policy.mode = Mode::FullAccess;
  auto p = planned(policy);
  EXPECT_TRUE(p->plan.aces.empty());
  EXPECT_TRUE(p->token.restricting.empty());
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// Issue 12: stage 1 with --allow-domain used to run with the host network, silently.
TEST(WinPlanner, AllowDomainIsRefusedWithoutBestEffortAndRunsOffWithIt) {
  Policy policy = test::ws_policy();
  policy.net.mode = NetMode::Proxy;
  Host h;
  auto refused = plan_windows(policy, h.host, test::test_caps(), test::with_audit());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("--allow-domain"), std::string::npos);

  policy.best_effort = true;
  auto p = planned(policy);
  auto has = [&](const std::string& k) {
    return std::any_of(p->plan.env.begin(), p->plan.env.end(), [&](const auto& kv) { return kv.first == k; });
  };
  EXPECT_TRUE(has("HTTPS_PROXY"));  // network off (advisory), never the host network
  EXPECT_TRUE(has("CORDON_NETWORK_DISABLED"));
  auto report = to_report(p->plan, policy, p->h.host);
  auto row = [&](const std::string& name) {
    auto it = std::find_if(report.guarantees.begin(), report.guarantees.end(),
                           [&](const Guarantee& g) { return g.name == name; });
    return it == report.guarantees.end() ? GuaranteeState::NotRequested : it->state;
  };
  EXPECT_EQ(row("network allowlist"), GuaranteeState::Missing);
  EXPECT_EQ(row("network off"), GuaranteeState::Degraded);
  EXPECT_FALSE(report.complete());
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// F2: `ren .git .git_old & mkdir .git` sidestepped the hooks/config denies (the model
// allowed it even when the restricted pass covers DELETE). .git is pinned now; its
// contents stay writable for git itself.
TEST(WinPlanner, GitDirectoryCannotBeRenamedAway) {
  auto p = planned(test::ws_policy());
  expect_cases(*p->h.fs, p->token, RestrictedScope::AllModifying,
               {{Op::Rename, ws(".git"), false, ws(".git_old")},
                {Op::Delete, ws(".git"), false},
                {Op::SetDacl, ws(".git"), false},
                {Op::Rename, ws("GIT~1"), false, ws("moved")},
                {Op::Create, ws(".git\\index.lock"), true},
                {Op::Write, ws(".git\\HEAD"), true},
                {Op::Mkdir, ws(".git\\refs"), true},
                {Op::Delete, ws(".git\\index.lock"), true}});
}

// The same for a gitdir a pointer file names inside the root: the gitdir and every
// directory between the root and it.
TEST(WinPlanner, PointerFileGitDirAndItsAncestorsArePinned) {
  Host h;
  const std::string wt = "C:\\Users\\alice\\src\\wt";
  h.fs->mkdir(wt + "\\meta\\gitdir\\hooks");
  h.fs->add_file(wt + "\\meta\\gitdir\\config");
  h.fs->add_file(wt + "\\.git", {}, "gitdir: meta\\gitdir\n");
  auto r = plan_windows(test::ws_policy(wt), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  TokenModel t = model_token(*r, h.host);
  expect_cases(*h.fs, t, RestrictedScope::AllModifying,
               {{Op::Rename, wt + "\\meta", false, wt + "\\meta2"},
                {Op::Rename, wt + "\\meta\\gitdir", false, wt + "\\g2"},
                {Op::Create, wt + "\\meta\\gitdir\\index.lock", true}});
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

PlanOptions run_options(const std::string& id, uint32_t n) {
  PlanOptions o = test::with_audit();
  o.run_id = id;
  o.run_sid = sids::capability({n, n, n, n});
  return o;
}

// F6: two sandboxes at the same time, in workspaces A and B. B must not write A's
// private temp (it would plant links for A's cleanup), nor pass the restricted half of
// the check on the objects A's command creates (processes, threads: the default DACL).
TEST(WinPlanner, ConcurrentRunsReachNeitherTheOthersTempNorItsProcesses) {
  Host h;
  auto a = plan_windows(test::ws_policy(), h.host, test::test_caps(), run_options("a1", 11));
  auto b = plan_windows(test::ws_policy(test::kWsB), h.host, test::test_caps(), run_options("b2", 12));
  ASSERT_TRUE(a && b);
  test::apply(*h.fs, *a);
  test::apply(*h.fs, *b);
  TokenModel ta = model_token(*a, h.host), tb = model_token(*b, h.host);
  for (auto scope : {RestrictedScope::AllModifying, RestrictedScope::GenericWrite}) {
    EXPECT_TRUE(h.fs->can(ta, Op::Create, a->child_temp + "\\x", scope));
    EXPECT_FALSE(h.fs->can(tb, Op::Create, a->child_temp + "\\x", scope)) << "B plants in A's temp";
    EXPECT_FALSE(h.fs->can(tb, Op::Mkdir, a->child_temp + "\\j", scope)) << "B plants a junction in A's temp";
    EXPECT_FALSE(h.fs->can(ta, Op::Create, b->child_temp + "\\x", scope));
  }
  auto shared = [](const std::vector<Sid>& dacl, const std::vector<Sid>& restricting) {
    return std::any_of(dacl.begin(), dacl.end(), [&](const Sid& s) {
      return std::find(restricting.begin(), restricting.end(), s) != restricting.end();
    });
  };
  // The default DACL is also each run's private desktop's DACL (launch.cpp): B fails the
  // restricted pass on A's processes, threads and desktop alike.
  EXPECT_TRUE(shared(a->token.default_dacl(test::kUser), a->token.restricting()))
      << "A opens its own objects";
  EXPECT_FALSE(shared(a->token.default_dacl(test::kUser), b->token.restricting())) << "B opens A's objects";
  EXPECT_FALSE(shared(b->token.default_dacl(test::kUser), a->token.restricting()));
}

// F7: a --tmp host run used to leave the host TEMP writable for every later run (a
// persistent grant to a SID every run carried).
TEST(WinPlanner, HostTempGrantIsForItsRunOnly) {
  Host h;
  Policy host_tmp = test::ws_policy();
  host_tmp.tmp = TmpMode::Host;
  auto first = plan_windows(host_tmp, h.host, test::test_caps(), run_options("h1", 21));
  ASSERT_TRUE(first) << first.error().message();
  test::apply(*h.fs, *first);
  TokenModel t1 = model_token(*first, h.host);
  EXPECT_TRUE(h.fs->can(t1, Op::Create, std::string(test::kTemp) + "\\x", RestrictedScope::AllModifying));
  for (const auto& a : first->aces) {
    if (is_within(a.path, test::kTemp) && a.ace.type == AceType::Allow) {
      EXPECT_EQ(a.lifetime, AceLifetime::PerRun) << a.path;
    }
  }

  // A later default run, even before the first run's grant was removed.
  auto later = plan_windows(test::ws_policy(), h.host, test::test_caps(), run_options("p2", 22));
  ASSERT_TRUE(later);
  test::apply(*h.fs, *later);
  TokenModel t2 = model_token(*later, h.host);
  for (auto scope : {RestrictedScope::AllModifying, RestrictedScope::GenericWrite})
    EXPECT_FALSE(h.fs->can(t2, Op::Create, std::string(test::kTemp) + "\\x", scope));
  EXPECT_TRUE(h.fs->can(t2, Op::Create, later->child_temp + "\\x", RestrictedScope::AllModifying));
}

TEST(WinPlanner, APlanWithoutARunSidIsRefused) {
  Host h;
  PlanOptions o = test::with_audit();
  o.run_sid = Sid{};
  EXPECT_FALSE(plan_windows(test::ws_policy(), h.host, test::test_caps(), o));
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// F12: a repository can ship .vscode as a directory symlink to a folder in the
// checkout. The deny ACEs land on the link object (FILE_FLAG_OPEN_REPARSE_POINT),
// while a write through it is checked against the target. The model used to put the
// ACE on the target and hid this; now it mirrors the applier, and the planner refuses.
TEST(WinPlanner, ProtectedNamesThatAreLinksAreRefusedOrProtectedAtTheTarget) {
  auto setup = [](Host& h) {
    h.fs->mkdir(ws("tools\\editor"));
    h.fs->add_file(ws("tools\\editor\\tasks.json"));
    h.fs->add_link(ws(".claude"), ws("tools\\editor"));
  };
  {
    // What the plan did before: protect the link only. The model now shows the gap.
    Host h;
    setup(h);
    Ace deny{AceType::Deny, test::test_caps().by_root.at("c:\\users\\alice\\src\\ws"), access::kModifying,
             ace_flags::kTree};
    h.fs->add_ace(ws(".claude"), deny);
    EXPECT_TRUE(h.fs->explicit_aces(ws("tools\\editor")).empty()) << "the ACE must stay on the link";
  }
  Host h;
  setup(h);
  auto refused = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find(".claude"), std::string::npos);

  Policy best = test::ws_policy();
  best.best_effort = true;
  auto p = plan_windows(best, h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p) << p.error().message();
  test::apply(*h.fs, *p);
  TokenModel t = model_token(*p, h.host);
  expect_cases(*h.fs, t, RestrictedScope::AllModifying,
               {{Op::Write, ws(".claude\\tasks.json"), false},
                {Op::Create, ws(".claude\\settings.json"), false},
                {Op::Write, ws("tools\\editor\\tasks.json"), false},
                {Op::Delete, ws(".claude"), false}});
  auto report = to_report(*p, best, h.host);
  auto prot = std::find_if(report.guarantees.begin(), report.guarantees.end(),
                           [](const Guarantee& g) { return g.name == "protected paths"; });
  ASSERT_NE(prot, report.guarantees.end());
  EXPECT_EQ(prot->state, GuaranteeState::Degraded);
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

GuaranteeState row(const PlanReport& r, const std::string& name) {
  auto it = std::find_if(r.guarantees.begin(), r.guarantees.end(),
                         [&](const Guarantee& g) { return g.name == name; });
  return it == r.guarantees.end() ? GuaranteeState::NotRequested : it->state;
}

// F3: under the narrow restricted pass, two-step attacks go through (re-ACL then write;
// delete then re-create a protected file), so the report must not say Enforced; it
// says so only with the probe's evidence of the wide pass, and marks what is unprobed.
TEST(WinPlanner, ReportFollowsTheProbedRestrictedPassForTwoStepAttacks) {
  auto p = planned(test::ws_policy());
  auto& fs = *p->h.fs;
  // Narrow: the model lets the command re-ACL an outside file it owns...
  EXPECT_TRUE(fs.can(p->token, Op::SetDacl, out("secret.txt"), RestrictedScope::GenericWrite));
  fs.add_ace(out("secret.txt"), Ace{AceType::Allow, sids::everyone(), access::kFileAllAccess, 0});
  // ...after which the write passes both checks (Everyone is a restricting SID).
  EXPECT_TRUE(fs.can(p->token, Op::Write, out("secret.txt"), RestrictedScope::GenericWrite));
  // And delete + re-create a protected file.
  EXPECT_TRUE(fs.can(p->token, Op::Delete, ws(".vscode\\settings.json"), RestrictedScope::GenericWrite));
  // Wide: neither first step.
  EXPECT_FALSE(fs.can(p->token, Op::SetDacl, ws(".git\\config"), RestrictedScope::AllModifying));
  EXPECT_FALSE(fs.can(p->token, Op::Delete, ws(".vscode\\settings.json"), RestrictedScope::AllModifying));

  WinHost narrow = p->h.host, wide = p->h.host, unknown = p->h.host;
  narrow.restricted_pass_rights = restricted_pass_rights(RestrictedScope::GenericWrite);
  wide.restricted_pass_rights = restricted_pass_rights(RestrictedScope::AllModifying);
  auto rn = to_report(p->plan, test::ws_policy(), narrow);
  EXPECT_EQ(row(rn, "write confinement"), GuaranteeState::Missing);
  EXPECT_EQ(row(rn, "protected paths"), GuaranteeState::Degraded);
  auto rw = to_report(p->plan, test::ws_policy(), wide);
  EXPECT_EQ(row(rw, "write confinement"), GuaranteeState::Enforced);
  EXPECT_EQ(row(rw, "protected paths"), GuaranteeState::Enforced);
  auto ru = to_report(p->plan, test::ws_policy(), unknown);
  EXPECT_EQ(row(ru, "write confinement"), GuaranteeState::Degraded);
  for (const auto& g : ru.guarantees) {
    if (g.name == "write confinement") {
      EXPECT_NE(g.mechanism.find("not verified"), std::string::npos);
    }
  }
  for (const auto& g : rw.guarantees) {
    if (g.name == "write confinement") {
      EXPECT_NE(g.mechanism.find("verified on this host"), std::string::npos);
    }
  }
}

// F5, F10, F11: rows that used to say Enforced or "not requested" without evidence.
TEST(WinPlanner, DesktopAuditAndUnenforcedLimitsAreNotReportedEnforced) {
  Policy policy = test::ws_policy();
  policy.limits.memory_bytes = 100u << 20;
  policy.limits.pids = 10;
  auto p = planned(policy);
  WinHost wide = p->h.host;
  wide.restricted_pass_rights = restricted_pass_rights(RestrictedScope::AllModifying);
  auto r = to_report(p->plan, policy, wide);
  EXPECT_EQ(row(r, "process isolation"), GuaranteeState::Degraded);
  EXPECT_EQ(row(r, "world-writable directories"), GuaranteeState::Degraded);
  // F10: the job enforces them now; --pids counts processes only (Linux: tasks).
  EXPECT_EQ(row(r, "limits"), GuaranteeState::Degraded);
  EXPECT_FALSE(r.complete());
}

// Issue 15: `cordon check` states, for every guarantee it reports, whether a probe on
// this host verified it or it rests on documented behaviour only; the desktop row
// follows its own probe (F5).
bool tagged(const Guarantee& g) {
  return g.mechanism.find(" [verified on this host") != std::string::npos ||
         g.mechanism.find(" [verified at each launch") != std::string::npos ||
         g.mechanism.find(" [documented behaviour; not verified on this host]") != std::string::npos;
}

TEST(WinPlanner, EveryReportedGuaranteeSaysWhetherItWasProbedOrIsDocumentedOnly) {
  Policy policy = test::ws_policy();
  policy.limits.memory_bytes = 100u << 20;
  policy.limits.pids = 10;
  Policy proxy = test::ws_policy();
  proxy.net.mode = NetMode::Proxy;
  proxy.best_effort = true;
  proxy.deny_read = {"C:\\Users\\alice\\.ssh"};
  for (const Policy* pol : {&policy, &proxy}) {
    auto p = planned(*pol);
    WinHost narrow = p->h.host, wide = p->h.host, unknown = p->h.host, desktop_open = p->h.host,
            desktop_shut = p->h.host;
    narrow.restricted_pass_rights = restricted_pass_rights(RestrictedScope::GenericWrite);
    wide.restricted_pass_rights = restricted_pass_rights(RestrictedScope::AllModifying);
    desktop_open.restricted_pass_rights = wide.restricted_pass_rights;
    desktop_open.default_desktop_input = true;
    desktop_shut.restricted_pass_rights = wide.restricted_pass_rights;
    desktop_shut.default_desktop_input = false;
    for (const WinHost* host : {&narrow, &wide, &unknown, &desktop_open, &desktop_shut}) {
      auto r = to_report(p->plan, *pol, *host);
      for (const auto& g : r.guarantees) {
        if (g.state == GuaranteeState::NotRequested) continue;
        EXPECT_TRUE(tagged(g)) << g.name << ": " << g.mechanism;
      }
    }
    auto find = [](const PlanReport& r, const char* name) {
      for (const auto& g : r.guarantees)
        if (g.name == name) return g;
      return Guarantee{};
    };
    auto open = find(to_report(p->plan, *pol, desktop_open), "process isolation");
    EXPECT_EQ(open.state, GuaranteeState::Degraded);
    EXPECT_NE(open.mechanism.find("verified on this host"), std::string::npos);
    EXPECT_NE(open.detail.find("probed: the sandbox token passes"), std::string::npos);
    // A Default desktop that refuses the token still leaves the session's other desktops unexamined.
    auto shut = find(to_report(p->plan, *pol, desktop_shut), "process isolation");
    EXPECT_EQ(shut.state, GuaranteeState::Degraded);
    EXPECT_NE(shut.detail.find("refuses"), std::string::npos);
    auto unprobed = find(to_report(p->plan, *pol, unknown), "process isolation");
    EXPECT_NE(unprobed.mechanism.find("not verified on this host"), std::string::npos);
  }
}

// F10: --memory, --pids and --cpu-time were dropped silently; the job object holds them.
TEST(WinPlanner, LimitsBecomeJobObjectLimits) {
  Policy policy = test::ws_policy();
  policy.limits.memory_bytes = 256u << 20;
  auto p = planned(policy);
  EXPECT_EQ(p->plan.job.memory_bytes, std::optional<uint64_t>(256u << 20));
  EXPECT_FALSE(p->plan.job.processes);
  EXPECT_EQ(row(to_report(p->plan, policy, p->h.host), "limits"), GuaranteeState::Enforced);

  policy.limits.pids = 8;
  policy.limits.cpu_seconds = 1.5;
  auto q = planned(policy);
  EXPECT_EQ(q->plan.job.processes, std::optional<uint32_t>(8));
  EXPECT_EQ(q->plan.job.process_user_time, std::optional<int64_t>(15000000));  // 100 ns units
  auto r = to_report(q->plan, policy, q->h.host);
  EXPECT_EQ(row(r, "limits"), GuaranteeState::Degraded);  // units weaker than Linux's: said, and gated

  Policy none = test::ws_policy();
  EXPECT_EQ(row(to_report(planned(none)->plan, none, planned(none)->h.host), "limits"),
            GuaranteeState::NotRequested);
  EXPECT_EQ(job_limits(policy.limits), q->plan.job);
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// F17: stock ACLs. C:\Windows\Temp lets Users create (S,WD,AD,X) and a folder made at
// C:\ inherits Authenticated Users:(M). Neither SID is a restricting SID, so the
// restricted pass already refuses writes there; flagging them planned deny ACEs the
// user cannot write, which aborted every run. Everyone-writable stays flagged.
TEST(WinPlanner, StockSystemAclsAreNotFlaggedYetStayUnwritable) {
  using namespace access;
  Host h;
  h.host.windows_dir = "C:\\Windows";
  h.fs->mkdir("C:\\Windows\\Temp",
              {{AceType::Allow, sids::users(), kWriteData | kAppendData | kExecute | kSynchronize,
                ace_flags::kContainerInherit}});
  h.fs->mkdir("C:\\src\\other", {{AceType::Allow, sids::authenticated_users(),
                                  kFileGenericRead | kFileGenericWrite | kDelete, ace_flags::kTree}});
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  for (const auto& d : r->audit.denied) {
    EXPECT_FALSE(same_path(d, "C:\\Windows\\Temp")) << d;
    EXPECT_FALSE(is_within(d, "C:\\src")) << d;
  }
  EXPECT_TRUE(std::any_of(r->audit.denied.begin(), r->audit.denied.end(),
                          [](const std::string& d) { return same_path(d, test::kTools); }));
  for (const auto& a : r->aces)
    if (a.reason == "world-writable" || a.reason == "NUL device") {
      EXPECT_TRUE(a.best_effort) << a.path;
    }
  test::apply(*h.fs, *r);
  TokenModel t = model_token(*r, h.host);
  for (auto scope : {RestrictedScope::AllModifying, RestrictedScope::GenericWrite}) {
    EXPECT_FALSE(h.fs->can(t, Op::Create, "C:\\Windows\\Temp\\x.dll", scope));
    EXPECT_FALSE(h.fs->can(t, Op::Create, "C:\\src\\other\\x", scope));
  }
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// F13: submodule gitdirs, submodule .git pointers and a real linked worktree (whose
// gitdir has no config of its own: commondir names the main .git).
TEST(WinPlanner, SubmoduleGitDirsPointersAndWorktreeCommondirAreProtected) {
  Host h;
  h.fs->mkdir(ws(".git\\modules\\lib\\hooks"));
  h.fs->add_file(ws(".git\\modules\\lib\\config"), {}, "[core]\n");
  h.fs->add_file(ws(".git\\modules\\lib\\HEAD"));
  h.fs->mkdir(ws(".git\\modules\\deep\\name\\hooks"));  // a submodule named "deep/name"
  h.fs->add_file(ws(".git\\modules\\deep\\name\\HEAD"));
  h.fs->add_file(ws(".gitmodules"), {}, "[submodule \"lib\"]\n\tpath = lib\n\turl = ../lib.git\n");
  h.fs->mkdir(ws("lib"));
  h.fs->add_file(ws("lib\\.git"), {}, "gitdir: ../.git/modules/lib\n");
  // A linked worktree whose gitdir lives in ws\.git\worktrees\wt2 (its checkout's own
  // .git pointer, nested below the root, is found by the depth walk: nested_git_test.cpp).
  h.fs->mkdir(ws(".git\\worktrees\\wt2"));
  h.fs->add_file(ws(".git\\worktrees\\wt2\\commondir"), {}, "../..\n");
  h.fs->add_file(ws(".git\\worktrees\\wt2\\HEAD"));
  h.fs->mkdir(ws("trees\\wt2"));
  h.fs->add_file(ws("trees\\wt2\\.git"), {}, "gitdir: " + ws(".git\\worktrees\\wt2") + "\n");
  auto r = plan_windows(test::ws_policy(), h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(r) << r.error().message();
  test::apply(*h.fs, *r);
  TokenModel t = model_token(*r, h.host);
  expect_cases(*h.fs, t, RestrictedScope::AllModifying,
               {{Op::Write, ws(".git\\modules\\lib\\config"), false},
                {Op::Create, ws(".git\\modules\\lib\\hooks\\post-checkout"), false},
                {Op::Create, ws(".git\\modules\\deep\\name\\hooks\\post-checkout"), false},
                {Op::Rename, ws(".git\\modules\\lib"), false, ws(".git\\modules\\lib2")},
                {Op::Write, ws("lib\\.git"), false},
                {Op::Write, ws(".git\\worktrees\\wt2\\commondir"), false},
                {Op::Create, ws(".git\\modules\\lib\\index.lock"), true},
                {Op::Create, ws("lib\\file.c"), true}});
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// F15: with a writable root that holds cordon's user config, a sandbox could set
// mode = "full-access" for the next run. Protected as on Linux.
TEST(WinPlanner, TheUserConfigIsProtectedInsideAWritableRoot) {
  const std::string config_root = std::string(test::kProfile) + "\\.config";
  for (bool present : {false, true}) {
    Host h;
    h.fs->mkdir(config_root);
    if (present) h.fs->add_file(config_root + "\\cordon\\config.toml", {}, "mode = \"workspace-write\"\n");
    h.host.config_dir = config_root + "\\cordon";
    CapabilitySids caps = test::test_caps();
    caps.by_root[path_key(config_root)] = sids::capability({9, 9, 9, 9});
    auto r = plan_windows(test::ws_policy(config_root), h.host, caps, test::with_audit());
    ASSERT_TRUE(r) << r.error().message();
    test::apply(*h.fs, *r);
    TokenModel t = model_token(*r, h.host);
    expect_cases(*h.fs, t, RestrictedScope::AllModifying,
                 {{Op::Create, config_root + "\\cordon\\config.toml", false},
                  {Op::Write, config_root + "\\cordon\\config.toml", false},
                  {Op::Rename, config_root + "\\cordon", false, config_root + "\\old"},
                  {Op::Create, config_root + "\\other.toml", true}});
  }
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

bool has_ace_on(const WinPlan& plan, const std::string& path) {
  return std::any_of(plan.aces.begin(), plan.aces.end(),
                     [&](const PlannedAce& a) { return same_path(a.path, path); });
}

// F21: `--protect ws\out` (a junction to a folder outside) protected the target and put
// a deny FILE_DELETE_CHILD on its parent (the profile), while the junction's name stayed
// deletable. A link, or a path through one, is refused now; --best-effort protects the
// link itself and never plans an ACE outside the roots.
TEST(WinPlanner, ProtectOnALinkProtectsTheLinkNeverTheTargetsParent) {
  for (const std::string& target : {ws("out"), ws("out\\secret.txt")}) {
    Host h;
    Policy policy = test::ws_policy();
    policy.protect = {target};
    auto refused = plan_windows(policy, h.host, test::test_caps(), test::with_audit());
    ASSERT_FALSE(refused) << target;
    EXPECT_NE(refused.error().message().find("link"), std::string::npos) << refused.error().message();

    policy.best_effort = true;
    auto p = plan_windows(policy, h.host, test::test_caps(), test::with_audit());
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_FALSE(has_ace_on(*p, test::kProfile)) << target << ": an ACE on the profile root";
    EXPECT_FALSE(has_ace_on(*p, kOutside)) << target;
    EXPECT_FALSE(has_ace_on(*p, out("secret.txt"))) << target;
    auto report = to_report(*p, policy, h.host);
    auto prot = std::find_if(report.guarantees.begin(), report.guarantees.end(),
                             [](const Guarantee& g) { return g.name == "protected paths"; });
    ASSERT_NE(prot, report.guarantees.end());
    EXPECT_EQ(prot->state, GuaranteeState::Degraded) << target;
  }
  Host h;
  Policy policy = test::ws_policy();
  policy.protect = {ws("out")};
  policy.best_effort = true;
  auto p = plan_windows(policy, h.host, test::test_caps(), test::with_audit());
  ASSERT_TRUE(p);
  test::apply(*h.fs, *p);
  // The link's name can be neither removed nor replaced (it is the protected thing).
  expect_cases(*h.fs, model_token(*p, h.host), RestrictedScope::AllModifying,
               {{Op::Delete, ws("out"), false}, {Op::Rename, ws("out"), false, ws("out2")}});
}

}  // namespace
}  // namespace cordon::win

namespace cordon::win {
namespace {

// F3 in stage 2: the sandbox user passes the normal half of the check through the
// group's root grant (DELETE, FILE_DELETE_CHILD), and the protected-path denies named
// only capability SIDs, so under the narrow restricted pass it could delete or rename
// .git\config and .vscode. The group now carries the same denies.
TEST(WinPlanner, Stage2SandboxGroupCarriesTheProtectedPathDenies) {
  const Sid group{5, {21, 9, 9, 9, 1100}};
  const Sid sandbox_user{5, {21, 9, 9, 9, 1101}};
  auto stage2 = [&](bool with_group_denies) {
    auto h = std::make_unique<Host>();
    auto p = plan_windows(test::ws_policy(), h->host, test::test_caps(), test::with_audit());
    EXPECT_TRUE(p);
    if (with_group_denies) add_principal_denies(*p, group);
    h->fs->add_ace(kWs, Ace{AceType::Allow, group,
                            access::kFileGenericRead | access::kFileGenericWrite |
                                access::kFileGenericExecute | access::kDelete | access::kDeleteChild,
                            ace_flags::kTree});
    test::apply(*h->fs, *p);
    TokenModel t;
    t.user = sandbox_user;
    t.groups = {{sids::everyone(), true, false},
                {sids::users(), true, false},
                {sids::authenticated_users(), true, false},
                {group, true, false}};
    t.restricting = p->token.restricting();
    t.write_restricted = true;
    return std::make_pair(std::move(h), t);
  };
  const std::vector<Case> attacks = {
      {Op::Delete, ws(".git\\config"), false},
      {Op::Rename, ws(".git\\config"), false, ws("cfg")},
      {Op::Rename, ws(".git\\hooks"), false, ws("hooks_old")},
      {Op::Delete, ws(".vscode\\settings.json"), false},
      {Op::Rename, ws(".git"), false, ws(".git_old")},
      {Op::SetDacl, ws(".git\\config"), false},
  };
  {
    auto [h, t] = stage2(false);  // before: the narrow pass lets these through
    EXPECT_TRUE(h->fs->can(t, Op::Delete, ws(".git\\config"), RestrictedScope::GenericWrite));
    EXPECT_TRUE(h->fs->can(t, Op::Rename, ws(".git"), RestrictedScope::GenericWrite, ws(".git_old")));
  }
  auto [h, t] = stage2(true);
  expect_cases(*h->fs, t, RestrictedScope::GenericWrite, attacks);
  expect_cases(*h->fs, t, RestrictedScope::AllModifying, attacks);
  // git and the command keep working in the rest of the workspace.
  expect_cases(*h->fs, t, RestrictedScope::GenericWrite,
               {{Op::Create, ws(".git\\index.lock"), true},
                {Op::Delete, ws(".git\\index.lock"), true},
                {Op::Write, ws("src\\main.c"), true},
                {Op::Delete, ws("src\\main.c"), true}});
}

}  // namespace
}  // namespace cordon::win
