// cordon: what a change set changed (docs/review.md), read from its upper directory and
// compared with the workspace (the lower layer), both through descriptors, never
// following a link and never opening anything but regular files and directories:
//
//   upper entry                          change
//   regular file, symlink, no lower      added
//   ... with a lower entry               modified (content, target or type), or mode only
//   character device 0/0 (a whiteout)    deleted (the lower entry)
//   directory with user.overlay.opaque   the lower directory replaced whole: every lower
//                                        entry not in the upper one is deleted
//   FIFO, socket, other device           special: reported, never applied
//
// The base (base.json) records each touched workspace entry as the change set first
// found it (type, mode, size, inode, SHA-256 of a regular file's content): apply refuses a
// path whose workspace entry no longer matches it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "platform/linux/review_store.hpp"

namespace cordon {

enum class EntryType { None, File, Dir, Symlink, Other };
enum class ChangeKind { Added, Modified, Deleted, Mode, Special };

const char* to_string(EntryType t);
const char* to_string(ChangeKind k);

struct Change {
  std::string path;  // relative to the workspace, '/'-separated
  ChangeKind kind = ChangeKind::Added;
  EntryType type = EntryType::None;        // in the change set (None: deleted)
  EntryType lower_type = EntryType::None;  // in the workspace
  mode_t mode = 0, lower_mode = 0;         // permission bits
  uint64_t size = 0, lower_size = 0;
  bool opaque = false;  // a directory that replaced the workspace's whole
};

struct ChangeSet {
  std::vector<Change> changes;  // parents before children, names sorted
  bool truncated = false;       // more than the walk's bound
};

// The changes of `upper` (a descriptor of the upper directory) against the workspace
// held by `lower`.
[[nodiscard]] Result<ChangeSet> scan_changes(int upper_fd, int lower_fd);

// One staged root of a change set, opened and scanned: its upper directory, the root
// itself (pinned without following a link in its path) and its changes, paths relative
// to the root.
struct LayerChanges {
  ReviewLayer layer;
  UniqueFd upper, lower;
  ChangeSet changes;
};
[[nodiscard]] Result<std::vector<LayerChanges>> read_layers(const ReviewSet& set);
// Every layer's changes in one list, paths as shown (shown_path()).
[[nodiscard]] ChangeSet shown_changes(const std::vector<LayerChanges>& layers);

// One workspace entry as the base records it.
struct BaseEntry {
  EntryType type = EntryType::None;
  mode_t mode = 0;
  uint64_t size = 0;
  std::string sha256;  // regular files up to kBaseHashLimit
  std::string target;  // symlinks
};
inline constexpr uint64_t kBaseHashLimit = 256ull << 20;

// The workspace entry at `rel` now (beneath `lower_fd`, no link followed).
[[nodiscard]] BaseEntry read_base_entry(int lower_fd, const std::string& rel);
[[nodiscard]] bool same_base(const BaseEntry& a, const BaseEntry& b);

using Base = std::map<std::string, BaseEntry>;
// A layer's base.json (`dir`: the change set's directory, or roots/N for another root).
[[nodiscard]] Base load_base(const PinnedDir& dir);
[[nodiscard]] Status save_base(const PinnedDir& dir, const Base& base);
// Adds a record for every changed path that has none yet (the end of each review run).
[[nodiscard]] Status record_base(const PinnedDir& dir, const ChangeSet& changes, int lower_fd);

// The one-screen summary and its JSON form. `changes`: every layer's, paths as shown;
// `staged`: the roots other than the workspace that were staged (--review-all);
// `direct`: the writable roots written directly (not staged).
[[nodiscard]] std::vector<std::string> summary_lines(const std::string& id, const ChangeSet& changes,
                                                     const std::vector<std::string>& staged = {},
                                                     const std::vector<std::string>& direct = {});
[[nodiscard]] nlohmann::json to_json(const ChangeSet& changes);

}  // namespace cordon
