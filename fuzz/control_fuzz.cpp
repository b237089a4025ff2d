// Fuzzes the broker's walk over a command's control messages (platform/linux/
// caller_message.hpp: rebuild_control), the bytes a sandboxed sendmsg() hands cordon.
//
// The first input byte picks the socket's family (unix, IPv4, IPv6, netlink); the rest
// is the control buffer. Besides the sanitizers, it checks the walk's promises: success
// or one of the errnos it documents; on success the rebuilt buffer is a well-formed
// sequence of whole messages, each SCM_RIGHTS one holding exactly the descriptors it took
// (for a unix socket only), and nothing else but the IP messages it lets through.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "platform/linux/caller_message.hpp"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
  const int family = families[data[0] % 4];
  std::vector<char> raw(reinterpret_cast<const char*>(data + 1), reinterpret_cast<const char*>(data + size));
  size_t taken = 0;
  // Descriptors 0..63 "exist" (a copy of /dev/null); others are EBADF.
  auto take = [&](int fd, int& err) {
    if (fd < 0 || fd > 63) {
      err = EBADF;
      return cordon::UniqueFd();
    }
    ++taken;
    return cordon::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  };
  cordon::CallerMessage out;
  const int err = cordon::rebuild_control(raw, family, take, out);
  require(err == 0 || err == EINVAL || err == EPERM || err == EBADF, "an undocumented errno");
  require(out.rights.size() == taken, "every descriptor taken is kept until the send");
  if (err != 0) return 0;
  require(family == AF_UNIX || out.rights.empty(), "descriptors only on a unix socket");
  size_t at = 0, in_rights = 0;
  while (at < out.control.size()) {
    require(out.control.size() - at >= sizeof(cmsghdr), "a whole header");
    cmsghdr c{};
    std::memcpy(&c, out.control.data() + at, sizeof c);
    require(c.cmsg_len >= CMSG_LEN(0) && c.cmsg_len <= out.control.size() - at, "a length inside the buffer");
    if (c.cmsg_level == SOL_SOCKET) {
      require(c.cmsg_type == SCM_RIGHTS, "only SCM_RIGHTS at SOL_SOCKET");
      const size_t n = (c.cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < n; ++i) {
        int fd = -1;
        std::memcpy(&fd, out.control.data() + at + CMSG_LEN(0) + i * sizeof(int), sizeof fd);
        require(in_rights < out.rights.size() && fd == out.rights[in_rights].get(),
                "cordon's own copies, in order");
        ++in_rights;
      }
    } else {
      require(c.cmsg_level == IPPROTO_IP || c.cmsg_level == IPPROTO_IPV6 || c.cmsg_level == IPPROTO_UDP,
              "only the IP messages let through");
      require(family == AF_INET || family == AF_INET6, "IP messages on IP sockets only");
    }
    at += CMSG_SPACE(c.cmsg_len - CMSG_LEN(0));
  }
  require(in_rights == out.rights.size(), "every copy is in the rebuilt buffer");
  return 0;
}
