#include "plan/windows/uninstall_plan.hpp"

#include <algorithm>

#include "plan/windows/firewall_spec.hpp"
#include "plan/windows/win_path.hpp"

namespace cordon::win {
namespace {

class Builder {
 public:
  UninstallPlan plan;

  void add(UninstallStep step) {
    auto same = [&](const UninstallStep& s) {
      return s.kind == step.kind && fold_case(s.target) == fold_case(step.target) &&
             fold_case(s.detail) == fold_case(step.detail) && s.ace == step.ace;
    };
    auto it = std::find_if(plan.steps.begin(), plan.steps.end(), same);
    if (it == plan.steps.end()) {
      plan.steps.push_back(std::move(step));
      return;
    }
    for (const auto& sid : step.sids)
      if (std::find(it->sids.begin(), it->sids.end(), sid) == it->sids.end()) it->sids.push_back(sid);
    it->from_ledger = it->from_ledger || step.from_ledger;
  }
  void simple(UninstallStepKind kind, const std::string& target, const std::string& detail,
              bool from_ledger) {
    add({kind, target, detail, std::nullopt, {}, from_ledger});
  }
};

void add_sid(std::vector<Sid>& list, const std::string& text) {
  auto sid = Sid::parse(text);
  if (sid && !sid->empty() && std::find(list.begin(), list.end(), *sid) == list.end()) list.push_back(*sid);
}

}  // namespace

const char* to_string(UninstallStepKind kind) {
  switch (kind) {
    case UninstallStepKind::RemoveAce:
      return "remove ACE";
    case UninstallStepKind::SweepSids:
      return "sweep sandbox SIDs";
    case UninstallStepKind::RemovePlaceholder:
      return "remove placeholder";
    case UninstallStepKind::RemoveFirewallRule:
      return "remove firewall rule";
    case UninstallStepKind::RemoveWfpObjects:
      return "remove WFP filters, sublayer and provider";
    case UninstallStepKind::RemoveRegistryValue:
      return "remove registry value";
    case UninstallStepKind::DeleteProfile:
      return "delete profile";
    case UninstallStepKind::DeleteUser:
      return "delete user";
    case UninstallStepKind::RemoveLogonRights:
      return "remove logon rights";
    case UninstallStepKind::DeleteGroup:
      return "delete group";
    case UninstallStepKind::RemoveSetupFiles:
      return "remove setup files";
  }
  return "?";
}

UninstallPlan plan_uninstall(const LedgerSalvage& salvage, const std::optional<SetupMarker>& marker,
                             bool setup_traces) {
  Builder b;
  b.plan.problems = salvage.problems;
  const Ledger& ledger = salvage.ledger;

  // 1. Every ledgered ACE, newest first (the reverse of how they were added).
  for (auto it = ledger.entries.rbegin(); it != ledger.entries.rend(); ++it)
    b.add({UninstallStepKind::RemoveAce, it->path, it->reason, it->ace, {}, true});

  // 2. The sandbox SIDs on every root setup granted, and the ancestors it traversed.
  std::vector<Sid> sandbox;
  std::vector<std::string> roots;
  if (marker) {
    for (const auto* a : {&marker->group, &marker->offline, &marker->online}) add_sid(sandbox, a->sid.str());
    roots = marker->write_roots;
    roots.insert(roots.end(), marker->read_roots.begin(), marker->read_roots.end());
  }
  for (const auto& r : ledger.setup)
    if (r.kind == SetupObject::User || r.kind == SetupObject::Group) add_sid(sandbox, r.sid);
  if (!sandbox.empty()) {
    std::vector<std::string> swept;
    for (const auto& root : roots) {
      std::vector<std::string> paths = ancestors(root);
      paths.push_back(root);
      for (const auto& p : paths) {
        if (is_root(p) ||
            std::any_of(swept.begin(), swept.end(), [&](const auto& s) { return same_path(s, p); }))
          continue;
        swept.push_back(p);
        b.add({UninstallStepKind::SweepSids, p, "", std::nullopt, sandbox, false});
      }
    }
  }

  // 3. Placeholders (removed only while empty).
  for (const auto& ph : ledger.placeholders)
    b.simple(UninstallStepKind::RemovePlaceholder, ph.path, ph.directory ? "directory" : "file", true);

  if (!setup_traces) return b.plan;

  // 4-6. Setup objects: the ledger's records, then every well-known name (a crash or
  // a damaged ledger may have lost the record; removing a missing object is a no-op).
  for (const auto& r : ledger.setup)
    if (r.kind == SetupObject::FirewallRule)
      b.simple(UninstallStepKind::RemoveFirewallRule, r.name, "", true);
  for (const auto& name : known_rule_names())
    b.simple(UninstallStepKind::RemoveFirewallRule, name, "", false);
  // The WFP objects carry fixed keys (wfp_spec.hpp), so nothing needs recording: the
  // step names no object, the applier deletes only cordon's keys.
  b.simple(UninstallStepKind::RemoveWfpObjects, kWfpObjects, "", false);
  for (const auto& r : ledger.setup)
    if (r.kind == SetupObject::RegistryValue)
      b.simple(UninstallStepKind::RemoveRegistryValue, r.name, r.detail, true);
  for (const char* user : {kOfflineUser, kOnlineUser})
    b.simple(UninstallStepKind::RemoveRegistryValue, kHideKey, user, false);

  std::vector<std::pair<std::string, std::vector<Sid>>> users;  // name -> SIDs known for it
  auto user = [&](const std::string& name, const std::string& sid) {
    auto it = std::find_if(users.begin(), users.end(),
                           [&](const auto& u) { return fold_case(u.first) == fold_case(name); });
    if (it == users.end()) {
      users.push_back({name, {}});
      it = users.end() - 1;
    }
    add_sid(it->second, sid);
  };
  for (const auto& r : ledger.setup)
    if (r.kind == SetupObject::User || r.kind == SetupObject::Profile) user(r.name, r.sid);
  if (marker) {
    user(marker->offline.name, marker->offline.sid.str());
    user(marker->online.name, marker->online.sid.str());
  }
  user(kOfflineUser, "");
  user(kOnlineUser, "");
  // Profiles before users: DeleteProfileW needs the account's SID (the applier looks
  // it up by name when none was recorded), and a deleted account's profile leaks.
  for (const auto& [name, sids] : users)
    b.add({UninstallStepKind::DeleteProfile, name, "", std::nullopt, sids, true});
  for (const auto& [name, sids] : users)
    b.add({UninstallStepKind::DeleteUser, name, "", std::nullopt, sids, true});
  // Only cordon's own group ever got logon rights (setup's LogonRights step).
  b.simple(UninstallStepKind::RemoveLogonRights, kSandboxGroup, "", false);
  for (const auto& r : ledger.setup)
    if (r.kind == SetupObject::Group) b.simple(UninstallStepKind::DeleteGroup, r.name, "", true);
  if (marker && !marker->group.name.empty())
    b.simple(UninstallStepKind::DeleteGroup, marker->group.name, "", false);
  b.simple(UninstallStepKind::DeleteGroup, kSandboxGroup, "", false);

  // 7. The secrets and the marker go last: a failed uninstall can be run again.
  b.simple(UninstallStepKind::RemoveSetupFiles, kSetupDirName, "", false);
  return b.plan;
}

namespace {

bool contains(const std::vector<Sid>& list, const Sid& sid) {
  return std::find(list.begin(), list.end(), sid) != list.end();
}

bool one_of(const std::string& name, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(),
                     [&](const char* n) { return fold_case(name) == fold_case(n); });
}

}  // namespace

