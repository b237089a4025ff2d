// cordon: per-user state outside every workspace: the private /tmp of each
// workspace and the placeholder ledger.
//
//   $XDG_STATE_HOME/cordon (default ~/.local/state/cordon), mode 0700
//     tmp/<name>-<hash>/         private /tmp of one workspace, persists across runs
//     locks/<hash>.lock          shared while a run uses its placeholders
//     placeholders/<hash>        paths cordon created and must remove
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
  std::string key;          // hash of the workspace path
};

[[nodiscard]] Result<StateDirs> prepare_state(const std::string& workspace, const std::string& home, unsigned uid);

// Creates the plan's placeholders (recording them first), holding a shared lock for
// the run. The destructor removes those still empty when no other run holds the lock.
class PlaceholderGuard {
 public:
  PlaceholderGuard() = default;
  PlaceholderGuard(PlaceholderGuard&&) = default;
  PlaceholderGuard& operator=(PlaceholderGuard&&) = default;
  ~PlaceholderGuard();
  [[nodiscard]] static Result<PlaceholderGuard> create(const StateDirs& state, const std::vector<Placeholder>& items);

 private:
  void cleanup();
  UniqueFd lock_;
  std::string ledger_;
};

}  // namespace cordon
