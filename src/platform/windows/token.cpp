#include "platform/windows/token.hpp"

#include <vector>

#include "platform/windows/security.hpp"

#ifndef LUA_TOKEN
#define LUA_TOKEN 0x4
#endif
#ifndef WRITE_RESTRICTED
#define WRITE_RESTRICTED 0x8
#endif

namespace cordon::winsys {

Result<UniqueHandle> create_sandbox_token(const win::TokenSpec& spec) {
  // 1. Our own token, with the rights a restricted copy and its default DACL need.
  UniqueHandle base;
  if (!OpenProcessToken(GetCurrentProcess(),
                        TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT |
                            TOKEN_ADJUST_SESSIONID | TOKEN_ADJUST_PRIVILEGES,
                        base.out()))
    return win32_error("OpenProcessToken", "self");
  if (spec.logon.empty())
    return win32_error("GetTokenInformation", "logon SID", ERROR_NOT_FOUND,
                       "cordon needs the logon SID of an interactive session");
  auto user = token_user(base.get());
  if (!user) return user.error();

  // 2. Restricting SIDs: capability SIDs, the logon SID, Everyone (attributes 0).
  std::vector<win::Sid> restricting = spec.restricting();
  std::vector<NativeSid> native;
  native.reserve(restricting.size());
  std::vector<SID_AND_ATTRIBUTES> entries;
  for (const auto& sid : restricting) {
    native.emplace_back(sid);
    entries.push_back({native.back().get(), 0});
  }

  // 3. The restricted token.
  UniqueHandle token;
  if (!CreateRestrictedToken(base.get(), DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED, 0, nullptr, 0,
                             nullptr, static_cast<DWORD>(entries.size()), entries.data(), token.out()))
    return win32_error("CreateRestrictedToken", "WRITE_RESTRICTED|DISABLE_MAX_PRIVILEGE|LUA_TOKEN");

  // 4. Default DACL for objects the child creates.
  std::vector<win::Ace> aces;
  for (const auto& sid : spec.default_dacl(*user))
    aces.push_back({win::AceType::Allow, sid, win::access::kGenericAll, 0});
  auto acl = build_acl(aces);
  if (!acl) return acl.error();
  TOKEN_DEFAULT_DACL dacl{reinterpret_cast<ACL*>(acl->data())};
  if (!SetTokenInformation(token.get(), TokenDefaultDacl, &dacl, sizeof(dacl)))
    return win32_error("SetTokenInformation", "TokenDefaultDacl");
  return token;
}

}  // namespace cordon::winsys
