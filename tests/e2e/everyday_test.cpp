// Everyday development under the default policy (issue 17): debuggers and sanitizers on
// the command's own processes, ~/.npmrc's settings without its token, a command that
// ignores SIGTERM, quiet successful runs, and the command line's own mistakes. Each case
// also proves the forbidden sibling stays forbidden (tracing outside the run, the token).
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

// `cordon run --no-config [opts] -- sh -c SCRIPT` without user namespaces (Landlock only).
Outcome landlock_only_sh(const Sandbox& box, const std::string& script, std::vector<std::string> opts = {}) {
  std::vector<std::string> argv = {no_userns_binary(), cordon_binary(), "run", "--no-config",
                                   "--best-effort"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return run_process(argv, box.ws.path(), "", box.env());
}

// Yama's setting, or -1 without Yama: at 2 or 3 no debugging works anywhere.
int ptrace_scope() {
  std::ifstream f("/proc/sys/kernel/yama/ptrace_scope");
  int v = -1;
  f >> v;
  return f ? v : -1;
}

// A process started outside every sandbox: killed and reaped by pid at the end.
class Outside {
 public:
  explicit Outside(const std::vector<std::string>& argv) : pid_(spawn_detached(argv, "/", {})) {}
  ~Outside() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Outside(const Outside&) = delete;
  Outside& operator=(const Outside&) = delete;
  pid_t pid() const { return pid_; }
  // Not traced: TracerPid 0, and not stopped.
  bool untraced() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(f, line);) {
      if (line.rfind("State:", 0) == 0 && (contains(line, "(stopped)") || contains(line, "(tracing stop)")))
        return false;
      if (line.rfind("TracerPid:", 0) == 0)
        return line.find_first_not_of("TracerPid:\t 0") == std::string::npos;
    }
    return false;
  }

 private:
  pid_t pid_;
};

// Yama at 2 or 3: the host allows no debugging, inside or outside.
constexpr const char* kNoDebugging =
    "Yama ptrace_scope >= 2: the host allows no debugging, inside or outside";

}  // namespace

// ---- debuggers and sanitizers ----------------------------------------------------------

TEST(Everyday, GdbDebugsItsChild) {
  if (ptrace_scope() >= 2) GTEST_SKIP() << kNoDebugging;
  if (!have_tool("gdb") || !have_tool("cc")) GTEST_SKIP() << "gdb or cc is not installed";
  Sandbox box;
  write_file(box.ws / "p.c",
             "#include <stdio.h>\nint twice(int x) { return 2 * x; }\n"
             "int main(void) { printf(\"%d\\n\", twice(21)); return 0; }\n");
  auto o = box.sh(
      "cc -g -O0 -o p p.c && gdb -q -nx -batch -ex 'break twice' -ex run -ex 'print x' -ex continue ./p");
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "Breakpoint 1, twice")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "$1 = 21")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "42")) << o.out;
}

TEST(Everyday, StraceTracesItsChildAndASibling) {
  if (ptrace_scope() >= 2) GTEST_SKIP() << kNoDebugging;
  if (!have_tool("strace")) GTEST_SKIP() << "strace is not installed";
  Sandbox box;
  auto o = box.sh(
      "strace -f -e trace=execve,openat -o trace.txt cat /etc/hostname >/dev/null && "
      "grep -c 'openat(' trace.txt");
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(read_file(box.ws / "trace.txt"), "/etc/hostname")) << o.err;
  if (ptrace_scope() == 1) return;  // Yama: only descendants, on the host too
  // A sibling of the same run (attach, not spawn).
  auto s = box.sh("sleep 3 & p=$!; timeout 10 strace -p $p -e trace=none -o /dev/null 2>&1; echo done");
  EXPECT_TRUE(contains(s.out, "attached")) << s.out << s.err;
  EXPECT_FALSE(contains(s.out, "Operation not permitted")) << s.out << s.err;
}

