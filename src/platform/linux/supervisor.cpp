#include "platform/linux/supervisor.hpp"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/dns_message.hpp"
#include "platform/linux/caller.hpp"
#include "platform/linux/denial_recorder.hpp"

namespace cordon {
namespace {

// Newer than the Debian 12 uapi headers (Linux 6.7): wake the supervisor on the
// caller's CPU, which halves the round trip. Optional.
constexpr unsigned long kNotifSetFlags = SECCOMP_IOW(4, __u64);
constexpr uint64_t kSyncWakeUp = 1;
constexpr uint64_t kAfUnix = 1;
constexpr unsigned kWaitKillableRecv = 1U << 5;  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV

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

// The network's socket() rules (net_plan.cpp): with the network off they are replaced by
// one notification for every family but AF_UNIX, and the broker refuses each (or lets
// route netlink through), so the refusal is reported.
bool is_moved(const SeccompRule& r) {
  return r.syscall == "socket";
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
  auto route = [&](const char* name, bool enforce, unsigned call, bool create = false) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr != __NR_SCMP_ERROR) table.push_back({nr, enforce, call, create});
    return nr;
  };
  // The file-system calls: the denial recorder explains refusals (not with reporting
  // off), and when the plan refuses absent protected paths the creation broker
  // performs every call that makes a name, whatever the reporting level.
  const bool create =
      !rules.refuse_create.empty() || !rules.refuse_names.empty() || rules.git_checks || rules.ask;
  out.observing = level != DenialReporting::Off;
  out.observing_reads = level == DenialReporting::Full;
  if (out.observing || create)
    for (const auto& w : kObservedCalls) {
      const bool removes = w.call == FsCall::Unlink || w.call == FsCall::UnlinkAt || w.call == FsCall::Rmdir;
      // Deletes are the broker's only with --ask (a refused one may be granted); else
      // the kernel makes them, observed.
      const bool makes = create && creates_name(w.call, seccomp_notif{}) && (!removes || rules.ask);
      const bool opens = w.call == FsCall::Open || w.call == FsCall::OpenAt;
      if (!out.observing && !makes && !(create && opens)) continue;
      const bool brokered = makes || (create && opens);  // open/openat: decided per call, on the flags
      const int nr = route(w.name, brokered, static_cast<unsigned>(w.call), brokered);
      if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture (aarch64 has no open, mkdir ...)
      int rc = 0;
      // --ask / --learn with files or directories the user added to --deny-read: every open and openat,
      // reads too (a round trip each; create_broker.hpp, CreateBroker::read).
      if (w.flags_arg < 0 || level == DenialReporting::Full || (opens && rules.asks_reads())) {
        rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 0);
      } else {
        // Only the flags that write or create reach the supervisor (plain reads stay in
        // the kernel): the creation broker opens each of them (a hard link gets its copy).
        const unsigned a = static_cast<unsigned>(w.flags_arg);
        for (uint64_t bit : {uint64_t{O_WRONLY}, uint64_t{O_RDWR}, uint64_t{O_CREAT}, uint64_t{O_TRUNC}})
          if (rc == 0 && (create || (out.observing && bit != O_TRUNC)))
            rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 1,
                                  SCMP_CMP(a, SCMP_CMP_MASKED_EQ, bit, bit));
      }
      if (rc != 0) return os_error("seccomp_rule_add", std::string("notify ") + w.name, -rc);
    }
  // Enforce: bind() makes a name too (a socket file), and its address is in memory.
  if (create) {
    const int nr = route("bind", true, static_cast<unsigned>(FsCall::Bind), true);
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 0); rc != 0)
      return os_error("seccomp_rule_add", "notify bind", -rc);
  }
  // Enforce: the socket families --net off refuses, moved here only to be reported.
  if (!moved.empty() && rules.network_off && level != DenialReporting::Off) {
    const int nr = route("socket", true, static_cast<unsigned>(BrokerCall::Socket));
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 1, SCMP_CMP(0, SCMP_CMP_NE, kAfUnix));
        rc != 0)
      return os_error("seccomp_rule_add", "notify socket", -rc);
  } else {
    out.deny_list.insert(out.deny_list.end(), moved.begin(), moved.end());
    moved.clear();
  }
  // Enforce: every connect() (BPF can read neither the address nor the socket's
  // family, and the broker performs each one), and on the proxied network on the host
  // every listen().
  std::vector<std::pair<const char*, BrokerCall>> brokered;
  if (rules.broker_connect) brokered.emplace_back("connect", BrokerCall::Connect);
  if (rules.proxy_on_host) brokered.emplace_back("listen", BrokerCall::Listen);
  for (auto [name, call] : brokered) {
    const int nr = route(name, true, static_cast<unsigned>(call));
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 0); rc != 0)
      return os_error("seccomp_rule_add", std::string("notify ") + name, -rc);
  }
  // Enforce: a datagram sent to a path is a connect() for one message. sendto() shows
  // its destination pointer in a register (NULL: the connected peer, nothing to decide;
  // the kernel uses the register as BPF saw it). sendmsg() and sendmmsg() keep the name
  // in memory another thread can change until the kernel reads it: every one is routed,
  // and the broker performs it.
  if (rules.broker_connect) {
    const int sendto = route("sendto", true, static_cast<unsigned>(BrokerCall::SendTo));
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, sendto, 1, SCMP_CMP(4, SCMP_CMP_NE, 0));
        rc != 0)
      return os_error("seccomp_rule_add", "notify sendto", -rc);
    for (auto [name, call] :
         {std::pair{"sendmsg", BrokerCall::SendMsg}, std::pair{"sendmmsg", BrokerCall::SendMmsg}}) {
      const int nr = route(name, true, static_cast<unsigned>(call));
      if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 0); rc != 0)
        return os_error("seccomp_rule_add", std::string("notify ") + name, -rc);
    }
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
    : rules_(std::move(rules)), programs_(programs) {
  for (const auto& r : programs_.calls)
    if (r.enforce && r.call == static_cast<unsigned>(BrokerCall::Connect)) brokers_connect_ = true;
}

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
  if (brokers_connect_) warnings_ = broker_.pin_grants();
  if (auto st = creator_.pin_watched(); !st) return st;
  return Ok{};
}

