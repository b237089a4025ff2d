// Every git directory in a writable root keeps what git runs as code or obeys as
// configuration out of the command's reach: the workspace's own, and nested repositories
// at any depth (vendor/lib/.git, a checkout with a .git file). Each case plants a hook or
// a code-running config entry inside, then runs git outside afterwards, as the user, and
// checks that no planted code ran (a marker file it would create does not exist). The
// allowed half: everyday git inside the same repositories still works.
#include <sys/stat.h>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

const std::vector<std::string> kGitIdentity = {
    "GIT_AUTHOR_NAME=Cordon Test", "GIT_AUTHOR_EMAIL=test@example.invalid", "GIT_COMMITTER_NAME=Cordon Test",
    "GIT_COMMITTER_EMAIL=test@example.invalid", "GIT_CONFIG_NOSYSTEM=1"};

Outcome git_at(const Sandbox& box, const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, dir, "", box.env(kGitIdentity), 60);
}

// A repository at `dir` (made outside, before the run) with one commit.
void make_repo(const Sandbox& box, const std::string& dir) {
  fs::create_directories(dir);
  ASSERT_EQ(git_at(box, dir, {"init", "-q", "-b", "main"}).code, 0);
  write_file(dir + "/file.txt", "one\n");
  ASSERT_EQ(git_at(box, dir, {"add", "file.txt"}).code, 0);
  ASSERT_EQ(git_at(box, dir, {"commit", "-qm", "first"}).code, 0);
}

// git status, add and a commit in `dir`, run outside as the user: they must work and run
// no planted code (hooks: pre-commit, commit-msg, post-commit; config: fsmonitor).
void expect_git_inert_at(const Sandbox& box, const std::string& dir, const std::string& marker) {
  auto status = git_at(box, dir, {"status", "--short"});
  EXPECT_EQ(status.code, 0) << status.err;
  auto commit = git_at(box, dir, {"commit", "-q", "--allow-empty", "-m", "outside"});
  EXPECT_EQ(commit.code, 0) << commit.err;
  EXPECT_FALSE(exists(marker)) << "planted code ran outside the sandbox, in " << dir;
}

// Shell text that tries every way the command has to make git in `gitdir` run `marker`:
// a hook written, a hook renamed in, a config entry appended, a config replaced.
std::string plant(const std::string& gitdir, const std::string& marker) {
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  const std::string g = sh_quote(gitdir);
  return "printf '" + hook + "' > " + g + "/hooks/pre-commit; chmod +x " + g + "/hooks/pre-commit; " +
         "printf '" + hook + "' > hook.tmp; chmod +x hook.tmp; mv hook.tmp " + g + "/hooks/post-commit; " +
         "printf '[core]\\n\\tfsmonitor = touch " + marker + "\\n' >> " + g + "/config; " +
         "printf '[core]\\n\\tfsmonitor = touch " + marker + "\\n' > cfg.tmp; mv cfg.tmp " + g + "/config; " +
         "mv " + g + "/hooks " + g + "/hooks.old; mkdir " + g + "/hooks; " + "printf '" + hook + "' > " + g +
         "/hooks/pre-commit; chmod +x " + g + "/hooks/pre-commit; " + "mv " + g + " " + g + ".moved; true";
}

class GitDirs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
    marker = outside / "marker";
  }
  Sandbox box;
  OutsideDir outside;
  std::string marker;
};

}  // namespace

// A repository nested below the workspace (a vendored library, a second project): its
// hooks and config were writable, and git run there later, outside, ran them.
TEST_F(GitDirs, NestedRepositoryHooksAndConfigCannotBePlanted) {
  const std::string nested = box.ws / "vendor/lib";
  make_repo(box, nested);
  const std::string deep = box.ws / "a/b/c/d/deep";
  make_repo(box, deep);
  auto o = box.sh(plant("vendor/lib/.git", marker) + "; " + plant("a/b/c/d/deep/.git", marker) +
                      "; mv vendor vendor2; mv a a2; "
                      "cd vendor/lib && echo two >> file.txt && git add file.txt && git commit -qm inside && "
                      "echo nested-commit-ok",
                  {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "nested-commit-ok")) << o.out << o.err;
  EXPECT_FALSE(exists(marker)) << "a planted hook ran inside";
  EXPECT_FALSE(exists(nested + "/.git/hooks/pre-commit"));
  EXPECT_FALSE(exists(nested + "/.git/hooks/post-commit"));
  EXPECT_FALSE(contains(read_file(nested + "/.git/config"), "fsmonitor"));
  EXPECT_FALSE(contains(read_file(deep + "/.git/config"), "fsmonitor"));
  auto log = git_at(box, nested, {"log", "--format=%s"});
  EXPECT_EQ(log.out, "inside\nfirst\n") << log.err;
  expect_git_inert_at(box, nested, marker);
  expect_git_inert_at(box, deep, marker);
}

// A nested checkout whose .git is a file (a submodule or linked worktree made outside):
// the pointer itself and the gitdir it names stay out of reach.
TEST_F(GitDirs, NestedGitFileAndTheGitdirItNamesAreProtected) {
  make_repo(box, box.ws / "main");
  ASSERT_EQ(git_at(box, box.ws / "main", {"worktree", "add", "-q", box.ws / "sub/wt", "-b", "wt"}).code, 0);
  const std::string wt_gitdir = box.ws / "main/.git/worktrees/wt";
  const std::string pointer_before = read_file(box.ws / "sub/wt/.git");
  auto o = box.sh(plant("main/.git", marker) + "; printf 'gitdir: " + outside.path() +
                      "\\n' > sub/wt/.git; printf '../../../x\\n' > main/.git/worktrees/wt/commondir; "
                      "printf '[core]\\n\\tfsmonitor = touch " +
                      marker + "\\n' > main/.git/worktrees/wt/config.worktree; true",
                  {}, "", kGitIdentity);
  EXPECT_EQ(read_file(box.ws / "sub/wt/.git"), pointer_before) << o.err;
  EXPECT_FALSE(exists(wt_gitdir + "/config.worktree")) << o.err;
  expect_git_inert_at(box, box.ws / "sub/wt", marker);
  expect_git_inert_at(box, box.ws / "main", marker);
}

