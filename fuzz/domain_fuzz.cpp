// libFuzzer target: host-name normalisation, domain patterns, IP literals and the
// proxy's request parsers on arbitrary bytes. Checks invariants, not just crashes:
//  - a normalised name is ASCII, lower case, at most 253 bytes, and a fixed point;
//  - a parsed pattern matches its own normalised text (exact) or a name below it;
//  - an IP literal round-trips through its canonical text;
//  - the parsers never consume more than they were given;
//  - the NXDOMAIN answer to a DNS query is never longer than the query, keeps its ID and
//    question, and is itself not a query (so two of cordon's answerers cannot loop).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns_message.hpp"
#include "core/domain_pattern.hpp"
#include "core/proxy_protocol.hpp"

using namespace cordon;

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    __builtin_trap();
  }
  (void)what;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto host = normalize_host(text)) {
    require(host->size() <= 253 || parse_ip_literal(*host).has_value(), "long name");
    for (char c : *host)
      require(static_cast<unsigned char>(c) < 0x80 && !(c >= 'A' && c <= 'Z'), "not lower ASCII");
    auto again = normalize_host(*host);
    require(again && *again == *host, "normalisation is not a fixed point");
  }
  if (auto p = parse_domain_pattern(text)) {
    if (p->wildcard) {
      require(p->matches("a." + p->suffix) && !p->matches(p->suffix), "wildcard semantics");
    } else {
      require(p->matches(p->text), "exact pattern does not match itself");
    }
    auto f = DomainFilter::build({p->text}, {p->text});
    require(f && f->decide(p->wildcard ? "a." + p->suffix : p->text) == DomainVerdict::Denied, "deny wins");
  }
  if (auto ip = parse_ip_literal(text)) {
    auto back = parse_ip_literal(ip->to_string());
    require(back && *back == *ip, "IP literal round trip");
    (void)special_use_reason(*ip);
  }
  auto h = parse_http_proxy_request(text);
  require(h.consumed <= size, "http consumed");
  if (h.state == ParseState::Done) require(!h.host.empty() && h.port != 0, "http target");
  auto g = parse_socks_greeting(text);
  require(g.consumed <= size, "socks greeting consumed");
  auto s = parse_socks_request(text);
  require(s.consumed <= size, "socks request consumed");
  std::string reply;
  if (nxdomain_reply(text, reply)) {
    require(reply.size() <= size && reply.size() >= 17, "dns reply size");
    require(reply.compare(0, 2, text.substr(0, 2)) == 0, "dns reply id");
    require(reply.compare(12, std::string::npos, text.substr(12, reply.size() - 12)) == 0, "dns question");
    std::string again;
    require(!nxdomain_reply(reply, again), "a reply is answered");
  } else {
    require(reply.empty(), "dns refusal leaves no reply");
  }
  // The direct route's answers: only for a query nxdomain_reply() answers, never over 512 bytes.
  const auto question = dns_question(text);
  std::vector<std::array<uint8_t, 16>> addresses(64);
  std::string answer;
  const bool answered = address_reply(text, 0, addresses, 60, answer);
  require(answered == question.has_value(), "dns answer iff a question");
  if (question)
    require(answered && answer.size() <= 512 && answer.compare(0, 2, text.substr(0, 2)) == 0, "dns answer");
  return 0;
}