bool Supervisor::open_in_child(const ChildReporter& rep, const int (&dns)[2]) {
  child_dns_[0] = dns[0], child_dns_[1] = dns[1];
  if (!brokers_connect_ || !rules_.own_netns) return true;
  child_diag_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  return child_diag_ >= 0 || rep.fail("broker", "socket(AF_NETLINK, NETLINK_SOCK_DIAG)", "");
}

bool Supervisor::install_in_child(const ChildReporter& rep) const {
  // The parent's end, which this clone of cordon holds too: closed first, so that the wait
  // for the parent's acknowledgement below ends (EOF) if the parent dies before giving it,
  // instead of holding the sandbox's first process, and its listener, forever.
  if (parent_end_.valid()) ::close(parent_end_.get());
  sock_fprog fprog{static_cast<unsigned short>(programs_.notify.instructions.size()),
                   const_cast<sock_filter*>(programs_.notify.instructions.data())};
  // Once the supervisor has a call, only a fatal signal ends the caller's wait (Linux
  // 5.19): the broker performs calls, and a send or connect it made for a caller that a
  // signal then restarted would be made twice (a datagram twice, a stream's bytes twice).
  int listener = static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                            SECCOMP_FILTER_FLAG_NEW_LISTENER | kWaitKillableRecv, &fprog));
  if (listener < 0 && errno == EINVAL)  // an older kernel: the caller's signals interrupt the wait
    listener = static_cast<int>(
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog));
  if (listener < 0) {
    // Without the listener nothing brokers connect(): every unix socket the sandbox can
    // see would be reachable. Fail closed unless --best-effort.
    if (brokers_connect_ && !rules_.best_effort)
      return rep.fail("broker", "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)", "connect");
    // No listener here (an outer supervisor, an old kernel): run unobserved, with the
    // moved deny-list rules enforced as a plain filter. The parent sees EOF.
    if (!programs_.fallback.instructions.empty() && seccomp_load(programs_.fallback) != 0)
      return rep.fail("seccomp", "prctl(PR_SET_SECCOMP)", "fallback");
    // Nobody would answer on the name server's port: closed, so lookups are refused at
    // once rather than left waiting for a reply.
    for (int fd : child_dns_)
      if (fd >= 0) ::close(fd);
    ::close(child_end_.get());  // the parent sees EOF: unobserved
    return true;
  }
  // The listener, and the diag socket when there is one, handed over by number: the
  // parent takes its copies (pidfd_getfd), then acknowledges. Not SCM_RIGHTS: sendmsg() is
  // now one of the calls this filter routes to the supervisor, which waits for the listener.
  const int fds[4] = {listener, child_diag_, child_dns_[0], child_dns_[1]};
  char ack = 0;
  // Without the parent holding the listener, every watched call would fail (ENOSYS).
  if (::write(child_end_.get(), fds, sizeof fds) != static_cast<ssize_t>(sizeof fds) ||
      ::read(child_end_.get(), &ack, 1) != 1)
    return rep.fail("supervisor", "pidfd_getfd", "the seccomp listener");
  ::close(listener);
  for (int fd : {child_diag_, child_dns_[0], child_dns_[1]})
    if (fd >= 0) ::close(fd);
  ::close(child_end_.get());  // init keeps running: let the parent see EOF now
  return true;
}

