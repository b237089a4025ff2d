// cordon (Windows setup): run_setup, the read-grant helper, elevation, the error file.
#include <windows.h>
// SDK headers that need <windows.h> above.
#include <shellapi.h>

#include <algorithm>
#include <map>

#include "plan/windows/state.hpp"
#include "plan/windows/win_path.hpp"
#include "platform/windows/acl_apply.hpp"
#include "platform/windows/host_probe.hpp"
#include "platform/windows/launch.hpp"
#include "platform/windows/setup/accounts.hpp"
#include "platform/windows/setup/firewall.hpp"
#include "platform/windows/setup/logon_rights.hpp"
#include "platform/windows/setup/secrets.hpp"
#include "platform/windows/setup/stage2.hpp"
#include "platform/windows/setup/wfp.hpp"
#include "platform/windows/state_io.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

using win::SetupErrorCode;
using win::SetupStepKind;

std::string own_executable() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (n < path.size()) {
      path.resize(n);
      return narrow(path);
    }
    path.resize(path.size() * 2);
  }
}

// The ledger, held under the state lock for the whole setup; every change is saved
// before the object it describes is created (write-ahead).
class LedgerScope {
 public:
  explicit LedgerScope(const std::string& state_dir) : io_(state_dir), lock_(io_) {}
  SetupStatus open() {
    if (!lock_.status()) return setup_error(SetupErrorCode::Ledger, lock_.status().error());
    auto l = win::load_ledger(io_);
    if (!l) return setup_error(SetupErrorCode::Ledger, l.error());
    ledger_ = std::move(*l);
    return Done{};
  }
  SetupStatus record(const win::SetupRecord& r) {
    if (!ledger_.record_setup(r)) return Done{};
    return save();
  }
  SetupStatus forget(win::SetupObject kind, const std::string& name) {
    if (!ledger_.remove_setup(kind, name)) return Done{};
    return save();
  }
  SetupStatus save() {
    auto st = win::save_ledger(io_, ledger_);
    if (!st) return setup_error(SetupErrorCode::Ledger, st.error());
    return Done{};
  }
  win::Ledger& ledger() { return ledger_; }
  FileStateIo& io() { return io_; }

 private:
  FileStateIo io_;
  win::StateLock lock_;
  win::Ledger ledger_;
};

SetupStatus apply_grants(const std::vector<win::SetupStep>& steps, SetupStepKind kind, const win::Sid& group,
                         LedgerScope& scope, SetupErrorCode code, std::vector<std::string>& lines) {
  std::vector<win::PlannedAce> aces;
  for (const auto& s : steps)
    if (s.kind == kind)
      aces.push_back({s.target, win::grant_ace(kind, group), "stage 2: " + s.reason,
                      win::AceLifetime::Persistent, false});
  if (aces.empty()) return Done{};
  auto r = apply_aces(aces, scope.ledger(), scope.io());
  if (!r) return setup_error(code, r.error());
  lines.push_back(std::string(win::to_string(kind)) + ": " + std::to_string(r->added) + " added, " +
                  std::to_string(r->present) + " already present");
  return Done{};
}

// Starts `cordon setup --read-grants` detached; false when it could not be started.
bool start_read_grant_helper(const std::string& state_dir) {
  std::wstring cmd = quote_argument(widen(own_executable())) + L" setup --read-grants --state-dir " +
                     quote_argument(widen(state_dir));
  STARTUPINFOW si{};
  si.cb = sizeof(si);
  PROCESS_INFORMATION pi{};
  if (!CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE,
                      CREATE_NO_WINDOW | DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP, nullptr, nullptr, &si,
                      &pi))
    return false;
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  return true;
}

SetupResult<std::optional<std::string>> read_file(const std::string& dir, const std::string& name) {
  FileStateIo io(dir);
  auto text = io.read(name);
  if (!text) return setup_error(SetupErrorCode::Marker, text.error());
  return *text;
}

}  // namespace

