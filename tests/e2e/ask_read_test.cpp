// cordon run --ask and --learn for reads (issue 21): a read of a file the user added to
// --deny-read is asked about on cordon's own terminal (driven through a real outer pty),
// or granted and learned; on a grant the broker opens the real file and installs it. The
// default secret list, protected paths and denied directories are never asked. Every
// effect is checked from outside; every read and wait is bounded.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "e2e/harness.hpp"
#include "e2e/pty_harness.hpp"

namespace {

using namespace cordon_test;

constexpr const char* kQuestion = "cordon: the command asks to ";

std::vector<std::string> cordon_argv(std::vector<std::string> opts, const std::string& script) {
  std::vector<std::string> argv = {cordon_binary(), "run", "--no-config"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return argv;
}

std::string ask_unavailable(const Sandbox& box) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Outcome o = cordon_sh(box.ws.path(), "true", {"--learn", kept / "probe.toml"}, "", box.env());
  return o.code == 0 ? std::string() : "cordon run --learn cannot work here: " + o.err;
}

nlohmann::json report_of(const std::string& path) {
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

std::string create_probe(const Sandbox& box) {
  const char* env = std::getenv("CORDON_CREATE_PROBE");
  const std::string built = env && *env ? env : CORDON_CREATE_PROBE_BINARY;
  const std::string probe = box.home / "create_probe";
  fs::copy_file(built, probe, fs::copy_options::overwrite_existing);
  ::chmod(probe.c_str(), 0755);
  return probe;
}

// Granted for the run: the command prints the file, asked once; a sibling the user denies
// stays unreadable (the mask, an empty file, as without --ask; not asked again), and
// everything else the command reads (its shell, libraries) is read as without --ask.
TEST(AskRead, ADenyReadFileIsAskedAndGrantedAndASiblingStaysRefused) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/data").c_str(), 0755);
  write_file(home + "/data/granted.txt", "GRANTED-CONTENT\n");
  write_file(home + "/data/sibling.txt", "SIBLING-CONTENT\n");
  const std::string script =
      "cat \"$HOME/data/granted.txt\" && cat \"$HOME/data/granted.txt\" && "
      "cat \"$HOME/data/sibling.txt\" && cat \"$HOME/data/sibling.txt\" && echo read-done";
  term.start(cordon_argv({"--ask", "--report", box.ws / "r.json", "--deny-read", home + "/data/granted.txt",
                          "--deny-read", home + "/data/sibling.txt"},
                         script),
             box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("read ") + home + "/data/granted.txt (a --deny-read file)"))
      << term.screen();
  term.answer("r");
  ASSERT_TRUE(term.expect(kQuestion + std::string("read ") + home + "/data/sibling.txt")) << term.screen();
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  const std::string screen = term.screen();
  EXPECT_TRUE(contains(screen, "read-done")) << screen;
  EXPECT_EQ(term.count("GRANTED-CONTENT"), 2u) << screen;
  EXPECT_FALSE(contains(screen, "SIBLING-CONTENT")) << screen;
  EXPECT_EQ(term.count(kQuestion), 2u) << screen;  // each once: the run's grant, the denial
  const auto r = report_of(box.ws / "r.json");
  ASSERT_TRUE(r.contains("grants")) << r.dump();
  ASSERT_EQ(r["grants"].size(), 2u) << r.dump();
  EXPECT_EQ(r["grants"][0]["operation"], "read") << r.dump();
  EXPECT_EQ(r["grants"][0]["scope"], "run") << r.dump();
  EXPECT_EQ(r["grants"][1]["answer"], "deny") << r.dump();
}

