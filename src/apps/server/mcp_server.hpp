// cordon: `cordon mcp`, a Model Context Protocol server on stdio.
//
//   cordon mcp --workspace ~/src/app [--net on] [--timeout 600] [--memory 2G] ...
//
// Newline-delimited JSON-RPC 2.0 on stdin/stdout (MCP revision 2025-11-25, also
// negotiating 2025-06-18, 2025-03-26 and 2024-11-05). Methods: initialize, ping,
// tools/list, tools/call (the run_command tool, apps/server/tool_call.hpp) and the
// notifications initialized and cancelled. Each tools/call runs on its own thread (at
// most kMaxConcurrentCalls at once) in a sandbox of its own (apps/server/runner.hpp);
// notifications/cancelled kills that command's whole tree. A call whose params carry
// _meta.progressToken gets notifications/progress every second while it runs (the
// message counts its output bytes so far). With --ask the server also sends requests:
// elicitation/create, and notifications/cancelled for one no longer waited for (the
// client's responses arrive on stdin with the rest). Diagnostics go to stderr.
//
// End of stdin is the end of requests, not of answers: the calls still running finish
// (each bounded by its timeout), their responses are written, then the server exits 0,
// so `printf '<initialize>\n<initialized>\n<tools/call>\n' | cordon mcp ...` prints the
// result. SIGTERM, SIGINT or SIGHUP kill what still runs and exit 128 + the signal.
#pragma once

#include <string>
#include <vector>

#include "core/policy.hpp"

namespace cordon::server {

inline constexpr int kMaxConcurrentCalls = 8;

struct McpOptions {
  // cordon mcp --review (docs/review.md): every run_command call stages its workspace
  // writes in one change set, made by the first call (or the call's `review` id); calls
  // on one change set run one at a time; no worker is prestarted (each would lock the
  // set); the tool review_changes reads the set. Nothing applies or discards it.
  bool review = false;
  // cordon mcp --review-all: every call also stages the other writable roots (implies review).
  bool review_all = false;
  // cordon mcp --ask (docs/agent-integration.md): an operation `cordon run --ask` would
  // ask about is asked through the client with elicitation/create, when the client
  // declared the elicitation capability at initialize; otherwise refused as without
  // --ask, and the tool result says why. No worker is prestarted (each call's worker gets
  // its own question channel, and whether the client can answer is known only at
  // initialize). An answer counts only as the answer to the question it was sent for.
  bool ask = false;
  int ask_timeout_seconds = 60;  // no answer by then: deny (and the request is cancelled)
  std::string ask_config_file;   // "allow always" writes its rule here ("": not offered)
};

// Serves until stdin closes and every call has been answered. Returns the exit code.
int serve_mcp(const Policy& policy, const McpOptions& options = {});

}  // namespace cordon::server
