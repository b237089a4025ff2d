// cordon: `cordon review apply ID [PATH...]`: the change set's entries written into the
// workspace, outside the sandbox with the user's full rights, so every step acts on
// descriptors (docs/review.md):
//
// - every workspace directory is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
//   | RESOLVE_NO_XDEV) beneath the held workspace; every write is an *at() call on one
//   name in a held directory: a link in the way is refused, never followed;
// - a file is written beside its target (a fresh name, O_EXCL | O_NOFOLLOW), given its
//   mode (set-user-ID and set-group-ID bits dropped) and renamed over the name, with no
//   fsync of its own: a batch's one syncfs() makes it durable (below);
//   a symlink is made beside it and renamed likewise, never opened;
// - a FIFO, socket or device in the change set is reported and never opened or made;
// - a protected path (review_protected()) is never written, created or removed, nor a
//   directory holding one removed;
// - a path whose workspace entry no longer matches the change set's base is a conflict,
//   refused and named (--force writes it anyway);
// - in batches: the checked paths are journalled (one fdatasync), written and renamed,
//   the root's filesystem synced (one syncfs), and only then do the entries leave the
//   change set (the overlay would show the same). An interrupted apply run again rewrites
//   journalled paths without a conflict check and finishes (docs/review.md, "Crashes").
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "platform/linux/review_changes.hpp"
#include "platform/linux/review_store.hpp"

namespace cordon {

// Why `rel` (a workspace-relative path, '/'-separated) may never be applied, or "" when
// it may: a protected name at any depth (the planner's list), a git pointer, or a name in
// a git directory outside git's everyday data (core/git_layout.hpp).
[[nodiscard]] std::string review_protected(const std::string& rel, EntryType type);

// Why the absolute `abs` may never be applied because it is, or lies below, one of the
// home's protected entries (defaults::protected_home_entries(), cordon's own config),
// or "": for staged roots in the home (--review-all, e.g. ~/.config/x).
[[nodiscard]] std::string review_protected_in_home(const std::string& abs, const std::string& home);

struct ApplyOptions {
  // empty: everything; else workspace-relative paths, or another staged root's absolute ones
  std::vector<std::string> paths;
  bool force = false;
};

struct ApplyResult {
  std::vector<std::string> applied;
  std::vector<std::pair<std::string, std::string>> refused;    // path, why (protected, special, in the way)
  std::vector<std::pair<std::string, std::string>> conflicts;  // path, what changed
  bool everything = false;  // the change set is empty now (and was removed)
};

[[nodiscard]] Result<ApplyResult> apply_review(const ReviewStore& store, ReviewSet& set,
                                               const ApplyOptions& options);

}  // namespace cordon