void Supervisor::start(pid_t child, bool subreaper) {
  child_end_.reset();
  child_ = child;
  subreaper_ = subreaper;
  if (!parent_end_.valid() || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

Status Supervisor::enable_ask(const AskSettings& settings) {
  ask_ = std::make_shared<AskGate>(settings, rules_);
  if (settings.mode == platform::AskMode::Terminal) return ask_->open_terminal();
  if (settings.mode == platform::AskMode::Client) return ask_->open_channel(settings.channel_fd);
  return Ok{};
}

void Supervisor::stop() {
  if (!thread_.joinable()) return;
  if (ask_) ask_->cancel();  // a question still on the terminal ends unanswered
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
  int numbers[4] = {-1, -1, -1, -1};
  if (::read(parent_end_.get(), numbers, sizeof numbers) != static_cast<ssize_t>(sizeof numbers)) return;
  int err = 0;
  UniqueFd listener = take_fd(child_, numbers[0], err);
  UniqueFd diag = numbers[1] >= 0 ? take_fd(child_, numbers[1], err) : UniqueFd();
  // The name server's sockets: if they cannot be taken, they close with the child's
  // copies and lookups are refused at once (a temporary failure, as before).
  UniqueFd dns[2];
  for (int i = 0; i < 2; ++i)
    if (numbers[2 + i] >= 0) dns[i] = take_fd(child_, numbers[2 + i], err);
  if (!listener.valid() || (numbers[1] >= 0 && !diag.valid())) {
    parent_end_.reset();  // the child reads EOF and fails closed
    return;
  }
  const char ack = 1;
  if (::write(parent_end_.get(), &ack, 1) != 1) return;
  active_ = true;
  broker_.attach(std::move(diag), child_, subreaper_);
  if (ask_) {
    creator_.set_ask(ask_.get());
    broker_.set_ask(ask_.get());
  }
  creator_.attach(child_);
  // Workers answer through the listener: ended before it closes, on every way out.
  struct FinishBroker {
    Supervisor& s;
    ~FinishBroker() {
      s.broker_.finish();
      s.creator_.finish();
      s.drain_direct_route();  // names refused by a resolver thread since the last wake-up
    }
  } finish_broker{*this};
  (void)::ioctl(listener.get(), kNotifSetFlags, kSyncWakeUp);  // the flags by value, not a pointer

  // 2. Answer notifications until every process under the filter is gone (POLLHUP),
  // or the launcher says the command and its leftovers have ended.
  pollfd fds[4] = {{listener.get(), POLLIN, 0},
                   {stop_read_.get(), POLLIN, 0},
                   {dns[0].get(), POLLIN, 0},
                   {dns[1].get(), POLLIN, 0}};  // poll skips the negative descriptors
  for (;;) {
    if (!waiting_.empty()) {
      handle(listener.get());
      continue;
    }
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 2; i < 4; ++i)
      if (fds[i].revents & POLLIN) direct_ ? direct_->answer(fds[i].fd) : answer_dns(fds[i].fd);
    drain_direct_route();
    if (fds[0].revents & POLLIN) {
      handle(listener.get());
      continue;
    }
    if (fds[0].revents & (POLLHUP | POLLERR)) return;
    if (fds[1].revents) {
      // Nothing is left to notify, but answer anything already queued.
      pollfd last{listener.get(), POLLIN, 0};
      while (!waiting_.empty() || (::poll(&last, 1, 0) > 0 && (last.revents & POLLIN)))
        handle(listener.get());
      return;
    }
  }
}

// Names the direct route refused at lookup: denials of the run (on this thread, which owns the log).
void Supervisor::drain_direct_route() {
  if (!direct_) return;
  std::vector<Denial> refused;
  direct_->drain(refused);
  for (auto& d : refused) log_.add(std::move(d));
}

// Every query on the sandbox's name server gets "no such name" (core/dns_message.hpp),
// sent back to its source inside the sandbox's network namespace (the socket's); a
// datagram that is not a standard query gets nothing. Bounded per wake-up.
void Supervisor::answer_dns(int sock) {
  char buf[1500];
  std::string reply;
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = ::recvfrom(sock, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) return;
    const size_t len = std::min(static_cast<size_t>(n), sizeof buf);
    if (!nxdomain_reply(std::string_view(buf, len), reply)) continue;
    (void)::sendto(sock, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&from), from_len);
  }
}

