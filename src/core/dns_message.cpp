#include "core/dns_message.hpp"

#include <cstddef>
#include <cstdint>

namespace cordon {
namespace {

constexpr size_t kHeader = 12;
constexpr size_t kMaxName = 255;  // RFC 1035 2.3.4, in wire form

uint8_t byte_at(std::string_view s, size_t i) {
  return static_cast<uint8_t>(s[i]);
}

}  // namespace

bool nxdomain_reply(std::string_view query, std::string& reply) {
  reply.clear();
  if (query.size() < kHeader) return false;
  const uint8_t flags_hi = byte_at(query, 2);
  const bool is_response = (flags_hi & 0x80) != 0;
  const unsigned opcode = (flags_hi >> 3) & 0xF;
  const unsigned questions = static_cast<unsigned>(byte_at(query, 4) << 8 | byte_at(query, 5));
  if (is_response || opcode != 0 || questions != 1) return false;
  // The question: labels up to a zero byte (no compression in a query's only name), then
  // QTYPE and QCLASS.
  size_t at = kHeader;
  for (;;) {
    if (at >= query.size()) return false;
    const uint8_t len = byte_at(query, at);
    if (len == 0) break;
    if (len > 63) return false;  // a pointer or an extended label type
    at += 1 + len;
    if (at - kHeader > kMaxName) return false;
  }
  const size_t end = at + 1 + 4;
  if (end > query.size()) return false;
  reply.assign(query.substr(0, end));
  reply[2] = static_cast<char>(0x80 | (flags_hi & 0x01));  // QR, opcode 0, not authoritative, RD as asked
  reply[3] = static_cast<char>(0x80 | 0x03);               // RA, RCODE 3 (NXDOMAIN)
  for (size_t i = 6; i < kHeader; ++i) reply[i] = 0;       // no answer, authority or additional records
  return true;
}

}  // namespace cordon