// A nested repository's own core.hooksPath (relative: from its checkout's top) names
// where git run there later takes its hooks: absent (githooks) it cannot be made, present
// (hooks) it cannot be written, renamed away or replaced, nor its parents renamed. The
// allowed half: a normal file of the same checkout is writable.
TEST_F(GitDirs, ANestedRepositorysHooksPathCannotBePlanted) {
  const std::string absent = box.ws / "sub/inner";
  make_repo(box, absent);
  ASSERT_EQ(git_at(box, absent, {"config", "core.hooksPath", "githooks"}).code, 0);
  const std::string present = box.ws / "sub/other";
  make_repo(box, present);
  ASSERT_EQ(git_at(box, present, {"config", "core.hooksPath", "tools/hooks"}).code, 0);
  write_file(present + "/tools/hooks/pre-commit", "#!/bin/sh\nexit 0\n");
  ::chmod((present + "/tools/hooks/pre-commit").c_str(), 0755);
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o = box.sh(
      "echo edited > sub/inner/file.txt && echo sibling-ok; "
      "mkdir -p sub/inner/githooks; printf '" +
          hook +
          "' > sub/inner/githooks/pre-commit; chmod +x sub/inner/githooks/pre-commit; "
          "ln -s ../other/tools/hooks sub/inner/githooks; "
          "printf '" +
          hook + "' > sub/other/tools/hooks/pre-commit; printf '" + hook +
          "' > sub/other/tools/hooks/post-commit; "
          "mv sub/other/tools/hooks sub/other/tools/old; mv sub/other/tools sub/other/t2; "
          "mv sub/other sub/o2; mv sub sub2; mkdir -p sub/other/tools/hooks; "
          "printf '" +
          hook + "' > sub/other/tools/hooks/pre-commit; chmod +x sub/other/tools/hooks/*; true",
      {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "sibling-ok")) << o.out << o.err;
  EXPECT_EQ(read_file(absent + "/file.txt"), "edited\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(absent + "/githooks"))) << o.err;
  EXPECT_EQ(read_file(present + "/tools/hooks/pre-commit"), "#!/bin/sh\nexit 0\n") << o.err;
  EXPECT_FALSE(exists(present + "/tools/hooks/post-commit")) << o.err;
  expect_git_inert_at(box, absent, marker);
  expect_git_inert_at(box, present, marker);
}

// A submodule's gitdir lives in the top repository's .git/modules; its relative
// core.hooksPath starts at the submodule's checkout (sub/mod/mod-hooks), not at the top.
TEST_F(GitDirs, ASubmodulesRelativeHooksPathStartsAtItsCheckout) {
  make_repo(box, outside / "lib");
  make_repo(box, box.ws.path());
  auto add =
      git_at(box, box.ws.path(),
             {"-c", "protocol.file.allow=always", "submodule", "add", "-q", outside / "lib", "sub/mod"});
  ASSERT_EQ(add.code, 0) << add.err;
  ASSERT_EQ(git_at(box, box.ws / "sub/mod", {"config", "core.hooksPath", "mod-hooks"}).code, 0);
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o = box.sh("echo edited > sub/mod/file.txt && echo sibling-ok; mkdir -p sub/mod/mod-hooks; printf '" +
                      hook + "' > sub/mod/mod-hooks/pre-commit; chmod +x sub/mod/mod-hooks/pre-commit; true",
                  {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "sibling-ok")) << o.out << o.err;
  EXPECT_FALSE(exists(box.ws / "sub/mod/mod-hooks")) << o.err;
  expect_git_inert_at(box, box.ws / "sub/mod", marker);
}

// A linked worktree reads the common config: its relative core.hooksPath starts at the
// worktree's own top (wt/team-hooks), as well as at the main checkout's.
TEST_F(GitDirs, ALinkedWorktreesRelativeHooksPathStartsAtItsTop) {
  make_repo(box, box.ws.path());
  ASSERT_EQ(git_at(box, box.ws.path(), {"worktree", "add", "-q", box.ws / "wt", "-b", "wt"}).code, 0);
  ASSERT_EQ(git_at(box, box.ws.path(), {"config", "core.hooksPath", "team-hooks"}).code, 0);
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o = box.sh("echo edited > wt/file.txt && echo sibling-ok; mkdir -p wt/team-hooks; printf '" + hook +
                      "' > wt/team-hooks/pre-commit; chmod +x wt/team-hooks/pre-commit; true",
                  {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "sibling-ok")) << o.out << o.err;
  EXPECT_FALSE(exists(box.ws / "wt/team-hooks")) << o.err;
  expect_git_inert_at(box, box.ws / "wt", marker);
}

// The workspace is a linked worktree of a repository outside it (git worktree add
// ../feature): the common config's relative hooksPath names the workspace's .githooks.
TEST_F(GitDirs, AWorkspaceThatIsALinkedWorktreeOfARepositoryElsewhereKeepsItsHooksPath) {
  make_repo(box, outside / "main");
  auto add = git_at(box, outside / "main", {"worktree", "add", "-q", box.ws.path(), "-b", "feature"});
  ASSERT_EQ(add.code, 0) << add.err;
  ASSERT_EQ(git_at(box, outside / "main", {"config", "core.hooksPath", ".githooks"}).code, 0);
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o = box.sh("echo edited > file.txt && echo sibling-ok; mkdir -p .githooks; printf '" + hook +
                      "' > .githooks/pre-commit; chmod +x .githooks/pre-commit; true",
                  {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "sibling-ok")) << o.out << o.err;
  EXPECT_FALSE(exists(box.ws / ".githooks")) << o.err;
  expect_git_inert_at(box, box.ws.path(), marker);
}

// hooksPath = tools/../githooks with tools absent: the kernel resolves `..` from where
// tools leads, so a link made at tools (to sub/a/b) would have git take its hooks from
// sub/a/githooks, which the lexically normalised sub/inner/githooks does not cover. tools
// cannot be made.
TEST_F(GitDirs, ADotDotInAHooksPathCannotBeRedirectedByALink) {
  const std::string repo = box.ws / "sub/inner";
  make_repo(box, repo);
  ASSERT_EQ(git_at(box, repo, {"config", "core.hooksPath", "tools/../githooks"}).code, 0);
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o =
      box.sh("mkdir -p sub/a/b sub/a/githooks && echo allowed-ok; ln -s ../a/b sub/inner/tools; printf '" +
                 hook + "' > sub/a/githooks/pre-commit; chmod +x sub/a/githooks/pre-commit; true",
             {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "allowed-ok")) << o.out << o.err;
  EXPECT_FALSE(fs::exists(fs::symlink_status(repo + "/tools"))) << o.err;
  expect_git_inert_at(box, repo, marker);
}

// A repository made during the run cannot be given a core.hooksPath: its config is
// written only through the creation broker's checked rename, which refuses the key.
TEST_F(GitDirs, ARepositoryMadeDuringTheRunCannotSetAHooksPath) {
  make_repo(box, box.ws.path());
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o = box.sh(
      "git init -q sub/new && echo init-ok; git -C sub/new config core.hooksPath githooks; "
      "mkdir -p sub/new/githooks; printf '" +
          hook + "' > sub/new/githooks/pre-commit; chmod +x sub/new/githooks/pre-commit; true",
      {"--report-denials", "full"}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "init-ok")) << o.out << o.err;
  auto value = git_at(box, box.ws / "sub/new", {"config", "core.hooksPath"});
  EXPECT_NE(value.code, 0) << value.out;  // unset
  expect_git_inert_at(box, box.ws / "sub/new", marker);
}

