// cordon: TOML config files -> PolicyLayer.
//
//   user:    ~/.config/cordon/config.toml          (any key)
//   project: <workspace>/.cordon/config.toml       (may narrow; widening needs trust)
//
//   auto layer = parse_config(text, "/home/a/.config/cordon/config.toml", ConfigScope::User);
//   if (!layer) print(layer.error().message());   // "filesystem.writable (file:7): ..."
//
// Every error names the key, the file and the line. An unknown key is an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"

namespace cordon {

enum class ConfigScope { User, Project };

[[nodiscard]] Result<PolicyLayer> parse_config(std::string_view text, const std::string& source,
                                               ConfigScope scope);

// Every key the schema accepts, dotted ("filesystem.writable"): the option table's
// (core/option_table.hpp), which tests/unit/option_table_test.cpp checks.
[[nodiscard]] std::vector<std::string> config_keys();

// Reads and parses a file; a missing file gives std::nullopt, an unreadable one an Error.
[[nodiscard]] Result<std::optional<PolicyLayer>> load_config_file(const std::string& path, ConfigScope scope);

}  // namespace cordon
