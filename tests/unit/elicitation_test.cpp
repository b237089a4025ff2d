// cordon mcp --ask: the question channel between a worker and the server
// (core/ask_message.hpp) and the client's elicitation response
// (apps/server/elicitation.hpp). Both treat what they read as hostile: only a
// well-formed answer to the question asked, naming a choice it offered, grants.
#include "apps/server/elicitation.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "apps/server/jsonrpc.hpp"
#include "core/ask_message.hpp"

using namespace cordon;
using server::answer_from_elicitation;
using server::client_can_elicit;
using server::elicitation_params;

namespace {

AskChannelQuestion question(bool directory = true, bool config = true) {
  AskChannelQuestion q;
  q.id = 7;
  q.operation = "create";
  q.path = "/var/tmp/out/cache/a";
  q.pid = 12;
  q.command = "sh -c echo x > /var/tmp/out/cache/a";
  if (directory) q.directory = "/var/tmp/out/cache";
  if (config) q.config = "/home/u/.config/cordon/config.toml";
  q.timeout_seconds = 30;
  return q;
}

const nlohmann::json& question_json() {
  static const nlohmann::json j = nlohmann::json::parse(encode_ask_question(question()));
  return j;
}

nlohmann::json accept(const nlohmann::json& content) {
  return {{"action", "accept"}, {"content", content}};
}

}  // namespace

TEST(AskMessage, QuestionAndAnswerRoundTrip) {
  const AskChannelQuestion q = question();
  auto back = decode_ask_question(encode_ask_question(q));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, 7u);
  EXPECT_EQ(back->path, q.path);
  EXPECT_EQ(back->directory, q.directory);
  EXPECT_EQ(back->config, q.config);
  EXPECT_EQ(back->timeout_seconds, 30);
  for (AskAnswer a :
       {AskAnswer::Once, AskAnswer::Run, AskAnswer::Directory, AskAnswer::Always, AskAnswer::Deny}) {
    auto ans = decode_ask_answer(encode_ask_answer({9, a, "mcp-client"}));
    ASSERT_TRUE(ans);
    EXPECT_EQ(ans->id, 9u);
    EXPECT_EQ(ans->answer, a);
    EXPECT_EQ(ans->by, "mcp-client");
  }
}

TEST(AskMessage, RefusesMalformedAnswers) {
  for (const char* text : {
           "", "null", "[]",
           R"({"id":1,"answer":"run"})",                            // no by
           R"({"id":1,"answer":"run","by":"the user, honestly"})",  // by outside the set
           R"({"id":0,"answer":"run","by":"mcp-client"})",          // id 0 is never asked
           R"({"id":-1,"answer":"run","by":"mcp-client"})", R"({"id":"1","answer":"run","by":"mcp-client"})",
           R"({"id":1.5,"answer":"run","by":"mcp-client"})", R"({"id":1,"answer":"RUN","by":"mcp-client"})",
           R"({"id":1,"answer":["run"],"by":"mcp-client"})", R"({"id":1,"answer":"allow","by":"mcp-client"})",
           R"({"id":1,"answer":"run","by":"mcp-client")",  // cut
       })
    EXPECT_FALSE(decode_ask_answer(text)) << text;
  EXPECT_FALSE(decode_ask_answer(std::string(kMaxAskMessageBytes + 1, ' ')));
}

TEST(AskMessage, RefusesMalformedQuestions) {
  const nlohmann::json good = nlohmann::json::parse(encode_ask_question(question()));
  ASSERT_TRUE(decode_ask_question(good.dump()));
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, nlohmann::json>>{{"id", 0},
                                                           {"id", "7"},
                                                           {"path", ""},
                                                           {"path", 5},
                                                           {"operation", nullptr},
                                                           {"pid", -1},
                                                           {"pid", "12"},
                                                           {"timeout", 0},
                                                           {"timeout", 100000},
                                                           {"directory", 1},
                                                           {"command", std::string(20000, 'x')}}) {
    nlohmann::json bad = good;
    bad[field] = value;
    EXPECT_FALSE(decode_ask_question(bad.dump())) << field << "=" << value.dump().substr(0, 40);
  }
  nlohmann::json no_path = good;
  no_path.erase("path");
  EXPECT_FALSE(decode_ask_question(no_path.dump()));
}

