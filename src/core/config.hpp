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

// One value for add_config_entry(): a string, or an integer written as digits (a port).
struct ConfigEntry {
  std::string text;
  bool integer = false;
};

// `text` with `value` added to the array `table.key` (cordon run --ask, "allow always":
// filesystem.writable, network.allow, network.allow_localhost), in the same ways as
// add_writable_rule() below, which is this for filesystem.writable.
[[nodiscard]] Result<std::string> add_config_entry(const std::string& text, const std::string& table,
                                                   const std::string& key, const ConfigEntry& value,
                                                   const std::string& comment);

// `text` (a cordon config) with the directory `dir` added to filesystem.writable (cordon
// run --ask, "allow always"): a new [filesystem] table at the end, a line after the
// table's header, or the array rewritten on its own lines (comments inside it are lost);
// the rest of the file is kept byte for byte. `comment` follows the new entry. An error
// when the file does not parse or holds the key in a form this cannot edit safely.
[[nodiscard]] Result<std::string> add_writable_rule(const std::string& text, const std::string& dir,
                                                    const std::string& comment);

// A TOML basic string for `s` (quotes, backslashes and control bytes escaped).
std::string toml_string(const std::string& s);

}  // namespace cordon
