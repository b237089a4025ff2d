// cordon: the lifecycle of cordon's per-workspace state (`cordon gc`, docs/policy.md).
//
// Per workspace cordon keeps a private /tmp, a record of the workspace's path and last
// run, its locks and its placeholder ledger (state.hpp). A gc removes those of the
// workspaces that no longer exist and of those no run used for an age; never those of
// a workspace a run holds. One workspace at a time:
//
//   locks/<hash>.lock   exclusive, non-blocking: a run holds it shared, so it is skipped
//   decide again        under the lock (a run that started meanwhile renewed the record)
//   tmp/<hash>          renamed into trash/: out of use at once (a later run makes a new one)
//   the record, the ledger, the locks: unlinked, the lock last; then unlocked
//   trash/<hash>.<n>    removed with remove_tree() (pinned_fs.hpp): beneath descriptors,
//                       no link followed, no mount crossed, no FIFO opened, bounded work
//
// What the command left in its private /tmp is the sandbox's: every name there is
// treated as hostile, also while a process of an ended run might still be writing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cordon {

struct GcOptions {
  int64_t older_than = 30 * 86400;  // seconds since a workspace's last run
  bool dry_run = false;
};

struct GcItem {
  enum class Verdict { Keep, Remove, InUse };
  std::string name;       // the keyed name: tmp/<name>
  std::string workspace;  // from the record (verified against the name); "" when unknown
  bool workspace_gone = false;
  int64_t last_used = 0;  // unix time: the record's mtime, else the private /tmp's
  Verdict verdict = Verdict::Keep;
  std::string why;
  bool removed = false;      // taken out of use (and removed, unless `error`)
  size_t names_removed = 0;  // files and directories removed from its private /tmp
  std::optional<Error> error;
};

struct GcReport {
  std::string root;  // the state directory ("" when there is none)
  std::vector<GcItem> items;
  std::vector<Error> errors;  // beside the items': what is left in trash/
};

// Scans the state directory at `root` (as state_root_path() names it) and, unless
// options.dry_run, removes what is due. Fails only when the state directory itself
// cannot be read; a workspace's failure is in its item and the scan goes on.
[[nodiscard]] Result<GcReport> collect_garbage(const std::string& root, const GcOptions& options);

// "7d", "12h", "30m", "45s" or seconds: for --older-than.
[[nodiscard]] Result<int64_t> parse_age(const std::string& text);

}  // namespace cordon
