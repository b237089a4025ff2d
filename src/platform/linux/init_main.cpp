#include "platform/linux/init_main.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/exec_request.hpp"
#include "plan/landlock_abi.hpp"
#include "platform/linux/child_report.hpp"
#include "platform/linux/command_exec.hpp"
#include "platform/linux/syscalls.hpp"

extern char** environ;

namespace cordon {
namespace {

constexpr size_t kMaxSpecBytes = 256u << 20;  // argv + environment: far above ARG_MAX

std::optional<int> fd_arg(const char* s) {
  if (!s || !*s) return std::nullopt;
  long n = 0;
  for (const char* p = s; *p; ++p) {
    if (*p < '0' || *p > '9' || n > 65535) return std::nullopt;
    n = n * 10 + (*p - '0');
  }
  if (n < 3 || n > 65535) return std::nullopt;
  return static_cast<int>(n);
}

// Closes every descriptor but 0, 1, 2 and `keep` (sorted ascending).
void close_all_but(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned from = 3;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > from) ::syscall(SYS_close_range, from, static_cast<unsigned>(fd) - 1, 0U);
    from = static_cast<unsigned>(fd) + 1;
  }
  ::syscall(SYS_close_range, from, ~0U, 0U);
}

bool read_all_at(int fd, std::string& out, size_t size) {
  out.assign(size, '\0');
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

[[noreturn]] void fail(const ChildReporter& rep, const char* step, const char* call, const char* arg, int err,
                       int code = 125) {
  rep.fail(step, call, arg, err);
  ::_exit(code);
}

// "<length>\n<json>" from stdin, byte by byte up to the newline so that nothing of the
// command's own input is consumed. End of file before the first byte: the server shut
// down before asking for anything, and the worker ends quietly.
ExecRequest read_request(const ChildReporter& rep) {
  std::string len_text;
  char c = 0;
  for (;;) {
    ssize_t n = ::read(0, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && len_text.empty()) ::_exit(0);
    if (n <= 0) fail(rep, "mcp-request", "read", "request header", n < 0 ? errno : EPIPE);
    if (c == '\n') break;
    if (c < '0' || c > '9' || len_text.size() >= 9)
      fail(rep, "mcp-request", "parse", "request header", EINVAL);
    len_text += c;
  }
  const size_t len = len_text.empty() ? 0 : std::stoul(len_text);
  if (len == 0 || len > kMaxExecRequestBytes) fail(rep, "mcp-request", "parse", "request length", EINVAL);
  std::string body(len, '\0');
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::read(0, body.data() + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(rep, "mcp-request", "read", "request body", n < 0 ? errno : EPIPE);
    got += static_cast<size_t>(n);
  }
  auto request = parse_exec_request(body);
  if (!request) fail(rep, "mcp-request", "parse", "request body", EINVAL);
  return std::move(*request);
}

// `env` with each of `overlay` set (replacing an entry of the same name).
void apply_env(std::vector<std::string>& env,
               const std::vector<std::pair<std::string, std::string>>& overlay) {
  for (const auto& [name, value] : overlay) {
    const std::string prefix = name + "=";
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const std::string& e) { return e.compare(0, prefix.size(), prefix) == 0; }),
              env.end());
    env.push_back(prefix + value);
  }
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The command's processes in a Landlock domain nested in the sandbox's, so that Landlock
// too keeps them from tracing this init (a tracer reaches only its own domain and those
// nested in it): ptrace is allowed inside for debuggers, and non-dumpable must not be all
// that stands. The nested domain handles one right with no rule (making block devices,
// which no process without CAP_MKNOD can do anyway): it takes nothing else away. Without
// Landlock (ENOSYS, EOPNOTSUPP: the plan had none either) there is nothing to nest.
bool nest_landlock_domain() {
  sys::LandlockRulesetAttr attr{};
  attr.handled_access_fs = landlock::kMakeBlock;
  const long fd = sys::landlock_create_ruleset(&attr, sizeof attr.handled_access_fs, 0);
  if (fd < 0) return errno == ENOSYS || errno == EOPNOTSUPP;
  const bool ok = sys::landlock_restrict_self(static_cast<int>(fd), 0) == 0;
  ::close(static_cast<int>(fd));
  return ok;
}

