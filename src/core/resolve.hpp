// cordon: merge policy layers into one validated Policy.
//
// Layers apply in order; a later scalar overrides an earlier one, lists accumulate.
// Every error names the key, its source (file and line, or flag) and changes nothing.
#pragma once

#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"

namespace cordon {

[[nodiscard]] Result<Policy> resolve(const std::vector<PolicyLayer>& layers, const ResolveContext& ctx);

}  // namespace cordon
