#include "platform/linux/supervisor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "core/paths.hpp"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace cordon {
namespace {

// Newer than the Debian 12 uapi headers (Linux 6.7): wake the supervisor on the
// caller's CPU, which halves the round trip. Optional.
constexpr unsigned long kNotifSetFlags = SECCOMP_IOW(4, __u64);
constexpr uint64_t kSyncWakeUp = 1;
constexpr uint64_t kAfUnix = 1;

enum class Call {
  Open,
  OpenAt,
  OpenAt2,
  Creat,
  Mkdir,
  MkdirAt,
  Mknod,
  MknodAt,
  Unlink,
  UnlinkAt,
  Rmdir,
  Rename,
  RenameAt,
  RenameAt2,
  Link,
  LinkAt,
  Symlink,
  SymlinkAt,
  Truncate,
  Socket,
  Connect,
  Listen
};

struct Watched {
  const char* name;
  Call call;
  int flags_arg;  // open flags in a register (filtered in BPF); -1: always notified
};

// The write-intent calls. open/openat are filtered on their flags in BPF, so plain
// reads never reach the supervisor (unless DenialReporting::Full). openat2 keeps its
// flags in memory, where BPF cannot look: it is always notified (glibc does not use it).
constexpr Watched kWatched[] = {
    {"open", Call::Open, 1},          {"openat", Call::OpenAt, 2},        {"openat2", Call::OpenAt2, -1},
    {"creat", Call::Creat, -1},       {"mkdir", Call::Mkdir, -1},         {"mkdirat", Call::MkdirAt, -1},
    {"mknod", Call::Mknod, -1},       {"mknodat", Call::MknodAt, -1},     {"unlink", Call::Unlink, -1},
    {"unlinkat", Call::UnlinkAt, -1}, {"rmdir", Call::Rmdir, -1},         {"rename", Call::Rename, -1},
    {"renameat", Call::RenameAt, -1}, {"renameat2", Call::RenameAt2, -1}, {"link", Call::Link, -1},
    {"linkat", Call::LinkAt, -1},     {"symlink", Call::Symlink, -1},     {"symlinkat", Call::SymlinkAt, -1},
    {"truncate", Call::Truncate, -1},
};

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Result<SeccompProgram> export_program(scmp_filter_ctx ctx) {
  UniqueFd mem(::memfd_create("cordon-supervisor", MFD_CLOEXEC));
  if (!mem.valid()) return os_error("memfd_create", "cordon-supervisor", errno);
  if (int rc = seccomp_export_bpf(ctx, mem.get()); rc != 0)
    return os_error("seccomp_export_bpf", "notify", -rc);
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) return os_error("seccomp_export_bpf", "size", EINVAL);
  SeccompProgram prog;
  prog.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(mem.get(), prog.instructions.data(), static_cast<size_t>(size), 0) != size)
    return os_error("pread", "supervisor program", errno);
  return prog;
}

bool is_moved(const SeccompRule& r) {
  return r.syscall == "socket" && r.check == ArgCheck::NotEq && r.arg == 0 && r.value == kAfUnix &&
         r.also.check == ArgCheck::None;
}

