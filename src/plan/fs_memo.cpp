#include "plan/fs_memo.hpp"

#include <cstdint>

namespace cordon {

FileKind MemoFsProbe::lkind(const std::string& path) const {
  if (auto it = lkinds_.find(path); it != lkinds_.end()) return it->second;
  if (const size_t slash = path.rfind('/'); slash != std::string::npos && slash + 1 < path.size()) {
    const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    Misses& m = misses_[parent];
    if (++m.count >= m.next_listing) {
      // Many entries of one directory asked about: one listing may answer them all, if
      // the directory is not much larger than the questions so far (else try again later,
      // after four times as many: at most about as much reading wasted as lstat calls made).
      if (auto entries = inner_.list_typed_upto(parent, m.count * kEntriesPerQuestion)) {
        for (auto& e : *entries)
          lkinds_.emplace(parent == "/" ? "/" + e.name : parent + "/" + e.name, e.kind);
        m.next_listing = SIZE_MAX;  // listed: its names are known, absent ones are asked
        if (auto it = lkinds_.find(path); it != lkinds_.end()) return it->second;
      } else {
        m.next_listing = m.count * 4;
      }
    }
  }
  const FileKind k = inner_.lkind(path);
  lkinds_.emplace(path, k);
  return k;
}

FileKind MemoFsProbe::kind(const std::string& path) const {
  const FileKind l = lkind(path);
  if (l != FileKind::Symlink) return l;
  if (auto it = kinds_.find(path); it != kinds_.end()) return it->second;
  const FileKind k = inner_.kind(path);
  kinds_.emplace(path, k);
  return k;
}

}  // namespace cordon
