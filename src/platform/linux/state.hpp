// cordon: per-user state outside every workspace: the private /tmp of each
// workspace and the placeholder ledger.
//
//   $XDG_STATE_HOME/cordon (default ~/.local/state/cordon), mode 0700
//     key                        32 random bytes: the names below are keyed hashes
//     tmp/<hash>/                private /tmp of one workspace, persists across runs
//     locks/<hash>.lock          per writable root: shared while a run may mount in it
//     placeholders/<hash>        per workspace: paths cordon created and must remove
// The whole directory is hidden inside the sandbox (plan/linux_planner.cpp, "cordon's
// state"); a run reaches only its own workspace's private /tmp.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/linux_planner.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

struct StateDirs {
  std::string root;
  std::string private_tmp;  // for this workspace (created)
  std::string key;          // keyed hash of the workspace path
  std::string secret;       // the key of the names (never shown inside the sandbox)
};

[[nodiscard]] Result<StateDirs> prepare_state(const std::string& workspace, const std::string& home,
                                              unsigned uid);

// Creates the plan's placeholders (recording them in a ledger first) and holds a
// shared "in use" lock for the run. Removing a former mount point costs an RCU grace
// period per directory, so removal happens off the critical path: when the run ends
// a detached cleaner waits CORDON_PLACEHOLDER_LINGER_MS (default 500), then removes
// the still-empty placeholders if no run holds the lock (a run started meanwhile
// reuses them and its own cleaner removes them later).
//
// Lock protocol, per writable root: a run holds the lock of every one of its writable
// roots shared for its whole life (and its workspace's <key>.create exclusive only while
// creating); its cleaner needs every one of those locks exclusive (non-blocking), so it
// never removes a placeholder that any live run may have mounted, also one whose
// roots merely overlap (`--writable` another workspace).
class PlaceholderGuard {
 public:
  PlaceholderGuard() = default;
  PlaceholderGuard(PlaceholderGuard&&) = default;
  PlaceholderGuard& operator=(PlaceholderGuard&&) = default;
  ~PlaceholderGuard();
  // Takes the shared "in use" lock. Call before planning: the plan decides which
  // placeholders exist, and no cleaner may remove one between planning and mounting.
  [[nodiscard]] static Result<PlaceholderGuard> hold(const StateDirs& state,
                                                     const std::vector<std::string>& roots);
  // Creates the missing placeholders of a plan (ledger first, under the create lock).
  [[nodiscard]] Status create(const std::vector<Placeholder>& items);
  // The cleanup stage: releases the shared locks and, when this guard served a run that
  // recorded placeholders, starts the detached cleaner. Once; the destructor is the backstop.
  void release();

 private:
  void start_cleaner();
  std::vector<UniqueFd> in_use_;
  std::vector<std::string> lock_paths_;
  std::string create_path_;
  std::string ledger_;
  bool ran_ = false;  // create() was called: this guard served a run
};

// Removes every placeholder in the ledger that is still empty; used by the cleaner.
void remove_placeholders(const std::string& ledger);

}  // namespace cordon
