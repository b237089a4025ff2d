// cordon (Windows plan): typed JSON field access that never throws.
//
// nlohmann's j.value(key, default) throws type_error when the field exists with
// another type; state files are input (a damaged or hostile file must be reported,
// not crash cordon), so the parsers read fields through these instead.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace cordon::win {

inline std::string text_field(const nlohmann::json& j, const char* key, std::string fallback = {}) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return fallback;
  return j[key].get<std::string>();
}

inline int64_t int_field(const nlohmann::json& j, const char* key, int64_t fallback) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return fallback;
  return j[key].get<int64_t>();
}

inline bool bool_field(const nlohmann::json& j, const char* key, bool fallback) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_boolean()) return fallback;
  return j[key].get<bool>();
}

}  // namespace cordon::win
