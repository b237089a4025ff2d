// cordon (Windows, stage 2): the pure decisions around the command runner.
//
//   Start start = start_from_plan(plan, argv, cwd, env, timeout, tty, private_desktop);
//   env = with_git_safe_directories(env, {"C:\\work\\repo"});   // the runner, before the launch
//   std::string sddl = pipe_sddl(sandbox_user_sid).value();      // "D:P(A;;GA;;;S-1-5-21-...)"
//   auto args = parse_runner_args({"--pipe=\\\\.\\pipe\\cordon-runner-ab12", "--server-pid=42"});
//   if (should_retry_runner_launch(attempt, win32_code_of(error))) ...   // stale logon: once
//
// Pure C++ (no <windows.h>), unit-tested on Linux (tests/unit/windows/runner_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/windows/planner.hpp"
#include "plan/windows/runner_protocol.hpp"

namespace cordon::win::runner {

// Git refuses a repository owned by another user ("dubious ownership"); the sandbox
// user does not own the user's checkout. Appends one safe.directory entry per path
// through GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n, numbered after any
// count already in `env` (an invalid count is replaced, starting at 0). Paths get
// forward slashes, as git compares them; duplicates are skipped. Names match
// case-insensitively, as Windows environment names do.
std::vector<std::string> with_git_safe_directories(std::vector<std::string> env,
                                                   const std::vector<std::string>& paths);

// The runner runs as a sandbox user with its own profile, but `env` describes the real
// user's: tools would put caches and settings where the sandbox user may not write. The
// runner overlays its own identity: USERNAME, USERPROFILE, HOMEDRIVE, HOMEPATH, HOME,
// APPDATA and LOCALAPPDATA (case-insensitive names, replaced in place or appended).
// TEMP and TMP are left alone: the plan's private temp is granted to the sandbox users.
// `profile` must be a drive path ("C:\\Users\\CordonSandboxOffline"); otherwise (or with
// an empty user name) `env` is returned unchanged.
// The sandbox profile itself is not writable for the command: its DACL names the user,
// SYSTEM and Administrators, none of them a restricting SID of the write-restricted
// token (F22). When the caller names a per-run directory in `kRunProfileVariable` (a
// drive path inside the private temp, which the run SID and the sandbox group may
// write), HOME, APPDATA and LOCALAPPDATA point there instead, so caches and global
// settings (npm, pip, `git config --global`) work, for this run only.
inline constexpr const char* kRunProfileVariable = "CORDON_RUN_PROFILE";
struct SandboxProfile {
  std::string user_name;
  std::string profile_dir;
};
std::vector<std::string> with_sandbox_profile(std::vector<std::string> env, const SandboxProfile& profile);

// The start frame for a planned run: the plan's capability SIDs (the runner adds its
// own logon SID and Everyone), its writable roots as safe.directory entries, and the
// command as given. `env` is the complete environment (planner variables applied), and
// the plan's job limits go with it (F10).
Start start_from_plan(const WinPlan& plan, const std::vector<std::string>& argv, const std::string& cwd,
                      const std::vector<std::string>& env, std::optional<double> timeout_seconds, bool tty,
                      bool private_desktop);

// The runner's side: the limits its job must hold (launch.cpp sets them and reads them
// back before the command runs, as in stage 1).
JobLimits job_limits_of(const Start& start);

// The security descriptor of the runner's pipes: a protected DACL granting GENERIC_ALL
// to exactly one SID (the sandbox user's; the current user's when no logon is used).
// The SID is checked, so nothing but a SID reaches the SDDL text.
[[nodiscard]] Result<std::string> pipe_sddl(const std::string& sid);

// The runner's command line: `--pipe=BASE` (the caller serves BASE-in and BASE-out)
// and `--server-pid=N` (the caller's process id, checked against the pipe's server).
struct RunnerArgs {
  std::string pipe;
  uint32_t server_pid = 0;
  friend bool operator==(const RunnerArgs&, const RunnerArgs&) = default;
};
[[nodiscard]] Result<RunnerArgs> parse_runner_args(const std::vector<std::string>& args);
std::vector<std::string> format_runner_args(const RunnerArgs& args);
// "\\\\.\\pipe\\cordon-runner-" + 32 hex digits from the random words.
std::string pipe_base_name(const uint32_t random[4]);

// ERROR_NO_SUCH_LOGON_SESSION (1312): CreateProcessWithLogonW found the logon session
// of cached credentials gone. The Codex runner retries exactly once, unchanged.
inline constexpr uint32_t kErrorNoSuchLogonSession = 1312;
bool should_retry_runner_launch(int attempt, uint32_t win32);
// The Win32 code of an Error made by winsys::win32_error ("Win32 error N ..." in the
// detail), or 0.
uint32_t win32_code_of(const Error& error);

}  // namespace cordon::win::runner
