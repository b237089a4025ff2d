// cordon mcp --ask: a read of a --deny-read file asked through the client says what it is.
// The question read "read FILE (outside the writable roots)", the words of a write
// question: a user who allows writes outside for a moment could allow a secret's read.
#include <gtest/gtest.h>

#include <string>

#include "apps/server/elicitation.hpp"
#include "core/ask_message.hpp"

namespace {

using cordon::AskChannelQuestion;
using cordon::server::elicitation_params;

TEST(ElicitationRead, AReadQuestionNamesTheDenyReadFileNotAWrite) {
  AskChannelQuestion q;
  q.id = 3;
  q.operation = "read";
  q.path = "/home/u/.config/app/token";
  q.pid = 12;
  q.command = "cat /home/u/.config/app/token";
  q.timeout_seconds = 30;
  const std::string message = elicitation_params(q)["message"];
  EXPECT_NE(message.find("read /home/u/.config/app/token (a --deny-read file)"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("outside the writable roots"), std::string::npos) << message;
  // A write still reads as one.
  q.operation = "create";
  const std::string write = elicitation_params(q)["message"];
  EXPECT_NE(write.find("create /home/u/.config/app/token (outside the writable roots)"), std::string::npos)
      << write;
}

}  // namespace
