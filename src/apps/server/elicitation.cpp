#include "apps/server/elicitation.hpp"

#include <string>

#include "core/terminal_text.hpp"

namespace cordon::server {
namespace {

constexpr size_t kMaxCommandShown = 200;

nlohmann::json choice(AskAnswer a, const std::string& title) {
  return {{"const", ask_answer_name(a)}, {"title", title}};
}

// One required string property `choice`, a titled single-select enum; default deny.
nlohmann::json schema_of(const nlohmann::json& choices) {
  return {{"type", "object"},
          {"properties",
           {{"choice",
             {{"type", "string"}, {"title", "cordon: allow?"}, {"oneOf", choices}, {"default", "deny"}}}}},
          {"required", nlohmann::json::array({"choice"})}};
}

}  // namespace

bool client_can_elicit(const nlohmann::json& initialize_params) {
  if (!initialize_params.is_object()) return false;
  auto caps = initialize_params.find("capabilities");
  if (caps == initialize_params.end() || !caps->is_object()) return false;
  auto e = caps->find("elicitation");
  if (e == caps->end() || !e->is_object()) return false;
  // {} is form mode (2025-06-18 and the backwards-compatible reading of 2025-11-25);
  // a client that lists modes must list form (cordon asks no URL-mode question).
  const bool lists_modes = e->contains("form") || e->contains("url");
  return !lists_modes || (e->contains("form") && (*e)["form"].is_object());
}

namespace {

// The question's first line: what the command asks for, and why it is not allowed.
std::string what_is_asked(const AskChannelQuestion& q) {
  const std::string path = escape_for_terminal(q.path);
  const std::string port = std::to_string(q.port);
  if (q.network == "localhost")
    return "connect to " + path + " (the host's loopback port " + port +
           ", not allowed by the network policy)";
  if (!q.network.empty())
    return (q.port ? "connect to " + path + ":" + port : "look up " + path) + " (not in the allowlist" +
           (q.via.empty() ? "" : "; through cordon's " + escape_for_terminal(q.via)) + ")";
  // A read is of a file the user added to --deny-read, never a write's question.
  return escape_for_terminal(q.operation) + " " + path +
         (q.to.empty() ? "" : " -> " + escape_for_terminal(q.to)) +
         (q.operation == "read" ? " (a --deny-read file)" : " (outside the writable roots)");
}

// The asking process; the proxy and the name server see none (pid 0).
std::string who_asks(const AskChannelQuestion& q) {
  if (q.pid > 0)
    return "process " + std::to_string(q.pid) + ": " +
           escape_for_terminal(q.command.substr(0, kMaxCommandShown));
  return "process: not known (pid 0: asked by cordon's " +
         (q.via.empty() ? std::string("supervisor") : escape_for_terminal(q.via)) +
         ", which sees no process)";
}

void add_network_choices(const AskChannelQuestion& q, nlohmann::json& choices) {
  const bool local = q.network == "localhost";
  const std::string what = local ? "port " + std::to_string(q.port) : escape_for_terminal(q.path);
  choices.push_back(
      choice(AskAnswer::Once, q.port ? "allow once (this one connection)" : "allow once (this one lookup)"));
  choices.push_back(choice(AskAnswer::Run, "allow " + what + " for this tool call"));
  if (ask_answer_offered(q, AskAnswer::Always))
    choices.push_back(choice(AskAnswer::Always, "allow " + what + " always (" +
                                                    (local ? "network.allow_localhost" : "network.allow") +
                                                    " in " + escape_for_terminal(q.config) +
                                                    "; this server has it from its next start)"));
}

}  // namespace

nlohmann::json elicitation_params(const AskChannelQuestion& q) {
  const std::string message = "cordon: the sandboxed command asks to " + what_is_asked(q) + ".\n" +
                              who_asks(q) + "\nThe command waits for the answer; no answer within " +
                              std::to_string(q.timeout_seconds) + " s is deny.";
  nlohmann::json choices = nlohmann::json::array();
  if (!q.network.empty()) {
    add_network_choices(q, choices);
    choices.push_back(choice(AskAnswer::Deny, "deny"));
    return {{"mode", "form"}, {"message", message}, {"requestedSchema", schema_of(choices)}};
  }
  choices.push_back(choice(AskAnswer::Once, "allow once (this one operation)"));
  choices.push_back(choice(AskAnswer::Run, "allow this path for this tool call"));
  if (ask_answer_offered(q, AskAnswer::Directory))
    choices.push_back(choice(AskAnswer::Directory, "allow the directory " + escape_for_terminal(q.directory) +
                                                       " for this tool call"));
  if (ask_answer_offered(q, AskAnswer::Always))
    choices.push_back(choice(AskAnswer::Always, "allow the directory " + escape_for_terminal(q.directory) +
                                                    " always (a rule in " + escape_for_terminal(q.config) +
                                                    ")"));
  choices.push_back(choice(AskAnswer::Deny, "deny"));
  return {{"mode", "form"}, {"message", message}, {"requestedSchema", schema_of(choices)}};
}

AskAnswer answer_from_elicitation(const nlohmann::json& result, const AskChannelQuestion& q) {
  if (!result.is_object()) return AskAnswer::Deny;
  auto action = result.find("action");
  if (action == result.end() || !action->is_string() || *action != "accept") return AskAnswer::Deny;
  auto content = result.find("content");
  if (content == result.end() || !content->is_object()) return AskAnswer::Deny;
  auto c = content->find("choice");
  if (c == content->end() || !c->is_string()) return AskAnswer::Deny;
  auto a = ask_answer_from_name(c->get_ref<const std::string&>());
  if (!a || !ask_answer_offered(q, *a)) return AskAnswer::Deny;
  return *a;
}

}  // namespace cordon::server
