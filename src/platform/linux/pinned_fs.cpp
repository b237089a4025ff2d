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

}  // namespace cordon
