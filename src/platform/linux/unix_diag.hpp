// cordon: which unix socket is bound where, from the kernel's socket diagnostics
// (NETLINK_SOCK_DIAG, UNIX_DIAG with UDIAG_SHOW_VFS). A diag socket answers for the
// network namespace it was made in: made inside the sandbox's own namespace, it lists
// only sockets created inside.
//
//   UniqueFd diag = open_unix_diag();                  // in the namespace to ask about
//   auto ino = bound_socket_at(diag.get(), st.st_dev, st.st_ino);   // the listener's inode
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "platform/linux/unique_fd.hpp"

namespace cordon {

UniqueFd open_unix_diag();

// The socket inode of the listening (or datagram) unix socket bound to the file system
// node (dev, ino), in the diag socket's network namespace; nullopt when there is none
// or the query failed (callers fail closed).
std::optional<uint32_t> bound_socket_at(int diag, dev_t dev, ino_t ino);
// The same for an abstract name (without its leading NUL).
std::optional<uint32_t> abstract_socket_named(int diag, const std::string& name);

// Whether a TCP socket (IPv4 or IPv6, any address) listens on `port` in the diag socket's
// network namespace (INET_DIAG); nullopt when the query failed. --ask: a connect to a
// loopback port that something inside listens on is the sandbox's own, never asked.
std::optional<bool> tcp_listener_on(int diag, uint16_t port);

}  // namespace cordon
