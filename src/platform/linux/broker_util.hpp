// cordon: small helpers shared by the broker's halves (broker.cpp: connect, socket,
// listen; broker_send.cpp: sendto, sendmsg, sendmmsg).
#pragma once

#include <arpa/inet.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace cordon::broker_util {

inline int fd_arg(uint64_t v) {
  return static_cast<int>(static_cast<int32_t>(v));
}

// The caller may have been interrupted and its memory reused: only a notification that
// is still pending vouches for what was read.
inline bool still_pending(int listener, uint64_t id) {
  return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

// An IPv4/IPv6 destination read once from the caller: the address as text, whether
// it is loopback, and the port. False for other families.
inline bool inet_destination(const sockaddr_storage& sa, size_t len, std::string& text, bool& loopback,
                             uint16_t& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in v4{};
    std::memcpy(&v4, &sa, sizeof v4);
    loopback = (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
    port = ntohs(v4.sin_port);
    ::inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
  } else if (sa.ss_family == AF_INET6 && len >= 24) {  // SIN6_LEN_RFC2133: the kernel takes it (no scope id)
    sockaddr_in6 v6{};
    std::memcpy(&v6, &sa, sizeof v6);
    const uint8_t* b = v6.sin6_addr.s6_addr;
    loopback = IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr) || (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr) && b[12] == 127);
    port = ntohs(v6.sin6_port);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof buf);
  } else {
    return false;
  }
  text = buf;
  return true;
}

}  // namespace cordon::broker_util
