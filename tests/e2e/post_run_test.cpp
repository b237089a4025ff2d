// What cordon does outside the sandbox after the command ends (the repair of a
// repository created inside, --report FILE) must not follow anything the command
// planted: each case plants a link, FIFO, device or pre-created name, then checks from
// outside that the outside target is byte-for-byte unchanged (content and mode), that
// cordon finished within a bound, and that git run outside afterwards runs no planted
// code (a marker file it would create does not exist). The allowed half: a normal
// repository made inside stays usable outside.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <map>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBoundSeconds = 30;  // cordon itself takes well under a second here

const std::vector<std::string> kGitIdentity = {
    "GIT_AUTHOR_NAME=Cordon Test", "GIT_AUTHOR_EMAIL=test@example.invalid", "GIT_COMMITTER_NAME=Cordon Test",
    "GIT_COMMITTER_EMAIL=test@example.invalid"};

// Content and mode of every entry under `root` (or of `root` itself when it is a file).
std::map<std::string, std::string> state_of(const std::string& root) {
  std::map<std::string, std::string> out;
  auto one = [&](const std::string& path, const std::string& rel) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      out[rel] = "missing";
      return;
    }
    std::string v = "mode " + std::to_string(st.st_mode) + " ";
    if (S_ISLNK(st.st_mode))
      v += "-> " + fs::read_symlink(path).string();
    else if (S_ISREG(st.st_mode))
      v += read_file(path);
    out[rel] = v;
  };
  one(root, ".");
  std::error_code ec;
  if (fs::is_directory(fs::symlink_status(root, ec)))
    for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
         it.increment(ec))
      one(it->path().string(), fs::relative(it->path(), root, ec).string());
  return out;
}

// `cordon run` in the workspace with the git identity; fails the test if cordon does not
// finish within the bound (a FIFO once hung it forever after the command ended).
Outcome run_inside(const Sandbox& box, const std::string& script, const std::vector<std::string>& opts = {}) {
  std::vector<std::string> argv = {cordon_binary(), "run", "--no-config"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  const auto start = Clock::now();
  Outcome o = run_process(argv, box.ws.path(), "", box.env(kGitIdentity), kBoundSeconds);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(kBoundSeconds)) << "cordon did not finish";
  EXPECT_EQ(o.err.find('\x1b'), std::string::npos) << "a raw ESC byte reached cordon's stderr";
  return o;
}

// With cordon's creation broker a planted name in a repository made inside is refused
// when it is made (reported "git directory: ..." or as the protected path); without it the
// post-run repair acts. Either way, what is checked from outside must hold.
bool prevented(const Outcome& o) {
  return contains(o.err, "git directory:") || contains(o.err, "protected path");
}

Outcome git_outside(const Sandbox& box, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, box.ws.path(), "", box.env(kGitIdentity), kBoundSeconds);
}

// An executable script that creates `marker` when anything runs it.
void write_marker_script(const std::string& path, const std::string& marker) {
  write_file(path, "#!/bin/sh\ntouch '" + marker + "'\n");
  ::chmod(path.c_str(), 0755);
}

// git status and a commit, run outside as the user, must work and run no planted code.
void expect_git_outside_is_inert(const Sandbox& box, const std::string& marker) {
  auto status = git_outside(box, {"status", "--short"});
  EXPECT_EQ(status.code, 0) << status.err;
  auto commit = git_outside(box, {"commit", "-q", "--allow-empty", "-m", "outside"});
  EXPECT_EQ(commit.code, 0) << commit.err;
  EXPECT_FALSE(exists(marker)) << "planted code ran outside the sandbox";
}

// `git log -1` in `dir` on a terminal (script(1) gives it one): git starts its pager only
// when standard output is a terminal, so a planted core.pager runs only this way.
Outcome git_log_on_a_terminal(const Sandbox& box, const std::string& dir) {
  return run_process({"script", "-qec", "git log -1 --format=%s", "/dev/null"}, dir, "",
                     box.env(kGitIdentity), kBoundSeconds);
}

class PostRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
    marker = outside / "marker";
  }
  Sandbox box;
  OutsideDir outside;
  std::string marker;
};

