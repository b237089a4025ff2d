// cordon run --ask and --learn (platform/linux/ask.hpp): a write outside the writable
// roots is asked about on cordon's own terminal, driven here through a real outer pty
// the way a user's terminal emulator drives cordon, or granted and learned. Every effect
// is checked from outside; every read and wait is bounded; processes are waited for by pid.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/harness.hpp"
#include "e2e/pty_harness.hpp"

namespace {

using namespace cordon_test;

constexpr const char* kQuestion = "cordon: the command asks to ";

std::vector<std::string> cordon_argv(std::vector<std::string> opts, const std::string& script,
                                     bool no_config = true) {
  std::vector<std::string> argv = {cordon_binary(), "run"};
  if (no_config) argv.push_back("--no-config");
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return argv;
}

// cordon run --ask works only where the creation broker does (namespaces, seccomp user
// notification, openat2): a plain run on this host says whether it can.
std::string ask_unavailable(const Sandbox& box) {
  static const std::string why = [&] {
    OutsideDir kept;  // what --learn writes: outside the writable roots
    Outcome o = cordon_sh(box.ws.path(), "true", {"--learn", kept / "probe.toml"}, "", box.env());
    if (o.code == 0) return std::string();
    return "cordon run --learn cannot work here: " + o.err;
  }();
  return why;
}

nlohmann::json report_of(const std::string& path) {
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

uid_t owner_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

TEST(Ask, ADirectoryGrantedForTheRunTakesManyFilesAndASiblingStaysRefused) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/sibling").c_str(), 0755);
  // npm-style: a cache directory made outside, then many files in nested directories.
  const std::string script =
      "mkdir -p \"$HOME/.npm/_cacache/index\" && i=0; while [ $i -lt 40 ]; do "
      "echo $i > \"$HOME/.npm/_cacache/index/f$i\" || exit 3; i=$((i+1)); done; "
      "echo x > \"$HOME/sibling/y\" && exit 4; echo npm-done";
  term.start(cordon_argv({"--ask", "--report", box.ws / "r.json"}, script), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("mkdir ") + home + "/.npm")) << term.screen();
  ASSERT_TRUE(term.expect("[d] allow " + home + "/.npm for this run")) << term.screen();
  term.answer("d");
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/sibling/y")) << term.screen();
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "npm-done")) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 2u) << term.screen();  // mkdir -p asked once, the files none
  for (int i = 0; i < 40; ++i) {
    const std::string f = home + "/.npm/_cacache/index/f" + std::to_string(i);
    EXPECT_EQ(read_file(f), std::to_string(i) + "\n") << f;
    EXPECT_EQ(owner_of(f), ::geteuid()) << f;
  }
  EXPECT_FALSE(exists(home + "/sibling/y"));
  const auto r = report_of(box.ws / "r.json");
  ASSERT_TRUE(r.contains("grants")) << r.dump();
  ASSERT_EQ(r["grants"].size(), 2u) << r.dump();
  EXPECT_EQ(r["grants"][0]["scope"], "run-directory") << r.dump();
  EXPECT_EQ(r["grants"][0]["rule"], home + "/.npm") << r.dump();
  EXPECT_EQ(r["grants"][0]["by"], "user") << r.dump();
  EXPECT_EQ(r["grants"][1]["answer"], "deny") << r.dump();
}

TEST(Ask, OnceAsksAgainAndForTheRunAsksOnce) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/data").c_str(), 0755);
  const std::string script =
      "for i in 1 2; do echo a$i >> \"$HOME/data/once\" || exit 3; done; "
      "for i in 1 2 3; do echo b$i >> \"$HOME/data/run\" || exit 4; done; echo done";
  term.start(cordon_argv({"--ask"}, script), box.ws.path(), box.env());
  // Made by the first answer, written by the second: each asked.
  for (const char* op : {"create ", "write "}) {
    ASSERT_TRUE(term.expect(kQuestion + std::string(op) + home + "/data/once")) << term.screen();
    term.answer("o");
  }
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/data/run")) << term.screen();
  term.answer("r");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 3u) << term.screen();
  EXPECT_EQ(read_file(home + "/data/once"), "a1\na2\n");
  EXPECT_EQ(read_file(home + "/data/run"), "b1\nb2\nb3\n");
}

TEST(Ask, AlwaysWritesOneRuleAndTheNextRunAsksNothing) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/.cache").c_str(), 0755);
  ::mkdir((home + "/.cache/tool").c_str(), 0755);
  const std::string config = home + "/.config/cordon/config.toml";
  const std::string script =
      "echo 1 > \"$HOME/.cache/tool/a\" && echo 2 > \"$HOME/.cache/tool/b\" && echo ok";
  term.start(cordon_argv({"--ask"}, script, /*no_config=*/false), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/.cache/tool/a")) << term.screen();
  ASSERT_TRUE(term.expect("[a] allow " + home + "/.cache/tool always (a rule in " + config + ")"))
      << term.screen();
  term.answer("a");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 1u) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "added " + home + "/.cache/tool to filesystem.writable in " + config))
      << term.screen();
  const std::string text = read_file(config);
  size_t rules = 0;
  for (size_t at = text.find(home + "/.cache/tool"); at != std::string::npos;
       at = text.find(home + "/.cache/tool", at + 1))
    ++rules;
  EXPECT_EQ(rules, 1u) << text;
  // The next run, with --ask again: the config allows the write, so nothing is asked.
  OuterTerminal again;
  again.start(cordon_argv({"--ask"}, "echo 3 > \"$HOME/.cache/tool/c\" && echo second", false), box.ws.path(),
              box.env());
  EXPECT_EQ(again.wait(), 0) << again.screen();
  EXPECT_TRUE(contains(again.screen(), "second")) << again.screen();
  EXPECT_EQ(again.count(kQuestion), 0u) << again.screen();
  EXPECT_EQ(read_file(home + "/.cache/tool/c"), "3\n");
}

