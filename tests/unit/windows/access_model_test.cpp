// The access-check MODEL (documented semantics, not Windows itself): the building
// blocks the planner relies on.
#include <gtest/gtest.h>

#include "plan/windows/access.hpp"

namespace cordon::win {
namespace {

using namespace access;

const Sid kUser{5, {21, 9, 9, 9, 1001}};
const Sid kCap = sids::capability({1, 2, 3, 4});
const Sid kOther = sids::capability({5, 6, 7, 8});

TokenModel restricted() {
  TokenModel t;
  t.user = kUser;
  t.groups = {{sids::everyone(), true, false}, {sids::administrators(), false, true}};
  t.restricting = {kCap, sids::everyone()};
  t.write_restricted = true;
  return t;
}

const std::vector<Ace> kUserOnly = {{AceType::Allow, kUser, kFileAllAccess, 0}};

TEST(WinAccessModel, NullDaclGrantsAndEmptyDaclDenies) {
  TokenModel t = restricted();
  EXPECT_TRUE(access_allowed(t, nullptr, kUser, kFileAllAccess, RestrictedScope::GenericWrite));
  std::vector<Ace> empty;
  EXPECT_FALSE(access_allowed(t, &empty, Sid{}, kReadData, RestrictedScope::GenericWrite));
}

TEST(WinAccessModel, ReadsUseTheNormalPassOnly) {
  TokenModel t = restricted();
  EXPECT_TRUE(access_allowed(t, &kUserOnly, kUser, kFileGenericRead, RestrictedScope::AllModifying));
  EXPECT_FALSE(access_allowed(t, &kUserOnly, kUser, kWriteData, RestrictedScope::AllModifying));
}

TEST(WinAccessModel, WritesNeedBothPasses) {
  TokenModel t = restricted();
  std::vector<Ace> both = {{AceType::Allow, kUser, kFileAllAccess, 0},
                           {AceType::Allow, kCap, kFileGenericWrite, 0}};
  EXPECT_TRUE(access_allowed(t, &both, kUser, kWriteData | kAppendData, RestrictedScope::AllModifying));
  std::vector<Ace> cap_only = {{AceType::Allow, kCap, kFileAllAccess, 0}};
  EXPECT_FALSE(access_allowed(t, &cap_only, kUser, kWriteData, RestrictedScope::AllModifying));
  std::vector<Ace> other = {{AceType::Allow, kUser, kFileAllAccess, 0},
                            {AceType::Allow, kOther, kFileAllAccess, 0}};
  EXPECT_FALSE(access_allowed(t, &other, kUser, kWriteData, RestrictedScope::AllModifying));
}

TEST(WinAccessModel, DenyBeforeAllowAndOrderMatters) {
  TokenModel t = restricted();
  std::vector<Ace> deny_first = {{AceType::Allow, kUser, kFileAllAccess, 0},
                                 {AceType::Deny, kCap, kWriteData, 0},
                                 {AceType::Allow, kCap, kFileAllAccess, 0}};
  EXPECT_FALSE(access_allowed(t, &deny_first, kUser, kWriteData, RestrictedScope::AllModifying));
  EXPECT_TRUE(access_allowed(t, &deny_first, kUser, kAppendData, RestrictedScope::AllModifying));
  std::vector<Ace> allow_first = {{AceType::Allow, kUser, kFileAllAccess, 0},
                                  {AceType::Allow, kCap, kFileAllAccess, 0},
                                  {AceType::Deny, kCap, kWriteData, 0}};
  EXPECT_TRUE(access_allowed(t, &allow_first, kUser, kWriteData, RestrictedScope::AllModifying));
}

TEST(WinAccessModel, DenyOnlyGroupsMatchDenyAcesOnly) {
  TokenModel t = restricted();
  std::vector<Ace> admin_allow = {{AceType::Allow, sids::administrators(), kFileAllAccess, 0}};
  EXPECT_FALSE(access_allowed(t, &admin_allow, Sid{}, kReadData, RestrictedScope::AllModifying));
  std::vector<Ace> admin_deny = {{AceType::Deny, sids::administrators(), kReadData, 0},
                                 {AceType::Allow, kUser, kFileAllAccess, 0}};
  EXPECT_FALSE(access_allowed(t, &admin_deny, kUser, kReadData, RestrictedScope::AllModifying));
}

TEST(WinAccessModel, InheritOnlyAcesAreSkipped) {
  TokenModel t = restricted();
  std::vector<Ace> io = {{AceType::Allow, kUser, kFileAllAccess, ace_flags::kInheritOnly | ace_flags::kTree}};
  EXPECT_FALSE(access_allowed(t, &io, Sid{}, kReadData, RestrictedScope::AllModifying));
}

TEST(WinAccessModel, GenericRightsAreMapped) {
  EXPECT_EQ(map_generic(kGenericWrite), kFileGenericWrite);
  EXPECT_EQ(map_generic(kGenericAll), kFileAllAccess);
  TokenModel t = restricted();
  std::vector<Ace> generic = {{AceType::Allow, kUser, kGenericAll, 0},
                              {AceType::Allow, kCap, kGenericWrite, 0}};
  EXPECT_TRUE(access_allowed(t, &generic, kUser, kWriteData, RestrictedScope::AllModifying));
}

// The open question of stage 1: which rights the restricted pass of a
// WRITE_RESTRICTED token covers. Under the narrow reading, DELETE and WRITE_DAC come
// from the user's own rights alone; under the wide one they need a capability SID too.
TEST(WinAccessModel, RestrictedScopeDecidesDeleteAndDac) {
  TokenModel t = restricted();
  EXPECT_TRUE(access_allowed(t, &kUserOnly, kUser, kDelete, RestrictedScope::GenericWrite));
  EXPECT_TRUE(access_allowed(t, &kUserOnly, kUser, kWriteDac, RestrictedScope::GenericWrite));
  EXPECT_FALSE(access_allowed(t, &kUserOnly, kUser, kDelete, RestrictedScope::AllModifying));
  EXPECT_FALSE(access_allowed(t, &kUserOnly, kUser, kWriteDac, RestrictedScope::AllModifying));
  EXPECT_FALSE(access_allowed(t, &kUserOnly, kUser, kDeleteChild, RestrictedScope::AllModifying));
}

TEST(WinAccessModel, OwnerGetsReadControlAndWriteDacInTheNormalPass) {
  TokenModel t;
  t.user = kUser;
  std::vector<Ace> none;
  EXPECT_TRUE(access_allowed(t, &none, kUser, kWriteDac | kReadControl, RestrictedScope::AllModifying));
  EXPECT_FALSE(access_allowed(t, &none, Sid{}, kWriteDac, RestrictedScope::AllModifying));
}

TEST(WinAccessModel, DescribeAndToString) {
  EXPECT_EQ(describe(kWriteData | kDelete), "WD|DE");
  Ace a{AceType::Deny, kCap, kWriteData, ace_flags::kTree};
  EXPECT_EQ(to_string(a), "deny S-1-5-21-1-2-3-4 WD (OI) (CI)");
}

}  // namespace
}  // namespace cordon::win