// In a git directory that existed at the start, only git's everyday data can be made or
// written (an allowlist); each refusal names the path and why.
TEST_F(GitDirs, NamesOutsideTheAllowlistAreRefusedInAnExistingGitDirectory) {
  make_repo(box, box.ws.path());
  make_repo(box, box.ws / "vendor/lib");
  write_file(outside / "hook", "#!/bin/sh\ntouch " + marker + "\n");
  ::chmod((outside / "hook").c_str(), 0755);
  auto o = box.sh(
      "for g in .git vendor/lib/.git; do "
      "  echo ../elsewhere > $g/commondir; echo '* filter=x' > $g/info/attributes; "
      "  echo /elsewhere > $g/objects/info/alternates; mkdir $g/remotes; echo x > $g/unknown; "
      "  printf '[core]\\n\\tfsmonitor = touch " +
          marker +
          "\\n' > $g/config.worktree; "
          "  ln -s " +
          outside / "hook" +
          " $g/refs/heads/link; ln $g/HEAD $g/HEAD2; "
          "  cp " +
          outside / "hook" +
          " $g/refs/hook && mv $g/refs/hook $g/hooks/pre-commit; "
          "  mkdir -p evil/hooks && cp " +
          outside / "hook" +
          " evil/hooks/pre-commit && mv evil $g/evil; "
          "  mv evil $g/refs/evil; "
          "done; true",
      {"--report-denials", "full"});  // a successful run prints one summary line otherwise
  for (const std::string& g : {box.ws / ".git", box.ws / "vendor/lib/.git"}) {
    for (const char* name : {"commondir", "info/attributes", "objects/info/alternates", "remotes", "unknown",
                             "config.worktree", "refs/heads/link", "HEAD2", "hooks/pre-commit", "evil"})
      EXPECT_FALSE(exists(g + "/" + name)) << g << "/" << name << " was made\n" << o.err;
  }
  EXPECT_TRUE(contains(o.err, "git directory: points git at another git directory")) << o.err;
  EXPECT_TRUE(contains(o.err, "info/attributes")) << o.err;
  EXPECT_TRUE(contains(o.err, "a link inside a git directory")) << o.err;
  EXPECT_TRUE(contains(o.err, "a directory moved into a git directory")) << o.err;
  expect_git_inert_at(box, box.ws.path(), marker);
  expect_git_inert_at(box, box.ws / "vendor/lib", marker);
}

// The allowed half: everyday git inside a repository made outside, and in repositories
// made inside (init, clone into a subdirectory), all still work.
TEST_F(GitDirs, EverydayGitWorksInside) {
  make_repo(box, box.ws.path());
  ASSERT_EQ(git_at(box, outside.path(), {"init", "-q", "--bare", "-b", "main", outside / "origin.git"}).code,
            0);
  ASSERT_EQ(git_at(box, box.ws.path(), {"push", "-q", outside / "origin.git", "main"}).code, 0);
  auto o = box.sh(
      "set -e; git status --short; echo two >> file.txt; git add file.txt; git commit -qm second; "
      "git branch topic; git switch -q topic; echo t > t.txt; git add t.txt; git commit -qm topic; "
      "git switch -q main; echo dirty >> file.txt; git stash -q; git stash pop -q; git checkout -q file.txt; "
      "git cherry-pick topic >/dev/null; git switch -q topic; git rebase -q main; git switch -q main; "
      "git switch -q -c side; echo side > file.txt; git commit -qam side; git switch -q main; "
      "echo main > file.txt; git commit -qam main; if git merge -q side 2>/dev/null; then exit 9; fi; "
      "echo resolved > file.txt; git add file.txt; git commit -qm merged; "
      "git tag -a v1 -m v1; git worktree add -q wt -b wt; git -C wt status --short >/dev/null; "
      "git clone -q " +
          outside / "origin.git" +
          " sub/clone; git -C sub/clone log --oneline >/dev/null; "
          "git init -q sub/fresh; cd sub/fresh; echo a > a; git add a; git commit -qm a; cd ../..; "
          "git gc -q; git status --short >/dev/null; echo everyday-ok",
      {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "everyday-ok")) << o.out << o.err;
  EXPECT_FALSE(contains(o.err, "git directory:")) << o.err;
  auto log = git_at(box, box.ws.path(), {"log", "--format=%s", "-1"});
  EXPECT_EQ(log.out, "merged\n") << log.err;
  EXPECT_EQ(git_at(box, box.ws / "sub/clone", {"log", "--oneline"}).code, 0);
  EXPECT_EQ(git_at(box, box.ws / "sub/fresh", {"log", "--format=%s"}).out, "a\n");
  expect_git_inert_at(box, box.ws.path(), marker);
}

// A repository made during the run anywhere below the workspace: no hook but the
// templates' samples, no config but git's own checked writes; an archive that holds a
// planted .git fails loudly and leaves nothing git would run.
TEST_F(GitDirs, ARepositoryMadeInsideCannotHoldHooksOrCodeRunningConfig) {
  make_repo(box, outside / "src");
  fs::create_directories(outside / "src/.git/hooks");
  write_file(outside / "src/.git/hooks/pre-commit", "#!/bin/sh\ntouch " + marker + "\n");
  ::chmod((outside / "src/.git/hooks/pre-commit").c_str(), 0755);
  write_file(outside / "src/.git/config", "[core]\n\tfsmonitor = touch " + marker + "\n");
  ASSERT_EQ(run_process({"tar", "-cf", outside / "planted.tar", "-C", outside.path(), "src"}, outside.path(),
                        "", box.env())
                .code,
            0);
  auto o = box.sh("git init -q sub/a && printf '#!/bin/sh\\ntouch " + marker +
                      "\\n' > sub/a/.git/hooks/pre-commit; chmod +x sub/a/.git/hooks/pre-commit; "
                      "cp sub/a/.git/hooks/pre-commit.sample x && mv x sub/a/.git/hooks/post-commit; "
                      "git -C sub/a config core.fsmonitor 'touch " +
                      marker +
                      "'; echo fsmonitor=$?; git -C sub/a config user.name inside; echo name=$?; "
                      "mkdir -p sub/b/.git/hooks; printf x > sub/b/.git/config; "
                      "tar -xf " +
                      outside / "planted.tar" + " -C sub; echo tar=$?",
                  {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "fsmonitor=")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "fsmonitor=0")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "name=0")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "tar=0")) << o.out << o.err;
  EXPECT_FALSE(exists(box.ws / "sub/a/.git/hooks/pre-commit"));
  EXPECT_FALSE(exists(box.ws / "sub/a/.git/hooks/post-commit"));
  EXPECT_FALSE(exists(box.ws / "sub/b/.git/config"));
  EXPECT_FALSE(exists(box.ws / "sub/src/.git/hooks/pre-commit"));
  EXPECT_FALSE(exists(box.ws / "sub/src/.git/config"));
  EXPECT_TRUE(contains(read_file(box.ws / "sub/a/.git/config"), "name = inside"));
  EXPECT_TRUE(contains(o.err, "git directory:")) << o.err;
  expect_git_inert_at(box, box.ws / "sub/a", marker);
  git_at(box, box.ws / "sub/src", {"status"});
  EXPECT_FALSE(exists(marker));
}