std::string setup_dir(const std::string& state_dir) {
  return win::join(state_dir, win::kSetupDirName);
}

win::StageStatus read_stage(const std::string& state_dir) {
  auto text = read_file(setup_dir(state_dir), win::kMarkerFile);
  win::StageStatus s;
  if (!text) {
    s.reason = "the setup marker cannot be read: " + text.error().message;
    s.traces = true;  // it exists (a missing marker reads as nullopt)
    return s;
  }
  s = win::stage_status(*text);
  // The marker gone but the secrets still there: a setup whose marker was lost.
  if (!s.traces) {
    auto secrets = read_file(setup_dir(state_dir), win::kSecretsFile);
    if (!secrets || *secrets) {
      s.traces = true;
      s.reason = "the setup marker is missing but the sandbox secrets are present";
    }
  }
  return s;
}

void write_setup_error(const std::string& state_dir, const win::SetupError& error) {
  FileStateIo io(state_dir);
  (void)io.write_atomic(win::kSetupErrorFile, to_json(error).dump(2) + "\n");
}

std::optional<win::SetupError> read_setup_error(const std::string& state_dir) {
  FileStateIo io(state_dir);
  auto text = io.read(win::kSetupErrorFile);
  if (!text || !*text) return std::nullopt;
  return win::parse_setup_error(**text);
}

void clear_setup_error(const std::string& state_dir) {
  DeleteFileW(widen(win::join(state_dir, win::kSetupErrorFile)).c_str());
}

