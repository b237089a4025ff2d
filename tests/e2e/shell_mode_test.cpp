// `cordon -c 'COMMAND'`: cordon named where a tool expects a shell. Each test runs the
// real binary with the argv a caller produces and compares with what `sh -c` does
// outside, or proves both halves of the sandbox (allowed write lands, forbidden is denied).
// The shapes per agent are those docs/agent-integration.md documents ("Shell tools").
#include <signal.h>
#include <sys/wait.h>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

// POSIX single quoting, as a caller that builds a command line does.
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A command with what breaks naive quoting: spaces, both quotes, a newline, $, backslash.
const std::string kTricky =
    "printf '%s|' \"a  b\" 'c\"d' \"it's\" \"$0\" \"$1\" '$HOME' 'back\\slash'; echo\n"
    "echo \"second line $((6 * 7))\"";

// A write outside every writable root, in a file that already exists there: the command
// must fail to change it, and the file must read the same from outside afterwards.
struct Victim {
  OutsideDir dir;
  std::string path = dir / "victim.txt";
  Victim() { write_file(path, "original\n"); }
  std::string attack() const {
    return "{ echo changed > " + quote(path) + "; } 2>/dev/null && echo ESCAPED || true";
  }
  bool intact() const { return read_file(path) == "original\n"; }
};

}  // namespace

TEST(ShellMode, RunsLikeShDashCInTheSandbox) {
  Sandbox box;
  auto want = run_process({"/bin/sh", "-c", kTricky, "zero", "one"}, box.ws.path());
  auto got = run_process({cordon_binary(), "-c", kTricky, "zero", "one"}, box.ws.path(), "", box.env());
  EXPECT_EQ(got.code, 0) << got.err;
  EXPECT_EQ(got.out, want.out) << got.err;
  EXPECT_EQ(got.out, "a  b|c\"d|it's|zero|one|$HOME|back\\slash|\nsecond line 42\n");
  // `--` ends the shell's options, as with sh -c; an option-looking word after COMMAND is $0.
  auto dashes = run_process({cordon_binary(), "-c", "--", "echo \"$0\"", "-l"}, box.ws.path(), "", box.env());
  EXPECT_EQ(dashes.out, "-l\n") << dashes.err;
}

TEST(ShellMode, ExitCodesSignalsAndStdinPassThrough) {
  Sandbox box;
  auto code = [&](const std::string& cmd) {
    return run_process({cordon_binary(), "-c", cmd}, box.ws.path(), "", box.env()).code;
  };
  EXPECT_EQ(code("true"), 0);
  EXPECT_EQ(code("exit 3"), 3);
  EXPECT_EQ(code("no-such-command-xyz"), 127);
  EXPECT_EQ(code("kill -TERM $$"), 128 + SIGTERM);
  EXPECT_EQ(code("kill -KILL $$"), 128 + SIGKILL);
  auto cat = run_process({cordon_binary(), "-c", "tr a-z A-Z"}, box.ws.path(), "piped in\n", box.env());
  EXPECT_EQ(cat.out, "PIPED IN\n") << cat.err;
  auto usage = run_process({cordon_binary(), "-c"}, box.ws.path(), "", box.env());
  EXPECT_EQ(usage.code, 2);
  EXPECT_TRUE(contains(usage.err, "needs a command")) << usage.err;
}

// An agent ends a command by signalling the process it started (a timeout, Ctrl-C): the
// command gets the signal, cordon reports 128+n, and nothing of the tree is left.
TEST(ShellMode, SignalToCordonEndsTheWholeCommand) {
  Sandbox box;
  for (int sig : {SIGTERM, SIGKILL}) {
    const std::string token = "4" + std::to_string(::getpid() % 1000) + "." + std::to_string(sig);
    const std::string started = box.ws / ("started" + std::to_string(sig));
    auto env = box.env();
    pid_t pid = spawn_detached(
        {cordon_binary(), "-c", "touch " + quote(started) + "; sleep " + token + "; echo not-reached"},
        box.ws.path(), env);
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(wait_for_file(started, 20000)) << "the command never started";
    auto sleeping = [&](const std::string& c) { return contains(c, "sleep " + token); };
    for (int i = 0; i < 200 && !any_process(sleeping); ++i) ::usleep(20 * 1000);
    ASSERT_TRUE(any_process(sleeping)) << "the sandboxed sleep is not visible from outside";
    ::kill(pid, sig);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (sig == SIGTERM) {
      // cordon forwards it and reports what `sh -c` reports to a shell.
      ASSERT_TRUE(WIFEXITED(status));
      EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
    }
    bool left = true;
    for (int i = 0; i < 100 && (left = any_process(sleeping)); ++i) ::usleep(50 * 1000);
    EXPECT_FALSE(left) << "the sandboxed sleep outlived cordon (signal " << sig << ")";
  }
}

