// cordon's creation broker (platform/linux/create_broker.hpp): every call that makes a
// name is made by cordon in the command's view, and an absent protected path is refused,
// with nothing put in the user's workspace. Each case is checked from outside: the
// workspace as the test sees it, an inotify watch held by the test.
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

constexpr int kBoundSeconds = 60;

// tests/tools/create_probe.cpp, copied where the sandbox can see it (its /tmp is private).
std::string create_probe() {
  static const TempDir dir;
  static const std::string staged = [] {
    const char* env = std::getenv("CORDON_CREATE_PROBE");
    const std::string built = env && *env ? env : CORDON_CREATE_PROBE_BINARY;
    const std::string copy = dir / "create_probe";
    std::error_code ec;
    fs::copy_file(built, copy, fs::copy_options::overwrite_existing, ec);
    if (ec) return built;
    ::chmod(copy.c_str(), 0755);
    return copy;
  }();
  return staged;
}

// Every change inotify reports in the watched directories, as "dir-index:mask:name".
class Watch {
 public:
  explicit Watch(const std::vector<std::string>& dirs) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    const uint32_t changes = IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO |
                             IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;
    for (const auto& d : dirs) ::inotify_add_watch(fd_, d.c_str(), changes);
  }
  ~Watch() { ::close(fd_); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  bool ok() const { return fd_ >= 0; }
  // What arrived within `ms` (bounded), in order.
  std::vector<std::string> drain(int ms) {
    std::vector<std::string> out;
    for (int waited = 0; waited < ms; waited += 50) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      alignas(inotify_event) char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      for (ssize_t i = 0; i < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + i);
        out.push_back(std::to_string(e->wd) + ":" + std::to_string(e->mask) + ":" + (e->len ? e->name : ""));
        i += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
    return out;
  }

 private:
  int fd_;
};

std::string join_lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

}  // namespace

TEST(CreateBroker, ARunMakesNothingInTheWorkspaceThatTheCommandDidNotMake) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  ASSERT_EQ(run_process({"git", "init", "-q", box.ws.path()}, box.ws.path(), "", box.env()).code, 0);
  Watch watch({box.ws.path(), box.ws / ".git"});
  ASSERT_TRUE(watch.ok());
  auto quiet = run_process({cordon_binary(), "run", "--no-config", "--", "true"}, box.ws.path(), "",
                           box.env({"CORDON_PLACEHOLDER_LINGER_MS=0"}), kBoundSeconds);
  ASSERT_EQ(quiet.code, 0) << quiet.err;
  auto events = watch.drain(700);  // longer than any cleaner would linger
  EXPECT_TRUE(events.empty()) << "cordon changed the workspace of a command that changed nothing:\n"
                              << join_lines(events);
  auto one = run_process({cordon_binary(), "run", "--no-config", "--", "sh", "-c", "echo x > made.txt"},
                         box.ws.path(), "", box.env({"CORDON_PLACEHOLDER_LINGER_MS=0"}), kBoundSeconds);
  ASSERT_EQ(one.code, 0) << one.err;
  events = watch.drain(700);
  ASSERT_FALSE(events.empty());  // the allowed half: the command's own file is seen
  for (const auto& e : events) EXPECT_TRUE(e.size() > 9 && e.substr(e.size() - 9) == ":made.txt") << e;
}

TEST(CreateBroker, EveryWayToMakeAnAbsentProtectedNameIsRefused) {
  Sandbox box;
  write_file(box.ws / "file", "data\n");
  const std::string probe = create_probe();
  const auto before = snapshot(box.ws.path());
  const std::string script =
      "mkdir .vscode; echo > .mcp.json; echo x > .envrc; ln -s file .claude; ln file .codex; "
      "mkdir d && mv d .cursor; rmdir d; mkfifo .zed; mkdir sub && (cd sub && mkdir ../.gemini); "
      "ln -s .idea dangling && echo x > dangling; rm dangling; ln -s . self && mkdir self/.kiro; rm self; "
      "ln -s /proc/self/cwd/.amazonq via && echo x > via; rm via; rmdir sub; " +
      sh_quote(probe) + " dirfd .opencode; " + sh_quote(probe) + " tmpfile .roo; true";
  auto o = box.sh(script, {"--report-denials", "full"});  // listed although the command succeeds
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(snapshot(box.ws.path()), before) << o.err;
  // stderr lists the first ten denials; the probe's two are told by its own errors.
  EXPECT_TRUE(contains(o.err, "openat: Permission denied")) << o.err;
  EXPECT_TRUE(contains(o.err, "linkat: Permission denied")) << o.err;
  for (const char* n : {".vscode", ".mcp.json", ".envrc", ".claude", ".codex", ".cursor", ".zed", ".gemini",
                        ".idea", ".kiro"})
    EXPECT_TRUE(contains(o.err, "denied create " + box.ws / n) ||
                contains(o.err, "denied rename " + box.ws / n))
        << n << "\n"
        << o.err;
}

