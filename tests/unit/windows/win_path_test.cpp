// The Win32 path model: every spelling that reaches the same object has one key.
#include "plan/windows/win_path.hpp"

#include <gtest/gtest.h>

#include "plan/windows/sid.hpp"

namespace cordon::win {
namespace {

TEST(WinPath, NormalisesSeparatorsDotsAndCase) {
  EXPECT_EQ(normalize("c:/Work//a/./b/../c"), "C:\\Work\\a\\c");
  EXPECT_EQ(path_key("C:\\Work\\"), path_key("c:/work"));
  EXPECT_EQ(path_key("C:\\WORK\\.GiT"), "c:\\work\\.git");
  EXPECT_TRUE(same_path("C:\\Users\\Élan", "c:\\users\\élan"));
}

TEST(WinPath, StripsTrailingDotsAndSpacesExceptVerbatim) {
  EXPECT_EQ(normalize("C:\\ws\\.git.\\config "), "C:\\ws\\.git\\config");
  EXPECT_EQ(normalize("C:\\ws\\.git...\\config"), "C:\\ws\\.git\\config");
  EXPECT_EQ(normalize("\\\\?\\C:\\ws\\.git.\\config"), "C:\\ws\\.git.\\config");
}

TEST(WinPath, VerbatimAndDevicePrefixesNameTheSameObject) {
  EXPECT_EQ(path_key("\\\\?\\C:\\Work\\x"), path_key("C:\\Work\\x"));
  EXPECT_EQ(path_key("\\\\.\\C:\\Work\\x"), path_key("C:\\Work\\x"));
  EXPECT_EQ(path_key("\\\\?\\UNC\\server\\share\\x"), path_key("\\\\server\\share\\x"));
  auto p = parse_path("\\\\?\\C:\\Work\\x");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->verbatim);
  EXPECT_EQ(p->kind, PathKind::Drive);
}

TEST(WinPath, DevicesAreNotFiles) {
  auto drive = parse_path("\\\\.\\PhysicalDrive0");
  ASSERT_TRUE(drive);
  EXPECT_EQ(drive->kind, PathKind::Device);
  auto pipe = parse_path("\\\\.\\pipe\\codex_testpipe");
  ASSERT_TRUE(pipe);
  EXPECT_EQ(pipe->kind, PathKind::Device);
  EXPECT_EQ(pipe->object(), "\\\\.\\pipe\\codex_testpipe");
  for (const char* reserved : {"C:\\ws\\nul", "C:\\ws\\NUL.txt", "C:\\ws\\com1", "C:\\ws\\con .log"}) {
    auto p = parse_path(reserved);
    ASSERT_TRUE(p) << reserved;
    EXPECT_EQ(p->kind, PathKind::Device) << reserved;
  }
  EXPECT_EQ(parse_path("C:\\ws\\com10")->kind, PathKind::Drive);
  EXPECT_EQ(parse_path("\\\\?\\C:\\ws\\nul")->kind, PathKind::Drive);  // verbatim: a file named nul
}

TEST(WinPath, AlternateDataStreams) {
  auto p = parse_path("C:\\ws\\.git\\config:evil");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->object(), "C:\\ws\\.git\\config");
  EXPECT_EQ(p->stream, "evil");
  EXPECT_EQ(parse_path("C:\\ws\\f::$DATA")->stream, "");
  EXPECT_EQ(parse_path("C:\\ws\\f:s:$DATA")->stream, "s");
  auto dir = parse_path("C:\\ws\\.git::$INDEX_ALLOCATION\\config");
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->object(), "C:\\ws\\.git\\config");
  EXPECT_FALSE(parse_path("C:\\ws\\a:b\\c"));  // a named stream is not a directory
  EXPECT_TRUE(is_within("C:\\ws\\f:s", "C:\\ws"));
}

TEST(WinPath, RejectsAmbiguousForms) {
  EXPECT_FALSE(parse_path("C:"));
  EXPECT_FALSE(parse_path("C:relative"));
  EXPECT_FALSE(parse_path("\\rooted\\on\\current\\drive"));
  EXPECT_FALSE(is_absolute("relative\\x"));
  EXPECT_TRUE(is_absolute("\\\\server\\share"));
}