namespace {

AskChannelQuestion network_question(const std::string& network, bool config = true) {
  AskChannelQuestion q;
  q.id = 8;
  q.operation = "connect";
  q.network = network;
  if (network == "localhost") {
    q.path = "127.0.0.1:5432";
    q.port = 5432;
    q.pid = 12;
    q.command = "psql -h 127.0.0.1";
  } else {
    q.path = "registry.example";
    q.port = 443;
    q.via = "proxy";
  }
  if (config) q.config = "/home/u/.config/cordon/config.toml";
  q.timeout_seconds = 30;
  return q;
}

std::vector<std::string> offered(const nlohmann::json& params) {
  std::vector<std::string> consts;
  for (const auto& c : params["requestedSchema"]["properties"]["choice"]["oneOf"])
    consts.push_back(c["const"]);
  return consts;
}

}  // namespace

TEST(AskMessage, NetworkQuestionsRoundTrip) {
  for (const char* network : {"localhost", "domain"}) {
    const AskChannelQuestion q = network_question(network);
    auto back = decode_ask_question(encode_ask_question(q));
    ASSERT_TRUE(back) << network;
    EXPECT_EQ(back->network, network);
    EXPECT_EQ(back->operation, "connect");
    EXPECT_EQ(back->path, q.path);
    EXPECT_EQ(back->port, q.port);
    EXPECT_EQ(back->via, q.via);
    EXPECT_EQ(back->pid, q.pid);
    EXPECT_EQ(back->config, q.config);
  }
  AskChannelQuestion lookup = network_question("domain");
  lookup.operation = "resolve";
  lookup.port = 0;
  lookup.via = "name server";
  auto back = decode_ask_question(encode_ask_question(lookup));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->port, 0);
  EXPECT_EQ(back->via, "name server");
  // A file question without the network fields (as before they existed) is still one.
  nlohmann::json old = nlohmann::json::parse(encode_ask_question(question()));
  old.erase("network");
  old.erase("port");
  old.erase("via");
  back = decode_ask_question(old.dump());
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->network.empty());
}

TEST(AskMessage, RefusesMalformedNetworkQuestions) {
  const nlohmann::json local = nlohmann::json::parse(encode_ask_question(network_question("localhost")));
  const nlohmann::json host = nlohmann::json::parse(encode_ask_question(network_question("domain")));
  ASSERT_TRUE(decode_ask_question(local.dump()));
  ASSERT_TRUE(decode_ask_question(host.dump()));
  struct Bad {
    const nlohmann::json* base;
    std::string field;
    nlohmann::json value;
  };
  for (const auto& [base, field, value] : std::vector<Bad>{
           {&local, "network", "LOCALHOST"},
           {&local, "network", "tcp"},
           {&local, "network", 1},
           {&local, "port", 0},  // a loopback question names its port
           {&local, "port", -1},
           {&local, "port", 65536},
           {&local, "port", "5432"},
           {&local, "port", 54.32},
           {&local, "via", "proxy"},  // the supervisor asks about a loopback port
           {&local, "operation", "resolve"},
           {&local, "directory", "/var/tmp"},  // no directory for the network
           {&local, "to", "/var/tmp/b"},
           {&host, "via", "the user"},
           {&host, "via", 3},
           {&host, "operation", "write"},
           {&host, "operation", "resolve"},  // a lookup has no port
           {&host, "directory", "/home/u"},
           {&host, "path", ""},
           {&question_json(), "port", 80},  // a file question has no port
           {&question_json(), "via", "proxy"},
       }) {
    nlohmann::json bad = *base;
    bad[field] = value;
    EXPECT_FALSE(decode_ask_question(bad.dump())) << field << "=" << value.dump();
  }
}

TEST(AskMessage, NetworkQuestionsOfferNoDirectoryAndAlwaysOnlyWithAConfig) {
  const AskChannelQuestion q = network_question("domain");
  EXPECT_TRUE(ask_answer_offered(q, AskAnswer::Once));
  EXPECT_TRUE(ask_answer_offered(q, AskAnswer::Run));
  EXPECT_TRUE(ask_answer_offered(q, AskAnswer::Always));
  EXPECT_FALSE(ask_answer_offered(q, AskAnswer::Directory));
  EXPECT_FALSE(ask_answer_offered(network_question("localhost", false), AskAnswer::Always));
  AskChannelQuestion with_dir = q;  // never sent, but a directory alone offers nothing here
  with_dir.directory = "/var/tmp";
  EXPECT_FALSE(ask_answer_offered(with_dir, AskAnswer::Directory));
}

