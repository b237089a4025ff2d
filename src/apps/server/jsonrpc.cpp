#include "apps/server/jsonrpc.hpp"

namespace cordon::server {
namespace {

Message invalid(int code, std::string message, nlohmann::json id = nullptr) {
  Message m;
  m.kind = MessageKind::Invalid;
  m.error_code = code;
  m.error_message = std::move(message);
  m.id = std::move(id);
  return m;
}

// Depth of nesting, without recursion, before handing the text to the parser.
bool too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if (c == ']' || c == '}')
      --depth;
  }
  return false;
}

bool valid_id(const nlohmann::json& id) {
  return id.is_string() || id.is_number_integer() || id.is_number_unsigned();
}

}  // namespace

Message parse_message(std::string_view line) {
  if (line.size() > kMaxMessageBytes) return invalid(kInvalidRequest, "message larger than 4 MiB");
  if (too_deep(line)) return invalid(kInvalidRequest, "message nested deeper than 64 levels");
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid(kParseError, "parse error: not valid JSON");
  if (j.is_array()) return invalid(kInvalidRequest, "batches are not supported (MCP 2025-06-18 and later)");
  if (!j.is_object()) return invalid(kInvalidRequest, "a JSON-RPC message must be an object");

  nlohmann::json id = nullptr;
  const bool has_id = j.contains("id");
  if (has_id) {
    if (!valid_id(j["id"])) return invalid(kInvalidRequest, "id must be a string or an integer");
    id = j["id"];
  }
  auto version = j.find("jsonrpc");
  if (version == j.end() || !version->is_string() || *version != "2.0")
    return invalid(kInvalidRequest, "jsonrpc must be \"2.0\"", id);

  auto method = j.find("method");
  if (method == j.end()) {
    if (has_id && (j.contains("result") || j.contains("error"))) {
      Message m;
      m.kind = MessageKind::Response;
      m.id = id;
      if (auto result = j.find("result"); result != j.end() && !j.contains("error")) m.result = *result;
      return m;
    }
    return invalid(kInvalidRequest, "missing method", id);
  }
  if (!method->is_string()) return invalid(kInvalidRequest, "method must be a string", id);

  Message m;
  m.method = method->get<std::string>();
  m.id = id;
  if (auto params = j.find("params"); params != j.end()) {
    if (!params->is_object() && !params->is_array())
      return invalid(kInvalidRequest, "params must be an object or an array", id);
    m.params = *params;
  }
  m.kind = has_id ? MessageKind::Request : MessageKind::Notification;
  return m;
}

std::string result_response(const nlohmann::json& id, const nlohmann::json& result) {
  nlohmann::json j = {{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_response(const nlohmann::json& id, int code, const std::string& message,
                           const nlohmann::json& data) {
  nlohmann::json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  nlohmann::json j = {{"jsonrpc", "2.0"}, {"id", id}, {"error", err}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cordon::server