// A user config the sandbox could write ($XDG_CONFIG_HOME in the workspace) never gets the
// rule: the grant holds for this run only, and nothing is written there.
TEST(Ask, AlwaysNeverWritesAConfigInsideAWritableRoot) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/tool").c_str(), 0755);
  auto env = box.env();
  for (auto& e : env)
    if (e.rfind("XDG_CONFIG_HOME=", 0) == 0) e = "XDG_CONFIG_HOME=" + box.ws / "conf";
  term.start(
      cordon_argv({"--ask"}, "echo 1 > \"$HOME/tool/a\" && echo 2 > \"$HOME/tool/b\" && echo ok", false),
      box.ws.path(), env);
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/tool/a")) << term.screen();
  term.answer("a");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "lies in the writable root")) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 1u) << term.screen();  // still granted for this run
  EXPECT_EQ(read_file(home + "/tool/b"), "2\n");
  EXPECT_FALSE(exists(box.ws / "conf"));
}

TEST(Ask, DenyFailsTheCallAndIsNotAskedAgain) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  const std::string script = "echo 1 > \"$HOME/f\"; a=$?; echo 2 > \"$HOME/f\"; b=$?; echo \"codes $a $b\"";
  term.start(cordon_argv({"--ask"}, script), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/f")) << term.screen();
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(term.expect("codes 2 2")) << term.screen();  // dash: a redirection that fails
  EXPECT_EQ(term.count(kQuestion), 1u) << term.screen();
  EXPECT_FALSE(exists(home + "/f"));
}

// A command can time a question to the user's typing: the key typed into it just as the
// question appears, or amid a run of keys, is not an answer. Only a key after a pause is.
TEST(Ask, AKeyTypedAsTheQuestionAppearsOrAmidTypingIsNotAnAnswer) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  term.start(cordon_argv({"--ask", "--report", box.ws / "r.json"}, "echo 1 > \"$HOME/f\"; echo \"code $?\""),
             box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/f")) << term.screen();
  term.send("o");                // at once: typed before the question could be read
  for (int i = 0; i < 8; ++i) {  // typing on, a key every 150 ms, past the grace after the question
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    term.send(i == 7 ? "r" : "x");
  }
  EXPECT_FALSE(term.expect("allowed", 300)) << term.screen();
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "denied")) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "code 2")) << term.screen();
  EXPECT_FALSE(exists(home + "/f"));
  const auto r = report_of(box.ws / "r.json");
  ASSERT_EQ(r["grants"].size(), 1u) << r.dump();
  EXPECT_EQ(r["grants"][0]["answer"], "deny") << r.dump();
}

// The command's output reaches the screen through cordon's relay, later than it was
// written; the question is written by cordon itself. It must come after everything the
// command wrote before the asked call (a burst, so that some is still in the pty's and the
// relay's buffers when the call is held), not above it.
TEST(Ask, TheQuestionComesAfterTheOutputWrittenBeforeTheCall) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  const std::string script =
      "i=0; while [ $i -lt 3000 ]; do echo \"filler line $i\"; i=$((i+1)); done; "
      "echo marker-before-the-call; echo 1 > \"$HOME/f\" && echo written";
  term.start(cordon_argv({"--ask"}, script), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/f")) << term.screen();
  const std::string shown = term.screen();
  const size_t marker = shown.find("marker-before-the-call");
  EXPECT_NE(marker, std::string::npos) << "the question came before the command's earlier output:\n" << shown;
  EXPECT_LT(marker, shown.find(kQuestion)) << shown;
  term.answer("o");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(term.expect("written")) << term.screen();
  EXPECT_EQ(read_file(home + "/f"), "1\n");
}

TEST(Ask, NoAnswerWithinTheTimeoutIsDeny) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  term.start(cordon_argv({"--ask", "--ask-timeout", "1"}, "echo 1 > \"$HOME/f\" || echo refused"),
             box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion)) << term.screen();
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_TRUE(term.expect("no answer: denied", 10000)) << term.screen();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5));
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "refused")) << term.screen();
  EXPECT_FALSE(exists(home + "/f"));
}

TEST(Ask, WithoutATerminalAskRefusesToStart) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  if (!have_tool("setsid")) GTEST_SKIP() << "no setsid(1) to run cordon without a controlling terminal";
  std::vector<std::string> argv = {"setsid", "-w"};
  for (const auto& a : cordon_argv({"--ask"}, "echo ran > ran")) argv.push_back(a);
  Outcome o = run_process(argv, box.ws.path(), "", box.env());
  EXPECT_EQ(o.code, 125) << o.err;
  EXPECT_TRUE(contains(o.err, "/dev/tty")) << o.err;
  EXPECT_TRUE(contains(o.err, "--learn")) << o.err;
  EXPECT_FALSE(exists(box.ws / "ran"));
}

