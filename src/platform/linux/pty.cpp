#include "platform/linux/pty.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/terminal_text.hpp"

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

namespace {
// pty_relay_say(): lines handed from the supervisor's thread to the relay's.
struct Said {
  std::mutex mutex;
  std::condition_variable taken;
  std::vector<std::string> lines;         // waiting for the relay
  uint64_t queued = 0, placed = 0;        // counted: a sayer waits for its own line
  uint64_t catch_ups = 0, caught_up = 0;  // pty_relay_catch_up(): asked, done (counted)
  int wake = -1;                          // the relay's eventfd; -1: no relay
  bool say_lines = false;                 // stderr is the relay's terminal: lines are taken
  dev_t device = 0;                       // the relay's terminal
  pid_t session = -1;                     // the session it controls (-1: none)
};
Said g_said;
// How long the supervisor's thread waits for the relay: a refused call is held that long
// at most (only the first refusal of each kind is said), and the line still joins the
// relay's output later if the relay was slower.
constexpr auto kSayWait = std::chrono::seconds(1);
// How long a question waits for the command's earlier output to reach the terminal (a
// terminal that stopped reading, ^S, must not hold the question for ever).
constexpr auto kCatchUpWait = std::chrono::seconds(2);
}  // namespace

bool pty_relay_say(const std::string& line) {
  std::unique_lock lock(g_said.mutex);
  if (g_said.wake < 0 || !g_said.say_lines) return false;
  g_said.lines.push_back(line);
  const uint64_t mine = ++g_said.queued;
  const uint64_t one = 1;
  (void)!::write(g_said.wake, &one, sizeof one);
  g_said.taken.wait_for(lock, kSayWait, [&] { return g_said.placed >= mine || g_said.wake < 0; });
  return true;  // placed, pending, or printed by close_said()
}

bool pty_relay_catch_up(int terminal) {
  struct stat st {};
  if (::fstat(terminal, &st) != 0 || !S_ISCHR(st.st_mode)) return false;
  // /dev/tty is a device of its own (5, 0): its terminal is the one whose session it
  // names (a session has one controlling terminal).
  pid_t session = -1;
  if (::ioctl(terminal, TIOCGSID, &session) != 0) session = -1;
  std::unique_lock lock(g_said.mutex);
  const bool same = st.st_rdev == g_said.device || (session >= 0 && session == g_said.session);
  if (g_said.wake < 0 || !same) return false;  // another terminal: no order
  const uint64_t mine = ++g_said.catch_ups;
  const uint64_t one = 1;
  (void)!::write(g_said.wake, &one, sizeof one);
  return g_said.taken.wait_for(lock, kCatchUpWait, [&] {
    return g_said.caught_up >= mine || g_said.wake < 0;
  }) && g_said.wake >= 0;
}

PtyRelay::PtyRelay(const PtyPlan& plan) : plan_(plan) {}

PtyRelay::~PtyRelay() {
  restore();
  close_said();
}

// The lines said since the last round, after everything the command wrote before them:
// a read of the master that finds nothing queued first waits for the pty's pending
// transfer from the slave (n_tty_read flushes the port's buffer work), so reading until
// EAGAIN takes every byte written to the slave so far. Bounded: at most twice the usual
// buffer (a command that writes without pause cannot hold the line back for ever).
void PtyRelay::take_said() {
  uint64_t count = 0;
  (void)!::read(said_.get(), &count, sizeof count);
  std::vector<std::string> lines;
  uint64_t catch_up = 0;
  {
    std::lock_guard lock(g_said.mutex);
    lines.swap(g_said.lines);
    if (g_said.catch_ups > g_said.caught_up) catch_up = g_said.catch_ups;
  }
  if (lines.empty() && catch_up == 0) return;
  while (master_.valid() && master_open_ && read_master(2 * kBufferBytes)) {
  }
  // The terminal is raw while relaying (no output processing): a line ends in CR LF there.
  termios modes{};
  const bool raw = out_fd_ >= 0 && ::tcgetattr(out_fd_, &modes) == 0 &&
                   (!(modes.c_oflag & OPOST) || !(modes.c_oflag & ONLCR));
  for (const auto& line : lines) to_output_ += "cordon: " + escape_for_terminal(line) + (raw ? "\r\n" : "\n");
  {
    std::lock_guard lock(g_said.mutex);
    g_said.placed += lines.size();
  }
  g_said.taken.notify_all();
  // A question waits: all of that is written even while the relay is paused, and then
  // nothing more until the pause ends (a newer request moves the fence to the new end).
  if (catch_up != 0) {
    fence_ = to_output_.size();
    catching_up_ = catch_up;
    fence_written(0);
  }
}

