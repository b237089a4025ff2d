// cordon run --ask and --learn for reads (issue 21): a read of a file the user added to
// --deny-read is asked about on cordon's own terminal (driven through a real outer pty),
// or granted and learned; on a grant the broker opens the real file and installs it. The
// default secret list and protected paths are never asked; below a denied directory, a
// regular file is asked about too. Every
// effect is checked from outside; every read and wait is bounded.
#include <sys/stat.h>
#include <sys/sysmacros.h>

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
// file in it again, or its directory), a protected path the user also denies, and below a
// directory the user denies a protected name (.git, .vscode) it holds.
TEST(AskRead, SecretsAndProtectedPathsAreNeverAskedNorBelowADeniedDirectory) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/.ssh").c_str(), 0700);
  write_file(home + "/.ssh/id_ed25519", "SSH-KEY\n");
  ::mkdir((box.ws / ".vscode").c_str(), 0755);
  write_file(box.ws / ".vscode/tasks.json", "PROTECTED-TASKS\n");
  ::mkdir((home + "/vault").c_str(), 0755);
  ::mkdir((home + "/vault/.git").c_str(), 0755);
  write_file(home + "/vault/.git/config", "VAULT-GIT-CONFIG\n");
  ::mkdir((home + "/vault/.vscode").c_str(), 0755);
  write_file(home + "/vault/.vscode/tasks.json", "VAULT-TASKS\n");
  write_file(home + "/plain", "PLAIN-CONTENT\n");
  const std::vector<std::string> denies = {
      "--deny-read", home + "/.ssh/id_ed25519",     "--deny-read", home + "/.ssh",
      "--deny-read", box.ws / ".vscode/tasks.json", "--deny-read", home + "/vault"};
  const std::string script =
      "cat \"$HOME/.ssh/id_ed25519\"; cat .vscode/tasks.json; cat \"$HOME/vault/.git/config\"; "
      "cat \"$HOME/vault/.vscode/tasks.json\"; cat \"$HOME/plain\"; echo finished";
  std::vector<std::string> opts = {"--learn", kept / "l.toml"};
  opts.insert(opts.end(), denies.begin(), denies.end());
  Outcome learned = cordon_sh(box.ws.path(), script, opts, "", box.env());
  EXPECT_EQ(learned.code, 0) << learned.err;
  EXPECT_TRUE(contains(learned.out, "finished")) << learned.out;
  EXPECT_TRUE(contains(learned.out, "PLAIN-CONTENT")) << learned.out;
  for (const char* secret : {"SSH-KEY", "PROTECTED-TASKS", "VAULT-GIT-CONFIG", "VAULT-TASKS"})
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
  for (const char* secret : {"SSH-KEY", "PROTECTED-TASKS", "VAULT-GIT-CONFIG", "VAULT-TASKS"})
    EXPECT_FALSE(contains(term.screen(), secret)) << secret;
}

// A file below a directory the user denies (an empty tmpfs in the sandbox): asked, granted
// for the run and read; its sibling refused and unread; "d" grants the files below the
// file's directory for the run (read with no question); the host renames the directory of
// a file while its question waits and puts an impostor at the old path: the file asked
// about is the one read.
TEST(AskRead, AFileBelowADeniedDirectoryIsAskedAndASiblingStaysRefused) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  const std::string vault = home + "/vault";
  ::mkdir(vault.c_str(), 0755);
  ::mkdir((vault + "/sub").c_str(), 0755);
  ::mkdir((vault + "/moving").c_str(), 0755);
  write_file(vault + "/granted.txt", "GRANTED-CONTENT\n");
  write_file(vault + "/sibling.txt", "SIBLING-CONTENT\n");
  write_file(vault + "/sub/one", "SUB-ONE\n");
  write_file(vault + "/sub/two", "SUB-TWO\n");
  write_file(vault + "/moving/file", "ORIGINAL-CONTENT\n");
  const std::string script =
      "cat \"$HOME/vault/granted.txt\"; cat \"$HOME/vault/granted.txt\"; cat \"$HOME/vault/sibling.txt\"; "
      "cat \"$HOME/vault/sibling.txt\"; cat \"$HOME/vault/sub/one\"; cat \"$HOME/vault/sub/two\"; "
      "cat \"$HOME/vault/moving/file\"; echo read-done";
  term.start(cordon_argv({"--ask", "--report", box.ws / "r.json", "--deny-read", vault}, script),
             box.ws.path(), box.env());
  ASSERT_TRUE(
      term.expect(kQuestion + std::string("read ") + vault + "/granted.txt (below a --deny-read directory)"))
      << term.screen();
  term.answer("r");
  ASSERT_TRUE(term.expect(kQuestion + std::string("read ") + vault + "/sibling.txt")) << term.screen();
  term.answer("n");
  ASSERT_TRUE(term.expect(kQuestion + std::string("read ") + vault + "/sub/one")) << term.screen();
  term.answer("d");
  ASSERT_TRUE(term.expect(kQuestion + std::string("read ") + vault + "/moving/file")) << term.screen();
  ASSERT_EQ(::rename((vault + "/moving").c_str(), (vault + "/moved").c_str()), 0);
  ::mkdir((vault + "/moving").c_str(), 0755);
  write_file(vault + "/moving/file", "IMPOSTOR-CONTENT\n");
  term.answer("o");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  const std::string screen = term.screen();
  EXPECT_TRUE(contains(screen, "read-done")) << screen;
  EXPECT_TRUE(contains(screen, "[d] allow reading the files below " + vault + "/sub for this run")) << screen;
  EXPECT_EQ(term.count("GRANTED-CONTENT"), 2u) << screen;
  EXPECT_FALSE(contains(screen, "SIBLING-CONTENT")) << screen;
  EXPECT_TRUE(contains(screen, "SUB-ONE")) << screen;
  EXPECT_TRUE(contains(screen, "SUB-TWO")) << screen;
  EXPECT_TRUE(contains(screen, "ORIGINAL-CONTENT")) << screen;
  EXPECT_FALSE(contains(screen, "IMPOSTOR-CONTENT")) << screen;
  EXPECT_EQ(term.count(kQuestion), 4u) << screen;  // granted, sibling, sub (d), moving
  const auto r = report_of(box.ws / "r.json");
  ASSERT_TRUE(r.contains("grants")) << r.dump();
  ASSERT_EQ(r["grants"].size(), 4u) << r.dump();
  EXPECT_EQ(r["grants"][0]["scope"], "run") << r.dump();
  EXPECT_EQ(r["grants"][1]["answer"], "deny") << r.dump();
  EXPECT_EQ(r["grants"][2]["scope"], "run-directory") << r.dump();
  EXPECT_EQ(r["grants"][2]["rule"], vault + "/sub") << r.dump();
  EXPECT_EQ(r["grants"][3]["scope"], "once") << r.dump();
}