// "Identical ones are asked once": two processes write the same outside file at once; the
// second's call waits in the kernel while the first's question is on the terminal, and the
// "once" answer covers it without a second prompt. A write made after the answer is asked
// again (denied here). Checked from outside: both lines landed, the later one did not.
TEST(Ask, AnIdenticalQuestionWaitingGetsTheSameAnswerAndALaterOneIsAsked) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/data").c_str(), 0755);
  const std::string file = home + "/data/shared";
  write_file(file, "");
  const std::string script =
      "f=\"$HOME/data/shared\"; (echo one >> \"$f\") & (echo one >> \"$f\") & wait; "
      "echo later >> \"$f\" || echo later-refused";
  term.start(cordon_argv({"--ask", "--report", box.ws / "r.json"}, script), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("write ") + file)) << term.screen();
  // Both subshells have made their call by now: the second waits behind the question.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  term.answer("o");
  ASSERT_TRUE(term.expect(kQuestion + std::string("write ") + file)) << term.screen();
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "later-refused")) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 2u) << term.screen();
  EXPECT_EQ(read_file(file), "one\none\n");
  const auto r = report_of(box.ws / "r.json");
  ASSERT_EQ(r["grants"].size(), 3u) << r.dump();
  EXPECT_EQ(r["grants"][0]["by"], "user") << r.dump();
  EXPECT_EQ(r["grants"][1]["by"], "identical") << r.dump();
  EXPECT_EQ(r["grants"][1]["scope"], "once") << r.dump();
  EXPECT_EQ(r["grants"][2]["answer"], "deny") << r.dump();
}

// The user config's `ask = true` (core/config.cpp) asks as --ask does, on a terminal; where
// cordon has none the run goes on and refuses as without it (the flag would refuse to
// start); a project config cannot turn it on (asking widens), and nothing runs then.
TEST(Ask, TheUserConfigKeyAsksAndAProjectConfigCannotSetIt) {
  Sandbox box;
  OutsideDir kept;  // what --learn writes: outside the writable roots
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/data").c_str(), 0755);
  OutsideDir dir;
  const std::string config = dir / "config.toml";
  write_file(config, "ask = true\n");
  auto with_config = [&](std::vector<std::string> opts, const std::string& script) {
    std::vector<std::string> argv = {cordon_binary(), "run", "--config", config};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.insert(argv.end(), {"--", "sh", "-c", script});
    return argv;
  };
  term.start(with_config({}, "echo granted > \"$HOME/data/f\" && echo wrote"), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/data/f")) << term.screen();
  term.answer("o");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_EQ(read_file(home + "/data/f"), "granted\n");

  if (have_tool("setsid")) {
    std::vector<std::string> argv = {"setsid", "-w"};
    for (const auto& a : with_config({}, "echo x > \"$HOME/data/g\" || echo refused-as-today"))
      argv.push_back(a);
    Outcome o = run_process(argv, box.ws.path(), "", box.env());
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_TRUE(contains(o.out, "refused-as-today")) << o.out << o.err;
    EXPECT_FALSE(exists(home + "/data/g"));
    // --learn on the command line wins over the config's ask (no terminal needed).
    argv = {"setsid", "-w"};
    for (const auto& a : with_config({"--learn", kept / "l.toml"}, "echo y > \"$HOME/data/h\""))
      argv.push_back(a);
    Outcome learned = run_process(argv, box.ws.path(), "", box.env());
    EXPECT_EQ(learned.code, 0) << learned.err;
    EXPECT_EQ(read_file(home + "/data/h"), "y\n");
  } else {
    std::printf("[ skipped part ] no setsid(1): the config key without a terminal is not tried\n");
  }

  ::mkdir((box.ws / ".cordon").c_str(), 0755);
  write_file(box.ws / ".cordon/config.toml", "# from the repository\nask = true\n");
  Outcome project =
      run_process({cordon_binary(), "run", "--", "sh", "-c", "echo ran > ran"}, box.ws.path(), "", box.env());
  EXPECT_NE(project.code, 0) << project.err;
  for (const std::string& named : {std::string("ask"), std::string("--ask"), std::string("config.toml:2")})
    EXPECT_TRUE(contains(project.err, named)) << "should name '" << named << "':\n" << project.err;
  EXPECT_FALSE(exists(box.ws / "ran"));
  // ask = false only narrows: allowed there.
  write_file(box.ws / ".cordon/config.toml", "ask = false\n");
  Outcome off =
      run_process({cordon_binary(), "run", "--", "sh", "-c", "echo ran > ran"}, box.ws.path(), "", box.env());
  EXPECT_EQ(off.code, 0) << off.err;
  EXPECT_TRUE(exists(box.ws / "ran"));

  write_file(config, "# user\nask = \"yes\"\n");
  Outcome bad = run_process(with_config({}, "echo ran > ran2"), box.ws.path(), "", box.env());
  EXPECT_NE(bad.code, 0);
  EXPECT_TRUE(contains(bad.err, config + ":2")) << bad.err;
  EXPECT_FALSE(exists(box.ws / "ran2"));
}

// cordon mcp never asks: with `ask = true` in its config and a terminal of its own, a call
// that writes outside the roots is refused as without it, and no question is shown; the
// flag is refused.
TEST(Ask, TheMcpServerNeverAsks) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/data").c_str(), 0755);
  OutsideDir dir;
  const std::string config = dir / "config.toml";
  write_file(config, "ask = true\n");
  term.start({cordon_binary(), "mcp", "--config", config, "--workspace", box.ws.path()}, box.ws.path(),
             box.env());
  term.send(nlohmann::json{{"jsonrpc", "2.0"},
                           {"id", 7},
                           {"method", "tools/call"},
                           {"params",
                            {{"name", "run_command"},
                             {"arguments", {{"command", "echo x > \"$HOME/data/m\" || echo not-asked"}}}}}}
                .dump() +
            "\n");
  ASSERT_TRUE(term.expect("\"result\"", 60000)) << term.screen();
  ASSERT_TRUE(term.expect("not-asked", 5000)) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 0u) << term.screen();
  EXPECT_FALSE(exists(home + "/data/m"));

  // cordon mcp --ask asks through the client only (tests/mcp/ask.mjs): a client without
  // the elicitation capability is refused as without --ask, never asked on the terminal.
  OuterTerminal asking;
  ASSERT_TRUE(asking.ok());
  asking.start({cordon_binary(), "mcp", "--no-config", "--ask", "--workspace", box.ws.path()}, box.ws.path(),
               box.env());
  asking.send(nlohmann::json{
                  {"jsonrpc", "2.0"},
                  {"id", 1},
                  {"method", "initialize"},
                  {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", nlohmann::json::object()}}}}
                  .dump() +
              "\n");
  asking.send(nlohmann::json{{"jsonrpc", "2.0"},
                             {"id", 7},
                             {"method", "tools/call"},
                             {"params",
                              {{"name", "run_command"},
                               {"arguments", {{"command", "echo x > \"$HOME/data/m\" || echo not-asked"}}}}}}
                  .dump() +
              "\n");
  ASSERT_TRUE(asking.expect("could not ask", 60000)) << asking.screen();
  ASSERT_TRUE(asking.expect("not-asked", 5000)) << asking.screen();
  EXPECT_EQ(asking.count(kQuestion), 0u) << asking.screen();
  EXPECT_FALSE(exists(home + "/data/m"));

  Outcome flag =
      run_process({cordon_binary(), "mcp", "--no-config", "--ask", "--review"}, box.ws.path(), "", box.env());
  EXPECT_EQ(flag.code, 2) << flag.err;
  EXPECT_TRUE(contains(flag.err, "--ask")) << flag.err;
}

// Without user namespaces there is no creation broker: --learn (and --ask) refuse to run,
// with the reason, rather than run a command that would be refused anyway.
TEST(Ask, WithoutUserNamespacesLearnRefusesWithTheReason) {
  Sandbox box;
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Outcome o = run_process({no_userns_binary(), cordon_binary(), "run", "--no-config", "--best-effort",
                           "--learn", kept / "l.toml", "--", "sh", "-c", "echo ran > ran"},
                          box.ws.path(), "", box.env());
  EXPECT_NE(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.err, "--learn")) << o.err;
  EXPECT_TRUE(contains(o.err, "cannot work on this host")) << o.err;
  EXPECT_FALSE(exists(box.ws / "ran"));
  EXPECT_FALSE(exists(kept / "l.toml"));
}

