// Issue 12, principles 3 and 4, checked from outside with the real binary:
//  - cordon's state is invisible inside: a run in one workspace cannot read what a run
//    in another left in its private /tmp, nor cordon's locks and ledgers, by any path;
//    the same workspace's next run still sees its own /tmp;
//  - the kernel's settings are read-only inside even without Landlock (the no_landlock
//    helper makes landlock_create_ruleset fail with ENOSYS): /proc/sys can be read but
//    not opened for writing. Nothing is ever written to /proc/sys: the test only opens
//    (O_WRONLY, no O_TRUNC) and closes, inside the sandbox's namespaces.
#include <dirent.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

std::string no_landlock_binary() {
  const char* env = std::getenv("CORDON_NO_LANDLOCK");
  return env && *env ? env : CORDON_NO_LANDLOCK_BINARY;
}

std::string basename_of(const std::string& p) {
  return p.substr(p.rfind('/') + 1);
}

// The entry of `dir` whose name starts with `prefix` ("" when none).
// The one entry of `dir` whose name ends with `suffix` and is not in `except` ("" if none,
// or more than one).
std::string sole_entry(const std::string& dir, const std::string& suffix = "",
                       const std::vector<std::string>& except = {}) {
  std::error_code ec;
  std::string found;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    if (std::find(except.begin(), except.end(), e.path().string()) != except.end()) continue;
    if (!found.empty()) return "";
    found = e.path().string();
  }
  return found;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Two workspaces sharing one fake home, so both runs use the same state directory.
struct TwoWorkspaces {
  TempDir ws1, ws2;
  OutsideDir home;
  std::string state() const { return home.path() + "/.local/state/cordon"; }
  std::vector<std::string> env() const { return fake_home_env(home.path()); }
};

// The attacker's script, run in workspace 2: every path to workspace 1's marker and
// records is tried; what it read goes to got.txt, each exit status to rc.txt. Paths are
// double-quoted so that "$TMPDIR/..." expands (the test's own paths hold no $ or ").
std::string attack_script(const std::vector<std::string>& files, const std::vector<std::string>& dirs) {
  std::string s = ": > got.txt; : > rc.txt; ";
  for (const auto& f : files)
    s += "cat \"" + f + "\" >> got.txt 2>/dev/null; echo \"$? " + f + "\" >> rc.txt; ";
  for (const auto& d : dirs)
    s += "ls -a \"" + d + "\" >> got.txt 2>/dev/null; echo \"$? " + d + "\" >> rc.txt; ";
  return s;
}

// Every attempt in rc.txt failed (non-zero status), and there were `expected` of them.
void expect_all_failed(const std::string& rc_text, size_t expected) {
  auto lines = lines_of(rc_text);
  EXPECT_EQ(lines.size(), expected) << rc_text;
  for (const auto& l : lines) EXPECT_NE(l.rfind("0 ", 0), 0u) << "succeeded: " << l;
}

// What run A left in the state directory, found from outside: its private /tmp (the only one
// so far; its name a keyed hash, not the project's) holding the marker it wrote, its lock, and
// the record `cordon gc` reads later, which names workspace 1 in full.
struct RunAState {
  std::string tmp, file, lock, record;
};
void find_state_of_run_a(const TwoWorkspaces& box, const std::string& marker, RunAState* st) {
  st->tmp = sole_entry(box.state() + "/tmp");
  ASSERT_FALSE(st->tmp.empty());
  EXPECT_FALSE(contains(basename_of(st->tmp), basename_of(box.ws1.path()))) << st->tmp;
  st->file = st->tmp + "/secret-marker";
  ASSERT_EQ(read_file(st->file), marker + "\n");
  st->lock = sole_entry(box.state() + "/locks", ".lock");
  ASSERT_TRUE(exists(st->lock)) << st->lock;
  st->record = sole_entry(box.state() + "/workspaces");
  ASSERT_TRUE(contains(read_file(st->record), box.ws1.path())) << st->record;
}

}  // namespace

