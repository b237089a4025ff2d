// cordon (Windows): remove_tree's operations on the real volume (plan/windows/remove_tree.hpp).
//
//   WinTreeOps ops;
//   win::RemoveStats stats;
//   Status s = win::remove_tree(ops, plan.child_temp, stats);
//
// The top is opened by path, every entry with NtCreateFile relative to its directory's
// handle; all with FILE_OPEN_REPARSE_POINT, so a junction or symbolic link is opened
// as itself. The attributes come from the handle (FileAttributeTagInfo); entries from
// the directory handle (FileIdBothDirectoryInfo). Deletion is by handle: POSIX
// delete-on-close where available, else the classic disposition after clearing a
// read-only attribute.
#pragma once

#include "plan/windows/remove_tree.hpp"

namespace cordon::winsys {

class WinTreeOps : public win::TreeOps {
 public:
  Result<std::unique_ptr<Object>> open(Object* dir, const std::string& name) override;
  Result<Info> info(Object& object) override;
  Result<std::vector<Entry>> list(Object& dir) override;
  Status remove(Object& object) override;
  Status rename(Object& object, Object& dir, const std::string& new_name) override;
  Result<std::string> read_small(Object& file, size_t max) override;
  Status create_file(Object& dir, const std::string& name, const std::string& content) override;
};

}  // namespace cordon::winsys
