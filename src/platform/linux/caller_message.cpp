#include "platform/linux/caller_message.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "platform/linux/caller.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace cordon {
namespace {

constexpr size_t kMaxIov = 1024;    // UIO_MAXIOV
constexpr size_t kMaxRights = 253;  // SCM_MAX_FD
constexpr uint64_t kUserTop = uint64_t{1} << 56;

// The name at `addr`, `len` bytes as the caller gave them (move_addr_to_kernel for
// sendto: EINVAL beyond a sockaddr_storage; __copy_msghdr for sendmsg: cut to one).
int read_name(pid_t tid, uint64_t addr, int64_t len, bool cut, CallerMessage& out) {
  if (addr == 0 || len == 0) return 0;  // no destination: the connected peer
  if (len < 0) return EINVAL;
  if (len > static_cast<int64_t>(sizeof out.name)) {
    if (!cut) return EINVAL;
    len = sizeof out.name;
  }
  if (!read_bytes(tid, addr, &out.name, static_cast<size_t>(len))) return EFAULT;
  out.name_len = static_cast<socklen_t>(len);
  return 0;
}

// The payload behind `iov` (already in cordon's memory), read in one process_vm_readv.
int read_payload(pid_t tid, std::vector<iovec> iov, size_t limit, bool whole, CallerMessage& out) {
  size_t total = 0;
  for (auto& v : iov) {
    if (static_cast<ssize_t>(v.iov_len) < 0) return EINVAL;  // as import_iovec
    // As access_ok() there, before any limit: a range past the user half is EFAULT (the
    // bound is 57-bit paging's; a 4-level kernel says EFAULT from 2^47, where this
    // gives EMSGSIZE: an error either way).
    const uint64_t base = reinterpret_cast<uint64_t>(v.iov_base);
    if (v.iov_len > kUserTop || base > kUserTop - v.iov_len) return EFAULT;
    if (v.iov_len > limit - total) {
      if (whole) return EMSGSIZE;  // a datagram is sent whole or not at all
      v.iov_len = limit - total;
      out.short_read = true;
    }
    total += v.iov_len;
  }
  out.data.resize(total);
  if (total == 0) return 0;
  std::erase_if(iov, [](const iovec& v) { return v.iov_len == 0; });
  iovec local{out.data.data(), total};
  const ssize_t n = ::process_vm_readv(tid, &local, 1, iov.data(), iov.size(), 0);
  return n == static_cast<ssize_t>(total) ? 0 : n < 0 && errno == ESRCH ? ESRCH : EFAULT;
}

bool allowed_as_is(int family, int level, int type) {
  if (family == AF_INET && level == IPPROTO_IP) return type == IP_PKTINFO || type == IP_TTL || type == IP_TOS;
  if (family == AF_INET6 && level == IPPROTO_IPV6)
    return type == IPV6_PKTINFO || type == IPV6_HOPLIMIT || type == IPV6_TCLASS || type == IPV6_DONTFRAG;
  if (family == AF_INET6 && level == IPPROTO_IP)
    return type == IP_PKTINFO || type == IP_TTL || type == IP_TOS;
  return (family == AF_INET || family == AF_INET6) && level == IPPROTO_UDP && type == UDP_SEGMENT;
}

}  // namespace

msghdr CallerMessage::header(const void* to, socklen_t to_len) {
  iov_ = {data.data(), data.size()};
  msghdr h{};
  if (to) {
    h.msg_name = const_cast<void*>(to);
    h.msg_namelen = to_len;
  } else if (name_len > 0) {
    h.msg_name = &name;
    h.msg_namelen = name_len;
  }
  h.msg_iov = &iov_;
  h.msg_iovlen = 1;
  if (!control.empty()) {
    h.msg_control = control.data();
    h.msg_controllen = control.size();
  }
  return h;
}

int read_sendto(pid_t tid, const __u64* args, size_t limit, bool whole, CallerMessage& out) {
  // As __sys_sendto: a length above INT_MAX is INT_MAX.
  const size_t len = std::min<uint64_t>(args[2], INT_MAX);
  if (int err = read_name(tid, args[4], static_cast<int32_t>(args[5]), false, out)) return err;
  std::vector<iovec> iov{{reinterpret_cast<void*>(args[1]), len}};
  return read_payload(tid, std::move(iov), limit, whole, out);
}

