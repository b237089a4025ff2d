// Holes found by attacking cordon's own machinery from inside real sandboxes (the
// config and state directories reached through /proc/self/cwd, a commondir planted in an
// existing repository, another run's placeholder cleaner, a Landlock-only leftover), each
// kept as a test of the guarantee that now holds, checked from outside.
#include <map>
#include <thread>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

bool python3_available() {
  return ::access("/usr/bin/python3", X_OK) == 0;
}

bool landlock_available() {
  TempDir ws;
  auto o = run_process({no_userns_binary(), cordon_binary(), "check", "--no-config", "--json"}, ws.path());
  return o.out.find("\"landlock_abi\": 0") == std::string::npos;
}

// Polls until `pred` holds or `ms` pass (bounded).
bool wait_for(const std::function<bool()>& pred, int ms) {
  for (int waited = 0; waited < ms; waited += 20) {
    if (pred()) return true;
    ::usleep(20000);
  }
  return pred();
}

}  // namespace

// The user config found through XDG_CONFIG_HOME must not be one the workspace ships
// (main.cpp build_policy). The check compares paths as text: /proc/self/cwd (a magic
// link to the directory cordon runs in, i.e. the checkout) reaches the same file, and a
// workspace-shipped config then widens the run to full access.
TEST(MachineryAttacks, UserConfigReachedThroughProcSelfCwdIsRefused) {
  TempDir ws;
  OutsideDir outside, home;
  ::chmod(ws.path().c_str(), 0777);
  ::chmod(outside.path().c_str(), 0777);
  write_file(ws / "cfg/cordon/config.toml", "mode = \"full-access\"\n");
  const std::string target = outside / "escaped.txt";
  auto o = run_process({cordon_binary(), "run", "--", "sh", "-c", "echo x > " + target}, ws.path(), "",
                       {"HOME=" + home.path(), "XDG_CONFIG_HOME=/proc/self/cwd/cfg",
                        "XDG_STATE_HOME=" + home.path() + "/.local/state"});
  // Control: the same file named by its real path is refused (see the second run).
  auto control = run_process({cordon_binary(), "run", "--", "sh", "-c", "echo x > " + target}, ws.path(), "",
                             {"HOME=" + home.path(), "XDG_CONFIG_HOME=" + ws.path() + "/cfg",
                              "XDG_STATE_HOME=" + home.path() + "/.local/state"});
  EXPECT_NE(control.code, 0) << control.err;
  EXPECT_FALSE(exists(target)) << "a workspace-shipped config reached through /proc/self/cwd widened the run "
                                  "to full access; cordon said: "
                               << o.err;
}

// cordon's state must not lie in a writable root (state.cpp prepare_state refuses one
// inside the workspace, comparing paths as text). XDG_STATE_HOME=/proc/self/cwd/st puts it
// in the workspace anyway. The state directory is masked inside, but its parent is not
// pinned: the command renames it away, writes a placeholder ledger of its own, and the
// cleaner (outside, with the user's rights) removes the empty file and directory it names.
TEST(MachineryAttacks, StateReachedThroughProcSelfCwdCannotDriveTheCleaner) {
  TempDir ws;
  OutsideDir victim, home;
  ::chmod(ws.path().c_str(), 0777);
  fs::create_directories(victim / "emptydir");
  write_file(victim / "empty.txt", "");
  const std::string script =
      "key=$(grep -o 'tmp/[^/ ]*-[0-9a-f]\\{16\\}' /proc/self/mountinfo | head -1 | sed 's/.*-//'); "
      "mv st st.old && mkdir -p st/cordon/placeholders st/cordon/locks && : > st/cordon/locks/$key.lock && "
      "printf 'd" +
      victim.path() + "/emptydir\\nf" + victim.path() + "/empty.txt\\n' > st/cordon/placeholders/$key";
  auto o = run_process(
      {cordon_binary(), "run", "--no-config", "--", "sh", "-c", script}, ws.path(), "",
      {"HOME=" + home.path(), "XDG_STATE_HOME=/proc/self/cwd/st", "CORDON_PLACEHOLDER_LINGER_MS=0"});
  // The cleaner is detached: give it a bounded moment.
  wait_for([&] { return !exists(victim / "empty.txt"); }, 2000);
  EXPECT_TRUE(exists(victim / "empty.txt")) << "cordon's cleaner removed a file outside every writable root, "
                                               "named by a ledger the command wrote; cordon said: "
                                            << o.err;
  EXPECT_TRUE(exists(victim / "emptydir"));
}

