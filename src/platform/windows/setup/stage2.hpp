// cordon (Windows setup): stage 2 end to end - setup, refresh, uninstall, status.
//
//   SetupRequest req{state_dir, real_user, profile, {workspace}, {}, std::nullopt, false};
//   if (!is_elevated()) code = run_elevated(child_args, state_dir);   // one UAC prompt
//   else report = run_setup(req);                                     // in this process
//   auto u = run_uninstall(state_dir);          // stage 1 and stage 2, from the ledger
//   StageStatus s = read_stage(state_dir);      // stage 2 active? (marker present, current)
//
// The order of run_setup (plan/windows/setup_plan.hpp): group, users (new password
// each time), membership by SID, hide, lock the setup dir, secrets, firewall rules
// (applied and read back), write and traverse grants, read grants (a detached helper
// for large trees), marker. Every object is recorded in the ledger before it is
// created. A failure stops setup and is written to <state dir>\setup-error.json.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/windows/setup_plan.hpp"
#include "plan/windows/uninstall_plan.hpp"
#include "platform/windows/setup/outcome.hpp"

namespace cordon::winsys {

struct SetupRequest {
  std::string state_dir;  // the real user's %LOCALAPPDATA%\cordon
  win::Sid real_user;
  std::string user_profile;
  std::vector<std::string> write_roots;
  std::vector<std::string> read_roots;
  std::optional<win::PortRange> proxy_ports;
  bool refresh = false;
};

struct SetupReport {
  win::SetupPlan plan;
  win::SetupMarker marker;
  std::vector<std::string> lines;  // what was done, for the output
};

std::string setup_dir(const std::string& state_dir);

// Runs the plan in this process. A full plan needs an elevated process.
[[nodiscard]] SetupResult<SetupReport> run_setup(const SetupRequest& request);
// The detached read-grant helper (`cordon setup --read-grants`): grants read on the
// marker's read roots, then clears read_grants_pending. One at a time (a named mutex).
[[nodiscard]] SetupStatus run_read_grants(const std::string& state_dir);
// True while a read-grant helper holds its mutex.
bool read_grants_running();

// Starts `cordon.exe <args>` elevated (ShellExecuteExW "runas", one UAC prompt),
// waits, and returns its exit code; the child reports failures in setup-error.json.
[[nodiscard]] SetupResult<int> run_elevated(const std::vector<std::string>& args);

struct UninstallReport {
  win::UninstallPlan plan;
  std::vector<std::string> lines;
  std::vector<win::SetupError> errors;  // every step that failed; the others still ran
};
// Is there anything of stage 2 to remove (and so, an administrator needed)?
bool setup_traces(const std::string& state_dir);
// Which part of the replay this process does (F19, plan/windows/uninstall_plan.hpp):
// the elevated child only cordon's own accounts, rules, values and sandbox-SID ACEs;
// the unelevated parent, after it, the user's own ACEs and placeholders; `All` when one
// process does both (no stage 2 traces, or an administrator's own elevated shell).
enum class UninstallScope { All, Elevated, Unelevated };
[[nodiscard]] SetupResult<UninstallReport> run_uninstall(const std::string& state_dir,
                                                         UninstallScope scope = UninstallScope::All);

win::StageStatus read_stage(const std::string& state_dir);
void write_setup_error(const std::string& state_dir, const win::SetupError& error);
std::optional<win::SetupError> read_setup_error(const std::string& state_dir);
void clear_setup_error(const std::string& state_dir);

}  // namespace cordon::winsys