// Up to PATH_MAX bytes of a NUL-terminated string in another process, read page by
// page (process_vm_readv stops at the first unreadable iovec, never mid-element).
bool read_string(pid_t pid, uint64_t addr, std::string& out) {
  if (addr == 0) return false;
  char buf[4096];
  iovec local{buf, sizeof buf};
  iovec remote[2];
  const uint64_t page = 4096;
  const uint64_t first = std::min<uint64_t>(page - (addr % page), sizeof buf);
  remote[0] = {reinterpret_cast<void*>(addr), first};
  remote[1] = {reinterpret_cast<void*>(addr + first), sizeof buf - first};
  ssize_t n = ::process_vm_readv(pid, &local, 1, remote, first < sizeof buf ? 2 : 1, 0);
  if (n <= 0) return false;
  const void* nul = std::memchr(buf, '\0', static_cast<size_t>(n));
  if (!nul) return false;
  out.assign(buf, static_cast<size_t>(static_cast<const char*>(nul) - buf));
  return true;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// `path` relative to `dirfd` of process `pid`, as the sandbox sees it (readlink of
// /proc/PID/cwd or /proc/PID/fd/N prints the path in the sandbox's mount namespace).
std::string absolute_in(pid_t pid, int dirfd, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const std::string base = read_link("/proc/" + std::to_string(pid) +
                                     (dirfd == AT_FDCWD ? "/cwd" : "/fd/" + std::to_string(dirfd)));
  if (base.empty() || base[0] != '/') return {};  // a pipe, a socket, a deleted directory
  return paths::join(base, path);
}

// Does `path` exist in the sandbox's view? Through /proc/PID/root, without following
// a final symlink. Only asked when a denial is predicted.
bool exists_in(pid_t pid, const std::string& path) {
  const std::string p = "/proc/" + std::to_string(pid) + "/root" + path;
  return ::faccessat(AT_FDCWD, p.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

// The destination of connect(fd, addr, len) in process `pid`: the address as text,
// whether it is loopback, and the port. False for families other than IPv4 and IPv6.
bool read_inet_destination(pid_t pid, uint64_t addr, uint64_t len, std::string& text, bool& loopback,
                           uint16_t& port) {
  sockaddr_in6 sa{};  // large enough for both
  const size_t want = std::min<uint64_t>(len, sizeof sa);
  iovec local{&sa, want}, remote{reinterpret_cast<void*>(addr), want};
  if (addr == 0 || want < sizeof(sockaddr_in) ||
      ::process_vm_readv(pid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(want))
    return false;
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa.sin6_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &sa, sizeof v4);
    loopback = (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
    port = ntohs(v4.sin_port);
    ::inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
  } else if (sa.sin6_family == AF_INET6 && want >= sizeof sa) {
    const uint8_t* b = sa.sin6_addr.s6_addr;
    loopback = IN6_IS_ADDR_LOOPBACK(&sa.sin6_addr) || (IN6_IS_ADDR_V4MAPPED(&sa.sin6_addr) && b[12] == 127);
    port = ntohs(sa.sin6_port);
    ::inet_ntop(AF_INET6, &sa.sin6_addr, buf, sizeof buf);
  } else {
    return false;
  }
  text = buf;
  return true;
}

// The address family of socket `fd` in process `pid` (a copy through pidfd_getfd),
// or -1 when it cannot be known (not a socket, the process went away, ptrace rules).
int socket_family(pid_t pid, int fd) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return -1;
  UniqueFd sock(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  int family = -1;
  socklen_t len = sizeof family;
  if (!sock.valid() || ::getsockopt(sock.get(), SOL_SOCKET, SO_DOMAIN, &family, &len) != 0) return -1;
  return family;
}

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

}  // namespace

Result<SupervisorPrograms> supervisor_compile(const std::vector<SeccompRule>& deny_list,
                                              const DenialRules& rules, DenialReporting level) {
  SupervisorPrograms out;
  std::vector<SeccompRule> moved;
  for (const auto& r : deny_list) (is_moved(r) ? moved : out.deny_list).push_back(r);

  Ctx ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return os_error("seccomp_init", "", ENOMEM);
  auto& table = out.calls;
  for (const auto& w : kWatched) {
    int nr = seccomp_syscall_resolve_name(w.name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture (aarch64 has no open, mkdir ...)
    table.emplace_back(nr, static_cast<unsigned>(w.call));
    int rc = 0;
    if (w.flags_arg < 0 || level == DenialReporting::Full) {
      rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 0);
    } else {
      const unsigned a = static_cast<unsigned>(w.flags_arg);
      for (uint64_t bit : {uint64_t{O_WRONLY}, uint64_t{O_RDWR}, uint64_t{O_CREAT}})
        if (rc == 0)
          rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 1, SCMP_CMP(a, SCMP_CMP_MASKED_EQ, bit, bit));
    }
    if (rc != 0) return os_error("seccomp_rule_add", std::string("notify ") + w.name, -rc);
  }
  if (!moved.empty() && rules.network_off) {
    int nr = seccomp_syscall_resolve_name("socket");
    table.emplace_back(nr, static_cast<unsigned>(Call::Socket));
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 1, SCMP_CMP(0, SCMP_CMP_NE, kAfUnix));
        rc != 0)
      return os_error("seccomp_rule_add", "notify socket", -rc);
  } else {
    out.deny_list.insert(out.deny_list.end(), moved.begin(), moved.end());
    moved.clear();
  }
  // Proxied network on the host: every connect() and listen(), since BPF can read
  // neither the address nor the socket's family.
  if (rules.proxy_on_host)
    for (auto [name, call] : {std::pair{"connect", Call::Connect}, std::pair{"listen", Call::Listen}}) {
      int nr = seccomp_syscall_resolve_name(name);
      table.emplace_back(nr, static_cast<unsigned>(call));
      if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 0); rc != 0)
        return os_error("seccomp_rule_add", std::string("notify ") + name, -rc);
    }
  auto notify = export_program(ctx.get());
  if (!notify) return notify.error();
  out.notify = std::move(*notify);
  if (!moved.empty()) {
    auto fallback = seccomp_compile(moved);
    if (!fallback) return fallback.error();
    out.fallback = std::move(*fallback);
  }
  return out;
}