TEST_F(PostRun, HooksDirectoryLinkedToAnOutsideDirectoryIsNotTouched) {
  write_marker_script(outside / "hooks/pre-commit", marker);
  write_marker_script(outside / "hooks/post-commit", marker);
  write_file(outside / "hooks/data", "data\n");
  ::chmod((outside / "hooks/data").c_str(), 0751);
  const auto before = state_of(outside.path());
  auto o = run_inside(box, "git init -q && rm -rf .git/hooks && ln -s " + outside / "hooks" + " .git/hooks");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_EQ(state_of(outside.path()), before);
  EXPECT_TRUE(contains(o.err, "hooks")) << o.err;
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, ConfigLinkedToAnOutsideFileIsNotRewritten) {
  write_file(outside / "ssh_config", "[core]\n\tfsmonitor = touch " + marker + "\nHost x\n  User y\n");
  ::chmod((outside / "ssh_config").c_str(), 0600);
  const auto before = state_of(outside.path());
  auto o = run_inside(box, "git init -q && ln -sf " + outside / "ssh_config" + " .git/config");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_EQ(state_of(outside.path()), before);
  std::string err = o.err;
  for (auto& c : err) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_FALSE(contains(err, "host x")) << "cordon printed file content:\n" << o.err;
  EXPECT_FALSE(contains(read_file(box.ws / ".git/config"), "User y")) << "outside content copied inside";
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, DotGitLinkedToAnOutsideRepositoryIsNotFollowed) {
  const auto env = box.env(kGitIdentity);
  ASSERT_EQ(run_process({"git", "init", "-q", outside / "repo"}, outside.path(), "", env).code, 0);
  write_marker_script(outside / "repo/.git/hooks/pre-commit", marker);
  write_file(outside / "repo/.git/config", "[core]\n\tfsmonitor = touch " + marker + "\n");
  const auto before = state_of(outside.path());
  auto o = run_inside(box, "ln -s " + outside / "repo/.git" + " .git");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_EQ(state_of(outside.path()), before);
  EXPECT_TRUE(prevented(o) || contains(o.err, "cannot verify")) << o.err;
  EXPECT_FALSE(exists(box.ws / ".git"));
}

TEST_F(PostRun, ConfigFifoDoesNotHangCordon) {
  auto o = run_inside(box, "git init -q && rm .git/config && mkfifo .git/config");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, ConfigLinkedToDevZeroIsNotRead) {
  auto o = run_inside(box, "git init -q && ln -sf /dev/zero .git/config");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, OversizedConfigIsReplacedNotRead) {
  auto o = run_inside(box,
                      "git init -q && head -c 3000000 /dev/zero | tr '\\0' '#' >> .git/config && "
                      "printf '\\n[core]\\n\\tfsmonitor = touch " +
                          marker + "\\n' >> .git/config");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, HookLinkedToAnOutsideExecutableIsRenamedNotChmodded) {
  write_marker_script(outside / "tool", marker);
  const auto before = state_of(outside.path());
  auto o = run_inside(box, "git init -q && ln -s " + outside / "tool" + " .git/hooks/pre-commit");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_EQ(state_of(outside.path()), before);
  EXPECT_FALSE(exists(box.ws / ".git/hooks/pre-commit"));
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, HooksPathOnTheSectionHeaderLineIsRemoved) {
  write_marker_script(outside / "hooks/pre-commit", marker);
  const auto before = state_of(outside.path());
  auto o = run_inside(
      box, "git init -q && printf '[core] hooksPath = " + outside / "hooks" + "\\n' >> .git/config");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_TRUE(prevented(o) || contains(o.err, "core.hookspath")) << o.err;
  EXPECT_EQ(state_of(outside.path()), before);
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, CodeRunningConfigIsRemoved) {
  write_file(outside / "included", "[core]\n\tfsmonitor = touch " + marker + "\n");
  const auto before = state_of(outside.path());
  const std::string touch = "touch " + marker;
  auto o = run_inside(
      box, "git init -q; git config core.fsmonitor '" + touch + "; false'; git config core.sshCommand '" +
               touch + "'; git config include.path " + outside / "included" + "; git config alias.st '!" +
               touch + "'; git config filter.x.clean '" + touch + "'; git config filter.x.required true" +
               "; echo '* filter=x' > .gitattributes");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  for (const char* key : {"core.fsmonitor", "core.sshcommand", "include.path", "alias.st", "filter.x.clean"})
    EXPECT_TRUE(prevented(o) || contains(o.err, key)) << key << " not reported:\n" << o.err;
  EXPECT_EQ(state_of(outside.path()), before);
  write_file(box.ws / "file.txt", "x\n");
  auto add = git_outside(box, {"add", "file.txt"});  // would run the clean filter
  EXPECT_EQ(add.code, 0) << add.err;
  git_outside(box, {"st"});  // the alias, if it survived
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, PreCreatedDisabledNamesDoNotStopTheRepair) {
  write_marker_script(outside / "tool", marker);
  write_file(box.ws / "hook.sh", "#!/bin/sh\ntouch '" + marker + "'\n");
  auto o = run_inside(box,
                      "git init -q && install -m 755 hook.sh .git/hooks/pre-commit && "
                      "mkdir .git/hooks/pre-commit.cordon-disabled && "
                      "ln -s " +
                          outside / "tool" +
                          " .git/hooks/post-commit && touch .git/hooks/post-commit.cordon-disabled && "
                          "mkdir .git/hooks/post-commit.cordon-disabled.1");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_NE(::access((box.ws / ".git/hooks/pre-commit").c_str(), X_OK), 0);
  EXPECT_FALSE(exists(box.ws / ".git/hooks/post-commit"));
  EXPECT_TRUE(prevented(o) || exists(box.ws / ".git/hooks/post-commit.cordon-disabled.2")) << o.err;
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, HostileKeyNamesReachStderrEscaped) {
  // A subsection holding ESC sequences (clear screen, set title) and a key after them.
  auto o = run_inside(
      box, "git init -q && printf '[alias \"\\033[2J\\033]0;x\\007\"]\\n\\tk = v\\n' >> .git/config");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_TRUE(prevented(o) || contains(o.err, "\\x1b[2J")) << o.err;
  EXPECT_EQ(o.err.find('\x07'), std::string::npos);
  expect_git_outside_is_inert(box, marker);
}

