// cordon: `cordon run` on Linux as a pipeline of stages, each a function with a typed
// input and output (platform.cpp composes them; `cordon explain` is the same pipeline
// stopped after compile):
//
//   LinuxHostCaps caps = probe_stage(policy, ProbeFor::Run);
//   auto planned  = plan_stage(policy, caps, HostListeners::Bind);    // the plan is final here
//   auto required = require_stage(policy, planned->plan);              // the limits' gate
//   auto compiled = compile_stage(policy, request, *planned);          // BPF, environment
//   auto acquired = acquire_stage(policy, *planned, *compiled);        // one RAII bundle
//   auto launched = launch_stage(policy, request, *planned, *compiled, *acquired);
//   Collected c   = collect_stage(*acquired, planned, request.report_denials);
//   Summary s     = summarize_stage(policy, *planned, *launched, c, out);  // pure
//   print_lines(s.lines);                                              // the only writer
//   print_lines(cleanup_stage(std::move(*acquired), std::move(*planned)));
//
// Nothing changes the plan after plan_stage(): every host-dependent input (the state
// directories, cordon's own paths, the ports of the host proxy's listeners, the cgroup
// and rlimit mechanisms of the limits) is gathered before plan_linux() runs. No thread of
// cordon's exists before clone(): the proxy and the supervisor start theirs right after
// it (launcher.cpp: after_clone, Supervisor::start). When clone() refuses user
// namespaces the stages run again from plan_stage() with caps.userns = false.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "core/result.hpp"
#include "plan/denial_rules.hpp"
#include "plan/host_caps.hpp"
#include "plan/limits_plan.hpp"
#include "plan/linux_planner.hpp"
#include "plan/run_summary.hpp"
#include "platform/linux/cgroup.hpp"
#include "platform/linux/direct_route.hpp"
#include "platform/linux/git_guard.hpp"
#include "platform/linux/launcher.hpp"
#include "platform/linux/protected_scan.hpp"
#include "platform/linux/proxy.hpp"
#include "platform/linux/review_changes.hpp"
#include "platform/linux/review_store.hpp"
#include "platform/linux/seccomp.hpp"
#include "platform/linux/state.hpp"
#include "platform/linux/supervisor.hpp"
#include "platform/platform.hpp"

