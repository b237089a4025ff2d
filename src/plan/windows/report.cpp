// WinPlan -> PlanReport: the guarantees stage 1 provides, each with its mechanism or
// the reason it is degraded.
#include <algorithm>

#include "plan/windows/planner.hpp"
#include "plan/windows/win_path.hpp"

namespace cordon::win {
namespace {

const char* lifetime_name(AceLifetime l) {
  return l == AceLifetime::Persistent ? "persistent" : "per-run";
}

// Where a guarantee's evidence comes from: the kernel probe (`cordon check`, and every
// run) or documented Windows behaviour only.
constexpr const char* kVerified = " [verified on this host: kernel probe]";
constexpr const char* kUnverified = " [documented behaviour; not verified on this host]";
// Limits are read back from the job before the command starts (a job that does not
// hold them refuses the launch), so a run verifies them; `check` does not.
constexpr const char* kAtLaunch = " [verified at each launch: read back from the job]";

// Writes outside the roots are refused by the restricted pass. If that pass skips
// WRITE_DAC, the command can grant itself access to any file the user owns (icacls
// /grant *S-1-1-0:F; Everyone is a restricting SID) and then write it.
Guarantee write_guarantee(const WinPlan& plan, const WinHost& host) {
  Guarantee g{"write confinement", GuaranteeState::Enforced,
              "write-restricted token + capability-SID ACEs (" + std::to_string(plan.write_roots.size()) +
                  " root(s))",
              "", ""};
  if (!host.restricted_pass_rights) {
    g.state = GuaranteeState::Degraded;
    g.mechanism += kUnverified;
    g.detail =
        "if the restricted pass skips WRITE_DAC, the command can re-ACL a file the user owns and write it";
    g.fix = "run `cordon check` (it probes) or scripts/windows/acceptance.ps1 on this host";
  } else if (!(*host.restricted_pass_rights & access::kWriteDac)) {
    g.state = GuaranteeState::Missing;
    g.mechanism += kVerified;
    g.detail =
        "probed: the restricted pass skips WRITE_DAC, so the command can grant itself access to any file "
        "the user owns and then write it";
    g.fix = "not closed by stage 1 on this host (docs/windows.md)";
  } else {
    g.mechanism += kVerified;
  }
  return g;
}

Guarantee delete_guarantee(const WinHost& host) {
  Guarantee g{"delete/rename/DACL changes outside the roots", GuaranteeState::Degraded, "", "", ""};
  if (!host.restricted_pass_rights) {
    g.mechanism = std::string("deny ACEs include DELETE and FILE_DELETE_CHILD") + kUnverified;
    g.detail =
        "if the kernel's write-restricted pass skips DELETE/WRITE_DAC, files the user may delete "
        "outside the roots can be deleted or moved into the workspace";
    g.fix =
        "run scripts/windows/acceptance.ps1 on this host; the elevated stage closes it with a separate user";
    return g;
  }
  uint32_t needed = access::kDelete | access::kDeleteChild | access::kWriteDac | access::kWriteOwner;
  if ((*host.restricted_pass_rights & needed) == needed) {
    g.state = GuaranteeState::Enforced;
    g.mechanism = std::string(
                      "write-restricted token (the kernel checks DELETE and WRITE_DAC against the "
                      "capability SIDs)") +
                  kVerified;
    return g;
  }
  g.mechanism =
      "probed: the restricted pass covers only " + access::describe(*host.restricted_pass_rights) + kVerified;
  g.detail = "files the user may delete outside the roots can be deleted, or moved into the workspace";
  g.fix = "the elevated stage (separate sandbox user) closes this";
  return g;
}

}  // namespace

nlohmann::json to_json(const WinPlan& plan) {
  nlohmann::json j;
  j["mode"] = to_string(plan.mode);
  nlohmann::json token;
  token["flags"] = plan.token.flags;
  for (const auto& s : plan.token.restricting()) token["restricting_sids"].push_back(s.str());
  for (const auto& s : plan.token.capabilities) token["capability_sids"].push_back(s.str());
  token["logon_sid"] = plan.token.logon.str();
  j["token"] = token;
  j["write_roots"] = plan.write_roots;
  nlohmann::json aces = nlohmann::json::array();
  for (const auto& a : plan.aces) {
    aces.push_back({{"path", a.path},
                    {"type", a.ace.type == AceType::Allow ? "allow" : "deny"},
                    {"sid", a.ace.sid.str()},
                    {"mask", a.ace.mask},
                    {"rights", access::describe(access::map_generic(a.ace.mask))},
                    {"inherit", (a.ace.flags & ace_flags::kTree) == ace_flags::kTree ? "OI|CI" : "none"},
                    {"reason", a.reason},
                    {"lifetime", lifetime_name(a.lifetime)},
                    {"create_dir", a.create_dir}});
  }
  j["aces"] = aces;
  j["protected"] = plan.protected_paths;
  nlohmann::json placeholders = nlohmann::json::array();
  for (const auto& ph : plan.placeholders)
    placeholders.push_back(
        {{"path", ph.path}, {"kind", ph.directory ? "directory" : "file"}, {"reason", ph.reason}});
  j["placeholders"] = placeholders;
  j["unprotected_absent"] = plan.unprotected;
  nlohmann::json watch = nlohmann::json::array();
  for (const auto& w : plan.git_watch) watch.push_back({{"gitdir", w.gitdir}, {"present", w.present}});
  j["git_watch"] = watch;
  j["new_repository_roots"] = plan.new_repo_roots;
  j["walk_truncated"] = plan.walk_truncated;
  j["child_temp"] = plan.child_temp;
  if (!plan.run_home.empty()) j["run_home"] = plan.run_home;
  nlohmann::json env = nlohmann::json::object();
  for (const auto& [k, v] : plan.env) env[k] = v;
  j["env"] = env;
  j["stub_dir"] = plan.stub_dir;
  nlohmann::json audit;
  audit["checked"] = plan.audit.checked;
  audit["truncated"] = plan.audit.truncated;
  for (const auto& w : plan.audit.found)
    audit["world_writable"].push_back({{"path", w.path},
                                       {"writable_by", w.granted_to},
                                       {"inside_root", w.inside_root},
                                       {"drive_root", w.drive_root}});
  j["audit"] = audit;
  j["notes"] = plan.notes;
  return j;
}

namespace {

PlanReport stage1_report(const WinPlan& plan, const Policy& policy, const WinHost& host) {
  PlanReport r;
  r.platform = "windows";
  r.detail = to_json(plan);
  if (plan.mode == Mode::FullAccess) {
    for (const char* name : {"write confinement", "protected paths", "network off", "process isolation"})
      r.guarantees.push_back({name, GuaranteeState::NotRequested, "full-access", "", ""});
    r.notes = plan.notes;
    return r;
  }
  for (const auto& a : plan.aces) {
    std::string effect = a.ace.type == AceType::Allow ? "read-write" : "write denied";
    r.rules.push_back({a.ace.type == AceType::Allow ? "write" : "protect", a.path, effect,
                       "ACE " + to_string(a.ace), a.reason});
  }
  for (const auto& ph : plan.placeholders)
    r.rules.push_back({"protect", ph.path, "absent: an empty placeholder blocks creation",
                       std::string("placeholder ") + (ph.directory ? "directory" : "file") + " + deny ACEs",
                       ph.reason + "; kept between runs, removed by `cordon setup uninstall` while empty"});
  for (const auto& u : plan.unprotected)
    r.rules.push_back({"protect", u, "absent: creation not blocked", "none",
                       "Windows ACLs attach to objects; a missing name cannot carry a deny ACE"});
  r.rules.push_back({"process", "token", "write-restricted", "CreateRestrictedToken",
                     "restricting SIDs: capability SIDs, logon SID, Everyone"});
  r.rules.push_back({"process", "job object", "kill on close, UI limits", "job object",
                     "the whole tree ends with the run"});
  for (const auto& [k, v] : plan.env) r.rules.push_back({"env", k, v, "environment", "advisory"});

  r.guarantees.push_back(write_guarantee(plan, host));
  r.guarantees.push_back(delete_guarantee(host));
  Guarantee prot{"protected paths", GuaranteeState::Enforced,
                 plan.placeholders.empty() ? "deny ACEs for the capability SIDs"
                                           : "deny ACEs for the capability SIDs; placeholders for " +
                                                 std::to_string(plan.placeholders.size()) + " absent name(s)",
                 "", ""};
  // A protected entry is deleted (then re-created with new content) through DELETE on
  // it or FILE_DELETE_CHILD on its parent: only the restricted pass can refuse those.
  const uint32_t delete_rights = access::kDelete | access::kDeleteChild;
  if (!host.restricted_pass_rights) {
    prot.state = GuaranteeState::Degraded;
    prot.mechanism += kUnverified;
    prot.detail = "if the restricted pass skips DELETE, protected entries can be deleted and re-created";
    prot.fix = "run `cordon check` (it probes) or scripts/windows/acceptance.ps1 on this host";
  } else if ((*host.restricted_pass_rights & delete_rights) != delete_rights) {
    prot.state = GuaranteeState::Degraded;
    prot.mechanism += kVerified;
    prot.detail =
        "probed: the restricted pass skips DELETE/FILE_DELETE_CHILD, so protected entries can be "
        "deleted and re-created with new content";
    prot.fix = "the elevated stage does not close this yet (docs/windows.md)";
  } else {
    prot.mechanism += kVerified;
  }
  if (!plan.linked_protected.empty()) {
    prot.state = GuaranteeState::Degraded;
    prot.detail = std::to_string(plan.linked_protected.size()) + " protected name(s) are links (e.g. " +
                  plan.linked_protected.front() + "): a target outside the roots keeps its own ACL";
    prot.fix = "replace the links by real directories or files";
  }
  if (!plan.walk_truncated.empty()) {
    prot.state = GuaranteeState::Degraded;
    prot.detail = "the search for protected names and repositories below the top stopped early in " +
                  plan.walk_truncated.front() + ": what lies beyond it is not protected";
    prot.fix = "use a smaller writable root, or --protect the paths that matter";
  }
  if (!plan.unprotected.empty()) {
    prot.state = GuaranteeState::Degraded;
    prot.detail = std::to_string(plan.unprotected.size()) +
                  " protected name(s) absent; the sandbox could create them (e.g. " +
                  plan.unprotected.front() + ")";
    prot.fix = "create them before the run to have them protected";
  }
  r.guarantees.push_back(prot);
  Guarantee ww{"world-writable directories", GuaranteeState::Enforced,
               "audit + deny ACEs (" +
                   std::to_string(plan.audit.denied.size() + plan.audit.denied_files.size()) +
                   " found outside the roots)",
               "", ""};
  // The audit looks two levels below each candidate (one below the Windows directory),
  // so it is never complete: a world-writable directory deeper down stays writable.
  ww.state = GuaranteeState::Degraded;
  ww.mechanism += kUnverified;
  ww.detail =
      "scanned two levels below the profile, TEMP, PATH, Public and the system drive (ProgramData and files "
      "included), one below the Windows directory: world-writable entries deeper down stay writable";
  if (plan.audit.checked == 0) {
    ww.mechanism = std::string("audit not run") + kUnverified;
    ww.detail = "directories that let Everyone write stay writable from the sandbox";
  } else if (plan.audit.truncated) {
    ww.detail = "the audit budget ran out after " + std::to_string(plan.audit.checked) +
                " entries: world-writable entries it did not reach stay writable";
  }
  r.guarantees.push_back(ww);
  if (policy.deny_read.empty())
    r.guarantees.push_back({"read denial", GuaranteeState::NotRequested, "", "", ""});
  else
    r.guarantees.push_back({"read denial", GuaranteeState::Missing,
                            std::string("none in stage 1") + kUnverified,
                            "a write-restricted token reads as the user; secrets stay readable",
                            "the elevated stage (separate sandbox user) enforces read denial"});
  if (policy.net.mode == NetMode::Proxy)
    r.guarantees.push_back({"network allowlist", GuaranteeState::Missing,
                            std::string("none on Windows") + kUnverified,
                            "--best-effort: the allowlist is not enforced; the run gets advisory network off",
                            "use --net off or --net on"});
  if (policy.net.mode != NetMode::On)
    r.guarantees.push_back(
        {"network off", GuaranteeState::Degraded,
         std::string("advisory only: proxy variables to a dead port, offline flags, ssh/scp stubs") +
             kUnverified,
         "programs that open sockets directly are NOT stopped",
         "the elevated stage adds firewall rules for a separate user"});
  else
    r.guarantees.push_back({"network off", GuaranteeState::NotRequested, "network on", "", ""});
  // The private desktop is not a UI boundary: the logon SID is a restricting SID and
  // WinSta0\\Default grants it, so the command can likely reach the user's desktop
  // (SetThreadDesktop, a child started on it) and send input there. Every run probes
  // that desktop's own DACL with the sandbox token (F5). Each run's private desktop is
  // granted by the run's default DACL (user, SYSTEM, run SID: launch.cpp), so other runs
  // fail its restricted pass; but a refusal on Default still leaves every other object
  // of the session that grants the logon SID (the window station, desktops other
  // programs made) unexamined, so the row stays Degraded either way, and says which
  // evidence it rests on.
  Guarantee iso{"process isolation", GuaranteeState::Degraded,
                std::string("job object (KILL_ON_JOB_CLOSE, UI limits); own console; per-run SID in "
                            "the default DACL") +
                    (host.ssh_session ? "; default desktop (SSH session)" : "; private desktop"),
                "not a UI boundary: the command can likely open the user's desktop (the logon SID "
                "grants WinSta0\\Default) and send input to the user's windows",
                "not closed yet (docs/windows.md, process isolation)"};
  if (!host.default_desktop_input) {
    iso.mechanism += kUnverified;
  } else if (*host.default_desktop_input) {
    iso.mechanism += kVerified;
    iso.detail =
        "probed: the sandbox token passes both access checks for input (JOURNALPLAYBACK, WRITEOBJECTS) on "
        "this session's Default desktop, so the command can send input to the user's windows";
  } else {
    iso.mechanism += kVerified;
    iso.detail =
        "probed: this session's Default desktop refuses the sandbox token input rights; the logon SID "
        "stays a restricting SID, so other desktops of the session that grant it are not ruled out";
  }
  r.guarantees.push_back(iso);
  // Limits (F10): the job object holds the whole tree. --memory is the job's committed
  // memory; --pids counts processes (not threads, as Linux's pids cgroup does) and
  // --cpu-time user-mode time per process (not kernel time, as RLIMIT_CPU does): those two
  // are weaker than on Linux, so Degraded. Stage 2 the same: the start frame carries them
  // to the runner, whose job sets and reads them back the same way (F10).
  std::vector<std::string> mechanisms, weaker;
  if (plan.job.memory_bytes) mechanisms.push_back("--memory: the job's committed memory (JOB_MEMORY)");
  if (plan.job.processes) {
    mechanisms.push_back("--pids: the job's active processes (ACTIVE_PROCESS)");
    weaker.push_back("--pids counts processes, not threads");
  }
  if (plan.job.process_user_time) {
    mechanisms.push_back("--cpu-time: each process's user time (PROCESS_TIME)");
    weaker.push_back("--cpu-time counts user time only, not kernel time");
  }
  if (policy.limits.timeout_seconds) mechanisms.push_back("timeout terminates the job");
  if (mechanisms.empty()) {
    r.guarantees.push_back({"limits", GuaranteeState::NotRequested, "", "", ""});
  } else {
    std::string mechanism, detail;
    for (const auto& m : mechanisms) mechanism += (mechanism.empty() ? "" : "; ") + m;
    for (const auto& w : weaker) detail += (detail.empty() ? "" : "; ") + w;
    r.guarantees.push_back({"limits", weaker.empty() ? GuaranteeState::Enforced : GuaranteeState::Degraded,
                            "job object: " + mechanism + kAtLaunch, detail,
                            weaker.empty() ? "" : "--best-effort to run with the Windows job's units"});
  }
  r.notes = plan.notes;
  r.notes.push_back("stage 1 (unelevated): Windows ACLs, a write-restricted token and a job object");
  return r;
}

}  // namespace

PlanReport to_report(const WinPlan& plan, const Policy& policy, const WinHost& host) {
  PlanReport r = stage1_report(plan, policy, host);
  if (plan.stage) add_stage_rows(r, policy, *plan.stage);
  return r;
}

void add_stage_rows(PlanReport& report, const Policy& policy, const Stage2Facts& facts) {
  const StageStatus& stage = facts.status;
  report.detail["stage"] = facts.active() ? 2 : 1;
  report.detail["stage_reason"] = stage.reason;
  if (!facts.active()) {
    report.notes.push_back("stage 1 active; stage 2 (separate sandbox users, firewall) is not set up: " +
                           stage.reason);
    report.notes.push_back(
        "stage 1 guarantees: writes confined (write-restricted token + ACEs), process tree in a job; "
        "network only advisory; reads as the user");
    return;
  }
  const auto& m = *stage.marker;
  report.notes.push_back("stage 2 active (elevated sandbox, setup format " + std::to_string(m.version) +
                         "): commands run as " + m.offline.name + " (network off) or " + m.online.name +
                         " (network on)");
  report.notes.push_back(
      "stage 2 guarantees, in addition to stage 1: the network blocked by Windows Firewall for the offline "
      "user; reads limited to what the sandbox users may read; no rights on the real user's files outside "
      "the granted roots");
  if (m.read_grants_pending)
    report.notes.push_back("stage 2 read grants are still being applied (cordon setup status)");
  // Two layers block the offline user's own sockets, each probed at this run: cordon's
  // WFP filters (read back: provider, sublayer, every filter as planned; they hold
  // whatever the firewall's state and block ICMP) and the firewall rules (read back, the
  // firewall on for every active profile, local rules merged). Missing only when neither
  // holds. Even with both, traffic that services send on the sandbox user's behalf (DNS
  // Client, the SMB redirector, WebDAV, BITS) is not the user's own socket and passes:
  // network off is Degraded, never Enforced, in stage 2.
  const std::string& not_effective = facts.firewall_not_effective;
  const std::string& wfp_missing = facts.wfp_not_verified;
  for (auto& g : report.guarantees) {
    if (g.name == "network off" && policy.net.mode == NetMode::Off) {
      const bool fw_ok = not_effective.empty();
      const bool wfp_ok = wfp_missing.empty();
      g.state = fw_ok || wfp_ok ? GuaranteeState::Degraded : GuaranteeState::Missing;
      g.mechanism =
          "WFP filters of cordon's sublayer for " + m.offline.name + " (ALE connect v4/v6, ICMP" +
          (m.proxy_ports ? "; loopback TCP " + win::to_string(*m.proxy_ports) + " permitted" : "") +
          (wfp_ok ? "; read back at this run" : "; NOT verified") + ") + Windows Firewall block rules (" +
          (m.proxy_ports ? "all but loopback TCP " + win::to_string(*m.proxy_ports) : "all outbound") +
          (fw_ok ? "; read back, firewall on, local rules effective" : "; NOT effective") + ")" +
          " [verified on this host: WFP read-back, firewall probe]";
      std::string detail;
      if (!wfp_ok) detail += "the WFP filters are not verified: " + wfp_missing + "; ";
      if (!fw_ok) detail += "the firewall rules do not take effect: " + not_effective + "; ";
      if (fw_ok || wfp_ok)
        detail +=
            std::string(fw_ok && wfp_ok ? "" : "the other layer blocks the sandbox user's own sockets; ") +
            "DNS lookups and SMB/WebDAV/BITS traffic that services send on its behalf are not blocked "
            "(docs/windows.md)";
      else
        detail += "nothing blocks the sandbox user's sockets";
      g.detail = detail;
      g.fix = fw_ok && wfp_ok ? ""
              : wfp_ok        ? "turn the firewall on for every profile / allow local rule merging"
                              : "run `cordon setup` again (elevated) to add and verify the WFP filters";
    }
    // A separate user reads only what its own groups may: not the real user's profile
    // (its DACL names the user, SYSTEM and Administrators), but any path outside it that
    // Users, Authenticated Users or Everyone may read. The deny_read paths are not
    // checked one by one, so this is Degraded, never Enforced.
    if (g.name == "read denial" && g.state == GuaranteeState::Missing) {
      g.state = GuaranteeState::Degraded;
      g.mechanism =
          "stage 2: a separate sandbox user, which reads only what Users, Authenticated Users, Everyone or "
          "the "
          "sandbox group may read" +
          std::string(kUnverified);
      g.detail =
          "the real user's profile is out of reach; a denied path outside it that Users may read stays "
          "readable (its own ACL decides)";
      g.fix = "keep secrets under the profile, or restrict their ACL to the real user";
    }
    // The delete row stays what the probe says: the sandbox users keep the rights of
    // Users and Authenticated Users (folders at a drive root grant them modify), so
    // only the restricted pass can stop DELETE there (F3).
  }
}

}  // namespace cordon::win
