#include "platform/windows/setup/accounts.hpp"

#include <windows.h>
// SDK headers that need <windows.h> above.
#include <bcrypt.h>
#include <lm.h>
#include <userenv.h>

#include <optional>
#include <vector>

#include "plan/windows/setup_plan.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

using win::SetupErrorCode;

std::wstring sid_string(const win::Sid& sid) {
  return widen(sid.str());
}

}  // namespace

bool is_elevated() {
  SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
  PSID admins = nullptr;
  if (!AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0, 0, 0,
                                0, &admins))
    return false;
  BOOL member = FALSE;
  if (!CheckTokenMembership(nullptr, admins, &member)) member = FALSE;
  FreeSid(admins);
  return member != FALSE;
}

SetupResult<SecretString> new_password() {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string bytes(128, '\0');
    NTSTATUS status = BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(bytes.data()),
                                      static_cast<ULONG>(bytes.size()), BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (status != 0)
      return setup_error(SetupErrorCode::Password, "BCryptGenRandom", "", static_cast<DWORD>(status));
    std::string password = win::password_from_bytes(bytes, 32);
    SecureZeroMemory(bytes.data(), bytes.size());
    if (password.empty()) continue;  // rare: a character class was missing; draw again
    SecretString out(widen(password));
    SecureZeroMemory(password.data(), password.size());
    return out;
  }
  return setup_error(SetupErrorCode::Password, "BCryptGenRandom", "", ERROR_INTERNAL_ERROR,
                     "no acceptable password after 8 draws");
}

SetupStatus ensure_group(const std::string& name) {
  std::wstring wname = widen(name);
  std::wstring comment = L"cordon sandbox users (created by cordon setup)";
  LOCALGROUP_INFO_1 info{wname.data(), comment.data()};
  NET_API_STATUS rc = NetLocalGroupAdd(nullptr, 1, reinterpret_cast<LPBYTE>(&info), nullptr);
  if (rc == NERR_Success || rc == NERR_GroupExists || rc == ERROR_ALIAS_EXISTS) return Done{};
  return setup_error(SetupErrorCode::GroupCreate, "NetLocalGroupAdd", name, rc);
}

namespace {

// The local groups `user` belongs to (directly or through another group), as SIDs.
SetupResult<std::vector<win::Sid>> local_groups_of(const std::wstring& user) {
  LPBYTE raw = nullptr;
  DWORD read = 0, total = 0;
  NET_API_STATUS rc = NetUserGetLocalGroups(nullptr, user.c_str(), 0, LG_INCLUDE_INDIRECT, &raw,
                                            MAX_PREFERRED_LENGTH, &read, &total);
  if (rc != NERR_Success) {
    if (raw) NetApiBufferFree(raw);
    return setup_error(SetupErrorCode::UserCreate, "NetUserGetLocalGroups", narrow(user), rc);
  }
  std::vector<win::Sid> out;
  auto* groups = reinterpret_cast<LOCALGROUP_USERS_INFO_0*>(raw);
  std::optional<win::SetupError> failed;
  for (DWORD i = 0; i < read && !failed; ++i) {
    DWORD sid_size = 0, domain_size = 0;
    SID_NAME_USE use{};
    LookupAccountNameW(nullptr, groups[i].lgrui0_name, nullptr, &sid_size, nullptr, &domain_size, &use);
    std::vector<BYTE> sid(sid_size ? sid_size : 1);
    std::wstring domain(domain_size, L'\0');
    if (sid_size == 0 || !LookupAccountNameW(nullptr, groups[i].lgrui0_name, sid.data(), &sid_size,
                                             domain.data(), &domain_size, &use))
      failed = setup_error(SetupErrorCode::SidLookup, "LookupAccountNameW", narrow(groups[i].lgrui0_name));
    else
      out.push_back(from_native(sid.data()));
  }
  NetApiBufferFree(raw);
  if (failed) return *failed;
  return out;
}

}  // namespace