namespace {

SetupResult<SetupReport> run_setup_locked(const SetupRequest& req) {
  SetupReport report;
  const std::string dir = setup_dir(req.state_dir);
  // Facts.
  win::SetupFacts facts;
  facts.real_user = req.real_user;
  facts.user_profile = req.user_profile;
  for (const char* v : {"SystemRoot", "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432", "ProgramData"})
    if (std::string d = env(v); !d.empty()) facts.system_dirs.push_back(win::normalize(d));
  facts.state_dir = req.state_dir;
  facts.write_roots = req.write_roots;
  facts.read_roots = req.read_roots;
  facts.proxy_ports = req.proxy_ports;
  facts.refresh = req.refresh;
  auto marker_text = read_file(dir, win::kMarkerFile);
  if (!marker_text) return marker_text.error();
  if (*marker_text) facts.marker = win::parse_marker(**marker_text);
  facts.accounts_present =
      lookup_sid(win::kOfflineUser) && lookup_sid(win::kOnlineUser) && lookup_sid(win::kSandboxGroup);
  WinFs fs;
  facts.fs = &fs;
  report.plan = win::plan_setup(facts);
  // A refresh never becomes a full setup, even in an elevated process: per-run code
  // (run() refreshes new roots) must not create accounts or rules.
  if (req.refresh && report.plan.full)
    return setup_error(
        SetupErrorCode::NotElevated, "cordon setup --refresh", dir, 740 /* ERROR_ELEVATION_REQUIRED */,
        (report.plan.notes.empty() ? std::string("a full setup is needed") : report.plan.notes[0]) +
            "; run `cordon setup` (one UAC prompt)");
  if (report.plan.needs_elevation && !is_elevated())
    return setup_error(
        SetupErrorCode::NotElevated, "CheckTokenMembership", "Administrators",
        740 /* ERROR_ELEVATION_REQUIRED */,
        report.plan.notes.empty() ? "this setup step needs an administrator" : report.plan.notes[0]);

  LedgerScope scope(req.state_dir);
  if (auto st = scope.open(); !st) return st.error();
  std::map<bool, win::SandboxAccount> accounts;  // online? -> account
  std::map<bool, SecretString> passwords;
  win::SandboxAccount group{win::kSandboxGroup, {}};
  if (!report.plan.full) {  // refresh: the accounts are the marker's
    accounts[false] = facts.marker->offline;
    accounts[true] = facts.marker->online;
    group = facts.marker->group;
  }
  std::optional<Firewall> firewall;
  std::optional<ComScope> com;
  bool read_pending = false;
  for (const auto& step : report.plan.steps) {
    switch (step.kind) {
      case SetupStepKind::CreateGroup: {
        if (auto st = scope.record({win::SetupObject::Group, step.target, "", ""}); !st) return st.error();
        if (auto st = ensure_group(step.target); !st) return st.error();
        auto sid = lookup_sid(step.target);
        if (!sid) return sid.error();
        group.sid = *sid;
        if (auto st = scope.record({win::SetupObject::Group, step.target, sid->str(), ""}); !st)
          return st.error();
        report.lines.push_back("group " + step.target + " (" + sid->str() + ")");
        break;
      }
      case SetupStepKind::CreateUser: {
        auto password = new_password();
        if (!password) return password.error();
        if (auto st = scope.record({win::SetupObject::User, step.target, "", ""}); !st) return st.error();
        if (auto st = ensure_user(step.target, *password); !st) return st.error();
        auto sid = lookup_sid(step.target);
        if (!sid) return sid.error();
        if (auto st = scope.record({win::SetupObject::User, step.target, sid->str(), ""}); !st)
          return st.error();
        // Its profile appears at the first logon; uninstall deletes it by SID.
        if (auto st = scope.record({win::SetupObject::Profile, step.target, sid->str(), ""}); !st)
          return st.error();
        accounts[step.online] = {step.target, *sid};
        passwords[step.online] = std::move(*password);
        report.lines.push_back("user " + step.target + " (" + sid->str() + "), new password");
        break;
      }
      case SetupStepKind::AddToGroup: {
        const win::Sid& sid = accounts[step.online].sid;
        if (auto st = add_to_group(win::kSandboxGroup, sid); !st) return st.error();
        if (auto st = add_to_builtin_users(sid); !st) return st.error();
        break;
      }
      case SetupStepKind::HideUser:
        if (auto st = scope.record({win::SetupObject::RegistryValue, win::kHideKey, "", step.target}); !st)
          return st.error();
        if (auto st = hide_from_logon(step.target); !st) return st.error();
        break;
      case SetupStepKind::LogonRights: {
        // After the accounts: the group's SID is known, and the users' SIDs for the check.
        if (auto st = deny_other_logons(group.sid); !st) return st.error();
        std::vector<win::Sid> principals = {accounts[false].sid,
                                            accounts[true].sid,
                                            group.sid,
                                            win::sids::users(),
                                            win::sids::authenticated_users(),
                                            win::sids::everyone(),
                                            *win::Sid::parse("S-1-5-4"),   // INTERACTIVE
                                            *win::Sid::parse("S-1-2-0")};  // LOCAL
        if (auto st = check_local_logon(principals); !st) return st.error();
        report.lines.push_back(
            "group " + step.target +
            ": logon from the network, Remote Desktop, a task or a service denied (read back)");
        break;
      }
      case SetupStepKind::LockSetupDir:
        if (auto st = lock_setup_dir(dir, req.real_user); !st) return st.error();
        break;
      case SetupStepKind::StoreSecrets: {
        auto offline = dpapi_protect(passwords[false]);
        if (!offline) return offline.error();
        auto online = dpapi_protect(passwords[true]);
        if (!online) return online.error();
        passwords.clear();  // zeroised
        win::SecretsFile secrets{accounts[false].name, *offline, accounts[true].name, *online};
        FileStateIo io(dir);
        if (auto st = io.write_atomic(win::kSecretsFile, win::serialize(secrets)); !st)
          return setup_error(SetupErrorCode::Secrets, st.error());
        break;
      }
      case SetupStepKind::ApplyWfpFilters: {
        // F14: cordon's provider, sublayer and filters for the offline user, read back.
        // No ledger record: uninstall removes them by cordon's fixed keys.
        auto wfp = Wfp::open();
        if (!wfp) return wfp.error();
        if (auto st = wfp->apply(win::wfp_filters(accounts[false].sid, req.proxy_ports)); !st)
          return st.error();
        report.lines.push_back("WFP filters for " + accounts[false].name +
                               " (ICMP and outbound blocked in cordon's sublayer) applied and verified");
        break;
      }
      case SetupStepKind::RemoveFirewallRule:
      case SetupStepKind::ApplyFirewallRule: {
        if (!firewall) {
          com.emplace();
          if (!*com)
            return setup_error(SetupErrorCode::FirewallCom, "CoInitializeEx", "",
                               static_cast<DWORD>(com->hr()));
          auto opened = Firewall::open();
          if (!opened) return opened.error();
          firewall.emplace(std::move(*opened));
        }
        if (step.kind == SetupStepKind::RemoveFirewallRule) {
          int removed = 0;
          if (auto st = firewall->remove(step.target, &removed); !st) return st.error();
          if (auto st = scope.forget(win::SetupObject::FirewallRule, step.target); !st) return st.error();
          if (removed) report.lines.push_back("firewall rule " + step.target + " removed (other variant)");
          break;
        }
        // The spec with the offline user's real SID.
        for (const auto& rule : win::firewall_rules(accounts[false].sid, req.proxy_ports)) {
          if (rule.name != step.target) continue;
          if (auto st = scope.record({win::SetupObject::FirewallRule, rule.name, "", ""}); !st)
            return st.error();
          if (auto st = firewall->apply(rule); !st) return st.error();
          report.lines.push_back("firewall rule " + rule.name + " applied and verified");
        }
        break;
      }
      case SetupStepKind::GrantTraverse:
      case SetupStepKind::GrantWrite:
        break;  // batched below, once the accounts exist
      case SetupStepKind::GrantRead:
        read_pending = true;
        break;
      case SetupStepKind::WriteMarker:
        break;  // last
    }
  }
  if (auto st = apply_grants(report.plan.steps, SetupStepKind::GrantTraverse, group.sid, scope,
                             SetupErrorCode::GrantRead, report.lines);
      !st)
    return st.error();
  if (auto st = apply_grants(report.plan.steps, SetupStepKind::GrantWrite, group.sid, scope,
                             SetupErrorCode::GrantWrite, report.lines);
      !st)
    return st.error();

  report.marker = win::marker_after(facts, accounts[false], accounts[true], group, read_pending);
  const bool marker_step =
      std::any_of(report.plan.steps.begin(), report.plan.steps.end(),
                  [](const win::SetupStep& s) { return s.kind == SetupStepKind::WriteMarker; });
  if (marker_step) {
    FileStateIo io(dir);
    if (auto st = io.write_atomic(win::kMarkerFile, to_json(report.marker).dump(2) + "\n"); !st)
      return setup_error(SetupErrorCode::Marker, st.error());
  }
  return report;
}

}  // namespace