TEST(ShellMode, ConfinesTheCommandAndReportsDenialsOnStderr) {
  Sandbox box;
  Victim victim;
  auto o = run_process({cordon_binary(), "-c", "echo in > inside.txt; echo changed > " + quote(victim.path)},
                       box.ws.path(), "", box.env());
  EXPECT_EQ(read_file(box.ws / "inside.txt"), "in\n");
  EXPECT_TRUE(victim.intact());
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(contains(o.err, "cordon: denied")) << o.err;
  EXPECT_EQ(o.out, "");
}

// The user config (XDG_CONFIG_HOME/cordon/config.toml) is the policy: its extra writable
// root is writable, its workspace is the workspace, and a sibling directory stays denied.
TEST(ShellMode, AppliesThePolicyFromTheConfigFiles) {
  Sandbox box;
  OutsideDir extra;
  Victim victim;
  TempDir configured;
  fs::create_directories(configured / "sub");
  write_file(box.home / ".config/cordon/config.toml", "[filesystem]\nworkspace = \"" + configured.path() +
                                                          "\"\nwritable = [\"" + extra.path() + "\"]\n");
  auto o =
      run_process({cordon_binary(), "-c",
                   "echo extra > " + quote(extra / "f") + " && echo ws > ../at-root && " + victim.attack()},
                  configured / "sub", "", box.env());
  EXPECT_EQ(read_file(extra / "f"), "extra\n") << o.err;
  EXPECT_EQ(read_file(configured / "at-root"), "ws\n") << "the configured workspace was not used: " << o.err;
  EXPECT_TRUE(victim.intact());
  EXPECT_FALSE(contains(o.out, "ESCAPED"));

  // The same command without the config: the extra root is not writable.
  auto bare = run_process({cordon_binary(), "-c", "echo again > " + quote(extra / "g")}, box.ws.path(), "",
                          box.env({"XDG_CONFIG_HOME=" + box.home.path() + "/no-config-here"}));
  EXPECT_NE(bare.code, 0);
  EXPECT_FALSE(exists(extra / "g"));
}

// Not a shell for people: an interactive or login shell without -c is a usage error that
// says so and runs nothing; -i and -l next to -c are ignored.
TEST(ShellMode, InteractiveWithoutCommandIsRefused) {
  Sandbox box;
  for (const char* flag : {"-i", "-l", "-il"}) {
    auto o = run_process({cordon_binary(), flag}, box.ws.path(), "touch ran\n", box.env());
    EXPECT_EQ(o.code, 2) << flag;
    EXPECT_TRUE(contains(o.err, "not an interactive or login shell")) << o.err;
    EXPECT_TRUE(contains(o.err, "cordon run -- bash -i")) << o.err;
  }
  EXPECT_FALSE(exists(box.ws / "ran"));
  EXPECT_EQ(run_process({cordon_binary(), "-ic", "echo ok"}, box.ws.path(), "", box.env()).out, "ok\n");
}

