#include "platform/linux/caller.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/paths.hpp"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace cordon {
namespace {

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

// Read page by page: process_vm_readv stops at the first unreadable iovec, never mid-element.
bool read_string(pid_t pid, uint64_t addr, std::string& out) {
  if (addr == 0) return false;
  char buf[4096];
  iovec local{buf, sizeof buf};
  iovec remote[2];
  const uint64_t page = 4096;
  const uint64_t first = std::min<uint64_t>(page - (addr % page), sizeof buf);
  remote[0] = {reinterpret_cast<void*>(addr), first};
  remote[1] = {reinterpret_cast<void*>(addr + first), sizeof buf - first};
  ssize_t n = ::process_vm_readv(pid, &local, 1, remote, first < sizeof buf ? 2 : 1, 0);
  if (n <= 0) return false;
  const void* nul = std::memchr(buf, '\0', static_cast<size_t>(n));
  if (!nul) return false;
  out.assign(buf, static_cast<size_t>(static_cast<const char*>(nul) - buf));
  return true;
}

bool read_bytes(pid_t pid, uint64_t addr, void* out, size_t len) {
  if (addr == 0 || len == 0) return false;
  iovec local{out, len}, remote{reinterpret_cast<void*>(addr), len};
  return ::process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

bool write_bytes(pid_t pid, uint64_t addr, const void* in, size_t len) {
  if (addr == 0 || len == 0) return false;
  iovec local{const_cast<void*>(in), len}, remote{reinterpret_cast<void*>(addr), len};
  return ::process_vm_writev(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

bool signal_thread(pid_t tid, int sig) {
  constexpr unsigned kPidfdThread = O_EXCL;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, tid, kPidfdThread)));
  if (!pidfd.valid()) pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, tid, 0)));
  return pidfd.valid() && ::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) == 0;
}

std::string absolute_in(pid_t pid, int dirfd, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const std::string base = read_link("/proc/" + std::to_string(pid) +
                                     (dirfd == AT_FDCWD ? "/cwd" : "/fd/" + std::to_string(dirfd)));
  if (base.empty() || base[0] != '/') return {};  // a pipe, a socket, a deleted directory
  return paths::join(base, path);
}

bool exists_in(pid_t pid, const std::string& path) {
  const std::string p = "/proc/" + std::to_string(pid) + "/root" + path;
  return ::faccessat(AT_FDCWD, p.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

UniqueFd resolve_in_view(pid_t tid, const std::string& path, uint64_t open_flags, int& err) {
  return resolve_in_view(tid, -1, path, open_flags, err);
}

UniqueFd resolve_in_view(pid_t tid, int given_root, const std::string& path, uint64_t open_flags, int& err) {
  UniqueFd own;
  if (given_root < 0) {
    own.reset(::open(("/proc/" + std::to_string(tid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!own.valid()) {
      err = errno == ENOENT ? ESRCH : errno;
      return {};
    }
  }
  const int root = given_root < 0 ? own.get() : given_root;
  open_how how{};
  how.flags = open_flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 8; ++attempt) {  // EAGAIN: a rename raced a ".."
    UniqueFd pin(static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how)));
    if (pin.valid()) return pin;
    err = errno;
    if (err != EAGAIN) break;
  }
  return {};
}

UniqueFd take_fd(pid_t pid, int fd, int& err) {
  // The notification names a thread: its own pidfd (PIDFD_THREAD, Linux 6.9), whose
  // descriptor table is the one the call uses; else the process's (a leader's tid).
  constexpr unsigned kPidfdThread = O_EXCL;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, kPidfdThread)));
  if (!pidfd.valid()) pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) {
    err = errno;
    return {};
  }
  UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!copy.valid()) err = errno;
  return copy;
}

bool fd_cloexec_in(pid_t pid, int fd) {
  UniqueFd info(::open(("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd)).c_str(),
                       O_RDONLY | O_CLOEXEC));
  if (!info.valid()) return false;
  char buf[512];
  const ssize_t n = ::read(info.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* flags = std::strstr(buf, "flags:");
  return flags && (std::strtoul(flags + 6, nullptr, 8) & O_CLOEXEC) != 0;
}

}  // namespace cordon
