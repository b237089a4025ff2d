// cordon: the environment the sandboxed command sees.
//
// Drops variables whose names look like secrets (defaults::secret_env_patterns plus
// EnvPolicy::drop_patterns), unless named in EnvPolicy::keep; then applies
// EnvPolicy::set. Glob matching is case-insensitive; '*' is the only wildcard.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/policy.hpp"

namespace cordon {

struct EnvResult {
  std::vector<std::string> env;      // "NAME=VALUE"
  std::vector<std::string> dropped;  // names only, never values
};

bool glob_match_icase(std::string_view pattern, std::string_view text);
EnvResult filter_env(const std::vector<std::string>& environ_in, const EnvPolicy& policy);

}  // namespace cordon
