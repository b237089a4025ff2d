#include "plan/plan_digest.hpp"

#include <gtest/gtest.h>

namespace cordon {
namespace {

LinuxPlan base() {
  LinuxPlan p;
  p.mounts.push_back({MountKind::BindWritable, "/w", "/w", "workspace"});
  p.mounts.push_back({MountKind::BindReadOnly, "/w/.git/hooks", "", "git hooks"});
  p.landlock.rules.push_back({"/w", 0xff});
  p.git_watch = {};
  return p;
}

TEST(PlanDigest, ChangesWithWhatTheSandboxEnforces) {
  const std::string d = plan_digest(base());
  EXPECT_EQ(d, plan_digest(base()));
  LinuxPlan more = base();
  more.mounts.push_back({MountKind::BindReadOnly, "/w/sub/.git/config", "", "git config"});
  EXPECT_NE(plan_digest(more), d);
  LinuxPlan watch = base();
  watch.git_watch = {"/w"};
  EXPECT_NE(plan_digest(watch), d);
  LinuxPlan rule = base();
  rule.landlock.rules[0].access = 0x7f;
  EXPECT_NE(plan_digest(rule), d);
  LinuxPlan kind = base();
  kind.sandbox = LinuxSandbox::LandlockOnly;
  EXPECT_NE(plan_digest(kind), d);
  // Length-prefixed: moving a character between two paths is a different plan.
  LinuxPlan a = base(), b = base();
  a.mounts[0].target = "/w/a";
  a.mounts[0].source = "b";
  b.mounts[0].target = "/w/";
  b.mounts[0].source = "ab";
  EXPECT_NE(plan_digest(a), plan_digest(b));
}

// A worker planned without --review (or for another change set, or other staged roots)
// never matches a review plan.
TEST(PlanDigest, ReviewOverlaysCount) {
  const std::string d = plan_digest(base());
  LinuxPlan review = base();
  review.review = ReviewOverlay{"/w", "lowerdir=/w,upperdir=/s/reviews/a/upper,workdir=/s/reviews/a/work"};
  EXPECT_NE(plan_digest(review), d);
  LinuxPlan other = review;
  other.review->options = "lowerdir=/w,upperdir=/s/reviews/b/upper,workdir=/s/reviews/b/work";
  EXPECT_NE(plan_digest(other), plan_digest(review));
  LinuxPlan all = review;
  all.review_roots.push_back({"/c", "lowerdir=/c,upperdir=/s/reviews/a/roots/1/upper"});
  EXPECT_NE(plan_digest(all), plan_digest(review));
}

// A placeholder cordon makes for a missing protected path and that path existing give the
// same sandbox: a warm worker is not thrown away because another one made the placeholder.
TEST(PlanDigest, PlaceholdersDoNotCount) {
  LinuxPlan with = base();
  with.placeholders.push_back({"/w/.claude", true});
  EXPECT_EQ(plan_digest(with), plan_digest(base()));
}

}  // namespace
}  // namespace cordon
