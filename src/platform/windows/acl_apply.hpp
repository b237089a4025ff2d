// cordon (Windows): applies planned ACEs, handle-based, with a write-ahead ledger.
//
//   StateLock lock(io);
//   Ledger ledger = *load_ledger(io);
//   create_placeholders(plan.placeholders, ledger, io);   // absent protected names
//   auto r = apply_aces(plan.aces, ledger, io);     // idempotent
//   ... run ...
//   remove_aces(per_run, ledger, io);                // or `cordon setup uninstall`
//
// Each object is opened once (READ_CONTROL|WRITE_DAC, without following a final
// reparse point) and edited through that handle (GetSecurityInfo/SetSecurityInfo), so
// the path cannot be swapped between reading and writing the DACL. An ACE already
// present is left alone; a new one is recorded in the ledger *before* it is written,
// so a crash leaves at most a ledger entry without its ACE (removal tolerates that).
// Placeholders follow the same rule: recorded, then created; uninstall removes the
// ones still empty and forgets the rest (their content is the user's).
#pragma once

#include <string>
#include <vector>

#include "plan/windows/planner.hpp"
#include "plan/windows/state.hpp"

namespace cordon::winsys {

struct ApplyStats {
  int added = 0;
  int present = 0;
  int removed = 0;
  std::vector<std::string> missing;  // paths that no longer exist (uninstall)
  int created = 0;                   // placeholders
  std::vector<std::string> kept;     // placeholders left in place: no longer empty
  std::vector<std::string> skipped;  // best-effort ACEs that could not be applied: "path: reason"
};

[[nodiscard]] Result<ApplyStats> apply_aces(const std::vector<win::PlannedAce>& aces, win::Ledger& ledger,
                                            win::StateIo& io);
[[nodiscard]] Result<ApplyStats> create_placeholders(const std::vector<win::Placeholder>& placeholders,
                                                     win::Ledger& ledger, win::StateIo& io);
// Every ledgered placeholder: removed while it is still empty (a directory without
// entries, a zero-length file, never a reparse point), else kept; both leave the ledger.
[[nodiscard]] Result<ApplyStats> remove_placeholders(win::Ledger& ledger, win::StateIo& io);
[[nodiscard]] Result<ApplyStats> remove_aces(const std::vector<win::LedgerEntry>& entries,
                                             win::Ledger& ledger, win::StateIo& io);
// Uninstall's sweep: removes every explicit ACE of `sids` from `path` (the sandbox
// accounts of stage 2), whether or not the ledger knew it. `removed` counts them;
// a missing path is `missing`, not an error.
[[nodiscard]] Result<ApplyStats> remove_sids(const std::string& path, const std::vector<win::Sid>& sids);

}  // namespace cordon::winsys
