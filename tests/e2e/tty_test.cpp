// --tty: the command's own terminal inside the sandbox (platform/linux/pty.hpp), driven
// through a real outer pty the way a user's terminal emulator drives cordon. Every read is
// bounded; every process started is waited for by pid.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <cstring>

#include "e2e/harness.hpp"
#include "e2e/pty_harness.hpp"

namespace {

using namespace cordon_test;

bool same_modes(const termios& a, const termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag &&
         a.c_lflag == b.c_lflag && std::memcmp(a.c_cc, b.c_cc, sizeof a.c_cc) == 0;
}

std::vector<std::string> cordon_argv(std::vector<std::string> opts, std::vector<std::string> command) {
  std::vector<std::string> argv = {cordon_binary(), "run", "--no-config"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

TEST(Tty, TheCommandHasItsOwnTerminalAndDevTtyOpens) {
  Sandbox box;
  OuterTerminal term(33, 101);
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(
      cordon_argv({}, {"sh", "-c", "tty; stty size; echo via-dev-tty > /dev/tty; [ -t 0 ] && echo in-tty"}),
      box.ws.path(), box.env());
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "/dev/pts/0")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "33 101")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "via-dev-tty")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "in-tty")) << term.screen();
}

TEST(Tty, NeverKeepsTodaysBehaviour) {
  Sandbox box;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(cordon_argv({"--tty", "never"}, {"sh", "-c", "tty; echo x > /dev/tty || echo no-dev-tty"}),
             box.ws.path(), box.env());
  EXPECT_NE(term.wait(), -1);
  EXPECT_TRUE(contains(term.screen(), "not a tty")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "no-dev-tty")) << term.screen();
}

TEST(Tty, AResizeOfTheOuterWindowReachesTheCommand) {
  Sandbox box;
  OuterTerminal term(33, 101);
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(cordon_argv({}, {"sh", "-c",
                              "trap 'stty size; exit 0' WINCH; echo ready; i=0; "
                              "while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo no-winch"}),
             box.ws.path(), box.env());
  ASSERT_TRUE(term.expect("ready")) << term.screen();
  // What a terminal emulator does when its window changes: the kernel sends SIGWINCH to
  // cordon (the outer terminal's foreground job).
  winsize ws{40, 120, 0, 0};
  ASSERT_EQ(::ioctl(term.slave(), TIOCSWINSZ, &ws), 0);
  EXPECT_TRUE(term.expect("40 120")) << term.screen();
  EXPECT_EQ(term.wait(), 0) << term.screen();
}

TEST(Tty, CtrlCInterruptsTheForegroundJobAndNotCordon) {
  Sandbox box;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(cordon_argv({}, {"sh", "-c", "trap 'echo trapped' INT; echo ready; sleep 30; echo after-$?"}),
             box.ws.path(), box.env());
  ASSERT_TRUE(term.expect("ready")) << term.screen();
  // Again until `sleep` is gone: one that lands while the shell is still forking it is
  // taken by the child's inherited handler just before its exec (the shell's own race).
  bool ended = false;
  for (int i = 0; i < 20 && !ended; ++i) {
    term.send("\x03");
    ended = term.expect("after-", 500);
  }
  EXPECT_TRUE(ended) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "trapped")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "after-130")) << term.screen();
  EXPECT_EQ(term.wait(), 0) << term.screen();  // cordon saw no SIGINT: the shell's status
}

