// cordon: a message the command asked to send (sendto, sendmsg, one entry of sendmmsg),
// copied once from its memory into cordon's, so that the broker decides on, and sends,
// bytes the command can no longer change. Its descriptors (SCM_RIGHTS) are copied from
// the caller too (pidfd_getfd), so the numbers in its memory are read once as well.
//
//   CallerMessage m;
//   int err = read_msghdr(tid, addr, limit, m);      // or read_sendto(tid, args, limit, m)
//   if (!err) err = read_control(tid, family, m);    // SCM_RIGHTS copied; others checked
//   msghdr out = m.header();                         // for ::sendmsg in cordon
//
// Every error is the errno the kernel would give the caller for the same input, where the
// kernel has one; the broker's own limits are documented at each.
#pragma once

#include <linux/types.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "platform/linux/unique_fd.hpp"

namespace cordon {

// At most this much control data is read (beyond it: ENOBUFS, as the kernel answers a
// control buffer larger than net.core.optmem_max). 253 descriptors (SCM_MAX_FD) take 1 KiB.
constexpr size_t kControlLimit = 64 * 1024;

struct CallerMessage {
  sockaddr_storage name{};
  socklen_t name_len = 0;  // 0: no destination (the connected peer)
  uint64_t control_addr = 0;
  size_t control_len = 0;
  std::vector<char> data;     // the payload, read once
  std::vector<char> control;  // rebuilt by read_control: descriptors are cordon's copies
  std::vector<UniqueFd> rights;
  bool short_read = false;  // a stream send larger than the limit: only its start was read

  // A header for ::sendmsg over `data` and `control`, to `to` (len `to_len`) or, when
  // `to` is null, to the name as read.
  msghdr header(const void* to = nullptr, socklen_t to_len = 0);

 private:
  iovec iov_{};
};

// sendto(fd, buf, len, flags, dest, addrlen): `args` are the call's registers. At most
// `limit` bytes of payload are read; a larger datagram (`whole`) is EMSGSIZE, a larger
// stream send is cut to `limit` (a short count, as a non-blocking send may return).
int read_sendto(pid_t tid, const __u64* args, size_t limit, bool whole, CallerMessage& out);
// The msghdr at `addr` (sendmsg, or the msg_hdr of a sendmmsg entry): its name, its
// iovecs (at most UIO_MAXIOV, else EMSGSIZE) and their bytes, and where its control is.
int read_msghdr(pid_t tid, uint64_t addr, size_t limit, bool whole, CallerMessage& out);
// The control messages, read once and rebuilt: SCM_RIGHTS on a unix socket with the
// caller's descriptors copied (EBADF for one it does not hold); the IP/IPv6/UDP messages
// an unprivileged sender may use, copied as they are. Everything else is EPERM: the
// broker sends with cordon's credentials and capabilities, so a message that states
// credentials (SCM_CREDENTIALS) or needs a capability (SO_MARK, SO_PRIORITY, IP options)
// is refused rather than sent with more authority than the caller has.
int read_control(pid_t tid, int family, CallerMessage& out);

// The walk read_control() makes over control bytes already in cordon's memory: pure but
// for `take`, which copies the caller's descriptor `fd` (or sets `err`). Fuzzed
// (fuzz/control_fuzz.cpp).
using TakeFd = std::function<UniqueFd(int fd, int& err)>;
int rebuild_control(const std::vector<char>& raw, int family, const TakeFd& take, CallerMessage& out);

}  // namespace cordon
