// Usability under the default policy: the everyday tools an agent runs must just work
// inside `cordon run`, and their results must land in the workspace (checked from outside).
#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

// git needs an identity; HOME is read-only inside, so it comes from the environment.
const std::vector<std::string> kGitIdentity = {
    "GIT_AUTHOR_NAME=Cordon Test", "GIT_AUTHOR_EMAIL=test@example.invalid", "GIT_COMMITTER_NAME=Cordon Test",
    "GIT_COMMITTER_EMAIL=test@example.invalid"};

// Runs git outside the sandbox, with the same fake home and identity.
Outcome git_outside(const Sandbox& box, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", box.ws.path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, box.ws.path(), "", box.env(kGitIdentity));
}

}  // namespace

TEST(Usability, GitInitAddCommitInAFreshWorkspace) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  auto o =
      box.sh("git init -q && echo hello > a.txt && git add a.txt && git commit -qm first && echo committed",
             {}, "", kGitIdentity);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "committed")) << o.out << o.err;
  auto log = git_outside(box, {"log", "--format=%s"});
  EXPECT_EQ(log.out, "first\n") << log.err;
}

TEST(Usability, GitAddCommitInARepositoryCreatedOutside) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  ASSERT_EQ(git_outside(box, {"init", "-q"}).code, 0);
  write_file(box.ws / "a.txt", "one\n");
  ASSERT_EQ(git_outside(box, {"add", "a.txt"}).code, 0);
  ASSERT_EQ(git_outside(box, {"commit", "-qm", "outside"}).code, 0);
  const std::string config_before = read_file(box.ws / ".git/config");

  // .git/hooks and .git/config are protected, yet objects, refs and the index stay writable.
  auto o = box.sh(
      "echo two >> a.txt && echo new > b.txt && git add -A && git commit -qm inside && git status --short",
      {}, "", kGitIdentity);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(o.out, "") << "working tree should be clean after the commit";

  auto log = git_outside(box, {"log", "--format=%s"});
  EXPECT_EQ(log.out, "inside\noutside\n") << log.err;
  auto show = git_outside(box, {"show", "HEAD:a.txt"});
  EXPECT_EQ(show.out, "one\ntwo\n");
  EXPECT_EQ(read_file(box.ws / ".git/config"), config_before);
}

// A day of git against a local remote, all inside the default policy: clone from a bare
// remote in the workspace, commit and push to it, fetch and pull --rebase into a second
// clone, stash, rebase, a submodule added from the remote and checked out again, a linked
// worktree added and removed. Checked from outside: the remote holds the pushed commits,
// each repository works for git run there afterwards, the submodule keeps its worktree.
TEST(Usability, GitAgainstALocalRemoteInside) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  ASSERT_EQ(run_process({"git", "init", "-q", "--bare", "-b", "main", box.ws / "remote.git"}, box.ws.path(),
                        "", box.env(kGitIdentity))
                .code,
            0);
  const std::string script =
      "set -e; git clone -q remote.git a; cd a; echo one > f; git add f; git commit -qm one; "
      "git push -q origin main; cd ..; git clone -q remote.git b; "
      "cd a; echo two >> f; git commit -qam two; git push -q origin main; cd ../b; echo local > g; git add "
      "g; "
      "git commit -qm local; git fetch -q; git pull -q --rebase; echo dirty >> f; git stash -q; "
      "git stash pop -q; git checkout -q f; git switch -q -c topic; echo t > t; git add t; git commit -qm "
      "topic; "
      "git switch -q main; echo m > m; git add m; git commit -qm m; git switch -q topic; git rebase -q main; "
      "git switch -q main; git merge -q --ff-only topic; git push -q origin main; "
      "git -c protocol.file.allow=always submodule add -q ../remote.git sub; git commit -qm sub; "
      "git submodule deinit -q -f sub; git -c protocol.file.allow=always submodule update -q --init; "
      "git -C sub status --short; git worktree add -q ../wt -b wt; cd ../wt; echo w > w; git add w; "
      "git commit -qm wt; cd ../b; git worktree remove ../wt; git worktree prune; git status --short; "
      "echo day-ok";
  auto o = box.sh(script, {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "day-ok")) << o.out << o.err;
  auto remote = run_process({"git", "--git-dir", box.ws / "remote.git", "log", "--format=%s", "main"},
                            box.ws.path(), "", box.env(kGitIdentity));
  EXPECT_EQ(remote.out, "topic\nm\nlocal\ntwo\none\n") << remote.err;
  for (const char* repo : {"a", "b", "b/sub"}) {
    auto status = run_process({"git", "status", "--short"}, box.ws / repo, "", box.env(kGitIdentity));
    EXPECT_EQ(status.code, 0) << repo << ": " << status.err;
    EXPECT_EQ(status.out, "") << repo;
  }
  auto wt = run_process({"git", "config", "core.worktree"}, box.ws / "b/sub", "", box.env(kGitIdentity));
  EXPECT_EQ(wt.out, "../../../sub\n") << wt.err << o.err;
  EXPECT_FALSE(exists(box.ws / "wt"));
  EXPECT_EQ(
      run_process({"git", "log", "--format=%s", "-1", "wt"}, box.ws / "b", "", box.env(kGitIdentity)).out,
      "wt\n");
}

