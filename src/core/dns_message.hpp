// cordon: the one DNS answer cordon gives, "no such name", for the sandbox's own name
// server when the network is off (pure; unit-tested and fuzzed).
//
//   std::string reply;
//   if (nxdomain_reply(query, reply)) send(reply);  // else: drop the datagram
//
// A lookup answered NXDOMAIN fails at once and for good (getaddrinfo: EAI_NONAME), where
// a resolver with no server gets a temporary failure (EAI_AGAIN) that package managers
// retry for minutes. Only a standard query with one question is answered; anything else
// (a response, another opcode, a malformed name) gets no answer.
#pragma once

#include <string>
#include <string_view>

namespace cordon {

// Fills `reply` with the header (the query's ID and RD bit, QR, RA, RCODE 3) and the
// query's question, nothing else. Returns false, leaving `reply` empty, for anything
// but a well-formed standard query with exactly one question.
bool nxdomain_reply(std::string_view query, std::string& reply);

}  // namespace cordon