TEST(Elicitation, NetworkQuestionsNameTheAddressTheAskerAndTheChoices) {
  auto p = elicitation_params(network_question("localhost"));
  std::string message = p["message"];
  EXPECT_NE(message.find("connect to 127.0.0.1:5432 (the host's loopback port 5432"), std::string::npos)
      << message;
  EXPECT_NE(message.find("process 12: psql -h 127.0.0.1"), std::string::npos) << message;
  EXPECT_EQ(offered(p), (std::vector<std::string>{"once", "run", "always", "deny"}));
  EXPECT_EQ(p["requestedSchema"]["properties"]["choice"]["default"], "deny");
  const std::string always = p["requestedSchema"]["properties"]["choice"]["oneOf"][2]["title"];
  EXPECT_NE(always.find("network.allow_localhost"), std::string::npos) << always;
  EXPECT_NE(always.find("next start"), std::string::npos) << always;
  EXPECT_EQ(offered(elicitation_params(network_question("localhost", false))),
            (std::vector<std::string>{"once", "run", "deny"}));

  AskChannelQuestion host = network_question("domain");
  host.path = "evil.test\n\x1b[2Jcordon: allowed\xe2\x80\xae";
  p = elicitation_params(host);
  message = p["message"];
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  EXPECT_EQ(message.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_EQ(message.find("\ncordon: allowed"), std::string::npos) << message;
  EXPECT_NE(message.find("connect to evil.test\\n\\e[2Jcordon: allowed"), std::string::npos) << message;
  EXPECT_NE(message.find("through cordon's proxy"), std::string::npos) << message;
  EXPECT_NE(message.find("pid 0"), std::string::npos) << message;
  EXPECT_NE(message.find("not known"), std::string::npos) << message;
  for (const auto& c : p["requestedSchema"]["properties"]["choice"]["oneOf"]) {
    const std::string title = c["title"];
    EXPECT_EQ(title.find('\x1b'), std::string::npos) << title;
    EXPECT_EQ(title.find('\n'), std::string::npos) << title;
  }
  const std::string run_title = p["requestedSchema"]["properties"]["choice"]["oneOf"][1]["title"];
  EXPECT_NE(run_title.find("evil.test\\n"), std::string::npos) << run_title;

  AskChannelQuestion lookup = network_question("domain");
  lookup.operation = "resolve";
  lookup.port = 0;
  lookup.via = "name server";
  message = elicitation_params(lookup)["message"];
  EXPECT_NE(message.find("look up registry.example (not in the allowlist; through cordon's name server)"),
            std::string::npos)
      << message;
}

TEST(Elicitation, ANetworkAnswerGrantsOnlyAnOfferedChoice) {
  const AskChannelQuestion q = network_question("domain");
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "once"}}), q), AskAnswer::Once);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "run"}}), q), AskAnswer::Run);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "always"}}), q), AskAnswer::Always);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "directory"}}), q), AskAnswer::Deny);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "always"}}), network_question("localhost", false)),
            AskAnswer::Deny);
  EXPECT_EQ(answer_from_elicitation({{"action", "decline"}, {"content", {{"choice", "run"}}}}, q),
            AskAnswer::Deny);
}

TEST(Elicitation, CapabilityMustBeDeclaredForFormMode) {
  EXPECT_TRUE(client_can_elicit({{"capabilities", {{"elicitation", nlohmann::json::object()}}}}));
  EXPECT_TRUE(client_can_elicit({{"capabilities", {{"elicitation", {{"form", nlohmann::json::object()}}}}}}));
  EXPECT_TRUE(client_can_elicit(
      {{"capabilities",
        {{"elicitation", {{"form", nlohmann::json::object()}, {"url", nlohmann::json::object()}}}}}}));
  EXPECT_FALSE(client_can_elicit({{"capabilities", {{"elicitation", {{"url", nlohmann::json::object()}}}}}}));
  EXPECT_FALSE(client_can_elicit({{"capabilities", {{"elicitation", {{"form", true}}}}}}));
  EXPECT_FALSE(client_can_elicit({{"capabilities", {{"elicitation", true}}}}));
  EXPECT_FALSE(client_can_elicit({{"capabilities", {{"sampling", nlohmann::json::object()}}}}));
  EXPECT_FALSE(client_can_elicit({{"capabilities", "elicitation"}}));
  EXPECT_FALSE(client_can_elicit(nlohmann::json::array()));
  EXPECT_FALSE(client_can_elicit(nullptr));
}

