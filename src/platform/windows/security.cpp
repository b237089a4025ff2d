#include "platform/windows/security.hpp"

#include <memory>

#include "platform/windows/win32.hpp"

namespace cordon::winsys {

NativeSid::NativeSid(const win::Sid& sid) {
  const BYTE count = static_cast<BYTE>(sid.sub.size());
  bytes_.resize(GetSidLengthRequired(count));
  SID_IDENTIFIER_AUTHORITY authority{};
  for (int i = 0; i < 6; ++i) authority.Value[5 - i] = static_cast<BYTE>((sid.authority >> (8 * i)) & 0xFF);
  InitializeSid(bytes_.data(), &authority, count);
  for (BYTE i = 0; i < count; ++i) *GetSidSubAuthority(bytes_.data(), i) = sid.sub[i];
}

win::Sid from_native(PSID sid) {
  win::Sid out;
  if (!sid || !IsValidSid(sid)) return out;
  const SID_IDENTIFIER_AUTHORITY* a = GetSidIdentifierAuthority(sid);
  for (int i = 0; i < 6; ++i) out.authority = (out.authority << 8) | a->Value[i];
  const BYTE count = *GetSidSubAuthorityCount(sid);
  for (BYTE i = 0; i < count; ++i) out.sub.push_back(*GetSidSubAuthority(sid, i));
  return out;
}

std::vector<win::Ace> read_dacl(const ACL* dacl) {
  std::vector<win::Ace> out;
  if (!dacl) return out;
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* raw = nullptr;
    if (!GetAce(const_cast<ACL*>(dacl), i, &raw)) continue;
    auto* header = static_cast<ACE_HEADER*>(raw);
    if (header->AceType == ACCESS_ALLOWED_ACE_TYPE) {
      auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw);
      out.push_back({win::AceType::Allow, from_native(&ace->SidStart), ace->Mask, header->AceFlags});
    } else if (header->AceType == ACCESS_DENIED_ACE_TYPE) {
      auto* ace = static_cast<ACCESS_DENIED_ACE*>(raw);
      out.push_back({win::AceType::Deny, from_native(&ace->SidStart), ace->Mask, header->AceFlags});
    }
  }
  return out;
}

Result<std::vector<BYTE>> build_acl(const std::vector<win::Ace>& aces) {
  std::vector<NativeSid> sids;
  DWORD size = sizeof(ACL);
  for (const auto& a : aces) {
    sids.emplace_back(a.sid);
    size += sizeof(ACCESS_ALLOWED_ACE) - sizeof(DWORD) + GetLengthSid(sids.back().get());
  }
  size = (size + sizeof(DWORD) - 1) & ~(sizeof(DWORD) - 1);
  std::vector<BYTE> buffer(size);
  auto* acl = reinterpret_cast<ACL*>(buffer.data());
  if (!InitializeAcl(acl, size, ACL_REVISION)) return win32_error("InitializeAcl", "");
  for (size_t i = 0; i < aces.size(); ++i) {
    const auto& a = aces[i];
    BOOL ok = a.type == win::AceType::Allow
                  ? AddAccessAllowedAceEx(acl, ACL_REVISION, a.flags, a.mask, sids[i].get())
                  : AddAccessDeniedAceEx(acl, ACL_REVISION, a.flags, a.mask, sids[i].get());
    if (!ok)
      return win32_error(a.type == win::AceType::Allow ? "AddAccessAllowedAceEx" : "AddAccessDeniedAceEx",
                         a.sid.str());
  }
  return buffer;
}

namespace {

Result<std::vector<BYTE>> token_info(HANDLE token, TOKEN_INFORMATION_CLASS cls, const char* name) {
  DWORD needed = 0;
  GetTokenInformation(token, cls, nullptr, 0, &needed);
  if (needed == 0) return win32_error("GetTokenInformation", name);
  // Allocate as DWORD-aligned storage: TOKEN_GROUPS holds pointers after a DWORD.
  std::vector<BYTE> buffer(needed + sizeof(void*));
  if (!GetTokenInformation(token, cls, buffer.data(), needed, &needed))
    return win32_error("GetTokenInformation", name);
  return buffer;
}

std::optional<win::Sid> logon_from_groups(HANDLE token) {
  auto info = token_info(token, TokenGroups, "TokenGroups");
  if (!info) return std::nullopt;
  auto* groups = reinterpret_cast<TOKEN_GROUPS*>(info->data());
  for (DWORD i = 0; i < groups->GroupCount; ++i)
    if ((groups->Groups[i].Attributes & SE_GROUP_LOGON_ID) == SE_GROUP_LOGON_ID)
      return from_native(groups->Groups[i].Sid);
  return std::nullopt;
}

}  // namespace

Result<win::Sid> token_user(HANDLE token) {
  auto info = token_info(token, TokenUser, "TokenUser");
  if (!info) return info.error();
  return from_native(reinterpret_cast<TOKEN_USER*>(info->data())->User.Sid);
}

Result<win::Sid> token_logon_sid(HANDLE token) {
  if (auto sid = logon_from_groups(token)) return *sid;
  // A UAC split token may carry the logon SID only on its linked half.
  auto linked = token_info(token, TokenLinkedToken, "TokenLinkedToken");
  if (linked) {
    UniqueHandle other(reinterpret_cast<TOKEN_LINKED_TOKEN*>(linked->data())->LinkedToken);
    if (auto sid = logon_from_groups(other.get())) return *sid;
  }
  return win32_error("GetTokenInformation", "logon SID", ERROR_NOT_FOUND,
                     "no logon SID in this token or its linked token (service or batch logon?)");
}

}  // namespace cordon::winsys
