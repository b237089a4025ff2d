// cordon: the questions of `cordon mcp --ask`, between a call's worker and the server.
//
//   // the worker's AskGate (platform/linux/ask.cpp), on the supervisor's thread:
//   send(channel, encode_ask_question(q));            // one SOCK_SEQPACKET message
//   auto a = decode_ask_answer(reply);                // an answer to q.id, or ignored
//   // the server (apps/server/mcp_server.cpp), on the call's thread:
//   auto q = decode_ask_question(message);            // then elicitation/create to the client
//   send(channel, encode_ask_answer({q->id, AskAnswer::Run, "mcp-client"}));
//
// The worker asks, the server asks the MCP client (apps/server/elicitation.hpp) and
// answers. Both ends are cordon's, outside the sandbox: nothing inside holds the channel.
// Each side still decodes the other's bytes as untrusted (pure, total, bounded): a
// malformed message is nullopt, never a grant. An answer carries the question's id; the
// worker takes only the answer to the question it is waiting for (a late one is dropped).
//
// A question is about a file (network "") or about the network: "localhost" (a connect()
// to the host's loopback port `port`; path: the address as the command gave it) or
// "domain" (a host name not on the allowlist; path: the name, port: the port connected
// to, 0 for a lookup; via: "proxy" or "name server", which see no process: pid 0). A
// network question names no directory and no rename target; its "always" needs only the
// config file (network.allow_localhost or network.allow is written there).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cordon {

inline constexpr size_t kMaxAskMessageBytes = 64u << 10;

struct AskChannelQuestion {
  uint64_t id = 0;
  std::string operation;  // "create", "mkdir", "write", "delete", "rename"; "connect", "resolve"
  std::string network;    // "": a file; "localhost", "domain": a network question (above)
  std::string path;       // on the host; network: the address or the host name
  uint16_t port = 0;      // network: the port ("localhost": 1..65535; "domain": 0 for a lookup)
  std::string via;        // "domain": "", "proxy" or "name server" (who asked)
  std::string to;         // rename: the new name ("" otherwise)
  int pid = 0;
  std::string command;    // the asking process's argv, joined with spaces
  std::string directory;  // the directory "for this run" / "always" would name ("": not offered)
  std::string config;     // the file "always" writes a rule to ("": not offered)
  int timeout_seconds = 60;
};

enum class AskAnswer { Once, Run, Directory, Always, Deny };

struct AskChannelAnswer {
  uint64_t id = 0;
  AskAnswer answer = AskAnswer::Deny;
  // Who answered: "mcp-client", "timeout" (no answer in time), "limit" (the call asked
  // too often), "no-client" (the client can no longer answer). Anything else: nullopt.
  std::string by = "mcp-client";
};

std::string encode_ask_question(const AskChannelQuestion& q);
std::optional<AskChannelQuestion> decode_ask_question(std::string_view bytes);
std::string encode_ask_answer(const AskChannelAnswer& a);
std::optional<AskChannelAnswer> decode_ask_answer(std::string_view bytes);

// "once", "run", "directory", "always", "deny" and back.
const char* ask_answer_name(AskAnswer a);
std::optional<AskAnswer> ask_answer_from_name(std::string_view name);
// Whether a question offers the answer: "directory" needs a directory (never for the
// network), "always" a config file (and a directory, for a file); the others are always
// offered.
bool ask_answer_offered(const AskChannelQuestion& q, AskAnswer a);

}  // namespace cordon