// .git files made during the run (git worktree add and submodules write them directly):
// one that leads to a git directory cordon protected or checked stays; one that leads
// elsewhere (a directory the command filled with hooks), or to a worktree whose
// commondir was changed, is renamed away after the run and reported.
TEST_F(GitDirs, PointerFilesMadeInsideAreCheckedAfterTheRun) {
  make_repo(box, box.ws.path());
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o = box.sh(
      "git worktree add -q wt -b wt && git worktree add -q wt3 -b wt3 && "
      "mkdir -p evil/hooks evil/objects evil/refs && echo 'ref: refs/heads/main' > evil/HEAD && "
      "printf '" +
          hook +
          "' > evil/hooks/pre-commit && chmod +x evil/hooks/pre-commit && "
          "mkdir sub && printf 'gitdir: ../evil\\n' > sub/.git && "
          "echo ../../../evil > .git/worktrees/wt3/commondir; echo done",
      {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "done")) << o.err;
  EXPECT_TRUE(exists(box.ws / "wt/.git")) << o.err;
  EXPECT_FALSE(exists(box.ws / "sub/.git")) << o.err;
  EXPECT_FALSE(exists(box.ws / "wt3/.git")) << o.err;
  EXPECT_TRUE(contains(o.err, "a .git file made inside the sandbox")) << o.err;
  EXPECT_EQ(git_at(box, box.ws / "wt", {"status", "--short"}).code, 0);
  git_at(box, box.ws / "sub", {"commit", "-q", "--allow-empty", "-m", "x"});
  git_at(box, box.ws / "wt3", {"commit", "-q", "--allow-empty", "-m", "x"});
  EXPECT_FALSE(exists(marker)) << "planted code ran outside the sandbox";
  expect_git_inert_at(box, box.ws / "wt", marker);
}

// A rebase stopped with exec lines left in its todo: `git rebase --continue` outside would
// run them. Reported at the end of the run (not removed: the rebase may be the user's).
TEST_F(GitDirs, PendingRebaseCommandsAreReported) {
  make_repo(box, box.ws.path());
  auto o = box.sh(
      "git commit -q --allow-empty -m two && "
      "GIT_SEQUENCE_EDITOR='printf \"break\\nexec touch " +
          marker +
          "\\n\" >' git rebase -q -i HEAD~1 >/dev/null 2>&1; "
          "test -f .git/rebase-merge/git-rebase-todo && echo stopped",
      {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "stopped")) << o.out << o.err;
  EXPECT_TRUE(contains(o.err, "git-rebase-todo names 1 command(s)")) << o.err;
  EXPECT_FALSE(exists(marker));
}

// What an attacker would try next: RENAME_EXCHANGE (the target's object lands at the
// source's name), a directory exchanged with refs/, a .git pointer made by mknod and
// written afterwards, a hard link into hooks/.
TEST_F(GitDirs, ExchangesLinksAndMknodDoNotGetPastTheChecks) {
  if (!have_tool("python3")) GTEST_SKIP() << "python3 is not installed";
  make_repo(box, box.ws.path());
  const std::string description = read_file(box.ws / ".git/description");
  const std::string py =
      "import ctypes, os, platform, sys\n"
      "nr = {'x86_64': 316, 'aarch64': 276}.get(platform.machine())\n"
      "if nr is None: print('no-renameat2-number'); sys.exit(0)\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "def xchg(a, b):\n"
      "    r = libc.syscall(nr, -100, a.encode(), -100, b.encode(), 2)\n"
      "    print('exchange', a, b, r, ctypes.get_errno())\n"
      "xchg('.git/refs/evilfile', '.git/description')\n"
      "xchg('evil', '.git/refs')\n"
      "os.mknod('sub/.git', 0o644)\n";
  write_file(box.ws / "x.py", py);
  auto o =
      box.sh("mkdir -p evil/hooks sub && printf '#!/bin/sh\\ntouch " + marker +
                 "\\n' > evil/hooks/pre-commit && chmod +x evil/hooks/pre-commit && "
                 "cp evil/hooks/pre-commit .git/refs/evilfile && python3 x.py; "
                 "printf 'gitdir: ../evil\\n' > sub/.git; ln evil/hooks/pre-commit .git/hooks/pre-commit; "
                 "ln evil/hooks/pre-commit .git/hooks2; echo done",
             {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "done")) << o.out << o.err;
  if (!contains(o.out, "no-renameat2-number")) {
    EXPECT_TRUE(contains(o.out, "exchange .git/refs/evilfile .git/description -1 13")) << o.out;
    EXPECT_TRUE(contains(o.out, "exchange evil .git/refs -1 13")) << o.out;
  }
  EXPECT_EQ(read_file(box.ws / ".git/description"), description);
  EXPECT_TRUE(exists(box.ws / ".git/refs/heads/main"));
  EXPECT_FALSE(exists(box.ws / ".git/hooks/pre-commit"));
  EXPECT_FALSE(exists(box.ws / ".git/hooks2"));
  EXPECT_FALSE(exists(box.ws / "sub/.git")) << o.err;
  git_at(box, box.ws / "sub", {"commit", "-q", "--allow-empty", "-m", "x"});
  expect_git_inert_at(box, box.ws.path(), marker);
}

// git submodule add and git submodule update --init register and check out the submodule
// inside (its gitdir under .git/modules is made during the run: no hook can be planted
// there), and a worktree setting leading out of the workspace is refused.
TEST_F(GitDirs, SubmoduleAddAndUpdateInitWorkInside) {
  make_repo(box, outside / "lib");
  make_repo(box, box.ws.path());
  const std::string allow = "git -c protocol.file.allow=always ";
  auto o = box.sh(allow + "submodule add -q " + outside / "lib" +
                      " lib && git commit -qm sm && echo added; " + "printf '#!/bin/sh\\ntouch " + marker +
                      "\\n' > .git/modules/lib/hooks/post-checkout; "
                      "git init -q other && git -C other config core.worktree " +
                      outside.path() + "; echo worktree=$?",
                  {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "added")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "worktree=0")) << o.out << o.err;
  EXPECT_FALSE(exists(box.ws / ".git/modules/lib/hooks/post-checkout"));
  EXPECT_EQ(git_at(box, box.ws.path(), {"config", "--get", "submodule.lib.url"}).out, outside / "lib" + "\n");
  EXPECT_EQ(read_file(box.ws / "lib/.git"), "gitdir: ../.git/modules/lib\n");

  // A fresh clone of the superproject, then update --init inside.
  ASSERT_EQ(git_at(box, outside.path(), {"clone", "-q", box.ws.path(), outside / "clone"}).code, 0);
  auto u = cordon_sh(outside / "clone", allow + "submodule update --init -q && git submodule status",
                     {"--writable", outside / "clone"}, "", box.env(kGitIdentity));
  EXPECT_EQ(u.code, 0) << u.out << u.err;
  EXPECT_TRUE(exists(outside / "clone/lib/file.txt")) << u.err;
  expect_git_inert_at(box, box.ws / "lib", marker);
  expect_git_inert_at(box, outside / "clone/lib", marker);
}

