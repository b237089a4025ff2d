// cordon unit tests: a file of the source tree (docs that tests check against the code).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace cordon {

// `rel` from the top of the source tree, e.g. "docs/policy.md"; empty if unreadable
// (the tests then fail on its missing content).
inline std::string source_file(const std::string& rel) {
  std::ifstream in(std::string(CORDON_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cordon
