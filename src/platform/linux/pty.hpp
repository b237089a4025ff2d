// cordon: a terminal of the command's own, with no way back into the caller's.
//
//   // parent, before clone(): which of 0, 1, 2 go on a new pty (--tty auto|always|never)
//   std::optional<PtyPlan> plan = plan_pty(TtyMode::Auto, {24, 80});
//   PtyRelay relay(*plan);                       // owns the parent's end of the socketpair
//   // child, after the mounts, before setsid(): a pair in the sandbox's own devpts
//   pty_open_in_child(*plan, relay.child_socket(), reporter);   // master -> parent
//   // the process that execs the command: setsid() + TIOCSCTTY (command_exec.cpp)
//   // parent, in its poll loop: relay.fill(fds) ... relay.service(fds); at the end relay.drain()
//
// Why this shape: the caller's terminal is never passed inside (no descriptor of it, so
// nothing can TIOCSTI/TIOCLINUX it, change its modes or keep it open). The child opens the
// ptmx of the sandbox's devpts instance (namespace mode: `newinstance`, mounted by
// mounts.cpp; without namespaces the host's /dev/ptmx), takes the slave with TIOCGPTPEER
// (no path lookup), puts it on the chosen standard streams and sends the master to the
// parent over a socketpair (SCM_RIGHTS) before any filter is loaded, then closes its copy:
// only cordon, outside, holds the master. cordon relays bytes (binary, bounded buffers)
// between it and the caller's terminal, which is raw meanwhile and restored on every way
// out (the destructor; a fatal signal's handler; its input queue flushed, so nothing typed
// or answered by the terminal while the command ran reaches the caller's shell).
#pragma once

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <optional>
#include <string>

#include "platform/linux/child_report.hpp"
#include "platform/linux/unique_fd.hpp"
#include "platform/platform.hpp"

namespace cordon {

// cordon run --ask (ask.hpp): while a question is on cordon's terminal the relay reads no
// input and writes no output there. Process-wide; the launcher's loop wakes every 250 ms
// while asking is possible (pty_relay_may_pause), so the relay resumes after an answer.
void pty_relay_pause(bool on);
bool pty_relay_paused();
void pty_relay_may_pause();
bool pty_relay_pausable();

// A line of cordon's for the caller's terminal while the command runs (the live refusal
// report, on the supervisor's thread). The command's output reaches that terminal through
// the relay, later than the command wrote it; a line written straight to stderr could
// overtake output written before the refused call. When a relay writes to the terminal
// stderr is, the line joins its output instead, after what the master holds (read to its
// end first: all the command wrote before now), and the caller waits (bounded) until it
// has, while the refused call is still held. False: no relay takes it (print it yourself).
bool pty_relay_say(const std::string& line);

// cordon run --ask, with the relay paused (pty_relay_pause), before a question is written
// to cordon's terminal `terminal`: when the relay writes to that same terminal, everything
// the command wrote so far (the master read to its end, as for pty_relay_say) is written
// there first, and nothing after it until the pause ends, so the question never overtakes
// output written before the asked call. Waits (bounded) until written. False: no relay
// writes there, or it did not finish in time (the question is asked all the same).
bool pty_relay_catch_up(int terminal);

// Decided in the parent before clone(): plain data, read by the child.
struct PtyPlan {
  bool on[3] = {false, false, false};  // standard stream i is the pty's slave inside
  int input_fd = -1;                   // read and relayed into the master (0, or -1)
  int output_fd = -1;                  // where the master's output goes (1, 2 or 0)
  bool raw = false;                    // input_fd is a terminal: raw while relaying
  bool input_is_terminal = false;
  winsize size{};  // the initial window size
  // The first standard stream on the pty: the controlling terminal's descriptor inside.
  int ctty_fd() const { return on[0] ? 0 : on[1] ? 1 : on[2] ? 2 : -1; }
};

// auto: the streams that are terminals; always: all three (like `ssh -tt`); never: none.
// nullopt: no pty. `fallback` is the size when no stream is a terminal.
std::optional<PtyPlan> plan_pty(platform::TtyMode mode, winsize fallback);

// In the child, after the mounts and before setsid() and any filter: opens a pair in
// `ptmx` (the sandbox's devpts instance), puts the slave on the planned streams, sends
// the master over `sock` and closes every copy of it. Allocation-free.
bool pty_open_in_child(const PtyPlan& plan, const char* ptmx, int sock, const ChildReporter& rep);

// The parent's side: receives the master, makes the caller's terminal raw, relays, and
// restores the terminal when destroyed (or on a fatal signal).
class PtyRelay {
 public:
  explicit PtyRelay(const PtyPlan& plan);
  ~PtyRelay();
  PtyRelay(const PtyRelay&) = delete;
  PtyRelay& operator=(const PtyRelay&) = delete;

  // socketpair(); the child's end is child_socket() until close_child_socket() after clone().
  [[nodiscard]] Status open();
  int child_socket() const { return child_sock_.get(); }
  void close_child_socket() { child_sock_.reset(); }

  // Poll set for one round: at most kMaxFds entries written to `fds`; returns the count.
  static constexpr int kMaxFds = 5;
  int fill(pollfd* fds);
  void service(const pollfd* fds, int count);
  // SIGWINCH: the caller's window size onto the master (the kernel signals the inner
  // foreground job).
  void resize();
  // After the command's end: what is left in the master, bounded in time, then the
  // caller's terminal restored.
  void drain();
  void restore();

 private:
  void receive_master();
  void read_input();
  bool read_master(size_t limit);
  void take_said();
  void fence_written(size_t n);
  void close_said();
  void write_master();
  void write_output();
  void input_eof();

  PtyPlan plan_;
  UniqueFd sock_, child_sock_, master_;
  UniqueFd output_;  // the caller's terminal opened again, nonblocking (or invalid)
  UniqueFd said_;    // eventfd: pty_relay_say() or pty_relay_catch_up() (valid while taken)
  int out_fd_ = -1;  // where the master's output is written: output_, else plan_.output_fd
  std::string to_master_, to_output_;
  // pty_relay_catch_up(): the first fence_ bytes of to_output_ are written while paused;
  // catching_up_ is the request they answer (0: none pending).
  size_t fence_ = 0;
  uint64_t catching_up_ = 0;
  bool input_open_ = true;
  bool master_open_ = true;
  bool last_was_newline_ = true;
  bool saved_ = false;
  termios saved_modes_{};
};

}  // namespace cordon
