#include "core/limits.hpp"

#include <cctype>
#include <cmath>

namespace cordon {
namespace {

Error limit_error(const std::string& key, const Origin& o, const std::string& detail,
                  const std::string& hint = {}) {
  return usage_error(key + " (" + o.describe() + ")", detail, hint);
}

}  // namespace

std::optional<uint64_t> parse_size(const std::string& text, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<uint64_t> {
    if (why) *why = w;
    return std::nullopt;
  };
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return fail("'" + text + "' is too large");
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return fail("'" + text + "' is not a size (a number of bytes, or with K, M or G)");
  std::string suffix;
  for (; i < text.size(); ++i) suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  int shift = 0;
  if (suffix.empty() || suffix == "B")
    shift = 0;
  else if (suffix == "K" || suffix == "KB" || suffix == "KIB")
    shift = 10;
  else if (suffix == "M" || suffix == "MB" || suffix == "MIB")
    shift = 20;
  else if (suffix == "G" || suffix == "GB" || suffix == "GIB")
    shift = 30;
  else
    return fail("'" + text + "': unknown unit '" + suffix + "' (use K, M or G)");
  if (shift && value > (UINT64_MAX >> shift)) return fail("'" + text + "' is too large");
  return value << shift;
}

std::string format_size(uint64_t bytes) {
  const char* units[] = {"", "K", "M", "G"};
  int u = 0;
  while (u < 3 && bytes >= 1024 && bytes % 1024 == 0) bytes /= 1024, ++u;
  return std::to_string(bytes) + units[u];
}

Status check_memory(const std::string& key, const Origin& o, uint64_t bytes) {
  if (bytes < kMinMemoryBytes) return limit_error(key, o, "must be at least 1M", "for example --memory 512M");
  return Ok{};
}

Status check_pids(const std::string& key, const Origin& o, uint64_t n) {
  if (n < 1 || n > kMaxPids)
    return limit_error(key, o, "must be a number of processes between 1 and 4194304");
  return Ok{};
}

Status check_cpu_time(const std::string& key, const Origin& o, double seconds) {
  if (!std::isfinite(seconds) || seconds < 1 || seconds > kMaxCpuSeconds)
    return limit_error(key, o,
                       "must be a number of CPU seconds, at least 1 (the kernel counts whole seconds)");
  return Ok{};
}

Status check_max_output(const std::string& key, const Origin& o, uint64_t bytes) {
  if (bytes < 1 || bytes > kMaxOutputBytes) return limit_error(key, o, "must be between 1 byte and 1T");
  return Ok{};
}

std::optional<Error> limits_widen(const PolicyLayer& layer, const LimitsPolicy& cur) {
  auto widens = [](const char* key, const Origin& o) {
    return limit_error(key, o, "a project config can only narrow the policy; this would widen it",
                       "put it in ~/.config/cordon/config.toml or pass it as a flag");
  };
  if (layer.memory && cur.memory_bytes && layer.memory->value > *cur.memory_bytes)
    return widens("limits.memory", layer.memory->origin);
  if (layer.pids && cur.pids && layer.pids->value > *cur.pids)
    return widens("limits.pids", layer.pids->origin);
  if (layer.cpu_time && cur.cpu_seconds && layer.cpu_time->value > *cur.cpu_seconds)
    return widens("limits.cpu_time", layer.cpu_time->origin);
  if (layer.max_output && cur.max_output_bytes && layer.max_output->value > *cur.max_output_bytes)
    return widens("limits.max_output", layer.max_output->origin);
  return std::nullopt;
}

Status merge_limits(const PolicyLayer& layer, LimitsPolicy& into) {
  if (layer.memory) {
    if (auto st = check_memory("memory", layer.memory->origin, layer.memory->value); !st) return st;
    into.memory_bytes = layer.memory->value;
  }
  if (layer.pids) {
    if (auto st = check_pids("pids", layer.pids->origin, layer.pids->value); !st) return st;
    into.pids = layer.pids->value;
  }
  if (layer.cpu_time) {
    if (auto st = check_cpu_time("cpu_time", layer.cpu_time->origin, layer.cpu_time->value); !st) return st;
    into.cpu_seconds = layer.cpu_time->value;
  }
  if (layer.max_output) {
    if (auto st = check_max_output("max_output", layer.max_output->origin, layer.max_output->value); !st)
      return st;
    into.max_output_bytes = layer.max_output->value;
  }
  return Ok{};
}

}  // namespace cordon
