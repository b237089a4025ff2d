#include "plan/windows/raw_acl.hpp"

#include <algorithm>

namespace cordon::win {
namespace {

constexpr size_t kAclHeader = 8;  // AclRevision, Sbz1, AclSize, AceCount, Sbz2
constexpr size_t kAceHeader = 4;  // AceType, AceFlags, AceSize
constexpr size_t kMaxAclSize = 0xFFFF;

uint16_t u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// A SID at `p` with `avail` bytes; its length in `used`.
std::optional<Sid> read_sid(const uint8_t* p, size_t avail, size_t& used) {
  if (avail < 8 || p[0] != 1) return std::nullopt;
  const size_t count = p[1];
  if (count > 15 || avail < 8 + 4 * count) return std::nullopt;
  Sid sid;
  for (int i = 0; i < 6; ++i) sid.authority = (sid.authority << 8) | p[2 + i];
  for (size_t i = 0; i < count; ++i) sid.sub.push_back(u32(p + 8 + 4 * i));
  used = 8 + 4 * count;
  return sid;
}

std::optional<Ace> decode_plain(const std::vector<uint8_t>& b) {
  if (b[0] != ace_types::kAllowed && b[0] != ace_types::kDenied) return std::nullopt;
  if (b.size() < kAceHeader + 4) return std::nullopt;
  size_t used = 0;
  auto sid = read_sid(b.data() + 8, b.size() - 8, used);
  if (!sid) return std::nullopt;  // kept as bytes, never edited
  return Ace{b[0] == ace_types::kAllowed ? AceType::Allow : AceType::Deny, *sid, u32(b.data() + 4), b[1]};
}

bool is_object_type(uint8_t t) {
  return t == ace_types::kAllowedObject || t == ace_types::kDeniedObject ||
         t == ace_types::kAllowedCallbackObject || t == ace_types::kDeniedCallbackObject;
}

bool same_explicit(const RawAce& r, const Ace& ace) {
  return r.plain && !r.inherited() && r.plain->type == ace.type && r.plain->sid == ace.sid &&
         r.plain->mask == ace.mask && (r.plain->flags & 0x0F) == (ace.flags & 0x0F);
}

}  // namespace

bool RawAce::grants() const {
  switch (type()) {
    case ace_types::kAllowed:
    case ace_types::kAllowedCompound:
    case ace_types::kAllowedObject:
    case ace_types::kAllowedCallback:
    case ace_types::kAllowedCallbackObject:
      return true;
    default:
      return false;
  }
}

Result<RawAcl> parse_acl(const uint8_t* data, size_t size) {
  auto bad = [](const std::string& why) { return usage_error("DACL", why); };
  if (!data || size < kAclHeader) return bad("shorter than an ACL header");
  RawAcl acl;
  acl.revision = data[0];
  if (acl.revision != 2 && acl.revision != 4) return bad("unknown ACL revision " + std::to_string(data[0]));
  const size_t acl_size = u16(data + 2), count = u16(data + 4);
  if (acl_size < kAclHeader || acl_size > size) return bad("AclSize does not fit the buffer");
  size_t pos = kAclHeader;
  for (size_t i = 0; i < count; ++i) {
    if (acl_size - pos < kAceHeader) return bad("ACE " + std::to_string(i) + " starts past the end");
    const size_t ace_size = u16(data + pos + 2);
    if (ace_size < kAceHeader || ace_size > acl_size - pos)
      return bad("ACE " + std::to_string(i) + " has an impossible size");
    RawAce ace;
    ace.bytes.assign(data + pos, data + pos + ace_size);
    ace.plain = decode_plain(ace.bytes);
    acl.aces.push_back(std::move(ace));
    pos += ace_size;
  }
  return acl;
}

std::vector<uint8_t> serialize(const RawAcl& acl) {
  size_t size = kAclHeader;
  uint8_t revision = acl.revision;
  for (const auto& a : acl.aces) {
    size += a.bytes.size();
    if (is_object_type(a.type())) revision = 4;
  }
  size = std::min((size + 3) & ~size_t{3}, kMaxAclSize);
  std::vector<uint8_t> out(size, 0);
  out[0] = revision;
  put16(out.data() + 2, static_cast<uint16_t>(size));
  put16(out.data() + 4, static_cast<uint16_t>(acl.aces.size()));
  size_t pos = kAclHeader;
  for (const auto& a : acl.aces) {
    if (pos + a.bytes.size() > out.size()) break;  // beyond 64 KiB: Windows refuses such an ACL too
    std::copy(a.bytes.begin(), a.bytes.end(), out.begin() + static_cast<std::ptrdiff_t>(pos));
    pos += a.bytes.size();
  }
  return out;
}

RawAce encode_ace(const Ace& ace) {
  const size_t sid_size = 8 + 4 * ace.sid.sub.size();
  RawAce r;
  r.bytes.assign(kAceHeader + 4 + sid_size, 0);
  uint8_t* p = r.bytes.data();
  p[0] = ace.type == AceType::Allow ? ace_types::kAllowed : ace_types::kDenied;
  p[1] = ace.flags;
  put16(p + 2, static_cast<uint16_t>(r.bytes.size()));
  put32(p + 4, ace.mask);
  p[8] = 1;
  p[9] = static_cast<uint8_t>(ace.sid.sub.size());
  for (int i = 0; i < 6; ++i) p[10 + i] = static_cast<uint8_t>(ace.sid.authority >> (8 * (5 - i)));
  for (size_t i = 0; i < ace.sid.sub.size(); ++i) put32(p + 16 + 4 * i, ace.sid.sub[i]);
  r.plain = ace;
  return r;
}

std::vector<Ace> plain_aces(const RawAcl& acl) {
  std::vector<Ace> out;
  for (const auto& a : acl.aces)
    if (a.plain) out.push_back(*a.plain);
  return out;
}

bool contains_explicit(const RawAcl& acl, const Ace& ace) {
  return std::any_of(acl.aces.begin(), acl.aces.end(),
                     [&](const RawAce& r) { return same_explicit(r, ace); });
}

void insert_canonical(RawAcl& acl, const Ace& ace) {
  auto first_inherited =
      std::find_if(acl.aces.begin(), acl.aces.end(), [](const RawAce& r) { return r.inherited(); });
  auto at = first_inherited;
  if (ace.type == AceType::Deny)
    at = std::find_if(acl.aces.begin(), first_inherited, [](const RawAce& r) { return r.grants(); });
  acl.aces.insert(at, encode_ace(ace));
}

bool erase_explicit(RawAcl& acl, const Ace& ace) {
  auto it =
      std::find_if(acl.aces.begin(), acl.aces.end(), [&](const RawAce& r) { return same_explicit(r, ace); });
  if (it == acl.aces.end()) return false;
  acl.aces.erase(it);
  return true;
}

int erase_explicit_sids(RawAcl& acl, const std::vector<Sid>& sids) {
  auto doomed = [&](const RawAce& r) {
    return r.plain && !r.inherited() && std::find(sids.begin(), sids.end(), r.plain->sid) != sids.end();
  };
  auto before = acl.aces.size();
  acl.aces.erase(std::remove_if(acl.aces.begin(), acl.aces.end(), doomed), acl.aces.end());
  return static_cast<int>(before - acl.aces.size());
}

}  // namespace cordon::win