// A git pointer cordon cannot read exactly as git does (here a trailing space, which git
// keeps as part of the path) could leave the git directory git uses unprotected: the run
// is refused, naming the file, unless --best-effort.
TEST_F(GitDirs, AnUnparseablePointerRefusesTheRun) {
  make_repo(box, box.ws / "real");
  write_file(box.ws / "sub/.git", "gitdir: ../real/.git \n");
  auto o = box.sh("touch ran");
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(contains(o.err, box.ws / "sub/.git")) << o.err;
  EXPECT_FALSE(exists(box.ws / "ran"));
  auto b = box.sh("touch ran", {"--best-effort"});
  EXPECT_EQ(b.code, 0) << b.err;
  EXPECT_TRUE(exists(box.ws / "ran"));
}

// Linked worktrees made in an earlier run (here: outside, before it): `git worktree
// remove` and `git worktree prune` inside delete the worktree's .git file and its gitdir
// under .git/worktrees (a read-only bind on the pointer and a pinned gitdir made both
// fail with EBUSY). Checked from outside: both worktrees are gone and git knows it.
TEST_F(GitDirs, WorktreeMadeInAnEarlierRunCanBeRemovedAndPruned) {
  make_repo(box, box.ws.path());
  ASSERT_EQ(git_at(box, box.ws.path(), {"worktree", "add", "-q", "wt", "-b", "wt"}).code, 0);
  ASSERT_EQ(git_at(box, box.ws.path(), {"worktree", "add", "-q", "wt2", "-b", "wt2"}).code, 0);
  auto o = box.sh(
      "git worktree remove wt && echo removed; rm -rf wt2 && git worktree prune && echo pruned; "
      "git worktree list",
      {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "removed")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "pruned")) << o.out << o.err;
  EXPECT_FALSE(exists(box.ws / "wt")) << o.err;
  EXPECT_FALSE(exists(box.ws / "wt2")) << o.err;
  EXPECT_FALSE(exists(box.ws / ".git/worktrees/wt")) << o.err;
  EXPECT_FALSE(exists(box.ws / ".git/worktrees/wt2")) << o.err;
  auto list = git_at(box, box.ws.path(), {"worktree", "list", "--porcelain"});
  EXPECT_FALSE(contains(list.out, "/wt")) << list.out;
  expect_git_inert_at(box, box.ws.path(), marker);
}

// The attacker's half of the above: a removable pointer and gitdir are not a writable
// one. Rewritten (directly, through a hard link, by truncate), or deleted and made again
// leading to a directory full of hooks (also after its directory was renamed), the
// worktree's .git file either keeps its bytes or is moved away after the run; the
// worktree's gitdir cannot be renamed, and its commondir neither rewritten nor made again.
TEST_F(GitDirs, ARemovableWorktreePointerCannotBeRedirected) {
  make_repo(box, box.ws.path());
  for (const char* wt : {"wa", "wb", "wc"})
    ASSERT_EQ(git_at(box, box.ws.path(), {"worktree", "add", "-q", wt, "-b", wt}).code, 0);
  const std::string pointer_a = read_file(box.ws / "wa/.git");
  const std::string common_a = read_file(box.ws / ".git/worktrees/wa/commondir");
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  const std::string evil_cfg = "[core]\\n\\tfsmonitor = touch " + marker + "\\n";
  auto o = box.sh(
      "mkdir -p evil/hooks evil/objects evil/refs && echo 'ref: refs/heads/main' > evil/HEAD; "
      "printf '" +
          hook +
          "' > evil/hooks/pre-commit; chmod +x evil/hooks/pre-commit; "
          "printf '" +
          evil_cfg +
          "' > evil/config; "
          "mkdir -p .git/refs/x/objects .git/refs/x/refs && echo 'ref: refs/heads/main' > .git/refs/x/HEAD; "
          "printf '" +
          evil_cfg +
          "' > .git/refs/x/config; "
          // wa: rewritten in place, through a second name, truncated
          "printf 'gitdir: ../evil\\n' > wa/.git; echo w1=$?; ln wa/.git wa/second; "
          "printf 'gitdir: ../evil\\n' > wa/second; echo w2=$?; truncate -s 0 wa/.git; echo w3=$?; "
          "mv wa/.git wa/moved; printf 'gitdir: ../evil\\n' >> wa/moved; echo w4=$?; mv wa/moved wa/.git; "
          // the gitdir: renamed away, commondir rewritten or removed and made again
          "mv .git/worktrees/wa .git/worktrees/wz; echo m1=$?; mv .git/worktrees/wa elsewhere; echo m2=$?; "
          "echo ../../../evil > .git/worktrees/wa/commondir; echo c1=$?; "
          "rm .git/worktrees/wb/commondir; echo ../../../evil > .git/worktrees/wb/commondir; echo c2=$?; "
          "printf '" +
          evil_cfg +
          "' > .git/worktrees/wb/config; echo c3=$?; "
          // wb: deleted and made again, leading to evil
          "rm wb/.git; printf 'gitdir: ../evil\\n' > wb/.git; "
          // wc: deleted, made again leading into .git/refs/x, then its directory renamed
          "rm wc/.git; printf 'gitdir: ../.git/refs/x\\n' > wc/.git; mv wc wd; "
          "true",
      {"--report-denials", "full"}, "", kGitIdentity);
  for (const char* w : {"w1=0", "w2=0", "w3=0", "w4=0", "m1=0", "m2=0", "c1=0", "c2=0", "c3=0"})
    EXPECT_FALSE(contains(o.out, w)) << w << "\n" << o.out << o.err;
  // The pointer's own bytes (its second name holds the same file; .git itself, made a hard
  // link by the command, is moved away after the run: cordon cannot tell which name is whose).
  EXPECT_EQ(read_file(box.ws / "wa/second"), pointer_a) << o.err;
  EXPECT_EQ(read_file(box.ws / ".git/worktrees/wa/commondir"), common_a) << o.err;
  EXPECT_FALSE(exists(box.ws / ".git/worktrees/wb/commondir")) << o.err;
  EXPECT_FALSE(exists(box.ws / ".git/worktrees/wb/config")) << o.err;
  EXPECT_TRUE(contains(o.err, ".git pointer file")) << o.err;
  for (const char* w : {"wa", "wb", "wd"}) {
    const std::string at = box.ws / w;
    const std::string pointer = exists(at + "/.git") ? read_file(at + "/.git") : "";
    EXPECT_FALSE(contains(pointer, "evil")) << w;
    EXPECT_FALSE(contains(pointer, "refs/x")) << w;
    git_at(box, at, {"status"});
    git_at(box, at, {"commit", "-q", "--allow-empty", "-m", "x"});
  }
  EXPECT_FALSE(exists(marker)) << "planted code ran outside the sandbox\n" << o.err;
  expect_git_inert_at(box, box.ws / "wa", marker);
  expect_git_inert_at(box, box.ws.path(), marker);
}

