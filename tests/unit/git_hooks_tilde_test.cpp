// core.hooksPath, include.path and program paths written "~NAME/...": git expands them to
// NAME's home (interpolate_path), so cordon does, from /etc/passwd (found by the attack pass:
// "~NAME/x" was taken for a path relative to the worktree, and the hooks directory git uses
// was left writable).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plan/git_hooks_path.hpp"
#include "unit/fake_fs.hpp"

namespace {

using namespace cordon;

TEST(GitHooksTilde, ANamedUsersHomeIsExpandedAsGitDoes) {
  FakeFs fs;
  fs.file("/etc/passwd",
          "root:x:0:0:root:/root:/bin/bash\n"
          "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
          "broken-line-without-fields\n");
  fs.file("/home/u/proj/.git/config",
          "[core]\n\thooksPath = ~alice/proj/hooks\n"
          "[core]\n\thooksPath = ~root\n"
          "[include]\n\tpath = ~alice/extra.inc\n"
          "[core]\n\thooksPath = ~nobody-here/h\n");
  fs.file("/home/alice/extra.inc", "[core]\n\thooksPath = ~/from-include\n");
  const auto code = git_hooks::code_files(fs, {"/home/u/proj/.git", "/home/u/proj", "/home/u"});
  // An unknown user: git stops at the value, runs nothing from it (left as written).
  EXPECT_EQ(code.hooks_dirs,
            (std::vector<std::string>{"/home/alice/proj/hooks", "/root", "/home/u/from-include",
                                      "/home/u/proj/~nobody-here/h"}));
  EXPECT_EQ(code.includes, std::vector<std::string>{"/home/alice/extra.inc"});
}

}  // namespace
