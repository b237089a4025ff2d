#include "platform/windows/remove_tree_win32.hpp"

#include <windows.h>
// SDK headers that need <windows.h> above.
#include <winternl.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

struct WinObject : win::TreeOps::Object {
  UniqueHandle handle;
  std::string path;  // for messages
};

// Delete (the object itself), list (a directory), read attributes, clear read-only.
constexpr DWORD kAccess =
    DELETE | FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE;
constexpr DWORD kShare = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

// NtCreateFile's create disposition and options (ntifs.h; not all in mingw's winternl.h).
constexpr ULONG kFileOpen = 0x00000001;
constexpr ULONG kFileCreate = 0x00000002;
constexpr ULONG kNonDirectoryFile = 0x00000040;
constexpr ULONG kSynchronousIoNonalert = 0x00000020;
constexpr ULONG kOpenForBackupIntent = 0x00004000;
constexpr ULONG kOpenReparsePoint = 0x00200000;
// FileDispositionInfoEx (Windows 10 1703+; the SDK names it only for that target).
constexpr auto kFileDispositionInfoEx = static_cast<FILE_INFO_BY_HANDLE_CLASS>(21);

bool not_found(DWORD code) {
  return code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND;
}

std::wstring final_path(HANDLE h) {
  std::wstring out(1024, L'\0');
  DWORD n = GetFinalPathNameByHandleW(h, out.data(), static_cast<DWORD>(out.size()), FILE_NAME_NORMALIZED);
  if (n == 0 || n >= out.size()) return {};
  out.resize(n);
  return out;
}

// What NtCreateFile is asked for, beside the name and the directory it is looked up in.
struct RelativeOpen {
  ACCESS_MASK access;
  ULONG share;
  ULONG disposition;  // kFileOpen, kFileCreate
  ULONG options;
  ULONG attributes = 0;  // a new file's
};

// NtCreateFile of `name` relative to the directory handle `dir`: the name is looked up in
// that directory object, never by a path from the top (a directory renamed or replaced
// meanwhile cannot redirect it). Case-insensitive, as Win32 opens are.
NTSTATUS open_relative(HANDLE dir, std::wstring name, const RelativeOpen& how, HANDLE& out) {
  UNICODE_STRING uname;
  uname.Buffer = name.data();
  uname.Length = static_cast<USHORT>(name.size() * sizeof(wchar_t));
  uname.MaximumLength = uname.Length;
  OBJECT_ATTRIBUTES attrs;
  InitializeObjectAttributes(&attrs, &uname, OBJ_CASE_INSENSITIVE, dir, nullptr);
  IO_STATUS_BLOCK io{};
  out = nullptr;
  return NtCreateFile(&out, how.access, &attrs, &io, nullptr, how.attributes, how.share, how.disposition,
                      how.options, nullptr, 0);
}

bool same_name(const std::wstring& a, const std::wstring& b) {
  return CompareStringOrdinal(a.c_str(), static_cast<int>(a.size()), b.c_str(), static_cast<int>(b.size()),
                              TRUE) == CSTR_EQUAL;
}

}  // namespace

