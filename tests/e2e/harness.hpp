// cordon e2e harness: run the real `cordon` binary and look at the outcome from
// outside the sandbox. Every test works in a temp directory it creates and removes.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cordon_test {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

// A fresh directory under $TMPDIR (or /tmp), removed at scope exit.
class TempDir {
 public:
  TempDir() {
    // Not under /tmp by default: the sandbox's /tmp is private, so a directory there
    // would be invisible inside and "outside" writes would fail for the wrong reason.
    const char* base = std::getenv("CORDON_TEST_TMP");
    std::string tmpl = std::string(base ? base : "/var/tmp") + "/cordon-test-XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::trunc) << text;
}

// The whole file, or what could be read of it ("" when it cannot be opened). Not an
// ifstream: libstdc++ throws from a read error, and /proc/PID files of a process that
// exits between open and read fail with ESRCH (a race the MCP tests hit).
inline std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EOF, or an error: keep what was read
    }
  }
  ::close(fd);
  return out;
}

// Every path under `root`, relative, with file contents, so "unchanged" is one comparison.
inline std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const auto rel = fs::relative(it->path(), root, ec).string();
    if (it->is_symlink(ec))
      out[rel] = "symlink -> " + fs::read_symlink(it->path(), ec).string();
    else if (it->is_directory(ec))
      out[rel] = "dir";
    else
      out[rel] = read_file(it->path().string());
  }
  return out;
}

// Does some process on the host have a command line that `match` accepts? Command
// lines are given with their arguments joined by spaces and a trailing space.
inline bool any_process(const std::function<bool(const std::string& cmdline)>& match) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::string cmd = read_file(e.path().string() + "/cmdline");
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    if (!cmd.empty() && match(cmd)) return true;
  }
  return false;
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Starts argv in `cwd` with `env` added, stdio on /dev/null, and does not wait: for tests
// that signal or race the process (the caller waits and cleans up by pid).
inline pid_t spawn_detached(const std::vector<std::string>& argv, const std::string& cwd,
                            const std::vector<std::string>& env) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // run_process ignores it in the test binary
    if (::chdir(cwd.c_str()) != 0) ::_exit(122);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(121);
  }
  return pid;
}

// Runs argv with cwd, optional stdin text and extra environment; bounded by timeout.
inline Outcome run_process(const std::vector<std::string>& argv, const std::string& cwd,
                           const std::string& stdin_text = "", const std::vector<std::string>& env_extra = {},
                           int timeout_s = 60) {
  // A command that exits without reading its stdin (a usage error) must not kill the
  // test binary with SIGPIPE when the text is written: ignored here, restored in the child.
  static const bool sigpipe_ignored = ::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(122);
    for (const auto& e : env_extra) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    ::_exit(121);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!stdin_text.empty()) {
    ssize_t w = ::write(in[1], stdin_text.data(), stdin_text.size());
    (void)w;
  }
  ::close(in[1]);
  Outcome o;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool out_open = true, err_open = true;
  char buf[4096];
  while (out_open || err_open) {
    pollfd p[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      ADD_FAILURE() << "timed out: " << argv.back();
      break;
    }
    if (::poll(p, 2, static_cast<int>(left.count())) <= 0) continue;
    if (p[0].revents) {
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n > 0)
        o.out.append(buf, static_cast<size_t>(n));
      else
        out_open = false;
    }
    if (p[1].revents) {
      ssize_t n = ::read(err[0], buf, sizeof buf);
      if (n > 0)
        o.err.append(buf, static_cast<size_t>(n));
      else
        err_open = false;
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

// CORDON_BIN overrides the build-tree path (the suite is copied elsewhere to run as
// an unprivileged user who cannot read the build tree).
inline std::string cordon_binary() {
  const char* env = std::getenv("CORDON_BIN");
  return env && *env ? env : CORDON_BINARY;
}

// The no_userns helper (tests/tools/no_userns.cpp) next to the cordon binary's tests.
inline std::string no_userns_binary() {
  const char* env = std::getenv("CORDON_NO_USERNS");
  return env && *env ? env : CORDON_NO_USERNS_BINARY;
}

// `cordon run [opts] -- sh -c SCRIPT` in `cwd`.
inline Outcome cordon_sh(const std::string& cwd, const std::string& script,
                         const std::vector<std::string>& opts = {}, const std::string& stdin_text = "",
                         const std::vector<std::string>& env_extra = {}) {
  std::vector<std::string> argv = {cordon_binary(), "run", "--no-config"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return run_process(argv, cwd, stdin_text, env_extra);
}

inline bool is_root() {
  return ::geteuid() == 0;
}

// ---- Helpers for the usability, containment and config tests ------------------------

// A directory outside every writable root that the sandbox can still see (read-only).
// It must not be under /tmp: inside the sandbox /tmp is a private directory, so a file
// under the host's /tmp is simply absent there and a denied write would prove nothing.
// Base: $CORDON_TEST_OUTSIDE, else /var/tmp.
class OutsideDir {
 public:
  OutsideDir() {
    const char* base = std::getenv("CORDON_TEST_OUTSIDE");
    std::string tmpl = std::string(base ? base : "/var/tmp") + "/cordon-outside-XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
    ::chmod(path_.c_str(), 0755);
  }
  ~OutsideDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  OutsideDir(const OutsideDir&) = delete;
  OutsideDir& operator=(const OutsideDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Environment entries that point HOME and the XDG config and state homes at `home`, so
// the secret list, the user config and cordon's per-workspace state (the private /tmp)
// come from a fake home and the real one is never read or touched.
inline std::vector<std::string> fake_home_env(const std::string& home, std::vector<std::string> extra = {}) {
  std::vector<std::string> env = {"HOME=" + home, "XDG_CONFIG_HOME=" + home + "/.config",
                                  "XDG_STATE_HOME=" + home + "/.local/state"};
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// A workspace plus a fake home (visible inside the sandbox, under OutsideDir's base).
struct Sandbox {
  TempDir ws;
  OutsideDir home;

  std::vector<std::string> env(std::vector<std::string> extra = {}) const {
    return fake_home_env(home.path(), std::move(extra));
  }
  // `cordon run --no-config [opts] -- sh -c SCRIPT` in the workspace, with the fake home.
  Outcome sh(const std::string& script, const std::vector<std::string>& opts = {},
             const std::string& stdin_text = "", std::vector<std::string> extra_env = {}) const {
    return cordon_sh(ws.path(), script, opts, stdin_text, env(std::move(extra_env)));
  }
};

// True when `name` is an executable on $PATH.
inline bool have_tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// `s` as one word for sh -c (a checkout may live under a path with spaces).
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// True when `text` contains `needle`; reads better in EXPECT_TRUE with a message.
inline bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// A unique token for this test process and call, e.g. to name a process or a socket.
inline std::string unique_token(const std::string& prefix) {
  static int counter = 0;
  return prefix + std::to_string(::getpid()) + "x" + std::to_string(++counter);
}

// Waits until `path` exists or `timeout_ms` passes.
inline bool wait_for_file(const std::string& path, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (exists(path)) return true;
    ::usleep(20 * 1000);
  }
  return exists(path);
}

}  // namespace cordon_test
