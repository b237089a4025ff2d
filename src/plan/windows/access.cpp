#include "plan/windows/access.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace cordon::win {

namespace access {

uint32_t map_generic(uint32_t mask) {
  uint32_t out = mask & ~(kGenericAll | kGenericExecute | kGenericWrite | kGenericRead);
  if (mask & kGenericRead) out |= kFileGenericRead;
  if (mask & kGenericWrite) out |= kFileGenericWrite;
  if (mask & kGenericExecute) out |= kFileGenericExecute;
  if (mask & kGenericAll) out |= kFileAllAccess;
  return out;
}

std::string describe(uint32_t mask) {
  static const std::array<std::pair<uint32_t, const char*>, 14> names = {{{kReadData, "RD"},
                                                                          {kWriteData, "WD"},
                                                                          {kAppendData, "AD"},
                                                                          {kReadEa, "REA"},
                                                                          {kWriteEa, "WEA"},
                                                                          {kExecute, "X"},
                                                                          {kDeleteChild, "DC"},
                                                                          {kReadAttributes, "RA"},
                                                                          {kWriteAttributes, "WA"},
                                                                          {kDelete, "DE"},
                                                                          {kReadControl, "RC"},
                                                                          {kWriteDac, "WDAC"},
                                                                          {kWriteOwner, "WO"},
                                                                          {kSynchronize, "S"}}};
  std::string out;
  for (auto [bit, name] : names)
    if (mask & bit) out += (out.empty() ? "" : "|") + std::string(name);
  return out.empty() ? "0" : out;
}

}  // namespace access

std::string to_string(const Ace& ace) {
  std::string out = ace.type == AceType::Allow ? "allow " : "deny ";
  out += ace.sid.str() + " " + access::describe(access::map_generic(ace.mask));
  if (ace.flags & ace_flags::kObjectInherit) out += " (OI)";
  if (ace.flags & ace_flags::kContainerInherit) out += " (CI)";
  if (ace.flags & ace_flags::kInheritOnly) out += " (IO)";
  if (ace.flags & ace_flags::kNoPropagate) out += " (NP)";
  if (ace.flags & ace_flags::kInherited) out += " (I)";
  return out;
}

uint32_t restricted_pass_rights(RestrictedScope scope) {
  return scope == RestrictedScope::GenericWrite ? access::kWriteContent : access::kModifying;
}

namespace {

enum class Pass { Normal, Restricted };

bool matches(const TokenModel& token, const Sid& sid, AceType type, Pass pass) {
  if (pass == Pass::Restricted)
    return std::find(token.restricting.begin(), token.restricting.end(), sid) != token.restricting.end();
  if (sid == token.user) return true;
  for (const auto& g : token.groups) {
    if (g.sid != sid) continue;
    if (g.enabled && !g.deny_only) return true;
    if (g.deny_only && type == AceType::Deny) return true;
  }
  return false;
}

// One walk of the DACL. Returns the granted subset of `desired`; on a matching deny
// ACE for a right not yet granted, the whole request fails (returns 0 with denied=true).
uint32_t walk(const TokenModel& token, const std::vector<Ace>& dacl, const Sid& owner, uint32_t desired,
              Pass pass, bool& denied) {
  uint32_t granted = 0;
  // Owner implicit rights; the restricted pass grants them only to a restricting owner.
  if (matches(token, owner, AceType::Allow, pass))
    granted |= desired & (access::kReadControl | access::kWriteDac);
  for (const auto& ace : dacl) {
    if (ace.flags & ace_flags::kInheritOnly) continue;
    if (!matches(token, ace.sid, ace.type, pass)) continue;
    uint32_t mask = access::map_generic(ace.mask);
    if (ace.type == AceType::Deny) {
      if (mask & desired & ~granted) {
        denied = true;
        return 0;
      }
    } else {
      granted |= mask & desired;
    }
    if (granted == desired) break;
  }
  return granted;
}

}  // namespace

uint32_t granted_access(const TokenModel& token, const std::vector<Ace>* dacl, const Sid& owner,
                        uint32_t desired, RestrictedScope scope) {
  desired = access::map_generic(desired);
  if (!dacl) return desired;
  bool denied = false;
  uint32_t granted = walk(token, *dacl, owner, desired, Pass::Normal, denied);
  if (denied) return 0;
  if (token.restricting.empty()) return granted;
  uint32_t checked = token.write_restricted ? desired & restricted_pass_rights(scope) : desired;
  if (checked == 0) return granted;
  uint32_t restricted = walk(token, *dacl, owner, checked, Pass::Restricted, denied);
  if (denied) return 0;
  // Rights outside the restricted pass come from the normal pass alone.
  return granted & (restricted | ~checked);
}

bool access_allowed(const TokenModel& token, const std::vector<Ace>* dacl, const Sid& owner, uint32_t desired,
                    RestrictedScope scope) {
  uint32_t want = access::map_generic(desired);
  return granted_access(token, dacl, owner, desired, scope) == want;
}

}  // namespace cordon::win
