// cordon (Windows): start the command under the sandbox token, inside a job.
//
//   LaunchRequest req{token.get(), argv, cwd, env, timeout, /*private_desktop=*/true};
//   Result<LaunchResult> r = launch(req);     // exit code passed through; 124 on timeout
//
// The order, in one function (launch.cpp):
//   1. resolve the program on PATH and quote the command line;
//   2. build the environment block (sorted, case-insensitive);
//   3. a job object: KILL_ON_JOB_CLOSE, DIE_ON_UNHANDLED_EXCEPTION, UI restrictions;
//   4. a private desktop (unless in an SSH session), DACL for the logon SID only;
//   5. for a tty command (stdin and stdout are consoles) a pseudoconsole, and
//      otherwise a hidden console of the child's own (CREATE_NO_WINDOW), console
//      output relayed through pipes and stdin NUL: never cordon's console handles;
//   6. STARTUPINFOEX with an explicit inherited-handle list (the three stdio handles;
//      on a pseudoconsole none, or a redirected stderr), CreateProcessAsUserW
//      (CREATE_SUSPENDED), assign to the job, then resume (fail closed: a process
//      that cannot join the job is terminated before it runs);
//   7. wait (resizing the pseudoconsole); on timeout or a cancel event (LaunchHooks) TerminateJobObject kills
//   the
//      whole tree; closing the job kills any descendant still alive after the main
//      process exits; then the pseudoconsole is closed and drained.
#pragma once

#include <windows.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "plan/windows/planner.hpp"

namespace cordon::winsys {

struct LaunchRequest {
  HANDLE token = nullptr;  // nullptr: the caller's own token (full-access)
  std::vector<std::string> argv;
  std::string cwd;
  std::vector<std::string> env;  // "NAME=VALUE", complete
  std::optional<double> timeout_seconds;
  bool private_desktop = true;
  std::string logon_sid;        // for the desktop DACL ("S-1-5-5-...")
  win::JobLimits limits = {};   // --memory, --pids, --cpu-time (plan/windows/planner.hpp)
  TtyMode tty = TtyMode::Auto;  // --tty: a pseudoconsole when auto finds consoles, always, never
};

// For the stage-2 runner: the child's stdio are pipes the caller pumps, or a
// pseudoconsole it pumps (conpty.hpp PipedPseudoconsole: then no handle at all is
// inherited and the child's console is that one, never one of the runner's), an event
// ends the job when signalled, and a hook sees the process id after the process joined
// the job and before it runs a single instruction.
struct LaunchHooks {
  std::optional<std::array<HANDLE, 3>> stdio;  // stdin, stdout, stderr (not inheritable; launch duplicates)
  void* pseudoconsole = nullptr;               // an HPCON (instead of stdio); no fallback if it fails
  HANDLE cancel_event = nullptr;               // signalled: TerminateJobObject, result.cancelled
  std::function<void(DWORD pid)> on_started;
};

struct LaunchResult {
  int exit_code = 0;
  bool timed_out = false;
  bool cancelled = false;  // LaunchHooks::cancel_event ended the job (exit code 130)
  std::string tty;         // "conpty" or "redirected" (platform/windows/conpty.hpp)
  std::string tty_note;    // why ConPTY was not used although the console asked for it
};

[[nodiscard]] Result<LaunchResult> launch(const LaunchRequest& request, const LaunchHooks& hooks = {});

// MSVCRT/CommandLineToArgvW quoting of one argument.
std::wstring quote_argument(const std::wstring& arg);

}  // namespace cordon::winsys
