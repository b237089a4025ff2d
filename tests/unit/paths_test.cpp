// Lexical path helpers: table-driven, no file system access.
#include "core/paths.hpp"

#include <gtest/gtest.h>

namespace cordon {
namespace {

TEST(Paths, IsAbsolute) {
  EXPECT_TRUE(paths::is_absolute("/"));
  EXPECT_TRUE(paths::is_absolute("/a"));
  EXPECT_FALSE(paths::is_absolute(""));
  EXPECT_FALSE(paths::is_absolute("a/b"));
  EXPECT_FALSE(paths::is_absolute("~/a"));
  EXPECT_FALSE(paths::is_absolute("./a"));
}

TEST(Paths, Normalize) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"/", "/"},
      {"//", "/"},
      {"/a/b", "/a/b"},
      {"/a/b/", "/a/b"},
      {"/a//b///c", "/a/b/c"},
      {"/a/./b/.", "/a/b"},
      {"/a/b/../c", "/a/c"},
      {"/a/b/../../..", "/"},
      {"/../a", "/a"},
      {"/a/..", "/"},
      {"a/b", "a/b"},
      {"a/../..", ".."},
      {"../a", "../a"},
      {"./", "."},
      {"", "."},
      {"/a/b/...", "/a/b/..."},
      // Already normal (returned as is) next to its near misses.
      {"a", "a"},
      {".", "."},
      {"..", ".."},
      {"a/", "a"},
      {"/a/.b/..c", "/a/.b/..c"},
      {"/a/b/.", "/a/b"},
      {"/a/./b", "/a/b"},
      {"/.a", "/.a"},
  };
  for (const auto& c : cases) EXPECT_EQ(paths::normalize(c.in), c.out) << c.in;
}

TEST(Paths, ExpandHome) {
  struct Case {
    const char* in;
    const char* home;
    const char* out;
  };
  const Case cases[] = {
      {"~", "/home/a", "/home/a"},         {"~/", "/home/a", "/home/a/"}, {"~/x/y", "/home/a", "/home/a/x/y"},
      {"~bob/x", "/home/a", "~bob/x"},  // other users' homes are not expanded
      {"/abs/~/x", "/home/a", "/abs/~/x"}, {"x/~", "/home/a", "x/~"},     {"", "/home/a", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(paths::expand_home(c.in, c.home), c.out) << c.in;
}

TEST(Paths, Join) {
  struct Case {
    const char* base;
    const char* rel;
    const char* out;
  };
  const Case cases[] = {
      {"/a", "b/c", "/a/b/c"},  {"/a/", "b", "/a/b"},    {"/a", "/x/y", "/x/y"},  // an absolute rhs wins
      {"/a/b", "../c", "/a/c"}, {"/a", "../../..", "/"}, {"/a", ".", "/a"},
      {"/a", "", "/a"},         {"/", ".ssh", "/.ssh"},
  };
  for (const auto& c : cases) EXPECT_EQ(paths::join(c.base, c.rel), c.out) << c.base << " + " << c.rel;
}

TEST(Paths, IsWithin) {
  struct Case {
    const char* p;
    const char* root;
    bool within;
  };
  const Case cases[] = {
      {"/a", "/a", true},       {"/a/b", "/a", true},      {"/a/b/c", "/a", true},   {"/ab", "/a", false},
      {"/a", "/a/b", false},    {"/", "/a", false},        {"/anything", "/", true}, {"/", "/", true},
      {"relative", "/", false}, {"/a/b", "/a/b/c", false},
  };
  for (const auto& c : cases) EXPECT_EQ(paths::is_within(c.p, c.root), c.within) << c.p << " in " << c.root;
}

TEST(Paths, Ancestors) {
  EXPECT_EQ(paths::ancestors("/a/b/c"), (std::vector<std::string>{"/", "/a", "/a/b"}));
  EXPECT_EQ(paths::ancestors("/a"), (std::vector<std::string>{"/"}));
  EXPECT_TRUE(paths::ancestors("/").empty());
  EXPECT_TRUE(paths::ancestors("rel/a").empty());
}

TEST(Paths, ParentAndBasename) {
  struct Case {
    const char* p;
    const char* parent;
    const char* base;
  };
  const Case cases[] = {
      {"/a/b/c", "/a/b", "c"},     {"/a", "/", "a"}, {"/", "/", ""}, {"name", ".", "name"},
      {"dir/name", "dir", "name"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(paths::parent(c.p), c.parent) << c.p;
    EXPECT_EQ(paths::basename(c.p), c.base) << c.p;
  }
}

// The creation broker's decision whether a name would make a protected entry
// (platform/linux/create_broker.hpp), on each kind of directory.
TEST(Paths, MayNameSameEntry) {
  using paths::NameFolding;
  struct Case {
    const char* name;
    NameFolding folding;
    bool same;
  } cases[] = {
      {".vscode", NameFolding::Exact, true},          {".VSCode", NameFolding::Exact, false},
      {".vscode.", NameFolding::Exact, false},        {".vscod", NameFolding::Exact, false},
      {".VSCode", NameFolding::CaseFold, true},       {".vscode.", NameFolding::CaseFold, false},
      {".vſcode", NameFolding::CaseFold, true},        // U+017F folds to 's'
      {".vscode\u200d", NameFolding::CaseFold, true},  // an ignorable code point
      {"vscode", NameFolding::CaseFold, false},       {".VSCODE", NameFolding::Windows, true},
      {".vscode.", NameFolding::Windows, true},       {".vscode . .", NameFolding::Windows, true},
      {".vscode:tasks", NameFolding::Windows, true},  {".vscode_", NameFolding::Windows, false},
      {".vscode", NameFolding::Windows, true},        {"", NameFolding::Windows, false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(paths::may_name_same_entry(".vscode", c.name, c.folding), c.same)
        << c.name << " " << static_cast<int>(c.folding);
}

}  // namespace
}  // namespace cordon