TEST(Elicitation, RequestOffersOnlyWhatTheQuestionOffersAndEscapesThePath) {
  AskChannelQuestion q = question();
  q.path = "/var/tmp/out/a\n\x1b[2Jfake\xe2\x80\xae";
  auto p = elicitation_params(q);
  EXPECT_EQ(p["mode"], "form");
  const std::string message = p["message"];
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  EXPECT_EQ(message.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_NE(message.find("a\\n\\e[2Jfake"), std::string::npos) << message;
  EXPECT_NE(message.find("process 12"), std::string::npos);
  const auto& schema = p["requestedSchema"];
  EXPECT_EQ(schema["type"], "object");
  EXPECT_EQ(schema["required"], nlohmann::json::array({"choice"}));
  auto offered = [](const nlohmann::json& params) {
    std::vector<std::string> consts;
    for (const auto& c : params["requestedSchema"]["properties"]["choice"]["oneOf"])
      consts.push_back(c["const"]);
    return consts;
  };
  EXPECT_EQ(offered(p), (std::vector<std::string>{"once", "run", "directory", "always", "deny"}));
  EXPECT_EQ(offered(elicitation_params(question(false, true))),
            (std::vector<std::string>{"once", "run", "deny"}));
  EXPECT_EQ(offered(elicitation_params(question(true, false))),
            (std::vector<std::string>{"once", "run", "directory", "deny"}));
}

TEST(Elicitation, OnlyAnAcceptedOfferedChoiceGrants) {
  const AskChannelQuestion q = question();
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "once"}}), q), AskAnswer::Once);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "run"}}), q), AskAnswer::Run);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "directory"}}), q), AskAnswer::Directory);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "always"}}), q), AskAnswer::Always);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "run"}, {"extra", "always"}}), q), AskAnswer::Run);
  const AskChannelQuestion no_dir = question(false, false);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "directory"}}), no_dir), AskAnswer::Deny);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "always"}}), no_dir), AskAnswer::Deny);
  EXPECT_EQ(answer_from_elicitation(accept({{"choice", "always"}}), question(true, false)), AskAnswer::Deny);
  for (const nlohmann::json& r : std::vector<nlohmann::json>{
           nullptr,
           "accept",
           nlohmann::json::array({"accept"}),
           {{"action", "decline"}, {"content", {{"choice", "run"}}}},
           {{"action", "cancel"}, {"content", {{"choice", "run"}}}},
           {{"action", "ACCEPT"}, {"content", {{"choice", "run"}}}},
           {{"action", true}, {"content", {{"choice", "run"}}}},
           {{"action", "accept"}},
           accept(nullptr),
           accept("run"),
           accept(nlohmann::json::array({"run"})),
           accept({{"choice", nlohmann::json::array({"run"})}}),
           accept({{"choice", true}}),
           accept({{"choice", 1}}),
           accept({{"choice", "Run"}}),
           accept({{"choice", "run "}}),
           accept({{"choice", std::string("run\0", 4)}}),
           accept({{"choice", "allow"}}),
           accept({{"choice", {{"const", "run"}}}}),
           accept({{"Choice", "run"}}),
           accept({{"choice", std::string(1 << 20, 'r')}}),
       })
    EXPECT_EQ(answer_from_elicitation(r, q), AskAnswer::Deny) << r.dump().substr(0, 80);
}

TEST(Elicitation, ResponsesCarryTheirResultAndErrorsNone) {
  auto m = server::parse_message(R"({"jsonrpc":"2.0","id":"cordon-ask-1","result":{"action":"accept"}})");
  EXPECT_EQ(m.kind, server::MessageKind::Response);
  EXPECT_EQ(m.id, "cordon-ask-1");
  EXPECT_EQ(m.result["action"], "accept");
  m = server::parse_message(
      R"({"jsonrpc":"2.0","id":"cordon-ask-1","error":{"code":-1,"message":"no"},"result":{"action":"accept","content":{"choice":"run"}}})");
  EXPECT_EQ(m.kind, server::MessageKind::Response);
  EXPECT_TRUE(m.result.is_null());  // an error with a result is an error
}

// Random mutations of a granting response and of channel answers: never a crash, and a
// grant only for an exact offered choice.
TEST(Elicitation, FuzzedResponsesNeverGrantByAccident) {
  std::mt19937 rng(21);
  const AskChannelQuestion q = question(false, false);
  const std::string base = R"({"action":"accept","content":{"choice":"once"}})";
  const std::string alphabet = "{}[]\":,acceptdirunoalwysheich0123456789 \\u";
  for (int i = 0; i < 20000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0:
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = alphabet[rng() % alphabet.size()];
      }
    }
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    const AskAnswer a = answer_from_elicitation(j.is_discarded() ? nlohmann::json(nullptr) : j, q);
    if (a != AskAnswer::Deny) {
      ASSERT_TRUE(j.is_object());
      ASSERT_EQ(j["action"], "accept") << text;
      const std::string c = j["content"]["choice"];
      ASSERT_TRUE(c == "once" || c == "run") << text;
    }
    (void)decode_ask_answer(text);
    (void)decode_ask_question(text);
  }
}