// With --tty never the command would hold the very terminal the question is asked on.
TEST(Ask, TtyNeverOnATerminalIsRefused) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(cordon_argv({"--ask", "--tty", "never"}, "echo ran > ran"), box.ws.path(), box.env());
  EXPECT_NE(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "--tty never")) << term.screen();
  EXPECT_FALSE(exists(box.ws / "ran"));
}

// Protected paths, secrets and cordon's own config are never asked about, and stay refused
// in both modes.
TEST(Ask, ProtectedPathsAndSecretsAreNeverAskedNorLearned) {
  Sandbox box;
  OutsideDir kept;  // what --learn writes: outside the writable roots
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/.ssh").c_str(), 0700);
  write_file(home + "/.ssh/id_ed25519", "KEY\n");
  write_file(home + "/.bashrc", "# rc\n");
  ::mkdir((home + "/repo").c_str(), 0755);
  ::mkdir((home + "/repo/.git").c_str(), 0755);
  ::mkdir((home + "/repo/.git/hooks").c_str(), 0755);
  fs::create_directories(home + "/.local/share/systemd/user");
  fs::create_directories(home + "/.bashrc.d");
  const std::string script =
      "for p in .bashrc .ssh/id_ed25519 .ssh/new .config/cordon/config.toml repo/.git/hooks/pre-commit "
      ".profile .gitconfig .local/bin/tool .vscode/tasks.json .bash_aliases .bashrc.d/x.sh "
      ".local/share/systemd/user/x.service; do "
      "mkdir -p \"$(dirname \"$HOME/$p\")\" 2>/dev/null; echo evil > \"$HOME/$p\" && echo \"wrote $p\"; "
      "done; "
      "echo finished";
  Outcome learned = cordon_sh(box.ws.path(), script, {"--learn", kept / "l.toml"}, "", box.env());
  EXPECT_EQ(learned.code, 0) << learned.err;
  EXPECT_TRUE(contains(learned.out, "finished")) << learned.out;
  EXPECT_FALSE(contains(learned.out, "wrote")) << learned.out;
  // (mkdir -p may make ~/.config itself: an empty directory; nothing below is granted)
  EXPECT_FALSE(contains(learned.err, "learn: allowed create")) << learned.err;
  EXPECT_FALSE(contains(learned.err, "learn: allowed write")) << learned.err;
  EXPECT_FALSE(contains(learned.err, "allowed mkdir " + home + "/.config/cordon")) << learned.err;
  EXPECT_EQ(read_file(home + "/.bashrc"), "# rc\n");
  EXPECT_EQ(read_file(home + "/.ssh/id_ed25519"), "KEY\n");
  for (const char* p : {".ssh/new", ".config/cordon/config.toml", "repo/.git/hooks/pre-commit", ".profile",
                        ".gitconfig", ".local/bin/tool", ".vscode/tasks.json", ".bash_aliases",
                        ".bashrc.d/x.sh", ".local/share/systemd/user/x.service"})
    EXPECT_FALSE(exists(home + "/" + p)) << p;

  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  term.start(cordon_argv({"--ask"}, script), box.ws.path(), box.env());
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 0u) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "finished")) << term.screen();
  EXPECT_FALSE(contains(term.screen(), "wrote")) << term.screen();
  EXPECT_EQ(read_file(home + "/.bashrc"), "# rc\n");
}

