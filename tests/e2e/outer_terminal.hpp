// A terminal emulator in miniature for the --ask tests (ask_test.cpp, ask_network_test.cpp):
// cordon runs on the slave of a real pty pair, and the test reads the screen and types
// answers on the master, the way a user's terminal drives cordon. Bounded reads and waits;
// the process is waited for by pid (killed by the destructor if still running).
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

// A terminal emulator in miniature (as in tty_test.cpp): the master of a pty pair whose
// slave is cordon's controlling terminal and standard streams.
class OuterTerminal {
 public:
  OuterTerminal() {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    slave_ = ::open(::ptsname(master_), O_RDWR | O_NOCTTY | O_CLOEXEC);
    winsize ws{40, 200, 0, 0};
    ::ioctl(master_, TIOCSWINSZ, &ws);
    ::fcntl(master_, F_SETFL, O_NONBLOCK);
  }
  ~OuterTerminal() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {master_, slave_})
      if (fd >= 0) ::close(fd);
  }
  bool ok() const { return master_ >= 0 && slave_ >= 0; }

  void start(const std::vector<std::string>& argv, const std::string& cwd,
             const std::vector<std::string>& env) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::signal(SIGPIPE, SIG_DFL);
      ::setsid();
      ::ioctl(slave_, TIOCSCTTY, 0);
      ::dup2(slave_, 0), ::dup2(slave_, 1), ::dup2(slave_, 2);
      if (::chdir(cwd.c_str()) != 0) ::_exit(122);
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      ::_exit(121);
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
  // The text from the last match to the end of the line holding the next match of
  // `needle` (the question, for a test to read).
  std::string line_after_last_match() const {
    const size_t end = screen_.find('\n', seen_);
    return screen_.substr(seen_, end == std::string::npos ? std::string::npos : end - seen_);
  }
  void send(const std::string& bytes) {
    ssize_t n = ::write(master_, bytes.data(), bytes.size());
    (void)n;
  }
  int wait(int ms = 60000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!exited()) {
      if (std::chrono::steady_clock::now() > deadline) return -1;  // the destructor kills it
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) pump();
    }
    pump();
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
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
  int master_ = -1, slave_ = -1;
  pid_t pid_ = -1;
  int status_ = 0;
  std::string screen_;
  size_t seen_ = 0;
};

}  // namespace cordon_test