TEST_F(PostRun, GitdirFileIsNotFollowed) {
  write_file(box.ws / "hook.sh", "#!/bin/sh\ntouch '" + marker + "'\n");
  auto o = run_inside(
      box, "git init -q --separate-git-dir=elsewhere && install -m 755 hook.sh elsewhere/hooks/pre-commit");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_TRUE(contains(o.err, "cannot verify")) << o.err;
  EXPECT_FALSE(exists(box.ws / ".git"));
  git_outside(box, {"commit", "-q", "--allow-empty", "-m", "outside"});
  EXPECT_FALSE(exists(marker));
}

// Submodule gitdirs get the same repair; files that point git at other hooks and config
// (commondir, config.worktree, worktrees/) are moved out of its way.
TEST_F(PostRun, SubmoduleGitdirsAndPointersAreRepairedToo) {
  write_file(box.ws / "hook.sh", "#!/bin/sh\ntouch '" + marker + "'\n");
  auto o = run_inside(box,
                      "git init -q && mkdir -p .git/modules/sub/hooks evil/hooks && "
                      "install -m 755 hook.sh .git/modules/sub/hooks/pre-commit && "
                      "echo 'ref: refs/heads/main' > .git/modules/sub/HEAD && "
                      "printf '[core]\\n\\tfsmonitor = touch " +
                          marker +
                          "\\n' > .git/modules/sub/config && "
                          "install -m 755 hook.sh evil/hooks/pre-commit && echo ../evil > .git/commondir && "
                          "echo x > .git/config.worktree && mkdir -p .git/worktrees/w");
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_NE(::access((box.ws / ".git/modules/sub/hooks/pre-commit").c_str(), X_OK), 0) << o.err;
  EXPECT_FALSE(contains(read_file(box.ws / ".git/modules/sub/config"), "fsmonitor")) << o.err;
  for (const char* moved : {".git/commondir", ".git/config.worktree", ".git/worktrees"}) {
    EXPECT_FALSE(exists(box.ws / moved)) << moved;
    EXPECT_TRUE(prevented(o) || exists(box.ws / (std::string(moved) + ".cordon-disabled"))) << moved;
  }
  expect_git_outside_is_inert(box, marker);
}

// The allowed half: an ordinary repository made inside keeps its history, remote and
// identity, nothing is reported as removed, and git works on it outside.
TEST_F(PostRun, OrdinaryRepositoryMadeInsideStaysUsable) {
  auto o = run_inside(box,
                      "git init -q && echo a > a.txt && git add a.txt && git commit -qm inside && "
                      "git remote add origin https://example.com/r.git && git config user.name Someone");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(prevented(o)) << o.err;
  EXPECT_FALSE(contains(o.err, "removed")) << o.err;
  expect_git_outside_is_inert(box, marker);
  EXPECT_EQ(git_outside(box, {"log", "--format=%s"}).out, "outside\ninside\n");
  EXPECT_EQ(git_outside(box, {"config", "--get", "remote.origin.url"}).out, "https://example.com/r.git\n");
  EXPECT_EQ(git_outside(box, {"config", "--get", "user.name"}).out, "Someone\n");
}

// A bare repository planted in a subdirectory (HEAD, objects/, refs/ and a config beside
// the sources): git run later in that directory takes it for its repository before it
// reaches the workspace's .git, and obeys its config (core.pager runs on `git log`).
TEST_F(PostRun, ABareRepositoryPlantedInASubdirectoryIsNeutralised) {
  ASSERT_EQ(git_outside(box, {"init", "-q"}).code, 0);
  write_file(box.ws / "src/a.c", "int a;\n");
  ASSERT_EQ(git_outside(box, {"add", "."}).code, 0);
  ASSERT_EQ(git_outside(box, {"commit", "-qm", "first"}).code, 0);
  write_marker_script(outside / "pager", marker);
  auto o = run_inside(box,
                      "cd src && cp -r ../.git/objects ../.git/refs . && echo 'ref: refs/heads/x' > HEAD && "
                      "git -C .. rev-parse HEAD > refs/heads/x && printf '[core]\\n\\tpager = " +
                          outside / "pager" + "\\n' > config && echo planted");
  EXPECT_TRUE(contains(o.out, "planted")) << o.err;
  EXPECT_TRUE(contains(o.err, "src/config: removed core.pager")) << o.err;
  EXPECT_EQ(
      run_process({"git", "config", "--get", "core.pager"}, box.ws / "src", "", box.env(kGitIdentity)).out,
      "");
  if (have_tool("script")) {
    auto log = git_log_on_a_terminal(box, box.ws / "src");
    EXPECT_TRUE(contains(log.out, "first")) << log.out << log.err;
    EXPECT_FALSE(exists(marker)) << "the planted pager ran outside the sandbox: " << log.out << log.err;
  }
  // The allowed half: the workspace's own repository is untouched and works.
  EXPECT_EQ(git_outside(box, {"log", "--format=%s"}).out, "first\n");
  expect_git_outside_is_inert(box, marker);
}