// git sparse-checkout writes config.worktree (core.sparseCheckout) and sets
// extensions.worktreeConfig in config: both through checked writes, in the main worktree
// and in a linked one made in an earlier run. A config.worktree with an entry that runs
// code is refused, however it is brought there; git outside runs nothing planted.
TEST_F(GitDirs, SparseCheckoutWritesAWorktreeConfigThroughTheCheck) {
  make_repo(box, box.ws.path());
  fs::create_directories(box.ws / "keep");
  fs::create_directories(box.ws / "drop");
  write_file(box.ws / "keep/k.txt", "k\n");
  write_file(box.ws / "drop/d.txt", "d\n");
  ASSERT_EQ(git_at(box, box.ws.path(), {"add", "keep", "drop"}).code, 0);
  ASSERT_EQ(git_at(box, box.ws.path(), {"commit", "-qm", "dirs"}).code, 0);
  ASSERT_EQ(git_at(box, box.ws.path(), {"worktree", "add", "-q", "wt", "-b", "wt"}).code, 0);
  const std::string evil = "[core]\\n\\tsparseCheckout = true\\n\\tfsmonitor = touch " + marker + "\\n";
  auto o = box.sh(
      "git sparse-checkout set keep && echo main-sparse; "
      "git -C wt sparse-checkout set keep && echo wt-sparse; "
      "printf '" +
          evil +
          "' > .git/config.worktree.lock; mv .git/config.worktree.lock .git/config.worktree; "
          "echo m1=$?; printf '" +
          evil +
          "' > x.lock; mv x.lock .git/worktrees/wt/config.worktree; echo m2=$?; "
          "printf '" +
          evil +
          "' >> .git/config.worktree; echo m3=$?; "
          "rm -f .git/config.worktree.lock; git config --worktree core.fsmonitor 'touch " +
          marker +
          "'; echo m4=$?; "
          "rm .git/config.worktree; printf '" +
          evil +
          "' > .git/config.worktree; "
          "echo m5=$?; git -C wt config --worktree user.name inside; echo name=$?",
      {"--report-denials", "full"}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "main-sparse")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "wt-sparse")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "name=0")) << o.out << o.err;
  for (const char* m : {"m1=0", "m2=0", "m3=0", "m4=0", "m5=0"})
    EXPECT_FALSE(contains(o.out, m)) << m << "\n" << o.out << o.err;
  EXPECT_FALSE(exists(box.ws / "drop/d.txt")) << "sparse checkout did not apply\n" << o.err;
  EXPECT_FALSE(exists(box.ws / "wt/drop/d.txt")) << "sparse checkout did not apply in wt\n" << o.err;
  EXPECT_TRUE(exists(box.ws / "keep/k.txt"));
  EXPECT_TRUE(contains(read_file(box.ws / ".git/config"), "worktreeconfig"))
      << read_file(box.ws / ".git/config");
  for (const std::string& f : {box.ws / ".git/config.worktree", box.ws / ".git/worktrees/wt/config.worktree"})
    EXPECT_FALSE(contains(exists(f) ? read_file(f) : "", "fsmonitor")) << f;
  EXPECT_TRUE(contains(o.err, "a worktree's config can run code")) << o.err;
  expect_git_inert_at(box, box.ws.path(), marker);
  expect_git_inert_at(box, box.ws / "wt", marker);
  auto sparse = git_at(box, box.ws / "wt", {"sparse-checkout", "list"});
  EXPECT_EQ(sparse.out, "keep\n") << sparse.err;
}

// A bare repository in the workspace (a local remote: its hooks run when anyone pushes
// into it) and a repository inside node_modules (a directory the depth walk skips) are git
// directories like the workspace's: nothing planted there runs outside afterwards, and a
// push into the bare one from inside still works.
TEST_F(GitDirs, BareRepositoriesAndRepositoriesInSkippedDirectoriesAreProtected) {
  make_repo(box, box.ws / "src");
  ASSERT_EQ(git_at(box, box.ws.path(), {"init", "-q", "--bare", "-b", "main", box.ws / "remote.git"}).code,
            0);
  ASSERT_EQ(git_at(box, box.ws / "src", {"push", "-q", box.ws / "remote.git", "main"}).code, 0);
  make_repo(box, box.ws / "node_modules/pkg");
  const std::string hook = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o =
      box.sh(plant("node_modules/pkg/.git", marker) +
                 "; for h in pre-receive post-receive update pre-commit; do printf '" + hook +
                 "' > remote.git/hooks/$h; chmod +x remote.git/hooks/$h; done; "
                 "printf '[core]\\n\\tfsmonitor = touch " +
                 marker +
                 "\\n' >> remote.git/config; "
                 "cd src && echo two >> file.txt && git commit -qam two && git push -q ../remote.git main && "
                 "echo push-ok",
             {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "push-ok")) << o.out << o.err;
  EXPECT_FALSE(exists(marker)) << "a planted hook ran inside";
  for (const char* h : {"pre-receive", "post-receive", "update", "pre-commit"})
    EXPECT_FALSE(exists(box.ws / (std::string("remote.git/hooks/") + h))) << h;
  EXPECT_FALSE(contains(read_file(box.ws / "remote.git/config"), "fsmonitor"));
  // Outside, as the user: a push into the bare repository and git in the checkout.
  write_file(box.ws / "src/file.txt", "three\n");
  ASSERT_EQ(git_at(box, box.ws / "src", {"commit", "-qam", "three"}).code, 0);
  auto push = git_at(box, box.ws / "src", {"push", "-q", box.ws / "remote.git", "main"});
  EXPECT_EQ(push.code, 0) << push.err;
  git_at(box, box.ws / "remote.git", {"log", "--oneline"});
  expect_git_inert_at(box, box.ws / "node_modules/pkg", marker);
  EXPECT_FALSE(exists(marker)) << "planted code ran outside the sandbox";
}

