// cordon: `cordon review diff`: a change set against the workspace, as git prints it
// (diff --git headers, new/deleted file modes, unified hunks with three lines of context,
// "Binary files ... differ", --stat). Files are read through descriptors beneath the
// upper directory and the workspace (no link followed, only regular files opened).
// Names are quoted as git quotes them (C escapes inside double quotes) when they hold a
// control character, a quote, a backslash or a non-ASCII byte.
#pragma once

#include <string>
#include <vector>

#include "platform/linux/review_changes.hpp"

namespace cordon {

struct DiffOptions {
  bool stat = false;
  bool escape_content = false;  // a terminal: control characters in lines made visible
};

// The diff of `changes` (already filtered to the paths asked for).
[[nodiscard]] std::string review_diff(const std::vector<Change>& changes, int upper_fd, int lower_fd,
                                      const DiffOptions& options);
// The same over several staged roots (--review-all): `prefix` "" for the workspace, else
// the root's absolute path, shown before each of its paths.
struct DiffLayer {
  const std::vector<Change>* changes;
  int upper_fd, lower_fd;
  std::string prefix;
};
[[nodiscard]] std::string review_diff(const std::vector<DiffLayer>& layers, const DiffOptions& options);

// A name as git quotes it in a diff header.
[[nodiscard]] std::string quote_path(const std::string& path);

// Unified-diff hunks of two texts split into lines (pure; exposed for the unit test).
[[nodiscard]] std::string unified_hunks(const std::vector<std::string>& a, const std::vector<std::string>& b,
                                        size_t* added = nullptr, size_t* removed = nullptr);

}  // namespace cordon