bool own_setup_object(const SetupRecord& r) {
  switch (r.kind) {
    case SetupObject::User:
    case SetupObject::Profile:
      return one_of(r.name, {kOfflineUser, kOnlineUser});
    case SetupObject::Group:
      return one_of(r.name, {kSandboxGroup});
    case SetupObject::FirewallRule: {
      const std::vector<std::string> rules = known_rule_names();
      return std::any_of(rules.begin(), rules.end(),
                         [&](const std::string& n) { return fold_case(n) == fold_case(r.name); });
    }
    case SetupObject::RegistryValue:
      return fold_case(r.name) == fold_case(kHideKey) && one_of(r.detail, {kOfflineUser, kOnlineUser});
  }
  return false;
}

UninstallPlan elevated_part(const UninstallPlan& plan, const std::vector<Sid>& sandbox) {
  UninstallPlan out;
  out.problems = plan.problems;
  const std::vector<std::string> rules = known_rule_names();
  auto only_sandbox = [&](std::vector<Sid> sids) {
    sids.erase(std::remove_if(sids.begin(), sids.end(), [&](const Sid& s) { return !contains(sandbox, s); }),
               sids.end());
    return sids;
  };
  for (const auto& step : plan.steps) {
    UninstallStep s = step;
    bool keep = false;
    switch (step.kind) {
      case UninstallStepKind::RemoveAce:
        keep = step.ace && contains(sandbox, step.ace->sid);
        break;
      case UninstallStepKind::SweepSids:
        s.sids = only_sandbox(step.sids);
        keep = !s.sids.empty();
        break;
      case UninstallStepKind::RemovePlaceholder:
        keep = false;  // the user's own files: the unelevated part
        break;
      case UninstallStepKind::RemoveFirewallRule:
        keep = std::any_of(rules.begin(), rules.end(),
                           [&](const std::string& r) { return fold_case(r) == fold_case(step.target); });
        break;
      case UninstallStepKind::RemoveWfpObjects:
        keep = step.target == kWfpObjects;
        break;
      case UninstallStepKind::RemoveRegistryValue:
        keep =
            fold_case(step.target) == fold_case(kHideKey) && one_of(step.detail, {kOfflineUser, kOnlineUser});
        break;
      case UninstallStepKind::DeleteProfile:
      case UninstallStepKind::DeleteUser:
        s.sids = only_sandbox(step.sids);
        keep = one_of(step.target, {kOfflineUser, kOnlineUser});
        break;
      case UninstallStepKind::RemoveLogonRights:
      case UninstallStepKind::DeleteGroup:
        keep = one_of(step.target, {kSandboxGroup});
        break;
      case UninstallStepKind::RemoveSetupFiles:
        keep = step.target == kSetupDirName;
        break;
    }
    if (keep)
      out.steps.push_back(std::move(s));
    else if (step.from_ledger && step.kind != UninstallStepKind::RemovePlaceholder &&
             !(step.kind == UninstallStepKind::RemoveAce && step.ace))
      out.problems.push_back(std::string("not done with administrator rights (not one of cordon's own "
                                         "objects): ") +
                             to_string(step.kind) + " " + step.target +
                             (step.detail.empty() ? "" : " " + step.detail));
  }
  return out;
}

UninstallPlan unelevated_part(const UninstallPlan& plan, const std::vector<Sid>& sandbox) {
  UninstallPlan out;
  out.problems = plan.problems;
  for (const auto& step : plan.steps) {
    bool keep =
        (step.kind == UninstallStepKind::RemoveAce && step.ace && !contains(sandbox, step.ace->sid)) ||
        step.kind == UninstallStepKind::RemovePlaceholder;
    if (keep) out.steps.push_back(step);
  }
  return out;
}

}  // namespace cordon::win