SetupStatus ensure_user(const std::string& name, const SecretString& password) {
  std::wstring wname = widen(name);
  std::wstring pw = password.str();
  std::wstring comment = L"cordon sandbox account (created by cordon setup)";
  USER_INFO_1 info{};
  info.usri1_name = wname.data();
  info.usri1_password = pw.data();
  info.usri1_priv = USER_PRIV_USER;
  info.usri1_comment = comment.data();
  info.usri1_flags = UF_SCRIPT | UF_DONT_EXPIRE_PASSWD | UF_PASSWD_CANT_CHANGE | UF_NORMAL_ACCOUNT;
  DWORD bad_field = 0;
  NET_API_STATUS rc = NetUserAdd(nullptr, 1, reinterpret_cast<LPBYTE>(&info), &bad_field);
  if (rc == NERR_UserExists) {
    // Adopted only when it is what cordon would have made: a member of Users and of
    // cordon's group, nothing more (F23; win::unexpected_groups). Checked before the
    // password changes, so a refused account is left as it was.
    auto groups = local_groups_of(wname);
    if (!groups) {
      SecureZeroMemory(pw.data(), pw.size() * sizeof(wchar_t));
      return groups.error();
    }
    std::optional<win::Sid> own_group;
    if (auto g = lookup_sid(win::kSandboxGroup)) own_group = *g;
    auto extra = win::unexpected_groups(*groups, own_group);
    if (!extra.empty()) {
      SecureZeroMemory(pw.data(), pw.size() * sizeof(wchar_t));
      std::string list;
      for (const auto& sid : extra) list += (list.empty() ? "" : ", ") + sid.str();
      auto e = setup_error(SetupErrorCode::UserCreate, "NetUserGetLocalGroups", name, ERROR_MEMBER_IN_ALIAS,
                           "the existing account is also a member of " + list +
                               "; cordon adopts an account of its name only in Users and its own group");
      e.hint = "remove those memberships, or delete the account, then run `cordon setup` again";
      return e;
    }
    // Setup runs again: a fresh password (the old one may have leaked with a damaged
    // secrets file), and the flags as setup wants them (a disabled account is enabled).
    USER_INFO_1003 pw_info{pw.data()};
    rc = NetUserSetInfo(nullptr, wname.c_str(), 1003, reinterpret_cast<LPBYTE>(&pw_info), &bad_field);
    if (rc == NERR_Success) {
      USER_INFO_1008 flags{info.usri1_flags};
      rc = NetUserSetInfo(nullptr, wname.c_str(), 1008, reinterpret_cast<LPBYTE>(&flags), &bad_field);
      if (rc != NERR_Success)
        return setup_error(SetupErrorCode::UserCreate, "NetUserSetInfo(1008)", name, rc);
    } else {
      SecureZeroMemory(pw.data(), pw.size() * sizeof(wchar_t));
      return setup_error(SetupErrorCode::UserCreate, "NetUserSetInfo(1003)", name, rc);
    }
  }
  SecureZeroMemory(pw.data(), pw.size() * sizeof(wchar_t));
  if (rc != NERR_Success) return setup_error(SetupErrorCode::UserCreate, "NetUserAdd", name, rc);
  return Done{};
}

SetupResult<win::Sid> lookup_sid(const std::string& name) {
  // "COMPUTER\name": on a domain-joined machine a bare name could resolve to a domain
  // account of the same name; the sandbox accounts are always local.
  wchar_t computer[MAX_COMPUTERNAME_LENGTH + 1];
  DWORD computer_len = MAX_COMPUTERNAME_LENGTH + 1;
  std::wstring wname = widen(name);
  if (GetComputerNameW(computer, &computer_len)) wname = std::wstring(computer, computer_len) + L"\\" + wname;
  DWORD sid_size = 0, domain_size = 0;
  SID_NAME_USE use{};
  LookupAccountNameW(nullptr, wname.c_str(), nullptr, &sid_size, nullptr, &domain_size, &use);
  if (sid_size == 0) return setup_error(SetupErrorCode::SidLookup, "LookupAccountNameW", name);
  std::vector<BYTE> sid(sid_size);
  std::wstring domain(domain_size, L'\0');
  if (!LookupAccountNameW(nullptr, wname.c_str(), sid.data(), &sid_size, domain.data(), &domain_size, &use))
    return setup_error(SetupErrorCode::SidLookup, "LookupAccountNameW", name);
  return from_native(sid.data());
}

