#include "platform/windows/setup/secrets.hpp"

#include <windows.h>
// SDK headers that need <windows.h> above.
#include <aclapi.h>
#include <dpapi.h>

#include "plan/windows/access.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {

using win::SetupErrorCode;

SetupStatus lock_setup_dir(const std::string& dir, const win::Sid& real_user) {
  std::wstring wdir = widen(dir);
  if (!CreateDirectoryW(wdir.c_str(), nullptr) && GetLastError() != ERROR_ALREADY_EXISTS)
    return setup_error(SetupErrorCode::StateDir, "CreateDirectoryW", dir);
  // Through one handle, never following a reparse point planted in its place.
  UniqueHandle h(CreateFileW(wdir.c_str(), READ_CONTROL | WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE,
                             nullptr, OPEN_EXISTING,
                             FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!h) return setup_error(SetupErrorCode::StateDir, "CreateFileW", dir);
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h.get(), &info))
    return setup_error(SetupErrorCode::StateDir, "GetFileInformationByHandle", dir);
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ||
      !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
    return setup_error(SetupErrorCode::StateDir, "GetFileInformationByHandle", dir, ERROR_BAD_PATHNAME,
                       "not a plain directory (a junction or link?); remove it and run setup again");
  const uint8_t tree = win::ace_flags::kTree;
  std::vector<win::Ace> aces{
      {win::AceType::Allow, win::sids::local_system(), win::access::kFileAllAccess, tree},
      {win::AceType::Allow, win::sids::administrators(), win::access::kFileAllAccess, tree},
      {win::AceType::Allow, real_user, win::access::kFileAllAccess, tree},
  };
  auto acl = build_acl(aces);
  if (!acl) return setup_error(SetupErrorCode::StateDir, acl.error());
  DWORD rc = SetSecurityInfo(h.get(), SE_FILE_OBJECT,
                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr,
                             nullptr, reinterpret_cast<ACL*>(acl->data()), nullptr);
  if (rc != ERROR_SUCCESS) return setup_error(SetupErrorCode::StateDir, "SetSecurityInfo", dir, rc);
  return Done{};
}

SetupResult<std::string> dpapi_protect(const SecretString& secret) {
  DATA_BLOB in{static_cast<DWORD>(secret.str().size() * sizeof(wchar_t)),
               reinterpret_cast<BYTE*>(const_cast<wchar_t*>(secret.c_str()))};
  DATA_BLOB out{};
  if (!CryptProtectData(&in, L"cordon sandbox account", nullptr, nullptr, nullptr,
                        CRYPTPROTECT_UI_FORBIDDEN | CRYPTPROTECT_LOCAL_MACHINE, &out))
    return setup_error(SetupErrorCode::DpapiProtect, "CryptProtectData", "");
  std::string blob(reinterpret_cast<const char*>(out.pbData), out.cbData);
  LocalFree(out.pbData);
  return blob;
}

SetupResult<SecretString> dpapi_unprotect(const std::string& blob) {
  DATA_BLOB in{static_cast<DWORD>(blob.size()), reinterpret_cast<BYTE*>(const_cast<char*>(blob.data()))};
  DATA_BLOB out{};
  if (!CryptUnprotectData(&in, nullptr, nullptr, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &out))
    return setup_error(SetupErrorCode::DpapiUnprotect, "CryptUnprotectData", "");
  std::wstring text(reinterpret_cast<const wchar_t*>(out.pbData), out.cbData / sizeof(wchar_t));
  SecureZeroMemory(out.pbData, out.cbData);
  LocalFree(out.pbData);
  SecretString secret(std::move(text));
  return secret;
}

}  // namespace cordon::winsys