// A fragment or a config in a root the run can write may have been edited by an earlier
// sandboxed run (or shipped by the checkout), yet --policy and --config read it as the
// user's own layer, which may widen: refused, naming the file and the root, and nothing
// runs. So is --learn writing there (the command could edit the fragment first).
TEST(Ask, APolicyConfigOrLearnFileInsideAWritableRootIsRefused) {
  Sandbox box;
  OutsideDir kept;
  ::mkdir((kept / "w").c_str(), 0755);
  const std::string inside = box.ws / "learned.toml";
  write_file(inside, "[filesystem]\nwritable = [\"" + kept / "w" + "\"]\n");
  const std::string in_writable = kept / "w/c.toml";
  write_file(in_writable, "ask = false\n");
  const std::vector<std::vector<std::string>> cases = {
      {"--no-config", "--policy", inside},
      {"--config", inside},
      {"--no-config", "--learn", inside},
      {"--no-config", "--writable", kept / "w", "--policy", in_writable},
  };
  for (const auto& opts : cases) {
    std::vector<std::string> argv = {cordon_binary(), "run"};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.insert(argv.end(), {"--", "sh", "-c", "echo ran > ran"});
    Outcome o = run_process(argv, box.ws.path(), "", box.env());
    const std::string& file = opts.back();
    EXPECT_NE(o.code, 0) << opts[1] << ": " << o.err;
    EXPECT_TRUE(contains(o.err, opts[opts.size() - 2])) << o.err;
    EXPECT_TRUE(contains(o.err, "'" + file + "' lies inside the writable root")) << o.err;
    EXPECT_TRUE(contains(o.err, file == inside ? box.ws.path() : kept / "w")) << o.err;
    EXPECT_FALSE(exists(box.ws / "ran")) << opts[1];
  }
  // Outside them, the same fragment is read.
  const std::string outside = kept / "learned.toml";
  fs::copy_file(inside, outside);
  Outcome ok = cordon_sh(box.ws.path(), "echo ran > ran", {"--policy", outside}, "", box.env());
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(exists(box.ws / "ran"));
}

// --learn grants and records; the fragment it writes, given back with --policy, runs the
// same task with no denial and no question.
TEST(Ask, LearnThenPolicyRunsClean) {
  Sandbox box;
  OutsideDir kept;  // what --learn writes: outside the writable roots
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/.cache").c_str(), 0755);
  const std::string script =
      "mkdir -p \"$HOME/.npm/a/b\" && for i in 1 2 3 4 5; do echo $i > \"$HOME/.npm/a/b/f$i\"; done && "
      "mkdir -p \"$HOME/.cache/pip\" && echo p > \"$HOME/.cache/pip/x\" && echo task-ok";
  const std::string fragment = kept / "learned.toml";
  Outcome first = cordon_sh(box.ws.path(), script, {"--learn", fragment}, "", box.env());
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "task-ok")) << first.out;
  EXPECT_TRUE(contains(first.err, "cordon: learn: allowed mkdir " + home + "/.npm")) << first.err;
  const std::string text = read_file(fragment);
  EXPECT_TRUE(contains(text, "\"" + home + "/.npm\"")) << text;
  EXPECT_TRUE(contains(text, "\"" + home + "/.cache/pip\"")) << text;
  EXPECT_FALSE(contains(text, "\"" + home + "/.cache\"")) << text;
  // Clean the outside, then the same task with the fragment and without --learn.
  std::error_code ec;
  fs::remove_all(home + "/.npm", ec);
  fs::remove_all(home + "/.cache/pip", ec);
  ::mkdir((home + "/.npm").c_str(), 0755);  // a writable root must exist
  ::mkdir((home + "/.cache/pip").c_str(), 0755);
  Outcome second =
      cordon_sh(box.ws.path(), script, {"--report", box.ws / "r.json", "--policy", fragment}, "", box.env());
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "task-ok")) << second.out;
  const auto r = report_of(box.ws / "r.json");
  EXPECT_TRUE(r["denials"].empty()) << r.dump();
  EXPECT_FALSE(r.contains("grants")) << r.dump();
  EXPECT_EQ(read_file(home + "/.npm/a/b/f5"), "5\n");
}

