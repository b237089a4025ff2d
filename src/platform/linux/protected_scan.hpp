// cordon: after the run, the protected names that appeared below the top of a writable
// root (a new sub/.vscode/). The sandbox can create them: refusing that needs the broker
// (the check and the creation as one act), so they are reported loudly, never acted on.
//
//   auto scan = DepthScan::pin(policy.write_roots(), names);  // before the command starts
//   ... the command runs ...
//   for (const auto& path : scan.appeared(known)) warn(path);  // known: protected before
//
// Every directory is opened beneath a root pinned before the run, without following a
// link or crossing a mount (platform/linux/pinned_fs.hpp); the walk reads at most a
// budget of entries and says when it stopped early.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "platform/linux/pinned_fs.hpp"

namespace cordon {

class DepthScan {
 public:
  static DepthScan pin(const std::vector<std::string>& roots, std::vector<std::string> names);
  // Protected names below the top of each root that are not in `known`, as paths; a
  // last line says so when a root was not read to the end.
  std::vector<std::string> appeared(const std::set<std::string>& known) const;

 private:
  std::vector<PinnedDir> roots_;
  std::vector<std::string> root_paths_;
  std::vector<std::string> names_;
};

}  // namespace cordon
