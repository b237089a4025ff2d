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

// The workspace resolve() would choose from these layers (the last one named, else the
// current directory), checked alike, and nothing else: what finding the project config
// needs, without resolving every path of every layer a second time.
[[nodiscard]] Result<std::string> resolve_workspace(const std::vector<const PolicyLayer*>& layers,
                                                    const ResolveContext& ctx);

}  // namespace cordon
