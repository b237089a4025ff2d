// cordon (Windows setup): `cordon uninstall` - the ledger replayed in reverse
// (plan/windows/uninstall_plan.hpp). Every step runs even when an earlier one failed,
// and each failure is reported; a second run finishes what the first could not.
#include <windows.h>

#include <algorithm>

#include "plan/windows/state.hpp"
#include "plan/windows/win_path.hpp"
#include "platform/windows/acl_apply.hpp"
#include "platform/windows/setup/accounts.hpp"
#include "platform/windows/setup/firewall.hpp"
#include "platform/windows/setup/logon_rights.hpp"
#include "platform/windows/setup/stage2.hpp"
#include "platform/windows/setup/wfp.hpp"
#include "platform/windows/state_io.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

using win::SetupErrorCode;
using win::UninstallStepKind;

std::optional<std::string> read_text(const std::string& dir, const std::string& name) {
  FileStateIo io(dir);
  auto text = io.read(name);
  if (!text || !*text) return std::nullopt;
  return **text;
}

}  // namespace

bool setup_traces(const std::string& state_dir) {
  if (read_text(setup_dir(state_dir), win::kMarkerFile)) return true;
  if (auto text = read_text(state_dir, win::kLedgerFile)) {
    auto salvage = win::salvage_ledger(*text);
    if (!salvage.intact() || !salvage.ledger.setup.empty()) return true;
  }
  return lookup_sid(win::kOfflineUser) || lookup_sid(win::kOnlineUser) || lookup_sid(win::kSandboxGroup);
}

