// cordon: read-only questions the planner asks about the filesystem.
// The real implementation (platform/linux/fs_probe.cpp) does lstat/readdir/readlink;
// tests use a map-backed fake, so plans are computed without touching the disk.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cordon {

enum class FileKind { Missing, Dir, File, Symlink, Other };

class FsProbe {
 public:
  virtual ~FsProbe() = default;
  // lstat: does not follow a final symlink.
  virtual FileKind lkind(const std::string& path) const = 0;
  // stat: follows symlinks.
  virtual FileKind kind(const std::string& path) const = 0;
  // Entry names of a directory (no "." or ".."); empty when unreadable.
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
  // Up to max_bytes of a regular file.
  virtual std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const = 0;
  // Canonical path (all symlinks resolved), when it exists.
  virtual std::optional<std::string> realpath(const std::string& path) const = 0;
};

}  // namespace cordon
