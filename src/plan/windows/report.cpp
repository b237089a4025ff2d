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

Guarantee delete_guarantee(const WinHost& host) {
  Guarantee g{"delete/rename/DACL changes outside the roots", GuaranteeState::Degraded, "", "", ""};
  if (!host.restricted_pass_rights) {
    g.mechanism = "deny ACEs include DELETE and FILE_DELETE_CHILD; not verified on this host";
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
    g.mechanism =
        "write-restricted token (the kernel checks DELETE and WRITE_DAC against the capability SIDs, probed)";
    return g;
  }
  g.mechanism = "probed: the restricted pass covers only " + access::describe(*host.restricted_pass_rights);
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
  j["child_temp"] = plan.child_temp;
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

PlanReport to_report(const WinPlan& plan, const Policy& policy, const WinHost& host) {
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

  r.guarantees.push_back({"write confinement", GuaranteeState::Enforced,
                          "write-restricted token + capability-SID ACEs (" +
                              std::to_string(plan.write_roots.size()) + " root(s))",
                          "", ""});
  r.guarantees.push_back(delete_guarantee(host));
  Guarantee prot{"protected paths", GuaranteeState::Enforced,
                 plan.placeholders.empty() ? "deny ACEs for the capability SIDs"
                                           : "deny ACEs for the capability SIDs; placeholders for " +
                                                 std::to_string(plan.placeholders.size()) + " absent name(s)",
                 "", ""};
  if (!plan.unprotected.empty()) {
    prot.state = GuaranteeState::Degraded;
    prot.detail = std::to_string(plan.unprotected.size()) +
                  " protected name(s) absent; the sandbox could create them (e.g. " +
                  plan.unprotected.front() + ")";
    prot.fix = "create them before the run to have them protected";
  }
  r.guarantees.push_back(prot);
  Guarantee ww{"world-writable directories", GuaranteeState::Enforced,
               "audit + deny ACEs (" + std::to_string(plan.audit.denied.size()) + " found outside the roots)",
               "", ""};
  if (plan.audit.checked == 0) {
    ww.state = GuaranteeState::Degraded;
    ww.mechanism = "audit not run";
    ww.detail = "directories that let Everyone write stay writable from the sandbox";
  } else if (plan.audit.truncated) {
    ww.state = GuaranteeState::Degraded;
    ww.detail = "the audit budget ran out after " + std::to_string(plan.audit.checked) + " directories";
  }
  r.guarantees.push_back(ww);
  if (policy.deny_read.empty())
    r.guarantees.push_back({"read denial", GuaranteeState::NotRequested, "", "", ""});
  else
    r.guarantees.push_back({"read denial", GuaranteeState::Missing, "none in stage 1",
                            "a write-restricted token reads as the user; secrets stay readable",
                            "the elevated stage (separate sandbox user) enforces read denial"});
  if (policy.net.mode == NetMode::Proxy)
    r.guarantees.push_back({"network allowlist", GuaranteeState::Missing, "none on Windows",
                            "--best-effort: the allowlist is not enforced; the run gets advisory network off",
                            "use --net off or --net on"});
  if (policy.net.mode != NetMode::On)
    r.guarantees.push_back({"network off", GuaranteeState::Degraded,
                            "advisory only: proxy variables to a dead port, offline flags, ssh/scp stubs",
                            "programs that open sockets directly are NOT stopped",
                            "the elevated stage adds firewall rules for a separate user"});
  else
    r.guarantees.push_back({"network off", GuaranteeState::NotRequested, "network on", "", ""});
  r.guarantees.push_back({"process isolation", GuaranteeState::Enforced,
                          std::string("job object (KILL_ON_JOB_CLOSE, UI limits)") +
                              (host.ssh_session ? "; default desktop (SSH session)" : " + private desktop"),
                          "", ""});
  if (policy.limits.timeout_seconds)
    r.guarantees.push_back({"limits", GuaranteeState::Enforced, "timeout terminates the job", "", ""});
  else
    r.guarantees.push_back({"limits", GuaranteeState::NotRequested, "", "", ""});
  r.notes = plan.notes;
  r.notes.push_back("stage 1 (unelevated): Windows ACLs, a write-restricted token and a job object");
  return r;
}

}  // namespace cordon::win
