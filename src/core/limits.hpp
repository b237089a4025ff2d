// cordon: resource limits in the policy (memory, processes, CPU time, captured output).
//
//   auto bytes = parse_size("64M");                 // 67108864, or an error message
//   Status st = merge_limits(layer, policy.limits); // in resolve(), after the narrow check
//
// Sizes accept a plain number of bytes or a suffix K, M, G (powers of 1024, optional
// trailing "B" or "iB"). Limits are pure data here; src/platform/linux/limits.cpp
// applies them (cgroup v2 or rlimits) and reports which mechanism it used.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/policy.hpp"

namespace cordon {

// Bounds that keep the arithmetic finite and catch obvious mistakes.
inline constexpr uint64_t kMinMemoryBytes = 1u << 20;        // 1 MiB: less cannot exec anything
inline constexpr uint64_t kMaxPids = 1u << 22;               // the kernel's pid_max ceiling
inline constexpr double kMaxCpuSeconds = 365.0 * 24 * 3600;  // one year, like --timeout
// A longer timeout is no timeout, and far larger values overflow a clock's deadline
// (1e10 s in nanoseconds does not fit in 64 bits: the command was killed at once).
inline constexpr double kMaxTimeoutSeconds = 365.0 * 24 * 3600;
inline constexpr uint64_t kMaxOutputBytes = uint64_t{1} << 40;  // 1 TiB

// "64M" -> 67108864. Returns std::nullopt and sets `why` on a malformed value.
std::optional<uint64_t> parse_size(const std::string& text, std::string* why = nullptr);
std::string format_size(uint64_t bytes);  // 67108864 -> "64M"

// Range checks, shared by flags and config files. `key` names the setting in the error.
Status check_memory(const std::string& key, const Origin& o, uint64_t bytes);
Status check_pids(const std::string& key, const Origin& o, uint64_t n);
Status check_cpu_time(const std::string& key, const Origin& o, double seconds);
Status check_max_output(const std::string& key, const Origin& o, uint64_t bytes);

// A narrow-only layer (the project config) may lower a limit, never raise or remove it.
std::optional<Error> limits_widen(const PolicyLayer& layer, const LimitsPolicy& current);
// Copy the layer's limits over `into` (later layers win), validating ranges.
Status merge_limits(const PolicyLayer& layer, LimitsPolicy& into);

}  // namespace cordon