Supervisor::Supervisor(DenialRules rules, const SupervisorPrograms& programs)
    : rules_(std::move(rules)), programs_(programs) {}

Supervisor::~Supervisor() {
  stop();
}

Status Supervisor::prepare() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return os_error("socketpair", "", errno);
  parent_end_.reset(sv[0]);
  child_end_.reset(sv[1]);
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return os_error("pipe2", "supervisor", errno);
  stop_read_.reset(p[0]);
  stop_write_.reset(p[1]);
  return Ok{};
}

bool Supervisor::install_in_child(const ChildReporter& rep) const {
  sock_fprog fprog{static_cast<unsigned short>(programs_.notify.instructions.size()),
                   const_cast<sock_filter*>(programs_.notify.instructions.data())};
  int listener = static_cast<int>(
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog));
  if (listener < 0) {
    // No listener here (an outer supervisor, an old kernel): run unobserved, with the
    // moved deny-list rules enforced as a plain filter. The parent sees EOF.
    if (!programs_.fallback.instructions.empty() && seccomp_load(programs_.fallback) != 0)
      return rep.fail("seccomp", "prctl(PR_SET_SECCOMP)", "fallback");
    ::close(child_end_.get());  // the parent sees EOF: unobserved
    return true;
  }
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &listener, sizeof(int));
  // Without the parent holding the listener, every watched call would fail (ENOSYS).
  if (::sendmsg(child_end_.get(), &msg, MSG_NOSIGNAL) != 1)
    return rep.fail("supervisor", "sendmsg(SCM_RIGHTS)", "");
  ::close(listener);
  ::close(child_end_.get());  // init keeps running: let the parent see EOF now
  return true;
}