// A thread rewrites the path buffer while the question waits: what is granted is what was
// asked about, and the other path is never touched (create_probe race flips the buffer
// between a name in the granted directory and one in a directory the user refuses).
TEST(Ask, ARacingThreadCannotRedirectAGrant) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/granted").c_str(), 0755);
  ::mkdir((home + "/other").c_str(), 0755);
  const char* env = std::getenv("CORDON_CREATE_PROBE");
  const std::string built = env && *env ? env : CORDON_CREATE_PROBE_BINARY;
  const std::string probe = box.home / "create_probe";
  fs::copy_file(built, probe);
  ::chmod(probe.c_str(), 0755);
  term.start(cordon_argv({"--ask"}, "cd \"$HOME/granted\" && " + sh_quote(probe) +
                                        " race \"$HOME/other/x\" 6; echo raced"),
             box.ws.path(), box.env());
  int questions = 0;
  while (questions < 200 && term.expect(kQuestion, 20000)) {
    ++questions;
    const std::string line = term.line_after_last_match();
    term.answer(contains(line, home + "/other/") ? "n" : "o");
  }
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "raced")) << term.screen();
  EXPECT_GT(questions, 0);
  EXPECT_FALSE(exists(home + "/other/x")) << term.screen();
  EXPECT_TRUE(fs::is_empty(home + "/other"));
}

// The directory is moved (from outside: nothing inside can rename a read-only directory)
// while its question waits: the grant was for where it was, so nothing is made anywhere.
TEST(Ask, ADirectoryMovedWhileTheQuestionWaitsGetsNothing) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/g").c_str(), 0755);
  ::mkdir((home + "/g/a").c_str(), 0755);
  term.start(cordon_argv({"--ask"}, "echo x > \"$HOME/g/a/x\" || echo refused"), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/g/a/x")) << term.screen();
  ASSERT_EQ(::rename((home + "/g/a").c_str(), (home + "/g/moved").c_str()), 0);
  term.answer("o");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "refused")) << term.screen();
  EXPECT_FALSE(exists(home + "/g/moved/x"));
  EXPECT_FALSE(exists(home + "/g/a/x"));
}

// The prompt shows a hostile name escaped: no control sequence from the sandbox reaches the
// terminal through cordon's question.
TEST(Ask, AHostileNameIsEscapedInThePrompt) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  term.start(
      cordon_argv({"--ask"}, "echo x > \"$HOME/$(printf 'n\\033]0;pwned\\007\\nfake')\" || echo refused"),
      box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion)) << term.screen();
  const std::string line = term.line_after_last_match();
  EXPECT_TRUE(contains(line, "n\\e]0;pwned\\x07\\nfake")) << line;
  EXPECT_FALSE(contains(line, "\033")) << line;
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
}

