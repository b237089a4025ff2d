#include "e2e/harness.hpp"

using namespace cordon_test;

TEST(Run, ExitCodeAndOutputPassThrough) {
  TempDir ws;
  auto o = cordon_sh(ws.path(), "echo hello; echo oops >&2; exit 7");
  EXPECT_EQ(o.code, 7) << o.err;
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_NE(o.err.find("oops"), std::string::npos);
}

TEST(Run, WritesInWorkspaceLandAndOutsideAreDenied) {
  TempDir ws, outside;
  auto o = cordon_sh(ws.path(),
                     "echo ok > inside.txt && echo bad > " + outside.path() + "/escape.txt; echo rc=$?");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(ws / "inside.txt"), "ok\n");
  EXPECT_FALSE(exists(outside / "escape.txt"));
  EXPECT_EQ(o.out.find("rc=0"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.err.find("Read-only file system"), std::string::npos) << o.err;
}
