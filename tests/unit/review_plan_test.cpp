// The pure parts of `cordon run --review`: the overlay's mount data (escaped so a
// workspace path cannot add an option or a layer) and the SHA-256 of a change set's base.
#include <gtest/gtest.h>

#include "core/sha256.hpp"
#include "plan/linux_planner.hpp"

using namespace cordon;

TEST(ReviewPlan, OverlayOptionsEscapeSeparators) {
  EXPECT_EQ(review_overlay_options("/w", "/s/upper", "/s/work"),
            "lowerdir=/w,upperdir=/s/upper,workdir=/s/work,userxattr");
  // A comma would add an option (",upperdir=/etc"), a colon a lower layer, a backslash an escape.
  EXPECT_EQ(review_overlay_options("/a,upperdir=/etc", "/u:x", "/w\\"),
            "lowerdir=/a\\,upperdir=/etc,upperdir=/u\\:x,workdir=/w\\\\,userxattr");
}

TEST(ReviewPlan, Sha256KnownVectors) {
  auto hex = [](const std::string& s) {
    Sha256 h;
    h.update(s);
    return h.hex();
  };
  EXPECT_EQ(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 split;  // fed in pieces across block boundaries
  const std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) split.update(a);
  EXPECT_EQ(split.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