// Attacks on the granted directory and the prompt.
TEST(Ask, LinksFifosDescriptorsAndHostileNamesInLearnMode) {
  Sandbox box;
  OutsideDir kept;  // what --learn writes: outside the writable roots
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/cache").c_str(), 0755);
  write_file(home + "/.bashrc", "# rc\n");
  write_file(home + "/plain", "plain\n");
  // Planted from outside: a link in the directory that will be granted, to a protected file.
  ::symlink((home + "/.bashrc").c_str(), (home + "/cache/rc").c_str());
  ::link((home + "/.bashrc").c_str(), (home + "/cache/hard").c_str());  // a second name of it
  // A link as a directory of the path: decided on where it leads (session autostart, /etc).
  fs::create_directories(home + "/.config/autostart");
  ::symlink((home + "/.config/autostart").c_str(), (home + "/cache/auto").c_str());
  ::symlink("/etc", (home + "/cache/etc").c_str());
  const std::string script =
      "echo a > \"$HOME/cache/new\"; "                                  // granted (learned)
      "echo evil > \"$HOME/cache/rc\" && echo wrote-rc; "               // the link leads to ~/.bashrc: never
      "ln -s \"$HOME/.bashrc\" \"$HOME/cache/l2\" && echo made-link; "  // no link is ever made
      "mkfifo \"$HOME/cache/fifo\" && echo wrote-fifo; "                // no FIFO is made
      "exec 3<\"$HOME/plain\"; echo evil > /proc/self/fd/3 && echo wrote-fd3; "  // a read-only fd
      "echo evil > \"$HOME/cache/hard\" && echo wrote-hard; "                    // a hard link to ~/.bashrc
      "ln \"$HOME/plain\" \"$HOME/cache/hl\" && echo made-hardlink; "            // no link is made
      "mv \"$HOME/cache/new\" \"$HOME/.profile\" && echo moved-in; "             // onto a protected name
      "mv \"$HOME/.bashrc\" \"$HOME/cache/b\" && echo moved-out; "               // a protected file away
      "rm -f \"$HOME/.bashrc\" && echo removed-rc; "
      "echo evil > \"$HOME/cache/auto/x.desktop\" && echo wrote-autostart; "
      "echo evil > \"$HOME/cache/etc/cordon-ask-test\" && echo wrote-etc; "
      "echo esc > \"$HOME/cache/$(printf 'e\\033[2Jx')\"; echo done";
  Outcome o = cordon_sh(box.ws.path(), script, {"--learn", kept / "l.toml"}, "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "done")) << o.out;
  for (const char* bad : {"wrote-rc", "made-link", "wrote-fifo", "wrote-fd3", "wrote-hard", "made-hardlink",
                          "moved-in", "moved-out", "removed-rc", "wrote-autostart", "wrote-etc"})
    EXPECT_FALSE(contains(o.out, bad)) << bad;
  EXPECT_EQ(read_file(home + "/cache/new"), "a\n");
  EXPECT_EQ(read_file(home + "/.bashrc"), "# rc\n");
  EXPECT_EQ(read_file(home + "/plain"), "plain\n");
  EXPECT_FALSE(exists(home + "/cache/l2"));
  EXPECT_FALSE(exists(home + "/cache/hl"));
  EXPECT_FALSE(exists(home + "/.profile"));
  EXPECT_FALSE(exists(home + "/cache/fifo"));
  EXPECT_FALSE(exists(home + "/.config/autostart/x.desktop"));
  EXPECT_FALSE(exists("/etc/cordon-ask-test"));
  EXPECT_EQ(read_file(home + "/cache/hard"), "# rc\n");
  // The hostile name was granted and printed escaped: no raw escape reached the terminal.
  EXPECT_TRUE(contains(o.err, "e\\e[2Jx")) << o.err;
  EXPECT_FALSE(contains(o.err, "\033[2J")) << o.err;
}

// A rename carries what lies below its ends: a directory made outside (asked about, or
// learned, as harmless names) and moved onto ~/.config/systemd, or exchanged with it, would
// plant user units no question named; one moved from above a writable root takes the
// workspace along. Never asked, never learned; nor a rename that leaves a whiteout (a
// device node) at the old name.
TEST(Ask, ARenameNeverCarriesAProtectedPathInOrOut) {
  Sandbox box;
  OutsideDir kept;  // what --learn writes: outside the writable roots
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  fs::create_directories(home + "/.config");
  fs::create_directories(home + "/a/b/root");
  const char* env = std::getenv("CORDON_CREATE_PROBE");
  const std::string built = env && *env ? env : CORDON_CREATE_PROBE_BINARY;
  const std::string probe = box.home / "create_probe";
  fs::copy_file(built, probe);
  ::chmod(probe.c_str(), 0755);
  const std::string script =
      "mkdir -p \"$HOME/stage/user\" && echo '[Service]' > \"$HOME/stage/user/evil.service\" && echo staged; "
      "mv \"$HOME/stage\" \"$HOME/.config/systemd\" && echo moved-in; " +
      sh_quote(probe) +
      " exchange \"$HOME/stage\" \"$HOME/.config\" && echo exchanged; "
      "mv \"$HOME/.config\" \"$HOME/old-config\" && echo moved-out; "
      "mv \"$HOME/a\" \"$HOME/c\" && echo moved-root; " +
      sh_quote(probe) +
      " whiteout \"$HOME/stage/user/evil.service\" \"$HOME/stage/w\" && echo whiteout; echo done";
  Outcome o = cordon_sh(box.ws.path(), script, {"--learn", kept / "l.toml", "--writable", home + "/a/b/root"},
                        "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "staged")) << o.out << o.err;  // the harmless part is learned
  EXPECT_TRUE(contains(o.out, "done")) << o.out;
  for (const char* bad : {"moved-in", "exchanged", "moved-out", "moved-root", "whiteout"})
    EXPECT_FALSE(contains(o.out, bad)) << bad << "\n" << o.err;
  EXPECT_FALSE(exists(home + "/.config/systemd")) << o.err;
  EXPECT_FALSE(exists(home + "/.config/user/evil.service")) << o.err;
  EXPECT_TRUE(fs::is_regular_file(home + "/stage/user/evil.service"));  // no whiteout left there
  EXPECT_FALSE(exists(home + "/stage/w"));
  EXPECT_TRUE(exists(home + "/a/b/root"));
  EXPECT_FALSE(exists(home + "/old-config"));
  EXPECT_FALSE(exists(home + "/c"));
}

// cordon's own configuration and binaries, and the git and session configuration the
// user's tools read, where $XDG_CONFIG_HOME, --config and GIT_CONFIG_GLOBAL put them (not
// only at their default places in the home): never learned, so the next run's policy,
// cordon itself and git's config stay out of the command's reach.
TEST(Ask, ConfigAndBinariesWhereTheEnvironmentPutsThemAreNeverLearned) {
  Sandbox box;
  OutsideDir kept;  // what --learn writes: outside the writable roots
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  const std::string xdg = home + "/xdg";
  fs::create_directories(xdg + "/cordon");
  write_file(xdg + "/cordon/config.toml", "# user\n");
  write_file(home + "/given.toml", "# given\n");
  // cordon itself, installed below the home (a build tree, a copy): its two images.
  fs::create_directories(home + "/tools");
  const std::string exe = home + "/tools/cordon";
  fs::copy_file(cordon_binary(), exe);
  fs::copy_file(fs::path(cordon_binary()).parent_path() / "cordon-init", home + "/tools/cordon-init");
  ::chmod(exe.c_str(), 0755);
  ::chmod((home + "/tools/cordon-init").c_str(), 0755);
  const std::string script =
      "echo 'mode = \"danger-full-access\"' > \"$HOME/xdg/cordon/config.toml\" && echo wrote-config; "
      "echo x > \"$HOME/xdg/cordon/other.toml\" && echo wrote-other; "
      "mkdir -p \"$HOME/xdg/git\"; printf '[core]\\n\\tfsmonitor = evil\\n' > \"$HOME/xdg/git/config\" && "
      "echo wrote-git; "
      "mkdir -p \"$HOME/xdg/autostart\"; echo x > \"$HOME/xdg/autostart/e.desktop\" && echo wrote-autostart; "
      "echo x > \"$HOME/global-git\" && echo wrote-global; "
      "echo 'evil = 1' >> \"$HOME/given.toml\" && echo wrote-given; "
      "echo evil > \"$HOME/tools/new\" && echo made-new; "
      "mv \"$HOME/tools/new\" \"$HOME/tools/cordon-init\" && echo replaced-init; "
      "echo done";
  std::vector<std::string> argv = {
      exe, "run", "--config", home + "/given.toml", "--learn", kept / "l.toml", "--", "sh", "-c", script};
  Outcome o =
      run_process(argv, box.ws.path(), "",
                  {"HOME=" + home, "XDG_CONFIG_HOME=" + xdg, "XDG_STATE_HOME=" + home + "/.local/state",
                   "GIT_CONFIG_GLOBAL=" + home + "/global-git"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "done")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "made-new")) << o.out << o.err;  // an ordinary name there is learned
  for (const char* bad : {"wrote-config", "wrote-other", "wrote-git", "wrote-autostart", "wrote-global",
                          "wrote-given", "replaced-init"})
    EXPECT_FALSE(contains(o.out, bad)) << bad << "\n" << o.err;
  EXPECT_EQ(read_file(xdg + "/cordon/config.toml"), "# user\n");
  EXPECT_EQ(read_file(home + "/given.toml"), "# given\n");
  EXPECT_FALSE(exists(xdg + "/cordon/other.toml"));
  EXPECT_FALSE(exists(xdg + "/git/config"));
  EXPECT_FALSE(exists(xdg + "/autostart/e.desktop"));
  EXPECT_FALSE(exists(home + "/global-git"));
  EXPECT_NE(read_file(home + "/tools/cordon-init"), "evil\n");
}

// A directory on the user's PATH below the home (~/.cargo/bin, ~/go/bin): a program put
// there runs later by its name in the user's own shells. Never learned, never asked; a
// sibling directory off the PATH is learned as usual.
TEST(Ask, DirectoriesOnThePathAreNeverLearned) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  fs::create_directories(home + "/.cargo/bin");
  fs::create_directories(home + "/.cargo/registry");
  const char* inherited = std::getenv("PATH");
  const std::string path = home + "/.cargo/bin:" + (inherited ? inherited : "/usr/bin:/bin");
  const std::string script =
      "echo 'echo evil' > \"$HOME/.cargo/bin/git\" && echo wrote-bin; "
      "echo x > \"$HOME/.cargo/registry/index\" && echo wrote-registry; echo done";
  Outcome o = cordon_sh(box.ws.path(), script, {"--learn", kept / "l.toml"}, "", box.env({"PATH=" + path}));
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "done")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "wrote-registry")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "wrote-bin")) << o.out << o.err;
  EXPECT_FALSE(exists(home + "/.cargo/bin/git"));
  EXPECT_EQ(read_file(home + "/.cargo/registry/index"), "x\n");
}

