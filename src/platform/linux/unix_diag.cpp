#include "platform/linux/unix_diag.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <functional>

namespace cordon {
namespace {

// Listening stream/seqpacket sockets and unconnected datagram sockets: what a connect()
// can reach (connected sockets, the bulk of a host's, are left out of the dump).
constexpr uint32_t kStates = (1U << 10) | (1U << 7);  // TCP_LISTEN, TCP_CLOSE

// Dumps the namespace's bound unix sockets; `match` sees each socket's inode and its
// attributes and returns true to stop. False when the dump failed.
bool dump(int diag, uint32_t show, const std::function<bool(uint32_t, const rtattr*, size_t)>& match,
          std::optional<uint32_t>& found) {
  struct {
    nlmsghdr nlh;
    unix_diag_req req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.req.sdiag_family = AF_UNIX;
  msg.req.udiag_states = kStates;
  msg.req.udiag_show = show;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(diag, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return false;
  alignas(nlmsghdr) char buf[32768];
  for (int rounds = 0; rounds < 100000; ++rounds) {
    const ssize_t n = ::recv(diag, buf, sizeof buf, 0);
    if (n <= 0) return false;
    size_t left = static_cast<size_t>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type == NLMSG_ERROR) return false;
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg)))
        continue;
      const auto* m = static_cast<const unix_diag_msg*>(NLMSG_DATA(h));
      const auto* attr = reinterpret_cast<const rtattr*>(m + 1);
      const size_t attr_len = h->nlmsg_len - NLMSG_LENGTH(sizeof(unix_diag_msg));
      // Keep reading to NLMSG_DONE even after a match, so the next dump starts clean.
      if (!found && match(m->udiag_ino, attr, attr_len)) found = m->udiag_ino;
    }
  }
  return false;
}

}  // namespace

UniqueFd open_unix_diag() {
  return UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
}

std::optional<uint32_t> bound_socket_at(int diag, dev_t dev, ino_t ino) {
  std::optional<uint32_t> found;
  auto match = [&](uint32_t, const rtattr* attr, size_t len) {
    for (; RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
      if (attr->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(attr) < sizeof(unix_diag_vfs)) continue;
      unix_diag_vfs v{};
      std::memcpy(&v, RTA_DATA(attr), sizeof v);
      // The kernel's dev_t (major << 20 | minor), not the one stat() encodes.
      if (v.udiag_vfs_ino == ino && (v.udiag_vfs_dev >> 20) == major(dev) &&
          (v.udiag_vfs_dev & 0xfffff) == minor(dev))
        return true;
    }
    return false;
  };
  if (!dump(diag, UDIAG_SHOW_VFS, match, found)) return std::nullopt;
  return found;
}

std::optional<uint32_t> abstract_socket_named(int diag, const std::string& name) {
  std::optional<uint32_t> found;
  auto match = [&](uint32_t, const rtattr* attr, size_t len) {
    for (; RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
      if (attr->rta_type != UNIX_DIAG_NAME) continue;
      const auto* p = static_cast<const char*>(RTA_DATA(attr));
      const size_t n = RTA_PAYLOAD(attr);
      if (n == name.size() + 1 && p[0] == '\0' && std::memcmp(p + 1, name.data(), name.size()) == 0)
        return true;
    }
    return false;
  };
  if (!dump(diag, UDIAG_SHOW_NAME, match, found)) return std::nullopt;
  return found;
}

std::optional<bool> tcp_listener_on(int diag, uint16_t port) {
  bool listening = false;
  for (const int family : {AF_INET, AF_INET6}) {
    struct {
      nlmsghdr nlh;
      inet_diag_req_v2 req;
    } msg{};
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.req.sdiag_family = static_cast<uint8_t>(family);
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = 1U << 10;  // TCP_LISTEN
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(diag, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
      return std::nullopt;
    alignas(nlmsghdr) char buf[16384];
    bool done = false;
    for (int rounds = 0; rounds < 100000 && !done; ++rounds) {
      const ssize_t n = ::recv(diag, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      size_t left = static_cast<size_t>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (h->nlmsg_type == NLMSG_ERROR) {
          // IPv6 absent (ipv6.disable=1): no IPv6 listener can exist.
          const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
          if (family == AF_INET6 && h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) &&
              (e->error == -ENOENT || e->error == -EAFNOSUPPORT)) {
            done = true;
            break;
          }
          return std::nullopt;
        }
        if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
          continue;
        const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
        // Read on to NLMSG_DONE even after a match, so the next dump starts clean.
        if (m->id.idiag_sport == htons(port)) listening = true;
      }
    }
    if (!done) return std::nullopt;
  }
  return listening;
}

}  // namespace cordon