// Below a denied directory, in --learn mode (every askable read granted): links inside it
// (out of it, or to a sibling) are never followed; `..` out of it, a FIFO, a device and
// /proc/self/root are never asked and never opened; a link in the workspace to the
// directory, and one to a file in it, lead to a question on the host's path; a hostile
// name is escaped; a mask that moved with a directory above it is asked about no more.
TEST(AskRead, BelowADeniedDirectoryLinksEscapesFifosAndMovesInLearnMode) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  const std::string vault = home + "/vault";
  ::mkdir(vault.c_str(), 0755);
  ::mkdir((vault + "/sub").c_str(), 0755);
  ::mkdir((home + "/elsewhere").c_str(), 0755);
  write_file(home + "/elsewhere/secret", "ELSEWHERE-CONTENT\n");
  write_file(vault + "/file", "VAULT-FILE\n");
  write_file(vault + "/sub/deep", "VAULT-DEEP\n");
  ::symlink((home + "/elsewhere/secret").c_str(), (vault + "/out-link").c_str());
  ::symlink("file", (vault + "/in-link").c_str());
  ASSERT_EQ(::mkfifo((vault + "/fifo").c_str(), 0644), 0);
  const bool device = ::mknod((vault + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
  const std::string hostile = vault + "/e\033[2Jx";
  write_file(hostile, "HOSTILE-CONTENT\n");
  ::mkdir((box.ws / "a").c_str(), 0755);
  ::mkdir((box.ws / "a/vault").c_str(), 0755);
  write_file(box.ws / "a/vault/inner", "INNER-CONTENT\n");
  ::symlink(vault.c_str(), (box.ws / "vault-link").c_str());
  ::symlink((vault + "/sub/deep").c_str(), (box.ws / "deep-link").c_str());
  const std::string script =
      "cat \"$HOME/vault/out-link\"; cat \"$HOME/vault/in-link\"; "
      "cat \"$HOME/vault/sub/../../elsewhere/secret\"; cat \"$HOME/vault/../elsewhere/secret\"; "
      "timeout 10 cat \"$HOME/vault/fifo\"; echo \"fifo rc $?\"; "
      "timeout 10 cat \"$HOME/vault/null\"; echo \"null rc $?\"; "
      "cat \"/proc/self/root$HOME/vault/file\"; "
      "cat vault-link/file; cat deep-link; "
      "cat \"$HOME/vault/$(printf 'e\\033[2Jx')\"; "
      "cat a/vault/inner && mv a b && cat b/vault/inner; "
      // 600 missing levels below the mask: past the broker's bound on lookups, refused unasked.
      "cat \"$HOME/vault/$(printf 'a/%.0s' $(seq 600))x\"; echo \"deep rc $?\"; echo done";
  Outcome o = cordon_sh(box.ws.path(), script,
                        {"--learn", kept / "l.toml", "--deny-read", vault, "--deny-read", home + "/elsewhere",
                         "--deny-read", box.ws / "a/vault"},
                        "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "done")) << o.out;
  EXPECT_FALSE(contains(o.out, "ELSEWHERE-CONTENT")) << o.out;
  EXPECT_FALSE(contains(o.err, "allowed read " + home + "/elsewhere")) << o.err;
  EXPECT_FALSE(contains(o.err, "allowed read " + vault + "/out-link")) << o.err;
  EXPECT_FALSE(contains(o.err, "allowed read " + vault + "/in-link")) << o.err;
  EXPECT_TRUE(contains(o.out, "deep rc 1")) << o.out;
  EXPECT_TRUE(contains(o.out, "fifo rc 1")) << o.out;  // refused at once: never opened, never waited on
  EXPECT_FALSE(contains(o.err, "allowed read " + vault + "/fifo")) << o.err;
  if (device) {
    EXPECT_TRUE(contains(o.out, "null rc 1")) << o.out;
    EXPECT_FALSE(contains(o.err, "allowed read " + vault + "/null")) << o.err;
  }
  // Through the workspace's links: asked (learned) on the host's path, read.
  EXPECT_TRUE(contains(o.err, "allowed read " + vault + "/file ")) << o.err;
  EXPECT_TRUE(contains(o.err, "allowed read " + vault + "/sub/deep ")) << o.err;
  EXPECT_TRUE(contains(o.out, "VAULT-FILE")) << o.out;
  EXPECT_TRUE(contains(o.out, "VAULT-DEEP")) << o.out;
  EXPECT_TRUE(contains(o.out, "HOSTILE-CONTENT")) << o.out;
  EXPECT_TRUE(contains(o.err, "e\\e[2Jx")) << o.err;
  EXPECT_FALSE(contains(o.err, "\033[2J")) << o.err;
  // The mask moved with a/: read once where it was made, not asked after the move.
  EXPECT_EQ(o.out.find("INNER-CONTENT"), o.out.rfind("INNER-CONTENT")) << o.out;
  EXPECT_TRUE(contains(o.out, "INNER-CONTENT")) << o.out;
  EXPECT_FALSE(contains(o.err, "allowed read " + box.ws / "b/vault")) << o.err;
}

// A thread rewrites the path buffer between a file below the denied directory the user
// allows once and a sibling the user refuses, while each question waits: the refused
// content never appears.
TEST(AskRead, ARacingThreadCannotRedirectAGrantedReadBelowADeniedDirectory) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string home = box.home.path();
  ::mkdir((home + "/vault").c_str(), 0755);
  write_file(home + "/vault/allowed", "ALLOWED-CONTENT\n");
  write_file(home + "/vault/refused", "REFUSED-CONTENT\n");
  const std::string probe = create_probe(box);
  term.start(cordon_argv({"--ask", "--deny-read", home + "/vault"},
                         sh_quote(probe) +
                             " read-race \"$HOME/vault/allowed\" \"$HOME/vault/refused\" 8; echo raced"),
             box.ws.path(), box.env());
  int questions = 0;
  while (questions < 200 && term.expect(kQuestion, 20000)) {
    ++questions;
    const std::string line = term.line_after_last_match();
    term.answer(contains(line, home + "/vault/refused") ? "n" : "o");
  }
  EXPECT_EQ(term.wait(), 0) << term.screen();
  EXPECT_TRUE(contains(term.screen(), "raced")) << term.screen();
  EXPECT_GT(questions, 0);
  EXPECT_FALSE(contains(term.screen(), "REFUSED-CONTENT")) << term.screen();
}

// --learn below a denied directory writes an allow_read entry for the file read; with the
// fragment and the same --deny-read, a run reads that file with no question (the planner
// binds it back into the mask) and its sibling stays unreadable.
TEST(AskRead, LearnThenPolicyBelowADeniedDirectory) {
  OutsideDir kept;
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/vault").c_str(), 0755);
  ::mkdir((home + "/vault/sub").c_str(), 0755);
  write_file(home + "/vault/sub/token", "LEARNED-CONTENT\n");
  write_file(home + "/vault/other", "OTHER-CONTENT\n");
  const std::string fragment = kept / "learned.toml";
  const std::string script = "cat \"$HOME/vault/sub/token\" && echo task-ok";
  Outcome first =
      cordon_sh(box.ws.path(), script, {"--learn", fragment, "--deny-read", home + "/vault"}, "", box.env());
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "LEARNED-CONTENT")) << first.out;
  const std::string text = read_file(fragment);
  EXPECT_TRUE(contains(text, "\"" + home + "/vault/sub/token\"")) << text;
  EXPECT_FALSE(contains(text, "other")) << text;
  Outcome second = cordon_sh(
      box.ws.path(), script + "; cat \"$HOME/vault/other\"; echo other-done",
      {"--report", box.ws / "r.json", "--policy", fragment, "--deny-read", home + "/vault"}, "", box.env());
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "LEARNED-CONTENT")) << second.out;
  EXPECT_TRUE(contains(second.out, "other-done")) << second.out;
  EXPECT_FALSE(contains(second.out, "OTHER-CONTENT")) << second.out;
  const auto r = report_of(box.ws / "r.json");
  EXPECT_FALSE(r.contains("grants")) << r.dump();
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
