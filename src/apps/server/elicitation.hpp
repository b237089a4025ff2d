// cordon: the questions of `cordon mcp --ask` as MCP elicitation (pure, unit-tested).
//
//   bool can = client_can_elicit(initialize_params);          // at initialize
//   nlohmann::json params = elicitation_params(question);     // elicitation/create
//   AskAnswer a = answer_from_elicitation(response, question); // the client's response
//
// The request is a form-mode `elicitation/create` (MCP 2025-06-18 and 2025-11-25): a
// message that names the operation, the path, the process and what each choice means,
// and a requestedSchema with one required string property `choice`, a titled
// single-select enum (oneOf of const/title) of "once", "run", "directory" and "always"
// (the last two only when offered) and "deny". A network question names the loopback
// address and port or the host (and port, or "look up"), who asked (the proxy and the
// name server see no process: pid 0, said so) and offers once, the port or the host for
// the call, always (when there is a config file) and deny. Everything from the sandbox
// in the message is escaped (core/terminal_text.hpp): a path or a host name cannot forge
// lines or hide text.
//
// The response is untrusted input: only {action: "accept", content: {choice: <one of the
// choices this question offered>}} grants; decline, cancel, an error response, a missing
// or malformed result, a choice of the wrong type or not offered are all Deny.
#pragma once

#include <nlohmann/json.hpp>

#include "core/ask_message.hpp"

namespace cordon::server {

// initialize's params declared capabilities.elicitation supporting form mode (an
// empty object, as 2025-06-18 clients send it, or one with `form`).
[[nodiscard]] bool client_can_elicit(const nlohmann::json& initialize_params);

[[nodiscard]] nlohmann::json elicitation_params(const AskChannelQuestion& q);

// `result`: the response's result (null when the response was an error).
[[nodiscard]] AskAnswer answer_from_elicitation(const nlohmann::json& result, const AskChannelQuestion& q);

}  // namespace cordon::server
