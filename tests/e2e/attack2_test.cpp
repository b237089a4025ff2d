// The attack pass on what the second session landed (asked reads of --deny-read files,
// the --policy/--config refusal, MCP questions), as a command that wants more than it was
// given. Each test runs a real sandboxed child and checks the effect from outside; every
// wait is bounded.
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "e2e/harness.hpp"

namespace {

using namespace cordon_test;

// Shmem in /proc/meminfo, in KiB (memfds are shared memory); -1 when unknown.
long shmem_kib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long value = 0;
  std::string unit;
  while (in >> key >> value) {
    if (key == "Shmem:") return value;
    std::getline(in, unit);
  }
  return -1;
}

std::string learn_unavailable(const Sandbox& box) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Outcome o = cordon_sh(box.ws.path(), "true", {"--learn", kept / "probe.toml"}, "", box.env());
  return o.code == 0 ? std::string() : "cordon run --learn cannot work here: " + o.err;
}

// A granted read installs a copy of the file made in cordon's memory, outside the sandbox
// (and its memory limit). A command granted a file for the run that opens it again and
// again, holding every descriptor, must not make cordon hold a copy per open: 48 opens of
// a 16 MiB file were 768 MiB of the host's memory.
TEST(Attack2, ReopeningAGrantedReadDoesNotCopyItAgain) {
  OutsideDir kept;
  Sandbox box;
  if (auto why = learn_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  if (!have_tool("bash")) GTEST_SKIP() << "no bash to hold many descriptors";
  const std::string home = box.home.path();
  const std::string big = home + "/big.bin";
  {
    std::string chunk(1 << 20, 'x');
    std::ofstream out(big, std::ios::binary);
    out << "BIGFILE-HEADER";
    for (int i = 0; i < 16; ++i) out << chunk;
  }
  write_file(box.ws / "hold.sh",
             "F=\"$HOME/big.bin\"; i=0\n"
             "while [ $i -lt 48 ]; do exec {fd}<\"$F\" || exit 3; i=$((i+1)); done\n"
             "head -c 14 <&$fd > got; echo >> got\n"
             "touch ready; n=0\n"
             "while [ ! -e go ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done\n");
  const long before = shmem_kib();
  if (before < 0) GTEST_SKIP() << "no Shmem line in /proc/meminfo";
  std::vector<std::string> argv = {cordon_binary(), "run", "--no-config", "--learn", kept / "l.toml",
                                   "--deny-read",   big,   "--",          "bash",    "hold.sh"};
  const pid_t pid = spawn_detached(argv, box.ws.path(), box.env());
  ASSERT_GT(pid, 0);
  const bool ready = wait_for_file(box.ws / "ready", 60000);
  const long during = shmem_kib();
  write_file(box.ws / "go", "");
  int status = 0;
  for (int i = 0; i < 600 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "cordon did not end";
  }
  ASSERT_TRUE(ready) << "the command never held its descriptors";
  EXPECT_EQ(read_file(box.ws / "got"), "BIGFILE-HEADER\n");  // the grant works
  // One copy is 16 MiB; a copy per open, 768 MiB. Other processes' shared memory moves
  // the figure a little, never by hundreds of MiB.
  EXPECT_LT(during - before, 256L * 1024) << "Shmem grew by " << (during - before) / 1024 << " MiB";
}

// The copies of one run are bounded too (256 MiB): five granted files of 60 MiB each (sparse:
// no disk, but a copy holds every byte) get four copies, and the fifth read gets what it
// gets without a grant, the empty mask.
TEST(Attack2, TheCopiesOfARunAreBounded) {
  OutsideDir kept;
  Sandbox box;
  if (auto why = learn_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  std::vector<std::string> opts = {"--learn", kept / "l.toml"};
  std::string script;
  for (int k = 0; k < 5; ++k) {
    const std::string f = home + "/f" + std::to_string(k) + ".bin";
    write_file(f, "FILE-" + std::to_string(k) + "-HEAD");
    ASSERT_EQ(::truncate(f.c_str(), off_t{60} << 20), 0);
    opts.insert(opts.end(), {"--deny-read", f});
    script += "printf '[%s]\\n' \"$(head -c 11 \"$HOME/f" + std::to_string(k) + ".bin\")\"; ";
  }
  Outcome o = box.sh(script, opts);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "[FILE-0-HEAD]\n[FILE-1-HEAD]\n[FILE-2-HEAD]\n[FILE-3-HEAD]\n[]\n") << o.err;
}

// --policy FILE is read as the user's own layer and refused inside the workspace, where an
// earlier sandboxed run could have written it. The same file named through a bind mount of
// the workspace (a second path to the same directory) was read: its rule made a directory
// outside writable, and the command wrote there.
TEST(Attack2, APolicyFileInTheWorkspaceIsRefusedThroughABindMountToo) {
  if (!is_root()) GTEST_SKIP() << "binding the workspace elsewhere needs root (a private mount namespace)";
  Sandbox box;
  OutsideDir target;  // what the planted fragment makes writable
  OutsideDir alias;   // where the workspace is bound
  write_file(box.ws / "frag.toml", "[filesystem]\nwritable = [\"" + target.path() + "\"]\n");
  // Named plainly, it is refused (as landed).
  Outcome plain = box.sh("touch " + sh_quote(target / "pwned"), {"--policy", box.ws / "frag.toml"});
  ASSERT_EQ(plain.code, 2) << plain.err;
  ASSERT_FALSE(exists(target / "pwned"));
  // Named through the bind, in a mount namespace of this test's own.
  const std::vector<std::string> argv = {cordon_binary(),     "run", "--no-config", "--policy",
                                         alias / "frag.toml", "--",  "touch",       target / "pwned"};
  const std::vector<std::string> env = box.env();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount(box.ws.path().c_str(), alias.path().c_str(), nullptr, MS_BIND, nullptr) != 0)
      ::_exit(120);
    if (::chdir(box.ws.path().c_str()) != 0) ::_exit(122);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> a;
    for (const auto& x : argv) a.push_back(const_cast<char*>(x.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(121);
  }
  int status = 0;
  for (int i = 0; i < 600 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_NE(WEXITSTATUS(status), 120) << "could not bind the workspace in a mount namespace";
  EXPECT_EQ(WEXITSTATUS(status), 2);  // refused: a usage error
  EXPECT_FALSE(exists(target / "pwned"));
}

// The visible screen of a tmux server of the test's own (a real terminal emulator).
std::string tmux_screen(const std::string& socket) {
  return run_process({"tmux", "-S", socket, "capture-pane", "-p"}, "", "", {}, 20).out;
}

// Output before the asked call that set a scroll region of two lines and left the cursor in
// it: each line of the question scrolled the one before it away, and the user saw only its
// last line (the choices) next to a fake question the command had drawn below the region.
// The question resets the margins and erases below the cursor first: in a real terminal
// emulator, the whole question is on the screen, and the fake one is not.
TEST(Attack2, AScrollRegionCannotHideTheQuestion) {
  if (!have_tool("tmux")) GTEST_SKIP() << "no tmux (a terminal emulator whose screen can be read)";
  Sandbox box;
  TempDir sockets;
  const std::string socket = sockets / "s";
  const std::string home = box.home.path();
  const std::string fake =
      "cordon: the command asks to create /home/u/ws/build/out.o (outside the writable roots)";
  const std::string script =
      "printf '\\033[2J\\033[6;1H" + fake + "\\033[1;2r\\033[1;1H'; echo x > \"$HOME/f\" || echo refused";
  std::vector<std::string> argv = {"tmux", "-S", socket, "-f", "/dev/null",   "new-session", "-d", "-x",
                                   "100",  "-y", "30",   "-c", box.ws.path(), "--",          "env"};
  for (const auto& e : box.env()) argv.push_back(e);
  // The pane stays after cordon ends (its screen read once more), for at most 30 s.
  for (const char* a : {"sh", "-c", "\"$@\"; echo cordon-exit=$?; sleep 30", "sh"}) argv.push_back(a);
  for (const auto& a : {cordon_binary(), std::string("run"), std::string("--no-config"), std::string("--ask"),
                        std::string("--ask-timeout"), std::string("30"), std::string("--"), std::string("sh"),
                        std::string("-c"), script})
    argv.push_back(a);
  Outcome started = run_process(argv, box.ws.path(), "", {}, 20);
  ASSERT_EQ(started.code, 0) << started.err;
  std::string screen;
  for (int i = 0; i < 200 && !contains(screen, "[o] allow once"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    screen = tmux_screen(socket);
  }
  const bool asked = contains(screen, "[o] allow once");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the answer grace
  (void)run_process({"tmux", "-S", socket, "send-keys", "n"}, "", "", {}, 20);
  std::string after;
  for (int i = 0; i < 100 && !contains(after, "cordon-exit="); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = tmux_screen(socket);
  }
  (void)run_process({"tmux", "-S", socket, "kill-server"}, "", "", {}, 20);
  ASSERT_TRUE(asked) << screen;
  EXPECT_TRUE(contains(screen, "cordon: the command asks to create " + home + "/f")) << screen;
  // The fake question drawn below the cursor is gone: the question is the last thing shown.
  EXPECT_FALSE(contains(screen, "/home/u/ws/build/out.o")) << screen;
  EXPECT_TRUE(contains(after, "refused")) << after;
  EXPECT_TRUE(contains(after, "cordon-exit=0")) << after;
  EXPECT_FALSE(exists(home + "/f"));
}

// The files named .git the command makes are checked after the run from the broker's record
// of them (the depth scan leaves them to it), which holds 4096. Past that the rest went
// unchecked, with a warning: a .git file made 4097th, pointing to a git directory the
// command wrote (with core.fsmonitor, run by `git status`), stayed in the workspace. Now
// the creation is refused when the record is full: no .git file made in the run is left.
TEST(Attack2, MoreGitFilesThanTheRecordHoldsAreRefusedNotLeftUnchecked) {
  if (!have_tool("python3")) GTEST_SKIP() << "no python3 to make thousands of files quickly";
  Sandbox box;
  const std::string script =
      "import os\n"
      "os.makedirs('fake/objects'); os.makedirs('fake/refs')\n"
      "open('fake/HEAD', 'w').write('ref: refs/heads/main\\n')\n"
      "made = refused = 0\n"
      "for i in range(4200):\n"
      "    os.mkdir('d%d' % i)\n"
      "    try:\n"
      "        open('d%d/.git' % i, 'w').write('gitdir: ../fake\\n'); made += 1\n"
      "    except OSError:\n"
      "        refused += 1\n"
      "print('made', made, 'refused', refused)\n";
  write_file(box.ws / "many.py", script);
  Outcome o = box.sh("python3 many.py");
  EXPECT_EQ(o.code, 0) << o.err.substr(0, 2000);
  EXPECT_TRUE(contains(o.out, "made 4096 refused 104")) << o.out;  // the record's room, then refused
  // From outside: every .git file made in the run was checked (moved away); none is left.
  size_t left = 0;
  for (int i = 0; i < 4200; ++i)
    if (exists(box.ws / ("d" + std::to_string(i) + "/.git"))) ++left;
  EXPECT_EQ(left, 0u) << o.out;
}

// core.hooksPath = ~NAME/...: git expands "~NAME/" to that user's home (interpolate_path),
// as it expands "~/". The planner expanded only "~" and "~/" and took "~NAME/..." for a path
// relative to the worktree: the directory git runs hooks from was left writable, and a hook
// the command wrote there ran at the user's next commit. Now NAME's home comes from
// /etc/passwd (git_hooks_path.cpp, home_of).
TEST(Attack2, AHooksPathWithTildeUserIsProtected) {
  if (!have_tool("git")) GTEST_SKIP() << "no git";
  const passwd* pw = ::getpwuid(::geteuid());
  if (!pw || !pw->pw_dir || !pw->pw_name || pw->pw_dir[0] != '/')
    GTEST_SKIP() << "no home in the user database";
  Sandbox box;
  ASSERT_EQ(run_process({"git", "init", "-q"}, box.ws.path()).code, 0);
  ASSERT_TRUE(fs::create_directories(box.ws / "hooks"));
  // "~NAME" then as many ".." as the home has components: the workspace's hooks/ by way of
  // the user's home, as git resolves it.
  std::string up;
  for (const char* c = pw->pw_dir; *c; ++c)
    if (*c == '/' && c[1] != '\0') up += "/..";
  const std::string value = std::string("~") + pw->pw_name + up + box.ws.path() + "/hooks";
  ASSERT_EQ(run_process({"git", "config", "core.hooksPath", value}, box.ws.path()).code, 0);
  const Outcome where = run_process({"git", "rev-parse", "--git-path", "hooks"}, box.ws.path());
  ASSERT_EQ(fs::weakly_canonical(fs::path(where.out.substr(0, where.out.find('\n')))).string(),
            box.ws / "hooks")
      << where.out;
  Outcome o = box.sh("printf '#!/bin/sh\\nexit 0\\n' > hooks/pre-commit; echo ok > ok.txt");
  EXPECT_EQ(read_file(box.ws / "ok.txt"), "ok\n") << o.err;  // the allowed half
  EXPECT_FALSE(exists(box.ws / "hooks/pre-commit")) << o.err;
}

}  // namespace
