// `cordon gc` (platform/linux/state_gc.hpp): the private /tmp of a deleted or unused
// workspace is removed, a live or running one kept, and what a command planted in its
// private /tmp (links to the outside, a FIFO, a deep tree, a directory without
// permissions, a mount point) never makes the gc act outside it. Real runs, checked
// from outside.
#include <sched.h>
#include <sys/mount.h>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

// A fake home whose state directory is the one every run and gc of the test uses.
struct GcHome {
  OutsideDir home;
  std::vector<std::string> env() const { return fake_home_env(home.path()); }
  std::string state() const { return home / ".local/state/cordon"; }
  Outcome run(const std::string& ws, const std::string& script) const {
    return cordon_sh(ws, script, {}, "", env());
  }
  Outcome gc(std::vector<std::string> args = {}) const {
    args.insert(args.begin(), {cordon_binary(), "gc"});
    return run_process(args, home.path(), "", env());
  }
  // The private /tmp on the host that holds `marker` (written there by a run), or "".
  std::string private_tmp_with(const std::string& marker) const {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(state() + "/tmp", ec))
      if (exists(e.path().string() + "/" + marker)) return e.path().string();
    return "";
  }
};

}  // namespace

// A deleted workspace's private /tmp (and its record) goes; a live one's stays with
// its contents. --dry-run and --list change nothing.
TEST(StateGc, RemovesTheStateOfADeletedWorkspaceAndKeepsALiveOne) {
  GcHome h;
  auto gone = std::make_unique<TempDir>();
  TempDir live;
  const std::string gone_path = gone->path();
  ASSERT_EQ(h.run(gone->path(), "echo a > /tmp/gone-marker").code, 0);
  ASSERT_EQ(h.run(live.path(), "echo b > /tmp/live-marker").code, 0);
  const std::string gone_tmp = h.private_tmp_with("gone-marker");
  const std::string live_tmp = h.private_tmp_with("live-marker");
  ASSERT_FALSE(gone_tmp.empty());
  ASSERT_FALSE(live_tmp.empty());
  const std::string key = fs::path(gone_tmp).filename().string();
  ASSERT_TRUE(exists(h.state() + "/workspaces/" + key)) << "no record of the workspace";
  gone.reset();  // the workspace is deleted

  auto dry = h.gc({"--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.out << dry.err;
  EXPECT_TRUE(contains(dry.out, "would remove " + gone_path)) << dry.out;
  EXPECT_TRUE(contains(dry.out, "no longer exists")) << dry.out;
  EXPECT_TRUE(exists(gone_tmp + "/gone-marker")) << "--dry-run removed something";
  auto list = h.gc({"--list"});
  EXPECT_TRUE(contains(list.out, "kept " + live.path())) << list.out;
  EXPECT_TRUE(exists(gone_tmp + "/gone-marker")) << "--list removed something";

  auto o = h.gc();
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "removed " + gone_path)) << o.out;
  EXPECT_FALSE(exists(gone_tmp)) << o.out;
  EXPECT_FALSE(exists(h.state() + "/workspaces/" + key));
  EXPECT_FALSE(exists(h.state() + "/locks/" + key + ".lock"));
  EXPECT_EQ(read_file(live_tmp + "/live-marker"), "b\n") << "the live workspace's private /tmp was touched";
  EXPECT_TRUE(fs::is_empty(h.state() + "/trash"));
  // The live workspace runs on with its /tmp; a second gc has nothing to do.
  EXPECT_EQ(h.run(live.path(), "cat /tmp/live-marker").out, "b\n");
  auto again = h.gc();
  EXPECT_EQ(again.code, 0);
  EXPECT_TRUE(contains(again.out, "removed 0")) << again.out;
}

// A run in progress holds its workspace's lock: even --older-than 0s (every workspace
// due) leaves its private /tmp, and takes it once the run has ended.
TEST(StateGc, KeepsThePrivateTmpOfARunInProgress) {
  GcHome h;
  TempDir ws;
  const pid_t run = spawn_detached(
      {cordon_binary(), "run", "--no-config", "--", "sh", "-c",
       "echo x > /tmp/running-marker; i=0; while [ ! -e stop ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); "
       "done"},
      ws.path(), h.env());
  ASSERT_GT(run, 0);
  std::string tmp;
  for (int i = 0; i < 300 && tmp.empty(); ++i, ::usleep(50 * 1000))
    tmp = h.private_tmp_with("running-marker");
  ASSERT_FALSE(tmp.empty()) << "the run did not start";
  auto o = h.gc({"--older-than", "0s"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "in use by a running cordon")) << o.out;
  EXPECT_TRUE(exists(tmp + "/running-marker"))
      << "gc removed the private /tmp of a running sandbox: " << o.out;
  write_file(ws / "stop", "");
  int status = 0;
  for (int i = 0; i < 600 && ::waitpid(run, &status, WNOHANG) == 0; ++i) ::usleep(50 * 1000);
  if (::waitpid(run, &status, WNOHANG) == 0) {
    ::kill(run, SIGKILL);
    ::waitpid(run, &status, 0);
    FAIL() << "the run did not end";
  }
  auto after = h.gc({"--older-than", "0s"});
  EXPECT_EQ(after.code, 0) << after.out << after.err;
  EXPECT_FALSE(exists(tmp)) << after.out;
  // The next run gets a fresh private /tmp.
  EXPECT_EQ(h.run(ws.path(), "ls -A /tmp; echo ok").out, "ok\n");
}

