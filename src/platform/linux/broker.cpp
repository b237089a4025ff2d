#include "platform/linux/broker.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/paths.hpp"
#include "platform/linux/ask.hpp"
#include "platform/linux/broker_util.hpp"
#include "platform/linux/caller.hpp"
#include "platform/linux/dial.hpp"
#include "platform/linux/direct_route.hpp"
#include "platform/linux/proc_tree.hpp"
#include "platform/linux/unix_diag.hpp"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace cordon {
namespace {

using broker_util::fd_arg;
using broker_util::inet_destination;
using broker_util::still_pending;

const char* family_name(uint64_t f) {
  switch (f) {
    case 2:
      return "AF_INET";
    case 10:
      return "AF_INET6";
    case 16:
      return "AF_NETLINK";
    case 17:
      return "AF_PACKET";
    default:
      return nullptr;
  }
}

const char* type_name(uint64_t t) {
  switch (t & 0xf) {
    case 1:
      return "SOCK_STREAM";
    case 2:
      return "SOCK_DGRAM";
    case 3:
      return "SOCK_RAW";
    default:
      return nullptr;
  }
}

// The address family of socket `fd` in process `pid` (a copy through pidfd_getfd),
// or -1 when it cannot be known (not a socket, the process went away, ptrace rules).
int socket_family(pid_t pid, int fd) {
  int err = 0;
  UniqueFd sock = take_fd(pid, fd, err);
  int family = -1;
  socklen_t len = sizeof family;
  if (!sock.valid() || ::getsockopt(sock.get(), SOL_SOCKET, SO_DOMAIN, &family, &len) != 0) return -1;
  return family;
}

// A unix connect() made on the supervisor's thread ends within about 2 s, whatever the
// caller does meanwhile. The socket is the caller's open file: another of its threads can
// clear O_NONBLOCK or SO_SNDTIMEO between the broker's look at them and the connect, which
// then waits for a server whose backlog stays full for as long as that server lives (a
// grant's, or a host abstract name), past the command's end and --timeout. So a timer
// signals this thread (a handler without SA_RESTART: the wait ends with EINTR), every
// 100 ms after the first 2 s in case one signal lands before the call.
class ConnectDeadline {
 public:
  ConnectDeadline() {
    static const bool handler = [] {
      struct sigaction sa {};
      sa.sa_handler = [](int) {};
      sigemptyset(&sa.sa_mask);
      return ::sigaction(signal(), &sa, nullptr) == 0;
    }();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal());
    ::pthread_sigmask(SIG_UNBLOCK, &set, &saved_);
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = signal();
    ev._sigev_un._tid = static_cast<pid_t>(::syscall(SYS_gettid));
    armed_ = handler && ::timer_create(CLOCK_MONOTONIC, &ev, &timer_) == 0;
    const itimerspec when{{0, 100 * 1000 * 1000}, {2, 0}};
    if (armed_ && ::timer_settime(timer_, 0, &when, nullptr) != 0) {
      ::timer_delete(timer_);
      armed_ = false;
    }
  }
  ~ConnectDeadline() {
    if (armed_) ::timer_delete(timer_);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal());
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    const timespec none{0, 0};
    while (::sigtimedwait(&set, nullptr, &none) > 0) {  // one that fired late: not for a later call
    }
    ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  ConnectDeadline(const ConnectDeadline&) = delete;
  ConnectDeadline& operator=(const ConnectDeadline&) = delete;
  // Without the timer the connect is not made: the caller is told to try again.
  bool armed() const { return armed_; }

 private:
  static int signal() { return SIGRTMIN + 3; }
  sigset_t saved_{};
  timer_t timer_{};
  bool armed_ = false;
};

// connect() on the supervisor's thread, bounded (ConnectDeadline): EAGAIN when it ran out.
int bounded_connect(int sock, const void* addr, size_t len) {
  ConnectDeadline deadline;
  if (!deadline.armed()) return EAGAIN;
  const int rc = ::connect(sock, static_cast<const sockaddr*>(addr), static_cast<socklen_t>(len));
  const int err = rc == 0 ? 0 : errno;
  return err == EINTR ? EAGAIN : err;
}