Result<std::unique_ptr<win::TreeOps::Object>> WinTreeOps::open(Object* dir, const std::string& name) {
  auto o = std::make_unique<WinObject>();
  if (!dir) {
    o->path = name;
    o->handle = UniqueHandle(CreateFileW(widen(name).c_str(), kAccess, kShare, nullptr, OPEN_EXISTING,
                                         FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    // A directory that is some process's current directory (a writable root is cordon's
    // own) is open without FILE_SHARE_DELETE: without DELETE it can still be listed,
    // and its entries opened, read and renamed (only deleting the top itself fails).
    if (!o->handle && GetLastError() == ERROR_SHARING_VIOLATION)
      o->handle = UniqueHandle(
          CreateFileW(widen(name).c_str(), kAccess & ~static_cast<DWORD>(DELETE), kShare, nullptr,
                      OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    if (!o->handle) {
      DWORD code = GetLastError();
      if (not_found(code)) return os_error("CreateFileW", name, ENOENT);
      return win32_error("CreateFileW", name + " (FILE_FLAG_OPEN_REPARSE_POINT)", code);
    }
    return std::unique_ptr<Object>(std::move(o));
  }
  auto& parent = static_cast<WinObject&>(*dir);
  o->path = parent.path + "\\" + name;
  // Relative to the directory's handle: the path from the top is never re-walked.
  const std::wstring wide = widen(name);
  HANDLE raw = nullptr;
  NTSTATUS st = open_relative(
      parent.handle.get(), wide,
      {kAccess, kShare, kFileOpen, kSynchronousIoNonalert | kOpenForBackupIntent | kOpenReparsePoint}, raw);
  if (st < 0) {
    DWORD code = RtlNtStatusToDosError(st);
    if (not_found(code)) return os_error("NtCreateFile", o->path, ENOENT);
    return win32_error("NtCreateFile", o->path + " (FILE_OPEN_REPARSE_POINT)", code);
  }
  o->handle = UniqueHandle(raw);
  // Decide and act on the same object: the handle must be the entry that was listed,
  // not something a link led to. (Windows opens a link itself with
  // FILE_OPEN_REPARSE_POINT; a file system that resolves links anyway, as Wine does,
  // would otherwise have the deletion land on the target.)
  const std::wstring parent_path = final_path(parent.handle.get()), child_path = final_path(o->handle.get());
  if (parent_path.empty() || child_path.empty() || !same_name(child_path, parent_path + L"\\" + wide))
    return usage_error("remove_tree", o->path + ": the opened object is not the listed entry (" +
                                          narrow(child_path) + "); left in place");
  return std::unique_ptr<Object>(std::move(o));
}

Result<win::TreeOps::Info> WinTreeOps::info(Object& object) {
  auto& o = static_cast<WinObject&>(object);
  FILE_ATTRIBUTE_TAG_INFO tag{};
  if (!GetFileInformationByHandleEx(o.handle.get(), FileAttributeTagInfo, &tag, sizeof(tag)))
    return win32_error("GetFileInformationByHandleEx", o.path + " (FileAttributeTagInfo)");
  return Info{(tag.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0,
              (tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0};
}

Result<std::vector<win::TreeOps::Entry>> WinTreeOps::list(Object& dir) {
  auto& o = static_cast<WinObject&>(dir);
  std::vector<Entry> out;
  alignas(8) unsigned char buffer[64 * 1024];
  FILE_INFO_BY_HANDLE_CLASS cls = FileIdBothDirectoryRestartInfo;
  for (;;) {
    if (!GetFileInformationByHandleEx(o.handle.get(), cls, buffer, sizeof(buffer))) {
      DWORD code = GetLastError();
      if (code == ERROR_NO_MORE_FILES) break;
      return win32_error("GetFileInformationByHandleEx", o.path + " (FileIdBothDirectoryInfo)", code);
    }
    cls = FileIdBothDirectoryInfo;
    size_t offset = 0;
    for (;;) {
      auto* e = reinterpret_cast<FILE_ID_BOTH_DIR_INFO*>(buffer + offset);
      std::wstring name(e->FileName, e->FileNameLength / sizeof(wchar_t));
      if (name != L"." && name != L"..")
        out.push_back({narrow(name), (e->FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0});
      if (e->NextEntryOffset == 0) break;
      offset += e->NextEntryOffset;
    }
  }
  return out;
}

Status WinTreeOps::remove(Object& object) {
  auto& o = static_cast<WinObject&>(object);
  // Windows 10 1709+ (POSIX semantics; older ones refuse the class or the flag) (the name goes at once) and
  // read-only ignored.
  struct {
    ULONG Flags;
  } ex{0x1 /*DELETE*/ | 0x2 /*POSIX_SEMANTICS*/ | 0x10 /*IGNORE_READONLY_ATTRIBUTE*/};
  if (SetFileInformationByHandle(o.handle.get(), kFileDispositionInfoEx, &ex, sizeof(ex))) return Ok{};
  // Older systems (and Wine): clear read-only, then the classic delete-on-close.
  FILE_BASIC_INFO basic{};
  if (GetFileInformationByHandleEx(o.handle.get(), FileBasicInfo, &basic, sizeof(basic)) &&
      (basic.FileAttributes & FILE_ATTRIBUTE_READONLY)) {
    basic.FileAttributes &= ~static_cast<DWORD>(FILE_ATTRIBUTE_READONLY);
    (void)SetFileInformationByHandle(o.handle.get(), FileBasicInfo, &basic, sizeof(basic));
  }
  FILE_DISPOSITION_INFO disposition{TRUE};
  if (!SetFileInformationByHandle(o.handle.get(), FileDispositionInfo, &disposition, sizeof(disposition)))
    return win32_error("SetFileInformationByHandle", o.path + " (FileDispositionInfo)");
  return Ok{};
}

Status WinTreeOps::rename(Object& object, Object& dir, const std::string& new_name) {
  auto& o = static_cast<WinObject&>(object);
  auto& d = static_cast<WinObject&>(dir);
  // FILE_RENAME_INFORMATION relative to the directory's handle (NtSetInformationFile:
  // kernel32's FileRenameInfo turns a relative name into a path from the process's
  // current directory on some implementations): the new name is looked up in that
  // directory object, never by a path the sandbox could have redirected, and an
  // existing entry of that name is not replaced.
  struct RenameInformation {  // FILE_RENAME_INFORMATION (ntifs.h)
    BOOLEAN ReplaceIfExists;
    HANDLE RootDirectory;
    ULONG FileNameLength;
    WCHAR FileName[1];
  };
  const std::wstring wide = widen(new_name);
  std::vector<unsigned char> buffer(sizeof(RenameInformation) + wide.size() * sizeof(wchar_t));
  auto* info = reinterpret_cast<RenameInformation*>(buffer.data());
  info->ReplaceIfExists = FALSE;
  info->RootDirectory = d.handle.get();
  info->FileNameLength = static_cast<ULONG>(wide.size() * sizeof(wchar_t));
  std::copy(wide.begin(), wide.end(), info->FileName);
  IO_STATUS_BLOCK io{};
  NTSTATUS st = NtSetInformationFile(o.handle.get(), &io, info, static_cast<ULONG>(buffer.size()),
                                     FileRenameInformation);
  if (st < 0)
    return win32_error("NtSetInformationFile", o.path + " (FileRenameInformation -> " + new_name + ")",
                       RtlNtStatusToDosError(st));
  return Ok{};
}

Result<std::string> WinTreeOps::read_small(Object& file, size_t max) {
  auto& o = static_cast<WinObject&>(file);
  // The handle was opened with FILE_LIST_DIRECTORY, which is FILE_READ_DATA for a file.
  std::string out;
  char buffer[16 * 1024];
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(o.handle.get(), buffer, sizeof(buffer), &got, nullptr))
      return win32_error("ReadFile", o.path);
    if (got == 0) break;
    out.append(buffer, got);
    if (out.size() > max)
      return win32_error("ReadFile", o.path, ERROR_FILE_TOO_LARGE, "larger than expected");
  }
  return out;
}

Status WinTreeOps::create_file(Object& dir, const std::string& name, const std::string& content) {
  auto& d = static_cast<WinObject&>(dir);
  const std::string path = d.path + "\\" + name;
  // FILE_CREATE relative to the directory's handle: fails on any existing entry (a link
  // planted under the name is never opened, let alone followed), and the name is looked
  // up in that directory object, not by a path. The new file inherits the directory's ACL.
  HANDLE raw = nullptr;
  NTSTATUS st =
      open_relative(d.handle.get(), widen(name),
                    {FILE_WRITE_DATA | DELETE | SYNCHRONIZE, 0, kFileCreate,
                     kSynchronousIoNonalert | kNonDirectoryFile | kOpenReparsePoint, FILE_ATTRIBUTE_NORMAL},
                    raw);
  if (st < 0) return win32_error("NtCreateFile", path + " (FILE_CREATE)", RtlNtStatusToDosError(st));
  UniqueHandle file(raw);
  size_t done = 0;
  while (done < content.size()) {
    DWORD wrote = 0;
    const auto chunk = static_cast<DWORD>(std::min<size_t>(content.size() - done, 64 * 1024));
    if (!WriteFile(file.get(), content.data() + done, chunk, &wrote, nullptr) || wrote == 0) {
      const DWORD code = GetLastError();
      FILE_DISPOSITION_INFO disposition{TRUE};  // no half-written config for git to read
      (void)SetFileInformationByHandle(file.get(), FileDispositionInfo, &disposition, sizeof(disposition));
      return win32_error("WriteFile", path, code);
    }
    done += wrote;
  }
  if (!FlushFileBuffers(file.get())) return win32_error("FlushFileBuffers", path);
  return Ok{};
}

}  // namespace cordon::winsys