int read_msghdr(pid_t tid, uint64_t addr, size_t limit, bool whole, CallerMessage& out) {
  msghdr h{};
  if (!read_bytes(tid, addr, &h, sizeof h)) return EFAULT;
  const int32_t name_len = static_cast<int32_t>(h.msg_namelen);  // an int in the kernel
  if (h.msg_name && name_len < 0) return EINVAL;
  if (int err = read_name(tid, reinterpret_cast<uint64_t>(h.msg_name), name_len, true, out)) return err;
  if (h.msg_iovlen > kMaxIov) return EMSGSIZE;
  std::vector<iovec> iov(h.msg_iovlen);
  if (!iov.empty() &&
      !read_bytes(tid, reinterpret_cast<uint64_t>(h.msg_iov), iov.data(), iov.size() * sizeof(iovec)))
    return EFAULT;
  if (h.msg_controllen > INT_MAX || h.msg_controllen > kControlLimit) return ENOBUFS;
  out.control_addr = reinterpret_cast<uint64_t>(h.msg_control);
  out.control_len = h.msg_control ? h.msg_controllen : 0;
  return read_payload(tid, std::move(iov), limit, whole, out);
}

int read_control(pid_t tid, int family, CallerMessage& out) {
  if (out.control_len == 0) return 0;
  std::vector<char> raw(out.control_len);
  if (!read_bytes(tid, out.control_addr, raw.data(), raw.size())) return EFAULT;
  return rebuild_control(
      raw, family, [tid](int fd, int& err) { return take_fd(tid, fd, err); }, out);
}

int rebuild_control(const std::vector<char>& raw, int family, const TakeFd& take, CallerMessage& out) {
  // Walked as the kernel walks it (__scm_send): a header that does not fit ends the walk;
  // a length shorter than a header or past the end is EINVAL.
  size_t at = 0;
  while (raw.size() - at >= sizeof(cmsghdr)) {
    cmsghdr c{};
    std::memcpy(&c, raw.data() + at, sizeof c);
    if (c.cmsg_len < sizeof(cmsghdr) || c.cmsg_len > raw.size() - at) return EINVAL;
    const char* body = raw.data() + at + CMSG_LEN(0);
    const size_t body_len = c.cmsg_len - CMSG_LEN(0);
    if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_RIGHTS) {
      if (family != AF_UNIX) return EINVAL;  // as the kernel: unix sockets only
      const size_t count = body_len / sizeof(int);
      if (count > kMaxRights) return EINVAL;
      std::vector<int> mine;
      for (size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, body + i * sizeof(int), sizeof fd);
        int err = 0;
        UniqueFd copy = take(fd, err);
        if (!copy.valid()) return err == ESRCH ? ESRCH : EBADF;
        mine.push_back(copy.get());
        out.rights.push_back(std::move(copy));
      }
      if (!mine.empty()) {
        const size_t start = out.control.size();
        out.control.resize(start + CMSG_SPACE(mine.size() * sizeof(int)));
        cmsghdr m{};
        m.cmsg_len = CMSG_LEN(mine.size() * sizeof(int));
        m.cmsg_level = SOL_SOCKET;
        m.cmsg_type = SCM_RIGHTS;
        std::memcpy(out.control.data() + start, &m, sizeof m);
        std::memcpy(out.control.data() + start + CMSG_LEN(0), mine.data(), mine.size() * sizeof(int));
      }
    } else if (allowed_as_is(family, c.cmsg_level, c.cmsg_type)) {
      const size_t start = out.control.size();
      out.control.resize(start + CMSG_SPACE(body_len));
      std::memcpy(out.control.data() + start, raw.data() + at, c.cmsg_len);
    } else {
      return EPERM;
    }
    const size_t step = CMSG_ALIGN(c.cmsg_len);
    if (step > raw.size() - at) break;
    at += step;
  }
  return 0;
}

}  // namespace cordon