// connect(sock) to the inode `pin` holds: through /proc/self/fd/N, which the kernel
// follows to that inode (never a path the command can change). A blocking connect to a
// server whose backlog is full waits at most 2 s (then EAGAIN), so the supervisor never
// hangs on a server; the socket's own send timeout is restored.
int connect_to_pin(int sock, int pin) {
  sockaddr_un to{};
  to.sun_family = AF_UNIX;
  std::snprintf(to.sun_path, sizeof to.sun_path, "/proc/self/fd/%d", pin);
  timeval saved{}, bounded{2, 0};
  socklen_t tl = sizeof saved;
  const bool blocking = (::fcntl(sock, F_GETFL) & O_NONBLOCK) == 0;
  const bool bound = blocking && ::getsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &saved, &tl) == 0 &&
                     (saved.tv_sec == 0 && saved.tv_usec == 0 ? true : saved.tv_sec >= 2) &&
                     ::setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &bounded, sizeof bounded) == 0;
  const int err = bounded_connect(sock, &to, sizeof to);
  if (bound) ::setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &saved, sizeof saved);
  return err == EINPROGRESS && blocking ? EAGAIN : err;
}

int connect_as_asked(int sock, const void* addr, size_t len) {
  return ::connect(sock, static_cast<const sockaddr*>(addr), static_cast<socklen_t>(len)) == 0 ? 0 : errno;
}

}  // namespace