SetupResult<UninstallReport> run_uninstall(const std::string& state_dir, UninstallScope scope) {
  UninstallReport report;
  FileStateIo io(state_dir);
  win::StateLock lock(io);
  if (!lock.status()) return setup_error(SetupErrorCode::Ledger, lock.status().error());
  auto text = io.read(win::kLedgerFile);
  if (!text) return setup_error(SetupErrorCode::Ledger, text.error());
  win::LedgerSalvage salvage;
  if (*text) {
    salvage = win::salvage_ledger(**text);
    if (!salvage.intact()) {
      // Kept for the user: what could not be read may name ACEs only they can find.
      (void)io.write_atomic("acl-ledger.damaged.json", **text);
      report.lines.push_back("the ledger was damaged; the original is kept as acl-ledger.damaged.json");
    }
  }
  auto stage = read_stage(state_dir);
  std::optional<win::SetupMarker> marker = stage.marker;
  if (!marker) {  // a stale marker still names the accounts' SIDs when it parses
    if (auto m = read_text(setup_dir(state_dir), win::kMarkerFile)) marker = win::parse_marker(*m);
    if (marker && marker->version != win::kSetupFormatVersion) marker.reset();
  }
  const bool traces = setup_traces(state_dir);
  report.plan = win::plan_uninstall(salvage, marker, traces);
  if (traces) {
    // The sandbox SIDs as the account database says, never as the ledger or the
    // marker (files the user can rewrite) say (F19).
    std::vector<win::Sid> sandbox;
    for (const char* name : {win::kSandboxGroup, win::kOfflineUser, win::kOnlineUser})
      if (auto sid = lookup_sid(name)) sandbox.push_back(*sid);
    win::UninstallPlan up = win::elevated_part(report.plan, sandbox);
    win::UninstallPlan down = win::unelevated_part(report.plan, sandbox);
    if (scope == UninstallScope::Elevated) {
      report.plan = std::move(up);
    } else if (scope == UninstallScope::Unelevated) {
      report.plan = std::move(down);
    } else {
      up.steps.insert(up.steps.end(), down.steps.begin(), down.steps.end());
      report.plan = std::move(up);
    }
  }
  win::Ledger& ledger = salvage.ledger;

  int aces = 0, swept = 0, rules = 0, accounts = 0, wfp_objects = 0;
  std::vector<std::string> missing;
  std::optional<ComScope> com;
  std::optional<Firewall> firewall;
  bool firewall_failed = false;
  bool placeholders_done = false;
  auto fail = [&](win::SetupError e) { report.errors.push_back(std::move(e)); };
  for (const auto& step : report.plan.steps) {
    switch (step.kind) {
      case UninstallStepKind::RemoveAce: {
        auto r = remove_aces({{step.target, *step.ace, step.detail}}, ledger, io);
        if (!r) {
          fail(setup_error(SetupErrorCode::AceRemove, r.error()));
          break;
        }
        aces += r->removed;
        missing.insert(missing.end(), r->missing.begin(), r->missing.end());
        break;
      }
      case UninstallStepKind::SweepSids: {
        auto r = remove_sids(step.target, step.sids);
        if (!r)
          fail(setup_error(SetupErrorCode::AceRemove, r.error()));
        else
          swept += r->removed;
        break;
      }
      case UninstallStepKind::RemovePlaceholder: {
        if (placeholders_done) break;  // one call removes them all
        placeholders_done = true;
        auto r = remove_placeholders(ledger, io);
        if (!r) {
          fail(setup_error(SetupErrorCode::AceRemove, r.error()));
          break;
        }
        report.lines.push_back("removed " + std::to_string(r->removed) + " empty placeholder(s)");
        for (const auto& kept : r->kept)
          report.lines.push_back("  kept " + kept + " (no longer an empty placeholder)");
        break;
      }
      case UninstallStepKind::RemoveFirewallRule: {
        if (!firewall && !firewall_failed) {
          com.emplace();
          auto opened = Firewall::open();
          if (opened) {
            firewall.emplace(std::move(*opened));
          } else {
            firewall_failed = true;
            fail(opened.error());
          }
        }
        if (!firewall) break;
        int removed = 0;
        if (auto st = firewall->remove(step.target, &removed); !st) {
          fail(st.error());
          break;
        }
        rules += removed;
        ledger.remove_setup(win::SetupObject::FirewallRule, step.target);
        break;
      }
      case UninstallStepKind::RemoveWfpObjects: {
        // cordon's fixed keys only (wfp_spec.hpp); a stub engine (Wine) is reported:
        // uninstall cannot prove the filters are gone.
        auto wfp = Wfp::open();
        if (!wfp) {
          fail(wfp.error());
          break;
        }
        int removed = 0;
        if (auto st = wfp->remove(&removed); !st) {
          fail(st.error());
          break;
        }
        wfp_objects += removed;
        break;
      }
      case UninstallStepKind::RemoveRegistryValue:
        if (auto st = delete_registry_value(step.target, step.detail); !st)
          fail(st.error());
        else
          ledger.remove_setup(win::SetupObject::RegistryValue, step.target, step.detail);
        break;
      case UninstallStepKind::DeleteProfile: {
        std::vector<win::Sid> sids = step.sids;
        if (sids.empty())
          if (auto sid = lookup_sid(step.target)) sids.push_back(*sid);
        bool ok = true;
        for (const auto& sid : sids)
          if (auto st = delete_profile(sid); !st) {
            fail(st.error());
            ok = false;
          }
        if (ok) ledger.remove_setup(win::SetupObject::Profile, step.target);
        break;
      }
      case UninstallStepKind::DeleteUser: {
        bool existed = false;
        if (auto st = delete_user(step.target, &existed); !st) {
          fail(st.error());
          break;
        }
        accounts += existed;
        ledger.remove_setup(win::SetupObject::User, step.target);
        break;
      }
      case UninstallStepKind::RemoveLogonRights: {
        // The SID as the account database says (elevated_part keeps only cordon's own
        // group name); a group already gone leaves nothing to look up.
        auto sid = lookup_sid(step.target);
        if (!sid) break;
        if (auto st = remove_logon_rights(*sid); !st) fail(st.error());
        break;
      }
      case UninstallStepKind::DeleteGroup: {
        bool existed = false;
        if (auto st = delete_group(step.target, &existed); !st) {
          fail(st.error());
          break;
        }
        accounts += existed;
        ledger.remove_setup(win::SetupObject::Group, step.target);
        break;
      }
      case UninstallStepKind::RemoveSetupFiles: {
        if (!report.errors.empty()) break;  // keep the secrets and marker for a second run
        const std::string dir = setup_dir(state_dir);
        for (const char* name : {win::kSecretsFile, win::kMarkerFile})
          DeleteFileW(widen(win::join(dir, name)).c_str());
        RemoveDirectoryW(widen(dir).c_str());
        break;
      }
    }
  }
  if (scope != UninstallScope::Elevated) {
    // Records cordon never writes (a forged name): forgotten by the user's own process.
    // stable_partition, not remove_if: the records after `foreign` are still read.
    auto foreign = std::stable_partition(ledger.setup.begin(), ledger.setup.end(),
                                         [](const win::SetupRecord& r) { return win::own_setup_object(r); });
    for (auto it = foreign; it != ledger.setup.end(); ++it)
      report.lines.push_back(std::string("forgot a ledger record that is not one of cordon's objects: ") +
                             win::to_string(it->kind) + " " + it->name +
                             (it->detail.empty() ? "" : " " + it->detail));
    ledger.setup.erase(foreign, ledger.setup.end());
  }
  if (auto st = win::save_ledger(io, ledger); !st) fail(setup_error(SetupErrorCode::Ledger, st.error()));
  // The stage-1 summary line first (scripts and the smoke tests read it).
  std::string summary = "removed " + std::to_string(aces) + " ACE(s) cordon had added";
  if (!missing.empty()) summary += "; " + std::to_string(missing.size()) + " path(s) no longer exist";
  report.lines.insert(report.lines.begin(), summary);
  if (traces && scope != UninstallScope::Unelevated)
    report.lines.push_back("stage 2: " + std::to_string(swept) + " sandbox ACE(s) swept, " +
                           std::to_string(rules) + " firewall rule(s), " + std::to_string(wfp_objects) +
                           " WFP object(s), " + std::to_string(accounts) + " account(s) removed");
  for (const auto& p : report.plan.problems) report.lines.push_back("ledger problem: " + p);
  return report;
}

}  // namespace cordon::winsys