// What a command leaves in its private /tmp is hostile: links to an outside directory
// and file, a hard link, a FIFO (a gc that opened it would block), a tree deeper than
// the gc holds descriptors for, directories without permissions. The gc removes it all
// and the outside stays as it was.
TEST(StateGc, PlantedLinksFifosDeepTreesAndLockedDirectoriesLeaveTheOutsideUntouched) {
  GcHome h;
  OutsideDir outside;
  write_file(outside / "keep.txt", "precious\n");
  write_file(outside / "sub/inner.txt", "also\n");
  const auto before = snapshot(outside.path());
  auto ws = std::make_unique<TempDir>();
  std::string deep = "/tmp/deep";
  for (int i = 0; i < 150; ++i) deep += "/d";
  const std::string o_path = sh_quote(outside.path());
  const std::string script =
      "set -e; cd /tmp; echo m > marker; "
      "ln -s " +
      o_path + " link-to-dir; ln -s " + o_path +
      "/keep.txt link-to-file; "
      "mkdir nest; ln -s " +
      o_path +
      " nest/link; ln -s / rootlink; "
      "ln " +
      o_path +
      "/keep.txt hardlink 2>/dev/null || true; "
      "mkfifo fifo nest/fifo; "
      "mkdir -p " +
      deep + " && ln -s " + o_path + " " + deep + "/link && echo z > " + deep +
      "/file; "
      "mkdir locked && echo s > locked/f && mkdir locked/sub && chmod 000 locked/sub locked; "
      "mkdir readonly && echo r > readonly/f && chmod 500 readonly; "
      "mkdir sticky && echo t > sticky/f && chmod 1700 sticky";
  auto r = h.run(ws->path(), script);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string tmp = h.private_tmp_with("marker");
  ASSERT_FALSE(tmp.empty());
  ws.reset();
  auto o = h.gc();
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_FALSE(exists(tmp)) << o.out;
  EXPECT_EQ(snapshot(outside.path()), before)
      << "the gc changed a directory outside the private /tmp: " << o.out;
  struct stat st {};
  ASSERT_EQ(::stat((outside / "keep.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u) << "the mode of an outside file changed";
  EXPECT_TRUE(fs::is_empty(h.state() + "/trash")) << "left in trash: " << o.out;
}

// A mount point in a private /tmp (here a bind mount of an outside directory, made in a
// mount namespace of the test's own, where the gc then runs): the gc does not descend
// into it, says so, and fails; the outside directory keeps every file. Once the mount
// is gone (the namespace ended), the next gc removes what was left.
TEST(StateGc, AMountPointInAPrivateTmpIsNotDescendedInto) {
  GcHome h;
  OutsideDir outside;
  write_file(outside / "keep.txt", "precious\n");
  const auto before = snapshot(outside.path());
  auto ws = std::make_unique<TempDir>();
  ASSERT_EQ(h.run(ws->path(), "mkdir -p /tmp/sub/mnt && echo m > /tmp/marker").code, 0);
  const std::string tmp = h.private_tmp_with("marker");
  ASSERT_FALSE(tmp.empty());
  ws.reset();
  const std::string out_file = h.home / "gc.out";
  const std::vector<std::string> env = h.env();  // putenv keeps the pointers
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    auto say = [&](char c) {
      (void)!::write(ready[1], &c, 1);
      ::_exit(c == 'k' ? 0 : 120);
    };
    if (uid != 0) {
      // Unprivileged: a user namespace of our own maps us to root in it.
      if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) say('u');
      write_file("/proc/self/setgroups", "deny");
      write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
      write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
    } else if (::unshare(CLONE_NEWNS) != 0) {
      say('u');
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) say('m');
    if (::mount(outside.path().c_str(), (tmp + "/sub/mnt").c_str(), nullptr, MS_BIND, nullptr) != 0) say('m');
    char ok = 'k';
    (void)!::write(ready[1], &ok, 1);
    const int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1), ::dup2(fd, 2);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    const std::string bin = cordon_binary();
    ::execl(bin.c_str(), bin.c_str(), "gc", static_cast<char*>(nullptr));
    ::_exit(121);
  }
  ::close(ready[1]);
  char c = 0;
  const bool started = ::read(ready[0], &c, 1) == 1 && c == 'k';
  ::close(ready[0]);
  int status = 0;
  for (int i = 0; i < 1200 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) ::usleep(50 * 1000);
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  if (!started)
    GTEST_SKIP() << "cannot make a mount namespace here (" << (c == 'u' ? "unshare" : "mount")
                 << " refused): the mount-point case is not tested";
  const std::string said = read_file(out_file);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 1) << "a mount point must fail the gc: " << said;
  EXPECT_TRUE(contains(said, "a mount point")) << said;
  EXPECT_TRUE(contains(said, "FAILED")) << said;
  EXPECT_EQ(snapshot(outside.path()), before) << "the gc removed files through a mount point: " << said;
  // The namespace (and its mount) ended with the gc: what was left goes now.
  auto o = h.gc();
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(fs::is_empty(h.state() + "/trash")) << o.out;
  EXPECT_FALSE(exists(tmp));
  EXPECT_EQ(snapshot(outside.path()), before);
}

// Bad input changes nothing.
TEST(StateGc, AnInvalidAgeIsRefusedAndChangesNothing) {
  GcHome h;
  auto ws = std::make_unique<TempDir>();
  ASSERT_EQ(h.run(ws->path(), "echo m > /tmp/marker").code, 0);
  const std::string tmp = h.private_tmp_with("marker");
  ws.reset();
  auto o = h.gc({"--older-than", "5x"});
  EXPECT_NE(o.code, 0);
  EXPECT_TRUE(contains(o.err, "invalid duration")) << o.err;
  EXPECT_TRUE(exists(tmp + "/marker"));
}
