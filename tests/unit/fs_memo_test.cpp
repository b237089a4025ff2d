// MemoFsProbe: one question per path reaches the disk, and every answer is the one the
// disk would give (plan/fs_memo.hpp).
#include "plan/fs_memo.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace cordon {
namespace {

// Counts the questions that reach it; "/l" is a symlink to the directory "/d".
class CountingFs : public FsProbe {
 public:
  FileKind lkind(const std::string& p) const override {
    ++lkinds[p];
    if (p == "/d") return FileKind::Dir;
    if (p == "/d/f") return FileKind::File;
    if (p == "/l") return FileKind::Symlink;
    return FileKind::Missing;
  }
  FileKind kind(const std::string& p) const override {
    ++kinds[p];
    return p == "/l" ? FileKind::Dir : lkind(p);
  }
  std::vector<std::string> list(const std::string&) const override { return {}; }
  std::optional<std::string> read_small(const std::string&, size_t) const override { return std::nullopt; }
  std::optional<std::string> realpath(const std::string& p) const override { return p; }

  mutable std::map<std::string, int> lkinds, kinds;
};

TEST(FsMemo, AsksTheDiskOncePerPath) {
  CountingFs disk;
  const MemoFsProbe fs(disk);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fs.lkind("/d"), FileKind::Dir);
    EXPECT_EQ(fs.lkind("/d/f"), FileKind::File);
    EXPECT_EQ(fs.lkind("/gone"), FileKind::Missing);
  }
  EXPECT_EQ(disk.lkinds["/d"], 1);
  EXPECT_EQ(disk.lkinds["/d/f"], 1);
  EXPECT_EQ(disk.lkinds["/gone"], 1);
}

TEST(FsMemo, FollowsOnlySymlinks) {
  CountingFs disk;
  const MemoFsProbe fs(disk);
  // Not a symlink (or absent): stat() would say what lstat() says; no second question.
  EXPECT_EQ(fs.kind("/d/f"), FileKind::File);
  EXPECT_EQ(fs.kind("/gone"), FileKind::Missing);
  EXPECT_EQ(disk.kinds.count("/d/f"), 0U);
  EXPECT_EQ(disk.kinds.count("/gone"), 0U);
  // A symlink is followed, once, and lkind() still names the link itself.
  EXPECT_EQ(fs.kind("/l"), FileKind::Dir);
  EXPECT_EQ(fs.kind("/l"), FileKind::Dir);
  EXPECT_EQ(fs.lkind("/l"), FileKind::Symlink);
  EXPECT_EQ(disk.kinds["/l"], 1);
}

// "/big/0" .. "/big/N-1" are files; list() names them and counts the listings.
class DirFs : public FsProbe {
 public:
  explicit DirFs(int n) : n_(n) {}
  FileKind lkind(const std::string& p) const override {
    ++lstats;
    if (p == "/big") return FileKind::Dir;
    const std::string name = p.rfind("/big/", 0) == 0 ? p.substr(5) : "";
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos && std::stoi(name) < n_)
      return FileKind::File;
    return FileKind::Missing;
  }
  FileKind kind(const std::string& p) const override { return lkind(p); }
  std::vector<std::string> list(const std::string& d) const override {
    ++listings;
    std::vector<std::string> out;
    if (d == "/big")
      for (int i = 0; i < n_; ++i) out.push_back(std::to_string(i));
    return out;
  }
  std::optional<std::string> read_small(const std::string&, size_t) const override { return std::nullopt; }
  std::optional<std::string> realpath(const std::string& p) const override { return p; }

  mutable int lstats = 0, listings = 0;

 private:
  int n_;
};

TEST(FsMemo, ListsADirectoryWhoseEntriesAreAskedAbout) {
  DirFs disk(100);
  const MemoFsProbe fs(disk);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(fs.lkind("/big/" + std::to_string(i)), FileKind::File) << i;
  EXPECT_EQ(fs.lkind("/big/absent"), FileKind::Missing);  // not listed: still asked
  EXPECT_GE(disk.listings, 1);
  // 31 asked one by one; the listing (the fake's default asks lkind() of each entry, the
  // real probe takes readdir's d_type) answered the 32nd and the rest; "absent" was asked.
  EXPECT_EQ(disk.lstats, 31 + 100 + 1);
}

TEST(FsMemo, DoesNotListADirectoryMuchLargerThanTheQuestions) {
  DirFs disk(100000);
  const MemoFsProbe fs(disk);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(fs.lkind("/big/" + std::to_string(i)), FileKind::File);
  // Tried at 32 questions and at 128 would be next: the 100,000 entries were never stat'ed.
  EXPECT_EQ(disk.listings, 1);
  EXPECT_EQ(disk.lstats, 100);
}

}  // namespace
}  // namespace cordon