// `n` bytes of to_output_ were written (or dropped): a catch-up is done when its fence is.
void PtyRelay::fence_written(size_t n) {
  fence_ -= n < fence_ ? n : fence_;
  if (fence_ != 0 || catching_up_ == 0) return;
  {
    std::lock_guard lock(g_said.mutex);
    if (g_said.caught_up < catching_up_) g_said.caught_up = catching_up_;
  }
  catching_up_ = 0;
  g_said.taken.notify_all();
}

// The relay ends: lines said from now on are printed by their sayer, and a line said
// but not yet taken is printed here (after the command's output, which drain() wrote).
void PtyRelay::close_said() {
  if (!said_.valid()) return;
  std::vector<std::string> left;
  {
    std::lock_guard lock(g_said.mutex);
    g_said.wake = -1;
    left.swap(g_said.lines);
    g_said.placed = g_said.queued;
    g_said.caught_up = g_said.catch_ups;
  }
  g_said.taken.notify_all();
  said_.reset();
  for (const auto& line : left) {
    const std::string text = "cordon: " + escape_for_terminal(line) + "\n";
    (void)!::write(STDERR_FILENO, text.data(), text.size());
  }
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
  // cordon's live lines go to stderr: through the relay when that is the terminal it
  // writes to (no order holds between two different terminals). --ask's questions go to
  // cordon's controlling terminal: ordered when that is the relay's (pty_relay_catch_up).
  struct stat err {};
  if (out_fd_ >= 0 && ::isatty(out_fd_) == 1) {
    said_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!said_.valid()) return os_error("eventfd", "pty", errno);
    std::lock_guard lock(g_said.mutex);
    g_said.wake = said_.get();
    g_said.device = inherited.st_rdev;
    if (::ioctl(out_fd_, TIOCGSID, &g_said.session) != 0) g_said.session = -1;
    g_said.say_lines =
        ::isatty(STDERR_FILENO) == 1 && ::fstat(STDERR_FILENO, &err) == 0 && err.st_rdev == inherited.st_rdev;
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
  if (said_.valid()) fds[n++] = {said_.get(), POLLIN, 0};
  if (!master_.valid()) {
    if ((!pty_relay_paused() || fence_ > 0) && !to_output_.empty() && out_fd_ >= 0)
      fds[n++] = {out_fd_, POLLOUT, 0};
    return n;
  }
  short master_events = 0;
  if (master_open_ && to_output_.size() < kBufferBytes) master_events |= POLLIN;
  if (!to_master_.empty()) master_events |= POLLOUT;
  if (master_events) fds[n++] = {master_.get(), master_events, 0};
  const bool paused = pty_relay_paused();
  if (!paused && input_open_ && plan_.input_fd >= 0 && to_master_.size() < kBufferBytes)
    fds[n++] = {plan_.input_fd, POLLIN, 0};
  if ((!paused || fence_ > 0) && !to_output_.empty() && out_fd_ >= 0) fds[n++] = {out_fd_, POLLOUT, 0};
  return n;
}

void PtyRelay::service(const pollfd* fds, int count) {
  for (int i = 0; i < count; ++i) {
    const short ev = fds[i].revents;
    if (ev == 0) continue;
    if (fds[i].fd == sock_.get()) {
      receive_master();
    } else if (fds[i].fd == said_.get()) {
      take_said();
    } else if (fds[i].fd == master_.get()) {
      if (ev & (POLLIN | POLLHUP | POLLERR)) (void)read_master(kBufferBytes);
      if (ev & POLLOUT) write_master();
    } else if (fds[i].fd == plan_.input_fd && (fds[i].events & POLLIN)) {
      if (!pty_relay_paused()) read_input();  // a key typed as the question appeared is its answer
    } else if (fds[i].fd == out_fd_) {
      if (!pty_relay_paused() || fence_ > 0) write_output();
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

// One read of the master while the output buffer holds less than `limit`: true when
// something was read.
bool PtyRelay::read_master(size_t limit) {
  char buf[16384];
  if (to_output_.size() >= limit) return false;
  const size_t room = limit - to_output_.size();
  const ssize_t n = ::read(master_.get(), buf, room < sizeof buf ? room : sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return false;
  if (n <= 0) {  // EIO: every slave descriptor is closed; nothing more goes in either
    master_open_ = false;
    input_open_ = false;
    to_master_.clear();
    return false;
  }
  if (plan_.output_fd >= 0) to_output_.append(buf, static_cast<size_t>(n));
  return true;
}

void PtyRelay::write_output() {
  size_t len = output_.valid() || to_output_.size() < kWriteChunk ? to_output_.size() : kWriteChunk;
  if (pty_relay_paused() && fence_ < len) len = fence_;  // a question waits: only what came before it
  if (len == 0) return;
  const ssize_t n = ::write(out_fd_, to_output_.data(), len);
  if (n > 0) {
    to_output_.erase(0, static_cast<size_t>(n));
    fence_written(static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    fence_written(to_output_.size());
    to_output_.clear();  // the caller closed it
  }
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
  close_said();
}

}  // namespace cordon