TEST(Tty, BashHasJobControl) {
  if (!have_tool("bash")) GTEST_SKIP() << "bash is not installed";
  Sandbox box;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(cordon_argv({}, {"bash", "--norc", "--noprofile", "-i"}), box.ws.path(), box.env({"PS1=$ "}));
  // Each marker is quoted in the command, so the terminal's echo of the line never matches it.
  term.send("sleep 100 &\njobs; echo jobs-\"listed\"\n");
  ASSERT_TRUE(term.expect("jobs-listed")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "Running")) << term.screen();
  term.send("kill %1; wait; jobs; echo kill\"ed\"\n");
  EXPECT_TRUE(term.expect("killed")) << term.screen();
  term.send("sleep 50\n");
  ::usleep(300 * 1000);
  term.send("\x1a");  // Ctrl-Z: the foreground job stops, the shell comes back
  EXPECT_TRUE(term.expect("Stopped")) << term.screen();
  term.send("fg\n");  // back in the foreground, then Ctrl-C ends it
  ::usleep(300 * 1000);
  term.send("\x03");
  term.send("echo back-\"again\"\n");
  EXPECT_TRUE(term.expect("back-again")) << term.screen();
  term.send("exit 7\n");
  EXPECT_EQ(term.wait(), 7) << term.screen();
  EXPECT_FALSE(contains(term.screen(), "no job control")) << term.screen();
}

TEST(Tty, RawModeRoundTripsControlBytes) {
  Sandbox box;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(cordon_argv({}, {"sh", "-c", "stty raw -echo; echo ready; head -c 5 | od -An -tx1; stty sane"}),
             box.ws.path(), box.env());
  ASSERT_TRUE(term.expect("ready")) << term.screen();
  term.send(std::string("\x03\x1a\r\x7f\x04", 5));  // Ctrl-C, Ctrl-Z, CR, DEL, Ctrl-D: bytes, not signals
  EXPECT_TRUE(term.expect("03 1a 0d 7f 04")) << term.screen();
  EXPECT_EQ(term.wait(), 0) << term.screen();
}

// The outer terminal's modes are what they were, however the run ends.
TEST(Tty, TheCallersModesAreRestoredOnEveryWayOut) {
  struct Case {
    const char* name;
    std::vector<std::string> opts, command;
    int code;
  };
  const Case cases[] = {
      {"normal exit", {}, {"sh", "-c", "echo hi"}, 0},
      {"kill -9 of the command", {}, {"sh", "-c", "kill -9 $$"}, 137},
      {"timeout", {"--timeout", "1"}, {"sleep", "30"}, 124},
      {"modes changed inside", {}, {"sh", "-c", "stty raw -echo -isig; exit 3"}, 3},
  };
  for (const auto& c : cases) {
    Sandbox box;
    OuterTerminal term;
    if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
    termios before{};
    ASSERT_EQ(::tcgetattr(term.slave(), &before), 0);
    term.start(cordon_argv(c.opts, c.command), box.ws.path(), box.env());
    EXPECT_EQ(term.wait(), c.code) << c.name << ": " << term.screen();
    termios after{};
    ASSERT_EQ(::tcgetattr(term.slave(), &after), 0);
    EXPECT_TRUE(same_modes(before, after)) << c.name;
    EXPECT_TRUE(after.c_lflag & ICANON) << c.name;
    EXPECT_TRUE(after.c_lflag & ECHO) << c.name;
  }
}

// A terminal that stops reading (a frozen emulator) holds neither cordon's loop nor the
// timeout: the command is killed on time while nothing reads the screen.
TEST(Tty, AStuckTerminalDoesNotHoldTheTimeout) {
  Sandbox box;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  termios before{};
  ASSERT_EQ(::tcgetattr(term.slave(), &before), 0);
  const std::string token = unique_token("stuck");
  term.start(cordon_argv({"--timeout", "2"}, {"sh", "-c", "while :; do echo " + token + "; done"}),
             box.ws.path(), box.env());
  // The command's own process (not cordon, whose command line names it too).
  auto command_alive = [&] {
    return any_process(
        [&](const std::string& cmd) { return cmd.rfind("sh -c", 0) == 0 && contains(cmd, token); });
  };
  ::usleep(1000 * 1000);
  EXPECT_TRUE(command_alive());
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {  // the timeout is 2 s: 10 s without reading
    ::usleep(100 * 1000);
    gone = !command_alive();
  }
  EXPECT_TRUE(gone) << "the command outlived its timeout while the terminal was not read";
  EXPECT_EQ(term.wait(), 124);  // reading again lets cordon print its report and end
  termios after{};
  ASSERT_EQ(::tcgetattr(term.slave(), &after), 0);
  EXPECT_TRUE(same_modes(before, after));
}

