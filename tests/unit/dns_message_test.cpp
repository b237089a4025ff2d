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

TEST(DnsMessage, TheQuestionIsReadAsText) {
  const auto q = cordon::dns_question(query("Good.Test", true));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->name, "Good.Test");
  EXPECT_EQ(q->type, 1);
  EXPECT_EQ(q->klass, 1);
  std::string odd = query("a.b");
  odd[13] = '.';  // a label holding a dot ("\.") names nothing cordon allows
  EXPECT_FALSE(cordon::dns_question(odd));
  EXPECT_FALSE(cordon::dns_question(std::string("\x12\x34", 2)));
}

TEST(DnsMessage, AnAddressReplyCarriesOneRecordPerAddressUnder512Bytes) {
  const std::string q = query("good.test", true);
  std::vector<std::array<uint8_t, 16>> addrs(2);
  addrs[0][0] = 198, addrs[0][1] = 18, addrs[0][3] = 1;
  addrs[1][0] = 198, addrs[1][1] = 18, addrs[1][3] = 2;
  std::string r;
  ASSERT_TRUE(cordon::address_reply(q, 0, addrs, 60, r));
  const size_t question_end = 12 + 11 + 4;
  ASSERT_EQ(r.size(), question_end + 2 * 16);
  EXPECT_EQ(r[3] & 0x0F, 0);
  EXPECT_EQ(r[7], 2);   // ANCOUNT
  EXPECT_EQ(r[11], 0);  // the OPT record of the query is not echoed
  EXPECT_EQ(r.substr(question_end, 2), "\xC0\x0C");
  EXPECT_EQ(r.substr(question_end + 12, 4), std::string("\xC6\x12\x00\x01", 4));
  // NXDOMAIN: no records.
  ASSERT_TRUE(cordon::address_reply(q, 3, addrs, 60, r));
  EXPECT_EQ(r.size(), question_end);
  EXPECT_EQ(r[3] & 0x0F, 3);
  // Many addresses: cut below 512 bytes.
  std::vector<std::array<uint8_t, 16>> many(100, addrs[0]);
  ASSERT_TRUE(cordon::address_reply(q, 0, many, 60, r));
  EXPECT_LE(r.size(), 512u);
  EXPECT_EQ(static_cast<size_t>(static_cast<uint8_t>(r[6]) << 8 | static_cast<uint8_t>(r[7])),
            (r.size() - question_end) / 16);
}
