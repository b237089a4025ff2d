// cordon (Windows plan): deleting a tree the sandbox could write, without ever
// following a link it planted.
//
//   WinTreeOps ops;                                  // platform/windows/remove_tree_win32
//   RemoveStats stats;
//   Status s = remove_tree(ops, plan.child_temp, stats);
//
// cordon deletes the private temp after the run with the user's full token. The
// sandbox could write there, so any entry may be a junction or a symbolic link to
// the user's files (mingw's std::filesystem::remove_all treats them as directories
// and empties their targets). This walk:
//   - opens every object without following a reparse point (the top by path, every
//     entry relative to its directory's open handle, so a renamed ancestor cannot
//     redirect it);
//   - treats an entry as a link when either its directory listing or its open handle
//     says reparse point, and then deletes the link object itself, never its target;
//   - recurses only into real directories, bounded in depth and entry count;
//   - keeps going after a failure and reports the first one (the caller says so).
// The algorithm is pure; the Win32 operations and the model's are behind TreeOps,
// so the unit tests run it against the access-check model with planted links.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cordon::win {

class TreeOps {
 public:
  struct Info {
    bool directory = false;
    bool reparse = false;  // a junction, symbolic link or other reparse point
  };
  struct Entry {
    std::string name;
    bool reparse = false;  // as the directory listing reports it
  };
  // An object opened without following a reparse point (a handle, in Win32).
  class Object {
   public:
    virtual ~Object() = default;
  };

  virtual ~TreeOps() = default;
  // `dir` null: opens the path `name`; otherwise the entry `name` of the open `dir`.
  virtual Result<std::unique_ptr<Object>> open(Object* dir, const std::string& name) = 0;
  virtual Result<Info> info(Object& object) = 0;
  virtual Result<std::vector<Entry>> list(Object& dir) = 0;
  // Deletes the object itself (a link as a link); a directory must be empty by then.
  // The deletion may complete when the object is closed (Windows delete-on-close).
  virtual Status remove(Object& object) = 0;
  // Renames the object (a link as a link) to `new_name` in the open directory `dir`,
  // never replacing an existing entry (git_guard.hpp).
  virtual Status rename(Object& object, Object& dir, const std::string& new_name) = 0;
  // The content of an open regular file, at most `max` bytes (an error past that).
  virtual Result<std::string> read_small(Object& file, size_t max) = 0;
  // Creates the new regular file `name` in the open directory `dir` holding `content`.
  // Never opens an existing entry (a link of that name is an error, not followed); a
  // file left half written is deleted.
  virtual Status create_file(Object& dir, const std::string& name, const std::string& content) = 0;
};

struct RemoveStats {
  int files = 0;
  int directories = 0;
  int links = 0;  // deleted as links, targets untouched
  std::vector<std::string> failed;
};

struct RemoveLimits {
  int max_depth = 128;
  size_t max_entries = 1000000;
};

// Deletes `top` and everything under it without following links. Returns the first
// failure (after trying everything else); a missing `top` is not an error.
[[nodiscard]] Status remove_tree(TreeOps& ops, const std::string& top, RemoveStats& stats,
                                 const RemoveLimits& limits = {});

}  // namespace cordon::win
