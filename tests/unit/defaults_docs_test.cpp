// The built-in tables are documented data: docs/policy.md lists every entry.
#include <gtest/gtest.h>

#include <set>

#include "core/defaults.hpp"
#include "unit/source_file.hpp"

namespace cordon {
namespace {

std::string policy_doc() {
  return source_file("docs/policy.md");
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

TEST(DefaultsDocs, EveryProtectedNameIsListedWithWhatReadsItAndWhy) {
  const std::string doc = policy_doc();
  ASSERT_FALSE(doc.empty());
  for (const auto& e : defaults::protected_name_entries()) {
    const std::string row = std::string("| `") + e.name + "` | " + (e.directory ? "directory" : "file") +
                            " | " + e.read_by + " | " + e.why + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << row;
    EXPECT_NE(std::string(e.why), "") << e.name;
  }
  for (const auto& e : defaults::excluded_name_entries()) {
    const std::string row = std::string("| `") + e.name + "` | " + e.why + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << row;
  }
  for (const auto& e : defaults::protected_home_entries()) {
    const std::string row = std::string("| `~/") + e.path + "` | " + e.why + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << row;
  }
}

TEST(DefaultsDocs, ProtectedNamesAreUniqueSingleComponents) {
  std::set<std::string> seen;
  for (const auto& e : defaults::protected_name_entries()) {
    const std::string n = e.name;
    EXPECT_TRUE(seen.insert(n).second) << n;
    EXPECT_EQ(n.find('/'), std::string::npos) << n;
    EXPECT_FALSE(n.empty() || n == "." || n == "..") << n;
  }
}

}  // namespace
}  // namespace cordon
