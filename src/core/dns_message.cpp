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

std::optional<DnsQuestion> dns_question(std::string_view query) {
  std::string reply;
  if (!nxdomain_reply(query, reply)) return std::nullopt;
  DnsQuestion q;
  size_t at = kHeader;
  for (;;) {
    const uint8_t len = byte_at(query, at);
    if (len == 0) break;
    if (!q.name.empty()) q.name += '.';
    for (size_t i = at + 1; i < at + 1 + len; ++i) {
      const char c = query[i];
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return std::nullopt;
      q.name += c;
    }
    at += 1 + len;
  }
  q.type = static_cast<uint16_t>(byte_at(query, at + 1) << 8 | byte_at(query, at + 2));
  q.klass = static_cast<uint16_t>(byte_at(query, at + 3) << 8 | byte_at(query, at + 4));
  return q;
}

bool address_reply(std::string_view query, int rcode, const std::vector<std::array<uint8_t, 16>>& addresses,
                   uint32_t ttl, std::string& reply) {
  const auto q = dns_question(query);
  if (!q || !nxdomain_reply(query, reply)) return false;
  reply[3] = static_cast<char>(0x80 | (rcode & 0x0F));
  const size_t size = q->type == 1 ? 4 : q->type == 28 ? 16 : 0;
  if (rcode != 0 || size == 0) return true;  // no records: an error, or no data of that type
  uint16_t count = 0;
  for (const auto& a : addresses) {
    if (reply.size() + 12 + size > 512) break;
    const char record[12] = {static_cast<char>(0xC0),
                             static_cast<char>(kHeader),  // the question's name
                             static_cast<char>(q->type >> 8),
                             static_cast<char>(q->type & 0xFF),
                             0,
                             1,  // class IN
                             static_cast<char>(ttl >> 24),
                             static_cast<char>(ttl >> 16),
                             static_cast<char>(ttl >> 8),
                             static_cast<char>(ttl),
                             0,
                             static_cast<char>(size)};
    reply.append(record, sizeof record);
    reply.append(reinterpret_cast<const char*>(a.data()), size);
    ++count;
  }
  reply[6] = static_cast<char>(count >> 8);
  reply[7] = static_cast<char>(count & 0xFF);
  return true;
}

}  // namespace cordon