TEST(Usability, CompilerBuildsAndRunsAProgram) {
  if (!have_tool("cc")) GTEST_SKIP() << "no C compiler (cc) installed";
  Sandbox box;
  write_file(box.ws / "hello.c",
             "#include <stdio.h>\nint main(void) { puts(\"hello from cc\"); return 0; }\n");
  auto o = box.sh("cc -o hello hello.c && ./hello");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hello from cc\n");
  EXPECT_TRUE(exists(box.ws / "hello"));
}

TEST(Usability, MakeBuildsATarget) {
  if (!have_tool("make")) GTEST_SKIP() << "make is not installed";
  Sandbox box;
  write_file(box.ws / "Makefile",
             "all: out/result.txt\n"
             "out/result.txt: input.txt\n"
             "\tmkdir -p out\n"
             "\ttr a-z A-Z < input.txt > $@\n");
  write_file(box.ws / "input.txt", "made by make\n");
  auto o = box.sh("make -s");
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(read_file(box.ws / "out/result.txt"), "MADE BY MAKE\n");
}

TEST(Usability, Python3WritesRenamesAndCreatesDirectories) {
  if (!have_tool("python3")) GTEST_SKIP() << "python3 is not installed";
  Sandbox box;
  const std::string py =
      "import os\n"
      "open('plain.txt', 'w').write('plain')\n"
      "open('atomic.tmp', 'w').write('atomic')\n"
      "os.replace('atomic.tmp', 'atomic.txt')\n"
      "os.makedirs('deep/er', exist_ok=True)\n"
      "open('deep/er/leaf.txt', 'w').write('leaf')\n"
      "print('python done')\n";
  write_file(box.ws / "script.py", py);
  auto o = box.sh("python3 script.py");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "python done\n");
  EXPECT_EQ(read_file(box.ws / "plain.txt"), "plain");
  EXPECT_EQ(read_file(box.ws / "atomic.txt"), "atomic");
  EXPECT_FALSE(exists(box.ws / "atomic.tmp"));
  EXPECT_EQ(read_file(box.ws / "deep/er/leaf.txt"), "leaf");
}

TEST(Usability, TarExtractsATree) {
  if (!have_tool("tar")) GTEST_SKIP() << "tar is not installed";
  Sandbox box;
  OutsideDir src;  // the archive is built outside and only read inside
  write_file(src / "tree/dir/file.txt", "in the tree\n");
  write_file(src / "tree/run.sh", "#!/bin/sh\necho run\n");
  ::chmod((src / "tree/run.sh").c_str(), 0755);
  ASSERT_EQ(::symlink("dir/file.txt", (src / "tree/link").c_str()), 0);
  ASSERT_EQ(run_process({"tar", "-cf", src / "tree.tar", "-C", src.path(), "tree"}, src.path()).code, 0);

  auto o = box.sh("tar -xf " + src.path() + "/tree.tar && ./tree/run.sh");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "run\n");
  EXPECT_EQ(read_file(box.ws / "tree/dir/file.txt"), "in the tree\n");
  EXPECT_EQ(read_file(box.ws / "tree/link"), "in the tree\n");
  std::error_code ec;
  EXPECT_TRUE(fs::is_symlink(box.ws / "tree/link", ec));
}

TEST(Usability, PipesBetweenCommands) {
  Sandbox box;
  auto o = box.sh("seq 1 1000 | sort -rn | head -3");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "1000\n999\n998\n");
}

TEST(Usability, StdinPassesThrough) {
  Sandbox box;
  auto o = box.sh("tr a-z A-Z > upper.txt && wc -l < upper.txt", {}, "first line\nsecond line\n");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "2\n");
  EXPECT_EQ(read_file(box.ws / "upper.txt"), "FIRST LINE\nSECOND LINE\n");
}