// The same through a commondir: HEAD and a commondir naming another directory (a linked
// worktree's gitdir) make a repository to git, whose config is that other directory's.
TEST_F(PostRun, ARepositoryPlantedThroughACommondirIsNeutralised) {
  ASSERT_EQ(git_outside(box, {"init", "-q"}).code, 0);
  write_file(box.ws / "src/a.c", "int a;\n");
  ASSERT_EQ(git_outside(box, {"add", "."}).code, 0);
  ASSERT_EQ(git_outside(box, {"commit", "-qm", "first"}).code, 0);
  write_marker_script(outside / "pager", marker);
  auto o = run_inside(
      box,
      "mkdir -p common && cp -r .git/objects .git/refs common/ && cd src && "
      "git -C .. rev-parse HEAD > HEAD && echo ../common > commondir && printf '[core]\\n\\tpager = " +
          outside / "pager" + "\\n' > ../common/config && echo planted");
  EXPECT_TRUE(contains(o.out, "planted")) << o.err;
  EXPECT_EQ(
      run_process({"git", "config", "--get", "core.pager"}, box.ws / "src", "", box.env(kGitIdentity)).out,
      "")
      << o.err;
  if (have_tool("script")) {
    auto log = git_log_on_a_terminal(box, box.ws / "src");
    EXPECT_TRUE(contains(log.out, "first")) << log.out << log.err;
    EXPECT_FALSE(exists(marker)) << "the planted pager ran outside the sandbox: " << log.out << log.err
                                 << "\ncordon said: " << o.err;
  }
  EXPECT_EQ(git_outside(box, {"log", "--format=%s"}).out, "first\n");
}

namespace {
// A repository planted in node_modules (which the walk after the run does not search) whose
// core.fsmonitor creates `marker`: the target of the redirections below.
const char* const kPlantEvil =
    "mkdir -p node_modules/evil && cp -r .git/objects .git/refs .git/HEAD node_modules/evil/ && "
    "printf '[core]\\n\\tfsmonitor = \"touch %s; false\"\\n' > node_modules/evil/config";

std::string plant_evil(const std::string& marker) {
  std::string s = kPlantEvil;
  return s.replace(s.find("%s"), 2, marker);
}

void commit_one(const Sandbox& box) {
  ASSERT_EQ(git_outside(box, {"init", "-q"}).code, 0);
  write_file(box.ws / "a.txt", "a\n");
  ASSERT_EQ(git_outside(box, {"add", "."}).code, 0);
  ASSERT_EQ(git_outside(box, {"commit", "-qm", "first"}).code, 0);
}
}  // namespace

// A linked worktree outside the workspace reads its config and hooks from the directory its
// .git/worktrees/NAME/commondir names: a command that rewrote it would run code the next
// time the user runs git in that worktree. git writes "../.." there and nothing else.
TEST_F(PostRun, ALinkedWorktreesCommondirRewrittenInsideIsMovedAway) {
  commit_one(box);
  const std::string wt = outside / "wt";
  ASSERT_EQ(git_outside(box, {"worktree", "add", "-q", wt}).code, 0);
  auto o = run_inside(
      box, plant_evil(marker) + " && echo \"$PWD/node_modules/evil\" > .git/worktrees/wt/commondir");
  // Refused (read-only, the planner protects it) or undone after the run: said either way.
  EXPECT_TRUE(contains(o.err, "denied write " + box.ws / ".git/worktrees/wt/commondir") ||
              contains(o.err, "worktrees/wt/commondir: changed inside the sandbox, renamed"))
      << o.err;
  (void)run_process({"git", "status", "--short"}, wt, "", box.env(kGitIdentity), kBoundSeconds);
  EXPECT_FALSE(exists(marker)) << "planted code ran in the linked worktree\ncordon said: " << o.err;
}

