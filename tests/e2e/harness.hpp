// cordon e2e harness: run the real `cordon` binary and look at the outcome from
// outside the sandbox. Every test works in a temp directory it creates and removes.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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
    const char* base = std::getenv("CORDON_TEST_TMP");
    std::string tmpl = std::string(base ? base : "/tmp") + "/cordon-test-XXXXXX";
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

inline std::string read_file(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Runs argv with cwd, optional stdin text and extra environment; bounded by timeout.
inline Outcome run_process(const std::vector<std::string>& argv, const std::string& cwd,
                           const std::string& stdin_text = "", const std::vector<std::string>& env_extra = {},
                           int timeout_s = 60) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
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
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      ADD_FAILURE() << "timed out: " << argv.back();
      break;
    }
    if (::poll(p, 2, static_cast<int>(left.count())) <= 0) continue;
    if (p[0].revents) {
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n > 0) o.out.append(buf, static_cast<size_t>(n));
      else out_open = false;
    }
    if (p[1].revents) {
      ssize_t n = ::read(err[0], buf, sizeof buf);
      if (n > 0) o.err.append(buf, static_cast<size_t>(n));
      else err_open = false;
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

inline std::string cordon_binary() { return CORDON_BINARY; }

// `cordon run [opts] -- sh -c SCRIPT` in `cwd`.
inline Outcome cordon_sh(const std::string& cwd, const std::string& script, const std::vector<std::string>& opts = {},
                         const std::string& stdin_text = "", const std::vector<std::string>& env_extra = {}) {
  std::vector<std::string> argv = {cordon_binary(), "run", "--no-config"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return run_process(argv, cwd, stdin_text, env_extra);
}

inline bool is_root() { return ::geteuid() == 0; }

}  // namespace cordon_test
