#include "core/terminal_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cordon {
namespace {

TEST(TerminalText, PrintableTextIsKept) {
  EXPECT_EQ(escape_for_terminal("denied write /home/u/.npm/x (outside)"),
            "denied write /home/u/.npm/x (outside)");
  EXPECT_EQ(escape_for_terminal("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC"),
            "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC");
  EXPECT_EQ(escape_for_terminal(""), "");
}

TEST(TerminalText, ControlsAndNewlinesBecomeVisible) {
  EXPECT_EQ(escape_for_terminal("a\nb"), "a\\nb");
  EXPECT_EQ(escape_for_terminal("x\r\ty"), "x\\r\\ty");
  // Erase the line and move the cursor up: the classic way to hide a report line.
  EXPECT_EQ(escape_for_terminal("f\x1b[2K\x1b[1A"), "f\\e[2K\\e[1A");
  EXPECT_EQ(escape_for_terminal(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(escape_for_terminal("\x7f\x07"), "\\x7f\\x07");
}

TEST(TerminalText, BackslashCannotForgeAnEscape) {
  EXPECT_EQ(escape_for_terminal("a\\nb"), "a\\\\nb");
  EXPECT_NE(escape_for_terminal("a\\nb"), escape_for_terminal("a\nb"));
}

TEST(TerminalText, C1ControlsAndInvalidUtf8) {
  EXPECT_EQ(escape_for_terminal("\xC2\x9B"
                                "31m"),
            "\\u{009B}31m");                                          // CSI as a C1 code point
  EXPECT_EQ(escape_for_terminal("\x9b"), "\\x9b");                    // a lone C1 byte
  EXPECT_EQ(escape_for_terminal("\xC0\xAF"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(escape_for_terminal("\xED\xA0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escape_for_terminal("\xE2\x82"), "\\xe2\\x82");           // truncated
}

TEST(TerminalText, BidiAndZeroWidthAreShown) {
  EXPECT_EQ(escape_for_terminal("a\xE2\x80\xAE"
                                "b"),
            "a\\u{202E}b");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(escape_for_terminal("\xE2\x81\xA6"), "\\u{2066}");
  EXPECT_EQ(escape_for_terminal("\xE2\x80\x8B"), "\\u{200B}");
  EXPECT_EQ(escape_for_terminal("\xE2\x80\xA8"), "\\u{2028}");
}

TEST(TerminalText, OutputIsAlwaysOnePrintableLine) {
  // Every byte value, alone and after a lead byte: nothing below 0x20 and no DEL survives.
  for (int a = 0; a < 256; ++a)
    for (int b : {0x00, 0x0A, 0x1B, 0x80, 0x9B, 0xAE, 0xBF}) {
      std::string in{static_cast<char>(a), static_cast<char>(b)};
      for (unsigned char c : escape_for_terminal(in)) EXPECT_TRUE(c >= 0x20 && c != 0x7F) << a << " " << b;
    }
}

}  // namespace
}  // namespace cordon
