// The names the creation broker lets the command make or write in a git directory
// (core/git_layout.hpp): everyday git's data allowed, code, config and pointers refused.
#include "core/git_layout.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cordon {
namespace {

TEST(GitLayout, EverydayDataInAnExistingGitDirectoryIsAllowed) {
  for (const std::string rel :
       {"objects/ab",
        "objects/ab/cdef0123",
        "objects/pack/pack-1.pack",
        "objects/info/packs",
        "objects/info/commit-graph",
        "refs/heads/main",
        "refs/heads/main.lock",
        "refs/stash",
        "logs/HEAD",
        "logs/refs/heads/topic",
        "packed-refs",
        "packed-refs.lock",
        "packed-refs.new",
        "index",
        "index.lock",
        "index.stash.123",
        "next-index-42.lock",
        "sharedindex.0123",
        "HEAD",
        "HEAD.lock",
        "ORIG_HEAD",
        "FETCH_HEAD",
        "MERGE_HEAD",
        "MERGE_MSG",
        "MERGE_MODE",
        "MERGE_RR",
        "MERGE_RR.lock",
        "MERGE_AUTOSTASH",
        "CHERRY_PICK_HEAD",
        "REVERT_HEAD",
        "REBASE_HEAD",
        "AUTO_MERGE",
        "COMMIT_EDITMSG",
        "SQUASH_MSG",
        "TAG_EDITMSG",
        "BISECT_LOG",
        "BISECT_START",
        "BISECT_TERMS",
        "rebase-merge",
        "rebase-merge/git-rebase-todo",
        "rebase-apply/0001",
        "sequencer/todo",
        "rr-cache/ab/preimage",
        "shallow",
        "shallow.lock",
        "shallow_XyZ123",
        "info",
        "info/exclude",
        "info/sparse-checkout",
        "info/refs",
        "info/refs_Y40dgL",
        "lfs/objects/ab/cd",
        "gc.pid",
        "gc.log",
        "gc.log.lock",
        "config.lock",
        "config.worktree.lock",  // renamed over config.worktree only by the checked rename
        "worktrees/wt/config.worktree.lock",
        "worktrees",
        "worktrees/wt",
        "worktrees/wt/HEAD",
        "worktrees/wt/gitdir",
        "worktrees/wt/commondir",
        "worktrees/wt/index",
        "worktrees/wt/locked",
        "worktrees/wt/refs/bisect/bad",
        "worktrees/wt/logs/HEAD",
        "modules",
        "modules/lib",
        "modules/lib/HEAD",
        "modules/lib/config.lock",
        "modules/lib/hooks",
        "modules/lib/hooks/pre-commit.sample",
        "modules/lib/objects/ab/cd",
        "modules/a/b/refs/heads/main"})
    EXPECT_TRUE(git_layout::check_existing(rel).allowed) << rel;
}

TEST(GitLayout, CodeConfigPointersAndUnknownNamesAreRefusedInAnExistingGitDirectory) {
  for (const std::string rel : {"hooks",
                                "hooks/pre-commit",
                                "hooks/pre-commit.sample",
                                "config",
                                "config.worktree",
                                "commondir",
                                "commondir.lock",
                                "objects/info/alternates",
                                "objects/info/http-alternates",
                                "info/attributes",
                                "info/grafts",
                                "branches",
                                "branches/origin",
                                "remotes/origin",
                                "description",
                                "common/x",
                                "unknown",
                                "Hooks",
                                "HOOKS/pre-commit",
                                "Config",
                                "refs/../hooks/x",
                                "HEAD/../hooks",
                                ".",
                                "..",
                                "",
                                "worktrees/wt/config.worktree",
                                "worktrees/wt/hooks/x",
                                "modules/lib/hooks/pre-commit",
                                "modules/lib/config",
                                "modules/a/b/hooks/post-checkout",
                                "modules/lib/commondir",
                                "modules/lib/config.worktree",
                                "modules/lib/info/attributes",
                                "modules/lib/objects/info/alternates",
                                "modules/lib/HOOKS/x"})
    EXPECT_FALSE(git_layout::check_existing(rel).allowed) << rel;
  EXPECT_NE(git_layout::check_existing("hooks/pre-commit").reason.find("hooks"), std::string::npos);
  EXPECT_NE(git_layout::check_existing("commondir").reason.find("another git directory"), std::string::npos);
}

TEST(GitLayout, ARepositoryMadeDuringTheRunMayHoldOnlyInertNames) {
  for (const std::string rel :
       {"HEAD", "description", "branches", "hooks", "hooks/pre-commit.sample", "info/exclude", "config.lock",
        "objects/ab/cd", "refs/heads/main", "modules/x/HEAD", "worktrees/wt/commondir", "packed-refs",
        "config.worktree.lock", "worktrees/wt/config.worktree.lock"})
    EXPECT_TRUE(git_layout::check_new(rel).allowed) << rel;
  for (const std::string rel :
       {"config", "config.worktree", "hooks/pre-commit", "hooks/x/y", "commondir", "info/attributes",
        "objects/info/alternates", "modules/x/config", "modules/x/hooks/post-checkout", "a/b/hooks/pre-push",
        "HOOKS/pre-commit", "Config", "modules/x/commondir", "refs/heads/config", "../x"})
    EXPECT_FALSE(git_layout::check_new(rel).allowed) << rel;
}

TEST(GitLayout, DirectoriesMoveOnlyIntoDataParts) {
  EXPECT_TRUE(git_layout::directory_may_move_to("refs/heads/x"));
  EXPECT_TRUE(git_layout::directory_may_move_to("objects/ab"));
  EXPECT_FALSE(git_layout::directory_may_move_to("objects/info"));
  EXPECT_FALSE(git_layout::directory_may_move_to("refs"));
  EXPECT_FALSE(git_layout::directory_may_move_to("modules/x"));
  EXPECT_FALSE(git_layout::directory_may_move_to("worktrees/x"));
  EXPECT_FALSE(git_layout::directory_may_move_to("hooks"));
  EXPECT_TRUE(git_layout::is_dot_git(".git"));
  EXPECT_TRUE(git_layout::is_dot_git(".GIT"));
  EXPECT_FALSE(git_layout::is_dot_git("git"));
}

}  // namespace
}  // namespace cordon
