// cordon: read-only questions the planner asks about the filesystem.
// The real implementation (platform/linux/fs_probe.cpp) does lstat/readdir/readlink;
// tests use a map-backed fake, so plans are computed without touching the disk.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cordon {

enum class FileKind { Missing, Dir, File, Symlink, Other };

struct DirEntry {
  std::string name;
  FileKind kind;  // as lstat would say (a symlink is a Symlink)
};

class FsProbe {
 public:
  virtual ~FsProbe() = default;
  // lstat: does not follow a final symlink.
  virtual FileKind lkind(const std::string& path) const = 0;
  // stat: follows symlinks.
  virtual FileKind kind(const std::string& path) const = 0;
  // Entry names of a directory (no "." or ".."); empty when unreadable.
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
  // Entries with their kinds: the walk for protected names at depth. The real probe takes
  // the kinds from readdir (no stat per entry); this default asks lkind() for each.
  virtual std::vector<DirEntry> list_typed(const std::string& dir) const {
    std::vector<DirEntry> out;
    for (auto& name : list(dir)) {
      FileKind k = lkind(dir == "/" ? "/" + name : dir + "/" + name);
      out.push_back({std::move(name), k});
    }
    return out;
  }
  // list_typed(), unless the directory holds more than max_entries: then nullopt, the real
  // probe having read little more than that many (plan/fs_memo.hpp lists a directory
  // instead of asking lkind() of many of its entries, but not at any price).
  virtual std::optional<std::vector<DirEntry>> list_typed_upto(const std::string& dir,
                                                               size_t max_entries) const {
    if (list(dir).size() > max_entries) return std::nullopt;
    return list_typed(dir);
  }
  // Up to max_bytes of a regular file.
  virtual std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const = 0;
  // Canonical path (all symlinks resolved), when it exists.
  virtual std::optional<std::string> realpath(const std::string& path) const = 0;
};

}  // namespace cordon
