// cordon (Windows, stage 2): run one command through cordon-runner.exe.
//
//   RunnerRequest req;
//   req.runner_exe = L"...\\cordon-runner.exe";
//   req.allowed_sid = sandbox_user_sid;        // the pipes admit this SID only
//   req.launcher = logon_launcher;             // CreateProcessWithLogonW (setup side), or plain_launcher()
//   req.start = {argv, cwd, env, capability_sids, timeout_ms, tty, private_desktop, safe_directories};
//   Result<RunnerOutcome> r = run_via_runner(req);   // r->exit_code: the command's; 124 on timeout
//
// The order (runner_client.cpp):
//   1. create BASE-in/BASE-out with the one-SID DACL (platform/windows/runner_pipe.hpp);
//   2. start the runner through the launcher with `--pipe=BASE --server-pid=<ours>`;
//      if that fails with ERROR_NO_SUCH_LOGON_SESSION (1312, a stale logon session),
//      call the launcher once more, unchanged (attempt 2: it may refresh credentials);
//   3. wait for the runner to open both pipes, and require its process id;
//   4. send `start`; pump stdin into `stdin` frames from a thread;
//   5. write `stdout`/`stderr` frames out; a signalled cancel event or Ctrl+C sends
//      `terminate`; a changed window size (poll_size) sends `resize`; return on the
//      `exit` frame.
// Every wait is bounded: the runner must connect within connect_timeout_ms; with a
// timeout, the exit must arrive within timeout + exit_grace_ms; after a terminate,
// within exit_grace_ms. Past those, the runner process is ended, which ends its job
// (kill-on-close) and the command's whole tree with it. So is a runner a terminate
// cannot reach within 2 s (a stdin write stalled behind a command that does not read);
// the outcome is then "terminated", exit code 130.
#pragma once

#include <windows.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "plan/windows/runner_protocol.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {

struct RunnerProcess {
  UniqueHandle process;
  DWORD pid = 0;
};

// Starts the runner from its full command line (already quoted, executable first).
// `attempt` is 1, or 2 on the stale-logon retry. Failures should come from
// win32_error, whose "Win32 error N" the retry rule reads.
using RunnerLauncher = std::function<Result<RunnerProcess>(const std::wstring& command_line, int attempt)>;

// CreateProcessW as the current user (no logon): tests, and Wine, which has no users.
// `desktop` ("station\\desktop"): where the runner starts; empty = the caller's own.
RunnerLauncher plain_launcher(std::wstring desktop = {});

struct RunnerRequest {
  std::wstring runner_exe;
  std::string allowed_sid;  // pipe DACL: the sandbox user's SID (current_user_sid() without a logon)
  RunnerLauncher launcher;
  win::runner::Start start;
  // The command's output; default: cordon's own stdout/stderr.
  std::function<void(win::runner::Stream, std::string_view)> on_output;
  // The command's stdin is read from here (not owned); nullptr: closed at once.
  HANDLE stdin_source = nullptr;
  HANDLE cancel_event = nullptr;  // signalled: send terminate (not owned)
  // With start.tty: the caller's window size, asked every 200 ms while the command
  // runs; a size other than the last one sent goes out as a resize frame.
  std::function<std::optional<win::runner::Resize>()> poll_size;
  bool forward_ctrl_c = true;  // Ctrl+C / Ctrl+Break in cordon's console: send terminate
  DWORD connect_timeout_ms = 30000;
  DWORD exit_grace_ms = 15000;
};

struct RunnerOutcome {
  int exit_code = 0;  // the command's; 124 after its timeout, 130 after a terminate
  bool timed_out = false;
  bool terminated = false;
  DWORD runner_pid = 0;
  DWORD command_pid = 0;
  int launch_attempts = 0;
};

[[nodiscard]] Result<RunnerOutcome> run_via_runner(const RunnerRequest& request);

// cordon-runner.exe in the directory of the running executable. The sandbox user must
// be able to read and execute it there (Codex copies its runner to a directory it
// locks down for that reason; that is setup's decision).
std::wstring runner_next_to_self();

// The runner's command line for a pipe base name: quoted exe, --pipe, --server-pid.
std::wstring runner_command_line(const std::wstring& runner_exe, const std::string& pipe_base);

}  // namespace cordon::winsys
