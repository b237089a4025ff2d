// cordon (Windows, stage 2): one command as a sandbox user, through cordon-runner.exe.
//
//   win::Stage2Facts facts = read_stage2_facts(state_dir);   // setup/setup_cli.hpp: reads only
//   options.stage = facts;                                   // the planner adds the stage-2 ACEs
//   auto plan = win::plan_windows(policy, host, caps, options);   // final: explain prints this
//   if (facts.active()) {
//     auto s = acquire_stage2(policy, facts, state_dir);     // side effects, after the gate
//     ... apply plan.aces ...
//     auto r = run_stage2(*s, plan, argv, cwd, env, timeout, private_desktop);
//   }
//
// What stage 2 adds to a stage-1 plan (the same capability SIDs, the same ACEs):
//  - the identity: the offline sandbox user, or the online one only with --net on; the
//    Windows Firewall rules of `cordon setup` fence the offline user's traffic. There is
//    no proxy on Windows yet, so a domain allowlist is refused (network off with
//    --best-effort);
//  - write roots that setup has not granted to the sandbox group are granted now by an
//    unelevated `setup --refresh` (the user owns them, no administrator needed);
//  - per-run grants for the sandbox group on the private temp, and a read+execute grant on
//    a copy of cordon-runner.exe in <state dir>\runner (the installed one may sit in a
//    profile the sandbox users cannot read): planned by win::add_stage2_aces from the
//    facts; acquire_stage2 only makes the copy;
//  - the launch: CreateProcessWithLogonW of the runner (setup/sandbox_user.hpp), which
//    builds the write-restricted token from its own token and runs the command in a job;
//    the caller talks to it over pipes that admit only that user (runner_client.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "plan/windows/planner.hpp"
#include "platform/windows/runner_client.hpp"

namespace cordon::winsys {

// True when `cordon setup` has run and its marker is of the current format.
bool stage2_active(const std::string& state_dir);

struct Stage2 {
  std::string state_dir;
  bool online = false;
  std::string user_sid;  // the sandbox user the pipes admit
  std::wstring runner_exe;
};

// The side effects stage 2 needs before a run, none of which changes the plan: the
// sandbox account, an unelevated `setup --refresh` for roots setup has not granted yet,
// and the copy of cordon-runner.exe into facts.runner_dir.
[[nodiscard]] Result<Stage2> acquire_stage2(const Policy& policy, const win::Stage2Facts& facts,
                                            const std::string& state_dir);

// The command's terminal: a pseudoconsole in the runner (conpty.hpp stage2_tty) of the
// caller's window size, or, with no console outside, of this size (--tty-size).
struct Stage2Tty {
  TtyMode mode = TtyMode::Auto;
  uint16_t rows = 24, columns = 80;
};

[[nodiscard]] Result<RunnerOutcome> run_stage2(const Stage2& stage, const win::WinPlan& plan,
                                               const std::vector<std::string>& argv, const std::string& cwd,
                                               const std::vector<std::string>& env,
                                               std::optional<double> timeout_seconds, bool private_desktop,
                                               const Stage2Tty& tty = {});

}  // namespace cordon::winsys