TEST(StateHidden, AnotherWorkspacesTmpAndCordonsRecordsAreUnreadable) {
  TwoWorkspaces box;
  write_file(box.home / "notes.txt", "fine");
  const std::string marker = unique_token("MARK-");
  auto a = cordon_sh(box.ws1.path(), "echo " + marker + " > /tmp/secret-marker", {}, "", box.env());
  ASSERT_EQ(a.code, 0) << a.err;
  RunAState st;
  ASSERT_NO_FATAL_FAILURE(find_state_of_run_a(box, marker, &st));
  const std::string &tmp1 = st.tmp, &a_file = st.file, &lock = st.lock, &record = st.record;

  std::string script =
      attack_script({"/tmp/secret-marker", a_file, "/proc/1/root" + a_file, "/proc/self/root" + a_file, lock,
                     "/proc/1/root" + lock, record, "/proc/1/root" + record},
                    {box.state(), box.state() + "/tmp", box.state() + "/locks", box.state() + "/placeholders",
                     box.state() + "/workspaces"});
  // The allowed half: its own /tmp and ordinary files outside work.
  script +=
      "echo b > /tmp/own && cat /tmp/own > own.txt; cat '" + box.home.path() + "/notes.txt' > notes.txt";
  auto b = cordon_sh(box.ws2.path(), script, {}, "", box.env());
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_FALSE(sole_entry(box.state() + "/tmp", "", {tmp1}).empty());  // B's own private /tmp
  const std::string got = read_file(box.ws2 / "got.txt");
  EXPECT_FALSE(contains(got, marker)) << got;
  EXPECT_FALSE(contains(got, basename_of(box.ws1.path()))) << got;
  expect_all_failed(read_file(box.ws2 / "rc.txt"), 13);
  EXPECT_EQ(read_file(box.ws2 / "own.txt"), "b\n");
  EXPECT_EQ(read_file(box.ws2 / "notes.txt"), "fine");

  // Workspace 1's next run still has its own /tmp: private, and it persists.
  auto a2 = cordon_sh(box.ws1.path(), "cat /tmp/secret-marker > seen.txt", {}, "", box.env());
  ASSERT_EQ(a2.code, 0) << a2.err;
  EXPECT_EQ(read_file(box.ws1 / "seen.txt"), marker + "\n");
}

TEST(StateHidden, WithoutUserNamespacesLandlockKeepsOtherWorkspacesUnreadable) {
  {
    TempDir probe;
    auto o =
        run_process({no_userns_binary(), cordon_binary(), "check", "--no-config", "--json"}, probe.path());
    if (contains(o.out, "\"landlock_abi\": 0")) GTEST_SKIP() << "Landlock is not available on this kernel";
  }
  TwoWorkspaces box;
  write_file(box.home / "notes.txt", "fine");
  auto run = [&](const std::string& cwd, const std::string& script) {
    return run_process({no_userns_binary(), cordon_binary(), "run", "--no-config", "--best-effort", "--json",
                        "--", "sh", "-c", script},
                       cwd, "", box.env());
  };
  const std::string marker = unique_token("MARK-");
  auto a = run(box.ws1.path(), "echo " + marker + " > \"$TMPDIR/secret-marker\"");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_TRUE(contains(a.err, "\"landlock-only\"") || contains(a.err, "cordon's state hidden")) << a.err;
  RunAState st;
  ASSERT_NO_FATAL_FAILURE(find_state_of_run_a(box, marker, &st));
  const std::string &tmp1 = st.tmp, &a_file = st.file, &lock = st.lock, &record = st.record;

  // No mount namespace: the host paths are the only paths. Names beneath the state
  // directory stay listable (Landlock cannot hide a name below a listable parent; the
  // guarantee says degraded), so only contents are checked here.
  std::string script = attack_script({a_file, "$TMPDIR/../" + basename_of(tmp1) + "/secret-marker",
                                      "/proc/self/root" + a_file, lock, record},
                                     {});
  script += "echo b > \"$TMPDIR/own\" && cat \"$TMPDIR/own\" > own.txt; cat '" + box.home.path() +
            "/notes.txt' > notes.txt";
  auto b = run(box.ws2.path(), script);
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_FALSE(contains(read_file(box.ws2 / "got.txt"), marker));
  EXPECT_FALSE(contains(read_file(box.ws2 / "got.txt"), box.ws1.path()));
  expect_all_failed(read_file(box.ws2 / "rc.txt"), 5);
  EXPECT_EQ(read_file(box.ws2 / "own.txt"), "b\n");
  EXPECT_EQ(read_file(box.ws2 / "notes.txt"), "fine");
  EXPECT_TRUE(contains(b.err, "cordon's state hidden")) << b.err;

  auto a2 = run(box.ws1.path(), "cat \"$TMPDIR/secret-marker\" > seen.txt");
  ASSERT_EQ(a2.code, 0) << a2.err;
  EXPECT_EQ(read_file(box.ws1 / "seen.txt"), marker + "\n");
}

namespace {

// The --json result: the last line of stderr.
nlohmann::json result_of(const Outcome& o) {
  std::string err = o.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  const auto nl = err.rfind('\n');
  return nlohmann::json::parse(nl == std::string::npos ? err : err.substr(nl + 1), nullptr, false);
}

std::string guarantee_field(const nlohmann::json& doc, const std::string& name, const char* field) {
  if (!doc.is_object() || !doc.contains("guarantees")) return "";
  for (const auto& g : doc["guarantees"])
    if (g.value("name", "") == name) return g.value(field, "");
  return "";
}

}  // namespace

