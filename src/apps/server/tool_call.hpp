// cordon: the `run_command` tool of `cordon mcp`: its schema and argument checks (pure).
//
//   auto req = parse_run_command(arguments, policy);   // the tools/call "arguments"
//   if (!req) return tool_error(req.error().message()); // shown to the model, which can fix it
//
// Arguments narrow the server's policy, never widen it:
//   argv | command  exactly one: an argv array, or a shell string run by /bin/sh -c
//   cwd             absolute or relative to the workspace; outside the workspace: refused
//   timeout         seconds; longer than the server's --timeout: clamped to it (and noted)
//   stdin           text fed to the command, then end of file
//   env             {NAME: VALUE} added to the environment; a name the policy drops
//                   (secret-looking, --env-drop) or an invalid name: refused
//   tty             true: stdout and stderr on a new pty inside the sandbox (`cordon run
//                   --tty always`), captured as a terminal shows them (escapes kept, \r\n);
//                   stdin stays the `stdin` text. rows, columns: its size (24x80)
//   review          `cordon mcp --review` only: the change set to stage this call's writes in
//                   (an id as `cordon run --review ID` takes it) instead of the server's own
//
// `cordon mcp --review` adds the tool review_changes {id?, paths?, diff?}: the summary of a
// change set (the server's own by default) and, with diff, the diff of `paths`. Read only.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"

namespace cordon::server {

struct CommandRequest {
  std::vector<std::string> argv;
  std::string cwd;  // absolute, inside the workspace
  std::optional<double> timeout_seconds;
  std::string stdin_data;
  std::vector<std::pair<std::string, std::string>> env;  // added on top of the sandbox's environment
  std::vector<std::string> notes;                        // e.g. "timeout clamped to the server's 30 s"
  bool tty = false;
  unsigned rows = 24, columns = 80;
  std::optional<std::string> review;  // the `review` argument: a change set id
};

// A change set id as `cordon run --review ID` takes it: 1 to 64 of [A-Za-z0-9._-], not
// starting with '.' (review_store.hpp).
[[nodiscard]] bool valid_review_id_syntax(const std::string& id);

// The review_changes tool's arguments.
struct ReviewChangesRequest {
  std::optional<std::string> id;
  std::vector<std::string> paths;
  bool diff = false;
};
[[nodiscard]] nlohmann::json review_changes_tool();
[[nodiscard]] Result<ReviewChangesRequest> parse_review_changes(const nlohmann::json& arguments);

// The tools/list entry for run_command.
// `review`: the server runs with --review (the `review` argument exists).
[[nodiscard]] nlohmann::json run_command_tool(const Policy& policy, bool review = false);

[[nodiscard]] Result<CommandRequest> parse_run_command(const nlohmann::json& arguments, const Policy& policy,
                                                       bool review = false);

}  // namespace cordon::server
