// The byte-level DACL editor (plan/windows/raw_acl.hpp): ACEs cordon does not model
// survive every edit byte for byte and in place (F18 of the Windows review: the applier
// rebuilt DACLs from plain allow/deny ACEs and dropped conditional denies).
#include "plan/windows/raw_acl.hpp"

#include <gtest/gtest.h>

namespace cordon::win {
namespace {

const Sid kUserSid{5, {21, 100, 200, 300, 1001}};
const Sid kCap = sids::capability({3, 3, 3, 3});

// An ACCESS_DENIED_CALLBACK_ACE with a conditional expression as application data
// (the bytes after the SID: "artx" and a token stream; any bytes do here).
std::vector<uint8_t> conditional_deny() {
  RawAce base = encode_ace({AceType::Deny, sids::everyone(), 0x001F01FF, 0});
  std::vector<uint8_t> b = base.bytes;
  b[0] = ace_types::kDeniedCallback;
  for (uint8_t c : std::initializer_list<uint8_t>{'a', 'r', 't', 'x', 0xF8, 0x02, 0x00, 0x00}) b.push_back(c);
  b[2] = static_cast<uint8_t>(b.size());
  b[3] = 0;
  return b;
}

// An ACCESS_ALLOWED_OBJECT_ACE: mask, flags (no GUIDs), SID.
std::vector<uint8_t> object_allow() {
  RawAce base = encode_ace({AceType::Allow, kUserSid, 0x10, 0});
  std::vector<uint8_t> b(base.bytes.begin(), base.bytes.begin() + 8);
  b[0] = ace_types::kAllowedObject;
  for (int i = 0; i < 4; ++i) b.push_back(0);  // Flags: no object type GUIDs
  b.insert(b.end(), base.bytes.begin() + 8, base.bytes.end());
  b[2] = static_cast<uint8_t>(b.size());
  return b;
}

std::vector<uint8_t> acl_of(const std::vector<std::vector<uint8_t>>& aces, uint8_t revision = 2) {
  RawAcl acl;
  acl.revision = revision;
  for (const auto& b : aces) {
    RawAce r;
    r.bytes = b;
    acl.aces.push_back(r);
  }
  return serialize(acl);
}

TEST(WinRawAcl, UnknownAcesSurviveInsertAndRemoveByteForByte) {
  Ace inherited_user{AceType::Allow, kUserSid, access::kFileAllAccess,
                     static_cast<uint8_t>(ace_flags::kTree | ace_flags::kInherited)};
  const std::vector<uint8_t> cond = conditional_deny(), obj = object_allow();
  std::vector<uint8_t> bytes = acl_of({cond, obj, encode_ace(inherited_user).bytes});
  auto acl = parse_acl(bytes.data(), bytes.size());
  ASSERT_TRUE(acl) << acl.error().message();
  ASSERT_EQ(acl->aces.size(), 3u);
  EXPECT_FALSE(acl->aces[0].plain) << "a callback ACE is never decoded (so never edited)";
  EXPECT_EQ(plain_aces(*acl).size(), 1u);

  Ace deny{AceType::Deny, kCap, access::kModifying, ace_flags::kTree};
  Ace allow{AceType::Allow, kCap, access::kFileGenericWrite, ace_flags::kTree};
  insert_canonical(*acl, allow);
  insert_canonical(*acl, deny);
  EXPECT_TRUE(contains_explicit(*acl, deny));
  EXPECT_TRUE(contains_explicit(*acl, allow));
  // Order: the conditional deny, cordon's deny (before the first allow of any kind,
  // here the object ACE), the object allow, cordon's allow, then the inherited ACE.
  ASSERT_EQ(acl->aces.size(), 5u);
  EXPECT_EQ(acl->aces[0].bytes, cond);
  EXPECT_EQ(acl->aces[1].plain, deny);
  EXPECT_EQ(acl->aces[2].bytes, obj);
  EXPECT_EQ(acl->aces[3].plain, allow);
  EXPECT_TRUE(acl->aces[4].inherited());

  std::vector<uint8_t> written = serialize(*acl);
  EXPECT_EQ(written[0], 4) << "object ACEs need ACL_REVISION_DS";
  auto again = parse_acl(written.data(), written.size());
  ASSERT_TRUE(again);
  EXPECT_TRUE(erase_explicit(*again, deny));
  EXPECT_TRUE(erase_explicit(*again, allow));
  EXPECT_FALSE(erase_explicit(*again, allow));
  std::vector<uint8_t> back = serialize(*again);
  std::vector<uint8_t> expected = acl_of({cond, obj, encode_ace(inherited_user).bytes}, 4);
  EXPECT_EQ(back, expected);
}

TEST(WinRawAcl, EraseSidsTouchesOnlyExplicitPlainAces) {
  Ace mine{AceType::Allow, kCap, access::kFileGenericRead, 0};
  Ace mine_inherited{AceType::Deny, kCap, access::kDelete, ace_flags::kInherited};
  std::vector<uint8_t> callback = conditional_deny();
  std::vector<uint8_t> bytes = acl_of({encode_ace(mine).bytes, callback, encode_ace(mine_inherited).bytes});
  auto acl = parse_acl(bytes.data(), bytes.size());
  ASSERT_TRUE(acl);
  EXPECT_EQ(erase_explicit_sids(*acl, {kCap}), 1);
  ASSERT_EQ(acl->aces.size(), 2u);
  EXPECT_EQ(acl->aces[0].bytes, callback);
}

TEST(WinRawAcl, EncodedAcesMatchTheDocumentedLayout) {
  // S-1-1-0 (Everyone), ACCESS_ALLOWED, OI|CI, FILE_ALL_ACCESS: the bytes icacls would
  // show for (OI)(CI)F.
  RawAce e = encode_ace({AceType::Allow, sids::everyone(), 0x001F01FF, ace_flags::kTree});
  std::vector<uint8_t> want = {0x00, 0x03, 0x14, 0x00, 0xFF, 0x01, 0x1F, 0x00, 0x01, 0x01,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(e.bytes, want);
  auto acl = parse_acl(acl_of({want}).data(), acl_of({want}).size());
  ASSERT_TRUE(acl);
  ASSERT_TRUE(acl->aces[0].plain);
  EXPECT_EQ(acl->aces[0].plain->sid, sids::everyone());
}

TEST(WinRawAcl, MalformedAclsAreRefusedNotGuessed) {
  std::vector<uint8_t> good = acl_of({encode_ace({AceType::Allow, kUserSid, 1, 0}).bytes});
  EXPECT_TRUE(parse_acl(good.data(), good.size()));
  EXPECT_FALSE(parse_acl(good.data(), 4));
  auto bad_count = good;
  bad_count[4] = 2;  // two ACEs announced, one present
  EXPECT_FALSE(parse_acl(bad_count.data(), bad_count.size()));
  auto bad_ace = good;
  bad_ace[8 + 2] = 0xF0;  // an ACE larger than the ACL
  EXPECT_FALSE(parse_acl(bad_ace.data(), bad_ace.size()));
  auto bad_rev = good;
  bad_rev[0] = 9;
  EXPECT_FALSE(parse_acl(bad_rev.data(), bad_rev.size()));
  auto tiny_ace = good;
  tiny_ace[8 + 2] = 2;
  EXPECT_FALSE(parse_acl(tiny_ace.data(), tiny_ace.size()));
}

}  // namespace
}  // namespace cordon::win