// A submodule added outside keeps the core.worktree git wrote into its gitdir
// (.git/modules/lib/config: ../../../lib) through everyday git inside, including a
// config write into the submodule's gitdir (which has the repair look at that gitdir
// after the run) and a submodule added and checked out inside: afterwards, outside, git
// works in each submodule, through its .git file and through its gitdir.
TEST_F(GitDirs, ASubmodulesCoreWorktreeSurvivesEverydayGitInside) {
  make_repo(box, outside / "lib");
  make_repo(box, box.ws.path());
  const std::vector<std::string> allow = {"-c", "protocol.file.allow=always"};
  auto add = git_at(box, box.ws.path(),
                    {"-c", "protocol.file.allow=always", "submodule", "add", "-q", outside / "lib", "lib"});
  ASSERT_EQ(add.code, 0) << add.err;
  ASSERT_EQ(git_at(box, box.ws.path(), {"commit", "-qm", "sm"}).code, 0);
  const auto before = git_at(box, box.ws / "lib", {"config", "core.worktree"});
  ASSERT_EQ(before.out, "../../../lib\n") << before.err;
  // The user's own entry that is not on the inert list (an alias) stays too: the gitdir was
  // protected during the run, so the after-run repair leaves its config alone.
  ASSERT_EQ(git_at(box, box.ws / "lib", {"config", "alias.st", "status"}).code, 0);
  auto o = box.sh(
      "set -e; git -c protocol.file.allow=always submodule update --init -q; git -C lib status --short; "
      "git submodule status >/dev/null; git -C lib config user.name inside; "
      "git -c protocol.file.allow=always submodule add -q " +
          outside / "lib" +
          " lib2; git -C lib2 status --short; git commit -qm sm2; echo everyday-ok; set +e; " +
          plant(".git/modules/lib", marker) + "; git -C lib config core.fsmonitor 'touch " + marker +
          "'; true",
      {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "everyday-ok")) << o.out << o.err;
  for (const char* sub : {"lib", "lib2"}) {
    const std::string dir = box.ws / sub;
    auto wt = git_at(box, dir, {"config", "core.worktree"});
    EXPECT_EQ(wt.out, std::string("../../../") + sub + "\n") << sub << ": " << wt.err << o.err;
    auto top =
        git_at(box, box.ws.path(),
               {"--git-dir", box.ws / (std::string(".git/modules/") + sub), "rev-parse", "--show-toplevel"});
    EXPECT_EQ(top.out, dir + "\n") << sub << ": " << top.err;
    auto status = git_at(box, dir, {"status", "--short"});
    EXPECT_EQ(status.code, 0) << sub << ": " << status.err;
    EXPECT_EQ(status.out, "") << sub;
  }
  EXPECT_EQ(git_at(box, box.ws / "lib", {"config", "user.name"}).out, "inside\n");
  EXPECT_EQ(git_at(box, box.ws / "lib", {"config", "alias.st"}).out, "status\n") << o.err;
  EXPECT_FALSE(contains(o.err, "removed")) << o.err;
  EXPECT_FALSE(contains(read_file(box.ws / ".git/modules/lib/config"), "fsmonitor"));
  EXPECT_FALSE(exists(box.ws / ".git/modules/lib/hooks/pre-commit"));
  auto update = git_at(box, box.ws.path(), {"-c", "protocol.file.allow=always", "submodule", "update", "-q"});
  EXPECT_EQ(update.code, 0) << update.err;
  expect_git_inert_at(box, box.ws / "lib", marker);
  expect_git_inert_at(box, box.ws / "lib2", marker);
}

// The attacker's half: a core.worktree the command sets in a submodule's gitdir made
// inside is kept only when it leads to the submodule's own checkout (whose .git file leads
// back to that gitdir). Led to the superproject's .git (inside the workspace, so the
// broker's rule lets it be written), to another checkout, or through a link, git run there
// afterwards would check the submodule's files (a hooks/pre-commit) out into it: removed.
TEST_F(GitDirs, APlantedCoreWorktreeInASubmodulesGitdirIsRemoved) {
  make_repo(box, outside / "lib");
  write_file(outside / "lib/hooks/pre-commit", "#!/bin/sh\ntouch " + marker + "\n");
  ::chmod((outside / "lib/hooks/pre-commit").c_str(), 0755);
  ASSERT_EQ(git_at(box, outside / "lib", {"add", "hooks"}).code, 0);
  ASSERT_EQ(git_at(box, outside / "lib", {"commit", "-qm", "hooks"}).code, 0);
  make_repo(box, box.ws.path());
  const std::string add = "git -c protocol.file.allow=always submodule add -q " + outside / "lib" + " ";
  auto o = box.sh(add + "a && " + add + "b && " + add + "c && " + add +
                      "d && mkdir -p decoy && ln -s decoy linked && "
                      "git -C a config core.worktree ../..; echo a=$?; "
                      "git -C b config core.worktree ../../../c; echo b=$?; "
                      "printf 'gitdir: ../.git/modules/c\\n' > decoy/.git; "
                      "git -C c config core.worktree ../../../decoy; echo c=$?; "
                      "printf 'gitdir: ../.git/modules/d\\n' > decoy/.git; "
                      "git -C d config core.worktree ../../../linked; echo d=$?; true",
                  {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "a=0")) << o.out << o.err;  // inside the workspace: the broker lets it be
  for (const char* sub : {"a", "b", "c", "d"}) {
    const std::string config = box.ws / (std::string(".git/modules/") + sub + "/config");
    EXPECT_TRUE(contains(read_file(config), "url = ")) << sub << ": " << read_file(config);
    auto values = git_at(box, box.ws.path(), {"config", "--file", config, "--get-all", "core.worktree"});
    EXPECT_EQ(values.out, "") << sub << ": " << read_file(config) << o.err;
  }
  for (const char* sub : {"a", "b", "c", "d"})
    git_at(box, box.ws.path(),
           {"-c", "protocol.file.allow=always", "submodule", "update", "-q", "--force", sub});
  EXPECT_FALSE(exists(box.ws / ".git/hooks/pre-commit"));
  expect_git_inert_at(box, box.ws.path(), marker);
}

namespace {

// Shell text that tries to plant code in a linked worktree's common dir from inside the
// worktree `wt`: a hook, and core.fsmonitor and core.pager through git config (which
// writes the common config), then one written directly.
std::string plant_through_worktree(const std::string& wt, const std::string& common,
                                   const std::string& marker) {
  const std::string w = sh_quote(wt), c = sh_quote(common);
  return "git -C " + w + " config core.fsmonitor 'touch " + marker + "'; git -C " + w +
         " config core.pager 'touch " + marker + "; cat'; printf '#!/bin/sh\\ntouch " + marker + "\\n' > " +
         c + "/hooks/pre-commit; chmod +x " + c + "/hooks/pre-commit; printf '[core]\\n\\tpager = touch " +
         marker + "\\n' >> " + c + "/config; true";
}

// Outside, as the user: git in the linked worktree runs nothing planted in its common dir
// (hooks, fsmonitor on status, the pager on log).
void expect_worktree_inert(const Sandbox& box, const std::string& wt, const std::string& marker) {
  expect_git_inert_at(box, wt, marker);
  git_at(box, wt, {"-c", "core.pager=", "log", "-1"});
  run_process({"git", "-P", "log", "-1"}, wt, "", box.env(kGitIdentity), 60);
  run_process({"sh", "-c", "git log -1 | cat"}, wt, "", box.env(kGitIdentity), 60);
  EXPECT_FALSE(exists(marker)) << "planted code ran outside the sandbox, in " << wt;
}

}  // namespace