// The shapes callers produce, each also proven sandboxed (the write outside fails).
// $SHELL -c and -lc (the login-shell spelling many tools use); -c -l (Claude Code's order);
// a command prefix spliced into a shell line ("PREFIX 'COMMAND'"); a `bash` on PATH.
TEST(ShellMode, InvocationShapesOfAgentsAndShells) {
  Sandbox box;
  Victim victim;
  auto want = run_process({"/bin/sh", "-c", kTricky}, box.ws.path()).out;
  const std::string cordon = cordon_binary();
  const std::string command = kTricky + "\n" + victim.attack();

  // A plain $SHELL user: SHELL=cordon, and a tool that runs "$SHELL" -c. Inside, $SHELL is
  // the shell that runs the command, so a tool in there that uses $SHELL does not start
  // cordon again (which could not nest).
  auto shell_var = run_process({"/bin/sh", "-c", "\"$SHELL\" -c \"$1\"", "sh", command + "\necho \"$SHELL\""},
                               box.ws.path(), "", box.env({"SHELL=" + cordon}));
  EXPECT_EQ(shell_var.out, want + "/bin/sh\n") << "$SHELL -c: " << shell_var.err;
  auto inner = run_process({cordon, "-c", "\"$SHELL\" -c 'echo inner $0' x"}, box.ws.path(), "",
                           box.env({"SHELL=" + cordon}));
  EXPECT_EQ(inner.out, "inner x\n") << inner.err;

  for (std::vector<std::string> flags : {std::vector<std::string>{"-lc"}, {"-l", "-c"}, {"-c", "-l"}}) {
    std::vector<std::string> argv = {cordon};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(command);
    auto o = run_process(argv, box.ws.path(), "", box.env());
    EXPECT_EQ(o.out, want) << flags.front() << ": " << o.err;
  }

  auto prefix =
      run_process({"/bin/bash", "-c", quote(cordon) + " -c " + quote(command)}, box.ws.path(), "", box.env());
  EXPECT_EQ(prefix.out, want) << "prefix: " << prefix.err;
  EXPECT_TRUE(victim.intact());
}

// Claude Code with CLAUDE_CODE_SHELL_PREFIX="cordon -c" and CORDON_SHELL=/bin/bash. Its
// Bash tool builds one command string (source the shell snapshot, turn extglob off, eval
// the model's command with stdin from /dev/null, record the directory with `pwd -P >|` in
// its temp directory), formats the prefix as `'cordon' -c 'STRING'` and runs that with
// `bash -c` (`-c -l` when there is no snapshot). Its quoting of the model's command is
// its own; POSIX single quoting stands in for it here.
TEST(ShellMode, ClaudeCodeShellPrefix) {
  Sandbox box;
  Victim victim;
  const std::string snapshot = box.home / ".claude/shell-snapshots/snapshot-bash-1.sh";
  write_file(snapshot, "greet() { echo \"hello $1\"; }\nexport FROM_SNAPSHOT=yes\n");
  const std::string cwd_file = "/tmp/" + unique_token("claude-") + "-cwd";
  const std::string model_command =
      "greet \"a  b\"; echo \"$FROM_SNAPSHOT\"; [[ -n $BASH_VERSION ]] && echo bash; " + kTricky + "\n" +
      victim.attack();
  const std::string string =
      "source " + quote(snapshot) +
      " 2>/dev/null || true && { shopt -u extglob || setopt NO_EXTENDED_GLOB; } >/dev/null "
      "2>&1 || true && eval " +
      quote(model_command) + " \\< /dev/null && pwd -P >| " + quote(cwd_file);
  const std::string prefixed = quote(cordon_binary()) + " -c " + quote(string);
  // $0 is the inner shell, /bin/bash here.
  auto want = run_process({"/bin/bash", "-c", kTricky}, box.ws.path()).out;
  for (std::vector<std::string> spawn_args : {std::vector<std::string>{"-c"}, {"-c", "-l"}}) {
    std::vector<std::string> argv = {"/bin/bash"};
    argv.insert(argv.end(), spawn_args.begin(), spawn_args.end());
    argv.push_back(prefixed);
    auto o = run_process(argv, box.ws.path(), "", box.env({"CORDON_SHELL=/bin/bash"}));
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(o.out, "hello a  b\nyes\nbash\n" + want) << o.err;
  }
  EXPECT_TRUE(victim.intact());
  // The directory record went to the sandbox's private /tmp, not the host's (documented).
  EXPECT_FALSE(exists(cwd_file));
  ::unlink(cwd_file.c_str());
}