TEST(Everyday, AddressSanitizerFindsALeak) {
  if (ptrace_scope() >= 2) GTEST_SKIP() << kNoDebugging;
  if (!have_tool("cc")) GTEST_SKIP() << "cc is not installed";
  Sandbox box;
  write_file(box.ws / "leak.c",
             "#include <stdlib.h>\nvoid *keep;\nint main(void) { keep = malloc(7); keep = 0;"
             " return 0; }\n");
  write_file(box.ws / "ok.c", "#include <stdlib.h>\nint main(void) { free(malloc(7)); return 0; }\n");
  auto build = box.sh("cc -fsanitize=address -g -o leak leak.c && cc -fsanitize=address -g -o ok ok.c");
  if (build.code != 0) GTEST_SKIP() << "no AddressSanitizer runtime: " << build.err;
  auto ok = box.sh("ASAN_OPTIONS=detect_leaks=1 ./ok");
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_FALSE(contains(ok.err, "LeakSanitizer has encountered a fatal error")) << ok.err;
  auto leak = box.sh("ASAN_OPTIONS=detect_leaks=1 ./leak");
  EXPECT_NE(leak.code, 0);
  EXPECT_TRUE(contains(leak.err, "detected memory leaks")) << leak.err;
  EXPECT_FALSE(contains(leak.err, "fatal error")) << leak.err;
}

// The forbidden siblings: a process outside, and the sandbox's own init.
TEST(Everyday, TracingOutsideTheRunIsImpossible) {
  if (!have_tool("strace")) GTEST_SKIP() << "strace is not installed";
  Sandbox box;
  Outside victim({"/bin/sleep", "30"});
  ASSERT_GT(victim.pid(), 0);
  const std::string pid = std::to_string(victim.pid());
  auto o = box.sh("timeout 5 strace -p " + pid +
                  " -o /dev/null; echo outside=$?; "
                  "timeout 5 strace -p 1 -o /dev/null; echo init=$?; "
                  "timeout 5 strace -p $PPID -o /dev/null; echo parent=$?");
  EXPECT_TRUE(contains(o.out, "outside=")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "outside=0")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "init=0")) << o.out << o.err;  // the non-dumpable init
  EXPECT_TRUE(victim.untraced());
  // Without user namespaces there is no pid namespace: the victim's pid is visible, and
  // Landlock (tracees only in the same domain) is what refuses; cordon itself likewise.
  auto l = landlock_only_sh(box, "timeout 5 strace -p " + pid +
                                     " -o /dev/null; echo outside=$?; "
                                     "timeout 5 strace -p $PPID -o /dev/null; echo cordon=$?; "
                                     "strace -o /dev/null true; echo own=$?");
  if (contains(l.err, "Landlock is unavailable")) GTEST_SKIP() << "no Landlock on this host";
  EXPECT_FALSE(contains(l.out, "outside=0")) << l.out << l.err;
  EXPECT_FALSE(contains(l.out, "cordon=0")) << l.out << l.err;
  if (ptrace_scope() < 2) {
    EXPECT_TRUE(contains(l.out, "own=0")) << l.out << l.err;
  }
  EXPECT_TRUE(victim.untraced());
}

// ---- ~/.npmrc ---------------------------------------------------------------------------

TEST(Everyday, NpmrcSettingsVisibleWithoutTheToken) {
  Sandbox box;
  const std::string token = unique_token("npm_TOKEN");
  write_file(box.home / ".npmrc",
             "registry=https://npm.example.invalid/\naudit=false\n"
             "//npm.example.invalid/:_authToken=" +
                 token + "\n_auth=" + token + "B\n");
  auto o = box.sh("cat ~/.npmrc; echo ---; cat /dev/.cordon-filtered-* 2>/dev/null; grep -rs " + token +
                      " /dev /proc/self/mountinfo ~ && echo FOUND; true",
                  {"--json"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "registry=https://npm.example.invalid/")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "audit=false")) << o.out;
  EXPECT_FALSE(contains(o.out, token)) << o.out;
  EXPECT_FALSE(contains(o.out, "FOUND")) << o.out;
  EXPECT_FALSE(contains(o.err, token)) << "the JSON result names keys, never values: " << o.err;
  EXPECT_TRUE(contains(o.err, "//npm.example.invalid/:_authToken")) << o.err;
  EXPECT_TRUE(contains(o.err, "without the secret entries")) << o.err;
  // Read-only, and the host's file is untouched.
  auto w = box.sh("echo x >> ~/.npmrc; rm -f ~/.npmrc; mv ~/.npmrc ~/n2; true");
  EXPECT_TRUE(contains(read_file(box.home / ".npmrc"), token));
  EXPECT_FALSE(exists(box.home / "n2"));
  if (have_tool("npm")) {
    auto n = box.sh("npm config get registry; npm config get audit");
    EXPECT_TRUE(contains(n.out, "https://npm.example.invalid/")) << n.out << n.err;
    EXPECT_FALSE(contains(n.out + n.err, token));
  }
}

