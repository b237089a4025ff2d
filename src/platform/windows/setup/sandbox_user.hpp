// cordon (Windows setup): starting a process as a stage-2 sandbox user - the launcher
// the command runner's client uses.
//
//   auto stage = read_stage(state_dir);                 // stage2 == true once set up
//   auto who = sandbox_account(state_dir, /*online=*/false);   // name + SID (pipe DACL)
//   SandboxLaunch req;
//   req.state_dir = state_dir;
//   req.online = policy allows the network;
//   req.command_line = L"\"C:\\...\\cordon-runner.exe\" --pipe-in=... --pipe-out=...";
//   auto p = start_as_sandbox_user(req);                // p->process, p->pid, p->user
//
// CreateProcessWithLogonW(LOGON_WITH_PROFILE) with the password decrypted from the
// secrets file (DPAPI) for this call only; it is zeroised right after. The profile is
// loaded (created at the first run), so Schannel and per-user settings work. Error
// 1312 (a stale logon session) is retried exactly once with identical parameters; the
// identity never flips between offline and online. Windows error codes are passed
// through unchanged in the SetupError (code "logon").
#pragma once

#include <windows.h>

#include <string>
#include <vector>

#include "plan/windows/setup_plan.hpp"
#include "platform/windows/setup/outcome.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {

struct SandboxLaunch {
  std::string state_dir;          // the real user's %LOCALAPPDATA%\cordon
  bool online = false;            // CordonSandboxOnline only when the policy allows the network
  std::wstring application;       // lpApplicationName; empty: taken from the command line
  std::wstring command_line;      // complete and quoted
  std::wstring cwd;               // empty: the sandbox user's profile directory
  std::vector<std::wstring> env;  // "NAME=VALUE"; empty: the sandbox user's own environment
  std::wstring desktop;  // lpDesktop ("Winsta0\\Default" when empty; stage 2 passes a runner station's)
  DWORD creation_flags = CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT;  // e.g. | CREATE_SUSPENDED
  HANDLE std_input = nullptr;  // all three set: STARTF_USESTDHANDLES
  HANDLE std_output = nullptr;
  HANDLE std_error = nullptr;
  // Retry once on error 1312 here; false when the caller owns that retry (the runner
  // client does), so that "once" stays once.
  bool retry_stale_logon = true;
};

struct SandboxProcess {
  UniqueHandle process;
  UniqueHandle thread;
  DWORD pid = 0;
  win::SandboxAccount user;  // the account it runs as (its SID for pipe DACLs)
};

// The offline or online account from the setup marker; an error when stage 2 is not
// set up (or its marker is stale).
[[nodiscard]] SetupResult<win::SandboxAccount> sandbox_account(const std::string& state_dir, bool online);
// The group both accounts belong to (grant it, not each user, on shared objects).
[[nodiscard]] SetupResult<win::SandboxAccount> sandbox_group(const std::string& state_dir);

[[nodiscard]] SetupResult<SandboxProcess> start_as_sandbox_user(const SandboxLaunch& request);

}  // namespace cordon::winsys