TEST(CreateBroker, EverydayCreationWorksAsWithoutCordon) {
  Sandbox box;
  const std::string probe = create_probe();
  const std::string script =
      "set -e; umask 077; echo secret > private; umask 022; echo a > log; echo b >> log; "
      "echo gone > /dev/null; echo shown > /dev/stdout; mkdir -p a/b/c; echo deep > a/b/c/f; "
      "ln -s target dangling; echo via > dangling; ln log hard; mkdir tree; ln -s ../log tree/link; "
      "cp -al tree copy; echo old > x; echo new > y; mv y x; mkfifo fifo; "
      "(sleep 0.3; cat fifo > from-fifo) & echo through > fifo; wait; " +
      sh_quote(probe) + " tmpfile tmp.txt; " + sh_quote(probe) +
      " dirfd dirfd.txt; echo A > ea; echo B > eb; " + sh_quote(probe) + " exchange ea eb; " +
      sh_quote(probe) +
      " flags absent; "
      "tar cf t.tar a && mkdir un && tar xf t.tar -C un; cd a && echo rel > ../rel.txt";
  auto o = box.sh(script);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "shown\n");
  struct stat st {};
  ASSERT_EQ(::stat((box.ws / "private").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the command's umask applies";
  ASSERT_EQ(::stat((box.ws / "log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(read_file(box.ws / "log"), "a\nb\n");
  EXPECT_EQ(read_file(box.ws / "a/b/c/f"), "deep\n");
  EXPECT_EQ(read_file(box.ws / "target"), "via\n");
  EXPECT_EQ(fs::hard_link_count(box.ws / "hard"), 2u);
  ASSERT_EQ(::lstat((box.ws / "copy/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_nlink, 2u) << "cp -al links the symlink itself";
  EXPECT_EQ(read_file(box.ws / "x"), "new\n");
  EXPECT_EQ(read_file(box.ws / "from-fifo"), "through\n");
  EXPECT_EQ(read_file(box.ws / "tmp.txt"), "tmpfile\n");
  EXPECT_EQ(read_file(box.ws / "dirfd.txt"), "dirfd\n");
  EXPECT_EQ(read_file(box.ws / "ea"), "B\n");
  EXPECT_EQ(read_file(box.ws / "eb"), "A\n");
  EXPECT_FALSE(exists(box.ws / "absent"));
  EXPECT_EQ(read_file(box.ws / "un/a/b/c/f"), "deep\n");
  EXPECT_EQ(read_file(box.ws / "rel.txt"), "rel\n");
}

// The broker opens without O_TRUNC and truncates after its checks; a file the open made is
// not truncated again (the kernel skips it too). What a build relies on must be the kernel's
// own: `: >stamp` renews an existing empty file's times, a full file is emptied, a new one
// holds what was written.
TEST(CreateBroker, TruncationKeepsTheKernelsMeaning) {
  Sandbox box;
  write_file(box.ws / "stamp", "");
  write_file(box.ws / "full", "old contents\n");
  const timespec old_times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (box.ws / "stamp").c_str(), old_times, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, (box.ws / "full").c_str(), old_times, 0), 0);
  auto o = box.sh(": > stamp; : > full; echo made > new; echo again > new");
  ASSERT_EQ(o.code, 0) << o.err;
  struct stat st {};
  ASSERT_EQ(::stat((box.ws / "stamp").c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, 1000000000) << "an existing empty file's times are renewed (make's stamps)";
  EXPECT_EQ(st.st_size, 0);
  ASSERT_EQ(::stat((box.ws / "full").c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(read_file(box.ws / "new"), "again\n");
}

// The race runs for 3000 rounds or 15 seconds, whichever ends first (a loaded machine
// gets through fewer rounds, each brokered call waiting for a CPU). It proves something
// only if the flipping was seen both ways: the ordinary name made and .vscode refused.
TEST(CreateBroker, APathRewrittenByAnotherThreadNeverMakesAProtectedName) {
  Sandbox box;
  auto o = box.sh(sh_quote(create_probe()) + " race .vscode 3000 15");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(exists(box.ws / ".vscode")) << o.out << o.err;
  long made = 0, refused = 0, rounds = 0;
  ASSERT_EQ(std::sscanf(o.out.c_str(), "made %ld refused %ld rounds %ld", &made, &refused, &rounds), 3)
      << o.out;
  EXPECT_GT(made, 0) << "the ordinary name was never made: " << o.out;
  EXPECT_GT(refused, 0) << ".vscode was never asked for: " << o.out;
  EXPECT_GE(rounds, 20) << "too few rounds to race: " << o.out;
}

// Everyday git writes its config (remote add, push -u, set-upstream, a branch description)
// by renaming config.lock over the protected .git/config: cordon checks the content and
// writes it; a key that runs code or redirects git is refused, and git run outside
// afterwards runs nothing.
TEST(CreateBroker, GitConfigWritesAreCheckedByContent) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  const std::vector<std::string> identity = {"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com",
                                             "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com"};
  auto env = box.env(identity);
  ASSERT_EQ(run_process({"git", "init", "-q", "-b", "main", box.ws.path()}, box.ws.path(), "", env).code, 0);
  ASSERT_EQ(run_process({"git", "commit", "-q", "--allow-empty", "-m", "init"}, box.ws.path(), "", env).code,
            0);
  ASSERT_EQ(run_process({"git", "init", "-q", "--bare", box.ws / "remote.git"}, box.ws.path(), "", env).code,
            0);
  const std::string marker = box.home / "pwned";
  auto o = box.sh(
      "git remote add origin \"$PWD/remote.git\" && git push -q -u origin main && "
      "git branch -q topic && git branch -q --set-upstream-to=origin/main topic && "
      "git config branch.main.description hello && git checkout -q -b other origin/main && echo everyday-ok; "
      "git config core.fsmonitor 'touch " +
          marker +
          "'; echo fsmonitor=$?; "
          "git config alias.x '!touch " +
          marker +
          "'; echo alias=$?; "
          "git config remote.evil.url 'ext::sh -c touch% " +
          marker +
          "'; echo ext=$?; "
          "printf '[core]\\n\\tfsmonitor = touch " +
          marker +
          "\\n' > .git/config.lock && mv .git/config.lock .git/config; "
          "echo mv=$?; rm -f .git/config.lock; true",
      {}, "", identity);
  EXPECT_TRUE(contains(o.out, "everyday-ok")) << o.out << o.err;
  for (const char* refused : {"fsmonitor=", "alias=", "ext=", "mv="})
    EXPECT_FALSE(contains(o.out, std::string(refused) + "0\n")) << refused << "\n" << o.out;
  EXPECT_TRUE(contains(o.err, "refused key core.fsmonitor")) << o.err;
  const std::string config = read_file(box.ws / ".git/config");
  EXPECT_TRUE(contains(config, "[remote \"origin\"]")) << config;
  EXPECT_TRUE(contains(config, "description = hello")) << config;
  EXPECT_FALSE(contains(config, "fsmonitor")) << config;
  EXPECT_FALSE(contains(config, "alias")) << config;
  EXPECT_FALSE(contains(config, "ext::")) << config;
  // git outside, afterwards: it runs nothing planted, and the upstream is there.
  auto status = run_process({"git", "status", "-sb"}, box.ws.path(), "", env);
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_TRUE(contains(status.out, "other...origin/main")) << status.out;
  auto x = run_process({"git", "x"}, box.ws.path(), "", env);
  EXPECT_FALSE(exists(marker));
}

// cordon as root holds capabilities the command has not: the broker looks paths up
// without them too, so a directory the command may not search (here its own, mode 000)
// is closed to the calls cordon makes for it, as it is to the command's own.
TEST(CreateBroker, TheBrokerSearchesNoDirectoryTheCommandCannot) {
  Sandbox box;
  write_file(box.ws / "readable", "shown\n");
  write_file(box.ws / "locked/open/secret", "hidden\n");
  ::chmod((box.ws / "locked/open").c_str(), 0777);
  ASSERT_EQ(::chmod((box.ws / "locked").c_str(), 0), 0);
  const std::string probe = sh_quote(create_probe());
  auto o = box.sh(probe + " read readable; " + probe + " read locked/open/secret; " + probe +
                  " read locked/open/new; mkdir locked/open/made; cat locked/open/secret; true");
  ::chmod((box.ws / "locked").c_str(), 0755);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "shown\n") << "the secret behind a directory the command cannot search was read";
  EXPECT_FALSE(exists(box.ws / "locked/open/new"));
  EXPECT_FALSE(exists(box.ws / "locked/open/made"));
  EXPECT_TRUE(contains(o.err, "Permission denied")) << o.err;
}

// bind() makes a name (a socket file): refused for a protected one, by every path, and
// performed on the caller's own socket otherwise (it listens, and is reached).
TEST(CreateBroker, ABoundSocketNeverMakesAProtectedName) {
  Sandbox box;
  const std::string probe = sh_quote(create_probe());
  auto o = box.sh(probe + " bind .vscode; " + probe + " bind \"$PWD/.envrc\"; mkdir sub; " + probe +
                  " bind sub/../.mcp.json; " + probe + " bind .claude/; ln -s .cursor link; " + probe +
                  " bind link; rm link; set -e; " + probe + " bind made.sock; " + probe +
                  " bind sub/deep.sock; " + probe + " bind @cordon-create-probe-abstract");
  EXPECT_EQ(o.code, 0) << o.err;
  for (const char* n : {".vscode", ".envrc", ".mcp.json", ".claude", ".cursor"})
    EXPECT_FALSE(exists(box.ws / n)) << n << "\n" << o.err;
  struct stat st {};
  ASSERT_EQ(::lstat((box.ws / "made.sock").c_str(), &st), 0) << o.err;
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  ASSERT_EQ(::lstat((box.ws / "sub/deep.sock").c_str(), &st), 0) << o.err;
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_TRUE(contains(o.err, "denied create " + box.ws / ".vscode")) << o.err;
}

// A FIFO opened for writing without a reader is waited for on a thread of cordon's, and
// the command's processes count against the same user's process limit: when none can
// be started the call fails, and cordon carries on (it aborted).
TEST(CreateBroker, WaitsThatCannotGetAThreadFailTheCallNotCordon) {
  if (::geteuid() == 0) GTEST_SKIP() << "root is not bound by RLIMIT_NPROC (runs as the unprivileged user)";
  if (!have_tool("prlimit") || !have_tool("ps")) GTEST_SKIP() << "prlimit or ps is not installed";
  Sandbox box;
  // Room for cordon and a few dozen of the command's threads beyond what this user runs now.
  auto count = run_process({"ps", "-L", "-u", std::to_string(::getuid()), "--no-headers"}, box.ws.path(), "",
                           box.env(), kBoundSeconds);
  const long running = std::count(count.out.begin(), count.out.end(), '\n');
  const std::string limit = "--nproc=" + std::to_string(running + 60);
  auto o = run_process(
      {"prlimit", limit, cordon_binary(), "run", "--no-config", "--", create_probe(), "fifo-writers", "300"},
      box.ws.path(), "", box.env(), kBoundSeconds);
  EXPECT_FALSE(contains(o.err, "terminate called")) << o.err;
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "started ")) << o.out << o.err;
}

// Below another seccomp listener (an outer supervisor) nothing brokers the calls that
// make names: the run fails closed, and under --best-effort the guarantee is reported
// degraded, with a warning, never as held.
TEST(CreateBroker, WithoutItsListenerProtectedPathsAreNotReportedHeld) {
  const char* env = std::getenv("CORDON_HOLD_LISTENER");
  const std::string hold = env && *env ? env : CORDON_HOLD_LISTENER_BINARY;
  Sandbox box;
  auto refused = run_process({hold, cordon_binary(), "run", "--no-config", "--", "mkdir", ".vscode"},
                             box.ws.path(), "", box.env(), kBoundSeconds);
  EXPECT_EQ(refused.code, 125) << refused.err;
  EXPECT_FALSE(exists(box.ws / ".vscode"));
  auto o = run_process({hold, cordon_binary(), "run", "--no-config", "--best-effort", "--json", "--", "true"},
                       box.ws.path(), "", box.env(), kBoundSeconds);
  ASSERT_EQ(o.code, 0) << o.err;
  const size_t at = o.err.find("{\"");  // the result object, after any warnings on stderr
  ASSERT_NE(at, std::string::npos) << o.err;
  const auto doc = nlohmann::json::parse(o.err.substr(at), nullptr, false);
  ASSERT_TRUE(doc.is_object()) << o.err;
  std::string state;
  for (const auto& g : doc["guarantees"])
    if (g.value("name", "") == "protected paths") state = g.value("state", "");
  EXPECT_EQ(state, "degraded") << o.out;
  EXPECT_TRUE(contains(o.err, "warning: protected paths degraded")) << o.err;
}

// /dev/tty is the opener's controlling terminal: opened by cordon, it is cordon's, the
// user's terminal. The command, with output redirected away from it, gives itself a
// terminal numbered as cordon's may be (pseudo-terminals of different instances share
// numbers) and asks the broker for /dev/tty: refused; its own stays reachable.
TEST(CreateBroker, DevTtyIsNeverCordonsTerminal) {
  if (!have_tool("script")) GTEST_SKIP() << "script (util-linux) is not installed: no terminal for cordon";
  Sandbox box;
  TempDir out;
  const std::string cmd = sh_quote(cordon_binary()) + " run --no-config -- " + sh_quote(create_probe()) +
                          " tty 16 </dev/null >" + sh_quote(out / "probe") + " 2>&1";
  auto o = run_process({"script", "-qec", cmd, "/dev/null"}, box.ws.path(), "", box.env({"SHELL=/bin/sh"}),
                       kBoundSeconds);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "WRITTEN TO ANOTHER TERMINAL")) << "the command wrote into cordon's terminal";
  const std::string probe = read_file(out / "probe");
  EXPECT_TRUE(contains(probe, "other 0\n")) << probe;
  EXPECT_TRUE(contains(probe, "own 16\n")) << probe;
}

// A set-user-id or set-group-id file made inside would run as its owner outside (root's,
// when cordon runs as root): chmod refuses the bits and a creation drops them; ordinary
// modes change as usual.
TEST(CreateBroker, NoSetIdFileCanBeMade) {
  Sandbox box;
  auto o = box.sh(
      "echo x > plain && chmod 755 plain && echo chmod-ok; chmod u+s plain; echo suid=$?; chmod g+s plain; "
      "echo sgid=$?; python3 -c \"import os; os.close(os.open('made', os.O_CREAT | os.O_WRONLY, 0o6755))\"; "
      "true");
  EXPECT_TRUE(contains(o.out, "chmod-ok")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "suid=0")) << o.out;
  EXPECT_FALSE(contains(o.out, "sgid=0")) << o.out;
  struct stat st {};
  ASSERT_EQ(::stat((box.ws / "plain").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((box.ws / "made").c_str(), &st), 0) << o.err;
  EXPECT_EQ(st.st_mode & (S_ISUID | S_ISGID), 0u);
}

// A protected directory made outside while the command runs (an editor opening the folder
// makes .vscode): the command cannot write into it, at the top or at depth.
TEST(CreateBroker, AProtectedDirectoryMadeOutsideDuringTheRunStaysUnwritable) {
  Sandbox box;
  fs::create_directories(box.ws / "sub");
  write_file(box.ws / "notes.txt", "{}\n");
  std::thread editor([&] {
    for (int i = 0; i < 100 && !exists(box.ws / "ready"); ++i) ::usleep(20 * 1000);
    write_file(box.ws / ".vscode/settings.json", "{}\n");
    write_file(box.ws / "sub/.claude/settings.json", "{}\n");
    write_file(box.ws / "go", "");
  });
  auto o = box.sh(
      "touch ready; i=0; while [ ! -e go ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done; "
      "echo evil > .vscode/tasks.json; echo evil > .vscode/settings.json; cp notes.txt .vscode/x.json; "
      "mv notes.txt .vscode/tasks.json; echo evil > sub/.claude/settings.json; mkdir sub/.claude/commands; "
      "mv .vscode/settings.json stolen.json; echo ordinary > ok.txt; true");
  editor.join();
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(snapshot(box.ws / ".vscode"), (std::map<std::string, std::string>{{"settings.json", "{}\n"}}))
      << o.err;
  EXPECT_EQ(snapshot(box.ws / "sub/.claude"), (std::map<std::string, std::string>{{"settings.json", "{}\n"}}))
      << o.err;
  EXPECT_EQ(read_file(box.ws / "ok.txt"), "ordinary\n");  // the allowed half, beside it
  EXPECT_EQ(read_file(box.ws / "notes.txt"), "{}\n");
}