// TIOCSTI from inside reaches, at most, the command's own pty: the caller's terminal
// is not in the sandbox, and its input queue stays empty.
TEST(Tty, TiocstiFromInsideLeavesTheOuterInputQueueEmpty) {
  if (!have_tool("perl")) GTEST_SKIP() << "perl is not installed (used to call ioctl(TIOCSTI))";
  Sandbox box;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  // 0x5412: TIOCSTI. Every terminal the command can name: its streams and /dev/tty.
  const std::string script =
      "for f in 0 1 2; do perl -e 'open(my $t, \"+<&=\", $ARGV[0]) or exit 2; "
      "ioctl($t, 0x5412, \"Z\") or exit 1; exit 0' $f; echo sti-$f-$?; done; "
      "perl -e 'open(my $t, \"+<\", \"/dev/tty\") or exit 2; ioctl($t, 0x5412, \"Z\") or exit 1' ; "
      "echo sti-tty-$?; echo injected; sleep 2";
  term.start(cordon_argv({}, {"sh", "-c", script}), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect("injected")) << term.screen();
  int queued = -1;
  ASSERT_EQ(::ioctl(term.slave(), FIONREAD, &queued), 0);
  EXPECT_EQ(queued, 0) << term.screen();
  EXPECT_EQ(term.wait(), 0) << term.screen();
  ASSERT_EQ(::ioctl(term.slave(), FIONREAD, &queued), 0);
  EXPECT_EQ(queued, 0) << term.screen();
}

// The exit status and the denial report are the same as without a pty; the report
// comes after the command's own output, on a terminal back in its modes.
TEST(Tty, StatusAndDenialReportAreUnchanged) {
  Sandbox box;
  OutsideDir outside;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  termios before{};
  ASSERT_EQ(::tcgetattr(term.slave(), &before), 0);
  term.start(cordon_argv({}, {"sh", "-c", "echo last-output; touch " + sh_quote(outside / "x") + "; exit 5"}),
             box.ws.path(), box.env());
  EXPECT_EQ(term.wait(), 5) << term.screen();
  const size_t output = term.screen().find("last-output"), report = term.screen().find("denied");
  ASSERT_NE(report, std::string::npos) << term.screen();
  EXPECT_LT(output, report) << term.screen();
  termios after{};
  ASSERT_EQ(::tcgetattr(term.slave(), &after), 0);
  EXPECT_TRUE(same_modes(before, after));
  EXPECT_FALSE(exists(outside / "x"));
}

// Without user namespaces (Landlock only, --best-effort) the pair comes from the host's
// /dev/ptmx: still a terminal of the command's own, never the caller's.
TEST(Tty, WithoutUserNamespacesThePtyIsTheHostsButNotTheCallers) {
  if (::access(no_userns_binary().c_str(), X_OK) != 0) GTEST_SKIP() << "no no_userns helper";
  Sandbox box;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string outer = ::ptsname(term.master());
  std::vector<std::string> argv = {no_userns_binary()};
  for (const auto& a :
       cordon_argv({"--best-effort"}, {"sh", "-c", "tty; stty size; echo x > /dev/tty && echo dev-tty-ok"}))
    argv.push_back(a);
  term.start(argv, box.ws.path(), box.env());
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "/dev/pts/")) << term.screen();
  EXPECT_FALSE(contains(term.screen(), outer + "\r")) << outer << ": " << term.screen();
  EXPECT_TRUE(contains(term.screen(), "33 101")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "dev-tty-ok")) << term.screen();
}

// What a hostile or careless command can do to the relay: keep the pty open after it
// ends, flood it, never read it.
TEST(Tty, TheRelayIsBoundedWhateverTheCommandDoes) {
  Sandbox box;
  const auto start = std::chrono::steady_clock::now();
  auto left = box.sh("setsid sleep 100 </dev/tty >/dev/tty 2>&1 & echo started", {"--tty", "always"});
  EXPECT_EQ(left.code, 0) << left.err;
  EXPECT_TRUE(contains(left.out, "started")) << left.out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  auto flood = box.sh("head -c 3000000 /dev/zero | tr '\\000' a", {"--tty", "always"});
  EXPECT_EQ(flood.code, 0) << flood.err;
  EXPECT_EQ(flood.out.size(), 3000000u);
  auto deaf = box.sh("sleep 1; echo deaf-done", {"--tty", "always"}, std::string(1 << 20, 'x'));
  EXPECT_EQ(deaf.code, 0) << deaf.err;
  EXPECT_TRUE(contains(deaf.out, "deaf-done")) << deaf.out.substr(0, 200);
}

