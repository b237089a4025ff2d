// cordon: per-user state outside every workspace: the private /tmp of each
// workspace and the placeholder ledger.
//
//   $XDG_STATE_HOME/cordon (default ~/.local/state/cordon), mode 0700
//     key                        32 random bytes: the names below are keyed hashes
//     tmp/<hash>/                private /tmp of one workspace, persists across runs
//     workspaces/<hash>          the workspace's path; its mtime: the last run there
//     locks/<hash>.lock          per writable root: shared while a run may mount in it
//                                (and per workspace, <hash> as in tmp/: `cordon gc`)
//     placeholders/<hash>        per workspace: paths cordon created and must remove
//     trash/                     what `cordon gc` took out of use and is removing
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

// The state directory for `home` and `uid`, as named (XDG_STATE_HOME/cordon,
// HOME/.local/state/cordon, else /tmp/cordon-UID); not created, not resolved.
std::string state_root_path(const std::string& home, unsigned uid);

// The keyed name of `workspace` under the state directory whose key is `secret`.
std::string state_name(const std::string& secret, const std::string& workspace);

// Reads the state directory's key (made by the first run); ENOENT when there is none.
[[nodiscard]] Result<std::string> read_state_key(const std::string& root);

// Creates the state directory and this workspace's private /tmp, and records the use
// (workspaces/<hash>: one utimensat per run, the record written once).
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
  // Takes the shared "in use" locks: one per root, and the workspace's own (locks/<hash>
  // of its private /tmp), which keeps `cordon gc` away from that /tmp; then makes the
  // private /tmp again if a gc took it out of use before the lock was held. Call before
  // planning: the plan decides which placeholders exist, and no cleaner may remove one
  // between planning and mounting.
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
