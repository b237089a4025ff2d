// cordon: where a review's change sets live (docs/review.md), in cordon's state directory:
//
//   <state>/reviews/ID/           mode 0700, one change set
//     meta.json                   {"workspace": ..., "created": unix seconds,
//                                  "roots": [other staged roots], "home": ...}
//     upper/  work/               the overlay's upper and work directories
//     base.json                   the workspace's files as the change set first touched them
//     roots/N/upper, work, base.json   the same for the Nth other root (--review-all)
//     journal                     paths an interrupted apply has already written
//     lock                        flock: one run, apply or discard at a time
//
//   auto store = ReviewStore::open(state_root);
//   auto set = store->create(workspace);        // or store->open_set(id, Lock::Exclusive)
//   ... the run mounts set->upper, set->work ...
//
// Every entry is opened beneath the held reviews directory, never following a link;
// removal (discard, gc) descends through descriptors and never opens a FIFO or device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "platform/linux/pinned_fs.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

struct ReviewMeta {
  std::string id;
  std::string workspace;
  int64_t created = 0;  // unix seconds
  // --review-all: the other writable roots staged too, in order (roots/1, roots/2, ...);
  // empty: the workspace only. A chained run must name the same roots.
  std::vector<std::string> roots;
  std::string home;  // the user's home when the change set was made (apply's protected entries)
};

struct ReviewSet {
  ReviewMeta meta;
  std::string dir;    // <state>/reviews/ID
  std::string upper;  // dir/upper
  std::string work;   // dir/work
  PinnedDir pin;      // dir, held
  UniqueFd lock;      // held while exclusive
};

// A name a user may give a change set: 1 to 64 of [A-Za-z0-9._-], not starting with '.'.
[[nodiscard]] bool valid_review_id(const std::string& id);

enum class ReviewLock { None, Exclusive };

class ReviewStore {
 public:
  // `state_root`: cordon's state directory as the kernel resolves it (state.hpp).
  [[nodiscard]] static Result<ReviewStore> open(const std::string& state_root);
  // A new change set for `workspace` (a random id, or `id` when given and unused).
  // `roots`: other writable roots to stage (--review-all), each given its own layer.
  [[nodiscard]] Result<ReviewSet> create(const std::string& workspace, const std::string& id = "",
                                         const std::vector<std::string>& roots = {},
                                         const std::string& home = "");
  // An existing change set; with ReviewLock::Exclusive, fails when another run holds it.
  [[nodiscard]] Result<ReviewSet> open_set(const std::string& id, ReviewLock lock) const;
  [[nodiscard]] bool exists(const std::string& id) const;
  [[nodiscard]] Result<std::vector<ReviewMeta>> list() const;
  // Removes the change set's whole directory (the caller holds its lock).
  [[nodiscard]] Status remove(const ReviewSet& set) const;
  const std::string& path() const { return dir_.path(); }

 private:
  PinnedDir dir_;
};

// One staged root of a change set: the workspace (layer 0, the set's own directory) or
// an other root (roots/N). `prefix` is how its paths are shown: "" for the workspace
// (paths relative to it), the root's absolute path for the others.
struct ReviewLayer {
  std::string root;
  std::string prefix;
  PinnedDir dir;  // holds upper/, work/, base.json
};
[[nodiscard]] Result<std::vector<ReviewLayer>> review_layers(const ReviewSet& set);
// A layer's path as shown to the user (and named in apply's PATH and the journal).
[[nodiscard]] std::string shown_path(const std::string& prefix, const std::string& rel);

// Removes `name` beneath the directory `parent_fd` and everything below it, without
// following a link or opening anything but directories (modes the command set on its
// directories are lifted first). Bounded depth.
[[nodiscard]] Status remove_tree_beneath(int parent_fd, const std::string& name, const std::string& shown);

// Sum of the sizes of the regular files below `dir_fd`, and their count (bounded walk).
struct TreeSize {
  uint64_t bytes = 0;
  uint64_t files = 0;
};
[[nodiscard]] TreeSize tree_size(int dir_fd);
// No entry below `dir_fd` (readdir finds only . and ..).
[[nodiscard]] bool tree_is_empty(int dir_fd);

}  // namespace cordon