// More entries than the walk's budget (here made before the run, at the top, so that the
// walk stops before it reaches src/) must not hide a repository planted in src/: past the
// budget the walk goes on for repositories (found: 200,001 empty files hid one whose
// core.fsmonitor then ran on git status in src/ outside).
TEST_F(PostRun, ARepositoryPlantedPastTheWalksBudgetIsNeutralised) {
  commit_one(box);
  write_file(box.ws / "src/a.c", "int a;\n");
  for (int i = 0; i < 200100; ++i) {
    const int fd = ::open((box.ws / ("f" + std::to_string(i))).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  auto o = run_inside(box, plant_evil(marker) + " && cp -r node_modules/evil/* src/ && echo planted");
  EXPECT_TRUE(contains(o.out, "planted")) << o.err;
  EXPECT_TRUE(contains(o.err, "searched only in part")) << o.err;
  EXPECT_TRUE(contains(o.err, "src/config: removed core.fsmonitor")) << o.err;
  (void)run_process({"git", "status", "--short"}, box.ws / "src", "", box.env(kGitIdentity), kBoundSeconds);
  EXPECT_FALSE(exists(marker)) << "planted code ran outside\ncordon said: " << o.err.substr(0, 2000);
}

// With extensions.worktreeConfig (which git sparse-checkout sets), git reads a linked
// worktree's .git/worktrees/NAME/config.worktree as config there: one written inside is
// moved away, as the main gitdir's is.
TEST_F(PostRun, ALinkedWorktreesConfigWorktreeWrittenInsideIsMovedAway) {
  commit_one(box);
  ASSERT_EQ(git_outside(box, {"config", "extensions.worktreeConfig", "true"}).code, 0);
  const std::string wt = outside / "wt";
  ASSERT_EQ(git_outside(box, {"worktree", "add", "-q", wt}).code, 0);
  auto o = run_inside(box, "printf '[core]\\n\\tfsmonitor = \"touch " + marker +
                               "; false\"\\n' > .git/worktrees/wt/config.worktree");
  // Refused by the broker's allowlist, or (without it) moved away after the run.
  EXPECT_TRUE(contains(o.err, "denied create " + box.ws / ".git/worktrees/wt/config.worktree") ||
              contains(o.err, "worktrees/wt/config.worktree: changed inside the sandbox, renamed"))
      << o.err;
  auto status = run_process({"git", "status", "--short"}, wt, "", box.env(kGitIdentity), kBoundSeconds);
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_FALSE(exists(marker)) << "planted code ran in the linked worktree\ncordon said: " << o.err;
}

// A .git file made inside may lead into the protected repository, but not to a repository
// planted in its writable parts (refs/, objects/, a new modules/NAME): git takes a directory
// there with HEAD, objects/, refs/ and a config for a repository and obeys that config. Nor
// through a ".." after a link, which cordon would read lexically and git through the link.
TEST_F(PostRun, AGitFileLeadingToARepositoryPlantedInsideDotGitIsNotTrusted) {
  commit_one(box);
  auto o = run_inside(
      box, plant_evil(marker) +
               "; cp -r node_modules/evil .git/refs/evil; mkdir -p sub d; "
               "echo 'gitdir: ../.git/refs/evil' > sub/.git; "
               "mkdir -p .git/modules; "
               "cp -r node_modules/evil .git/modules/d; echo 'gitdir: ../.git/modules/d' > d/.git; "
               // Read lexically, .git/refs; to git, through the link, node_modules/evil.
               "mkdir -p node_modules/evil/x e; ln -s \"$PWD/node_modules/evil/x\" .git/refs/l; "
               "echo 'gitdir: ../.git/refs/l/..' > e/.git; true");
  for (const char* dir : {"sub", "d", "e"}) {
    (void)run_process({"git", "status", "--short"}, box.ws / dir, "", box.env(kGitIdentity), kBoundSeconds);
    if (have_tool("script")) (void)git_log_on_a_terminal(box, box.ws / dir);
  }
  EXPECT_FALSE(exists(marker)) << "planted code ran\ncordon said: " << o.err;
  // Each step refused by the broker or undone after the run, and said.
  EXPECT_TRUE(contains(o.err, "denied create " + box.ws / ".git/modules/d/config") ||
              contains(o.err, "core.fsmonitor"))
      << o.err;
  for (const char* dir : {"sub", "e"})
    EXPECT_TRUE(contains(o.err, box.ws / dir + "/.git") && contains(o.err, "renamed to .git.cordon-disabled"))
        << dir << ": " << o.err;
}

// A submodule's gitdir planted under .git/modules before the user's next `git submodule
// update --init`, which adopts it as the submodule's repository and runs its hooks (found:
// a post-checkout hook planted this way ran outside): neutralised.
TEST_F(PostRun, ASubmoduleGitdirPlantedInsideIsNeutralised) {
  const std::string lib = outside / "lib";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"init", "-q", lib}, {"-C", lib, "commit", "-q", "--allow-empty", "-m", "lib"}})
    ASSERT_EQ(git_outside(box, args).code, 0);
  commit_one(box);
  const std::vector<std::string> file_ok = {"-c", "protocol.file.allow=always"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), file_ok.begin(), file_ok.end());
    return git_outside(box, args);
  };
  ASSERT_EQ(with({"submodule", "add", "-q", lib, "lib"}).code, 0);
  ASSERT_EQ(git_outside(box, {"commit", "-qm", "lib"}).code, 0);
  ASSERT_EQ(git_outside(box, {"submodule", "deinit", "-q", "-f", "lib"}).code, 0);
  fs::remove_all(box.ws / ".git/modules/lib");
  auto o = run_inside(
      box,
      "git clone -q --bare " + lib +
          " .git/modules/lib && git config -f .git/modules/lib/config "
          "core.bare false && printf '#!/bin/sh\\ntouch " +
          marker +
          "\\n' > .git/modules/lib/hooks/post-checkout && chmod +x .git/modules/lib/hooks/post-checkout");
  EXPECT_TRUE(contains(o.err, "denied create " + box.ws / ".git/modules/lib/hooks/post-checkout") ||
              contains(o.err, "modules/lib/hooks/post-checkout: hook disabled"))
      << o.err;
  auto update = with({"submodule", "update", "--init"});
  EXPECT_FALSE(exists(marker)) << "the planted hook ran outside\ncordon said: " << o.err
                               << "\ngit: " << update.err;
  // Still git's submodule: checked out and usable.
  EXPECT_EQ(update.code, 0) << update.err;
  EXPECT_EQ(
      run_process({"git", "log", "--format=%s"}, box.ws / "lib", "", box.env(kGitIdentity), kBoundSeconds)
          .out,
      "lib\n");
}