// Gemini CLI runs `bash -c STRING` with bash looked up on PATH, so a `bash` early on PATH
// routes it through cordon: the wrapper of docs/agent-integration.md, with its two settings
// (home, cordon) filled in. It takes its own directory off PATH, so a command that calls
// `bash` gets the real one, and it pins what cordon reads from the environment, so a
// project's .env (which Gemini loads) cannot move cordon's config. STRING is Gemini's
// wrapping of the model's command (it records the process group with pgrep).
TEST(ShellMode, GeminiBashOnPath) {
  Sandbox box;
  Victim victim;
  TempDir bin;
  write_file(
      bin / "bash",
      "#!/bin/sh\n"
      "# bash for Gemini CLI: every `bash` it starts runs in cordon, with settings from here\n"
      "# rather than from an environment that a project's .env may have changed.\n"
      "home=" +
          quote(box.home.path()) +
          "\n"
          "cordon=" +
          quote(cordon_binary()) +
          "\n"
          "# This directory leaves PATH, so `bash` inside the sandbox is the real one.\n"
          "PATH=$(printf '%s\\n' \"$PATH\" | tr ':' '\\n' | grep -vxF \"$(dirname \"$0\")\" | paste -sd: -)\n"
          "export PATH HOME=\"$home\" XDG_CONFIG_HOME=\"$home/.config\" "
          "XDG_STATE_HOME=\"$home/.local/state\"\n"
          "CORDON_SHELL=/bin/bash exec \"$cordon\" \"$@\"\n");
  ::chmod((bin / "bash").c_str(), 0755);
  // What a hostile project .env could add to Gemini's environment.
  OutsideDir hostile;
  write_file(hostile / "cordon/config.toml", "mode = \"full-access\"\n");
  const std::string pgrep_file = "/tmp/" + unique_token("shell_pgrep_") + ".tmp";
  auto gemini = [&](const std::string& command) {
    const std::string wrapped =
        "{ " + command + "; }; __code=$?; pgrep -g 0 >" + pgrep_file + " 2>&1; exit $__code;";
    // node's spawn_detached('bash', ['-c', wrapped]) after Gemini resolves `bash` on PATH.
    return run_process({bin / "bash", "-c", wrapped}, box.ws.path(), "",
                       box.env({"PATH=" + bin.path() + ":/usr/bin:/bin", "XDG_CONFIG_HOME=" + hostile.path(),
                                "CORDON_SANDBOX=1"}));
  };
  // $0 is the inner shell, /bin/bash here.
  auto want = run_process({"/bin/bash", "-c", kTricky}, box.ws.path()).out;
  auto o =
      gemini(kTricky + "\nbash -c 'echo inner ${BASH_VERSION%%.*}' | sed 's/[0-9]/N/'\n" + victim.attack());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, want + "inner N\n") << o.err;
  EXPECT_TRUE(victim.intact());
  EXPECT_EQ(gemini("(exit 3)").code, 3);
  EXPECT_FALSE(exists(pgrep_file));
  ::unlink(pgrep_file.c_str());
}

// GNU make runs each recipe line as `$(SHELL) -c 'LINE'`: SHELL=cordon sandboxes every line.
TEST(ShellMode, MakeWithShellCordon) {
  if (!have_tool("make")) GTEST_SKIP() << "make is not installed";
  if (cordon_binary().find(' ') != std::string::npos)
    GTEST_SKIP() << "make splits SHELL at spaces, and cordon's path here has one: " << cordon_binary();
  Sandbox box;
  Victim victim;
  write_file(box.ws / "Makefile",
             "all:\n\techo \"built $$((1 + 1))\" > out.txt\n\techo changed > " + victim.path + "\n");
  auto o = run_process({"make", "SHELL=" + cordon_binary()}, box.ws.path(), "", box.env());
  EXPECT_NE(o.code, 0) << "the write outside should have failed the recipe";
  EXPECT_EQ(read_file(box.ws / "out.txt"), "built 2\n") << o.err;
  EXPECT_TRUE(victim.intact());
  EXPECT_TRUE(contains(o.err, "cordon: denied")) << o.err;
}
