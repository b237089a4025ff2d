// cordon: the one table of policy options.
//
//   for (const OptionSpec& o : policy_options()) ...   // in the order --help lists them
//
// Generated from it: the policy options of the command line (apps/cli/options.cpp adds one
// CLI11 option per row and turns its value into the PolicyLayer with the row's setter),
// and the config schema's entries for list options it has no handler of its own for
// (core/config.cpp). Checked against it (tests/unit/option_table_test.cpp): the config
// schema accepts exactly these keys, resolve() merges each row as its `merge` says,
// docs/policy.md's option table lists exactly these flags with their config keys, and the
// MCP tool's arguments that narrow an option are the rows marked so.
//
// Adding a policy option is one row in policy_options() (option_table.cpp), next to:
//   - its field in PolicyLayer and Policy (core/policy.hpp), its merge in resolve() and
//     its key in the policy JSON MCP workers get (core/policy_json.cpp; the merge test
//     compares resolved policies through that JSON, so it fails while the key is missing);
//   - for a list kind with a config key, nothing more: the config schema takes it from
//     the row (other kinds: a handler in config.cpp, which the test asks for);
//   - its line in docs/policy.md's "Options" table (the test fails until it is there).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"

namespace cordon {

enum class OptionKind {
  Choice,    // one of `choices`
  Path,      // one path; relative ones are resolved against the current directory
  PathList,  // repeatable path
  TextList,  // repeatable word (a pattern, a port, a name): validated by resolve()
  Seconds,   // a number of seconds
  Size,      // bytes: 512M, 2G
  Count,     // a positive integer
  Flag,      // no value
};

// How resolve() combines layers (defaults < user config < project config < flags).
enum class OptionMerge { LastWins, Accumulate };

// Whether a `cordon mcp` tool call may change it (apps/server/tool_call.cpp): never (the
// server's policy holds), or for itself (a shorter timeout; `tty`, which the call alone
// decides).
enum class McpRule { ServerOnly, CallMayNarrow };

// The value of one option as the command line gave it.
struct OptionValue {
  std::string text;               // Choice, Path, Size
  std::vector<std::string> list;  // PathList, TextList
  double number = 0;              // Seconds
  uint64_t count = 0;             // Count
  bool given = false;             // present on the command line
};

struct OptionSpec;
using OptionSetter = Status (*)(const OptionSpec& option, const OptionValue& value, const std::string& cwd,
                                PolicyLayer& layer);

struct OptionSpec {
  std::string_view flag;        // "--writable"
  std::string_view value_name;  // "DIR" as docs/policy.md writes it; "" for a flag
  std::string_view config_key;  // "filesystem.writable"; "" for the command line only
  OptionKind kind;
  OptionMerge merge;
  McpRule mcp;
  std::string_view help;     // the command line's help text (and the man page's)
  std::string_view choices;  // Choice: "read-only, workspace-write, full-access"
  // What a project config may not do with the key, for its error: "adding writable roots"
  // ("" = allowed); list kinds only, other kinds' rules live in config.cpp.
  std::string_view project_refuses;
  // Where a list lands in the PolicyLayer (PathList, TextList).
  std::vector<Sourced<std::string>> PolicyLayer::*list = nullptr;
  OptionSetter set = nullptr;  // value -> PolicyLayer; an error names the flag
  // Two valid values (as text) the merge test sets in two layers.
  std::string_view sample_a = {}, sample_b = {};
};

[[nodiscard]] const std::vector<OptionSpec>& policy_options();

// The row whose config key is `key` ("filesystem.writable"), or nullptr.
[[nodiscard]] const OptionSpec* option_by_config_key(std::string_view key);

}  // namespace cordon