// A startup file or config directory that links into a dotfiles checkout (GNU stow,
// chezmoi's symlink mode): the question names where the link leads, and that file is as
// protected as its link. Never learned.
TEST(Ask, StartupFilesThatLinkIntoADotfilesCheckoutAreNeverLearned) {
  Sandbox box;
  OutsideDir kept;  // what --learn writes: outside the writable roots
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  fs::create_directories(home + "/dotfiles/config/git");
  fs::create_directories(home + "/.config");
  write_file(home + "/dotfiles/bashrc", "# rc\n");
  write_file(home + "/dotfiles/config/git/config", "# git\n");
  ::symlink((home + "/dotfiles/bashrc").c_str(), (home + "/.bashrc").c_str());
  ::symlink((home + "/dotfiles/config/git").c_str(), (home + "/.config/git").c_str());
  const std::string script =
      "echo evil >> \"$HOME/.bashrc\" && echo wrote-rc; "
      "echo evil >> \"$HOME/.config/git/config\" && echo wrote-git; "
      "echo x > \"$HOME/.config/git/attributes\" && echo made-attributes; "
      "echo x > \"$HOME/dotfiles/README\" && echo made-readme; echo done";
  Outcome o = cordon_sh(box.ws.path(), script, {"--learn", kept / "l.toml"}, "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "done")) << o.out;
  EXPECT_TRUE(contains(o.out, "made-readme")) << o.out << o.err;  // the rest of the checkout is askable
  for (const char* bad : {"wrote-rc", "wrote-git", "made-attributes"})
    EXPECT_FALSE(contains(o.out, bad)) << bad << "\n" << o.err;
  EXPECT_EQ(read_file(home + "/dotfiles/bashrc"), "# rc\n");
  EXPECT_EQ(read_file(home + "/dotfiles/config/git/config"), "# git\n");
  EXPECT_FALSE(exists(home + "/dotfiles/config/git/attributes"));
}

// Output written before the asked call that would hide the question (concealed text, the
// line-drawing set, no line wrap) under a fake one: the question resets the terminal's
// drawing first, so what the user reads is cordon's question.
TEST(Ask, TheQuestionIsDrawnInPlainTextWhateverTheCommandLeftSet) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  const std::string script =
      "printf 'cordon: the command asks to create ~/.cache/x\\n\\033[8m\\033(0\\016\\033[?7l'; "
      "echo x > \"$HOME/f\" || echo refused";
  term.start(cordon_argv({"--ask"}, script), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("create ") + home + "/f")) << term.screen();
  const std::string shown = term.screen();
  const size_t conceal = shown.rfind("\033[8m");
  const size_t question = shown.rfind(kQuestion);
  ASSERT_NE(conceal, std::string::npos) << shown;
  const std::string between = shown.substr(conceal, question - conceal);
  for (const char* reset : {"\033[0m", "\033(B", "\017", "\033[?7h"})
    EXPECT_TRUE(contains(between, reset)) << "no reset " << reset << " before the question";
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "refused")) << term.screen();
}

}  // namespace