// A .git file made inside that leads anywhere but a repository cordon protects is moved
// away; one that `git worktree add` made inside (leading to .git/worktrees/NAME) stays.
TEST_F(PostRun, AGitFileMadeInsideLeadsOnlyToAProtectedRepository) {
  commit_one(box);
  auto o = run_inside(box, plant_evil(marker) +
                               " && mkdir -p sub && echo 'gitdir: ../node_modules/evil' > sub/.git && "
                               "git worktree add -q wt2");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.err, "sub/.git") && contains(o.err, "renamed to .git.cordon-disabled")) << o.err;
  (void)run_process({"git", "status", "--short"}, box.ws / "sub", "", box.env(kGitIdentity), kBoundSeconds);
  EXPECT_FALSE(exists(marker)) << "planted code ran\ncordon said: " << o.err;
  // The allowed half: the worktree made inside works outside, and was not reported.
  EXPECT_FALSE(contains(o.err, "wt2/.git")) << o.err;
  auto log =
      run_process({"git", "log", "--format=%s"}, box.ws / "wt2", "", box.env(kGitIdentity), kBoundSeconds);
  EXPECT_EQ(log.out, "first\n") << log.err;
  EXPECT_FALSE(exists(marker));
}

// core.hooksPath names a tracked directory (as hook managers set it up): git runs the
// hooks there at the user's next commit, so it is as read-only as .git/hooks, and renaming
// it away to put another in its place fails too.
TEST_F(PostRun, AHooksPathDirectoryInTheWorkspaceCannotBeWritten) {
  commit_one(box);
  ASSERT_EQ(git_outside(box, {"config", "core.hooksPath", ".githooks"}).code, 0);
  write_file(box.ws / ".githooks/pre-commit", "#!/bin/sh\nexit 0\n");
  ::chmod((box.ws / ".githooks/pre-commit").c_str(), 0755);
  const std::string original = read_file(box.ws / ".githooks/pre-commit");
  const std::string evil = "#!/bin/sh\\ntouch " + marker + "\\n";
  auto o =
      run_inside(box, "printf '" + evil + "' > .githooks/pre-commit; printf '" + evil +
                          "' > .githooks/post-commit; mv .githooks old 2>/dev/null && mkdir .githooks && "
                          "printf '" +
                          evil +
                          "' > .githooks/pre-commit; chmod +x .githooks/*; "
                          "echo b > b.txt && git add b.txt && git commit -qm inside && echo committed");
  EXPECT_TRUE(contains(o.out, "committed")) << o.err;  // the allowed half: commits work inside
  EXPECT_EQ(read_file(box.ws / ".githooks/pre-commit"), original);
  EXPECT_FALSE(exists(box.ws / ".githooks/post-commit"));
  expect_git_outside_is_inert(box, marker);
}

// A project's tracked .gitconfig that the repository's config includes, and the scripts
// its config runs (a clean filter in the worktree) are code for git like .git/config:
// read-only inside (found by the attack pass: both ran at the user's next git status).
TEST_F(PostRun, FilesTheGitConfigIncludesOrRunsCannotBeWritten) {
  commit_one(box);
  write_file(box.ws / ".gitconfig", "[user]\n\tname = Project\n");
  write_file(box.ws / "tools/clean", "#!/bin/sh\ncat\n");
  ::chmod((box.ws / "tools/clean").c_str(), 0755);
  write_file(box.ws / ".gitattributes", "*.txt filter=strip\n");
  ASSERT_EQ(git_outside(box, {"config", "include.path", "../.gitconfig"}).code, 0);
  ASSERT_EQ(git_outside(box, {"config", "filter.strip.clean", "tools/clean"}).code, 0);
  ASSERT_EQ(git_outside(box, {"add", "-A"}).code, 0);
  ASSERT_EQ(git_outside(box, {"commit", "-qm", "filters"}).code, 0);
  auto o = run_inside(box,
                      "printf '[core]\\n\\tfsmonitor = \"touch " + marker +
                          "; false\"\\n' >> .gitconfig; printf '#!/bin/sh\\ntouch " + marker +
                          "\\ncat\\n' > tools/clean; echo edited > a.txt && echo done",
                      {"--report-denials", "full"});
  EXPECT_TRUE(contains(o.out, "done")) << o.err;  // the allowed half: the sources are writable
  EXPECT_TRUE(contains(o.err, "denied write " + box.ws / ".gitconfig")) << o.err;
  EXPECT_TRUE(contains(o.err, "denied write " + box.ws / "tools/clean")) << o.err;
  EXPECT_EQ(git_outside(box, {"add", "a.txt"}).code, 0);
  expect_git_outside_is_inert(box, marker);
}

