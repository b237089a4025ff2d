// The command line's mistakes, named in the user's terms (apps/cli/arg_check.hpp).
#include "apps/cli/arg_check.hpp"

#include <gtest/gtest.h>

namespace cordon::cli {
namespace {

const CommandSyntax kRun{"run",
                         {{"--writable", true},
                          {"--mode", true},
                          {"--json", false},
                          {"--no-config", false},
                          {"--help", false},
                          {"-h", false},
                          {"--allow-domain", true}},
                         true};

std::string text(const std::optional<Error>& e) {
  return e ? e->message() : "";
}

bool has(const std::optional<Error>& e, const std::string& part) {
  return text(e).find(part) != std::string::npos;
}

TEST(ArgCheck, NearestOption) {
  const std::vector<std::string> names = {"--writable", "--workspace", "--allow-domain", "--allow-read",
                                          "--json"};
  EXPECT_EQ(nearest("--writeable", names), "--writable");
  EXPECT_EQ(nearest("--wirtable", names), "--writable");  // a swap is one edit
  EXPECT_EQ(nearest("--allow-domains", names), "--allow-domain");
  EXPECT_EQ(nearest("--jsn", names), "--json");
  EXPECT_EQ(nearest("--writ", names), "--writable");  // a prefix
  EXPECT_EQ(nearest("--frobnicate", names), "");
  EXPECT_EQ(nearest("--", names), "");
  EXPECT_EQ(nearest("", names), "");
}

TEST(ArgCheck, UnknownOptionNamesTheNearest) {
  auto e = check_command_args(kRun, {"--writeable", "/tmp", "--", "true"});
  ASSERT_TRUE(e);
  EXPECT_TRUE(has(e, "unknown option '--writeable'")) << text(e);
  EXPECT_TRUE(has(e, "did you mean --writable?")) << text(e);
  EXPECT_FALSE(has(e, "true")) << "the command is not blamed: " << text(e);
  e = check_command_args(kRun, {"--mdoe=read-only", "--", "true"});
  EXPECT_TRUE(has(e, "did you mean --mode?")) << text(e);
  e = check_command_args(kRun, {"--frobnicate", "--", "true"});
  EXPECT_TRUE(has(e, "unknown option '--frobnicate'")) << text(e);
  EXPECT_TRUE(has(e, "cordon run --help")) << text(e);
}

TEST(ArgCheck, ForgottenDoubleDashNamesTheFix) {
  auto e = check_command_args(kRun, {"--json", "ls", "-la", "/tmp"});
  ASSERT_TRUE(e);
  EXPECT_TRUE(has(e, "'-la' comes after the command 'ls'")) << text(e);
  EXPECT_TRUE(has(e, "cordon run --json -- ls -la /tmp")) << text(e);
  EXPECT_FALSE(has(e, "unknown option")) << text(e);
  e = check_command_args(kRun, {"git", "commit", "--amend"});
  EXPECT_TRUE(has(e, "cordon run -- git commit --amend")) << text(e);
}

TEST(ArgCheck, ValidCommandLinesPass) {
  EXPECT_FALSE(check_command_args(kRun, {"--", "ls", "-la"}));
  EXPECT_FALSE(check_command_args(kRun, {"--no-config", "--", "sh", "-c", "x"}));  // a flag takes no value
  EXPECT_FALSE(check_command_args(kRun, {"--writable", "/tmp", "--json", "--", "true"}));
  EXPECT_FALSE(check_command_args(kRun, {"--writable=/tmp", "--", "true"}));
  EXPECT_FALSE(check_command_args(kRun, {"ls"}));              // a command without flags needs no --
  EXPECT_FALSE(check_command_args(kRun, {"ls", "--", "-x"}));  // after --: the command's
  // An option's value may look like an option: it is the value.
  EXPECT_FALSE(check_command_args(kRun, {"--writable", "-odd-dir", "--", "true"}));
  EXPECT_FALSE(check_command_args(kRun, {"--help"}));
  EXPECT_FALSE(check_command_args(kRun, {}));
}

TEST(ArgCheck, FirstArgument) {
  const std::vector<std::string> commands = {"run", "explain", "check", "mcp", "setup"};
  const std::vector<std::string> options = {"--help", "-h", "--version"};
  const std::vector<std::string> policy = {"--writable", "--mode", "--net"};
  EXPECT_FALSE(check_first_arg("run", commands, options, policy));
  EXPECT_FALSE(check_first_arg("--help", commands, options, policy));
  EXPECT_TRUE(has(check_first_arg("rnu", commands, options, policy), "did you mean cordon run?"));
  EXPECT_TRUE(has(check_first_arg("ls", commands, options, policy), "cordon run -- ls"));
  EXPECT_TRUE(has(check_first_arg("--writable", commands, options, policy), "cordon run --writable"));
  EXPECT_TRUE(has(check_first_arg("--hlep", commands, options, policy), "did you mean --help?"));
  EXPECT_TRUE(has(check_first_arg("--writeable", commands, options, policy), "cordon run --writable"));
}

}  // namespace
}  // namespace cordon::cli