SetupResult<SetupReport> run_setup(const SetupRequest& req) {
  auto report = run_setup_locked(req);
  if (!report) return report;
  if (report->marker.read_grants_pending) {
    // Read grants propagate through whole trees: a detached helper does them, so setup
    // returns now. Runs until then see "read grants pending" in `cordon check`.
    if (start_read_grant_helper(req.state_dir)) {
      report->lines.push_back("read grants: started in the background (cordon setup status shows progress)");
    } else {
      if (auto st = run_read_grants(req.state_dir); !st) return st.error();
      report->lines.push_back("read grants: applied");
    }
  }
  return report;
}

bool read_grants_running() {
  UniqueHandle m(OpenMutexW(SYNCHRONIZE, FALSE, widen(win::kReadGrantsMutex).c_str()));
  return static_cast<bool>(m);
}

SetupStatus run_read_grants(const std::string& state_dir) {
  // One helper at a time; a second one waits for the first.
  UniqueHandle mutex(CreateMutexW(nullptr, FALSE, widen(win::kReadGrantsMutex).c_str()));
  if (!mutex) mutex = UniqueHandle(CreateMutexW(nullptr, FALSE, L"Local\\cordon-read-grants"));
  if (mutex) WaitForSingleObject(mutex.get(), INFINITE);
  struct Release {
    HANDLE h;
    ~Release() {
      if (h) ReleaseMutex(h);
    }
  } release{mutex.get()};
  const std::string dir = setup_dir(state_dir);
  auto stage = read_stage(state_dir);
  if (!stage.stage2)
    return setup_error(SetupErrorCode::Marker, "read marker", dir, ERROR_NOT_FOUND, stage.reason);
  win::SetupMarker marker = *stage.marker;
  std::vector<win::PlannedAce> aces;
  for (const auto& root : marker.read_roots)
    if (std::none_of(marker.write_roots.begin(), marker.write_roots.end(),
                     [&](const std::string& w) { return win::is_within(root, w); }))
      aces.push_back({root, win::grant_ace(SetupStepKind::GrantRead, marker.group.sid), "stage 2: read root",
                      win::AceLifetime::Persistent, false});
  {
    LedgerScope scope(state_dir);
    if (auto st = scope.open(); !st) return st.error();
    auto r = apply_aces(aces, scope.ledger(), scope.io());
    if (!r) return setup_error(SetupErrorCode::GrantRead, r.error());
    // The marker may have changed meanwhile (a refresh): only the flag is updated.
    auto now = read_stage(state_dir);
    if (now.stage2) marker = *now.marker;
    marker.read_grants_pending = false;
    FileStateIo io(dir);
    if (auto st = io.write_atomic(win::kMarkerFile, to_json(marker).dump(2) + "\n"); !st)
      return setup_error(SetupErrorCode::Marker, st.error());
  }
  return Done{};
}

