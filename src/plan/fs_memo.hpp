// cordon: the planner's file-system questions, each put to the disk once per plan.
//
// plan_linux() asks about the same paths again and again: every protected path's parent
// chain (pinned directories, "may a placeholder go here"), the kind of a denied path before
// and after resolving it. With thousands of --protect or --deny-read paths that was four
// lstat calls per path, most of them for the same few directories. The plan is a snapshot
// of the file system either way (the appliers re-check what matters on the object they
// mount: no final symlink is followed), so one answer per path per plan changes nothing.
//
// And when many entries of one directory are asked about (1000 --protect paths in ten
// directories), the directory is listed once (readdir's d_type) instead of an lstat each:
// an entry the listing names has the kind it gives; one it does not name is still asked.
//
//   MemoFsProbe fs(real);          // lives as long as one plan_linux() call
//   fs.lkind(p); fs.lkind(p);      // one lstat
//   fs.kind(p);                    // no stat when p is known not to be a symlink
#pragma once

#include <string>
#include <unordered_map>

#include "plan/fs_probe.hpp"

namespace cordon {

class MemoFsProbe final : public FsProbe {
 public:
  explicit MemoFsProbe(const FsProbe& inner) : inner_(inner) {}

  FileKind lkind(const std::string& path) const override;
  // stat() answers as lstat() does unless the final component is a symlink: the walk to
  // it is the same, so an absent or unreadable path is absent to both.
  FileKind kind(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override { return inner_.list(dir); }
  std::vector<DirEntry> list_typed(const std::string& dir) const override { return inner_.list_typed(dir); }
  std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const override {
    return inner_.read_small(path, max_bytes);
  }
  std::optional<std::string> realpath(const std::string& path) const override {
    return inner_.realpath(path);
  }

 private:
  // Questions about one directory's entries before it is listed instead (list_typed_upto).
  static constexpr size_t kListAfter = 32;
  static constexpr size_t kEntriesPerQuestion = 8;
  struct Misses {
    size_t count = 0;
    size_t next_listing = kListAfter;
  };

  const FsProbe& inner_;
  mutable std::unordered_map<std::string, FileKind> lkinds_;
  mutable std::unordered_map<std::string, Misses> misses_;   // by directory
  mutable std::unordered_map<std::string, FileKind> kinds_;  // symlinks only, followed
};

}  // namespace cordon