void Supervisor::start() {
  child_end_.reset();
  if (!parent_end_.valid() || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Supervisor::stop() {
  if (!thread_.joinable()) return;
  char b = 1;
  ssize_t ignored = ::write(stop_write_.get(), &b, 1);
  (void)ignored;
  thread_.join();
}

void Supervisor::run() {
  // 1. The listener, or EOF when the child failed or runs unobserved.
  pollfd wait[2] = {{parent_end_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(wait, 2, -1) < 0 && errno != EINTR) return;
    if (wait[0].revents) break;
    if (wait[1].revents) return;
  }
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(parent_end_.get(), &msg, MSG_CMSG_CLOEXEC) != 1) return;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return;
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  UniqueFd listener(fd);
  active_ = true;
  (void)::ioctl(listener.get(), kNotifSetFlags, kSyncWakeUp);  // the flags by value, not a pointer

  // 2. Answer notifications until every process under the filter is gone (POLLHUP),
  // or the launcher says the command and its leftovers have ended.
  pollfd fds[2] = {{listener.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents & POLLIN) {
      handle(listener.get());
      continue;
    }
    if (fds[0].revents & (POLLHUP | POLLERR)) return;
    if (fds[1].revents) {
      // Nothing is left to notify, but answer anything already queued.
      pollfd last{listener.get(), POLLIN, 0};
      while (::poll(&last, 1, 0) > 0 && (last.revents & POLLIN)) handle(listener.get());
      return;
    }
  }
}

void Supervisor::handle(int listener) {
  seccomp_notif req;
  std::memset(&req, 0, sizeof req);                                    // the kernel requires a zeroed buffer
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return;  // ENOENT: the caller went away
  ++notifications_;
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;

  const auto& table = programs_.calls;
  auto it = std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.first == req.data.nr; });
  const pid_t pid = static_cast<pid_t>(req.pid);
  const auto* a = req.data.args;
  std::optional<Denial> found;
  if (it != table.end()) {
    const Call call = static_cast<Call>(it->second);
    auto path_at = [&](int dirfd, uint64_t addr) {
      std::string p;
      if (!read_string(pid, addr, p)) return std::string();
      return absolute_in(pid, dirfd, p);
    };
    auto fd_arg = [](uint64_t v) { return static_cast<int>(static_cast<int32_t>(v)); };
    auto in_secret = [&](const std::string& p) {
      return std::any_of(rules_.masked.begin(), rules_.masked.end(),
                         [&](const std::string& m) { return paths::is_within(p, m); });
    };
    // A file-system operation on `path`; `must_exist`: refused only if it exists
    // (delete, rename source, truncate); `creates`: refused only if it does not.
    auto check = [&](Operation op, const std::string& path, bool must_exist, bool creates, bool dir = false) {
      if (found || path.empty()) return;
      auto d = classify(rules_, op, path, dir);
      if (!d) return;
      // Inside a mask the sandbox sees an empty directory; the attempt itself is the news.
      if (in_secret(d->path)) {
        found = std::move(d);
        return;
      }
      if (must_exist && !exists_in(pid, d->path)) return;  // ENOENT, not a denial
      if (creates && (exists_in(pid, d->path) || !exists_in(pid, paths::parent(d->path))))
        return;  // EEXIST, ENOENT
      found = std::move(d);
    };
    auto open_like = [&](int dirfd, uint64_t addr, uint64_t flags) {
      const std::string path = path_at(dirfd, addr);
      const bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
      if (!writes && !(flags & O_CREAT)) {
        check(Operation::Read, path, false, false);
        return;
      }
      if (path.empty()) return;
      auto d = classify(rules_, Operation::Create, path);
      if (!d) return;
      if (in_secret(d->path)) {
        found = classify(rules_, writes ? Operation::Write : Operation::Create, path);
        return;
      }
      if (exists_in(pid, d->path)) {
        if (!writes) return;  // O_CREAT of an existing file, read-only: allowed
        d = classify(rules_, Operation::Write, path);
      } else if (!(flags & O_CREAT) || !exists_in(pid, paths::parent(d->path))) {
        return;  // ENOENT, not a denial
      }
      found = std::move(d);
    };
    switch (call) {
      case Call::Open:
        open_like(AT_FDCWD, a[0], a[1]);
        break;
      case Call::OpenAt:
        open_like(fd_arg(a[0]), a[1], a[2]);
        break;
      case Call::OpenAt2: {
        uint64_t flags = 0;
        iovec local{&flags, sizeof flags}, remote{reinterpret_cast<void*>(a[2]), sizeof flags};
        if (::process_vm_readv(pid, &local, 1, &remote, 1, 0) == sizeof flags)
          open_like(fd_arg(a[0]), a[1], flags);
        break;
      }
      case Call::Creat:
        open_like(AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC);
        break;
      case Call::Mkdir:
        check(Operation::Create, path_at(AT_FDCWD, a[0]), false, true, true);
        break;
      case Call::MkdirAt:
        check(Operation::Create, path_at(fd_arg(a[0]), a[1]), false, true, true);
        break;
      case Call::Mknod:
        check(Operation::Create, path_at(AT_FDCWD, a[0]), false, true);
        break;
      case Call::MknodAt:
        check(Operation::Create, path_at(fd_arg(a[0]), a[1]), false, true);
        break;
      case Call::Unlink:
      case Call::Rmdir:
        check(Operation::Delete, path_at(AT_FDCWD, a[0]), true, false);
        break;
      case Call::UnlinkAt:
        check(Operation::Delete, path_at(fd_arg(a[0]), a[1]), true, false);
        break;
      case Call::Rename:
        check(Operation::Rename, path_at(AT_FDCWD, a[0]), true, false);
        check(Operation::Rename, path_at(AT_FDCWD, a[1]), false, false);
        break;
      case Call::RenameAt:
      case Call::RenameAt2:
        check(Operation::Rename, path_at(fd_arg(a[0]), a[1]), true, false);
        check(Operation::Rename, path_at(fd_arg(a[2]), a[3]), false, false);
        break;
      case Call::Link:
        check(Operation::Create, path_at(AT_FDCWD, a[1]), false, true);
        break;
      case Call::LinkAt:
        check(Operation::Create, path_at(fd_arg(a[2]), a[3]), false, true);
        break;
      case Call::Symlink:
        check(Operation::Create, path_at(AT_FDCWD, a[1]), false, true);
        break;
      case Call::SymlinkAt:
        check(Operation::Create, path_at(fd_arg(a[1]), a[2]), false, true);
        break;
      case Call::Truncate:
        check(Operation::Write, path_at(AT_FDCWD, a[0]), true, false);
        break;
      case Call::Socket: {
        // Routed here only for families the network policy refuses: always EPERM.
        resp.flags = 0;
        resp.error = -EPERM;
        const char* fam = family_name(a[0]);
        const char* type = type_name(a[1]);
        std::string what = std::string("socket(") + (fam ? fam : "family " + std::to_string(a[0])) + ", " +
                           (type ? type : "type " + std::to_string(a[1] & 0xf)) + ")";
        found = classify_network(rules_, what);
        if (!found) found = Denial{"network", "", what, "network off", "--net on"};
        break;
      }
      case Call::Connect: {
        // Proxied network on the host. Landlock lets TCP reach the allowed port numbers
        // on any address; a destination that is not loopback is refused here. The
        // address is read from memory another thread may change before the kernel
        // reads it again: defence in depth, not a guarantee (see the guarantee report).
        std::string address;
        bool loopback = false;
        uint16_t port = 0;
        if (!read_inet_destination(pid, a[1], a[2], address, loopback, port)) break;
        found = classify_connect(rules_, address, loopback, port);
        if (found && !loopback) {
          resp.flags = 0;
          resp.error = -EACCES;
        }
        break;
      }
      case Call::Listen: {
        // listen() on an unbound TCP socket binds an ephemeral port on every interface
        // of the host, and Landlock has no listen right: refused here. The descriptor
        // can be swapped before the kernel runs the call: defence in depth, like connect.
        const int family = socket_family(pid, fd_arg(a[0]));
        if (family != AF_INET && family != AF_INET6) break;
        found = classify_listen(rules_);
        if (found) {
          resp.flags = 0;
          resp.error = -EACCES;
        }
        break;
      }
    }
  }
  // The caller may have been interrupted and its memory reused: only a notification
  // that is still pending vouches for what was read.
  if (found && ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) == 0) log_.add(std::move(*found));
  (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);  // ENOENT: the caller went away
}

}  // namespace cordon
