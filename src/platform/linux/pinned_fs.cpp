#include "platform/linux/pinned_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

namespace cordon {
namespace {

// uapi <linux/openat2.h>, defined here so the build does not need new kernel headers.
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
constexpr uint64_t kResolveNoXdev = 0x01;
constexpr uint64_t kResolveNoMagiclinks = 0x02;
constexpr uint64_t kResolveNoSymlinks = 0x04;
constexpr uint64_t kResolveBeneath = 0x08;

bool is_single_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

std::string join(const PinnedDir& dir, const std::string& relative) {
  return dir.path() + "/" + relative;
}

}  // namespace

// openat2 beneath dir. O_PATH admits only O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC beside it.
int openat2_beneath(int dirfd, const std::string& relative, int flags, mode_t mode) {
  OpenHow how{};
  if ((flags & O_PATH) != 0)
    how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
  else
    how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = kResolveBeneath | kResolveNoSymlinks | kResolveNoMagiclinks | kResolveNoXdev;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dirfd, relative.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));  // EAGAIN: a concurrent rename, retry
  return static_cast<int>(fd);
}

namespace {

// An error naming the call, with a detail that says why cordon refused.
Error refused(const char* call, const std::string& path, int code, std::string detail) {
  Error e = os_error(call, path, code);
  e.detail = std::move(detail);
  return e;
}

const char* hint_for(int code) {
  return code == ENOSYS ? "openat2() needs Linux 5.6 or newer; cordon does not fall back to following links"
                        : "";
}

// Opens a regular file with exactly one link: checked before opening (a device or FIFO
// is never opened) and again on the descriptor (the name may have changed in between).
Result<UniqueFd> open_regular(const PinnedDir& dir, const std::string& name, int flags) {
  auto before = stat_entry(dir, name);
  if (!before) return before.error();
  if (!S_ISREG(before->st_mode)) return refused("open", join(dir, name), EINVAL, "not a regular file");
  auto fd = open_beneath(dir, name, flags);
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return os_error("fstat", join(dir, name), errno);
  if (!S_ISREG(st.st_mode) || st.st_ino != before->st_ino || st.st_dev != before->st_dev)
    return refused("open", join(dir, name), EINVAL, "changed while it was being opened");
  if (st.st_nlink != 1) return refused("open", join(dir, name), EMLINK, "a hard-linked file is not touched");
  return fd;
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

Result<PinnedDir> PinnedDir::open(const std::string& path) {
  PinnedDir d;
  d.fd_.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!d.fd_.valid()) return os_error("open(O_PATH)", path, errno);
  d.path_ = path;
  return d;
}

Result<PinnedDir> PinnedDir::open_without_links(const std::string& path) {
  OpenHow how{};
  how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = kResolveNoSymlinks | kResolveNoMagiclinks;
  PinnedDir d;
  d.fd_.reset(static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how)));
  if (!d.fd_.valid()) return os_error("openat2", path, errno, hint_for(errno));
  d.path_ = path;
  return d;
}

Result<PinnedDir> PinnedDir::subdir(const std::string& relative) const {
  PinnedDir d;
  d.fd_.reset(openat2_beneath(fd(), relative, O_PATH | O_DIRECTORY, 0));
  if (!d.fd_.valid()) return os_error("openat2", join(*this, relative), errno, hint_for(errno));
  d.path_ = join(*this, relative);
  return d;
}

Result<UniqueFd> open_beneath(const PinnedDir& dir, const std::string& relative, int flags, mode_t mode) {
  UniqueFd fd(openat2_beneath(dir.fd(), relative, flags, mode));
  if (!fd.valid()) return os_error("openat2", join(dir, relative), errno, hint_for(errno));
  return fd;
}

Result<struct stat> stat_entry(const PinnedDir& dir, const std::string& name) {
  if (!is_single_name(name)) return refused("fstatat", join(dir, name), EINVAL, "not a single name");
  struct stat st {};
  if (::fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return os_error("fstatat", join(dir, name), errno);
  return st;
}

Result<std::vector<std::string>> list_entries(const PinnedDir& dir, size_t max_entries) {
  auto fd = open_beneath(dir, ".", O_RDONLY | O_DIRECTORY);
  if (!fd) return fd.error();
  std::unique_ptr<DIR, DirCloser> d(::fdopendir(fd->get()));
  if (!d) return os_error("fdopendir", dir.path(), errno);
  fd->release();  // owned by the DIR now
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (names.size() >= max_entries)
      return refused("readdir", dir.path(), E2BIG, "more entries than cordon inspects");
    names.push_back(name);
    errno = 0;
  }
  if (errno != 0) return os_error("readdir", dir.path(), errno);
  return names;
}