// Pid 1: runs the command, reaps orphans, forwards signals to every process in the
// namespace, and exits with the command's status (the kernel then kills whatever is
// left). Signals from inside the namespace cannot reach it: pid 1 has no handlers.
[[noreturn]] void run_as_pid1(char* const* argv, char* const* envp, const sigset_t& original_mask,
                              int report_fd, int ctty_fd) {
  const sigset_t mask = forwarded_signals(true);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  pid_t cmd = ::vfork();
  if (cmd < 0) fail(ChildReporter(report_fd), "init", "vfork", "", errno);
  if (cmd == 0) {
    if (!nest_landlock_domain()) fail(ChildReporter(report_fd), "init", "landlock_restrict_self", "", errno);
    exec_command(argv, envp, original_mask, report_fd, ctty_fd);
  }
  // report_fd stays open (close-on-exec: the command never had it; non-dumpable and
  // seccomp keep it from being taken): its last record is the command's wait status.
  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&mask, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(-1, sig);
      continue;
    }
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == cmd) {
        ChildReporter(report_fd).fail("exit", "waitpid", "", status);
        ::_exit(status_to_code(status));
      }
  }
}

}  // namespace

bool is_init_invocation(int argc, char** argv) {
  return argc == 4 && std::strcmp(argv[1], kInitArg) == 0;
}

[[noreturn]] void init_main(int argc, char** argv) {
  // First: nothing inside may read this process's memory, open its /proc files or take
  // its descriptors (the ptrace access checks), even before the command exists.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_NAME, "cordon-init", 0, 0, 0);
  auto report_fd = argc == 4 ? fd_arg(argv[2]) : std::nullopt;
  auto spec_fd = argc == 4 ? fd_arg(argv[3]) : std::nullopt;
  if (!report_fd || !spec_fd || *report_fd == *spec_fd) ::_exit(125);
  close_all_but({*report_fd, *spec_fd});
  // The failure pipe must not reach the command: it could forge a setup failure.
  if (::fcntl(*report_fd, F_SETFD, FD_CLOEXEC) != 0) ::_exit(125);
  const ChildReporter rep(*report_fd);

  struct stat st {};
  if (::fstat(*spec_fd, &st) != 0) fail(rep, "init", "fstat", "launch spec", errno);
  if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxSpecBytes)
    fail(rep, "init", "fstat", "launch spec", EINVAL);
  std::string bytes;
  if (!read_all_at(*spec_fd, bytes, static_cast<size_t>(st.st_size)))
    fail(rep, "init", "pread", "launch spec", errno ? errno : EIO);
  ::close(*spec_fd);
  auto spec = decode_init_spec(bytes);
  if (!spec) fail(rep, "init", "decode", "launch spec", EINVAL);
  bytes.clear();
  if (spec->pid1) {
    // exec keeps the parent-death signal (no credential change); set it again anyway:
    // the parent is cordon, outside, and the sandbox must not outlive it.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
      fail(rep, "init", "prctl(PR_SET_PDEATHSIG)", "", errno);
    // An ignored SIGCHLD (inherited through exec) would reap the command behind our back.
    ::signal(SIGCHLD, SIG_DFL);
  }

  if (spec->read_request) {
    ExecRequest request = read_request(rep);
    spec->argv = std::move(request.argv);
    apply_env(spec->env, request.env);
    if (::chdir(request.cwd.c_str()) != 0) fail(rep, "cwd", "chdir", request.cwd.c_str(), errno, 126);
  }
  auto argv_c = c_strings(spec->argv);
  auto envp_c = c_strings(spec->env);
  sigset_t original_mask;
  sigemptyset(&original_mask);
  for (int s = 1; s <= 64 && s < NSIG; ++s)
    if (spec->signal_mask & (uint64_t{1} << (s - 1))) sigaddset(&original_mask, s);
  if (spec->pid1) run_as_pid1(argv_c.data(), envp_c.data(), original_mask, *report_fd, spec->ctty_fd);
  exec_command(argv_c.data(), envp_c.data(), original_mask, *report_fd, spec->ctty_fd);
}

}  // namespace cordon
