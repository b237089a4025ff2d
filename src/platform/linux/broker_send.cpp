// The broker's sending half: sendto() with a destination, sendmsg() and sendmmsg(),
// performed by cordon on the caller's socket (broker.hpp has the contract).
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "platform/linux/broker.hpp"
#include "platform/linux/broker_util.hpp"
#include "platform/linux/caller.hpp"
#include "platform/linux/caller_message.hpp"

namespace cordon {

using broker_util::fd_arg;
using broker_util::inet_destination;
using broker_util::still_pending;

// One message, read and decided: what is sent, and where, instead of its name.
struct Broker::Outgoing {
  CallerMessage m;
  int flags = 0;          // as the caller asked
  int send_flags = 0;     // as cordon sends: MSG_DONTWAIT | MSG_NOSIGNAL added
  bool blocking = false;  // the caller would wait for room
  timeval timeout{};      // its SO_SNDTIMEO (zero: none)
  UniqueFd pin;           // the inode a unix path resolved to
  sockaddr_un to{};       // /proc/self/fd/N of the pin (or a grant's)
  bool to_pin = false;
  bool stream = false;  // SOCK_STREAM: sent in parts; the control goes with the first
  size_t sent = 0;      // bytes of m.data a stream has sent so far
  msghdr header() {
    msghdr h = m.header(to_pin ? &to : nullptr, to_pin ? sizeof to : 0);
    if (sent > 0) {
      h.msg_iov->iov_base = m.data.data() + sent;
      h.msg_iov->iov_len = m.data.size() - sent;
      h.msg_control = nullptr;
      h.msg_controllen = 0;
    }
    return h;
  }
};

namespace {

constexpr int kMsgZerocopy = 0x4000000;                        // MSG_ZEROCOPY
constexpr int kMsgCmsgCompat = static_cast<int>(0x80000000U);  // MSG_CMSG_COMPAT: the kernel's own
constexpr size_t kMinLimit = 64 * 1024;
constexpr size_t kMaxLimit = 4 * 1024 * 1024;
constexpr size_t kMaxBatch = 1024;  // UIO_MAXIOV: the kernel caps sendmmsg's vlen there
constexpr int kMaxWaiting = 64;

struct SocketFacts {
  int family = -1;
  int type = -1;
  size_t limit = kMinLimit;  // payload read at most
  bool blocking = false;
  timeval timeout{};
};

bool socket_facts(int sock, SocketFacts& f) {
  socklen_t len = sizeof f.family;
  if (::getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &f.family, &len) != 0) return false;
  len = sizeof f.type;
  if (::getsockopt(sock, SOL_SOCKET, SO_TYPE, &f.type, &len) != 0) return false;
  // The payload limit: the socket's send buffer (a unix datagram above sk_sndbuf - 32 is
  // EMSGSIZE in the kernel too), at least 64 KiB (a UDP datagram), at most 4 MiB (memory).
  int sndbuf = 0;
  len = sizeof sndbuf;
  if (::getsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == 0 && sndbuf > 0)
    f.limit = std::clamp<size_t>(static_cast<size_t>(sndbuf), kMinLimit, kMaxLimit);
  len = sizeof f.timeout;
  (void)::getsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &f.timeout, &len);
  const int fl = ::fcntl(sock, F_GETFL);
  f.blocking = fl >= 0 && (fl & O_NONBLOCK) == 0;
  return true;
}

// The caller's flags as cordon sends them, or an errno.
int send_flags(int flags, int family, int& out) {
  if ((flags & kMsgZerocopy) && family != AF_UNIX) return ENOBUFS;  // the kernel's "copy instead" answer
  out = (flags & ~(kMsgZerocopy | kMsgCmsgCompat)) | MSG_DONTWAIT | MSG_NOSIGNAL;
  return 0;
}

}  // namespace