// An existing repository (default --git config-only): .git/hooks and .git/config are
// read-only, but .git itself stays writable and an absent .git/commondir is neither
// protected nor repaired after the run. The command writes one naming a directory it
// controls; git outside then takes its config (core.fsmonitor runs a command on the
// next `git status`) and hooks from there. Checked with `git config` (runs nothing).
TEST(MachineryAttacks, ExistingRepositoryCommondirCannotRedirectGitConfig) {
  if (!have_tool("git")) GTEST_SKIP() << "git is not installed";
  Sandbox s;
  ASSERT_EQ(run_process({"git", "init", "-q", s.ws.path()}, s.ws.path()).code, 0);
  const std::string script =
      "mkdir -p evil/hooks evil/refs evil/objects && cp -r .git/refs/. evil/refs/ && "
      "printf '[core]\\n\\trepositoryformatversion = 0\\n\\tfsmonitor = \"echo PWNED\"\\n' > evil/config && "
      "echo \"$PWD/evil\" > .git/commondir";
  auto o = s.sh(script);
  // Refused when made (cordon's creation broker: not on the git directory's allowlist),
  // or moved away after the run without it.
  EXPECT_TRUE(o.code == 0 || contains(o.err, "denied create " + s.ws.path() + "/.git/commondir")) << o.err;
  auto cfg = run_process({"git", "-C", s.ws.path(), "config", "--get", "core.fsmonitor"}, s.ws.path(), "",
                         {"GIT_CONFIG_NOSYSTEM=1", "HOME=" + s.home.path()});
  EXPECT_FALSE(contains(cfg.out, "PWNED"))
      << "git outside the sandbox now reads its config from a directory the command wrote: " << cfg.out
      << "\ncordon said: " << o.err;
}

// Once, a protected path's placeholder belonged to the run that made it, and another
// run's cleaner could remove it under a live sandbox (run B, --writable a, then made
// a/.vscode/tasks.json). Now nothing is made: while run A (workspace a) lives, a/.vscode
// stays absent, and B's sandbox cannot create it either.
TEST(MachineryAttacks, AnAbsentProtectedPathStaysAbsentWhileRunsOverlap) {
  TempDir parent;
  OutsideDir home;
  const std::string a = parent / "a", b = parent / "b";
  fs::create_directories(a);
  fs::create_directories(b);
  ::chmod(a.c_str(), 0777);
  ::chmod(b.c_str(), 0777);
  auto env = fake_home_env(home.path(), {"CORDON_PLACEHOLDER_LINGER_MS=0"});
  Outcome run_a;
  std::thread first([&] {
    run_a = run_process({cordon_binary(), "run", "--no-config", "--", "sleep", "2"}, a, "", env);
  });
  const bool appeared = wait_for([&] { return exists(a + "/.vscode"); }, 1000);
  const std::string script = "mkdir ../a/.vscode 2>/dev/null; echo '{}' > ../a/.vscode/tasks.json";
  auto run_b = run_process({cordon_binary(), "run", "--no-config", "--writable", a, "--", "sh", "-c", script},
                           b, "", env);
  first.join();
  EXPECT_EQ(run_a.code, 0) << run_a.err;
  EXPECT_FALSE(appeared) << "something was made in the workspace for an absent protected name";
  EXPECT_FALSE(exists(a + "/.vscode")) << "B said: " << run_b.err;
  EXPECT_TRUE(contains(run_b.err, "denied create " + a + "/.vscode")) << run_b.err;
}