SetupStatus add_to_group(const std::string& group, const win::Sid& member) {
  NativeSid sid(member);
  LOCALGROUP_MEMBERS_INFO_0 info{sid.get()};
  NET_API_STATUS rc =
      NetLocalGroupAddMembers(nullptr, widen(group).c_str(), 0, reinterpret_cast<LPBYTE>(&info), 1);
  if (rc == NERR_Success || rc == ERROR_MEMBER_IN_ALIAS) return Done{};
  return setup_error(SetupErrorCode::GroupMembership, "NetLocalGroupAddMembers",
                     group + " += " + member.str(), rc);
}

SetupStatus add_to_builtin_users(const win::Sid& member) {
  // The localized name of BUILTIN\Users, from its well-known SID.
  BYTE users[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof(users);
  if (!CreateWellKnownSid(WinBuiltinUsersSid, nullptr, users, &size))
    return setup_error(SetupErrorCode::SidLookup, "CreateWellKnownSid", "WinBuiltinUsersSid");
  wchar_t name[256];
  wchar_t domain[256];
  DWORD name_len = 256, domain_len = 256;
  SID_NAME_USE use{};
  if (!LookupAccountSidW(nullptr, users, name, &name_len, domain, &domain_len, &use))
    return setup_error(SetupErrorCode::SidLookup, "LookupAccountSidW", "S-1-5-32-545");
  return add_to_group(narrow(name), member);
}

SetupStatus hide_from_logon(const std::string& user) {
  HKEY key = nullptr;
  LSTATUS rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, widen(win::kHideKey).c_str(), 0, nullptr, 0,
                               KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, &key, nullptr);
  if (rc != ERROR_SUCCESS)
    return setup_error(SetupErrorCode::HideUser, "RegCreateKeyExW", std::string("HKLM\\") + win::kHideKey,
                       rc);
  DWORD zero = 0;
  rc = RegSetValueExW(key, widen(user).c_str(), 0, REG_DWORD, reinterpret_cast<const BYTE*>(&zero),
                      sizeof(zero));
  RegCloseKey(key);
  if (rc != ERROR_SUCCESS) return setup_error(SetupErrorCode::HideUser, "RegSetValueExW", user, rc);
  return Done{};
}

SetupStatus delete_user(const std::string& name, bool* existed) {
  NET_API_STATUS rc = NetUserDel(nullptr, widen(name).c_str());
  if (existed) *existed = rc == NERR_Success;
  if (rc == NERR_Success || rc == NERR_UserNotFound) return Done{};
  return setup_error(SetupErrorCode::UserDelete, "NetUserDel", name, rc);
}

SetupStatus delete_group(const std::string& name, bool* existed) {
  NET_API_STATUS rc = NetLocalGroupDel(nullptr, widen(name).c_str());
  if (existed) *existed = rc == NERR_Success;
  if (rc == NERR_Success || rc == NERR_GroupNotFound || rc == ERROR_NO_SUCH_ALIAS) return Done{};
  return setup_error(SetupErrorCode::GroupDelete, "NetLocalGroupDel", name, rc);
}

SetupStatus delete_profile(const win::Sid& user, bool* existed) {
  std::wstring sid = sid_string(user);
  BOOL ok = DeleteProfileW(sid.c_str(), nullptr, nullptr);
  DWORD rc = ok ? ERROR_SUCCESS : GetLastError();
  if (existed) *existed = ok != FALSE;
  // No profile (the account never logged on, or it is gone already).
  if (ok || rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) return Done{};
  return setup_error(
      SetupErrorCode::ProfileDelete, "DeleteProfileW", user.str(), rc,
      rc == ERROR_SHARING_VIOLATION || rc == ERROR_ACCESS_DENIED
          ? "the profile is in use: end the sandbox's processes (or sign out) and run uninstall again"
          : "");
}

SetupStatus delete_registry_value(const std::string& key, const std::string& value, bool* existed) {
  LSTATUS rc = RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, widen(key).c_str(), widen(value).c_str());
  if (existed) *existed = rc == ERROR_SUCCESS;
  if (rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND) return Done{};
  return setup_error(SetupErrorCode::RegistryDelete, "RegDeleteKeyValueW", "HKLM\\" + key + "\\" + value, rc);
}

}  // namespace cordon::winsys