SetupResult<int> run_elevated(const std::vector<std::string>& args) {
  std::wstring params;
  for (const auto& a : args) params += (params.empty() ? L"" : L" ") + quote_argument(widen(a));
  std::wstring exe = widen(own_executable());
  SHELLEXECUTEINFOW info{};
  info.cbSize = sizeof(info);
  info.fMask = SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC | SEE_MASK_FLAG_NO_UI;
  info.lpVerb = L"runas";
  info.lpFile = exe.c_str();
  info.lpParameters = params.c_str();
  info.nShow = SW_HIDE;
  // CORDON_WINDOWS_ELEVATION=decline simulates a refused UAC prompt (the smoke tests).
  if (env("CORDON_WINDOWS_ELEVATION") == "decline")
    return setup_error(SetupErrorCode::ElevationDeclined, "ShellExecuteExW(runas)", narrow(exe),
                       ERROR_CANCELLED, "the UAC prompt was declined (simulated)");
  if (!ShellExecuteExW(&info)) {
    DWORD code = GetLastError();
    return setup_error(
        code == ERROR_CANCELLED ? SetupErrorCode::ElevationDeclined : SetupErrorCode::ElevationFailed,
        "ShellExecuteExW(runas)", narrow(exe), code);
  }
  UniqueHandle process(info.hProcess);
  if (!process)
    return setup_error(SetupErrorCode::ElevationFailed, "ShellExecuteExW(runas)", narrow(exe),
                       ERROR_INVALID_HANDLE, "no process handle for the elevated setup");
  WaitForSingleObject(process.get(), INFINITE);
  DWORD code = 1;
  if (!GetExitCodeProcess(process.get(), &code))
    return setup_error(SetupErrorCode::ElevationFailed, "GetExitCodeProcess", narrow(exe));
  return static_cast<int>(code);
}

}  // namespace cordon::winsys