// Without user namespaces (Landlock only, --best-effort) cordon reports "cleanup of
// leftover processes: ok": kill_leftovers() kills its direct children, one level of the
// tree per round, for at most 50 rounds. A chain of 70 nested processes keeps its deepest
// member alive after cordon has exited; the write-intent calls the supervisor traps fail
// then (ENOSYS), but chmod is not one of them, so the survivor undoes the post-run git
// repair ("hook disabled (execute permission removed)"). With --report-denials off there
// is no supervisor at all and the survivor writes anything in the workspace.
TEST(MachineryAttacks, LandlockOnlyLeftoverCannotUndoTheGitRepair) {
  if (!landlock_available()) GTEST_SKIP() << "Landlock is not available on this kernel";
  if (!python3_available()) GTEST_SKIP() << "needs /usr/bin/python3 for the process chain";
  TempDir ws;
  OutsideDir home;
  ::chmod(ws.path().c_str(), 0777);
  // Bounded: 70 processes, the deepest sleeps 3 s, makes one chmod and exits.
  write_file(ws / "deep.py",
             "import os, time, sys\n"
             "os.makedirs('.git/hooks', exist_ok=True)\n"
             "open('.git/HEAD', 'w').write('ref: refs/heads/main\\n')\n"
             "open('.git/hooks/pre-commit', 'w').write('#!/bin/sh\\necho HOOK-RAN\\n')\n"
             "os.chmod('.git/hooks/pre-commit', 0o755)\n"
             "if os.fork() > 0:\n"
             "    time.sleep(0.3); sys.exit(0)\n"
             "for depth in range(70):\n"
             "    pid = os.fork()\n"
             "    if pid > 0:\n"
             "        try: os.waitpid(pid, 0)\n"
             "        except Exception: pass\n"
             "        os._exit(0)\n"
             "time.sleep(3)\n"
             "os.chmod('.git/hooks/pre-commit', 0o755)\n"
             "os._exit(0)\n");
  ::chmod((ws / "deep.py").c_str(), 0644);
  // run_process returns at end of file on the pipes, i.e. after the survivor exits too.
  auto o = run_process({no_userns_binary(), cordon_binary(), "run", "--no-config", "--best-effort", "--",
                        "/usr/bin/python3", "deep.py"},
                       ws.path(), "", fake_home_env(home.path()));
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.err, "hook disabled")) << o.err;
  struct stat st {};
  ASSERT_EQ(::lstat((ws / ".git/hooks/pre-commit").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0111, 0u)
      << "cordon reported the hook disabled, yet it is executable again: a process "
         "of the sandbox outlived the run";
}

// cordon's own binaries inside a writable root (developing cordon with an agent: the
// build tree is the workspace; or a staged copy there). A command that replaced them ran
// outside the sandbox the next time cordon started, and at once as a `cordon mcp`
// server's next worker (started by path). They are read-only inside, like cordon's config:
// written, removed, renamed away or their directory renamed, they stay as they were,
// checked from outside by their bytes.
TEST(MachineryAttacks, OwnBinariesInsideTheWorkspaceCannotBeReplaced) {
  TempDir ws;
  const std::string bin = ws / "build";
  fs::create_directories(bin);
  const fs::path original = cordon_binary();
  std::vector<std::string> images = {"cordon"};
  fs::copy_file(original, bin + "/cordon");
  if (exists((original.parent_path() / "cordon-init").string())) {
    fs::copy_file(original.parent_path() / "cordon-init", bin + "/cordon-init");
    images.push_back("cordon-init");
  }
  std::map<std::string, std::string> before;
  for (const auto& name : images) {
    ::chmod((bin + "/" + name).c_str(), 0755);
    before[name] = read_file(bin + "/" + name);
    ASSERT_FALSE(before[name].empty()) << name;
  }
  const std::string script =
      "cd build; for f in cordon cordon-init; do printf pwn > $f; rm -f $f; printf '#!/bin/sh\\n' > $f; "
      "mv $f $f.old; ln -sf /bin/sh $f; done; cd ..; mv build build.old; mkdir -p build; "
      "printf pwn > build/cordon; printf pwn > build/cordon-init; echo done";
  auto o = run_process({bin + "/cordon", "run", "--no-config", "--", "sh", "-c", script}, ws.path());
  EXPECT_NE(o.out.find("done"), std::string::npos) << o.err;
  for (const auto& name : images) {
    struct stat st {};
    ASSERT_EQ(::lstat((bin + "/" + name).c_str(), &st), 0) << name;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
    EXPECT_TRUE(read_file(bin + "/" + name) == before[name]) << name << " was replaced; " << o.err;
  }
  // And the next run from there is still cordon: it confines a write outside.
  OutsideDir outside;
  auto next = run_process({bin + "/cordon", "run", "--no-config", "--", "sh", "-c",
                           "echo x > " + sh_quote(outside / "escaped") + " 2>/dev/null; true"},
                          ws.path());
  EXPECT_FALSE(exists(outside / "escaped")) << next.err;
}
