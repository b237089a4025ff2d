// cordon: the DNS answers cordon gives on the sandbox's own name server (pure; unit-tested
// and fuzzed): "no such name" when the network is off, and with --allow-domain the
// addresses of the direct route (platform/linux/direct_route.hpp) for allowed names.
//
//   std::string reply;
//   if (nxdomain_reply(query, reply)) send(reply);  // else: drop the datagram
//
// A lookup answered NXDOMAIN fails at once and for good (getaddrinfo: EAI_NONAME), where
// a resolver with no server gets a temporary failure (EAI_AGAIN) that package managers
// retry for minutes. Only a standard query with one question is answered; anything else
// (a response, another opcode, a malformed name) gets no answer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cordon {

// Fills `reply` with the header (the query's ID and RD bit, QR, RA, RCODE 3) and the
// query's question, nothing else. Returns false, leaving `reply` empty, for anything
// but a well-formed standard query with exactly one question.
bool nxdomain_reply(std::string_view query, std::string& reply);

// The one question of a standard query: its name in text form (labels joined by dots,
// without the root's; letters as sent) and its type (1 A, 28 AAAA, ...). Nothing for
// what nxdomain_reply() would not answer, and for a label holding a byte that is not a
// letter, digit, '-' or '_' (no name cordon allows has one).
struct DnsQuestion {
  std::string name;
  uint16_t type = 0;
  uint16_t klass = 0;
};
std::optional<DnsQuestion> dns_question(std::string_view query);

// A reply to `query` (a standard query dns_question() read): RCODE `rcode` (0, 2
// SERVFAIL, 3 NXDOMAIN) and, with rcode 0, one answer record per address, of the
// question's type (4 bytes each for A, 16 for AAAA), with `ttl`. False for a query
// dns_question() refuses. The reply stays under 512 bytes: addresses that do not fit
// are left out (a resolver would otherwise retry over TCP, which nothing serves).
bool address_reply(std::string_view query, int rcode, const std::vector<std::array<uint8_t, 16>>& addresses,
                   uint32_t ttl, std::string& reply);

}  // namespace cordon
