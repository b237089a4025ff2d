// remove_tree (plan/windows/remove_tree.hpp) against the model volume: the private
// temp holds links the sandbox planted; deleting the temp must take the links and
// never what they point at (F1 of the Windows review: mingw's remove_all followed them).
#include "plan/windows/remove_tree.hpp"

#include <gtest/gtest.h>

#include "plan/windows/model_fs.hpp"
#include "win_fixture.hpp"

namespace cordon::win {
namespace {

using test::Host;
using test::kOutside;
using test::kTemp;

const std::string kRunTemp = std::string(kTemp) + "\\cordon-1a2b";

TEST(WinRemoveTree, DeletesTheTreeButNeverThroughAPlantedLink) {
  Host h;
  ModelFs& fs = *h.fs;
  fs.mkdir(kRunTemp + "\\deep\\deeper");
  fs.add_file(kRunTemp + "\\deep\\deeper\\f.txt");
  fs.add_file(kRunTemp + "\\top.txt");
  // What `mklink /J` and `mklink /D` inside the sandbox would leave behind.
  fs.add_link(kRunTemp + "\\junction", kOutside);
  fs.add_link(kRunTemp + "\\deep\\to_profile", test::kProfile);
  ASSERT_EQ(fs.stat(kRunTemp + "\\junction\\secret.txt").kind, FsEntry::Kind::File);

  ModelTreeOps ops(fs);
  RemoveStats stats;
  auto s = remove_tree(ops, kRunTemp, stats);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(fs.stat(kRunTemp).kind, FsEntry::Kind::Missing);
  EXPECT_EQ(stats.links, 2);
  EXPECT_EQ(stats.files, 2);
  EXPECT_EQ(stats.directories, 3);  // deeper, deep, the temp itself
  // The targets are untouched.
  EXPECT_EQ(fs.stat(std::string(kOutside) + "\\secret.txt").kind, FsEntry::Kind::File);
  EXPECT_EQ(fs.stat(std::string(test::kWs) + "\\.git\\config").kind, FsEntry::Kind::File);
}

TEST(WinRemoveTree, TheTempItselfReplacedByALinkLosesOnlyTheLink) {
  Host h;
  ModelFs& fs = *h.fs;
  fs.add_link(kRunTemp, kOutside);
  ModelTreeOps ops(fs);
  RemoveStats stats;
  ASSERT_TRUE(remove_tree(ops, kRunTemp, stats));
  EXPECT_EQ(stats.links, 1);
  EXPECT_FALSE(fs.is_link(kRunTemp));
  EXPECT_EQ(fs.stat(std::string(kOutside) + "\\secret.txt").kind, FsEntry::Kind::File);
}

// A listing may say "reparse point" while the handle does not (Wine reports a
// directory symlink only in the listing) or the reverse (an entry swapped after the
// listing): either is enough to stop the walk.
class HideLinksFromHandles : public TreeOps {
 public:
  explicit HideLinksFromHandles(ModelTreeOps& inner, bool hide_in_listing)
      : inner_(inner), hide_in_listing_(hide_in_listing) {}
  Result<std::unique_ptr<Object>> open(Object* dir, const std::string& name) override {
    return inner_.open(dir, name);
  }
  Result<Info> info(Object& o) override {
    auto i = inner_.info(o);
    if (i && !hide_in_listing_) i->reparse = false;
    return i;
  }
  Result<std::vector<Entry>> list(Object& dir) override {
    auto l = inner_.list(dir);
    if (l && hide_in_listing_)
      for (auto& e : *l) e.reparse = false;
    return l;
  }
  Status remove(Object& o) override { return inner_.remove(o); }
  Status rename(Object& o, Object& dir, const std::string& name) override {
    return inner_.rename(o, dir, name);
  }
  Result<std::string> read_small(Object& o, size_t max) override { return inner_.read_small(o, max); }
  Status create_file(Object& dir, const std::string& name, const std::string& content) override {
    return inner_.create_file(dir, name, content);
  }

 private:
  ModelTreeOps& inner_;
  bool hide_in_listing_;
};

TEST(WinRemoveTree, EitherTheListingOrTheHandleMarksALink) {
  for (bool hide_in_listing : {false, true}) {
    Host h;
    ModelFs& fs = *h.fs;
    fs.mkdir(kRunTemp);
    fs.add_link(kRunTemp + "\\j", kOutside);
    ModelTreeOps model(fs);
    HideLinksFromHandles ops(model, hide_in_listing);
    RemoveStats stats;
    ASSERT_TRUE(remove_tree(ops, kRunTemp, stats));
    EXPECT_EQ(stats.links, 1) << hide_in_listing;
    EXPECT_EQ(fs.stat(std::string(kOutside) + "\\secret.txt").kind, FsEntry::Kind::File) << hide_in_listing;
  }
}

TEST(WinRemoveTree, AMissingTempIsNotAnErrorAndFailuresAreReported) {
  Host h;
  ModelTreeOps ops(*h.fs);
  RemoveStats stats;
  EXPECT_TRUE(remove_tree(ops, kRunTemp + "-absent", stats));
  // Too deep: the walk stops, says where, and removes nothing it could not empty.
  h.fs->mkdir(kRunTemp + "\\a\\b\\c");
  RemoveLimits limits;
  limits.max_depth = 1;
  auto s = remove_tree(ops, kRunTemp, stats, limits);
  EXPECT_FALSE(s);
  EXPECT_FALSE(stats.failed.empty());
}

}  // namespace
}  // namespace cordon::win
