// cordon with user namespaces refused by a parent seccomp filter (as Docker's
// default profile does): what still holds, and that cordon refuses what it cannot
// guarantee unless --best-effort is given. Real kernel, real refusal: the
// no_userns helper installs the filter and execs cordon under it.
#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

Outcome cordon_no_userns(const std::string& cwd, const std::string& script,
                         std::vector<std::string> opts = {}, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {no_userns_binary(), cordon_binary(), "run", "--no-config"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return run_process(argv, cwd, "", env);
}

bool landlock_available() {
  TempDir ws;
  auto o = run_process({no_userns_binary(), cordon_binary(), "check", "--no-config", "--json"}, ws.path());
  return o.out.find("\"landlock_abi\": 0") == std::string::npos;
}

}  // namespace

TEST(NoUserns, RefusesWithoutBestEffortAndNamesTheLosses) {
  TempDir ws;
  auto o = cordon_no_userns(ws.path(), "touch ran");
  EXPECT_EQ(o.code, 125) << o.err;
  EXPECT_FALSE(exists(ws / "ran"));
  EXPECT_NE(o.err.find("protected paths"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("--best-effort"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("seccomp filter"), std::string::npos) << o.err;  // the fix names the real cause
}

TEST(NoUserns, CheckReportsLandlockOnlyGuarantees) {
  TempDir ws;
  auto o = run_process({no_userns_binary(), cordon_binary(), "check", "--no-config"}, ws.path());
  EXPECT_EQ(o.code, 1);  // not every guarantee holds
  EXPECT_NE(o.out.find("user namespaces unavailable"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("protected paths"), std::string::npos);
}

TEST(NoUserns, BestEffortStillConfinesWritesSecretsAndNetwork) {
  if (!landlock_available()) GTEST_SKIP() << "Landlock is not available on this kernel";
  TempDir ws, outside, home;
  write_file(home / ".ssh/id_rsa", "SECRET");
  write_file(home / "notes.txt", "fine");
  std::string script =
      "echo in > inside.txt; "
      "echo out > " +
      outside.path() +
      "/escape.txt; "
      "cat " +
      home.path() +
      "/.ssh/id_rsa > leaked.txt; "
      "cat " +
      home.path() +
      "/notes.txt > notes_copy.txt; "
      "echo tmp > \"$TMPDIR/t\" && cat \"$TMPDIR/t\" > tmp_ok.txt; "
      "python3 -c 'import socket; socket.socket(socket.AF_INET)' 2>/dev/null && touch net_ok.txt; "
      "exit 0";
  auto o = cordon_no_userns(ws.path(), script, {"--best-effort"}, {"HOME=" + home.path()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(ws / "inside.txt"), "in\n");
  EXPECT_FALSE(exists(outside / "escape.txt"));
  EXPECT_EQ(read_file(ws / "leaked.txt"), "");
  EXPECT_EQ(read_file(ws / "notes_copy.txt"), "fine");
  EXPECT_EQ(read_file(ws / "tmp_ok.txt"), "tmp\n");
  EXPECT_FALSE(exists(ws / "net_ok.txt"));
  // The losses are stated, not hidden.
  EXPECT_NE(o.err.find("warning: protected paths not enforced"), std::string::npos) << o.err;
}

TEST(NoUserns, BestEffortKillsLeftoverProcesses) {
  if (!landlock_available()) GTEST_SKIP() << "Landlock is not available on this kernel";
  TempDir ws;
  auto o = cordon_no_userns(
      ws.path(), "setsid sh -c 'echo $$ > daemon.pid; exec sleep 30' & sleep 0.3; exit 0", {"--best-effort"});
  EXPECT_EQ(o.code, 0) << o.err;
  std::string pid_text = read_file(ws / "daemon.pid");
  ASSERT_FALSE(pid_text.empty());
  pid_t pid = std::stoi(pid_text);
  // Reaped by cordon (its child subreaper) before it exited.
  EXPECT_NE(::kill(pid, 0), 0) << "daemon " << pid << " outlived the command";
}

// Without namespaces nothing masks a denied path: Landlock alone grants the complement of
// each denial: every sibling of it and of each of its ancestors, each with the rights of
// its kind (landlock.cpp learns the kind from landlock_add_rule itself, not from fstat).
// Each kind is proved from outside the sandbox: a file beside the denial, an executable
// file, a directory and what lies deep below it, a link to that directory, and the files
// of the denied directory refused.
TEST(NoUserns, LandlockComplementGrantsEachSiblingByItsKind) {
  if (!landlock_available()) GTEST_SKIP() << "Landlock is not available on this kernel";
  TempDir ws, home;
  write_file(home / ".ssh/id_rsa", "SECRET");
  write_file(home / ".ssh/config", "ALSO-SECRET");
  write_file(home / "notes.txt", "fine");
  write_file(home / "deep/a/b/file.txt", "nested");
  write_file(home / "tool.sh", "#!/bin/sh\necho tool-ran\n");
  ::chmod((home / "tool.sh").c_str(), 0755);
  fs::create_directory_symlink("deep", home / "link");
  const std::string h = home.path();
  const std::string script =
      "H=" + h +
      "; cat $H/notes.txt > notes; cat $H/deep/a/b/file.txt > nested; ls $H/deep/a > listing; "
      "cat $H/link/a/b/file.txt > via_link; $H/tool.sh > tool; cat $H/.ssh/id_rsa > leaked; "
      "cat $H/.ssh/config > leaked2; exit 0";
  auto o = cordon_no_userns(ws.path(), script, {"--best-effort"}, {"HOME=" + h});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(ws / "notes"), "fine");
  EXPECT_EQ(read_file(ws / "nested"), "nested");
  EXPECT_EQ(read_file(ws / "listing"), "b\n");
  EXPECT_EQ(read_file(ws / "via_link"), "nested");
  EXPECT_EQ(read_file(ws / "tool"), "tool-ran\n");
  EXPECT_EQ(read_file(ws / "leaked"), "");
  EXPECT_EQ(read_file(ws / "leaked2"), "");
  EXPECT_NE(o.err.find("Permission denied"), std::string::npos) << o.err;
}
