#include "core/ask_message.hpp"

#include <nlohmann/json.hpp>

namespace cordon {
namespace {

constexpr size_t kMaxField = 16u << 10;

nlohmann::json parse_object(std::string_view bytes) {
  if (bytes.size() > kMaxAskMessageBytes) return nullptr;
  nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json(nullptr);
}

// A string field of at most kMaxField bytes; `required`: absent is an error too.
bool take_string(const nlohmann::json& j, const char* name, std::string& out, bool required) {
  auto it = j.find(name);
  if (it == j.end()) return !required;
  if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxField) return false;
  out = it->get<std::string>();
  return true;
}

bool take_id(const nlohmann::json& j, uint64_t& out) {
  auto it = j.find("id");
  if (it == j.end() || !it->is_number_unsigned()) return false;
  out = it->get<uint64_t>();
  return out != 0;
}

// The network part of a question (absent: a file question, as before it existed). A
// network question has a port where it needs one, a known asker, and none of a file
// question's directory, rename target or "run" path semantics.
bool take_network(const nlohmann::json& j, AskChannelQuestion& q) {
  if (!take_string(j, "network", q.network, false) || !take_string(j, "via", q.via, false)) return false;
  auto port = j.find("port");
  if (port != j.end()) {
    if (!port->is_number_integer() || *port < 0 || *port > 65535) return false;
    q.port = port->get<uint16_t>();
  }
  if (q.network.empty()) return q.port == 0 && q.via.empty();
  if (!q.directory.empty() || !q.to.empty()) return false;
  if (q.network == "localhost") return q.port != 0 && q.via.empty() && q.operation == "connect";
  if (q.network != "domain") return false;
  if (!q.via.empty() && q.via != "proxy" && q.via != "name server") return false;
  return q.operation == (q.port == 0 ? "resolve" : "connect");
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

const char* ask_answer_name(AskAnswer a) {
  switch (a) {
    case AskAnswer::Once:
      return "once";
    case AskAnswer::Run:
      return "run";
    case AskAnswer::Directory:
      return "directory";
    case AskAnswer::Always:
      return "always";
    case AskAnswer::Deny:
      break;
  }
  return "deny";
}

std::optional<AskAnswer> ask_answer_from_name(std::string_view name) {
  for (AskAnswer a :
       {AskAnswer::Once, AskAnswer::Run, AskAnswer::Directory, AskAnswer::Always, AskAnswer::Deny})
    if (name == ask_answer_name(a)) return a;
  return std::nullopt;
}

bool ask_answer_offered(const AskChannelQuestion& q, AskAnswer a) {
  const bool network = !q.network.empty();
  if (a == AskAnswer::Directory) return !network && !q.directory.empty();
  if (a == AskAnswer::Always) return (network || !q.directory.empty()) && !q.config.empty();
  return true;
}

std::string encode_ask_question(const AskChannelQuestion& q) {
  return dump({{"id", q.id},
               {"operation", q.operation},
               {"network", q.network},
               {"path", q.path},
               {"port", q.port},
               {"via", q.via},
               {"to", q.to},
               {"pid", q.pid},
               {"command", q.command},
               {"directory", q.directory},
               {"config", q.config},
               {"timeout", q.timeout_seconds}});
}

std::optional<AskChannelQuestion> decode_ask_question(std::string_view bytes) {
  const nlohmann::json j = parse_object(bytes);
  if (j.is_null()) return std::nullopt;
  AskChannelQuestion q;
  if (!take_id(j, q.id) || !take_string(j, "operation", q.operation, true) || q.operation.empty() ||
      !take_string(j, "path", q.path, true) || q.path.empty() || !take_string(j, "to", q.to, false) ||
      !take_string(j, "command", q.command, false) || !take_string(j, "directory", q.directory, false) ||
      !take_string(j, "config", q.config, false))
    return std::nullopt;
  auto pid = j.find("pid");
  if (pid == j.end() || !pid->is_number_integer() || *pid < 0 || *pid > 0x3fffffff) return std::nullopt;
  q.pid = pid->get<int>();
  auto timeout = j.find("timeout");
  if (timeout == j.end() || !timeout->is_number_integer() || *timeout < 1 || *timeout > 3600)
    return std::nullopt;
  q.timeout_seconds = timeout->get<int>();
  if (!take_network(j, q)) return std::nullopt;
  return q;
}

std::string encode_ask_answer(const AskChannelAnswer& a) {
  return dump({{"id", a.id}, {"answer", ask_answer_name(a.answer)}, {"by", a.by}});
}

std::optional<AskChannelAnswer> decode_ask_answer(std::string_view bytes) {
  const nlohmann::json j = parse_object(bytes);
  if (j.is_null()) return std::nullopt;
  AskChannelAnswer a;
  std::string name;
  if (!take_id(j, a.id) || !take_string(j, "answer", name, true) || !take_string(j, "by", a.by, true))
    return std::nullopt;
  auto answer = ask_answer_from_name(name);
  if (!answer) return std::nullopt;
  a.answer = *answer;
  if (a.by != "mcp-client" && a.by != "timeout" && a.by != "limit" && a.by != "no-client")
    return std::nullopt;
  return a;
}

}  // namespace cordon
