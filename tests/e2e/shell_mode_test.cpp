// `cordon -c 'COMMAND'`: cordon named where a tool expects a shell. Each test runs the
// real binary with the argv a caller produces and compares with what `sh -c` does
// outside, or proves both halves of the sandbox (allowed write lands, forbidden is denied).
#include <signal.h>

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

}  // namespace

TEST(ShellMode, RunsLikeShDashCInTheSandbox) {
  Sandbox box;
  auto want = run_process({"/bin/sh", "-c", kTricky, "zero", "one"}, box.ws.path());
  auto got = run_process({cordon_binary(), "-c", kTricky, "zero", "one"}, box.ws.path(), "", box.env());
  EXPECT_EQ(got.code, 0) << got.err;
  EXPECT_EQ(got.out, want.out) << got.err;
  EXPECT_EQ(got.out, "a  b|c\"d|it's|zero|one|$HOME|back\\slash|\nsecond line 42\n");
}

TEST(ShellMode, ExitCodesSignalsAndStdinPassThrough) {
  Sandbox box;
  EXPECT_EQ(run_process({cordon_binary(), "-c", "exit 7"}, box.ws.path(), "", box.env()).code, 7);
  EXPECT_EQ(run_process({cordon_binary(), "-c", "kill -TERM $$"}, box.ws.path(), "", box.env()).code,
            128 + SIGTERM);
  EXPECT_EQ(run_process({cordon_binary(), "-c", "no-such-command-xyz"}, box.ws.path(), "", box.env()).code,
            127);
  auto cat = run_process({cordon_binary(), "-c", "tr a-z A-Z"}, box.ws.path(), "piped in\n", box.env());
  EXPECT_EQ(cat.out, "PIPED IN\n") << cat.err;
  auto usage = run_process({cordon_binary(), "-c"}, box.ws.path(), "", box.env());
  EXPECT_EQ(usage.code, 2);
  EXPECT_TRUE(contains(usage.err, "needs a command")) << usage.err;
}

TEST(ShellMode, ConfinesTheCommandAndReportsDenialsOnStderr) {
  Sandbox box;
  OutsideDir outside;
  auto o = run_process({cordon_binary(), "-c", "echo in > inside.txt; echo out > " + quote(outside / "f")},
                       box.ws.path(), "", box.env());
  EXPECT_EQ(read_file(box.ws / "inside.txt"), "in\n");
  EXPECT_FALSE(exists(outside / "f"));
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(contains(o.err, "cordon: denied")) << o.err;
  EXPECT_EQ(o.out, "");
}

// The shapes callers produce. $SHELL -c and -lc (the login-shell spelling many tools use);
// a command prefix a tool splices into a shell line ("PREFIX 'COMMAND'", the command
// quoted as one word, e.g. Claude Code's CLAUDE_CODE_SHELL_PREFIX="cordon -c"); and a
// `bash` wrapper script on PATH for tools that hard-code `bash -c` (e.g. Gemini CLI).
TEST(ShellMode, InvocationShapesOfAgentsAndShells) {
  Sandbox box;
  OutsideDir outside;
  auto want = run_process({"/bin/sh", "-c", kTricky}, box.ws.path()).out;
  const std::string cordon = cordon_binary();
  // Each shape must also be sandboxed: the write outside fails, so nothing more is printed.
  const std::string command =
      kTricky + "\n{ echo x > " + quote(outside / "f") + "; } 2>/dev/null && echo ESCAPED";

  auto shell_var = run_process({"/bin/sh", "-c", "\"$SHELL\" -c \"$1\"", "sh", command}, box.ws.path(), "",
                               box.env({"SHELL=" + cordon}));
  EXPECT_EQ(shell_var.out, want) << "$SHELL -c: " << shell_var.err;

  auto login = run_process({cordon, "-lc", command}, box.ws.path(), "", box.env());
  EXPECT_EQ(login.out, want) << "-lc: " << login.err;
  auto split = run_process({cordon, "-l", "-c", command}, box.ws.path(), "", box.env());
  EXPECT_EQ(split.out, want) << "-l -c: " << split.err;

  auto prefix =
      run_process({"/bin/bash", "-c", quote(cordon) + " -c " + quote(command)}, box.ws.path(), "", box.env());
  EXPECT_EQ(prefix.out, want) << "prefix: " << prefix.err;

  // A `bash` on PATH that hands `bash -c COMMAND` to cordon.
  TempDir bin;
  write_file(bin / "bash", "#!/bin/sh\nexec " + quote(cordon) + " \"$@\"\n");
  ::chmod((bin / "bash").c_str(), 0755);
  auto wrapper = run_process({"/bin/sh", "-c", "bash -c \"$1\"", "sh", command}, box.ws.path(), "",
                             box.env({"PATH=" + bin.path() + ":/usr/bin:/bin"}));
  EXPECT_EQ(wrapper.out, want) << "bash wrapper: " << wrapper.err;
  EXPECT_FALSE(exists(outside / "f"));
}
