// cordon (Windows plan): a DACL edited as bytes, so that ACEs cordon does not model
// survive every edit.
//
//   auto acl = parse_acl(bytes, size);              // from GetSecurityInfo's PACL
//   insert_canonical(*acl, planned_deny);           // or erase_explicit, erase_explicit_sids
//   std::vector<uint8_t> out = serialize(*acl);     // to SetSecurityInfo
//
// cordon's applier used to decode a DACL into plain allow/deny ACEs and build a new one
// from them (F18 of the Windows review), silently dropping callback and conditional
// ACEs (a Dynamic Access Control conditional *deny* removed that way widens access for
// everyone), object ACEs and compound ACEs, on every object it touched, including the
// elevated uninstall's ledger paths. Here every ACE is kept byte for byte in its
// place; only plain ACCESS_ALLOWED/ACCESS_DENIED ACEs are decoded, and only those are
// ever compared, inserted or removed. The layout follows the documented ACL, ACE_HEADER
// and SID structures (little-endian; the SID's identifier authority big-endian).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "plan/windows/access.hpp"
#include "plan/windows/sid.hpp"

namespace cordon::win {

namespace ace_types {
constexpr uint8_t kAllowed = 0x00;
constexpr uint8_t kDenied = 0x01;
constexpr uint8_t kAllowedCompound = 0x04;
constexpr uint8_t kAllowedObject = 0x05;
constexpr uint8_t kDeniedObject = 0x06;
constexpr uint8_t kAllowedCallback = 0x09;
constexpr uint8_t kDeniedCallback = 0x0A;
constexpr uint8_t kAllowedCallbackObject = 0x0B;
constexpr uint8_t kDeniedCallbackObject = 0x0C;
}  // namespace ace_types

struct RawAce {
  std::vector<uint8_t> bytes;  // the whole ACE as stored, header included
  std::optional<Ace> plain;    // set for ACCESS_ALLOWED_ACE / ACCESS_DENIED_ACE only
  uint8_t type() const { return bytes[0]; }
  uint8_t flags() const { return bytes[1]; }
  bool inherited() const { return (flags() & ace_flags::kInherited) != 0; }
  bool grants() const;  // an allow of any kind (plain, object, callback, compound)
};

struct RawAcl {
  uint8_t revision = 2;  // ACL_REVISION; 4 (ACL_REVISION_DS) when object ACEs are present
  std::vector<RawAce> aces;
};

// Fails on a malformed ACL (sizes that do not add up, an ACE past the end).
[[nodiscard]] Result<RawAcl> parse_acl(const uint8_t* data, size_t size);
std::vector<uint8_t> serialize(const RawAcl& acl);
RawAce encode_ace(const Ace& ace);

// The plain ACEs, in order (what the access-check model and the audit read).
std::vector<Ace> plain_aces(const RawAcl& acl);
// An explicit (not inherited) plain ACE equal to `ace` in type, SID, mask and the
// inheritance flags.
bool contains_explicit(const RawAcl& acl, const Ace& ace);
// Canonical position: an explicit deny before the first explicit allow, an explicit
// allow before the first inherited ACE; every other ACE keeps its place.
void insert_canonical(RawAcl& acl, const Ace& ace);
bool erase_explicit(RawAcl& acl, const Ace& ace);  // the first match
// Removes every explicit plain ACE naming one of `sids`; returns how many.
int erase_explicit_sids(RawAcl& acl, const std::vector<Sid>& sids);

}  // namespace cordon::win