TEST(Everyday, NpmrcThatIsALinkStaysMasked) {
  Sandbox box;
  const std::string token = unique_token("npm_TOKEN");
  write_file(box.home / "dotfiles-npmrc",
             "registry=https://npm.example.invalid/\n_authToken=" + token + "\n");
  ASSERT_EQ(::symlink("dotfiles-npmrc", (box.home / ".npmrc").c_str()), 0);
  auto o = box.sh("cat ~/.npmrc; true");
  EXPECT_FALSE(contains(o.out, token)) << o.out;
}

// ---- signals ----------------------------------------------------------------------------

namespace {

// cordon running `script` with stderr into `err_file`; waits for `ready` in the workspace.
struct Running {
  pid_t pid = -1;
  ~Running() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  // The exit status, or -1 when it did not end within `limit`.
  int wait_for(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
};

void start_ignoring_term(const Sandbox& box, Running& r, const std::string& err_file) {
  r.pid = ::fork();
  if (r.pid == 0) {
    if (::chdir(box.ws.path().c_str()) != 0) ::_exit(122);
    for (const auto& e : box.env()) ::putenv(const_cast<char*>(strdup(e.c_str())));
    int null = ::open("/dev/null", O_RDWR);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0), ::dup2(null, 1), ::dup2(err, 2);
    const std::string bin = cordon_binary();
    ::execl(bin.c_str(), bin.c_str(), "run", "--no-config", "--", "sh", "-c",
            "trap '' TERM HUP; touch ready; while :; do sleep 1; done", static_cast<char*>(nullptr));
    ::_exit(121);
  }
}

}  // namespace

TEST(Everyday, SigtermIgnoringCommandIsKilledAfterTheGracePeriod) {
  Sandbox box;
  OutsideDir logs;
  Running r;
  start_ignoring_term(box, r, logs / "err");
  ASSERT_TRUE(wait_for_file(box.ws / "ready", 20000));
  const auto sent = std::chrono::steady_clock::now();
  ::kill(r.pid, SIGTERM);
  EXPECT_EQ(r.wait_for(std::chrono::milliseconds(3500)), -1) << "ended before the grace period";
  const int status = r.wait_for(std::chrono::seconds(10));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  ASSERT_NE(status, -1) << "still running 13 s after SIGTERM";
  EXPECT_GE(took, 4.5);
  EXPECT_LE(took, 9.0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 137) << status;
  EXPECT_TRUE(contains(read_file(logs / "err"), "still running 5 s after SIGTERM"))
      << read_file(logs / "err");
}

TEST(Everyday, SecondSignalKillsAtOnce) {
  Sandbox box;
  OutsideDir logs;
  Running r;
  start_ignoring_term(box, r, logs / "err");
  ASSERT_TRUE(wait_for_file(box.ws / "ready", 20000));
  ::kill(r.pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto sent = std::chrono::steady_clock::now();
  ::kill(r.pid, SIGTERM);
  const int status = r.wait_for(std::chrono::seconds(3));
  ASSERT_NE(status, -1) << "a second SIGTERM did not end it at once";
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count(), 2.0);
  EXPECT_TRUE(contains(read_file(logs / "err"), "second signal")) << read_file(logs / "err");
}

TEST(Everyday, CommandThatHonoursSigtermEndsWithIt) {
  Sandbox box;
  OutsideDir logs;
  Running r;
  r.pid = ::fork();
  if (r.pid == 0) {
    if (::chdir(box.ws.path().c_str()) != 0) ::_exit(122);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
    const std::string bin = cordon_binary();
    ::execl(bin.c_str(), bin.c_str(), "run", "--no-config", "--", "sh", "-c", "touch ready; exec sleep 60",
            static_cast<char*>(nullptr));
    ::_exit(121);
  }
  ASSERT_TRUE(wait_for_file(box.ws / "ready", 20000));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(r.pid, SIGTERM);
  const int status = r.wait_for(std::chrono::seconds(3));
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM) << status;
}

// ---- quiet success ------------------------------------------------------------------------

namespace {
const std::vector<std::string> kGitEnv = {"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.invalid",
                                          "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.invalid"};
Outcome git_outside(const Sandbox& box, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", box.ws.path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, box.ws.path(), "", box.env(kGitEnv));
}
}  // namespace

