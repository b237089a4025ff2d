#include "platform/windows/state_io.hpp"

#include <windows.h>
// SDK headers that need <windows.h> above (kept apart so include sorting keeps the order).
#include <bcrypt.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "plan/windows/win_path.hpp"
#include "platform/windows/security.hpp"

namespace cordon::winsys {

Result<std::array<uint32_t, 4>> random_u32x4() {
  std::array<uint32_t, 4> out{};
  NTSTATUS status = BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(out.data()), sizeof(out),
                                    BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (status != 0) return win32_error("BCryptGenRandom", "", static_cast<DWORD>(status));
  return out;
}

namespace {
std::optional<win::Sid>& lock_user() {
  static std::optional<win::Sid> user;
  return user;
}

// The final path of an open handle, without the \\?\ prefix, case-folded.
std::string folded_final_path(HANDLE h) {
  std::wstring buf(1024, L'\0');
  DWORD n = GetFinalPathNameByHandleW(h, buf.data(), static_cast<DWORD>(buf.size()), FILE_NAME_NORMALIZED);
  if (n == 0 || n >= buf.size()) return {};
  buf.resize(n);
  return win::fold_case(win::normalize(narrow(buf)));
}
}  // namespace

Result<std::optional<std::string>> FileStateIo::read(const std::string& name) {
  std::string path = win::join(dir_, name);
  // An elevated reader acting for the user (set_state_lock_user) opens the file itself,
  // never a link's target, and only where its name says: it would otherwise read a file
  // only administrators may read and hand it back (a damaged ledger is kept as a copy in
  // the user's state dir) (F19).
  const bool strict = lock_user().has_value();
  UniqueHandle h(CreateFileW(widen(path).c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                             strict ? FILE_FLAG_OPEN_REPARSE_POINT : 0, nullptr));
  if (!h) {
    DWORD code = GetLastError();
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) return std::optional<std::string>{};
    return win32_error("CreateFileW", path, code);
  }
  if (strict) {
    FILE_ATTRIBUTE_TAG_INFO tag{};
    if (!GetFileInformationByHandleEx(h.get(), FileAttributeTagInfo, &tag, sizeof(tag)) ||
        (tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ||
        folded_final_path(h.get()) != win::fold_case(win::normalize(path)))
      return win32_error(
          "CreateFileW", path, ERROR_CANT_ACCESS_FILE,
          "cordon's state file is a link or lies elsewhere; an elevated cordon does not read it");
  }
  std::string text;
  char buf[8192];
  DWORD got = 0;
  while (ReadFile(h.get(), buf, sizeof(buf), &got, nullptr) && got > 0) text.append(buf, got);
  return std::optional<std::string>{text};
}

// The state dir is the user's: a process acting for the user with more rights (the
// elevated setup and uninstall child, set_state_lock_user) must not be led elsewhere by
// a link the user planted (F19). So the temporary file has a new random name each time
// and is made with CREATE_NEW (nothing planted can be there, and a name that exists is
// an error, never followed; deleting a planted link first is no answer, since Wine's
// DeleteFileW deletes a symlink's target); the rename then replaces the final name
// itself, a link included. For an elevated writer the directory must be no reparse
// point and the new file must be where its name says (a junction on an ancestor would
// show in its final path); a file that is not is deleted through its own handle.
Status FileStateIo::write_atomic(const std::string& name, const std::string& text) {
  CreateDirectoryW(widen(dir_).c_str(), nullptr);
  std::string path = win::join(dir_, name);
  auto random = random_u32x4();
  if (!random) return random.error();
  char suffix[40];
  std::snprintf(suffix, sizeof(suffix), ".%08x%08x.tmp", static_cast<unsigned>((*random)[0]),
                static_cast<unsigned>((*random)[1]));
  std::string tmp = path + suffix;
  const bool strict = lock_user().has_value();
  // Held until the rename is done, without FILE_SHARE_DELETE: the directory cannot be
  // renamed away (and a junction put in its place) between the checks below and the
  // rename by name, and NTFS refuses to rename an ancestor of an open file or directory,
  // so the path the rename resolves is the one checked here (F19).
  UniqueHandle dir;
  if (strict) {
    dir = UniqueHandle(CreateFileW(widen(dir_).c_str(), FILE_READ_ATTRIBUTES,
                                   FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                                   FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    if (!dir) return win32_error("CreateFileW", dir_);
    FILE_ATTRIBUTE_TAG_INFO tag{};
    if (!GetFileInformationByHandleEx(dir.get(), FileAttributeTagInfo, &tag, sizeof(tag)))
      return win32_error("GetFileInformationByHandleEx", dir_);
    if (tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
      return win32_error("CreateFileW", dir_, ERROR_CANT_ACCESS_FILE,
                         "cordon's state directory is a link; an elevated cordon does not write through it");
    if (folded_final_path(dir.get()) != win::fold_case(win::normalize(dir_)))
      return win32_error("GetFinalPathNameByHandleW", dir_, ERROR_CANT_ACCESS_FILE,
                         "cordon's state directory lies elsewhere (a link on the way); not written");
  }
  {
    UniqueHandle h(CreateFileW(widen(tmp).c_str(), GENERIC_WRITE | DELETE, 0, nullptr, CREATE_NEW,
                               FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    if (!h) return win32_error("CreateFileW", tmp);
    // Our own new file, deleted through its handle on any failure below (its random
    // name would otherwise stay behind).
    auto discard = [&](Error e) {
      FILE_DISPOSITION_INFO gone{TRUE};
      SetFileInformationByHandle(h.get(), FileDispositionInfo, &gone, sizeof(gone));
      return e;
    };
    if (strict && folded_final_path(h.get()) != win::fold_case(win::normalize(tmp)))
      return discard(
          win32_error("GetFinalPathNameByHandleW", tmp, ERROR_CANT_ACCESS_FILE,
                      "cordon's state file would land elsewhere (a link on the way); not written"));
    DWORD wrote = 0;
    if (!WriteFile(h.get(), text.data(), static_cast<DWORD>(text.size()), &wrote, nullptr) ||
        wrote != text.size())
      return discard(win32_error("WriteFile", tmp));
    if (!FlushFileBuffers(h.get())) return discard(win32_error("FlushFileBuffers", tmp));
  }
  if (!MoveFileExW(widen(tmp).c_str(), widen(path).c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    Error e = win32_error("MoveFileExW", path);
    DeleteFileW(widen(tmp).c_str());  // our own new file
    return e;
  }
  return Ok{};
}

void set_state_lock_user(const win::Sid& user) {
  lock_user() = user;
}

Status FileStateIo::lock() {
  // Default: the creator's default DACL. For an elevated setup acting for a user: SYSTEM,
  // Administrators and that user, so the user's own cordon can still take the lock.
  SECURITY_ATTRIBUTES sa{sizeof(sa), nullptr, FALSE};
  SECURITY_DESCRIPTOR sd;
  std::vector<BYTE> acl;
  if (lock_user()) {
    const uint32_t all = MUTEX_ALL_ACCESS;
    auto built = build_acl({{win::AceType::Allow, win::sids::local_system(), all, 0},
                            {win::AceType::Allow, win::sids::administrators(), all, 0},
                            {win::AceType::Allow, *lock_user(), all, 0}});
    if (built) acl = std::move(*built);
    if (!acl.empty() && InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) &&
        SetSecurityDescriptorDacl(&sd, TRUE, reinterpret_cast<ACL*>(acl.data()), FALSE))
      sa.lpSecurityDescriptor = &sd;
  }
  mutex_ =
      UniqueHandle(CreateMutexW(sa.lpSecurityDescriptor ? &sa : nullptr, FALSE, L"Local\\cordon-state-lock"));
  if (!mutex_) return win32_error("CreateMutexW", "Local\\cordon-state-lock");
  DWORD r = WaitForSingleObject(mutex_.get(), 30000);
  if (r != WAIT_OBJECT_0 && r != WAIT_ABANDONED)
    return win32_error("WaitForSingleObject", "cordon state lock",
                       r == WAIT_TIMEOUT ? WAIT_TIMEOUT : GetLastError(),
                       "another cordon process holds the state lock");
  return Ok{};
}

void FileStateIo::unlock() {
  if (mutex_) ReleaseMutex(mutex_.get());
  mutex_.reset();
}

std::array<uint32_t, 4> FileStateIo::random() {
  auto r = random_u32x4();
  if (!r) std::abort();  // never fall back to a weak source for capability SIDs
  return *r;
}

}  // namespace cordon::winsys
