#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace cordon {

std::string apparmor_profile_text(const std::string& binary);
[[nodiscard]] Result<int> apparmor_setup(const std::vector<std::string>& args);

}  // namespace cordon
