// cordon (Windows plan): Policy + simulated host -> the exact ACEs and token spec.
//
//   WinHost host = ...;                       // probed (platform) or simulated (tests)
//   CapabilitySids caps = ...;                // plan/windows/cap_store.hpp
//   Result<WinPlan> plan = plan_windows(policy, host, caps, {.run_id = "1a2b"});
//   PlanReport report = to_report(*plan, policy, host);   // what explain/check print
//
// The stage-1 (unelevated) design, after the Codex write-up:
//  - the child runs with a WRITE_RESTRICTED token whose restricting SIDs are the
//    capability SIDs of this run, the logon SID and Everyone: a write must pass both
//    the user's own ACL check and a second check against those SIDs;
//  - each writable root carries an inheritable allow ACE for its own capability SID
//    (one per root, so a run in workspace A cannot write workspace B, which keeps its
//    ACE for B's SID); the private temp, and the host TEMP for --tmp host, are granted
//    to a SID unique to the run, for the run only; read-only runs use the read-only
//    SID, which is granted nowhere except NUL;
//  - protected entries (.git parts per GitMode, agent/editor config dirs, --protect,
//    cordon's state dir) get deny ACEs for every capability SID of the run, covering
//    write, append, EA, attributes, DELETE, FILE_DELETE_CHILD, WRITE_DAC, WRITE_OWNER;
//    their parent gets a deny FILE_DELETE_CHILD so the parent cannot unlink them;
//  - a protected name that does not exist yet (.claude, .git\hooks, .git\config ...)
//    cannot carry an ACE, so an empty placeholder (directory, or empty file for
//    file-like names) is created first and gets the same deny ACEs; placeholders are
//    recorded in the ledger before creation and persist, like the ACEs, until
//    `cordon setup uninstall` removes the ones still empty. A missing .git itself is
//    never a placeholder: `git init` must keep working;
//  - world-writable directories outside the roots get deny ACEs (plan/windows/audit.hpp).
// Roots that are drive or share roots, the profile or its ancestors, system
// directories, network paths, or paths that pass through a junction/symlink are
// refused (fail closed): ACEs there would either be huge or land somewhere else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "plan/report.hpp"
#include "plan/windows/access.hpp"
#include "plan/windows/audit.hpp"
#include "plan/windows/git_guard.hpp"
#include "plan/windows/host.hpp"
#include "plan/windows/setup_plan.hpp"
#include "plan/windows/sid.hpp"