// A pipe stays a pipe: `cordon run -- cmd | jq` typed at a terminal.
TEST(Tty, AStdoutPipeUnderATerminalIsPassedAsItIs) {
  Sandbox box;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(cordon_argv({}, {"sh", "-c",
                              "printf 'a\\nb\\n'; [ -t 0 ] && echo stdin-tty >&2; [ -t 1 ] || echo "
                              "stdout-pipe >&2; tty >&2"}),
             box.ws.path(), box.env(), /*stdout_pipe=*/true);
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_EQ(term.piped(), "a\nb\n");
  EXPECT_TRUE(contains(term.screen(), "stdin-tty")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "stdout-pipe")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "/dev/pts/0")) << term.screen();
}

TEST(Tty, StreamsThatAreNotTerminalsGetNoPty) {
  Sandbox box;
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += "\n\r\n\x03\x04";
  auto r = box.sh("[ -t 0 ] || [ -t 1 ] || cat", {}, bytes);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, bytes);
}

TEST(Tty, AlwaysGivesAPtyWithoutATerminal) {
  Sandbox box;
  auto r = box.sh("tty; [ -t 1 ] && echo out-tty; read line; echo got-$line", {"--tty", "always"}, "abc\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "/dev/pts/0\r\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "out-tty")) << r.out;
  EXPECT_TRUE(contains(r.out, "got-abc")) << r.out;
  // The end of the piped stdin ends a reader on the pty.
  auto cat = box.sh("cat; echo cat-ended", {"--tty", "always"}, "partial");
  EXPECT_EQ(cat.code, 0) << cat.err;
  EXPECT_TRUE(contains(cat.out, "cat-ended")) << cat.out;
  auto bad = box.sh("true", {"--tty", "sometimes"});
  EXPECT_NE(bad.code, 0);
  EXPECT_TRUE(contains(bad.err, "--tty")) << bad.err;
}

// The config's `tty` (core/option_table.cpp) asks for a pty without a terminal outside;
// the flag overrides it; a bad value is refused before anything runs.
TEST(Tty, TheConfigKeyGivesAPtyAndTheFlagOverridesIt) {
  Sandbox box;
  OutsideDir dir;
  const std::string config = dir / "config.toml";
  auto run = [&](std::vector<std::string> opts, const std::string& script) {
    std::vector<std::string> argv = {cordon_binary(), "run", "--config", config};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.insert(argv.end(), {"--", "sh", "-c", script});
    return run_process(argv, box.ws.path(), "", box.env());
  };
  write_file(config, "tty = \"always\"\n");
  auto r = run({}, "tty; [ -t 1 ] && echo out-tty");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "/dev/pts/0\r\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "out-tty")) << r.out;
  auto flag = run({"--tty", "never"}, "tty || echo no-tty");
  EXPECT_EQ(flag.code, 0) << flag.err;
  EXPECT_TRUE(contains(flag.out, "no-tty\n")) << flag.out;
  EXPECT_FALSE(contains(flag.out, "\r")) << flag.out;

  write_file(config, "# cordon\ntty = \"sometimes\"\n");
  auto bad = run({}, "echo ran > ran.txt");
  EXPECT_NE(bad.code, 0);
  EXPECT_FALSE(exists(box.ws / "ran.txt")) << "the command ran although the config was bad";
  for (const std::string& named : {std::string("tty"), std::string("sometimes"), config + ":2"})
    EXPECT_TRUE(contains(bad.err, named)) << "message should name '" << named << "':\n" << bad.err;
}

}  // namespace
