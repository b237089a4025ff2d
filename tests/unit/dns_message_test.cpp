// The sandbox's name server answer (core/dns_message.hpp): "no such name" to a standard
// query, nothing to anything else.
#include "core/dns_message.hpp"

#include <gtest/gtest.h>

#include <string>

using cordon::nxdomain_reply;

namespace {

// A query for `name` (dotted), type A, class IN, with an EDNS OPT record when `edns`.
std::string query(const std::string& name, bool edns = false, uint8_t flags_hi = 0x01) {
  std::string q = {
      '\x12', '\x34', static_cast<char>(flags_hi),    '\x00', '\x00', '\x01', '\x00', '\x00', '\x00',
      '\x00', '\x00', static_cast<char>(edns ? 1 : 0)};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q += static_cast<char>(dot - start);
    q += name.substr(start, dot - start);
    start = dot + 1;
  }
  q += std::string("\x00\x00\x01\x00\x01", 5);
  if (edns) q += std::string("\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
  return q;
}

}  // namespace

TEST(DnsMessage, AStandardQueryGetsNxdomainWithItsIdAndQuestion) {
  for (bool edns : {false, true}) {
    const std::string q = query("registry.npmjs.org", edns);
    std::string r;
    ASSERT_TRUE(nxdomain_reply(q, r));
    const size_t question_end = 12 + 20 + 4;  // 8registry5npmjs3org0 + type + class
    ASSERT_EQ(r.size(), question_end);
    EXPECT_EQ(r.substr(0, 2), "\x12\x34");
    EXPECT_EQ(static_cast<uint8_t>(r[2]), 0x81);  // QR, RD as asked
    EXPECT_EQ(static_cast<uint8_t>(r[3]), 0x83);  // RA, NXDOMAIN
    EXPECT_EQ(r.substr(4, 8), std::string("\x00\x01\x00\x00\x00\x00\x00\x00", 8));
    EXPECT_EQ(r.substr(12), q.substr(12, question_end - 12));
  }
  std::string root;
  EXPECT_TRUE(nxdomain_reply(query(""), root));  // the root name
}

TEST(DnsMessage, AnythingElseGetsNoAnswer) {
  std::string r = "stale";
  const std::string good = query("example.com");
  EXPECT_FALSE(nxdomain_reply(good.substr(0, 11), r));  // shorter than a header
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(nxdomain_reply(good.substr(0, good.size() - 1), r));    // class cut short
  EXPECT_FALSE(nxdomain_reply(query("example.com", false, 0x81), r));  // a response
  EXPECT_FALSE(nxdomain_reply(query("example.com", false, 0x29), r));  // opcode 5 (UPDATE)
  std::string two = good;
  two[5] = 2;  // two questions
  EXPECT_FALSE(nxdomain_reply(two, r));
  std::string pointer = good;
  pointer[12] = static_cast<char>(0xC0);  // a compression pointer in a query's only name
  EXPECT_FALSE(nxdomain_reply(pointer, r));
  std::string unterminated(12, '\0');
  unterminated[5] = 1;
  unterminated += std::string(300, '\x01');  // labels of one byte, never ending, past 255
  EXPECT_FALSE(nxdomain_reply(unterminated, r));
  std::string reply;
  ASSERT_TRUE(nxdomain_reply(good, reply));
  EXPECT_FALSE(nxdomain_reply(reply, r));  // an answer is not answered
}