namespace cordon::win {

struct CapabilitySids {
  Sid readonly;
  Sid workspace;                       // generic: temp
  std::map<std::string, Sid> by_root;  // path_key(root) -> SID
  const Sid* for_root(const std::string& root) const;
};

enum class AceLifetime { Persistent, PerRun };

struct PlannedAce {
  std::string path;  // canonical; "\\\\.\\NUL" for the device grant
  Ace ace;
  std::string reason;  // "writable root", "protected .git\\hooks", "world-writable" ...
  AceLifetime lifetime = AceLifetime::Persistent;
  bool create_dir = false;  // create the directory first (the private temp)
  // Not required for the run to go on: the NUL grant and world-writable denies sit on
  // objects the user may be unable to re-ACL; a failure is reported, not fatal.
  bool best_effort = false;
};

// An empty object created before the run so that a protected name which is absent
// can carry deny ACEs (Windows ACLs attach to objects, not to names).
struct Placeholder {
  std::string path;  // canonical
  bool directory = true;
  std::string reason;
  friend bool operator==(const Placeholder&, const Placeholder&) = default;
};

struct TokenSpec {
  std::vector<Sid> capabilities;  // restricting SIDs besides the run SID, the logon SID and Everyone
  // Unique to this run (random, never stored): its private temp and the default DACL
  // of every object the command creates name it, so no other sandbox (which carries
  // the same logon SID and possibly the same capability SIDs) passes the restricted
  // half of the check on them. Empty only in stage 2 frames from an older caller.
  Sid run;
  Sid logon;
  // Flags for CreateRestrictedToken, by name (explain prints them).
  std::vector<std::string> flags = {"WRITE_RESTRICTED", "DISABLE_MAX_PRIVILEGE", "LUA_TOKEN"};
  std::vector<Sid> restricting() const;                  // capabilities, run, logon, Everyone
  std::vector<Sid> default_dacl(const Sid& user) const;  // GENERIC_ALL holders: user, SYSTEM, run
};

// Resource limits the job object enforces (F10): --memory as the job's committed memory
// (JOB_OBJECT_LIMIT_JOB_MEMORY), --pids as its active processes (ACTIVE_PROCESS; threads
// are not counted, unlike Linux's pids cgroup), --cpu-time as each process's user-mode
// time (PROCESS_TIME, 100 ns units; kernel time is not counted, unlike RLIMIT_CPU).
struct JobLimits {
  std::optional<uint64_t> memory_bytes;
  std::optional<uint32_t> processes;
  std::optional<int64_t> process_user_time;
  friend bool operator==(const JobLimits&, const JobLimits&) = default;
};

JobLimits job_limits(const LimitsPolicy& limits);

struct StubFile {
  std::string name;  // "ssh.cmd"
  std::string content;
};

// Stage 2, as read from the host before planning (no side effects: the platform's
// read_stage2_facts). The planner turns them into the stage-2 ACEs and the stage rows of
// the report, so the plan is final when it leaves plan_windows and explain, check and
// run plan with the same facts. Whatever stage 2 needs done on the host first (the
// account, an unelevated refresh, the runner copy) is the platform's acquire step.
struct Stage2Facts {
  StageStatus status;      // the setup marker: stage 2 is active when status.stage2
  std::string runner_dir;  // <state dir>\runner: read+execute for the sandbox group
  // Why the firewall rules do not take effect now ("" = they do: each rule read back as
  // planned, the firewall on for every active profile, local rules merged); probed by
  // the platform at every run.
  std::string firewall_not_effective;
  // Why cordon's WFP filters cannot be counted on now ("" = the provider, the sublayer and
  // every filter were read back at this run and are as planned); probed by the platform.
  std::string wfp_not_verified = "not probed";
  bool active() const { return status.stage2 && status.marker.has_value(); }
};

struct WinPlan {
  Mode mode = Mode::WorkspaceWrite;
  TokenSpec token;
  JobLimits job;                         // set on the job in stage 1 (the stage-2 runner does not carry them)
  std::vector<std::string> write_roots;  // canonical
  std::vector<PlannedAce> aces;
  std::vector<std::string> protected_paths;   // what got deny ACEs
  std::vector<Placeholder> placeholders;      // created empty before the ACEs are applied
  std::vector<std::string> unprotected;       // absent and not placeholdered: not blockable
  std::vector<std::string> linked_protected;  // protected names that are links (--best-effort)
  // Gitdirs in a writable root (config-only) where a commondir/config.worktree that
  // appears during the run is renamed away afterwards (git_guard.hpp).
  std::vector<GitWatch> git_watch;
  // Writable roots without a .git when planned: a repository the command creates there
  // is neutralised after the run (git_guard.hpp). Empty for --git writable.
  std::vector<std::string> new_repo_roots;
  // Roots whose walk for protected names and repositories below the top ran out of its
  // budget, and gitdirs past the per-repository limit: names there stay unprotected.
  std::vector<std::string> walk_truncated;
  std::string child_temp;  // TEMP/TMP for the child ("" = inherit)
  // Stage 2 with --tmp host: a per-run HOME/APPDATA directory of its own, created new,
  // granted for the run and removed after it as the private temp is (F22); "" = none.
  std::string run_home;
  std::vector<std::pair<std::string, std::string>> env;  // variables set for the child
  std::string stub_dir;                                  // prepended to PATH (advisory network)
  std::vector<StubFile> stubs;
  AuditResult audit;
  std::vector<std::string> notes;
  std::optional<Stage2Facts> stage;  // PlanOptions::stage: to_report adds the stage rows
};

struct PlanOptions {
  std::string run_id = "run";  // names the private temp dir
  Sid run_sid;                 // TokenSpec::run: random per run (the platform's CSPRNG); required
  AuditBudget audit;           // zero max_checks skips the audit
  // Entries the walk for protected names and repositories below each root's top may
  // read per plan (as on Linux); past it the walk stops and the report says so.
  size_t walk_budget = 200000;
  // Unset: stage not read (no stage ACEs, no stage rows). Set and active: the stage-2 ACEs.
  std::optional<Stage2Facts> stage;
};

[[nodiscard]] Result<WinPlan> plan_windows(const Policy& policy, const WinHost& host,
                                           const CapabilitySids& caps, const PlanOptions& options = {});

// Stage 2: the sandbox users pass the normal half of the access check through their
// group's grant on each root (which includes DELETE and FILE_DELETE_CHILD), and the
// protected-path denies name only capability SIDs, so whether a protected entry can be
// deleted, renamed or re-ACLed rested on the restricted pass's scope (F3). This adds
// the same denies (protected entries, their parents' FILE_DELETE_CHILD, the pins) for
// `principal` (the sandbox group), so the normal pass refuses them whatever that scope.
void add_principal_denies(WinPlan& plan, const Sid& principal);

// What plan_windows adds for an active stage 2 (facts.active()): the group's protected-
// path denies, its per-run grant on the private temp, the per-run profile variable and
// the read+execute grant on the runner directory.
void add_stage2_aces(WinPlan& plan, const Stage2Facts& facts);

// The stage rows of a report (which stage, what it guarantees, the stage-2 network and
// limits rows); to_report calls it when the plan carries facts.
void add_stage_rows(PlanReport& report, const Policy& policy, const Stage2Facts& facts);

// The token the plan describes, as the access-check model sees it: the user, the
// usual groups of an interactive user, and the restricting SIDs.
TokenModel model_token(const WinPlan& plan, const WinHost& host);

PlanReport to_report(const WinPlan& plan, const Policy& policy, const WinHost& host);
nlohmann::json to_json(const WinPlan& plan);

}  // namespace cordon::win
