// Fuzzes the MCP server's message parser (one stdio line) and, when a message is a
// tools/call request, the run_command argument checks.
//
// Besides the sanitizers, it checks the promises the parser makes: every input gives a
// Message (no exception escapes), an Invalid message carries a JSON-RPC error code, the
// error reply it produces is valid JSON, and accepted tool arguments never widen the
// policy (cwd inside the workspace, timeout within the server's). A response (a client's
// answer to cordon mcp --ask's elicitation/create) grants only an accepted choice that the
// question offered; the same bytes on the worker's question channel decode to nothing or
// to a well-formed question or answer (core/ask_message.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "apps/server/elicitation.hpp"
#include "apps/server/jsonrpc.hpp"
#include "apps/server/tool_call.hpp"
#include "core/paths.hpp"

namespace {

using namespace cordon;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  server::Message m = server::parse_message(line);
  if (m.kind == server::MessageKind::Invalid) {
    require(m.error_code == server::kParseError || m.error_code == server::kInvalidRequest,
            "unexpected error code");
    auto reply =
        nlohmann::json::parse(server::error_response(m.id, m.error_code, m.error_message), nullptr, false);
    require(reply.is_object(), "error reply is not JSON");
    return 0;
  }
  require(m.id.is_null() || m.id.is_string() || m.id.is_number_integer() || m.id.is_number_unsigned(),
          "bad id kept");
  if (auto a = decode_ask_answer(line)) {
    require(a->id != 0, "answer to question 0");
    require(a->by == "mcp-client" || a->by == "timeout" || a->by == "limit" || a->by == "no-client",
            "an answer by someone unknown");
  }
  if (auto q = decode_ask_question(line)) {
    require(q->id != 0 && !q->path.empty() && q->timeout_seconds >= 1, "a malformed question accepted");
    require(q->network.empty() || q->network == "localhost" || q->network == "domain", "an unknown network");
    require(q->network.empty() ? q->port == 0 && q->via.empty() : q->directory.empty() && q->to.empty(),
            "a file question with a port or a network question with a directory");
    require(q->network != "localhost" || q->port != 0, "a loopback question without a port");
    require(!ask_answer_offered(*q, AskAnswer::Always) || !q->config.empty(),
            "always offered without a config");
    require(q->network.empty() || !ask_answer_offered(*q, AskAnswer::Directory),
            "a directory for the network");
  }
  if (m.kind == server::MessageKind::Response) {
    AskChannelQuestion q;
    q.id = 1;
    q.operation = "create";
    q.path = "/home/u/x/y";  // no directory offered: "directory" and "always" are deny
    const AskAnswer a = server::answer_from_elicitation(m.result, q);
    if (a != AskAnswer::Deny) {
      require(m.result.is_object() && m.result.value("action", "") == "accept", "a grant without accept");
      const auto& content = m.result["content"];
      require(content.is_object() && content["choice"].is_string(), "a grant without a choice");
      const std::string choice = content["choice"];
      require((choice == "once" && a == AskAnswer::Once) || (choice == "run" && a == AskAnswer::Run),
              "a grant of a choice not offered");
    }
  }
  if (m.kind == server::MessageKind::Request && m.method == "tools/call" && m.params.is_object() &&
      m.params.contains("arguments")) {
    Policy p;
    p.workspace = "/w/ws";
    p.limits.timeout_seconds = 30;
    auto r = server::parse_run_command(m.params["arguments"], p);
    if (r) {
      require(paths::is_within(r->cwd, p.workspace), "cwd outside the workspace accepted");
      require(r->timeout_seconds && *r->timeout_seconds <= 30, "timeout widened");
      require(!r->argv.empty(), "empty argv accepted");
    }
    auto review = server::parse_run_command(m.params["arguments"], p, true);
    if (review && review->review)
      require(server::valid_review_id_syntax(*review->review), "an invalid change set id accepted");
    auto changes = server::parse_review_changes(m.params["arguments"]);
    if (changes && changes->id)
      require(server::valid_review_id_syntax(*changes->id), "an invalid review_changes id accepted");
  }
  return 0;
}