// Never asked, in --learn and --ask: the default secret list (even when the user names a
// file in it again), a protected path the user also denies, a directory the user denies.
TEST(AskRead, SecretsProtectedPathsAndDirectoriesAreNeverAsked) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/.ssh").c_str(), 0700);
  write_file(home + "/.ssh/id_ed25519", "SSH-KEY\n");
  ::mkdir((box.ws / ".vscode").c_str(), 0755);
  write_file(box.ws / ".vscode/tasks.json", "PROTECTED-TASKS\n");
  ::mkdir((home + "/vault").c_str(), 0755);
  write_file(home + "/vault/inside", "VAULT-CONTENT\n");
  write_file(home + "/plain", "PLAIN-CONTENT\n");
  const std::vector<std::string> denies = {"--deny-read", home + "/.ssh/id_ed25519",
                                           "--deny-read", box.ws / ".vscode/tasks.json",
                                           "--deny-read", home + "/vault"};
  const std::string script =
      "cat \"$HOME/.ssh/id_ed25519\"; cat .vscode/tasks.json; cat \"$HOME/vault/inside\"; "
      "cat \"$HOME/plain\"; echo finished";
  std::vector<std::string> opts = {"--learn", kept / "l.toml"};
  opts.insert(opts.end(), denies.begin(), denies.end());
  Outcome learned = cordon_sh(box.ws.path(), script, opts, "", box.env());
  EXPECT_EQ(learned.code, 0) << learned.err;
  EXPECT_TRUE(contains(learned.out, "finished")) << learned.out;
  EXPECT_TRUE(contains(learned.out, "PLAIN-CONTENT")) << learned.out;
  for (const char* secret : {"SSH-KEY", "PROTECTED-TASKS", "VAULT-CONTENT"})
    EXPECT_FALSE(contains(learned.out, secret)) << secret;
  EXPECT_FALSE(contains(learned.err, "allowed read")) << learned.err;
  EXPECT_FALSE(contains(read_file(kept / "l.toml"), "allow_read")) << read_file(kept / "l.toml");

  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  std::vector<std::string> ask = {"--ask"};
  ask.insert(ask.end(), denies.begin(), denies.end());
  term.start(cordon_argv(ask, script), box.ws.path(), box.env());
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_EQ(term.count(kQuestion), 0u) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "finished")) << term.screen();
  for (const char* secret : {"SSH-KEY", "PROTECTED-TASKS", "VAULT-CONTENT"})
    EXPECT_FALSE(contains(term.screen(), secret)) << secret;
}

// --learn grants the read and writes a filesystem.allow_read entry; with that fragment a
// later run reads the file with no question and no denial, the same --deny-read given.
TEST(AskRead, LearnThenPolicyReadsWithoutAQuestion) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  write_file(home + "/token.txt", "LEARNED-CONTENT\n");
  write_file(home + "/other.txt", "OTHER-CONTENT\n");
  const std::string fragment = kept / "learned.toml";
  const std::string script = "cat \"$HOME/token.txt\" && echo task-ok";
  Outcome first =
      cordon_sh(box.ws.path(), script,
                {"--learn", fragment, "--deny-read", home + "/token.txt", "--deny-read", home + "/other.txt"},
                "", box.env());
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "LEARNED-CONTENT")) << first.out;
  EXPECT_TRUE(contains(first.err, "cordon: learn: allowed read " + home + "/token.txt")) << first.err;
  const std::string text = read_file(fragment);
  EXPECT_TRUE(contains(text, "allow_read = [")) << text;
  EXPECT_TRUE(contains(text, "\"" + home + "/token.txt\"")) << text;
  EXPECT_FALSE(contains(text, "other.txt")) << text;
  Outcome second = cordon_sh(box.ws.path(), script + "; cat \"$HOME/other.txt\"; echo other-done",
                             {"--report", box.ws / "r.json", "--policy", fragment, "--deny-read",
                              home + "/token.txt", "--deny-read", home + "/other.txt"},
                             "", box.env());
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "LEARNED-CONTENT")) << second.out;
  EXPECT_TRUE(contains(second.out, "other-done")) << second.out;
  EXPECT_FALSE(contains(second.out, "OTHER-CONTENT")) << second.out;
  const auto r = report_of(box.ws / "r.json");
  EXPECT_FALSE(r.contains("grants")) << r.dump();
}

