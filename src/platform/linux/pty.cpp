#include "platform/linux/pty.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

namespace cordon {
namespace {

// Each direction buffers at most this much: a command that never reads, or a caller's
// terminal that is slow, stops the reading side instead of growing memory.
constexpr size_t kBufferBytes = 64 * 1024;
// Writes to the caller's blocking descriptors (a pipe): POLLOUT promises room for a page.
constexpr size_t kWriteChunk = 4096;

// The caller's terminal modes, for the fatal-signal handler: tcsetattr is
// async-signal-safe, and a crash of cordon must not leave the caller's shell raw.
volatile sig_atomic_t g_restore_fd = -1;
termios g_restore_modes{};
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
struct sigaction g_previous[sizeof kFatalSignals / sizeof kFatalSignals[0]];

void restore_on_fatal(int sig) {
  const int fd = g_restore_fd;
  if (fd >= 0) {
    ::tcsetattr(fd, TCSANOW, &g_restore_modes);
    ::tcflush(fd, TCIFLUSH);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

bool window_of(int fd, winsize& out) {
  return fd >= 0 && ::isatty(fd) == 1 && ::ioctl(fd, TIOCGWINSZ, &out) == 0 && out.ws_row > 0 &&
         out.ws_col > 0;
}

}  // namespace

std::optional<PtyPlan> plan_pty(platform::TtyMode mode, winsize fallback) {
  if (mode == platform::TtyMode::Never) return std::nullopt;
  PtyPlan plan;
  bool terminal[3];
  for (int fd = 0; fd < 3; ++fd) terminal[fd] = ::isatty(fd) == 1;
  for (int fd = 0; fd < 3; ++fd) plan.on[fd] = mode == platform::TtyMode::Always || terminal[fd];
  if (!plan.on[0] && !plan.on[1] && !plan.on[2]) return std::nullopt;
  // Input: only stdin, and only when it is on the pty; otherwise the command reads it as
  // it is (a pipe stays a pipe) and the caller's keys reach cordon as signals.
  if (plan.on[0]) plan.input_fd = 0;
  plan.input_is_terminal = plan.on[0] && terminal[0];
  plan.raw = plan.input_is_terminal;
  // Output: stdout when it is on the pty, else stderr, else the caller's terminal on stdin
  // (`cmd > file 2>&1` typed at a terminal: prompts and echo still show there).
  plan.output_fd = plan.on[1] ? 1 : plan.on[2] ? 2 : terminal[0] ? 0 : -1;
  plan.size = fallback;
  for (int fd : {0, 1, 2})
    if (window_of(fd, plan.size)) break;
  return plan;
}

bool pty_open_in_child(const PtyPlan& plan, const char* ptmx, int sock, const ChildReporter& rep) {
  const int master = ::open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return rep.fail("tty", "open", ptmx);
  int unlock = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0) return rep.fail("tty", "ioctl(TIOCSPTLCK)", ptmx);
  if (::ioctl(master, TIOCSWINSZ, &plan.size) != 0) return rep.fail("tty", "ioctl(TIOCSWINSZ)", ptmx);
  // The slave by the master's own descriptor: no path is looked up in /dev/pts.
  const int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return rep.fail("tty", "ioctl(TIOCGPTPEER)", ptmx);
  char byte = 't';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  std::memset(control, 0, sizeof control);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &master, sizeof(int));
  if (::sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) return rep.fail("tty", "sendmsg(SCM_RIGHTS)", "pty master");
  // The parent holds the master now; nothing in the sandbox keeps a copy.
  ::close(master);
  ::close(sock);
  for (int fd = 0; fd < 3; ++fd)
    if (plan.on[fd] && ::dup2(slave, fd) != fd) return rep.fail("tty", "dup2", "pty slave");
  if (slave > 2) ::close(slave);  // (0, 1, 2 were closed when cordon started: it is one of them)
  return true;
}

PtyRelay::PtyRelay(const PtyPlan& plan) : plan_(plan) {}

PtyRelay::~PtyRelay() {
  restore();
}

Status PtyRelay::open() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return os_error("socketpair", "pty", errno);
  sock_.reset(pair[0]);
  child_sock_.reset(pair[1]);
  // The caller's terminal, opened again for writing: a description of our own that can be
  // nonblocking (the inherited one is shared with the caller's shell), so a terminal that
  // stops reading never holds cordon's loop, its timeout or its signals. Where it cannot
  // be opened (another user's terminal), the inherited one, a page at a time after POLLOUT.
  out_fd_ = plan_.output_fd;
  struct stat inherited {};
  if (out_fd_ >= 0 && ::isatty(out_fd_) == 1 && ::fstat(out_fd_, &inherited) == 0) {
    const std::string self = "/proc/self/fd/" + std::to_string(out_fd_);
    UniqueFd own(::open(self.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (own.valid() && ::fstat(own.get(), &st) == 0 && S_ISCHR(st.st_mode) &&
        st.st_rdev == inherited.st_rdev) {
      output_ = std::move(own);
      out_fd_ = output_.get();
    }
  }
  return {};
}

void PtyRelay::receive_master() {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(sock_.get(), &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  sock_.reset();  // one message, or the child's end of file (its setup failed)
  cmsghdr* cm = n == 1 ? CMSG_FIRSTHDR(&msg) : nullptr;
  if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
      cm->cmsg_len != CMSG_LEN(sizeof(int)))
    return;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  master_.reset(fd);
  // Ours alone: nonblocking changes no one else's file description.
  ::fcntl(master_.get(), F_SETFL, ::fcntl(master_.get(), F_GETFL) | O_NONBLOCK);
  if (plan_.raw && !saved_ && ::tcgetattr(plan_.input_fd, &saved_modes_) == 0) {
    termios raw = saved_modes_;
    ::cfmakeraw(&raw);
    g_restore_modes = saved_modes_;
    g_restore_fd = plan_.input_fd;
    struct sigaction sa {};
    sa.sa_handler = restore_on_fatal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof kFatalSignals / sizeof kFatalSignals[0]; ++i)
      ::sigaction(kFatalSignals[i], &sa, &g_previous[i]);
    saved_ = true;
    ::tcsetattr(plan_.input_fd, TCSANOW, &raw);
  }
  resize();  // the window may have changed while the sandbox was being built
}

void PtyRelay::restore() {
  if (!saved_) return;
  saved_ = false;
  // Whatever is still queued on the caller's terminal (keys meant for the command,
  // answers the terminal gave to escape sequences the command printed) is discarded
  // rather than read by the caller's shell. TCSANOW, not TCSAFLUSH: that one waits for
  // the output to drain, forever on a terminal that stopped reading.
  ::tcsetattr(plan_.input_fd, TCSANOW, &saved_modes_);
  ::tcflush(plan_.input_fd, TCIFLUSH);
  g_restore_fd = -1;
  for (size_t i = 0; i < sizeof kFatalSignals / sizeof kFatalSignals[0]; ++i)
    ::sigaction(kFatalSignals[i], &g_previous[i], nullptr);
}

void PtyRelay::resize() {
  if (!master_.valid()) return;
  winsize size{};
  for (int fd : {0, 1, 2})
    if (plan_.on[fd] && window_of(fd, size)) {
      ::ioctl(master_.get(), TIOCSWINSZ, &size);
      return;
    }
}

namespace {
std::atomic<bool> g_relay_paused{false};
std::atomic<bool> g_relay_pausable{false};
}  // namespace

void pty_relay_pause(bool on) {
  g_relay_paused = on;
}
bool pty_relay_paused() {
  return g_relay_paused;
}
void pty_relay_may_pause() {
  g_relay_pausable = true;
}
bool pty_relay_pausable() {
  return g_relay_pausable;
}

int PtyRelay::fill(pollfd* fds) {
  int n = 0;
  if (sock_.valid()) fds[n++] = {sock_.get(), POLLIN, 0};
  if (!master_.valid()) return n;
  short master_events = 0;
  if (master_open_ && to_output_.size() < kBufferBytes) master_events |= POLLIN;
  if (!to_master_.empty()) master_events |= POLLOUT;
  if (master_events) fds[n++] = {master_.get(), master_events, 0};
  const bool paused = pty_relay_paused();
  if (!paused && input_open_ && plan_.input_fd >= 0 && to_master_.size() < kBufferBytes)
    fds[n++] = {plan_.input_fd, POLLIN, 0};
  if (!paused && !to_output_.empty() && out_fd_ >= 0) fds[n++] = {out_fd_, POLLOUT, 0};
  return n;
}

void PtyRelay::service(const pollfd* fds, int count) {
  for (int i = 0; i < count; ++i) {
    const short ev = fds[i].revents;
    if (ev == 0) continue;
    if (fds[i].fd == sock_.get()) {
      receive_master();
    } else if (fds[i].fd == master_.get()) {
      if (ev & (POLLIN | POLLHUP | POLLERR)) read_master();
      if (ev & POLLOUT) write_master();
    } else if (fds[i].fd == plan_.input_fd && (fds[i].events & POLLIN)) {
      if (!pty_relay_paused()) read_input();  // a key typed as the question appeared is its answer
    } else if (fds[i].fd == out_fd_) {
      if (!pty_relay_paused()) write_output();
    }
  }
}

void PtyRelay::read_input() {
  // With --ask, a key that woke this loop may have been taken by the question meanwhile
  // (it reads the same terminal): look again, so that a read never waits for the next key.
  if (pty_relay_pausable()) {
    pollfd ready{plan_.input_fd, POLLIN, 0};
    if (pty_relay_paused() || ::poll(&ready, 1, 0) <= 0) return;
  }
  char buf[kWriteChunk];
  const size_t room = kBufferBytes - to_master_.size();
  const ssize_t n = ::read(plan_.input_fd, buf, room < sizeof buf ? room : sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) return input_eof();
  to_master_.append(buf, static_cast<size_t>(n));
  last_was_newline_ = buf[n - 1] == '\n';
}

// The end of a piped stdin (--tty always): a terminal has no end of file, so, as
// `script` does, type the end-of-file character when the pty reads lines (twice after
// a partial line: once to end the line, once for the end of file).
void PtyRelay::input_eof() {
  input_open_ = false;
  if (plan_.input_is_terminal || !master_.valid()) return;
  termios modes{};
  if (::tcgetattr(master_.get(), &modes) != 0 || !(modes.c_lflag & ICANON)) return;
  const char eof = static_cast<char>(modes.c_cc[VEOF]);
  to_master_.append(last_was_newline_ ? 1 : 2, eof);
}

void PtyRelay::write_master() {
  const ssize_t n = ::write(master_.get(), to_master_.data(), to_master_.size());
  if (n > 0)
    to_master_.erase(0, static_cast<size_t>(n));
  else if (n < 0 && errno != EAGAIN && errno != EINTR)
    to_master_.clear();
}

void PtyRelay::read_master() {
  char buf[16384];
  const size_t room = kBufferBytes - to_output_.size();
  const ssize_t n = ::read(master_.get(), buf, room < sizeof buf ? room : sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {  // EIO: every slave descriptor is closed; nothing more goes in either
    master_open_ = false;
    input_open_ = false;
    to_master_.clear();
    return;
  }
  if (plan_.output_fd >= 0) to_output_.append(buf, static_cast<size_t>(n));
}

void PtyRelay::write_output() {
  const size_t len = output_.valid() || to_output_.size() < kWriteChunk ? to_output_.size() : kWriteChunk;
  const ssize_t n = ::write(out_fd_, to_output_.data(), len);
  if (n > 0)
    to_output_.erase(0, static_cast<size_t>(n));
  else if (n < 0 && errno != EAGAIN && errno != EINTR)
    to_output_.clear();  // the caller closed it
}

void PtyRelay::drain() {
  // Every process inside is gone (the pid namespace ended with its init) or killed; a
  // descriptor of the slave passed outside could still hold it open: bounded.
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::seconds(2);
  input_open_ = false;
  if (sock_.valid()) sock_.reset();
  while (master_.valid() && (master_open_ || !to_output_.empty()) && clock::now() < deadline) {
    pollfd fds[kMaxFds];
    const int n = fill(fds);
    if (n == 0) break;
    const int ready = ::poll(fds, static_cast<nfds_t>(n), 200);
    if (ready <= 0) break;
    service(fds, n);
  }
  restore();
}

}  // namespace cordon
