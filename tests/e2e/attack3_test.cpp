// Attacks on reads asked below a --deny-read directory (h/askdir): what the command can
// reach through a question, and what a grant covers. Every effect checked from outside;
// every wait bounded.
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  OutsideDir kept;
  Outcome o = cordon_sh(box.ws.path(), "true", {"--learn", kept / "probe.toml"}, "", box.env());
  return o.code == 0 ? std::string() : "cordon run --learn cannot work here: " + o.err;
}

// A directory the user denies holds a hard link to a default secret (~/.ssh/id_ed25519; a
// backup made with links, a key "stashed" in the vault). never_ask_read() decides by path,
// and the path below the vault is no secret's: --learn granted it and the command read the
// key, which is masked on its own path and never asked about there. A file with more than
// one name below a denied directory may be any file of the host: never asked.
TEST(Attack3, AHardLinkBelowADeniedDirectoryToASecretIsNeverAsked) {
  OutsideDir kept;
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/.ssh").c_str(), 0700);
  write_file(home + "/.ssh/id_ed25519", "SSH-KEY-CONTENT\n");
  ::mkdir((home + "/vault").c_str(), 0755);
  write_file(home + "/vault/plain", "PLAIN-CONTENT\n");
  if (::link((home + "/.ssh/id_ed25519").c_str(), (home + "/vault/key").c_str()) != 0)
    GTEST_SKIP() << "link() failed: " << std::strerror(errno);
  const std::string script =
      "cat \"$HOME/.ssh/id_ed25519\"; cat \"$HOME/vault/key\"; cat \"$HOME/vault/plain\"; echo finished";
  Outcome o = cordon_sh(box.ws.path(), script, {"--learn", kept / "l.toml", "--deny-read", home + "/vault"},
                        "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "finished")) << o.out;
  EXPECT_TRUE(contains(o.out, "PLAIN-CONTENT")) << o.out;  // the vault's own file: learned, read
  EXPECT_FALSE(contains(o.out, "SSH-KEY-CONTENT")) << o.out;
  EXPECT_FALSE(contains(o.err, "allowed read " + home + "/vault/key")) << o.err;
}

// The same for a file the user denied by name: a hard link to a secret (`--deny-read
// ~/backup/key`, made with `ln` from ~/.ssh) is never asked about, so --learn does not
// grant it; a plain denied file beside it is learned and read.
TEST(Attack3, AHardLinkDeniedByNameToASecretIsNeverAsked) {
  OutsideDir kept;
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  ::mkdir((home + "/.ssh").c_str(), 0700);
  write_file(home + "/.ssh/id_ed25519", "SSH-KEY-CONTENT\n");
  ::mkdir((home + "/backup").c_str(), 0755);
  write_file(home + "/backup/plain", "PLAIN-CONTENT\n");
  if (::link((home + "/.ssh/id_ed25519").c_str(), (home + "/backup/key").c_str()) != 0)
    GTEST_SKIP() << "link() failed: " << std::strerror(errno);
  const std::string script = "cat \"$HOME/backup/key\"; cat \"$HOME/backup/plain\"; echo finished";
  Outcome o = cordon_sh(box.ws.path(), script,
                        {"--learn", kept / "l.toml", "--deny-read", home + "/backup/key", "--deny-read",
                         home + "/backup/plain"},
                        "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "finished")) << o.out;
  EXPECT_TRUE(contains(o.out, "PLAIN-CONTENT")) << o.out;
  EXPECT_FALSE(contains(o.out, "SSH-KEY-CONTENT")) << o.out;
  EXPECT_FALSE(contains(o.err, "allowed read " + home + "/backup/key")) << o.err;
}

// "d" grants the files below the asked file's directory: not a sibling directory whose
// name starts alike (sub vs sub2), not one reached by "..", not the denied directory above.
TEST(Attack3, TheDirectoryScopeCoversNoSiblingWithTheSamePrefix) {
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  OuterTerminal term;
  if (!term.ok()) GTEST_SKIP() << kNoOuterPty;
  const std::string vault = box.home / "vault";
  for (const char* d : {"", "/sub", "/sub2"}) ::mkdir((vault + d).c_str(), 0755);
  write_file(vault + "/sub/one", "SUB-ONE\n");
  write_file(vault + "/sub/two", "SUB-TWO\n");
  write_file(vault + "/sub2/x", "SUB2-X\n");
  write_file(vault + "/top", "VAULT-TOP\n");
  const std::string script =
      "cat \"$HOME/vault/sub/one\"; cat \"$HOME/vault/sub/../sub/two\"; cat \"$HOME/vault/sub/../sub2/x\"; "
      "cat \"$HOME/vault/sub/../top\"; echo read-done";
  term.start(cordon_argv({"--ask", "--deny-read", vault}, script), box.ws.path(), box.env());
  ASSERT_TRUE(term.expect(kQuestion + std::string("read ") + vault + "/sub/one")) << term.screen();
  term.answer("d");
  ASSERT_TRUE(term.expect(kQuestion + std::string("read ") + vault + "/sub2/x")) << term.screen();
  term.answer("n");
  ASSERT_TRUE(term.expect(kQuestion + std::string("read ") + vault + "/top")) << term.screen();
  term.answer("n");
  EXPECT_EQ(term.wait(), 0) << term.screen();
  const std::string screen = term.screen();
  EXPECT_TRUE(contains(screen, "read-done")) << screen;
  EXPECT_TRUE(contains(screen, "SUB-ONE")) << screen;
  EXPECT_TRUE(contains(screen, "SUB-TWO")) << screen;
  EXPECT_FALSE(contains(screen, "SUB2-X")) << screen;
  EXPECT_FALSE(contains(screen, "VAULT-TOP")) << screen;
  EXPECT_EQ(term.count(kQuestion), 3u) << screen;
}

// What the command learns below a denied directory without a question: a name that exists
// but is never asked (a FIFO, a directory, a file with two names, .git, a nested protected
// name, a home secret below a denied ~/.config) gets the very error of a name that does not
// exist, so the listing the mask hides is not revealed by errors. A secret nested in a
// denied ~/.config is not granted by --learn, nor a relative open from a cwd on a link to
// the vault.
TEST(Attack3, NamesNeverAskedFailAsAbsentOnesAndSecretsNestedBelowStayUnread) {
  OutsideDir kept;
  Sandbox box;
  if (auto why = ask_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  const std::string home = box.home.path();
  const std::string vault = home + "/vault";
  for (const char* d : {"", "/dir", "/.git", "/.vscode"}) ::mkdir((vault + d).c_str(), 0755);
  ASSERT_EQ(::mkfifo((vault + "/fifo").c_str(), 0644), 0);
  write_file(vault + "/.git/config", "VAULT-GIT\n");
  write_file(vault + "/.vscode/tasks.json", "VAULT-TASKS\n");
  write_file(vault + "/one", "VAULT-ONE\n");
  write_file(vault + "/twice", "VAULT-TWICE\n");
  ASSERT_EQ(::link((vault + "/twice").c_str(), (vault + "/twice2").c_str()), 0);
  ::mkdir((home + "/.config").c_str(), 0755);
  ::mkdir((home + "/.config/gh").c_str(), 0700);
  write_file(home + "/.config/gh/hosts.yml", "GH-TOKEN\n");
  write_file(home + "/.config/plain.conf", "CONFIG-PLAIN\n");
  ::symlink(vault.c_str(), (box.ws / "vault-link").c_str());
  std::string script;
  for (const char* n : {"absent", "fifo", "dir", "twice", ".git/config", ".vscode/tasks.json", "absent/x"})
    script += std::string("cat \"$HOME/vault/") + n + "\" 2>&1 | sed 's|.*: ||' | sed 's|^|E " + n + ": |'; ";
  script +=
      "cat \"$HOME/.config/gh/hosts.yml\"; cat \"$HOME/.config/plain.conf\"; "
      "(cd vault-link && cat one); echo finished";
  Outcome o = cordon_sh(box.ws.path(), script,
                        {"--learn", kept / "l.toml", "--deny-read", vault, "--deny-read", home + "/.config"},
                        "", box.env());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "finished")) << o.out;
  for (const char* secret : {"VAULT-GIT", "VAULT-TASKS", "VAULT-TWICE", "GH-TOKEN"})
    EXPECT_FALSE(contains(o.out, secret)) << secret << "\n" << o.out;
  // Not granted either (fail closed): ~/.config is never asked below (it holds protected
  // paths), and the vault's mask has mode 0, so the command cannot make it its cwd.
  EXPECT_FALSE(contains(o.out, "CONFIG-PLAIN")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "VAULT-ONE")) << o.out;
  // Every unasked name's error is the absent name's.
  const size_t at = o.out.find("E absent: ");
  ASSERT_NE(at, std::string::npos) << o.out;
  const std::string absent = o.out.substr(at + 10, o.out.find('\n', at) - at - 10);
  for (const char* n : {"fifo", "dir", "twice", ".git/config", ".vscode/tasks.json", "absent/x"}) {
    const std::string tag = std::string("E ") + n + ": ";
    const size_t p = o.out.find(tag);
    ASSERT_NE(p, std::string::npos) << n << "\n" << o.out;
    EXPECT_EQ(o.out.substr(p + tag.size(), o.out.find('\n', p) - p - tag.size()), absent) << n << "\n"
                                                                                          << o.out;
  }
}

}  // namespace
