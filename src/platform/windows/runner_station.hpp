// cordon (Windows): a window station and desktop of the stage-2 runner's own.
//
//   auto station = RunnerStation::create({sandbox_user_sid});   // before the logon
//   launch.desktop = (*station)->desktop_path();                // "CordonRunner-<id>\\Default"
//   ... keep the station until the run has ended ...
//
// CreateProcessWithLogonW with an explicit lpDesktop leaves it to the caller to grant
// the new logon access, "even for WinSta0\\Default": cordon named WinSta0\Default and
// granted nothing, so the runner (which loads user32 and creates a desktop) probably
// failed at start on a stock install (F16 of the Windows review). Leaving lpDesktop
// empty instead (what the Codex runner does) makes seclogon grant the sandbox user's
// logon access to the user's own Default desktop, from which input could reach the
// user's windows. So cordon creates a non-interactive window station with a Default
// desktop whose DACLs (protected) name SYSTEM, the real user and the given SIDs only,
// and starts the runner there; the runner creates the command's private desktop on the
// same station (launch.cpp names the station its process is on).
#pragma once

#include <windows.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/windows/sid.hpp"

namespace cordon::winsys {

class RunnerStation {
 public:
  [[nodiscard]] static Result<std::unique_ptr<RunnerStation>> create(const std::vector<win::Sid>& grantees);
  ~RunnerStation();
  RunnerStation(const RunnerStation&) = delete;
  RunnerStation& operator=(const RunnerStation&) = delete;
  // "<station>\\Default", for STARTUPINFO's lpDesktop.
  const std::wstring& desktop_path() const { return path_; }

 private:
  RunnerStation() = default;
  HWINSTA station_ = nullptr;
  HDESK desktop_ = nullptr;
  std::wstring path_;
};

// The name of the window station this process is on ("WinSta0" in an interactive
// session); empty when it cannot be read.
std::wstring current_station_name();

}  // namespace cordon::winsys