TEST(Everyday, GitStashAndReadOnlyStatusPrintNoDenialLine) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  ASSERT_EQ(git_outside(box, {"init", "-q"}).code, 0);
  write_file(box.ws / "a.txt", "one\n");
  ASSERT_EQ(git_outside(box, {"add", "a.txt"}).code, 0);
  ASSERT_EQ(git_outside(box, {"commit", "-qm", "first"}).code, 0);
  write_file(box.ws / "a.txt", "two\n");
  auto stash = box.sh("git stash -q && git stash list && cat a.txt", {}, "", kGitEnv);
  EXPECT_EQ(stash.code, 0) << stash.err;
  EXPECT_TRUE(contains(stash.out, "stash@{0}")) << stash.out;
  EXPECT_FALSE(contains(stash.err, "denied")) << stash.err;
  EXPECT_FALSE(contains(stash.err, "--git writable")) << stash.err;
  auto pop = box.sh("git stash pop -q && cat a.txt", {}, "", kGitEnv);
  EXPECT_EQ(pop.code, 0) << pop.err;
  EXPECT_TRUE(contains(pop.out, "two")) << pop.out;
  EXPECT_FALSE(contains(pop.err, "denied")) << pop.err;
  // The README's own example.
  auto status =
      run_process({cordon_binary(), "run", "--no-config", "--mode", "read-only", "--", "git", "status"},
                  box.ws.path(), "", box.env());
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_TRUE(contains(status.out, "a.txt")) << status.out;
  EXPECT_FALSE(contains(status.err, "cordon:")) << status.err;
  // The forbidden sibling: a write in read-only mode still fails, and a failure lists it.
  auto write = run_process(
      {cordon_binary(), "run", "--no-config", "--mode", "read-only", "--", "sh", "-c", "echo x > a.txt"},
      box.ws.path(), "", box.env());
  EXPECT_NE(write.code, 0);
  EXPECT_TRUE(contains(write.err, "denied")) << write.err;
  EXPECT_TRUE(contains(read_file(box.ws / "a.txt"), "two"));
}

TEST(Everyday, SuccessfulRunSummarisesRefusalsInOneLine) {
  Sandbox box;
  OutsideDir out;
  auto o = box.sh("for i in 1 2 3; do echo x > " + out.path() + "/f$i 2>/dev/null; done; true");
  EXPECT_EQ(o.code, 0);
  size_t lines = 0;
  for (size_t at = 0; (at = o.err.find("cordon:", at)) != std::string::npos; ++at) ++lines;
  EXPECT_EQ(lines, 1u) << o.err;
  EXPECT_TRUE(contains(o.err, "3 refused operations")) << o.err;
  EXPECT_FALSE(exists(out / "f1"));
  auto full = box.sh("for i in 1 2 3; do echo x > " + out.path() + "/f$i 2>/dev/null; done; true",
                     {"--report-denials", "full"});
  EXPECT_TRUE(contains(full.err, "denied create " + (out / "f3"))) << full.err;
}

// ---- the command line ---------------------------------------------------------------------

TEST(Everyday, TypoNamesTheNearestOption) {
  TempDir ws;
  auto o = run_process({cordon_binary(), "run", "--writeable", "/tmp", "--", "true"}, ws.path());
  EXPECT_EQ(o.code, 2);
  EXPECT_TRUE(contains(o.err, "unknown option '--writeable'")) << o.err;
  EXPECT_TRUE(contains(o.err, "--writable")) << o.err;
  EXPECT_FALSE(contains(o.err, "not expected")) << o.err;
}

TEST(Everyday, ForgottenDoubleDashNamesTheFix) {
  TempDir ws;
  auto o = run_process({cordon_binary(), "run", "ls", "-la"}, ws.path());
  EXPECT_EQ(o.code, 2);
  EXPECT_TRUE(contains(o.err, "cordon run -- ls -la")) << o.err;
  EXPECT_FALSE(contains(o.err, "unknown option")) << o.err;
}

TEST(Everyday, HelpIsAnOverview) {
  TempDir ws;
  auto o = run_process({cordon_binary(), "--help"}, ws.path());
  EXPECT_EQ(o.code, 0);
  EXPECT_TRUE(contains(o.out, "Examples:")) << o.out;
  EXPECT_TRUE(contains(o.out, "Exit codes:")) << o.out;
  size_t count = 0;
  for (size_t at = 0; (at = o.out.find("--writable", at)) != std::string::npos; ++at) ++count;
  EXPECT_LE(count, 1u) << "the option list belongs to cordon run --help";
  auto run = run_process({cordon_binary(), "run", "--help"}, ws.path());
  EXPECT_TRUE(contains(run.out, "--allow-domain")) << run.out;
}
