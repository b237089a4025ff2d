// The formats that carry a command into the sandbox's init (core/exec_request.hpp):
// round trips, and refusal of anything malformed (the init trusts none of it).
#include "core/exec_request.hpp"

#include <gtest/gtest.h>

using namespace cordon;

TEST(InitSpec, RoundTrips) {
  InitSpec spec{true,
                false,
                (uint64_t{1} << 1) | (uint64_t{1} << 63),
                {"sh", "-c", "echo 'a b'\n\t"},
                {"PATH=/usr/bin", "EMPTY=", "EQ=a=b"}};
  auto back = decode_init_spec(encode_init_spec(spec));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->pid1);
  EXPECT_FALSE(back->read_request);
  EXPECT_EQ(back->signal_mask, spec.signal_mask);
  EXPECT_EQ(back->argv, spec.argv);
  EXPECT_EQ(back->env, spec.env);
}

TEST(InitSpec, ARequestReaderMayHaveNoCommandAndNoEnvironment) {
  auto back = decode_init_spec(encode_init_spec(InitSpec{false, true, 0, {}, {}}));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->pid1);
  EXPECT_TRUE(back->read_request);
  EXPECT_TRUE(back->argv.empty());
}

TEST(InitSpec, RefusesMalformedBytes) {
  const std::string good = encode_init_spec(InitSpec{true, false, 0, {"true"}, {"A=1"}});
  EXPECT_FALSE(decode_init_spec(""));
  EXPECT_FALSE(decode_init_spec(good.substr(0, good.size() - 1)));  // last field unterminated
  EXPECT_FALSE(decode_init_spec(good + "extra"));
  EXPECT_FALSE(decode_init_spec(good + std::string("extra\0", 6)));  // more fields than counted
  std::string other = good;
  other[0] = 'x';
  EXPECT_FALSE(decode_init_spec(other));
  EXPECT_FALSE(decode_init_spec(encode_init_spec(InitSpec{true, false, 0, {}, {}})));  // nothing to run
  EXPECT_FALSE(
      decode_init_spec(std::string("cordon-init-1\0p--\0"
                                   "1\0"
                                   "99999999999999999999999\0"
                                   "0\0",
                                   44)));
}

TEST(ExecRequest, EncodesLengthThenJsonAndParsesBack) {
  ExecRequest r{{"sh", "-c", "echo \"hi\""}, "/work space", {{"X", "1"}, {"Y", "a b"}}};
  const std::string wire = encode_exec_request(r);
  const size_t nl = wire.find('\n');
  ASSERT_NE(nl, std::string::npos);
  const std::string body = wire.substr(nl + 1);
  EXPECT_EQ(std::stoul(wire.substr(0, nl)), body.size());
  auto back = parse_exec_request(body);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->argv, r.argv);
  EXPECT_EQ(back->cwd, r.cwd);
  EXPECT_EQ(back->env, r.env);
}

TEST(ExecRequest, RefusesWhatCannotBeRun) {
  for (const char* bad :
       {"", "[]", "{}", R"({"argv":[],"cwd":"/"})", R"({"argv":"sh","cwd":"/"})", R"({"argv":[1],"cwd":"/"})",
        R"({"argv":["sh"]})", R"({"argv":["sh"],"cwd":"rel"})", R"({"argv":["sh"],"cwd":"/","env":[["X"]]})",
        R"({"argv":["sh"],"cwd":"/","env":{"X":"1"}})", R"({"argv":["s\u0000h"],"cwd":"/"})",
        R"({"argv":["sh"],"cwd":"/","env":[["X","a\u0000"]]})"})
    EXPECT_FALSE(parse_exec_request(bad)) << bad;
  EXPECT_TRUE(parse_exec_request(R"({"argv":["sh"],"cwd":"/"})"));
}

TEST(InitSpec, CarriesTheControllingTerminalsStream) {
  for (int fd : {-1, 0, 1, 2}) {
    InitSpec spec{true, false, 0, {"sh"}, {}, fd};
    auto back = decode_init_spec(encode_init_spec(spec));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->ctty_fd, fd);
  }
  std::string bad = encode_init_spec(InitSpec{true, false, 0, {"sh"}, {}, 2});
  bad[bad.find('\0') + 3] = '3';  // "p-3": no such standard stream
  EXPECT_FALSE(decode_init_spec(bad));
}
