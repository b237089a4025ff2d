// The option table (core/option_table.hpp) is the one list of policy options: the config
// schema, the merge, docs/policy.md and the MCP tool are checked against it here.
#include "core/option_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "apps/server/tool_call.hpp"
#include "core/config.hpp"
#include "core/policy_json.hpp"
#include "core/resolve.hpp"
#include "unit/source_file.hpp"

namespace cordon {
namespace {

std::string policy_doc() {
  return source_file("docs/policy.md");
}

// docs/policy.md, "### Options": `| `--flag VALUE` | `config.key` | notes |` -> flag ->
// {usage as written, with \| unescaped; config key or ""}.
std::map<std::string, std::pair<std::string, std::string>> documented_options() {
  std::map<std::string, std::pair<std::string, std::string>> out;
  const std::string doc = policy_doc();
  const size_t start = doc.find("### Options");
  if (start == std::string::npos) return out;
  std::istringstream lines(doc.substr(start));
  std::string line;
  std::getline(lines, line);  // the heading
  while (std::getline(lines, line) && line.rfind("#", 0) != 0) {
    if (line.rfind("| `--", 0) != 0) continue;
    auto cell = [&](size_t from, size_t& end) {
      const size_t open = line.find('`', from);
      const size_t bar = line.find(" | ", from);
      if (open == std::string::npos || (bar != std::string::npos && open > bar)) {
        end = bar;
        return std::string();
      }
      const size_t close = line.find('`', open + 1);
      end = line.find(" | ", close);
      return line.substr(open + 1, close - open - 1);
    };
    size_t end = 0;
    std::string usage = cell(0, end);
    const std::string key = cell(end + 1, end);
    for (size_t at = usage.find("\\|"); at != std::string::npos; at = usage.find("\\|", at))
      usage.erase(at, 1);
    out[usage.substr(0, usage.find(' '))] = {usage, key};
  }
  return out;
}

TEST(OptionTable, DocsListEveryPolicyOptionWithItsConfigKey) {
  const auto documented = documented_options();
  ASSERT_FALSE(documented.empty()) << "docs/policy.md has no ### Options table";
  std::set<std::string> flags;
  for (const OptionSpec& o : policy_options()) {
    const std::string flag(o.flag);
    flags.insert(flag);
    auto it = documented.find(flag);
    ASSERT_NE(it, documented.end()) << flag << " is missing from docs/policy.md's option table";
    const std::string usage = o.value_name.empty() ? flag : flag + " " + std::string(o.value_name);
    EXPECT_EQ(it->second.first, usage) << flag;
    EXPECT_EQ(it->second.second, std::string(o.config_key)) << flag;
  }
  // A documented option with a config key is a policy option: it must be in the table.
  for (const auto& [flag, doc] : documented)
    if (!doc.second.empty()) {
      EXPECT_TRUE(flags.count(flag)) << flag << " is documented but not in the table";
    }
}

TEST(OptionTable, ConfigSchemaIsTheTablesKeys) {
  std::set<std::string> table, schema;
  for (const OptionSpec& o : policy_options())
    if (!o.config_key.empty()) table.insert(std::string(o.config_key));
  for (const auto& k : config_keys()) schema.insert(k);
  EXPECT_EQ(table, schema);
}

// Every key of the table is accepted with its sample value, and lands in the layer the
// same way as the flag does.
TEST(OptionTable, ConfigAcceptsEveryKeyOfTheTable) {
  for (const OptionSpec& o : policy_options()) {
    if (o.config_key.empty()) continue;
    const std::string a(o.sample_a);
    std::string value;
    switch (o.kind) {
      case OptionKind::PathList:
      case OptionKind::TextList:
        value = "[\"" + a + "\"]";
        break;
      case OptionKind::Seconds:
      case OptionKind::Count:
      case OptionKind::Flag:
        value = a;
        break;
      default:
        value = "\"" + a + "\"";
    }
    auto layer =
        parse_config(std::string(o.config_key) + " = " + value + "\n", "/t/config.toml", ConfigScope::User);
    EXPECT_TRUE(layer) << o.config_key << ": " << (layer ? "" : layer.error().message());
  }
}

OptionValue value_of(const OptionSpec& o, std::string_view sample) {
  OptionValue v;
  const std::string s(sample);
  v.given = true;
  switch (o.kind) {
    case OptionKind::PathList:
    case OptionKind::TextList:
      v.list = {s};
      break;
    case OptionKind::Seconds:
      v.number = std::stod(s);
      break;
    case OptionKind::Count:
      v.count = std::stoull(s);
      break;
    case OptionKind::Flag:
      break;
    default:
      v.text = s;
  }
  return v;
}

Result<nlohmann::json> resolved(const std::vector<PolicyLayer>& layers) {
  ResolveContext ctx{"/ws", "/home/u", nullptr};
  auto p = resolve(layers, ctx);
  if (!p) return p.error();
  return to_json(*p);
}

TEST(OptionTable, ResolveMergesEachOptionAsTheTableSays) {
  for (const OptionSpec& o : policy_options()) {
    PolicyLayer a, b;
    ASSERT_TRUE(o.set(o, value_of(o, o.sample_a), "/ws", a)) << o.flag;
    ASSERT_TRUE(o.set(o, value_of(o, o.sample_b), "/ws", b)) << o.flag;
    auto both = resolved({a, b}), only_a = resolved({a}), only_b = resolved({b});
    ASSERT_TRUE(both && only_a && only_b) << o.flag;
    if (o.merge == OptionMerge::LastWins) {
      EXPECT_EQ(*both, *only_b) << o.flag;
    } else {
      EXPECT_NE(*both, *only_b) << o.flag;
      EXPECT_NE(*both, *only_a) << o.flag;
    }
  }
}

TEST(OptionTable, AToolCallNarrowsOnlyTheRowsMarkedSo) {
  Policy policy;
  policy.workspace = "/ws";
  const auto properties = server::run_command_tool(policy)["inputSchema"]["properties"];
  for (const OptionSpec& o : policy_options()) {
    const std::string name(o.flag.substr(2));
    EXPECT_EQ(properties.contains(name), o.mcp == McpRule::CallMayNarrow) << o.flag;
  }
}

TEST(OptionTable, FlagsAndKeysAreUnique) {
  std::set<std::string_view> flags, keys;
  for (const OptionSpec& o : policy_options()) {
    EXPECT_TRUE(flags.insert(o.flag).second) << o.flag;
    if (!o.config_key.empty()) {
      EXPECT_TRUE(keys.insert(o.config_key).second) << o.config_key;
    }
    EXPECT_NE(o.set, nullptr) << o.flag;
    const bool list = o.kind == OptionKind::PathList || o.kind == OptionKind::TextList;
    EXPECT_EQ(list, o.list != nullptr) << o.flag;
    EXPECT_EQ(list, o.merge == OptionMerge::Accumulate) << o.flag;
  }
}

}  // namespace
}  // namespace cordon