int Broker::prepare_send(pid_t tid, int family, int type, Outgoing& out, std::optional<Denial>& event) {
  CallerMessage& m = out.m;
  if (m.name_len == 0) return 0;  // the connected peer
  if (family == AF_UNIX) {
    // Stream and seqpacket sockets never look a name up (EOPNOTSUPP/EISCONN; ignored
    // once connected): the kernel answers as it would. A datagram's path is decided.
    if (type != SOCK_DGRAM) return 0;
    UnixTarget t = unix_target(tid, &m.name, m.name_len, Operation::Send);
    if (t.error) {
      event = std::move(t.event);
      return t.error;
    }
    if (t.pin >= 0) {
      out.to.sun_family = AF_UNIX;
      std::snprintf(out.to.sun_path, sizeof out.to.sun_path, "/proc/self/fd/%d", t.pin);
      out.to_pin = true;
      out.pin = std::move(t.owned);  // a grant's pin stays the broker's
    }
    return 0;
  }
  if (family == AF_NETLINK) {
    // Sent by cordon, a netlink message with a destination is checked against cordon's
    // capabilities only (NETLINK_SKB_DST): as root it could reconfigure the host's network
    // or audit. So only the kernel (port 0, no groups) is a destination, and the name is
    // dropped: the kernel then checks the socket opener's capabilities too.
    sockaddr_nl nl{};
    if (m.name_len < sizeof nl) return EINVAL;
    std::memcpy(&nl, &m.name, sizeof nl);
    if (nl.nl_family != AF_NETLINK) return EINVAL;
    if (nl.nl_pid != 0 || nl.nl_groups != 0) return EPERM;
    m.name_len = 0;
    return 0;
  }
  if (rules_.network_off) {  // an inherited socket of another family: no network at all
    event = classify_network(rules_, "send on an inherited socket of family " + std::to_string(family));
    return EACCES;
  }
  if (rules_.proxy_on_host && (family == AF_INET || family == AF_INET6)) {
    // As connect(): loopback and the plan's ports only (cordon is not under Landlock).
    std::string address;
    bool loopback = false;
    uint16_t port = 0;
    if (inet_destination(m.name, m.name_len, address, loopback, port)) {
      event = classify_connect(rules_, address, loopback, port);
      if (event) return EACCES;
    } else if (!(m.name_len >= 2 && m.name.ss_family == AF_UNSPEC)) {
      return m.name_len < 2 ? EINVAL : EAFNOSUPPORT;
    }
  }
  return 0;
}

BrokerReply Broker::perform_send(const seccomp_notif& req, int listener, UniqueFd& sock,
                                 std::shared_ptr<Outgoing> out, uint64_t msg_len_addr) {
  BrokerReply r;
  r.decided = true;
  msghdr h = out->header();
  const ssize_t n = ::sendmsg(sock.get(), &h, out->send_flags);
  const int err = n >= 0 ? 0 : errno;
  // A blocking caller waits on a worker, for room, or (a stream sent in part) for the
  // rest of what was read, as the kernel's blocking send would; at most kMaxWaiting at
  // once (each holds up to 4 MiB): past that, EAGAIN or the short count, as non-blocking.
  const bool rest = err == 0 && out->stream && static_cast<size_t>(n) < out->m.data.size();
  if (rest) out->sent = static_cast<size_t>(n);
  if ((rest || err == EAGAIN || err == EWOULDBLOCK) && out->blocking && send_waiting_ < kMaxWaiting) {
    start_send_worker(listener, req, std::move(sock), std::move(out), msg_len_addr);
    r.deferred = true;
    return r;
  }
  // As the kernel raises it in the call; after the reply, since a signal that reaches a
  // caller still waiting would restart the call (and the broker would send it again).
  if (err == EPIPE && !(out->flags & MSG_NOSIGNAL)) r.raise = SIGPIPE;
  r.error = err;
  r.value = n;
  return r;
}

void Broker::start_send_worker(int listener, const seccomp_notif& req, UniqueFd sock,
                               std::shared_ptr<Outgoing> out, uint64_t msg_len_addr) {
  // Waits for room: poll for POLLOUT (an unconnected datagram socket is always "writable",
  // whatever the receiver's queue holds, so a retry that fails again sleeps 10 ms), until
  // the socket takes the message, its SO_SNDTIMEO passes (EAGAIN, as the kernel), the
  // caller was interrupted or went away (the notification died), or the broker finishes.
  const uint64_t id = req.id;
  const pid_t tid = static_cast<pid_t>(req.pid);
  ++send_waiting_;
  start_worker(std::move(sock), [this, listener, id, tid, out = std::move(out), msg_len_addr](int s) {
    using clock = std::chrono::steady_clock;
    const auto wait =
        std::chrono::seconds(out->timeout.tv_sec) + std::chrono::microseconds(out->timeout.tv_usec);
    const auto deadline = clock::now() + wait;
    const bool bounded = wait.count() > 0;
    bool done = false;  // a datagram sent, or a stream's last byte
    int err = EAGAIN;
    while (!stopping_ && still_pending(listener, id) && (!bounded || clock::now() < deadline)) {
      pollfd p{s, POLLOUT, 0};
      const int ready = ::poll(&p, 1, 50);
      msghdr h = out->header();
      const ssize_t n = ::sendmsg(s, &h, out->send_flags);
      err = n >= 0 ? 0 : errno;
      if (n >= 0) {
        out->sent += static_cast<size_t>(n);
        done = !out->stream || out->sent >= out->m.data.size();
        if (done) break;
        continue;
      }
      if (err != EAGAIN && err != EWOULDBLOCK) break;
      if (ready > 0) {
        const timespec pause{0, 10 * 1000 * 1000};
        ::nanosleep(&pause, nullptr);
      }
    }
    // What a blocking send returns: the count, even a short one after a part went (a
    // timeout, an error, the caller killed), else the error.
    const bool counted = done || out->sent > 0;
    seccomp_notif_resp resp{};
    resp.id = id;
    if (counted && msg_len_addr) {  // sendmmsg: one message sent, its msg_len written back
      const unsigned len = static_cast<unsigned>(out->sent);
      if (write_bytes(tid, msg_len_addr, &len, sizeof len))
        resp.val = 1;
      else
        resp.error = -EFAULT;
    } else if (counted) {
      resp.val = static_cast<int64_t>(out->sent);
    } else {
      resp.error = -err;
    }
    if (counted) err = 0;
    --send_waiting_;
    // SIGPIPE after the reply (see perform_send), and only to a caller that took it.
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 && err == EPIPE &&
        !(out->flags & MSG_NOSIGNAL))
      (void)signal_thread(tid, SIGPIPE);
  });
}

