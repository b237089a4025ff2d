#include "platform/linux/dial.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#ifndef SECCOMP_ADDFD_FLAG_SETFD
#define SECCOMP_ADDFD_FLAG_SETFD (1UL << 0)
#endif

namespace cordon {
namespace {

struct CopiedOption {
  int level;
  int name;
  bool halved;  // the kernel doubles what is set (SO_RCVBUF, SO_SNDBUF): set half of what is read
};

// Options a program sets before connect() that change how the connection behaves, and
// that an unprivileged process may set itself. Only a value that differs from a fresh
// socket's is copied: a buffer size copied unasked would lock it and end autotuning.
constexpr CopiedOption kSocketOptions[] = {
    {SOL_SOCKET, SO_KEEPALIVE, false},      {SOL_SOCKET, SO_RCVBUF, true},
    {SOL_SOCKET, SO_SNDBUF, true},          {SOL_SOCKET, SO_RCVLOWAT, false},
    {SOL_SOCKET, SO_OOBINLINE, false},      {IPPROTO_TCP, TCP_NODELAY, false},
    {IPPROTO_TCP, TCP_CORK, false},         {IPPROTO_TCP, TCP_KEEPIDLE, false},
    {IPPROTO_TCP, TCP_KEEPINTVL, false},    {IPPROTO_TCP, TCP_KEEPCNT, false},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, false}, {IPPROTO_TCP, TCP_SYNCNT, false},
    {IPPROTO_TCP, TCP_MAXSEG, false},       {IPPROTO_TCP, TCP_NOTSENT_LOWAT, false},
    {IPPROTO_TCP, TCP_WINDOW_CLAMP, false},
};
constexpr CopiedOption kV4Options[] = {{IPPROTO_IP, IP_TOS, false}, {IPPROTO_IP, IP_TTL, false}};
constexpr CopiedOption kV6Options[] = {{IPPROTO_IPV6, IPV6_TCLASS, false},
                                       {IPPROTO_IPV6, IPV6_UNICAST_HOPS, false},
                                       {IPPROTO_IPV6, IPV6_V6ONLY, false}};

void copy_int(int theirs, int ours, const CopiedOption& o) {
  int want = 0, have = 0;
  socklen_t wl = sizeof want, hl = sizeof have;
  if (::getsockopt(theirs, o.level, o.name, &want, &wl) != 0 ||
      ::getsockopt(ours, o.level, o.name, &have, &hl) != 0 || want == have)
    return;
  const int value = o.halved ? want / 2 : want;
  (void)::setsockopt(ours, o.level, o.name, &value, sizeof value);  // best effort, as the command's own
}

template <typename T>
void copy_struct(int theirs, int ours, int level, int name) {
  T want{}, have{};
  socklen_t wl = sizeof want, hl = sizeof have;
  if (::getsockopt(theirs, level, name, &want, &wl) != 0 ||
      ::getsockopt(ours, level, name, &have, &hl) != 0 || std::memcmp(&want, &have, sizeof want) == 0)
    return;
  (void)::setsockopt(ours, level, name, &want, sizeof want);
}

}  // namespace

Result<UniqueFd> socket_like(int theirs, int family, bool nonblocking) {
  UniqueFd s(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), IPPROTO_TCP));
  if (!s.valid()) return os_error("socket", family == AF_INET6 ? "AF_INET6" : "AF_INET", errno);
  for (const auto& o : kSocketOptions) copy_int(theirs, s.get(), o);
  if (family == AF_INET)
    for (const auto& o : kV4Options) copy_int(theirs, s.get(), o);
  else
    for (const auto& o : kV6Options) copy_int(theirs, s.get(), o);
  copy_struct<linger>(theirs, s.get(), SOL_SOCKET, SO_LINGER);
  // SO_SNDTIMEO also bounds a blocking connect, as it would the command's own.
  copy_struct<timeval>(theirs, s.get(), SOL_SOCKET, SO_SNDTIMEO);
  copy_struct<timeval>(theirs, s.get(), SOL_SOCKET, SO_RCVTIMEO);
  return s;
}

int connect_dialled(int sock, const sockaddr_storage& to, socklen_t len) {
  return ::connect(sock, reinterpret_cast<const sockaddr*>(&to), len) == 0 ? 0 : errno;
}

int install_in_place(int listener, uint64_t id, int sock, int target_fd, bool cloexec) {
  seccomp_notif_addfd add{};
  add.id = id;
  add.flags = SECCOMP_ADDFD_FLAG_SETFD;
  add.srcfd = static_cast<uint32_t>(sock);
  add.newfd = static_cast<uint32_t>(target_fd);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0 ? 0 : errno;
}

Result<PreparedDial> prepare_dial(int theirs, int family, pid_t tid, int target_fd) {
  PreparedDial d;
  const int status = ::fcntl(theirs, F_GETFL);
  d.nonblocking = status >= 0 && (status & O_NONBLOCK) != 0;
  auto s = socket_like(theirs, family, d.nonblocking);
  if (!s) return s.error();
  d.sock = std::move(*s);
  d.target_fd = target_fd;
  d.cloexec = caller_fd_cloexec(tid, target_fd);
  return d;
}

int complete_dial(int listener, uint64_t id, const PreparedDial& d, const sockaddr_storage& to,
                  socklen_t len) {
  const int err = connect_dialled(d.sock.get(), to, len);
  if (err != 0 && !(err == EINPROGRESS && d.nonblocking)) return err;
  const int installed = install_in_place(listener, id, d.sock.get(), d.target_fd, d.cloexec);
  if (installed != 0) return installed == ENOENT ? EINTR : installed;  // ENOENT: the caller went away
  return err;
}

bool caller_fd_cloexec(pid_t tid, int fd) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", static_cast<int>(tid), fd);
  UniqueFd f(::open(path, O_RDONLY | O_CLOEXEC));
  char buf[256];
  const ssize_t n = f.valid() ? ::read(f.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return true;  // unknown: close-on-exec, the safer guess
  buf[n] = '\0';
  const char* flags = std::strstr(buf, "flags:");
  if (!flags) return true;
  const unsigned long value = std::strtoul(flags + 6, nullptr, 8);
  return (value & O_CLOEXEC) != 0;
}

}  // namespace cordon
