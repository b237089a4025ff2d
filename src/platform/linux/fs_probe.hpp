// cordon: the real FsProbe (lstat, stat, readdir, read, realpath).
#pragma once

#include "plan/fs_probe.hpp"

namespace cordon {

class RealFsProbe final : public FsProbe {
 public:
  FileKind lkind(const std::string& path) const override;
  FileKind kind(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;
  std::vector<DirEntry> list_typed(const std::string& dir) const override;
  std::optional<std::vector<DirEntry>> list_typed_upto(const std::string& dir,
                                                       size_t max_entries) const override;
  std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const override;
  std::optional<std::string> realpath(const std::string& path) const override;
};

}  // namespace cordon