TEST(KernelSettings, ProcSysIsReadOnlyWithoutLandlock) {
  Sandbox box;
  // Landlock really is off under the helper, as cordon itself sees it.
  auto check = run_process({no_landlock_binary(), cordon_binary(), "check", "--no-config", "--json"},
                           box.ws.path(), "", box.env());
  auto check_doc = nlohmann::json::parse(check.out, nullptr, false);
  ASSERT_FALSE(check_doc.is_discarded()) << check.out << check.err;
  ASSERT_EQ(check_doc["detail"].value("landlock_abi", -1), 0) << check.out;
  if (!check_doc["detail"].value("user_namespaces", false))
    GTEST_SKIP() << "user namespaces are unavailable here: the namespaces mode cannot run";
  EXPECT_EQ(guarantee_field(check_doc, "kernel settings read-only", "state"), "enforced") << check.out;

  // Only opens for writing (no O_TRUNC, no O_CREAT) and closes: never writes a value.
  const std::string script =
      "import os\n"
      "import ctypes\n"
      "out = open('result.txt', 'w')\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "abi = libc.syscall(444, None, 0, 1)  # landlock_create_ruleset(NULL, 0, VERSION)\n"
      "out.write('landlock=%d/%d\\n' % (abi, ctypes.get_errno()))\n"
      "out.write('read=' + open('/proc/sys/kernel/hostname').read().strip() + '\\n')\n"
      "try:\n"
      "    os.close(os.open('/proc/sys/kernel/hostname', os.O_WRONLY))\n"
      "    out.write('open=ok\\n')\n"
      "except OSError as e:\n"
      "    out.write('open=%d\\n' % e.errno)\n"
      "for p in ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs']:\n"
      "    if os.path.exists(p):\n"
      "        out.write('%s=%s\\n' % (p, 'ro' if os.statvfs(p).f_flag & os.ST_RDONLY else 'rw'))\n";
  write_file(box.ws / "probe.py", script);
  auto o = run_process(
      {no_landlock_binary(), cordon_binary(), "run", "--no-config", "--json", "--", "python3", "probe.py"},
      box.ws.path(), "", box.env());
  ASSERT_EQ(o.code, 0) << o.err;
  auto doc = result_of(o);
  ASSERT_FALSE(doc.is_discarded()) << o.err;
  // The run happened in the namespaces mode with Landlock off, and says so.
  EXPECT_EQ(doc.value("sandbox", ""), "namespaces") << doc.dump();
  EXPECT_EQ(guarantee_field(doc, "write confinement", "mechanism"), "read-only root bind") << doc.dump();
  EXPECT_EQ(guarantee_field(doc, "kernel settings read-only", "state"), "enforced") << doc.dump();

  const std::string result = read_file(box.ws / "result.txt");
  std::string host_name = read_file("/proc/sys/kernel/hostname");
  while (!host_name.empty() && host_name.back() == '\n') host_name.pop_back();
  EXPECT_TRUE(contains(result, "landlock=-1/38\n")) << result;          // ENOSYS inside too
  EXPECT_TRUE(contains(result, "read=" + host_name + "\n")) << result;  // reading works
  // As root (uid 0 mapped onto itself, sysctl checks by mode) only the read-only mount
  // stops the open: EROFS. Unprivileged, the mode refuses first (EACCES); the mount
  // flags below are what proves the binds then.
  EXPECT_TRUE(contains(result, is_root() ? "open=30\n" : "open=13\n")) << result;
  EXPECT_TRUE(contains(result, "/proc/sys=ro\n")) << result;
  if (exists("/proc/sysrq-trigger")) {  // absent without CONFIG_MAGIC_SYSRQ
    EXPECT_TRUE(contains(result, "/proc/sysrq-trigger=ro\n")) << result;
  }
  EXPECT_FALSE(contains(result, "=rw\n")) << result;
}

TEST(KernelSettings, LandlockOnlyModeRefusesWritesToProcSys) {
  {
    TempDir probe;
    auto o =
        run_process({no_userns_binary(), cordon_binary(), "check", "--no-config", "--json"}, probe.path());
    if (contains(o.out, "\"landlock_abi\": 0")) GTEST_SKIP() << "Landlock is not available on this kernel";
  }
  Sandbox box;
  auto o = run_process(
      {no_userns_binary(), cordon_binary(), "run", "--no-config", "--best-effort", "--", "python3", "-c",
       "import os\n"
       "open('read.txt', 'w').write(open('/proc/sys/kernel/hostname').read())\n"
       "try:\n"
       "    os.close(os.open('/proc/sys/kernel/hostname', os.O_WRONLY)); r = 'ok'\n"
       "except OSError as e:\n"
       "    r = str(e.errno)\n"
       "open('open.txt', 'w').write(r)\n"},
      box.ws.path(), "", box.env());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(box.ws / "read.txt"), read_file("/proc/sys/kernel/hostname"));
  EXPECT_EQ(read_file(box.ws / "open.txt"), "13");  // EACCES: Landlock (or the mode, unprivileged)
}
