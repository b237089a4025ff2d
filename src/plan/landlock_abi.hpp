// cordon: Landlock access rights by ABI version (kernel uapi values), so the
// planner can be table-tested for ABI 0..7 without a kernel.
#pragma once

#include <cstdint>

namespace cordon::landlock {

inline constexpr uint64_t kExecute = 1ULL << 0;
inline constexpr uint64_t kWriteFile = 1ULL << 1;
inline constexpr uint64_t kReadFile = 1ULL << 2;
inline constexpr uint64_t kReadDir = 1ULL << 3;
inline constexpr uint64_t kRemoveDir = 1ULL << 4;
inline constexpr uint64_t kRemoveFile = 1ULL << 5;
inline constexpr uint64_t kMakeChar = 1ULL << 6;
inline constexpr uint64_t kMakeDir = 1ULL << 7;
inline constexpr uint64_t kMakeReg = 1ULL << 8;
inline constexpr uint64_t kMakeSock = 1ULL << 9;
inline constexpr uint64_t kMakeFifo = 1ULL << 10;
inline constexpr uint64_t kMakeBlock = 1ULL << 11;
inline constexpr uint64_t kMakeSym = 1ULL << 12;
inline constexpr uint64_t kRefer = 1ULL << 13;     // ABI 2
inline constexpr uint64_t kTruncate = 1ULL << 14;  // ABI 3
inline constexpr uint64_t kIoctlDev = 1ULL << 15;  // ABI 5

inline constexpr uint64_t kNetBindTcp = 1ULL << 0;     // ABI 4
inline constexpr uint64_t kNetConnectTcp = 1ULL << 1;  // ABI 4

inline constexpr uint64_t kScopeAbstractUnix = 1ULL << 0;  // ABI 6
inline constexpr uint64_t kScopeSignal = 1ULL << 1;        // ABI 6

inline constexpr uint64_t kRead = kExecute | kReadFile | kReadDir;

// Every filesystem right the given ABI knows.
constexpr uint64_t fs_rights(int abi) {
  if (abi <= 0) return 0;
  uint64_t r = (1ULL << 13) - 1;  // ABI 1: bits 0..12
  if (abi >= 2) r |= kRefer;
  if (abi >= 3) r |= kTruncate;
  if (abi >= 5) r |= kIoctlDev;
  return r;
}
constexpr uint64_t net_rights(int abi) {
  return abi >= 4 ? (kNetBindTcp | kNetConnectTcp) : 0;
}
constexpr uint64_t scopes(int abi) {
  return abi >= 6 ? (kScopeAbstractUnix | kScopeSignal) : 0;
}

}  // namespace cordon::landlock