TEST(WinPath, WithinIsCaseInsensitiveAndComponentWise) {
  EXPECT_TRUE(is_within("C:\\Work\\A", "c:\\work"));
  EXPECT_TRUE(is_within("C:\\Work", "C:\\WORK\\"));
  EXPECT_FALSE(is_within("C:\\Workshop", "C:\\Work"));
  EXPECT_TRUE(is_within("C:\\x", "C:\\"));
  EXPECT_FALSE(is_within("D:\\x", "C:\\"));
}

TEST(WinPath, ParentLeafAncestorsRoots) {
  EXPECT_EQ(parent("C:\\a\\b"), "C:\\a");
  EXPECT_EQ(parent("C:\\a"), "C:\\");
  EXPECT_EQ(leaf("C:\\a\\b:s"), "b");
  EXPECT_TRUE(is_root("C:\\"));
  EXPECT_TRUE(is_root("\\\\srv\\share\\"));
  EXPECT_FALSE(is_root("C:\\a"));
  EXPECT_EQ(ancestors("C:\\a\\b"), (std::vector<std::string>{"C:\\", "C:\\a"}));
  EXPECT_EQ(join("C:\\a", "b/c"), "C:\\a\\b\\c");
  EXPECT_EQ(join("C:\\a", "D:\\x"), "D:\\x");
}

TEST(WinPath, ShortNameShape) {
  EXPECT_TRUE(looks_like_short_name("PROGRA~1"));
  EXPECT_TRUE(looks_like_short_name("GIT~1"));
  EXPECT_TRUE(looks_like_short_name("CORDON~2.TXT"));
  EXPECT_FALSE(looks_like_short_name("~tmp"));
  EXPECT_FALSE(looks_like_short_name("a~b"));
  EXPECT_FALSE(looks_like_short_name("LONGERNAME~1"));
}

TEST(WinSid, ParseFormatAndShapes) {
  auto sid = Sid::parse("S-1-5-21-1-2-3-4");
  ASSERT_TRUE(sid);
  EXPECT_EQ(sid->str(), "S-1-5-21-1-2-3-4");
  EXPECT_TRUE(sids::is_capability(*sid));
  EXPECT_EQ(sids::capability({1, 2, 3, 4}), *sid);
  EXPECT_FALSE(sids::is_capability(*Sid::parse("S-1-5-21-1-2-3-4-1001")));
  EXPECT_TRUE(sids::is_logon(*Sid::parse("S-1-5-5-0-123456")));
  EXPECT_EQ(sids::everyone().str(), "S-1-1-0");
  EXPECT_EQ(sids::users().str(), "S-1-5-32-545");
  for (const char* bad : {"", "S-1", "S-2-5-1", "S-1-5-x", "S-1-5-99999999999", "X-1-5-21"})
    EXPECT_FALSE(Sid::parse(bad)) << bad;
}

// The host probe follows a link only where this says, so a link the sandbox planted at a
// protected name never sends cordon to a share, a device or a volume it did not name.
TEST(WinPath, LinkTargetOnADriveOnly) {
  EXPECT_EQ(link_target_on_a_drive("C:\\w\\.git", "\\??\\C:\\elsewhere\\hooks", false),
            "C:\\elsewhere\\hooks");
  EXPECT_EQ(link_target_on_a_drive("C:\\w\\.git", "\\??\\d:\\x\\..\\y", false), "D:\\y");
  EXPECT_EQ(link_target_on_a_drive("C:\\w\\.git", "..\\other", true), "C:\\w\\other");
  EXPECT_EQ(link_target_on_a_drive("C:\\w\\.git", "\\top", true), "C:\\top");
  for (const char* nt :
       {"\\??\\UNC\\server\\share\\x", "\\??\\Volume{0b1e2f3a-0000-0000-0000-000000000000}\\x",
        "\\Device\\Mup\\server\\share", "\\??\\pipe\\x", "\\??\\C:", "\\??\\C:x", "\\??\\C:\\x:stream",
        "\\??\\1:\\x", "\\\\server\\share\\x", "C:\\x", "", "\\??\\NUL"})
    EXPECT_FALSE(link_target_on_a_drive("C:\\w", nt, false)) << nt;
  for (const char* rel : {"D:x", "x:stream", "", "a:\\b"})
    EXPECT_FALSE(link_target_on_a_drive("C:\\w", rel, true)) << rel;
  EXPECT_FALSE(link_target_on_a_drive("\\\\server\\share\\w", "x", true));
  EXPECT_FALSE(link_target_on_a_drive("\\\\.\\pipe\\w", "x", true));
}

}  // namespace
}  // namespace cordon::win
