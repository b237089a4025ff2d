// cordon: a repository created inside the sandbox (`git init`, `git clone` into a
// writable root that had no .git) must not leave code that runs later, outside the
// sandbox, when the user runs git there. After the command ends, cordon:
//   - disables every hook that is not one of git's *.sample files (renamed to
//     NAME.cordon-disabled, execute bits cleared);
//   - comments out every config key outside a small allowlist of inert settings
//     (core.fsmonitor, core.hooksPath, aliases, filters, include ... all run code).
// Everything done is returned for the report.
#pragma once

#include <string>
#include <vector>

namespace cordon {

std::vector<std::string> neutralise_new_repository(const std::string& root);

// Exposed for unit tests: is "section.subsection.key" (lower-cased section/key) inert?
bool git_config_key_is_inert(const std::string& full_key, const std::string& value);

}  // namespace cordon
