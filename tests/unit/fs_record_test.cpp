// FsRecorder and FsRecord (plan/fs_record.hpp): every question a plan asks is recorded
// with its answer, and asking again sees any answer that changed, also one that was
// "absent" before. With the planner: a record holds exactly while a plan made again is
// the same plan (a new nested repository, a new protected name, a git config change).
#include "plan/fs_record.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "plan/linux_planner.hpp"
#include "plan/plan_digest.hpp"
#include "unit/fake_fs.hpp"

namespace cordon {
namespace {

FakeFs small_fs() {
  FakeFs fs;
  fs.dir("/w/src").file("/w/a.txt", "hello").link("/w/l", "/w/src");
  return fs;
}

// Asks one question of each kind.
void ask_all(const FsProbe& fs) {
  (void)fs.lkind("/w/none");
  (void)fs.kind("/w/l");
  (void)fs.list("/w");
  (void)fs.list_typed("/w");
  (void)fs.list_typed_upto("/w", 3);
  (void)fs.read_small("/w/a.txt", 3);
  (void)fs.realpath("/w/l");
}

TEST(FsRecord, EveryQuestionIsRecordedWithTheAnswerTheDiskGave) {
  const FakeFs disk = small_fs();
  FsRecorder rec(disk);
  EXPECT_EQ(rec.lkind("/w/none"), FileKind::Missing);
  EXPECT_EQ(rec.kind("/w/l"), FileKind::Dir);
  EXPECT_EQ(rec.list("/w"), disk.list("/w"));
  EXPECT_EQ(rec.list_typed("/w").size(), 3U);
  EXPECT_TRUE(rec.list_typed_upto("/w", 3).has_value());
  EXPECT_FALSE(rec.list_typed_upto("/w", 2).has_value());
  EXPECT_EQ(rec.read_small("/w/a.txt", 3), "hel");
  EXPECT_EQ(rec.realpath("/w/l"), "/w/src");
  // The same questions again are recorded once.
  ask_all(rec);
  const FsRecord record = rec.take();
  EXPECT_EQ(record.size(), 8U);  // seven kinds, list_typed_upto with two limits
  EXPECT_TRUE(record.sound());
  EXPECT_TRUE(record.holds(disk));
  // take() starts a new record.
  EXPECT_EQ(rec.take().size(), 0U);
}

TEST(FsRecord, EveryRecordedQuestionIsAskedAgain) {
  const FakeFs disk = small_fs();
  FsRecorder rec(disk);
  ask_all(rec);
  const FsRecord record = rec.take();
  const int before = disk.asked;
  EXPECT_TRUE(record.holds(disk));
  EXPECT_GE(disk.asked - before, 7);
}

// Each kind of question, each with a change on disk that changes only its answer.
TEST(FsRecord, AnyChangedAnswerIsSeen) {
  struct Case {
    const char* what;
    std::function<void(const FsProbe&)> ask;
    std::function<void(FakeFs&)> change;
  };
  const std::vector<Case> cases = {
      {"absent, now a directory (a new .git)", [](const FsProbe& f) { (void)f.lkind("/w/.git"); },
       [](FakeFs& f) { f.dir("/w/.git"); }},
      {"a directory, now absent", [](const FsProbe& f) { (void)f.lkind("/w/src"); },
       [](FakeFs& f) { f.remove("/w/src"); }},
      {"a link's target kind", [](const FsProbe& f) { (void)f.kind("/w/l"); },
       [](FakeFs& f) { f.remove("/w/src").file("/w/src"); }},
      {"a new name in a listing", [](const FsProbe& f) { (void)f.list("/w"); },
       [](FakeFs& f) { f.dir("/w/.vscode"); }},
      {"a name's kind in a typed listing", [](const FsProbe& f) { (void)f.list_typed("/w"); },
       [](FakeFs& f) { f.remove("/w/a.txt").dir("/w/a.txt"); }},
      {"a bounded listing grows past its bound", [](const FsProbe& f) { (void)f.list_typed_upto("/w", 3); },
       [](FakeFs& f) { f.file("/w/b.txt"); }},
      {"an unlisted directory appears", [](const FsProbe& f) { (void)f.list_typed("/w/new"); },
       [](FakeFs& f) { f.file("/w/new/HEAD"); }},
      {"a file's content", [](const FsProbe& f) { (void)f.read_small("/w/a.txt", 10); },
       [](FakeFs& f) { f.file("/w/a.txt", "[core]\n\thooksPath = x"); }},
      {"an absent file appears", [](const FsProbe& f) { (void)f.read_small("/w/.git", 10); },
       [](FakeFs& f) { f.file("/w/.git", "gitdir: /x"); }},
      {"a link's target", [](const FsProbe& f) { (void)f.realpath("/w/l"); },
       [](FakeFs& f) { f.link("/w/l", "/w"); }},
  };
  for (const auto& c : cases) {
    FakeFs disk = small_fs();
    FsRecorder rec(disk);
    c.ask(rec);
    const FsRecord record = rec.take();
    ASSERT_TRUE(record.holds(disk)) << c.what;
    c.change(disk);
    EXPECT_FALSE(record.holds(disk)) << c.what;
  }
}

// What the plan did not see does not matter: bytes past the limit it read.
TEST(FsRecord, OnlyWhatWasAskedMatters) {
  FakeFs disk = small_fs();
  FsRecorder rec(disk);
  (void)rec.read_small("/w/a.txt", 3);
  const FsRecord record = rec.take();
  disk.file("/w/a.txt", "hello, longer now");
  EXPECT_TRUE(record.holds(disk));
  disk.file("/w/a.txt", "halo");
  EXPECT_FALSE(record.holds(disk));
}

// The disk changed while the plan was made: one question, two answers. Never holds.
TEST(FsRecord, TwoAnswersToOneQuestionNeverHold) {
  FakeFs disk = small_fs();
  FsRecorder rec(disk);
  (void)rec.lkind("/w/.git");
  disk.dir("/w/.git");
  (void)rec.lkind("/w/.git");
  const FsRecord record = rec.take();
  EXPECT_FALSE(record.sound());
  EXPECT_FALSE(record.holds(disk));
}

// With the planner itself: the record holds while the plan made again is the same plan,
// and fails for each change that makes a different one.
FakeFs project() {
  FakeFs fs;
  fs.dir("/home/u/proj/src/lib")
      .dir("/home/u/proj/.git/hooks")
      .file("/home/u/proj/.git/config", "[core]\n\tbare = false\n")
      .file("/home/u/proj/.git/HEAD", "ref: refs/heads/main\n")
      .dir("/home/u/.ssh")
      .dir("/usr/bin")
      .dir("/etc")
      .dir("/tmp");
  return fs;
}

Policy project_policy() {
  Policy p;
  p.workspace = "/home/u/proj";
  p.deny_read = {"/home/u/.ssh"};
  return p;
}

LinuxHostCaps project_host() {
  LinuxHostCaps c;
  c.landlock_abi = 7;
  c.uid = 1000;
  return c;
}

const LinuxPlanInputs kProjectInputs{"/home/u/.local/state/cordon/tmp/proj-1", "/home/u"};

std::string digest_of(const FsProbe& fs) {
  auto plan = plan_linux(project_policy(), project_host(), fs, kProjectInputs);
  return plan ? plan_digest(*plan) : "error: " + plan.error().message();
}

// A record that compares typed listings by what a plan uses of them (ListingUse): here,
// directories and dot names, within a budget of 6 entries.
const ListingUse kDotsAndDirs{[](const DirEntry& e) { return e.kind == FileKind::Dir || e.name[0] == '.'; },
                              6};

TEST(FsRecord, ANarrowedListingHoldsWhileWhatIsUsedOfItIsTheSame) {
  struct Case {
    const char* what;
    std::function<void(FakeFs&)> change;
    bool holds;
  };
  const std::vector<Case> cases = {
      {"a new file", [](FakeFs& f) { f.file("/w/b.txt"); }, true},
      {"a removed file", [](FakeFs& f) { f.remove("/w/a.txt"); }, true},
      {"a new file in a directory not listed", [](FakeFs& f) { f.file("/w/src/x.o"); }, true},
      {"a new used name, a file", [](FakeFs& f) { f.file("/w/.envrc"); }, false},
      {"a new directory", [](FakeFs& f) { f.dir("/w/build"); }, false},
      {"a removed directory", [](FakeFs& f) { f.remove("/w/src"); }, false},
      {"a directory replaced by a link", [](FakeFs& f) { f.remove("/w/src").link("/w/src", "/w"); }, false},
      {"a directory replaced by a file", [](FakeFs& f) { f.remove("/w/src").file("/w/src"); }, false},
      {"a file replaced by a directory", [](FakeFs& f) { f.remove("/w/a.txt").dir("/w/a.txt"); }, false},
      {"more entries than the budget",
       [](FakeFs& f) { f.file("/w/b").file("/w/c").file("/w/d").file("/w/e"); }, false},
  };
  for (const auto& c : cases) {
    FakeFs disk = small_fs();
    FsRecorder rec(disk, kDotsAndDirs);
    EXPECT_EQ(rec.list_typed("/w").size(), 3U) << c.what;  // the plan gets the whole listing
    const FsRecord record = rec.take();
    ASSERT_TRUE(record.narrowed()) << c.what;
    ASSERT_TRUE(record.holds(disk)) << c.what;
    c.change(disk);
    EXPECT_EQ(record.holds(disk), c.holds) << c.what;
  }
}

// The budget counts each listing as often as the plan made it; a plan already past it
// keeps its listings whole.
TEST(FsRecord, ListingsPastTheBudgetAreComparedWhole) {
  FakeFs disk = small_fs();
  FsRecorder twice(disk, kDotsAndDirs);
  (void)twice.list_typed("/w");
  (void)twice.list_typed("/w");  // 2 x 3 entries: at the budget
  const FsRecord at_budget = twice.take();
  ASSERT_TRUE(at_budget.narrowed());
  disk.remove("/w/l");
  EXPECT_TRUE(at_budget.holds(disk));
  disk.file("/w/n1");
  EXPECT_TRUE(at_budget.holds(disk));  // 2 x 3 again
  disk.file("/w/n2");
  EXPECT_FALSE(at_budget.holds(disk));  // 2 x 4

  disk = small_fs();
  disk.file("/w/n1").file("/w/n2").file("/w/n3").file("/w/n4");
  FsRecorder past(disk, kDotsAndDirs);
  (void)past.list_typed("/w");
  const FsRecord whole = past.take();
  EXPECT_FALSE(whole.narrowed());
  disk.remove("/w/n4");
  EXPECT_FALSE(whole.holds(disk));
}

// Narrowing declines bounded listings (the memo then asks each lstat, recorded alone).
TEST(FsRecord, NarrowingDeclinesBoundedListings) {
  FakeFs disk = small_fs();
  FsRecorder rec(disk, kDotsAndDirs);
  EXPECT_FALSE(rec.list_typed_upto("/w", 100).has_value());
  EXPECT_EQ(rec.take().size(), 0U);
}

// With the planner's own ListingUse, narrowed and whole records alike.
class FsRecordPlan : public ::testing::TestWithParam<bool> {
 protected:
  ListingUse use() const { return GetParam() ? ListingUse{linux_walk_uses, kLinuxWalkBudget} : ListingUse{}; }
};

TEST_P(FsRecordPlan, APlanRecordHoldsExactlyWhileThePlanIsTheSame) {
  struct Case {
    const char* what;
    std::function<void(FakeFs&)> change;
  };
  const std::vector<Case> cases = {
      {"a nested repository", [](FakeFs& f) { f.file("/home/u/proj/src/lib/.git/HEAD", "ref: x\n"); }},
      {"a nested worktree's .git file",
       [](FakeFs& f) { f.file("/home/u/proj/src/.git", "gitdir: /tmp/g\n"); }},
      {"a new protected name (.vscode)", [](FakeFs& f) { f.dir("/home/u/proj/.vscode"); }},
      {"core.hooksPath in the repository's config",
       [](FakeFs& f) { f.file("/home/u/proj/.git/config", "[core]\n\thooksPath = src/hooks\n"); }},
      {"a protected name at depth, a file", [](FakeFs& f) { f.file("/home/u/proj/src/lib/.envrc"); }},
      {"a bare repository at depth (its HEAD written last)",
       [](FakeFs& f) {
         f.dir("/home/u/proj/src/lib/objects")
             .dir("/home/u/proj/src/lib/refs")
             .file("/home/u/proj/src/lib/HEAD");
       }},
      // The home is an ancestor of the denied ~/.ssh: each of its entries has a Landlock
      // read rule of its own, so every name and kind there is part of the plan.
      {"a new file beside a denied path", [](FakeFs& f) { f.file("/home/u/notes.txt"); }},
      {"a file beside a denied path swapped for a link to it",
       [](FakeFs& f) { f.remove("/home/u/todo.txt").link("/home/u/todo.txt", "/home/u/.ssh"); }},
  };
  for (const auto& c : cases) {
    FakeFs disk = project();
    disk.file("/home/u/todo.txt");
    FsRecorder rec(disk, use());
    const std::string before = digest_of(rec);
    const FsRecord record = rec.take();
    ASSERT_TRUE(record.holds(disk)) << c.what;
    EXPECT_EQ(digest_of(disk), before) << c.what;
    c.change(disk);
    EXPECT_NE(digest_of(disk), before) << c.what << ": the change does change the plan";
    EXPECT_FALSE(record.holds(disk)) << c.what;
  }
}

// The bare repository's HEAD alone, its directories there before the plan.
TEST_P(FsRecordPlan, AHeadMakingABareRepositoryIsSeen) {
  FakeFs disk = project();
  disk.dir("/home/u/proj/src/lib/objects").dir("/home/u/proj/src/lib/refs");
  FsRecorder rec(disk, use());
  const std::string before = digest_of(rec);
  const FsRecord record = rec.take();
  ASSERT_TRUE(record.holds(disk));
  disk.file("/home/u/proj/src/lib/HEAD", "ref: refs/heads/main\n");
  EXPECT_NE(digest_of(disk), before);
  EXPECT_FALSE(record.holds(disk));
}

// A build: ordinary files made and removed at the top and at depth, many in one directory
// (more than the planner's memo asks about before it lists one). The plan stays the same;
// a narrowed record keeps holding, a whole one does not.
TEST_P(FsRecordPlan, OrdinaryFilesKeepANarrowedRecordHolding) {
  FakeFs disk = project();
  disk.file("/home/u/proj/Makefile").file("/home/u/proj/src/lib/a.c");
  FsRecorder rec(disk, use());
  const std::string before = digest_of(rec);
  const FsRecord record = rec.take();
  EXPECT_EQ(record.narrowed(), GetParam());
  ASSERT_TRUE(record.holds(disk));
  disk.file("/home/u/proj/out.txt").file("/home/u/proj/.build.tmp").remove("/home/u/proj/Makefile");
  for (int i = 0; i < 40; ++i) disk.file("/home/u/proj/src/lib/f" + std::to_string(i) + ".o");
  EXPECT_EQ(digest_of(disk), before);
  EXPECT_EQ(record.holds(disk), GetParam());
}

INSTANTIATE_TEST_SUITE_P(NarrowedAndWhole, FsRecordPlan, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "narrowed" : "whole";
                         });

}  // namespace
}  // namespace cordon