Result<std::string> read_regular(const PinnedDir& dir, const std::string& name, size_t cap) {
  auto fd = open_regular(dir, name, O_RDONLY);
  if (!fd) return fd.error();
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error("read", join(dir, name), errno);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > cap)
      return refused("read", join(dir, name), EFBIG, "larger than " + std::to_string(cap) + " bytes");
  }
}

Status replace_file(const PinnedDir& dir, const std::string& name, const std::string& content, mode_t mode) {
  if (!is_single_name(name)) return refused("rename", join(dir, name), EINVAL, "not a single name");
  // A fresh name the command cannot have pre-created: random, and retried on EEXIST.
  std::string tmp;
  Result<UniqueFd> fd = Error{};
  for (int attempt = 0; attempt < 16; ++attempt) {
    uint64_t nonce = 0;
    if (::getrandom(&nonce, sizeof nonce, 0) != static_cast<ssize_t>(sizeof nonce))
      return os_error("getrandom", join(dir, name), errno);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(nonce));
    tmp = name + ".cordon-new." + hex;
    fd = open_beneath(dir, tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd || fd.error().code != EEXIST) break;
  }
  if (!fd) return fd.error();
  auto fail = [&](const char* call, int code) {
    ::unlinkat(dir.fd(), tmp.c_str(), 0);
    return os_error(call, join(dir, tmp), code);
  };
  if (::fchmod(fd->get(), mode) != 0) return fail("fchmod", errno);  // not narrowed by the umask
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd->get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd->get()) != 0) return fail("fsync", errno);
  if (::renameat(dir.fd(), tmp.c_str(), dir.fd(), name.c_str()) != 0) return fail("renameat", errno);
  // The rename itself must survive a crash, or the old file comes back.
  if (auto d = open_beneath(dir, ".", O_RDONLY | O_DIRECTORY); d) ::fsync(d->get());
  return Ok{};
}

Result<std::string> rename_away(const PinnedDir& dir, const std::string& name, const std::string& suffix) {
  if (!is_single_name(name)) return refused("renameat2", join(dir, name), EINVAL, "not a single name");
  constexpr int kAttempts = 100;
  for (int i = 0; i < kAttempts; ++i) {
    const std::string to = name + suffix + (i == 0 ? "" : "." + std::to_string(i));
    if (::renameat2(dir.fd(), name.c_str(), dir.fd(), to.c_str(), RENAME_NOREPLACE) == 0) return to;
    if (errno != EEXIST) return os_error("renameat2", join(dir, name), errno);
  }
  return refused("renameat2", join(dir, name), EEXIST,
                 std::to_string(kAttempts) + " names taken: something pre-created them");
}

Status remove_empty_dir(const PinnedDir& dir, const std::string& name) {
  if (!is_single_name(name)) return refused("unlinkat", join(dir, name), EINVAL, "not a single name");
  if (::unlinkat(dir.fd(), name.c_str(), AT_REMOVEDIR) != 0)
    return os_error("unlinkat", join(dir, name), errno);
  return Ok{};
}

namespace {

// fchmodat2 (Linux 6.6) acts on the O_PATH descriptor itself (AT_EMPTY_PATH); before
// it, /proc/self/fd/N names that same inode. The syscall number is the same on every
// architecture.
constexpr long kSysFchmodat2 = 452;

int chmod_pinned(int fd, mode_t mode) {
  if (::syscall(kSysFchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0) return 0;
  if (errno != ENOSYS) return -1;
  return ::chmod(("/proc/self/fd/" + std::to_string(fd)).c_str(), mode);
}

std::string random_hex() {
  uint64_t nonce = 0;
  if (::getrandom(&nonce, sizeof nonce, 0) != static_cast<ssize_t>(sizeof nonce)) nonce = ::getpid();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(nonce));
  return hex;
}

// One directory of the tree being removed: its descriptor and the names listed in it.
struct Level {
  UniqueFd fd;  // O_RDONLY | O_DIRECTORY, opened beneath the level above
  std::string name;
  std::string path;  // for messages
  std::vector<std::string> names;
  size_t next = 0;
  int listings = 0;
};

// Lists `level` again from the start, counting the names against the budget.
Status list_level(Level& level, size_t& listed, size_t max_entries) {
  UniqueFd fd(openat2_beneath(level.fd.get(), ".", O_RDONLY | O_DIRECTORY, 0));
  if (!fd.valid()) return os_error("openat2", level.path, errno, hint_for(errno));
  std::unique_ptr<DIR, DirCloser> d(::fdopendir(fd.get()));
  if (!d) return os_error("fdopendir", level.path, errno);
  fd.release();  // owned by the DIR now
  level.names.clear();
  level.next = 0;
  ++level.listings;
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (++listed > max_entries)
      return refused("readdir", level.path, E2BIG,
                     "more than " + std::to_string(max_entries) + " names in the tree: left in place");
    level.names.push_back(name);
    errno = 0;
  }
  if (errno != 0) return os_error("readdir", level.path, errno);
  return Ok{};
}

