#include "platform/linux/net_child.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace cordon {
namespace {

constexpr int kMaxListeners = 64;  // per address family; SCM_RIGHTS carries at most 253 descriptors

bool loopback_up(const ChildReporter& rep) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return rep.fail("network", "socket(AF_INET)", "lo");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    ok = ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  }
  int err = errno;
  ::close(s);
  return ok || rep.fail("network", "ioctl(SIOCSIFFLAGS)", "lo", err);
}

// A listener on 127.0.0.1:port, or on [::1]:port with `v6`.
int listen_on(uint16_t port, bool v6 = false) {
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_addr = in6addr_loopback;
  if (v6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  const bool bound = v6 ? ::bind(fd, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6) == 0
                        : ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
  if (!bound || ::listen(fd, 1024) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// The sandbox's name server address, port 53 (bound while we hold CAP_NET_BIND_SERVICE
// in the namespace; nothing inside can take it afterwards).
int dns_socket(bool v6) {
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(53);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(53);
  sin6.sin6_addr = in6addr_loopback;
  int one = 1;
  if (v6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  const bool bound = v6 ? ::bind(fd, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6) == 0
                        : ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
  if (!bound) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool net_child_setup(const NetPlan& plan, int sock, const ChildReporter& rep, NetChildSockets& out) {
  if (!loopback_up(rep)) return false;
  // The sandbox's name server: "no such name" with the network off; with the proxy, the
  // direct route's answers for allowed names (platform/linux/direct_route.hpp).
  out.dns[0] = dns_socket(false);
  out.dns[1] = dns_socket(true);
  if (sock < 0) return true;  // network off: the loopback is the sandbox's own, nothing is forwarded
  int fds[2 * kMaxListeners];
  uint16_t ports[kMaxListeners];
  int count = 0;
  bool ok = true;
  auto add = [&](uint16_t port) {
    if (!ok) return;
    if (count == kMaxListeners) {
      ok = rep.fail("network", "listen", "too many --allow-localhost ports", E2BIG);
      return;
    }
    int fd = listen_on(port);
    if (fd < 0) {
      char arg[32];
      std::snprintf(arg, sizeof arg, "127.0.0.1:%u", static_cast<unsigned>(port));
      ok = rep.fail("network", "bind/listen", arg);
      return;
    }
    ports[count] = port;
    fds[count++] = fd;
  };
  add(plan.http_port);
  add(plan.socks_port);
  for (uint16_t p : plan.localhost_ports) add(p);
  // The same listeners on [::1], for tools that resolve "localhost" to ::1 first. All
  // or none (a host without IPv6 has no ::1): the parent tells by the count.
  const int v4_count = count;
  for (int i = 0; ok && i < v4_count; ++i) {
    int fd = listen_on(ports[i], true);
    if (fd < 0) {
      while (count > v4_count) ::close(fds[--count]);
      break;
    }
    fds[count++] = fd;
  }
  if (ok) {
    char byte = 'L';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 2 * kMaxListeners)];
    std::memset(control, 0, sizeof control);
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * static_cast<size_t>(count));
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * static_cast<size_t>(count));
    std::memcpy(CMSG_DATA(cm), fds, sizeof(int) * static_cast<size_t>(count));
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) ok = rep.fail("network", "sendmsg(SCM_RIGHTS)", "listeners");
  }
  // The parent holds them now; nothing in the sandbox keeps a copy.
  for (int i = 0; i < count; ++i) ::close(fds[i]);
  ::close(sock);
  return ok;
}

}  // namespace cordon