// A thread rewrites the path buffer between the denied file the user allows once and a
// second denied file the user refuses, while each question waits: the content of the
// refused file never appears (the broker opens what it asked about, never the buffer again).
TEST(AskRead, ARacingThreadCannotRedirectAGrantedRead) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  write_file(home + "/allowed", "ALLOWED-CONTENT\n");
  write_file(home + "/refused", "REFUSED-CONTENT\n");
  const std::string probe = create_probe(box);
  term.start(cordon_argv({"--ask", "--deny-read", home + "/allowed", "--deny-read", home + "/refused"},
                         sh_quote(probe) + " read-race \"$HOME/allowed\" \"$HOME/refused\" 8; echo raced"),
             box.ws.path(), box.env());
  int questions = 0;
  while (questions < 200 && term.expect(kQuestion, 20000)) {
    ++questions;
    const std::string line = term.line_after_last_match();
    term.answer(contains(line, home + "/refused") ? "n" : "o");
  }
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "raced")) << term.screen();
  EXPECT_GT(questions, 0);
  EXPECT_FALSE(contains(term.screen(), "REFUSED-CONTENT")) << term.screen();
}

// Links and moves in the workspace, FIFOs and hostile names, in --learn mode.
TEST(AskRead, LinksMovesFifosAndHostileNamesInLearnMode) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/d").c_str(), 0755);
  write_file(home + "/d/linked", "LINKED-CONTENT\n");
  ::chmod((home + "/d/linked").c_str(), 0640);
  const std::string hostile = home + "/d/e\033[2Jx";
  write_file(hostile, "HOSTILE-CONTENT\n");
  ASSERT_EQ(::mkfifo((home + "/d/fifo").c_str(), 0644), 0);
  ::mkdir((box.ws / "sub").c_str(), 0755);
  write_file(box.ws / "sub/moved", "MOVED-CONTENT\n");
  // A link in the workspace to the denied file (planted before the run), and one made inside.
  ::symlink((home + "/d/linked").c_str(), (box.ws / "outer-link").c_str());
  const std::string script =
      "cat outer-link; ln -s \"$HOME/d/linked\" inner-link && cat inner-link; "
      // The granted descriptor cannot change the file's metadata (a sealed copy is installed).
      "exec 3<inner-link; chmod 0666 /proc/self/fd/3; exec 3<&-; "
      "timeout 10 cat \"$HOME/d/fifo\"; echo \"fifo rc $?\"; "
      "cat \"$HOME/d/$(printf 'e\\033[2Jx')\"; "
      "mv sub sub2 && cat sub2/moved && echo moved-read; echo done";
  Outcome o = cordon_sh(box.ws.path(), script,
                        {"--learn", kept / "l.toml", "--deny-read", home + "/d/linked", "--deny-read",
                         home + "/d/fifo", "--deny-read", hostile, "--deny-read", box.ws / "sub/moved"},
                        "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "done")) << o.out;
  // Both links lead to the denied file: each read granted (learned), decided on the file.
  const size_t first = o.out.find("LINKED-CONTENT");
  ASSERT_NE(first, std::string::npos) << o.out;
  EXPECT_NE(o.out.find("LINKED-CONTENT", first + 1), std::string::npos) << o.out;
  struct stat st {};
  ASSERT_EQ(::stat((home + "/d/linked").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_TRUE(contains(o.out, "fifo rc 0")) << o.out;  // the mask, read at once: never the FIFO
  EXPECT_TRUE(contains(o.out, "HOSTILE-CONTENT")) << o.out;
  // The mask moved with its directory: nothing is asked, the mask refuses as before.
  EXPECT_TRUE(contains(o.out, "moved-read")) << o.out;  // the empty mask
  EXPECT_FALSE(contains(o.out, "MOVED-CONTENT")) << o.out;
  EXPECT_TRUE(contains(o.err, "allowed read " + home + "/d/linked")) << o.err;
  EXPECT_FALSE(contains(o.err, "allowed read " + home + "/d/fifo")) << o.err;
  EXPECT_FALSE(contains(o.err, "sub2/moved")) << o.err;
  EXPECT_TRUE(contains(o.err, "e\\e[2Jx")) << o.err;
  EXPECT_FALSE(contains(o.err, "\033[2J")) << o.err;
}

}  // namespace