// Opens the directory `name` beneath `parent` for listing. Pinned by O_PATH first: a
// directory the command left without read or write permission is checked and given
// them on the very inode that is then opened.
Result<Level> enter(int parent, const std::string& name, const std::string& path) {
  UniqueFd pin(openat2_beneath(parent, name, O_PATH | O_DIRECTORY, 0));
  if (!pin.valid())
    return refused("openat2", path, errno,
                   errno == EXDEV   ? "a mount point: not descended into"
                   : errno == ELOOP ? "a symlink appeared in place of a directory: not followed"
                                    : hint_for(errno));
  struct stat st {};
  if (::fstat(pin.get(), &st) != 0) return os_error("fstat", path, errno);
  if ((st.st_mode & 0700) != 0700 && ::geteuid() != 0) {
    if (st.st_uid != ::geteuid()) return refused("chmod", path, EACCES, "a directory of another user");
    if (chmod_pinned(pin.get(), (st.st_mode & 07777) | 0700) != 0) return os_error("fchmodat2", path, errno);
  }
  Level level;
  level.fd.reset(openat2_beneath(pin.get(), ".", O_RDONLY | O_DIRECTORY, 0));
  if (!level.fd.valid()) return os_error("openat2", path, errno, hint_for(errno));
  level.name = name;
  level.path = path;
  return level;
}

}  // namespace

Status remove_tree(const PinnedDir& dir, const std::string& name, const PinnedDir& spill,
                   const RemoveLimits& limits, size_t& removed) {
  if (!is_single_name(name)) return refused("unlinkat", join(dir, name), EINVAL, "not a single name");
  auto top = stat_entry(dir, name);
  if (!top) return top.error();
  if (!S_ISDIR(top->st_mode)) {
    if (::unlinkat(dir.fd(), name.c_str(), 0) != 0) return os_error("unlinkat", join(dir, name), errno);
    ++removed;
    return Ok{};
  }
  size_t listed = 0;
  std::vector<Level> stack;
  auto descend = [&](int parent, const std::string& n, const std::string& path) -> Status {
    auto level = enter(parent, n, path);
    if (!level) return level.error();
    if (auto st = list_level(*level, listed, limits.max_entries); !st) return st;
    stack.push_back(std::move(*level));
    return Ok{};
  };
  if (auto st = descend(dir.fd(), name, join(dir, name)); !st) return st;
  while (!stack.empty()) {
    Level& level = stack.back();
    if (level.next < level.names.size()) {
      const std::string n = level.names[level.next++];
      const std::string path = level.path + "/" + n;
      struct stat st {};
      if (::fstatat(level.fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed meanwhile
        return os_error("fstatat", path, errno);
      }
      if (!S_ISDIR(st.st_mode)) {
        // Only the name goes: a link is not followed, a FIFO or device never opened.
        if (::unlinkat(level.fd.get(), n.c_str(), 0) != 0 && errno != ENOENT)
          return refused("unlinkat", path, errno, errno == EBUSY ? "a mount point" : "");
        ++removed;
        continue;
      }
      if (stack.size() >= static_cast<size_t>(limits.max_depth)) {
        // Too deep to hold a descriptor per level: moved aside, removed as a tree of its own.
        const std::string to = "deep." + random_hex();
        if (::renameat2(level.fd.get(), n.c_str(), spill.fd(), to.c_str(), RENAME_NOREPLACE) != 0)
          return os_error("renameat2", path, errno);
        continue;
      }
      if (auto entered = descend(level.fd.get(), n, path); !entered) return entered;
      continue;
    }
    // Every listed name is gone: the directory itself, from its parent's descriptor.
    const int parent = stack.size() >= 2 ? stack[stack.size() - 2].fd.get() : dir.fd();
    if (::unlinkat(parent, level.name.c_str(), AT_REMOVEDIR) == 0) {
      ++removed;
      stack.pop_back();
      continue;
    }
    // Written to meanwhile (a process of the run still alive): listed again, a few times.
    if (errno != ENOTEMPTY || level.listings >= 4)
      return refused("unlinkat", level.path, errno,
                     errno == ENOTEMPTY ? "something keeps writing into it"
                     : errno == EBUSY   ? "a mount point"
                                        : "");
    if (auto st = list_level(level, listed, limits.max_entries); !st) return st;
  }
  return Ok{};
}

}  // namespace cordon
