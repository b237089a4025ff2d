// cordon: the broker's dial-and-install step. For a command's connect() that the broker
// decided to allow, cordon makes a TCP socket in its own network namespace, gives it the
// options the command had set on its socket, connects it to exactly the address decided
// on, and installs it in the caller's descriptor table at the number the command
// connected (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SETFD, as dup2 would): from
// then on the data path is the kernel's alone, no relay.
//
//   auto d = prepare_dial(theirs, AF_INET, tid, fd);        // the socket, options copied from `theirs`
//   if (d->nonblocking) err = complete_dial(listener, id, *d, to, len);  // inline: 0 or EINPROGRESS
//   else  worker thread: err = complete_dial(...), then answer the notification with it
//
// What is kept: the open file's O_NONBLOCK (so a non-blocking connect still answers
// EINPROGRESS and completes in the kernel), the descriptor's close-on-exec flag, and the
// socket options listed in dial.cpp whose value differs from a fresh socket's (so only
// what the command set). What is lost: a local address bound before connect, options not
// listed (filters, TCP_FASTOPEN_CONNECT, MD5 keys, SO_MARK and SO_BINDTODEVICE, which need
// privileges or name the sandbox's devices), and other descriptors the command holds for
// the same unconnected socket (they stay unconnected). Used by the broker for the direct
// route (direct_route.hpp); kept small so that other granted connects can reuse it.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>

#include "core/error.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

// A socket made for a caller's connect (fd number `target_fd` of thread `tid`): blocking
// as the caller's open file is, close-on-exec as its descriptor is.
struct PreparedDial {
  UniqueFd sock;
  int target_fd = -1;
  bool nonblocking = false;
  bool cloexec = true;
};
[[nodiscard]] Result<PreparedDial> prepare_dial(int theirs, int family, pid_t tid, int target_fd);

// Connects `d` to exactly `to` and installs it at the caller's number while notification
// `id` is pending. Returns the call's errno: 0; EINPROGRESS for a non-blocking socket (installed,
// the kernel goes on connecting, the caller reads SO_ERROR); or the failure (nothing installed).
// Blocks until connected for a blocking socket: call it on a worker thread then.
int complete_dial(int listener, uint64_t id, const PreparedDial& d, const sockaddr_storage& to,
                  socklen_t len);

// The steps, for other uses. A TCP socket of `family` in cordon's network namespace, blocking unless
// `nonblocking`, close-on-exec, with the copied options of `theirs` (the caller's socket, a pidfd_getfd
// copy).
[[nodiscard]] Result<UniqueFd> socket_like(int theirs, int family, bool nonblocking);

// connect(): 0, or the errno (EINPROGRESS for a non-blocking socket still connecting).
int connect_dialled(int sock, const sockaddr_storage& to, socklen_t len);

// Installs `sock` in the caller of notification `id` at descriptor number `target_fd`,
// replacing what is there. Returns 0 or the errno (ENOENT: the caller went away).
int install_in_place(int listener, uint64_t id, int sock, int target_fd, bool cloexec);

// Whether descriptor `fd` of thread `tid` is close-on-exec (its /proc fdinfo flags).
// Read once; the command can change it meanwhile, as it could after the call.
bool caller_fd_cloexec(pid_t tid, int fd);

}  // namespace cordon
