// cordon: JSON-RPC 2.0 messages as MCP's stdio transport carries them (one per line).
//
//   Message m = parse_message(line);
//   switch (m.kind) {
//     case MessageKind::Request: ... reply(m.id, result) or error_response(m.id, code, text)
//     case MessageKind::Notification: ... never answered
//     case MessageKind::Invalid: write(error_response(m.id, m.error_code, m.error_message));
//     case MessageKind::Response: ... the answer to a request cordon sent (elicitation/create)
//   }
//
// Pure and total: any byte string gives a Message, never an exception (fuzzed by
// fuzz/jsonrpc_fuzz.cpp). Batches (JSON arrays) were removed from MCP in 2025-06-18:
// they are invalid requests here.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cordon::server {

// The JSON-RPC 2.0 error codes cordon uses.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;

// One line longer than this is refused without being parsed.
inline constexpr size_t kMaxMessageBytes = 4u << 20;
// Nesting deeper than this is refused (keeps recursion in the JSON library bounded).
inline constexpr int kMaxDepth = 64;

enum class MessageKind { Request, Notification, Response, Invalid };

struct Message {
  MessageKind kind = MessageKind::Invalid;
  nlohmann::json id;  // string or integer; null when absent or unusable
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // object (or array) as sent; {} when absent
  int error_code = 0;                                // for Invalid
  // Response: the result as sent (any JSON), or null when the response is an error.
  nlohmann::json result;
  std::string error_message;
};

[[nodiscard]] Message parse_message(std::string_view line);

// Serialised, without the trailing newline.
[[nodiscard]] std::string result_response(const nlohmann::json& id, const nlohmann::json& result);
[[nodiscard]] std::string error_response(const nlohmann::json& id, int code, const std::string& message,
                                         const nlohmann::json& data = nullptr);

}  // namespace cordon::server
