#include "platform/linux/command_exec.hpp"

#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/linux/child_report.hpp"

extern char** environ;

namespace cordon {
namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// The value of PATH in `envp`, or nullptr. No allocation: runs in a vfork child.
const char* path_of(char* const* envp) {
  for (char* const* e = envp; e && *e; ++e)
    if (std::strncmp(*e, "PATH=", 5) == 0) return *e + 5;
  return nullptr;
}

// Is there any file named `name` in a $PATH directory? (no allocation: vfork child)
bool on_path(const char* name, char* const* envp) {
  const char* path = path_of(envp);
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  char candidate[4096];
  while (*path) {
    const char* end = std::strchr(path, ':');
    size_t len = end ? static_cast<size_t>(end - path) : std::strlen(path);
    if (len + 1 + std::strlen(name) + 1 <= sizeof candidate) {
      std::memcpy(candidate, path, len);
      candidate[len] = '/';
      std::strcpy(candidate + len + 1, name);
      if (::access(candidate, F_OK) == 0) return true;
    }
    if (!end) break;
    path = end + 1;
  }
  return false;
}

}  // namespace

sigset_t forwarded_signals(bool with_chld) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  if (with_chld) sigaddset(&set, SIGCHLD);
  return set;
}

[[noreturn]] void exec_command(char* const* argv, char* const* envp, const sigset_t& original_mask,
                               int report_fd, int ctty_fd) {
  if (ctty_fd >= 0) {
    if (::getsid(0) != ::getpid() && ::setsid() < 0) {
      ChildReporter(report_fd).fail("tty", "setsid", "");
      ::_exit(125);
    }
    if (::ioctl(ctty_fd, TIOCSCTTY, 0) != 0) {
      ChildReporter(report_fd).fail("tty", "ioctl(TIOCSCTTY)", "");
      ::_exit(125);
    }
  }
  for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  // execvpe searches the PATH of the calling process: make that the command's own.
  environ = const_cast<char**>(envp);
  ::execvpe(argv[0], argv, envp);
  int err = errno;
  // execvp reports EACCES when an unreadable PATH entry was skipped, even though the
  // command exists nowhere: say "not found" (127) like a shell does.
  if (err == EACCES && std::strchr(argv[0], '/') == nullptr && !on_path(argv[0], envp)) err = ENOENT;
  ChildReporter(report_fd).fail("exec", "execvp", argv[0], err);
  ::_exit(err == ENOENT ? 127 : 126);
}

int status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

}  // namespace cordon