BrokerReply Broker::send(BrokerCall call, const seccomp_notif& req, int listener) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  const auto* a = req.data.args;
  BrokerReply r;
  UniqueFd sock = call_socket(req, r);
  if (!sock.valid()) return r;
  int err = 0;
  SocketFacts f;
  if (!socket_facts(sock.get(), f)) {
    r.error = ENOTSOCK;
    return r;
  }
  const int flags = static_cast<int>(call == BrokerCall::SendMsg ? a[2] : a[3]);
  int out_flags = 0;
  if (int e = send_flags(flags, f.family, out_flags)) {
    r.error = e;
    return r;
  }
  const bool whole = f.type != SOCK_STREAM;  // a datagram or a record is sent whole
  // One message (sendto, sendmsg), or sendmmsg's entries in turn: an entry that fails
  // ends the batch, which then returns the count sent before it (or its error, first).
  const size_t count = call == BrokerCall::SendMmsg ? std::min<uint64_t>(a[2], kMaxBatch) : 1;
  for (size_t i = 0; i < count; ++i) {
    auto out = std::make_shared<Outgoing>();
    out->flags = flags;
    out->send_flags = out_flags;
    out->blocking = f.blocking && !(flags & MSG_DONTWAIT);
    out->timeout = f.timeout;
    out->stream = f.type == SOCK_STREAM;
    const uint64_t entry = a[1] + i * sizeof(mmsghdr);
    if (call == BrokerCall::SendTo)
      err = read_sendto(tid, a, f.limit, whole, out->m);
    else
      err = read_msghdr(tid, call == BrokerCall::SendMsg ? a[1] : entry, f.limit, whole, out->m);
    if (!err) err = read_control(tid, f.family, out->m);
    // Decide only for a call still pending: its memory was what it is now.
    if (!err && !still_pending(listener, req.id)) err = EINTR;
    std::optional<Denial> event;
    if (!err && out->m.name_len != 0 && rules_.own_netns && (f.family == AF_INET || f.family == AF_INET6) &&
        !in_own_netns(sock.get())) {
      // As connect(): a socket passed in from outside lives in the host's network namespace.
      err = EACCES;
      event = Denial{"send", "", "a socket from outside the sandbox",
                     "network: only sockets made inside reach the sandbox's own loopback", ""};
    }
    if (!err) err = prepare_send(tid, f.family, f.type, *out, event);
    if (event) r.event = std::move(event);
    const uint64_t msg_len_addr = call == BrokerCall::SendMmsg ? entry + offsetof(mmsghdr, msg_len) : 0;
    BrokerReply one;
    if (!err) {
      // Only the first entry may wait: later ones end the batch with what was sent.
      if (i > 0) out->blocking = false;
      one = perform_send(req, listener, sock, std::move(out), msg_len_addr);
      if (one.deferred) {
        r.deferred = true;
        return r;
      }
      err = one.error;
      r.raise = one.raise;
    }
    if (err) {
      if (i == 0)
        r.error = err;
      else
        r.value = static_cast<int64_t>(i);
      return r;
    }
    if (call != BrokerCall::SendMmsg) {
      r.value = one.value;
      return r;
    }
    // As the kernel: a msg_len that cannot be written ends the batch, uncounted.
    const unsigned len = static_cast<unsigned>(one.value);
    if (!write_bytes(tid, msg_len_addr, &len, sizeof len)) {
      if (i == 0)
        r.error = EFAULT;
      else
        r.value = static_cast<int64_t>(i);
      return r;
    }
    r.value = static_cast<int64_t>(i + 1);
  }
  return r;
}

}  // namespace cordon