namespace cordon {

// --- probe ---------------------------------------------------------------------------
// Run: namespaces are tried at clone(), and the cgroup probe (mountinfo, the hierarchies)
// only when --memory or --pids asks. Explain: namespaces tried now, every mechanism shown.
enum class ProbeFor { Run, Explain };
[[nodiscard]] LinuxHostCaps probe_stage(const Policy& policy, ProbeFor purpose);

// --- plan ----------------------------------------------------------------------------
// The host listeners of the proxied network without user namespaces: bound by a run
// (their ports are planner inputs), never by explain or a digest ("chosen at run time").
enum class HostListeners { Bind, None };
struct Planned {
  LinuxHostCaps caps;
  StateDirs state;
  PlaceholderGuard placeholders;  // the roots' locks, held from before planning to cleanup
  std::optional<HostProxyListeners> host_listeners;
  // --review: the change set, locked for the run (review_store.hpp); `review_created`
  // when this run made it (removed again at cleanup if it stayed empty).
  std::optional<ReviewSet> review;
  bool review_created = false;
  // --review without --review-all: the other writable roots, written directly (the
  // summary names them).
  std::vector<std::string> review_direct;
  LinuxPlanInputs inputs;  // what the planner was given besides the policy, caps and disk
  LinuxPlan plan;          // final
};
// `review`: --review was given ("" for a new change set, else its id); `review_all`:
// --review-all, the other writable roots staged too. `ask_timeout_seconds`: --ask (not
// --learn) asks on the terminal for at most that long (0: no questions). `disk`: what the
// planner asks about the file system (default: the real disk; cordon mcp records it).
[[nodiscard]] Result<Planned> plan_stage(const Policy& policy, LinuxHostCaps caps, HostListeners listeners,
                                         const std::optional<std::string>& review = std::nullopt,
                                         bool review_all = false, int ask_timeout_seconds = 0,
                                         const FsProbe* disk = nullptr);
// The planner's inputs that come from the caller's environment and cordon's own state
// (plan_stage() adds the host proxy's ports, --review's layers and --ask's timeout).
[[nodiscard]] LinuxPlanInputs plan_inputs(const Policy& policy, const StateDirs& state);
// plan_inputs() with cordon's state directory as plan_stage() finds it now.
[[nodiscard]] Result<LinuxPlanInputs> plan_inputs_now(const Policy& policy, unsigned uid);

// --- require -------------------------------------------------------------------------
// The shared gate (plan/require.hpp) for the limits; plan_linux() has already passed the
// guarantees through it. With --best-effort, each lost limit becomes a warning.
struct Required {
  std::vector<std::string> warnings;
  nlohmann::json degradations = nlohmann::json::array();
};
[[nodiscard]] Result<Required> require_stage(const Policy& policy, const LinuxPlan& plan);

// --- compile -------------------------------------------------------------------------
// Everything the child reads, prepared before clone(): the seccomp programs, the denial
// rules the supervisor classifies with, the command's environment.
struct Compiled {
  std::optional<SeccompProgram> seccomp;
  std::optional<SupervisorPrograms> supervisor;  // denial reporting (supervisor.hpp)
  DenialRules denial_rules;
  std::vector<std::string> env;
  AskSettings ask;  // --ask / --learn (ask.hpp); mode Off without
};
[[nodiscard]] Result<Compiled> compile_stage(const Policy& policy, const platform::RunRequest& request,
                                             const Planned& planned);

// --- acquire -------------------------------------------------------------------------
// One bundle of everything the run holds, given back by cleanup_stage(). The supervisor
// refers to compiled.supervisor: the Compiled it was acquired with must not move.
struct Acquired {
  std::optional<RunCgroup> cgroup;
  std::optional<PidsCeiling> ceiling;      // a fork bomb pinned at --pids is killed
  std::unique_ptr<ProxyServer> proxy;      // its thread starts after clone()
  std::unique_ptr<DirectRoute> direct;     // the proxied network's direct route; outlives the supervisor
  std::unique_ptr<Supervisor> supervisor;  // its thread starts after clone()
  std::vector<GitRootPin> git_pins;        // roots with no .git, pinned before the command
  std::vector<GitDirPin> gitdir_pins;      // the plan's git directories: which pointer names they had
  std::vector<GitRootPin> pointer_roots;   // every writable root: .git files made inside are checked
  DepthScan depth_scan;                    // protected names that appear at depth are reported
  std::vector<std::string> warnings;       // to print before the launch
};
[[nodiscard]] Result<Acquired> acquire_stage(const Policy& policy, Planned& planned,
                                             const Compiled& compiled);

// --- launch --------------------------------------------------------------------------
[[nodiscard]] Result<LaunchResult> launch_stage(const Policy& policy, const platform::RunRequest& request,
                                                const Planned& planned, const Compiled& compiled,
                                                Acquired& acquired);

// --- collect -------------------------------------------------------------------------
// What the run left, read once the command has ended: the proxy's refusals (it stops),
// the supervisor's denials, the cgroup's events, the peak memory, and the post-run
// checks of repositories, done through the pins taken in acquire.
struct Collected {
  std::vector<ProxyRefusal> refused;
  std::vector<Grant> grants;  // --ask / --learn
  std::vector<Denial> denials;
  bool denials_truncated = false;
  bool denials_reported = false;
  bool every_denial = false;  // --report-denials full: each one is listed, even on success
  // The supervisor got no listener (another supervisor holds the only one, and
  // --best-effort ran on): nothing brokered creation or connect().
  bool supervisor_absent = false;
  std::vector<GitRepair> new_repositories;       // git_pins, in order
  std::vector<GitRepair> existing_repositories;  // gitdir_pins, in order
  std::vector<std::string> appeared_at_depth;    // protected names new below the top
  std::optional<ChangeSet> review;               // --review: what the change set holds now
  std::vector<std::string> review_errors;        // reading it or recording its base failed
  std::optional<CgroupEvents> cgroup_events;
  nlohmann::json cgroup_dirs = nlohmann::json::object();  // limit name -> the group enforcing it
  uint64_t peak_rss_bytes = 0;
};
[[nodiscard]] Collected collect_stage(Acquired& acquired, const Planned& planned,
                                      DenialReporting report_denials);

// --- summarize (pure) ----------------------------------------------------------------
// The result object's fields and the lines for the terminal, from data only.
struct Summary {
  std::vector<std::string> lines;
};
[[nodiscard]] Summary summarize_stage(const Policy& policy, const Planned& planned,
                                      const LaunchResult& launched, const Collected& collected,
                                      RunResult& out);

// What a run reports even when it ends in an error: the sandbox, guarantees and limits.
void describe_plan(const LinuxPlan& plan, RunResult& out);

// --- cleanup -------------------------------------------------------------------------
// Gives back the bundle and the plan's hold, in order: pins closed, proxy and supervisor
// joined, the cgroup removed, the placeholder locks released (their cleaner started).
// Returns its own failures as lines to print. The plan itself, like the stopped
// supervisor, is released by the process's exit (release_at_exit()).
[[nodiscard]] std::vector<std::string> cleanup_stage(Acquired acquired, Planned planned);
// The same, for a run that ended before acquire.
[[nodiscard]] std::vector<std::string> cleanup_stage(Planned planned);

// A run's compiled rules, kept until the process exits (`cordon run` ends with its run),
// never destroyed: with thousands of --protect or --deny-read paths, the plan and the
// rules hold several strings per path, and freeing them one allocation at a time costs
// more than the exit, which drops them all at once. Only for a process that ends after
// its run: the plans of `cordon mcp`'s server (plan_digest_now()) are freed as usual.
void release_at_exit(Compiled compiled);

}  // namespace cordon
