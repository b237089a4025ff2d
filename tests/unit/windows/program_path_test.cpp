// resolve_program (plan/windows/program_path.hpp): a bare command name is looked up in
// the child's PATH only (F20 of the Windows review: SearchPathW used cordon's PATH, its
// directory and the workspace).
#include "plan/windows/program_path.hpp"

#include <gtest/gtest.h>

#include <set>

#include "plan/windows/win_path.hpp"

namespace cordon::win {
namespace {

struct Files {
  std::set<std::string> keys;
  explicit Files(std::initializer_list<std::string> paths) {
    for (const auto& p : paths) keys.insert(path_key(p));
  }
  bool operator()(const std::string& p) const { return keys.count(path_key(p)) > 0; }
};

const std::string kWs = "C:\\Users\\alice\\src\\ws";
const std::string kStubs = "C:\\Users\\alice\\AppData\\Local\\cordon\\denybin";

TEST(WinProgramPath, TheChildsStubsWinOverTheHostsProgram) {
  Files files{kStubs + "\\ssh.cmd", "C:\\Windows\\System32\\OpenSSH\\ssh.exe"};
  std::vector<std::string> env = {"Path=" + kStubs + ";C:\\Windows\\System32\\OpenSSH",
                                  "PATHEXT=.CMD;.BAT;.COM;.EXE;.VBS"};
  auto r = resolve_program("ssh", kWs, env, files);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(same_path(*r, kStubs + "\\ssh.cmd")) << *r;
}

TEST(WinProgramPath, NeverTheWorkspaceOrARelativePathEntry) {
  // git.exe planted in the workspace (the cwd) by an earlier run; "." on PATH.
  Files files{kWs + "\\git.exe", "C:\\Program Files\\Git\\cmd\\git.exe"};
  std::vector<std::string> env = {"PATH=.;bin;C:\\Program Files\\Git\\cmd"};
  auto r = resolve_program("git", kWs, env, files);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(same_path(*r, "C:\\Program Files\\Git\\cmd\\git.exe")) << *r;
  // Only in the workspace: refused rather than left to CreateProcess's own search.
  Files planted{kWs + "\\tool.exe"};
  auto none = resolve_program("tool", kWs, env, planted);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("PATH"), std::string::npos);
}

TEST(WinProgramPath, ExtensionsPathsAndQuotes) {
  Files files{"C:\\Tools\\a b\\node.exe", "C:\\Tools\\py.COM", "C:\\Tools\\run.vbs",
              kWs + "\\scripts\\x.cmd"};
  std::vector<std::string> env = {"PATH=\"C:\\Tools\\a b\";C:\\Tools", "PATHEXT=.COM;.EXE;.BAT;.CMD;.VBS"};
  auto node = resolve_program("node", kWs, env, files);
  ASSERT_TRUE(node);
  EXPECT_TRUE(same_path(*node, "C:\\Tools\\a b\\node.exe"));
  auto node_exe = resolve_program("NODE.EXE", kWs, env, files);
  ASSERT_TRUE(node_exe);
  EXPECT_TRUE(same_path(*node_exe, "C:\\Tools\\a b\\node.exe"));
  auto py = resolve_program("py", kWs, env, files);
  ASSERT_TRUE(py);
  EXPECT_TRUE(same_path(*py, "C:\\Tools\\py.COM"));
  EXPECT_FALSE(resolve_program("run", kWs, env, files)) << ".vbs cannot be started by CreateProcess";
  // A path is the user's choice, relative to the command's cwd, not cordon's.
  auto rel = resolve_program("scripts\\x", kWs, env, files);
  ASSERT_TRUE(rel);
  EXPECT_TRUE(same_path(*rel, kWs + "\\scripts\\x.cmd")) << *rel;
  auto abs = resolve_program("C:\\Tools\\py.com", kWs, env, files);
  ASSERT_TRUE(abs);
  EXPECT_TRUE(same_path(*abs, "C:\\Tools\\py.com"));
  EXPECT_FALSE(resolve_program("", kWs, env, files));
  // Rooted on the current drive (or a Unix path under Wine): passed on unchanged.
  auto rooted = resolve_program("/opt/tool.exe", kWs, env, files);
  ASSERT_TRUE(rooted);
  EXPECT_EQ(*rooted, "/opt/tool.exe");
}

}  // namespace
}  // namespace cordon::win