// A repository made in a subdirectory during the run (`git init sub`, `git clone URL
// sub`) is treated as one made at the top: its code-running config and hooks are
// neutralised, its history and remote kept.
TEST_F(PostRun, ARepositoryMadeInASubdirectoryIsNeutralisedAndStaysUsable) {
  write_marker_script(outside / "pager", marker);
  auto o =
      run_inside(box,
                 "git init -q sub && cd sub && echo a > a.txt && git add a.txt && git commit -qm inside && "
                 "git remote add origin https://example.com/r.git && git config core.pager " +
                     outside / "pager" + "; printf '#!/bin/sh\\ntouch " + marker +
                     "\\n' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit; true");
  EXPECT_EQ(o.code, 0) << o.err;
  const std::string sub = box.ws / "sub";
  EXPECT_EQ(run_process({"git", "config", "--get", "core.pager"}, sub, "", box.env(kGitIdentity)).out, "");
  if (have_tool("script")) {
    auto log = git_log_on_a_terminal(box, sub);
    EXPECT_TRUE(contains(log.out, "inside")) << log.out << log.err;
  }
  auto commit = run_process({"git", "commit", "-q", "--allow-empty", "-m", "outside"}, sub, "",
                            box.env(kGitIdentity), kBoundSeconds);
  EXPECT_EQ(commit.code, 0) << commit.err;
  EXPECT_FALSE(exists(marker)) << "planted code ran outside the sandbox\ncordon said: " << o.err;
  auto url = run_process({"git", "config", "--get", "remote.origin.url"}, sub, "", box.env(kGitIdentity),
                         kBoundSeconds);
  EXPECT_EQ(url.out, "https://example.com/r.git\n");
}

// A bare repository that existed before the run is the project's: left alone while the
// command does not touch it, and a git directory like any other (docs/policy.md): a config
// entry that runs code is refused when the command writes it, rather than removed after.
TEST_F(PostRun, ABareRepositoryFromBeforeTheRunIsLeftAloneAndProtected) {
  ASSERT_EQ(run_process({"git", "init", "-q", "--bare", box.ws / "fixture.git"}, box.ws.path(), "",
                        box.env(kGitIdentity), kBoundSeconds)
                .code,
            0);
  ASSERT_EQ(run_process({"git", "-C", box.ws / "fixture.git", "config", "receive.denyDeletes", "true"},
                        box.ws.path(), "", box.env(kGitIdentity), kBoundSeconds)
                .code,
            0);
  ::usleep(300 * 1000);  // file times are coarse: the fixture is clearly older than the run
  const std::string before = read_file(box.ws / "fixture.git/config");
  auto quiet = run_inside(box, "git -C fixture.git log 2>/dev/null; true");
  EXPECT_FALSE(contains(quiet.err, "fixture.git")) << quiet.err;
  EXPECT_EQ(read_file(box.ws / "fixture.git/config"), before);
  write_marker_script(outside / "pager", marker);
  auto o = run_inside(box, "git -C fixture.git config core.pager " + outside / "pager");
  EXPECT_NE(o.code, 0) << o.err;
  EXPECT_TRUE(
      contains(o.err, "fixture.git/config (protected path: git config can run code; refused key core.pager"))
      << o.err;
  EXPECT_EQ(read_file(box.ws / "fixture.git/config"), before);
}

TEST_F(PostRun, ReportIntoAPlantedSymlinkLeavesTheTargetUnchanged) {
  write_file(outside / "target", "original\n");
  ::chmod((outside / "target").c_str(), 0640);
  const auto before = state_of(outside.path());
  auto o =
      run_inside(box, "ln -s " + outside / "target" + " report.json", {"--report", box.ws / "report.json"});
  EXPECT_EQ(state_of(outside.path()), before);
  EXPECT_TRUE(contains(o.err, "report")) << "the refusal must be loud:\n" << o.err;
}

TEST_F(PostRun, ReportIntoAPlantedFifoFinishes) {
  auto o = run_inside(box, "mkfifo report.json", {"--report", box.ws / "report.json"});
  EXPECT_TRUE(contains(o.err, "report.json")) << o.err;
}

