// A terminal emulator in miniature, for the tests that drive cordon through a real outer
// pty the way a user's terminal emulator does (tty_test.cpp, ask_test.cpp): the master of
// a pty pair whose slave is cordon's controlling terminal and standard streams (stdout may
// be a pipe instead). Every read and wait is bounded; the process started is waited for by
// pid, and killed by pid if a test leaves it running.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace cordon_test {

constexpr const char* kNoOuterPty = "no pty pair for the outer terminal (posix_openpt failed)";

class OuterTerminal {
 public:
  explicit OuterTerminal(unsigned short rows = 33, unsigned short cols = 101) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    slave_ = ::open(::ptsname(master_), O_RDWR | O_NOCTTY | O_CLOEXEC);
    winsize ws{rows, cols, 0, 0};
    ::ioctl(master_, TIOCSWINSZ, &ws);
    ::fcntl(master_, F_SETFL, O_NONBLOCK);
  }
  ~OuterTerminal() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {master_, slave_, pipe_read_})
      if (fd >= 0) ::close(fd);
  }
  OuterTerminal(const OuterTerminal&) = delete;
  OuterTerminal& operator=(const OuterTerminal&) = delete;

  bool ok() const { return master_ >= 0 && slave_ >= 0; }
  int slave() const { return slave_; }
  int master() const { return master_; }

  // Runs argv (argv[0] a path) in its own session with the slave as its controlling
  // terminal and standard streams; `stdout_pipe`: stdout is a pipe read by piped().
  void start(const std::vector<std::string>& argv, const std::string& cwd,
             const std::vector<std::string>& env, bool stdout_pipe = false) {
    int out[2] = {-1, -1};
    if (stdout_pipe && ::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::signal(SIGPIPE, SIG_DFL);
      ::setsid();
      ::ioctl(slave_, TIOCSCTTY, 0);
      ::dup2(slave_, 0), ::dup2(stdout_pipe ? out[1] : slave_, 1), ::dup2(slave_, 2);
      if (::chdir(cwd.c_str()) != 0) ::_exit(122);
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      ::_exit(121);
    }
    if (stdout_pipe) {
      ::close(out[1]);
      pipe_read_ = out[0];
    }
  }

  // Reads the screen until `needle` appears after what was already matched (true), or
  // `ms` pass or cordon exits.
  bool expect(const std::string& needle, int ms = 20000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (screen_.find(needle, seen_) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 100))) > 0) pump();
      if (exited()) {
        pump();
        if (screen_.find(needle, seen_) == std::string::npos) return false;
      }
    }
    seen_ = screen_.find(needle, seen_) + needle.size();
    return true;
  }
  // The text from the last match to the end of its line (a question, for a test to read).
  std::string line_after_last_match() const {
    const size_t end = screen_.find('\n', seen_);
    return screen_.substr(seen_, end == std::string::npos ? std::string::npos : end - seen_);
  }
  void send(const std::string& bytes) {
    ssize_t n = ::write(master_, bytes.data(), bytes.size());
    (void)n;
  }
  // A key pressed in answer to a question just seen: cordon takes a key only after
  // 500 ms with none (ask.cpp), as a user reads the question first.
  void answer(const std::string& key) {
    ::usleep(700 * 1000);
    send(key);
  }
  // Waits (bounded) for cordon's exit; returns its code, -1 on a timeout (then the
  // destructor kills it).
  int wait(int ms = 60000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!exited()) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) pump();
    }
    pump();
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }
  // What cordon wrote to a piped stdout (after wait()).
  std::string piped() {
    std::string out;
    char buf[4096];
    for (ssize_t n; pipe_read_ >= 0 && (n = ::read(pipe_read_, buf, sizeof buf)) > 0;) out.append(buf, n);
    return out;
  }
  const std::string& screen() const { return screen_; }
  size_t count(const std::string& needle) const {
    size_t n = 0;
    for (size_t at = screen_.find(needle); at != std::string::npos; at = screen_.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  bool exited() {
    if (pid_ <= 0) return true;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }
  void pump() {
    char buf[4096];
    for (ssize_t n; (n = ::read(master_, buf, sizeof buf)) > 0;) screen_.append(buf, static_cast<size_t>(n));
  }
  int master_ = -1, slave_ = -1, pipe_read_ = -1;
  pid_t pid_ = -1;
  int status_ = 0;
  std::string screen_;
  size_t seen_ = 0;
};

}  // namespace cordon_test