// "Identical ones are asked once" (issue 21): the supervisor has one thread, so while a
// question is on the terminal the command's other routed calls queue in the kernel. When
// the answer is "once", the calls queued by then are received at once and each remembers
// the key, so an identical one gets that answer without a second prompt; one made after the
// answer is read from the listener later and asked again. ("Deny" and the "for the run"
// answers already cover identical calls, AskGate.)
constexpr size_t kMaxWaiting = 256;

void Supervisor::queue_after_once_answer(int listener) {
  if (!ask_) return;
  auto key = ask_->take_once_answer();
  if (!key) return;
  for (auto& w : waiting_) w.once_keys.insert(*key);
  pollfd p{listener, POLLIN, 0};
  while (waiting_.size() < kMaxWaiting && ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
    Waiting w{};
    std::memset(&w.req, 0, sizeof w.req);  // the kernel requires a zeroed buffer
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &w.req) != 0) continue;  // the caller went away
    w.once_keys.insert(*key);
    waiting_.push_back(std::move(w));
  }
}

void Supervisor::handle(int listener) {
  if (!waiting_.empty()) {
    Waiting w = std::move(waiting_.front());
    waiting_.pop_front();
    if (ask_) ask_->set_answered_while_waiting(&w.once_keys);
    process(listener, w.req);
    if (ask_) ask_->set_answered_while_waiting(nullptr);
  } else {
    seccomp_notif req;
    std::memset(&req, 0, sizeof req);  // the kernel requires a zeroed buffer
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return;  // ENOENT: the caller went away
    process(listener, req);
  }
  queue_after_once_answer(listener);
}

// The creation broker's answer: its event recorded while the call is still pending, then
// the reply (none when it was given already: a descriptor installed, or a worker answers).
void Supervisor::answer_decided(int listener, const seccomp_notif& req, BrokerReply r) {
  if (r.event && ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) == 0) log_.add(std::move(*r.event));
  if (r.deferred) return;
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.error = -r.error;
  resp.val = r.value;
  (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

void Supervisor::process(int listener, seccomp_notif& req) {
  ++notifications_;
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;

  const auto& table = programs_.calls;
  auto it = std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.nr == req.data.nr; });
  std::optional<Denial> found;
  int raise = 0;
  if (it != table.end() && it->create && it->enforce && creates_name(static_cast<FsCall>(it->call), req)) {
    // A call that makes a name: performed by the creation broker. A refusal by the
    // kernel layers on the way (a read-only mount) is explained by the recorder.
    const auto call = static_cast<FsCall>(it->call);
    BrokerReply r = creator_.handle(call, req, listener);
    if (!r.event && programs_.observing &&
        (r.error == EROFS || r.error == EACCES || r.error == EPERM || r.error == EBUSY))
      r.event = observe(rules_, call, req);
    answer_decided(listener, req, std::move(r));
    return;
  }
  if (it != table.end() && it->create) {
    // open/openat without O_CREAT (or with O_PATH or O_TMPFILE): it makes no name,
    // whatever memory says, since the flags are a register. A read of a file the user
    // added to --deny-read may be asked about (--ask, --learn); every other is continued
    // (the mask mounts still refuse). The recorder may explain it.
    const auto call = static_cast<FsCall>(it->call);
    if (rules_.asks_reads())
      if (auto r = creator_.read(call, req, listener)) {
        answer_decided(listener, req, std::move(*r));
        return;
      }
    // Plain reads reach here with --ask too: explained only at the level that asks for them.
    const uint64_t flags = req.data.args[call == FsCall::Open ? 1 : 2];
    const bool plain_read = (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) == 0;
    if (programs_.observing && (programs_.observing_reads || !plain_read)) found = observe(rules_, call, req);
  } else if (it != table.end() && it->enforce) {
    BrokerReply r = broker_.handle(static_cast<BrokerCall>(it->call), req, listener);
    if (r.deferred) {
      if (r.event) log_.add(std::move(*r.event));
      return;  // a worker answers
    }
    raise = r.raise;
    if (r.decided) {
      resp.flags = 0;
      resp.error = -r.error;
      resp.val = r.value;
    }
    found = std::move(r.event);
  } else if (it != table.end()) {
    found = observe(rules_, static_cast<FsCall>(it->call), req);
  }
  // The caller may have been interrupted and its memory reused: only a notification
  // that is still pending vouches for what was read.
  if (found && ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) == 0) log_.add(std::move(*found));
  const bool replied =
      ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;  // ENOENT: the caller went away
  if (replied && raise) (void)signal_thread(static_cast<pid_t>(req.pid), raise);
}

}  // namespace cordon
