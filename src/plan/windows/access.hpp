// cordon (Windows plan): ACEs, tokens, and a MODEL of the Windows access check.
//
// This is a model of the documented semantics, not Windows: it exists so that unit
// tests on any host can prove that a plan permits the intended operations and denies
// the rest. What it models:
//  - the DACL is walked in order; a deny ACE that matches any requested right not yet
//    granted denies the request; allow ACEs accumulate rights; inherit-only ACEs are
//    skipped; a missing (null) DACL grants everything;
//  - the normal pass matches the user SID and enabled groups (deny ACEs also match
//    deny-only groups); the owner gets READ_CONTROL|WRITE_DAC implicitly;
//  - a restricted token needs a second pass over the restricting SIDs; for a
//    WRITE_RESTRICTED token that pass covers only the "write" rights. Which rights count
//    as write is exactly what the published sources leave open, so it is a parameter:
//      RestrictedScope::GenericWrite  - only the bits GENERIC_WRITE maps to for files
//                                       (write data, append, EA, attributes);
//      RestrictedScope::AllModifying  - those plus DELETE, FILE_DELETE_CHILD,
//                                       WRITE_DAC and WRITE_OWNER.
//    src/platform/windows probes the real kernel (AccessCheck on an in-memory
//    descriptor) to learn which one holds on a host.
//  - privileges are not modelled: the token is created with DISABLE_MAX_PRIVILEGE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/windows/sid.hpp"

namespace cordon::win {

namespace access {
constexpr uint32_t kReadData = 0x0001;    // FILE_READ_DATA / FILE_LIST_DIRECTORY
constexpr uint32_t kWriteData = 0x0002;   // FILE_WRITE_DATA / FILE_ADD_FILE
constexpr uint32_t kAppendData = 0x0004;  // FILE_APPEND_DATA / FILE_ADD_SUBDIRECTORY
constexpr uint32_t kReadEa = 0x0008;
constexpr uint32_t kWriteEa = 0x0010;
constexpr uint32_t kExecute = 0x0020;      // FILE_EXECUTE / FILE_TRAVERSE
constexpr uint32_t kDeleteChild = 0x0040;  // FILE_DELETE_CHILD
constexpr uint32_t kReadAttributes = 0x0080;
constexpr uint32_t kWriteAttributes = 0x0100;
constexpr uint32_t kDelete = 0x00010000;
constexpr uint32_t kReadControl = 0x00020000;
constexpr uint32_t kWriteDac = 0x00040000;
constexpr uint32_t kWriteOwner = 0x00080000;
constexpr uint32_t kSynchronize = 0x00100000;
constexpr uint32_t kGenericAll = 0x10000000;
constexpr uint32_t kGenericExecute = 0x20000000;
constexpr uint32_t kGenericWrite = 0x40000000;
constexpr uint32_t kGenericRead = 0x80000000;

constexpr uint32_t kFileGenericRead = 0x00120089;
constexpr uint32_t kFileGenericWrite = 0x00120116;
constexpr uint32_t kFileGenericExecute = 0x001200A0;
constexpr uint32_t kFileAllAccess = 0x001F01FF;

// The rights that change content or metadata of a file (FILE_GENERIC_WRITE without
// the READ_CONTROL and SYNCHRONIZE bits it shares with FILE_GENERIC_READ).
constexpr uint32_t kWriteContent = kWriteData | kAppendData | kWriteEa | kWriteAttributes;
// Every right that modifies an object or its name.
constexpr uint32_t kModifying = kWriteContent | kDelete | kDeleteChild | kWriteDac | kWriteOwner;

// GENERIC_* -> file rights (MapGenericMask with the file generic mapping).
uint32_t map_generic(uint32_t mask);
// "RX", "WD|AD|DE" ...: short names for explain output.
std::string describe(uint32_t mask);
}  // namespace access

enum class AceType { Allow, Deny };

namespace ace_flags {
constexpr uint8_t kObjectInherit = 0x01;
constexpr uint8_t kContainerInherit = 0x02;
constexpr uint8_t kNoPropagate = 0x04;
constexpr uint8_t kInheritOnly = 0x08;
constexpr uint8_t kInherited = 0x10;
constexpr uint8_t kTree = kObjectInherit | kContainerInherit;
}  // namespace ace_flags

struct Ace {
  AceType type = AceType::Allow;
  Sid sid;
  uint32_t mask = 0;
  uint8_t flags = 0;
  friend bool operator==(const Ace&, const Ace&) = default;
};

std::string to_string(const Ace& ace);  // "deny S-1-5-21-... WD|AD (OI)(CI)"

struct TokenGroup {
  Sid sid;
  bool enabled = true;
  bool deny_only = false;
};

struct TokenModel {
  Sid user;
  std::vector<TokenGroup> groups;
  std::vector<Sid> restricting;  // empty: not a restricted token
  bool write_restricted = false;
};

enum class RestrictedScope { GenericWrite, AllModifying };

// The rights a WRITE_RESTRICTED token's restricted pass examines under `scope`.
uint32_t restricted_pass_rights(RestrictedScope scope);

// Rights granted out of `desired` (after generic mapping); `desired` is granted in
// full only when the result equals map_generic(desired). `dacl == nullptr` is a null
// DACL (everything granted).
uint32_t granted_access(const TokenModel& token, const std::vector<Ace>* dacl, const Sid& owner,
                        uint32_t desired, RestrictedScope scope);
bool access_allowed(const TokenModel& token, const std::vector<Ace>* dacl, const Sid& owner, uint32_t desired,
                    RestrictedScope scope);

}  // namespace cordon::win