// --git read-only in a linked worktree protects what it protects in the main worktree:
// its common dir (config, hooks, refs, objects) is read-only whole, also where the main
// repository lies in a writable root the walk does not reach (here below a cache
// directory the walk skips, deeper than it looks), and the common config's relative
// hooksPath names a directory in the worktree that cannot be made. No commit lands.
TEST_F(GitDirs, ReadOnlyGitInALinkedWorktreeCoversItsCommonDirectory) {
  const std::string main = box.ws / "main", deep = box.ws / ".cache/x/y/deep";
  make_repo(box, main);
  make_repo(box, deep);
  ASSERT_EQ(git_at(box, main, {"worktree", "add", "-q", box.ws / "wt", "-b", "wt"}).code, 0);
  ASSERT_EQ(git_at(box, deep, {"worktree", "add", "-q", box.ws / "wt2", "-b", "wt2"}).code, 0);
  ASSERT_EQ(git_at(box, main, {"config", "core.hooksPath", "team-hooks"}).code, 0);
  const std::string head = read_file(deep + "/.git/refs/heads/wt2");
  auto o = box.sh(
      plant_through_worktree("wt", "main/.git", marker) + "; " +
          plant_through_worktree("wt2", ".cache/x/y/deep/.git", marker) +
          "; mkdir -p wt/team-hooks; printf '#!/bin/sh\\ntouch " + marker +
          "\\n' > wt/team-hooks/pre-commit; chmod +x wt/team-hooks/pre-commit; "
          "(cd wt && git status --short >/dev/null && git log --oneline >/dev/null && git diff --stat && "
          "echo read-ok); cd wt2 && git commit -q --allow-empty -m inside; echo commit=$?; "
          "echo edited > file.txt && echo sibling-ok",
      {"--git", "read-only"}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "sibling-ok")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "read-ok")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "commit=0")) << o.out << o.err;
  EXPECT_EQ(read_file(deep + "/.git/refs/heads/wt2"), head);
  EXPECT_FALSE(exists(box.ws / "wt/team-hooks")) << o.err;
  for (const std::string& g : {main + "/.git", deep + "/.git"}) {
    EXPECT_FALSE(exists(g + "/hooks/pre-commit")) << g;
    EXPECT_FALSE(contains(read_file(g + "/config"), "touch")) << g;
  }
  EXPECT_FALSE(exists(marker)) << "a planted hook ran inside";
  expect_worktree_inert(box, box.ws / "wt", marker);
  expect_worktree_inert(box, box.ws / "wt2", marker);
}

// The default mode in the same layouts, and with the main repository named by --writable
// from a workspace that is the linked worktree itself: everyday git in the worktree
// (status, commit, branch, switch) works, nothing can be planted in the common dir.
TEST_F(GitDirs, EverydayGitInALinkedWorktreeWorksAndItsCommonDirectoryStaysGuarded) {
  const std::string main = box.ws / "main", deep = box.ws / ".cache/x/y/deep";
  make_repo(box, main);
  make_repo(box, deep);
  make_repo(box, outside / "repo");
  ASSERT_EQ(git_at(box, main, {"worktree", "add", "-q", box.ws / "wt", "-b", "wt"}).code, 0);
  ASSERT_EQ(git_at(box, deep, {"worktree", "add", "-q", box.ws / "wt2", "-b", "wt2"}).code, 0);
  ASSERT_EQ(
      git_at(box, outside / "repo", {"worktree", "add", "-q", outside / "feature", "-b", "feature"}).code, 0);
  const std::string everyday =
      "git status --short && echo more >> file.txt && git commit -qam inside && git branch side && "
      "git switch -q side && git commit -q --allow-empty -m side && git switch -q - && git status --short";
  auto o = box.sh(plant_through_worktree("wt", "main/.git", marker) + "; " +
                      plant_through_worktree("wt2", ".cache/x/y/deep/.git", marker) + "; (cd wt && " +
                      everyday + " && echo wt-ok); (cd wt2 && " + everyday + " && echo wt2-ok)",
                  {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "wt-ok")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "wt2-ok")) << o.out << o.err;
  auto f = cordon_sh(
      outside / "feature",
      plant_through_worktree(".", outside / "repo/.git", marker) + "; " + everyday + " && echo f-ok",
      {"--writable", outside / "repo"}, "", box.env(kGitIdentity));
  EXPECT_TRUE(contains(f.out, "f-ok")) << f.out << f.err;
  for (const std::string& wt : {box.ws / "wt", box.ws / "wt2", outside / "feature"}) {
    auto log = git_at(box, wt, {"log", "--format=%s", "-1"});
    EXPECT_EQ(log.out, "inside\n") << wt << ": " << log.err;
    EXPECT_EQ(git_at(box, wt, {"log", "--format=%s", "-1", "side"}).out, "side\n") << wt;
  }
  for (const std::string& g : {main + "/.git", deep + "/.git", outside / "repo/.git"}) {
    EXPECT_FALSE(exists(g + "/hooks/pre-commit")) << g;
    EXPECT_FALSE(contains(read_file(g + "/config"), "touch")) << g;
  }
  EXPECT_FALSE(exists(marker)) << "a planted hook ran inside";
  for (const std::string& wt : {box.ws / "wt", box.ws / "wt2", outside / "feature"})
    expect_worktree_inert(box, wt, marker);
}

// Found by h/attack3: a core.worktree the command sets in a
// submodule's gitdir was kept when the target's .git file leads back to that gitdir, but
// the command writes that .git file itself, in any directory of the workspace: here sub/,
// whose .vscode existed before the run (read-only inside). The repair kept
// core.worktree = ../../../sub, and git run outside in the submodule (a reset, a
// checkout, a pull) then checked the submodule's files out into sub/: sub/.vscode/tasks.json
// appeared, which the command could not write. Kept now only when it names the checkout
// git maps to that gitdir (<top>/.git/modules/c: <top>/c).
TEST_F(GitDirs, ACoreWorktreeLedToAnotherDirectoryWithAPlantedDotGitIsRemoved) {
  make_repo(box, outside / "lib");
  ASSERT_EQ(git_at(box, outside / "lib", {"checkout", "-q", "-b", "evil"}).code, 0);
  write_file(outside / "lib/.vscode/tasks.json", "{\"tasks\": \"evil\"}\n");
  ASSERT_EQ(git_at(box, outside / "lib", {"add", ".vscode"}).code, 0);
  ASSERT_EQ(git_at(box, outside / "lib", {"commit", "-qm", "tasks"}).code, 0);
  ASSERT_EQ(git_at(box, outside / "lib", {"checkout", "-q", "main"}).code, 0);
  make_repo(box, box.ws.path());
  write_file(box.ws / "sub/.vscode/settings.json", "{}\n");
  auto o = box.sh(
      "git -c protocol.file.allow=always submodule add -q " + outside / "lib" +
          " c && git -C c reset -q --soft origin/evil && printf 'gitdir: ../.git/modules/c\\n' > sub/.git && "
          "git -C c config core.worktree ../../../sub; echo planted=$?",
      {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "planted=0")) << o.out << o.err;
  auto value = git_at(box, box.ws.path(),
                      {"config", "--file", box.ws / ".git/modules/c/config", "--get-all", "core.worktree"});
  EXPECT_NE(value.out, "../../../sub\n") << o.err;
  // Outside, later: git run in the submodule.
  git_at(box, box.ws / "c", {"reset", "-q", "--hard"});
  EXPECT_FALSE(exists(box.ws / "sub/.vscode/tasks.json")) << "outside git wrote into a protected directory";
}
