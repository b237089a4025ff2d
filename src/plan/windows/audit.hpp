// cordon (Windows plan): the world-writable audit.
//
// Everyone must be a restricting SID (the NUL device and many system objects grant
// only Everyone), so any directory that lets Everyone write would be writable from the
// sandbox, even in read-only mode. The audit scans the usual suspects two levels deep
// (the cwd's children, TEMP/TMP, the profile, PUBLIC, PATH entries, the system drive
// root with ProgramData and Program Files, and the Windows directory, which gets one
// level only), files included, bounded by a budget, and plans a deny-write ACE for the
// capability SIDs on each world-writable directory or file outside every writable root.
//
//   AuditResult r = audit_world_writable(host, candidates, roots, deny_sids, budget);
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "plan/windows/access.hpp"
#include "plan/windows/host.hpp"

namespace cordon::win {

struct AuditBudget {
  size_t max_checks = 50000;
  size_t max_entries_per_dir = 1000;
  std::chrono::milliseconds time{2000};
  // Injected clock (tests); default: steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

struct WorldWritable {
  std::string path;
  std::string granted_to;    // "Everyone", "Authenticated Users", "Users"
  bool inside_root = false;  // inside a writable root: left alone
  bool drive_root = false;   // reported only: no ACEs on drive roots
};

struct AuditResult {
  size_t checked = 0;
  bool truncated = false;  // the budget ran out
  std::vector<WorldWritable> found;
  std::vector<std::string> denied;        // directories that get (inheritable) deny ACEs
  std::vector<std::string> denied_files;  // files that get deny ACEs
};

// Does this DACL let Everyone write (after generic mapping, ignoring inherit-only ACEs
// and rights shared with reading)? Returns "Everyone", or "" when not. Only a
// restricting SID can carry a write through the restricted pass, and Everyone is the
// one a plain directory grants: a grant to Users or Authenticated Users (stock on
// C:\Windows\Temp and on folders created at a drive root) fails that pass anyway, and
// flagging it planned ACEs the user may not write (F17), aborting every run.
std::string world_writable_by(const std::vector<Ace>& dacl);

// Candidate directories in scan order, deduplicated by path key.
std::vector<std::string> audit_candidates(const WinHost& host, const std::string& cwd);

AuditResult audit_world_writable(const WinHost& host, const std::vector<std::string>& candidates,
                                 const std::vector<std::string>& write_roots, const AuditBudget& budget);

}  // namespace cordon::win
