// The built-in tables are documented data: docs/policy.md lists every entry.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/defaults.hpp"

namespace cordon {
namespace {

std::string policy_doc() {
  std::ifstream in(std::string(CORDON_SOURCE_DIR) + "/docs/policy.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DefaultsDocs, EverySecretPathIsListedWithItsReason) {
  const std::string doc = policy_doc();
  ASSERT_FALSE(doc.empty());
  for (const auto* table : {&defaults::secret_home_entries(), &defaults::secret_system_entries()})
    for (const auto& e : *table) {
      EXPECT_NE(doc.find(std::string("| `") + e.path + "` | " + e.why + " |"), std::string::npos) << e.path;
      EXPECT_NE(std::string(e.why), "") << e.path;
    }
}

}  // namespace
}  // namespace cordon