std::vector<std::string> Broker::pin_grants() {
  std::vector<std::string> warnings;
  grants_.clear();
  for (const auto& path : rules_.allowed_unix_sockets) {
    Grant g;
    // The user's own grant, in cordon's view at the start: links are followed here.
    g.pin.reset(::open(path.c_str(), O_PATH | O_CLOEXEC));
    struct stat st {};
    if (!g.pin.valid() || ::fstat(g.pin.get(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
      warnings.push_back("--allow-unix-socket " + path + ": " +
                         (g.pin.valid() ? "not a socket" : std::string(std::strerror(errno))) +
                         "; nothing is granted for it");
      g.pin.reset();
    } else {
      g.dev = st.st_dev;
      g.ino = st.st_ino;
    }
    grants_.push_back(std::move(g));
  }
  return warnings;
}

namespace {

// The network namespace a socket belongs to (SIOCGSKNS, which needs CAP_NET_ADMIN over that
// namespace: cordon has it over the sandbox's, not over the host's unless it is root).
bool socket_netns(int sock, dev_t& dev, ino_t& ino) {
  UniqueFd ns(::ioctl(sock, SIOCGSKNS));
  struct stat st {};
  if (!ns.valid() || ::fstat(ns.get(), &st) != 0) return false;
  dev = st.st_dev, ino = st.st_ino;
  return true;
}

}  // namespace

bool Broker::in_own_netns(int sock) const {
  dev_t dev = 0;
  ino_t ino = 0;
  return netns_ino_ != 0 && socket_netns(sock, dev, ino) && dev == netns_dev_ && ino == netns_ino_;
}

void Broker::attach(UniqueFd diag, pid_t child, bool subreaper) {
  own_diag_ = diag.valid();
  if (own_diag_ && !socket_netns(diag.get(), netns_dev_, netns_ino_)) netns_dev_ = 0, netns_ino_ = 0;
  diag_ = diag.valid() ? std::move(diag) : open_unix_diag();
  child_ = child;
  subreaper_ = subreaper;
}

// Does a process of the sandbox hold socket `socket_inode` open? Its descriptors, as
// /proc/PID/fd shows them; a process that cannot be read does not count (fail closed).
static bool holds(const std::string& proc, const std::string& want) {
  DIR* d = ::opendir((proc + "/fd").c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    char link[64];
    const ssize_t n = ::readlinkat(::dirfd(d), e->d_name, link, sizeof link);
    if (n > 0 && static_cast<size_t>(n) == want.size() && want.compare(0, want.size(), link, n) == 0) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

bool Broker::held_by_sandbox(uint32_t socket_inode, pid_t caller) const {
  if (child_ <= 0) return false;
  const std::string want = "socket:[" + std::to_string(socket_inode) + "]";
  // The caller first (a server and its client in one process cost no tree scan): it is
  // the sandbox's, since only the sandbox's processes are under the filter.
  if (holds("/proc/" + std::to_string(caller), want)) return true;
  if (subreaper_) {  // no pid namespace: the processes below cordon
    for (pid_t p : descendants_of(::getpid()))
      if (holds("/proc/" + std::to_string(p), want)) return true;
    return false;
  }
  // A pid namespace: exactly the processes its own /proc lists (no scan of the host's).
  const std::string proc = "/proc/" + std::to_string(child_) + "/root/proc";
  DIR* d = ::opendir(proc.c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && holds(proc + "/" + e->d_name, want)) {
      found = true;
      break;
    }
  ::closedir(d);
  return found;
}

bool Broker::made_in_run(dev_t dev, ino_t ino, pid_t caller) {
  if (!diag_.valid()) return false;
  auto sock = bound_socket_at(diag_.get(), dev, ino);
  if (!sock) return false;
  // In the sandbox's own namespace every socket was made inside; in a shared one, only
  // a socket a process of the sandbox holds is its own.
  return own_diag_ || held_by_sandbox(*sock, caller);
}

bool Broker::made_in_run_abstract(const std::string& name, pid_t caller) {
  if (!diag_.valid()) return false;
  auto sock = abstract_socket_named(diag_.get(), name);
  return sock && (own_diag_ || held_by_sandbox(*sock, caller));
}

void Broker::start_worker(UniqueFd sock, std::function<void(int)> body) {
  std::lock_guard<std::mutex> lock(workers_mutex_);
  for (auto it = workers_.begin(); it != workers_.end();) {  // reap the finished
    if (it->done) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  Worker& w = workers_.emplace_back();
  w.sock = sock.release();
  w.thread = std::thread([&w, body = std::move(body)] {
    body(w.sock);
    {
      std::lock_guard<std::mutex> own(w.sock_mutex);
      ::close(w.sock);
      w.sock = -1;
    }
    w.done = true;
  });
}

void Broker::finish() {
  stopping_ = true;
  std::lock_guard<std::mutex> lock(workers_mutex_);
  for (auto& w : workers_) {  // aborts a TCP connect in progress, a send waiting for room
    std::lock_guard<std::mutex> own(w.sock_mutex);
    if (w.sock >= 0) ::shutdown(w.sock, SHUT_RDWR);
  }
  for (auto& w : workers_) w.thread.join();
  workers_.clear();
}

UniqueFd Broker::call_socket(const seccomp_notif& req, BrokerReply& r) {
  r.decided = true;
  int err = 0;
  UniqueFd sock = take_fd(static_cast<pid_t>(req.pid), fd_arg(req.data.args[0]), err);
  if (!sock.valid()) r.error = err == EBADF ? EBADF : err == ESRCH ? ESRCH : EPERM;
  return sock;
}

BrokerReply Broker::connect(const seccomp_notif& req, int listener) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  const auto* a = req.data.args;
  BrokerReply r;
  UniqueFd sock = call_socket(req, r);
  if (!sock.valid()) return r;
  int family = 0;
  socklen_t fl = sizeof family;
  if (::getsockopt(sock.get(), SOL_SOCKET, SO_DOMAIN, &family, &fl) != 0) {
    r.error = ENOTSOCK;
    return r;
  }
  // As the kernel (move_addr_to_kernel): at most a sockaddr_storage, read once.
  const int64_t len = static_cast<int32_t>(a[2]);
  sockaddr_storage sa{};
  if (len < 0 || len > static_cast<int64_t>(sizeof sa)) {
    r.error = EINVAL;
    return r;
  }
  if (len > 0 && !read_bytes(tid, a[1], &sa, static_cast<size_t>(len))) {
    r.error = EFAULT;
    return r;
  }
  // The caller may have been interrupted and its memory reused: act only for a
  // notification that is still pending.
  if (!still_pending(listener, req.id)) {
    r.error = EINTR;
    return r;
  }
  if (family == AF_UNIX) {
    r = connect_unix(tid, sock.get(), &sa, static_cast<size_t>(len));
    r.decided = true;
    return r;
  }
  if (family == AF_NETLINK && len >= static_cast<int64_t>(sizeof(sockaddr_nl))) {
    // Connected by cordon, a netlink socket could reach a multicast group or another
    // process with cordon's capabilities and credentials: the kernel only (port 0).
    sockaddr_nl nl{};
    std::memcpy(&nl, &sa, sizeof nl);
    if (nl.nl_family == AF_NETLINK && (nl.nl_pid != 0 || nl.nl_groups != 0)) {
      r.error = EPERM;
      return r;
    }
  }
  if ((direct_ || ask_) && (family == AF_INET || family == AF_INET6) && !in_own_netns(sock.get())) {
    // A socket the direct route (or a granted port) installed, connected again (a non-blocking client asking
    // whether it is done): answered as the kernel answers, and nothing is performed.
    tcp_info info{};
    socklen_t il = sizeof info;
    if (::getsockopt(sock.get(), IPPROTO_TCP, TCP_INFO, &info, &il) == 0 && info.tcpi_state != TCP_CLOSE) {
      r.error = info.tcpi_state == TCP_SYN_SENT ? EALREADY : EISCONN;
      return r;
    }
  }
  if (rules_.own_netns && (family == AF_INET || family == AF_INET6) && !in_own_netns(sock.get())) {
    // A socket passed in from outside (the caller's stdin, a descriptor sent over a granted
    // unix socket): it lives in the host's network namespace. Never connected by cordon.
    r.error = EACCES;
    r.event = Denial{"connect", "", "a socket from outside the sandbox",
                     "network: only sockets made inside reach the sandbox's own loopback", ""};
    return r;
  }
  if (direct_ && (family == AF_INET || family == AF_INET6)) {
    BrokerReply d = connect_direct(req, listener, sock.get(), family, sa, static_cast<size_t>(len));
    if (d.decided) return d;
  }
  std::optional<Denial> asked_and_denied;
  if (ask_ && rules_.own_netns && (family == AF_INET || family == AF_INET6)) {
    BrokerReply asked = connect_asked_port(req, listener, sock.get(), family, sa, static_cast<size_t>(len));
    if (asked.decided) return asked;
    asked_and_denied = std::move(asked.event);  // connected inside as before, where nothing listens
  }
  if (rules_.network_off && family != AF_NETLINK) {  // an inherited socket of another family: no network
    r.error = EACCES;
    r.event = classify_network(rules_, "connect on an inherited socket of family " + std::to_string(family));
    return r;
  }
  if (rules_.proxy_on_host && (family == AF_INET || family == AF_INET6)) {
    // Landlock lets TCP reach the allowed port numbers on any address; the broker
    // connects only loopback and the plan's ports.
    std::string address;
    bool loopback = false;
    uint16_t port = 0;
    if (inet_destination(sa, static_cast<size_t>(len), address, loopback, port)) {
      r.event = classify_connect(rules_, address, loopback, port);
      if (r.event) {
        r.error = EACCES;
        return r;
      }
    } else if (!(len >= 2 && sa.ss_family == AF_UNSPEC)) {
      // Not an address the broker can read as the kernel would: never passed on unchecked
      // (AF_UNSPEC, a disconnect, is harmless).
      r.error = len < 2 ? EINVAL : EAFNOSUPPORT;
      return r;
    }
  }
  const uint64_t id = req.id;
  const size_t sa_len = static_cast<size_t>(len);
  start_worker(std::move(sock), [listener, id, sa, sa_len](int s) {
    seccomp_notif_resp resp{};
    resp.id = id;
    resp.error = -connect_as_asked(s, &sa, sa_len);
    (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);  // ENOENT: the caller went away
  });
  r.deferred = true;
  r.event = std::move(asked_and_denied);
  return r;
}

BrokerReply Broker::connect_asked_port(const seccomp_notif& req, int listener, int theirs, int family,
                                       const sockaddr_storage& sa, size_t len) {
  BrokerReply r;
  // The address as read once (sa, the broker's copy): decided on, and exactly it is dialled.
  sockaddr_storage to{};
  socklen_t to_len = 0;
  uint16_t port = 0;
  std::string address;
  if (family == AF_INET && sa.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, &sa, sizeof in);
    if (ntohl(in.sin_addr.s_addr) != INADDR_LOOPBACK) return r;  // 127.0.0.1 only
    port = ntohs(in.sin_port);
    sockaddr_in out{};
    out.sin_family = AF_INET;
    out.sin_port = in.sin_port;
    out.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::memcpy(&to, &out, sizeof out);
    to_len = sizeof out;
    address = "127.0.0.1:" + std::to_string(port);
  } else if (family == AF_INET6 && sa.ss_family == AF_INET6 &&
             len >= 24) {  // RFC 2133's 24 bytes, as the kernel
    sockaddr_in6 in{};
    std::memcpy(&in, &sa, std::min(len, sizeof in));
    static const uint8_t mapped_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    const bool mapped = std::memcmp(in.sin6_addr.s6_addr, mapped_loopback, 16) == 0;
    if (!IN6_IS_ADDR_LOOPBACK(&in.sin6_addr) && !mapped) return r;  // ::1, ::ffff:127.0.0.1 only
    port = ntohs(in.sin6_port);
    sockaddr_in6 out{};
    out.sin6_family = AF_INET6;
    out.sin6_port = in.sin6_port;
    out.sin6_addr = in.sin6_addr;  // no flow label or scope: nothing else of the command's
    std::memcpy(&to, &out, sizeof out);
    to_len = sizeof out;
    address = (mapped ? "[::ffff:127.0.0.1]:" : "[::1]:") + std::to_string(port);
  } else {
    return r;
  }
  if (port == 0) return r;
  int type = 0, protocol = 0;
  socklen_t tl = sizeof type, pl = sizeof protocol;
  if (::getsockopt(theirs, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
      ::getsockopt(theirs, SOL_SOCKET, SO_PROTOCOL, &protocol, &pl) != 0 || type != SOCK_STREAM ||
      protocol != IPPROTO_TCP)
    return r;  // UDP and the rest stay in the namespace
  // A socket already connecting, connected or listening: the kernel answers it, as before.
  tcp_info info{};
  socklen_t il = sizeof info;
  if (::getsockopt(theirs, IPPROTO_TCP, TCP_INFO, &info, &il) != 0 || info.tcpi_state != TCP_CLOSE) return r;
  // Something inside listens there (a test's own server, an --allow-localhost forwarder):
  // the sandbox's own port, connected inside. Unknown (the query failed): not asked.
  if (!own_diag_ || !diag_.valid()) return r;
  const auto inside = tcp_listener_on(diag_.get(), port);
  if (!inside || *inside) return r;
  AskQuestion q;
  q.kind = AskKind::LocalPort;
  q.operation = "connect";
  q.path = address;
  q.port = port;
  q.pid = static_cast<pid_t>(req.pid);
  const uint64_t id = req.id;
  const bool granted = ask_->decide(q, [listener, id] { return still_pending(listener, id); });
  if (!granted) {
    r.event = Denial{
        "connect", "", address,
        "network: the host's loopback port " + std::to_string(port) + " is not allowed (asked: not granted)",
        "--allow-localhost " + std::to_string(port)};
    return r;  // undecided: connected inside, where nothing listens (as without --ask)
  }
  if (!still_pending(listener, req.id)) {
    r.decided = true;
    r.error = EINTR;
    return r;
  }
  return dial_and_install(req, listener, theirs, family, to, to_len);
}

BrokerReply Broker::connect_direct(const seccomp_notif& req, int listener, int theirs, int family,
                                   const sockaddr_storage& sa, size_t len) {
  BrokerReply r;
  // The address as read once: the decision is on this copy, and exactly its upstream is dialled.
  const auto t = direct_->target(family, sa, len);
  if (!t) return r;  // not the direct route's: the namespace's own loopback, as before
  int type = 0, protocol = 0;
  socklen_t tl = sizeof type, pl = sizeof protocol;
  if (::getsockopt(theirs, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
      ::getsockopt(theirs, SOL_SOCKET, SO_PROTOCOL, &protocol, &pl) != 0 || type != SOCK_STREAM ||
      protocol != IPPROTO_TCP)
    return r;  // UDP, SCTP, MPTCP...: connected as asked inside, where nothing routes the range
  r.decided = true;
  if (!t->known) {
    r.error = ENETUNREACH;  // what the namespace answers for an address it cannot route
    r.event =
        Denial{"connect", "", t->address, "network: an address the sandbox's name server did not give", ""};
    return r;
  }
  return dial_and_install(req, listener, theirs, family, t->to, t->len);
}

BrokerReply Broker::dial_and_install(const seccomp_notif& req, int listener, int theirs, int family,
                                     const sockaddr_storage& to, socklen_t to_len) {
  BrokerReply r;
  r.decided = true;
  auto dial = prepare_dial(theirs, family, static_cast<pid_t>(req.pid), fd_arg(req.data.args[0]));
  if (!dial) {
    r.error = EAGAIN;
    return r;
  }
  if (dial->nonblocking) {
    // Connected in the background by the kernel, as the command's own would be: installed
    // now, and the caller polls it and reads SO_ERROR as usual.
    r.error = complete_dial(listener, req.id, *dial, to, to_len);
    return r;
  }
  // A blocking connect may take long: a worker waits for it, installs and answers. The
  // worker owns a copy of the socket, which finish() shuts down to end a connect in progress.
  const uint64_t id = req.id;
  UniqueFd copy(::fcntl(dial->sock.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy.valid()) {
    r.error = EAGAIN;
    return r;
  }
  auto prepared = std::make_shared<PreparedDial>(std::move(*dial));
  start_worker(std::move(copy), [listener, id, to, to_len, prepared](int) {
    seccomp_notif_resp resp{};
    resp.id = id;
    resp.error = -complete_dial(listener, id, *prepared, to, to_len);
    prepared->sock.reset();
    (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);  // ENOENT: the caller went away
  });
  r.deferred = true;
  return r;
}

BrokerReply Broker::connect_unix(pid_t tid, int sock, const void* addr, size_t len) {
  BrokerReply r;
  UnixTarget t = unix_target(tid, addr, len, Operation::Connect);
  if (t.error) {
    r.error = t.error;
    r.event = std::move(t.event);
    return r;
  }
  r.error = t.pin >= 0 ? connect_to_pin(sock, t.pin) : bounded_connect(sock, addr, len);
  return r;
}

Broker::UnixTarget Broker::unix_target(pid_t tid, const void* addr, size_t len, Operation op) {
  UnixTarget t;
  const UnixAddress ua = parse_unix_address(addr, len);
  switch (ua.kind) {
    case UnixAddress::Kind::Invalid:  // AF_UNSPEC (a datagram disconnect), a bad length: the kernel says
    case UnixAddress::Kind::Unnamed:  // EINVAL (unix_validate_addr), before any lookup
      return t;
    case UnixAddress::Kind::Abstract:
      // Looked up in the socket's own network namespace. Shared with the host, Landlock
      // scoping would allow only the sandbox's own: so does the broker (cordon, which
      // makes the call, is not under the command's Landlock domain).
      if (!rules_.own_netns && rules_.abstract_scoped && !made_in_run_abstract(ua.name, tid)) {
        t.error = EPERM;
        t.event = Denial{to_string(op), "", "@" + ua.name, "an abstract unix socket outside the sandbox",
                         "none (landlock scoping)"};
      }
      return t;
    case UnixAddress::Kind::Path:
      break;
  }
  // The path as the command named it, absolute in its view. Resolved as it stands (a
  // link followed by ".." goes where the kernel would go); normalised lexically only to
  // match a grant and to report it.
  std::string raw = ua.name;
  if (raw[0] != '/') {
    char cwd[4096];
    const ssize_t n = ::readlink(("/proc/" + std::to_string(tid) + "/cwd").c_str(), cwd, sizeof cwd);
    if (n <= 0 || cwd[0] != '/' || static_cast<size_t>(n) >= sizeof cwd) {
      t.error = ENOENT;  // relative to a working directory that is gone
      return t;
    }
    raw = std::string(cwd, static_cast<size_t>(n)) + "/" + raw;
  }
  const std::string path = paths::normalize(raw);
  if (int g = unix_socket_grant(rules_, path);
      g >= 0 && g < static_cast<int>(grants_.size()) && grants_[static_cast<size_t>(g)].pin.valid()) {
    t.pin = grants_[static_cast<size_t>(g)].pin.get();
    return t;
  }
  int err = 0;
  t.owned = resolve_in_view(tid, raw, O_PATH, err);  // following a final link, as connect() does
  if (!t.owned.valid()) {
    t.error = err;
    return t;
  }
  struct stat st {};
  if (::fstat(t.owned.get(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    t.error = ECONNREFUSED;  // as the kernel: a FIFO, a file, a directory
    return t;
  }
  auto same = [&](const Grant& g) { return g.pin.valid() && g.dev == st.st_dev && g.ino == st.st_ino; };
  const bool granted = std::any_of(grants_.begin(), grants_.end(), same);
  // A socket inode found made in this run stays so (bind() makes a new inode; none binds
  // an old one again), and the pin kept here keeps its number from being reused: a
  // datagram sent to it again costs no socket-diagnostics dump.
  const bool known = std::any_of(made_.begin(), made_.end(), same);
  if (!granted && !known && made_in_run(st.st_dev, st.st_ino, tid)) {
    if (made_.size() >= kMadeRemembered) made_.erase(made_.begin());
    Grant g;
    g.pin.reset(::fcntl(t.owned.get(), F_DUPFD_CLOEXEC, 0));
    g.dev = st.st_dev;
    g.ino = st.st_ino;
    if (g.pin.valid()) made_.push_back(std::move(g));
    t.pin = t.owned.get();
    return t;
  }
  if (!granted && !known) {
    t.error = EACCES;
    // A ".." after a link is not what the lexical form says: report the path as named.
    t.event = unix_socket_denial(raw.find("/..") == std::string::npos ? path : raw, op);
    return t;
  }
  t.pin = t.owned.get();
  return t;
}

BrokerReply Broker::handle(BrokerCall call, const seccomp_notif& req, int listener) {
  const pid_t pid = static_cast<pid_t>(req.pid);
  const auto* a = req.data.args;
  BrokerReply r;
  switch (call) {
    case BrokerCall::Socket: {
      // Routed here for every family but AF_UNIX with the network off: route netlink (reading
      // interfaces, as net_plan.cpp allows it) goes on, the rest is EPERM. Registers only,
      // so nothing can change between this check and the call.
      if (a[0] == AF_NETLINK && a[2] == NETLINK_ROUTE) break;
      r.decided = true;
      r.error = EPERM;
      const char* fam = family_name(a[0]);
      const char* type = type_name(a[1]);
      std::string what = std::string("socket(") + (fam ? fam : "family " + std::to_string(a[0])) + ", " +
                         (type ? type : "type " + std::to_string(a[1] & 0xf)) + ")";
      r.event = classify_network(rules_, what);
      if (!r.event) r.event = Denial{"network", "", what, "network off", "--net on"};
      break;
    }
    case BrokerCall::Connect:
      return connect(req, listener);
    case BrokerCall::SendTo:
    case BrokerCall::SendMsg:
    case BrokerCall::SendMmsg:
      return send(call, req, listener);
    case BrokerCall::Listen: {
      // listen() on an unbound TCP socket binds an ephemeral port on every interface
      // of the host, and Landlock has no listen right: refused here. The descriptor
      // can be swapped before the kernel runs the call: defence in depth, like connect.
      const int family = socket_family(pid, fd_arg(a[0]));
      if (family != AF_INET && family != AF_INET6) break;
      r.event = classify_listen(rules_);
      if (r.event) {
        r.decided = true;
        r.error = EACCES;
      }
      break;
    }
  }
  return r;
}

}  // namespace cordon