TEST(Usability, CommandUnderAPtyCreatedInside) {
  if (!have_tool("python3")) GTEST_SKIP() << "python3 is not installed";
  Sandbox box;
  const std::string py =
      "import os, pty, sys\n"
      "status = pty.spawn(['sh', '-c', 'test -t 0 && test -t 1 && echo child-has-a-tty > tty.txt'])\n"
      "sys.exit(os.waitstatus_to_exitcode(status))\n";
  write_file(box.ws / "spawn.py", py);
  auto o = box.sh("python3 spawn.py");
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(read_file(box.ws / "tty.txt"), "child-has-a-tty\n");
}

TEST(Usability, TerminalOfTheCallerReachesTheCommand) {
  if (!have_tool("script")) GTEST_SKIP() << "script (util-linux) is not installed";
  Sandbox box;
  // script(1) gives cordon a pty as its terminal; the command must see it on stdin and stdout.
  const std::string inner = sh_quote(cordon_binary()) +
                            " run --no-config -- sh -c 'test -t 0 && test -t 1 && echo tty-in > tty.txt'";
  auto o = run_process({"script", "-qec", inner, "/dev/null"}, box.ws.path(), "", box.env());
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(read_file(box.ws / "tty.txt"), "tty-in\n");
}

// Programs such as tty(1), tmux and password prompts look up the terminal's name.
// The caller's terminal passes through as stdin/stdout/stderr. It has no name inside
// (the sandbox has its own devpts instance, as with bwrap --dev; see README
// limitations), so only "is a terminal" is promised.
TEST(Usability, CallersTerminalIsStillATerminalInside) {
  if (!have_tool("script")) GTEST_SKIP() << "script (util-linux) is not installed";
  Sandbox box;
  const std::string inner =
      sh_quote(cordon_binary()) +
      " run --no-config -- sh -c 'test -t 0 && test -t 1 && test -t 2 && echo tty > seen.txt'";
  auto o = run_process({"script", "-qec", inner, "/dev/null"}, box.ws.path(), "", box.env());
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(read_file(box.ws / "seen.txt"), "tty\n");
}

TEST(Usability, TmpPersistsAcrossRunsOfOneWorkspaceOnly) {
  Sandbox box;
  TempDir other_ws;
  const std::string name = unique_token("cordon-persist-");
  auto first = box.sh("echo kept > /tmp/" + name + " && test \"$TMPDIR\" = /tmp -o -z \"$TMPDIR\"");
  EXPECT_EQ(first.code, 0) << first.err;

  auto second = box.sh("cat /tmp/" + name);
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(second.out, "kept\n");

  auto elsewhere = cordon_sh(other_ws.path(), "test -e /tmp/" + name + " && echo visible || echo absent", {},
                             "", box.env());
  EXPECT_EQ(elsewhere.out, "absent\n") << elsewhere.err;
  EXPECT_FALSE(exists("/tmp/" + name)) << "the private /tmp must not be the host's /tmp";
}

// An agent asked only to read a checkout under /tmp: the host's /tmp is replaced by a
// private one inside, yet the workspace itself must still be there.
TEST(Usability, ReadOnlyModeWorksInAWorkspaceUnderTmp) {
  std::string tmpl = "/tmp/cordon-ro-ws-XXXXXX";
  ASSERT_TRUE(::mkdtemp(tmpl.data()));
  const std::string ws = tmpl;
  ::chmod(ws.c_str(), 0755);
  write_file(ws + "/notes.txt", "readable\n");
  OutsideDir home;
  auto o = cordon_sh(ws, "cat notes.txt; echo bad > notes.txt; echo bad > new.txt; true",
                     {"--mode", "read-only"}, "", fake_home_env(home.path()));
  const std::string notes = read_file(ws + "/notes.txt");
  const bool created = exists(ws + "/new.txt");
  std::error_code ec;
  fs::remove_all(ws, ec);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "readable\n") << o.err;
  EXPECT_EQ(notes, "readable\n");
  EXPECT_FALSE(created);
}

TEST(Usability, NodeRunsAScript) {
  if (!have_tool("node")) GTEST_SKIP() << "node is not installed on this machine";
  Sandbox box;
  auto o = box.sh("node -e \"require('fs').writeFileSync('node.txt', 'from node'); console.log(1 + 1)\"");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "2\n");
  EXPECT_EQ(read_file(box.ws / "node.txt"), "from node");
}