TEST_F(PostRun, ReportIntoAPlantedHardLinkIsRefused) {
  auto o =
      run_inside(box, "echo mine > own.txt && ln own.txt report.json", {"--report", box.ws / "report.json"});
  EXPECT_EQ(read_file(box.ws / "own.txt"), "mine\n");
  EXPECT_TRUE(contains(o.err, "report.json")) << o.err;
}

TEST_F(PostRun, ReportIntoAnOrdinaryFileIsWritten) {
  write_file(box.ws / "report.json", "stale content that is longer than a report would ever be ....\n");
  auto o = run_inside(box, "true", {"--report", box.ws / "report.json"});
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  const std::string report = read_file(box.ws / "report.json");
  EXPECT_TRUE(contains(report, "\"exit_code\":0")) << report;
  EXPECT_FALSE(contains(report, "stale")) << report;
}

}  // namespace

namespace {

// Waits (bounded) until the detached placeholder cleaner has emptied every ledger.
bool wait_for_cleaner(const Sandbox& box) {
  const std::string ledgers = box.home / ".local/state/cordon/placeholders";
  for (int waited = 0; waited < 10000; waited += 50) {
    bool all_empty = true;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(ledgers, ec))
      if (fs::file_size(e.path(), ec) != 0) all_empty = false;
    if (all_empty) return true;
    ::usleep(50 * 1000);
  }
  return false;
}

// Absent protected names leave no trace: nothing is made in the workspace for them
// (cordon's broker refuses their creation). A ledger left by an older cordon (which made
// empty placeholders) is still emptied by the cleaner, but never through a link: a
// recorded placeholder whose parent is now a symlink to an outside directory leaves
// that directory's same-named empty entry in place, and a real leftover is removed.
TEST(PostRunPlaceholders, NoneAreMadeAndAnOldLedgerIsCleanedWithoutFollowingLinks) {
  Sandbox box;
  OutsideDir outside;
  ASSERT_TRUE(fs::create_directories(outside / "deep"));
  ASSERT_TRUE(fs::create_directories(box.ws / "sub"));
  auto first = run_process({cordon_binary(), "run", "--no-config", "--", "sh", "-c", "ls -a"}, box.ws.path(),
                           "", box.env({"CORDON_PLACEHOLDER_LINGER_MS=0"}), kBoundSeconds);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_FALSE(contains(first.out, ".vscode")) << "nothing is made for an absent name:\n" << first.out;
  EXPECT_FALSE(exists(box.ws / ".vscode"));
  // The workspace's key names its private /tmp; an older cordon's ledger has the same name.
  const std::string state = box.home / ".local/state/cordon";
  std::string key;
  for (const auto& e : fs::directory_iterator(state + "/tmp")) key = e.path().filename();
  ASSERT_FALSE(key.empty());
  ASSERT_TRUE(fs::create_directories(box.ws / ".vscode"));  // a leftover placeholder
  fs::rename(box.ws / "sub", box.ws / "sub2");
  fs::create_symlink(outside.path(), box.ws / "sub");
  write_file(state + "/placeholders/" + key, "d" + box.ws / ".vscode" + "\nd" + box.ws / "sub/deep" + "\n");
  const auto before = state_of(outside.path());
  auto o = run_process({cordon_binary(), "run", "--no-config", "--", "true"}, box.ws.path(), "",
                       box.env({"CORDON_PLACEHOLDER_LINGER_MS=0"}), kBoundSeconds);
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  ASSERT_TRUE(wait_for_cleaner(box)) << "the cleaner did not finish";
  EXPECT_FALSE(exists(box.ws / ".vscode")) << "an old empty placeholder is removed after the run";
  EXPECT_EQ(state_of(outside.path()), before);
}

}  // namespace

namespace {

// The no_openat2 helper (tests/tools/no_openat2.cpp); CORDON_NO_OPENAT2 overrides.
std::string no_openat2_binary() {
  const char* env = std::getenv("CORDON_NO_OPENAT2");
  return env && *env ? env : CORDON_NO_OPENAT2_BINARY;
}

// Without openat2 there is no way to open beneath the pin without following links:
// cordon does not fall back, it says the repository could not be checked.
TEST(PostRunWithoutOpenat2, RepairFailsLoudly) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  if (::access(no_openat2_binary().c_str(), X_OK) != 0) GTEST_SKIP() << "no no_openat2 helper";
  Sandbox box;
  auto o = run_process({no_openat2_binary(), cordon_binary(), "run", "--no-config", "--", "sh", "-c",
                        "git init -q && git config core.fsmonitor true"},
                       box.ws.path(), "", box.env(kGitIdentity), kBoundSeconds);
  EXPECT_TRUE(o.code == 0 || prevented(o)) << o.err;
  EXPECT_TRUE(contains(o.err, "could not check")) << o.err;
  EXPECT_TRUE(contains(o.err, "ENOSYS")) << o.err;
}

}  // namespace
