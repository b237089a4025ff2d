// cordon: command-line front end -> CliRequest (a PolicyLayer plus what to do).
//
//   cordon run [options] -- CMD [ARGS...]
//   cordon explain [options] [--json] -- CMD [ARGS...]
//   cordon check [--json]
//   cordon mcp [options]
//   cordon -c 'COMMAND' [NAME [ARGS...]]   (the shell convention: run -- /bin/sh -c ...)
//   cordon setup
//   cordon review list|show|diff|apply|discard|gc [ID] [PATH...]
//   cordon uninstall          (Windows: the same as `cordon setup uninstall`)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "plan/denial_rules.hpp"
#include "platform/platform.hpp"

namespace cordon::cli {

enum class Command { Run, Explain, Check, Setup, Mcp, Review, Gc, Help };

struct CliRequest {
  Command command = Command::Help;
  PolicyLayer flags;                    // Origin source = the flag name
  std::vector<std::string> argv;        // command after "--"
  std::vector<std::string> setup_args;  // arguments of `cordon setup`
  bool json = false;
  std::optional<DenialReporting> report_denials;   // run --report-denials
  unsigned short tty_rows = 24, tty_columns = 80;  // run --tty-size ROWSxCOLUMNS
  bool no_config = false;
  std::optional<std::string> config_file;  // replaces the user config path
  std::optional<std::string> report_file;  // cordon run --report FILE
  std::optional<int> report_fd;            // cordon run --report-fd N (internal to cordon mcp)
  bool mcp_request = false;                // cordon run --mcp-request (internal to cordon mcp)
  std::optional<int> plan_digest_fd;       // cordon run --plan-digest-fd N (internal to cordon mcp)
  std::optional<int> policy_fd;            // cordon run --policy-fd N (internal to cordon mcp)
  bool mcp_review = false;                 // cordon mcp --review
  bool mcp_review_all = false;             // cordon mcp --review-all (implies --review)
  bool review_all = false;                 // cordon run --review-all (implies --review)
  std::optional<std::string> review;       // cordon run --review [ID] ("" = a new change set)
  platform::ReviewRequest review_request;  // cordon review ACTION ...
  platform::GcRequest gc_request;          // cordon gc [--dry-run|--list] [--older-than AGE]
  std::optional<std::string> learn_file;   // cordon run --learn FILE
  int ask_timeout_seconds = 60;            // cordon run|mcp --ask-timeout SECONDS
  std::optional<int> ask_fd;               // cordon run --ask-fd N (internal to cordon mcp --ask)
  std::optional<std::string> ask_config;   // cordon run --ask-config FILE (internal to cordon mcp --ask)
  std::vector<std::string> policy_files;  // cordon run/explain --policy FILE: config layers after the configs
  std::string help_text;                  // set when command == Help
  int help_exit_code = 0;
};

// `cwd` resolves relative flag paths. Never exits the process.
[[nodiscard]] Result<CliRequest> parse_cli(const std::vector<std::string>& args, const std::string& cwd);

}  // namespace cordon::cli
