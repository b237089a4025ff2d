// A resolved Policy as JSON and back. `cordon mcp` hands its workers the policy it
// resolved (not an argv to parse again), and `explain --json` can show it. The reader is
// strict: an unknown key, a wrong type, a relative path or an out-of-range number is an
// error naming the key, never a default (a worker must run exactly the server's policy).
#pragma once

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/policy.hpp"

namespace cordon {

[[nodiscard]] nlohmann::json to_json(const Policy& policy);
[[nodiscard]] Result<Policy> policy_from_json(const nlohmann::json& j);

}  // namespace cordon
