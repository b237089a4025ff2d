// cordon: acting on a directory the sandbox could write, from outside it, without
// following anything the sandbox planted there.
//
//   auto root = PinnedDir::open(workspace);            // before the run: pins the inode
//   ... the command runs ...
//   auto git = root->subdir(".git");                   // never follows a link
//   auto text = read_regular(*git, "config", 1 << 20); // refuses FIFOs, devices, links
//   replace_file(*git, "config", new_text, 0644);      // new inode, renamed over the name
//
// Every name is resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) beneath a descriptor opened before the run,
// and every open adds O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, so a planted
// symlink, FIFO or device can neither redirect nor block cordon. Without openat2
// (Linux < 5.6) every call fails with ENOSYS: there is no fallback that follows links.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

// A directory held by an O_PATH descriptor; `path` is for messages only.
class PinnedDir {
 public:
  PinnedDir() = default;
  // Pins `path` (trusted: opened before the sandbox exists, symlinks in it followed).
  [[nodiscard]] static Result<PinnedDir> open(const std::string& path);
  // Pins the absolute `path` only if no component of it is a symlink (ELOOP otherwise):
  // for paths recorded canonical before a run and acted on after it.
  [[nodiscard]] static Result<PinnedDir> open_without_links(const std::string& path);
  // The directory `relative` beneath this one; fails on a link, a mount crossing or a
  // non-directory (ENOTDIR) rather than following it.
  [[nodiscard]] Result<PinnedDir> subdir(const std::string& relative) const;

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  bool valid() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
  std::string path_;
};

// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
// beneath the descriptor `dirfd`, with the same added flags as open_beneath(); the raw
// descriptor or -1 with errno (for callers that hold descriptors rather than PinnedDirs).
int openat2_beneath(int dirfd, const std::string& relative, int flags, mode_t mode);

// openat2 beneath `dir`, adding O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC.
[[nodiscard]] Result<UniqueFd> open_beneath(const PinnedDir& dir, const std::string& relative, int flags,
                                            mode_t mode = 0);

// lstat of one entry (a single name, no slash): what is there, without opening it.
[[nodiscard]] Result<struct stat> stat_entry(const PinnedDir& dir, const std::string& name);

// The entry names of `dir` ("." and ".." left out); more than `max_entries` is an error.
[[nodiscard]] Result<std::vector<std::string>> list_entries(const PinnedDir& dir, size_t max_entries);

// The content of a regular file with a single link. A FIFO, device, directory,
// symlink, hard-linked file or a file over `cap` bytes is refused (EINVAL, EMLINK,
// EFBIG), never read partially.
[[nodiscard]] Result<std::string> read_regular(const PinnedDir& dir, const std::string& name, size_t cap);

// Writes `content` to a fresh file beneath `dir` (O_EXCL, fsync) and renames it over
// `name`: whatever `name` was (a link, a FIFO, a hard link to something else) is
// replaced, never written through. A directory at `name` makes it fail (EISDIR).
[[nodiscard]] Status replace_file(const PinnedDir& dir, const std::string& name, const std::string& content,
                                  mode_t mode);

// Renames entry `name` to "name<suffix>", or "name<suffix>.N" when that exists
// (RENAME_NOREPLACE: a pre-created name cannot make it fail or overwrite anything).
// Returns the new name.
[[nodiscard]] Result<std::string> rename_away(const PinnedDir& dir, const std::string& name,
                                              const std::string& suffix);

// Removes the empty directory `name` beneath `dir` (unlinkat AT_REMOVEDIR: a link or a
// non-empty directory is left alone, ENOTDIR / ENOTEMPTY).
[[nodiscard]] Status remove_empty_dir(const PinnedDir& dir, const std::string& name);

// What remove_tree() may do: it holds one descriptor per level, and lists at most
// `max_entries` names in all (a command can make a tree of any size).
struct RemoveLimits {
  int max_depth = 64;
  size_t max_entries = 10'000'000;
};

// Removes `name` beneath `dir` and everything below it, for a tree the sandbox could
// write (still writing it, even): every directory is opened beneath its parent's
// descriptor (openat2: no link followed, no mount crossed, O_NONBLOCK), every other
// entry (a link, FIFO, socket, device) is only unlinked, never opened. A directory
// whose owner left it without rwx is given them first (it must be ours). A directory
// deeper than `max_depth` is moved to `spill` (a fresh name beneath it) instead of
// descended into, so the caller can remove it as a tree of its own: the depth of a
// tree costs descriptors only up to the limit. Fails (naming the path) on a mount
// point, a foreign directory cordon cannot enter, or more than `max_entries` names;
// what is left stays in place. `removed` counts the names removed.
[[nodiscard]] Status remove_tree(const PinnedDir& dir, const std::string& name, const PinnedDir& spill,
                                 const RemoveLimits& limits, size_t& removed);

}  // namespace cordon
