#include "platform/windows/host_probe.hpp"

#include <windows.h>
// SDK headers that need <windows.h> above (kept apart so include sorting keeps the order).
#include <aclapi.h>
#include <winioctl.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "plan/windows/win_path.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

// SECURITY_IDENTIFICATION: should a path the planner looks at lead to a pipe (a link the
// sandbox planted), its server cannot impersonate cordon (the planner itself never opens
// a device or share path it read from a file: plan/windows/planner.cpp on_a_drive).
UniqueHandle open_meta(const std::string& path, DWORD access, bool follow) {
  DWORD flags = FILE_FLAG_BACKUP_SEMANTICS | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION |
                (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT);
  return UniqueHandle(CreateFileW(widen(path).c_str(), access,
                                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                  OPEN_EXISTING, flags, nullptr));
}

std::string final_path(HANDLE h) {
  std::wstring buf(MAX_PATH, L'\0');
  DWORD n = GetFinalPathNameByHandleW(h, buf.data(), static_cast<DWORD>(buf.size()), FILE_NAME_NORMALIZED);
  if (n >= buf.size()) {
    buf.resize(n + 1);
    n = GetFinalPathNameByHandleW(h, buf.data(), static_cast<DWORD>(buf.size()), FILE_NAME_NORMALIZED);
  }
  if (n == 0) return {};
  buf.resize(n);
  return win::normalize(narrow(buf));  // drops the \\?\ prefix
}

constexpr int kMaxHops = 16;  // links followed for one path, chains included

uint16_t u16_at(const std::vector<unsigned char>& b, size_t at) {
  return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}

std::string utf16_at(const std::vector<unsigned char>& b, size_t at, size_t bytes) {
  std::wstring w(bytes / 2, L'\0');
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<wchar_t>(u16_at(b, at + 2 * i));
  return narrow(w);
}

// Where the reparse point `link` (in directory `dir`) leads, read without following it
// (FSCTL_GET_REPARSE_POINT on a handle opened with FILE_FLAG_OPEN_REPARSE_POINT): only a
// symbolic link or junction whose target is a path on a drive. A share (\??\UNC\...), a
// device, a volume GUID path or any other reparse tag (cloud files, dedup, app exec
// links) gives nullopt: cordon never opens what the sandbox may have pointed at a server.
std::optional<std::string> local_target(const std::string& dir, const std::string& link) {
  UniqueHandle h = open_meta(link, FILE_READ_ATTRIBUTES, false);
  if (!h) return std::nullopt;
  std::vector<unsigned char> buf(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
  DWORD got = 0;
  if (!DeviceIoControl(h.get(), FSCTL_GET_REPARSE_POINT, nullptr, 0, buf.data(),
                       static_cast<DWORD>(buf.size()), &got, nullptr) ||
      got < 16)
    return std::nullopt;
  const uint32_t tag = u16_at(buf, 0) | (static_cast<uint32_t>(u16_at(buf, 2)) << 16);
  size_t names = 0;  // offset of PathBuffer
  bool relative = false;
  if (tag == IO_REPARSE_TAG_SYMLINK) {
    if (got < 20) return std::nullopt;
    names = 20;
    relative = (buf[16] & 1) != 0;  // SYMLINK_FLAG_RELATIVE
  } else if (tag == IO_REPARSE_TAG_MOUNT_POINT) {
    names = 16;
  } else {
    return std::nullopt;
  }
  const size_t off = u16_at(buf, 8), len = u16_at(buf, 10);
  if (names + off + len > got) return std::nullopt;
  return win::link_target_on_a_drive(dir, utf16_at(buf, names + off, len), relative);
}

// `path` with every junction and symbolic link on it resolved by reading its target, one
// component at a time from the drive root (GetFileAttributesW does not follow the final
// component, and the components before it were found not to be links), so no link is
// followed by the system. nullopt when the path is not on a drive, when a link on it
// leads anywhere but a drive path (local_target), or after kMaxHops links. A component
// that does not exist ends the walk: nothing below it can be reached through a link.
std::optional<std::string> resolve_local(const std::string& path) {
  std::string pending = path;
  for (int hop = 0; hop <= kMaxHops; ++hop) {
    auto parsed = win::parse_path(pending);
    if (!parsed || parsed->kind != win::PathKind::Drive || !parsed->stream.empty()) return std::nullopt;
    // The drive root itself is not asked: a volume root carries no reparse point on
    // Windows, and Wine reports its drive roots (symlinks to Unix directories) as one.
    std::string at = parsed->root + "\\";
    bool redirected = false;
    for (size_t i = 0; i < parsed->parts.size() && !redirected; ++i) {
      const std::string next = win::join(at, parsed->parts[i]);
      const DWORD attrs = GetFileAttributesW(widen(next).c_str());
      if (attrs == INVALID_FILE_ATTRIBUTES) return parsed->object();
      if (!(attrs & FILE_ATTRIBUTE_REPARSE_POINT)) {
        at = next;
        continue;
      }
      auto target = local_target(at, next);
      if (!target) return std::nullopt;
      pending = *target;
      for (size_t k = i + 1; k < parsed->parts.size(); ++k) pending = win::join(pending, parsed->parts[k]);
      redirected = true;
    }
    if (!redirected) return parsed->object();
  }
  return std::nullopt;
}

// Opens a path resolve_local() returned without following a link, and checks that the
// object is not one (a link swapped in since the walk is refused, not followed).
UniqueHandle open_resolved(const std::string& resolved, DWORD access) {
  UniqueHandle h = open_meta(resolved, access, false);
  if (!h) return h;
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h.get(), &info) || (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
    return UniqueHandle();
  return h;
}

}  // namespace

std::string env(const char* name) {
  DWORD n = GetEnvironmentVariableW(widen(name).c_str(), nullptr, 0);
  if (n == 0) return {};
  std::wstring buf(n, L'\0');
  n = GetEnvironmentVariableW(widen(name).c_str(), buf.data(), n);
  buf.resize(n);
  return narrow(buf);
}

// Follows links only as resolve_local() does: one that leads to a share, a device or
// anything but a drive path reads as missing (reparse set), and is never opened.
win::FsEntry WinFs::stat(const std::string& path) const {
  win::FsEntry e;
  e.reparse = is_link(path);
  auto resolved = resolve_local(path);
  if (!resolved) return e;
  UniqueHandle h = open_resolved(*resolved, FILE_READ_ATTRIBUTES);
  if (!h) return e;
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h.get(), &info)) return e;
  e.kind = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? win::FsEntry::Kind::Directory
                                                              : win::FsEntry::Kind::File;
  e.final_path = final_path(h.get());
  if (e.final_path.empty()) e.final_path = *resolved;
  return e;
}

// The entry itself, asked in its directory as resolve_local() found it: a link on the way
// is not followed by the system, and one that leads off the drives counts as a link here
// (the planner then refuses the path as a linked protected entry).
bool WinFs::is_link(const std::string& path) const {
  auto parsed = win::parse_path(path);
  if (!parsed || parsed->kind != win::PathKind::Drive || !parsed->stream.empty()) return true;
  if (parsed->parts.empty()) return false;
  auto dir = resolve_local(win::parent(parsed->object()));
  if (!dir) return true;
  DWORD attrs = GetFileAttributesW(widen(win::join(*dir, parsed->parts.back())).c_str());
  return attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_REPARSE_POINT);
}

std::vector<std::string> WinFs::list(const std::string& dir) const {
  std::vector<std::string> out;
  auto resolved = resolve_local(dir);
  if (!resolved) return out;
  WIN32_FIND_DATAW data{};
  HANDLE h = FindFirstFileExW(widen(win::join(*resolved, "*")).c_str(), FindExInfoBasic, &data,
                              FindExSearchNameMatch, nullptr, 0);
  if (h == INVALID_HANDLE_VALUE) return out;
  do {
    std::wstring name = data.cFileName;
    if (name != L"." && name != L"..") out.push_back(narrow(name));
  } while (FindNextFileW(h, &data));
  FindClose(h);
  return out;
}

// The kind from the listing's attributes: FILE_ATTRIBUTE_REPARSE_POINT marks the entry
// itself (a junction or symbolic link), so nothing is opened and no link is followed.
std::vector<win::DirEntry> WinFs::list_typed(const std::string& dir) const {
  std::vector<win::DirEntry> out;
  auto resolved = resolve_local(dir);
  if (!resolved) return out;
  WIN32_FIND_DATAW data{};
  HANDLE h = FindFirstFileExW(widen(win::join(*resolved, "*")).c_str(), FindExInfoBasic, &data,
                              FindExSearchNameMatch, nullptr, FIND_FIRST_EX_LARGE_FETCH);
  if (h == INVALID_HANDLE_VALUE) return out;
  do {
    std::wstring name = data.cFileName;
    if (name == L"." || name == L"..") continue;
    const bool link = (data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
    out.push_back({narrow(name), !link && (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0, link});
  } while (FindNextFileW(h, &data));
  FindClose(h);
  return out;
}

std::optional<std::vector<win::Ace>> WinFs::dacl(const std::string& path) const {
  auto resolved = resolve_local(path);
  if (!resolved) return std::nullopt;
  UniqueHandle h = open_resolved(*resolved, READ_CONTROL);
  if (!h) return std::nullopt;
  PACL acl = nullptr;
  LocalPtr<void> sd;
  if (GetSecurityInfo(h.get(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &acl, nullptr,
                      sd.out()) != ERROR_SUCCESS)
    return std::nullopt;
  return read_dacl(acl);
}

// The paths read here come from files a sandbox may have written (a .git pointer, an
// include.path of a tracked config), so only a path on a drive is opened, never a share
// (cordon would authenticate to the server) or a device such as \\.\pipe\x, and no link on
// it leads to one (resolve_local); the handle must be a disk file that is not itself a
// link (one swapped in since the walk is not read), and SECURITY_IDENTIFICATION
// keeps a pipe server from impersonating cordon should one be reached anyway.
std::optional<std::string> WinFs::read_small(const std::string& path, size_t max_bytes) const {
  auto resolved = resolve_local(path);
  if (!resolved) return std::nullopt;
  UniqueHandle h(CreateFileW(widen(*resolved).c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                             FILE_FLAG_OPEN_REPARSE_POINT | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
                             nullptr));
  BY_HANDLE_FILE_INFORMATION info{};
  if (!h || GetFileType(h.get()) != FILE_TYPE_DISK || !GetFileInformationByHandle(h.get(), &info) ||
      (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
    return std::nullopt;
  std::string out;
  std::string buf(64 * 1024, '\0');
  while (out.size() < max_bytes) {
    DWORD want = static_cast<DWORD>(std::min(buf.size(), max_bytes - out.size()));
    DWORD got = 0;
    if (!ReadFile(h.get(), buf.data(), want, &got, nullptr)) return std::nullopt;
    if (got == 0) break;
    out.append(buf.data(), got);
  }
  return out;
}

Result<win::WinHost> probe_host(const WinFs& fs) {
  win::WinHost host;
  UniqueHandle token;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, token.out()))
    return win32_error("OpenProcessToken", "self");
  auto user = token_user(token.get());
  if (!user) return user.error();
  host.user = *user;
  auto logon = token_logon_sid(token.get());
  if (logon) host.logon = *logon;  // missing: reported by the token step
  std::string system_root = env("SystemRoot");
  if (!system_root.empty()) host.windows_dir = win::normalize(system_root);
  std::string drive = env("SystemDrive");
  if (!drive.empty()) host.system_drive = drive;
  host.user_profile = win::normalize(env("USERPROFILE"));
  host.local_app_data = win::normalize(env("LOCALAPPDATA"));
  host.public_dir = win::normalize(env("PUBLIC"));
  host.temp = win::normalize(env("TEMP"));
  host.tmp = win::normalize(env("TMP"));
  if (!host.local_app_data.empty()) host.state_dir = win::join(host.local_app_data, "cordon");
  // The same lookup as the CLI's user_config_path (apps/cli/main.cpp).
  std::string xdg = env("XDG_CONFIG_HOME"), home = env("HOME");
  if (home.empty()) home = env("USERPROFILE");
  if (win::is_absolute(xdg)) host.xdg_config_home = win::normalize(xdg);
  if (!xdg.empty() && win::is_absolute(xdg))
    host.config_dir = win::join(xdg, "cordon");
  else if (win::is_absolute(home))
    host.config_dir = win::join(home, ".config\\cordon");
  // git for Windows: the Windows-wide file, its installation's system file (found from git.exe
  // on PATH, else the default installation), the global and XDG files (HOME, else USERPROFILE).
  std::string program_data = env("ProgramData");
  if (win::is_absolute(program_data)) host.git_configs.push_back(win::join(program_data, "Git\\config"));
  std::string program_files = env("ProgramFiles");
  if (win::is_absolute(program_files))
    host.git_configs.push_back(win::join(program_files, "Git\\etc\\gitconfig"));
  if (win::is_absolute(home)) {
    host.git_home = win::normalize(home);
    const std::string config = win::is_absolute(xdg) ? xdg : win::join(home, ".config");
    host.git_configs.push_back(win::join(config, "git\\config"));
    host.git_configs.push_back(win::join(home, ".gitconfig"));
  }
  // The caller's own variables (git run later outside reads these files and entries), as
  // Linux's plan_inputs reads them: every file counts, so GIT_CONFIG_GLOBAL and
  // GIT_CONFIG_SYSTEM are read besides the files they replace. A relative one is taken from
  // git's working directory, which cordon does not know: not read (git_configs are absolute).
  for (const char* v : {"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM"}) {
    const std::string file = env(v);
    if (win::is_absolute(file)) host.git_configs.push_back(win::normalize(file));
  }
  if (const std::string count = env("GIT_CONFIG_COUNT"); !count.empty()) {
    constexpr long kMaxParameters = 1000;  // bounded; git itself takes any count
    char* end = nullptr;
    const long n = std::strtol(count.c_str(), &end, 10);
    for (long i = 0; end && *end == '\0' && i < std::min(n, kMaxParameters); ++i) {
      const std::string key = env(("GIT_CONFIG_KEY_" + std::to_string(i)).c_str());
      if (!key.empty())
        host.git_parameters.emplace_back(key, env(("GIT_CONFIG_VALUE_" + std::to_string(i)).c_str()));
    }
  }
  for (const char* v : {"ProgramFiles", "ProgramFiles(x86)", "ProgramData"}) {
    std::string d = env(v);
    if (!d.empty()) host.program_dirs.push_back(win::normalize(d));
  }
  std::string path = env("PATH");
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find(';', i);
    if (j == std::string::npos) j = path.size();
    std::string entry = path.substr(i, j - i);
    if (win::is_absolute(entry)) host.path_entries.push_back(win::normalize(entry));
    i = j + 1;
  }
  // An installation elsewhere: <Git>\cmd\git.exe or <Git>\bin\git.exe on PATH.
  for (const auto& entry : host.path_entries) {
    if (fs.stat(win::join(entry, "git.exe")).kind != win::FsEntry::Kind::File) continue;
    const std::string system = win::join(win::parent(entry), "etc\\gitconfig");
    if (std::none_of(host.git_configs.begin(), host.git_configs.end(),
                     [&](const std::string& c) { return win::same_path(c, system); }))
      host.git_configs.push_back(system);  // every value counts, so the order does not matter
  }
  host.ssh_session = !env("SSH_CONNECTION").empty() || !env("SSH_CLIENT").empty() || !env("SSH_TTY").empty();
  OSVERSIONINFOW version{};
  version.dwOSVersionInfoSize = sizeof(version);
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  auto rtl_get_version =
      ntdll
          ? reinterpret_cast<RtlGetVersionFn>(reinterpret_cast<void*>(GetProcAddress(ntdll, "RtlGetVersion")))
          : nullptr;
  if (rtl_get_version && rtl_get_version(&version) == 0) host.windows_build = version.dwBuildNumber;
  host.fs = &fs;
  return host;
}

std::optional<uint32_t> probe_restricted_scope(void* restricted_token) {
  UniqueHandle impersonation;
  if (!DuplicateToken(static_cast<HANDLE>(restricted_token), SecurityImpersonation, impersonation.out()))
    return std::nullopt;
  auto user = token_user(impersonation.get());
  if (!user) return std::nullopt;
  // Owner and DACL: only the user, with full access; no restricting SID is granted.
  NativeSid owner(*user);
  auto acl = build_acl({{win::AceType::Allow, *user, win::access::kFileAllAccess, 0}});
  if (!acl) return std::nullopt;
  SECURITY_DESCRIPTOR sd{};
  InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
  SetSecurityDescriptorOwner(&sd, owner.get(), FALSE);
  SetSecurityDescriptorGroup(&sd, owner.get(), FALSE);
  SetSecurityDescriptorDacl(&sd, TRUE, reinterpret_cast<ACL*>(acl->data()), FALSE);
  GENERIC_MAPPING mapping{win::access::kFileGenericRead, win::access::kFileGenericWrite,
                          win::access::kFileGenericExecute, win::access::kFileAllAccess};
  uint32_t covered = 0;
  for (uint32_t right : {win::access::kWriteData, win::access::kAppendData, win::access::kWriteEa,
                         win::access::kWriteAttributes, win::access::kDelete, win::access::kDeleteChild,
                         win::access::kWriteDac, win::access::kWriteOwner}) {
    BYTE privileges[sizeof(PRIVILEGE_SET) + sizeof(LUID_AND_ATTRIBUTES)]{};
    DWORD privileges_size = sizeof(privileges);
    DWORD granted = 0;
    BOOL status = FALSE;
    if (!AccessCheck(&sd, impersonation.get(), right, &mapping, reinterpret_cast<PRIVILEGE_SET*>(privileges),
                     &privileges_size, &granted, &status))
      return std::nullopt;
    if (!status) covered |= right;  // denied: the restricted pass examined it
  }
  // Sanity: plain writes must be covered, or the check did not model a restricted token.
  if (!(covered & win::access::kWriteData)) return std::nullopt;
  return covered;
}

std::optional<bool> probe_default_desktop(void* restricted_token) {
  HDESK desktop = OpenDesktopW(L"Default", 0, FALSE, READ_CONTROL);
  if (!desktop) return std::nullopt;
  PSECURITY_DESCRIPTOR raw = nullptr;
  DWORD got =
      GetSecurityInfo(desktop, SE_WINDOW_OBJECT,
                      OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                      nullptr, nullptr, nullptr, nullptr, &raw);
  CloseDesktop(desktop);
  LocalPtr<void> sd(raw);
  if (got != ERROR_SUCCESS || !raw) return std::nullopt;
  UniqueHandle impersonation;
  if (!DuplicateToken(static_cast<HANDLE>(restricted_token), SecurityImpersonation, impersonation.out()))
    return std::nullopt;
  // The desktop's generic mapping (winuser.h rights): the restricted pass of a
  // write-restricted token examines what GENERIC_WRITE maps to, which includes both.
  GENERIC_MAPPING mapping{
      STANDARD_RIGHTS_READ | DESKTOP_ENUMERATE | DESKTOP_READOBJECTS,
      STANDARD_RIGHTS_WRITE | DESKTOP_CREATEMENU | DESKTOP_CREATEWINDOW | DESKTOP_HOOKCONTROL |
          DESKTOP_JOURNALPLAYBACK | DESKTOP_JOURNALRECORD | DESKTOP_WRITEOBJECTS,
      STANDARD_RIGHTS_EXECUTE | DESKTOP_SWITCHDESKTOP,
      STANDARD_RIGHTS_REQUIRED | DESKTOP_CREATEMENU | DESKTOP_CREATEWINDOW | DESKTOP_ENUMERATE |
          DESKTOP_HOOKCONTROL | DESKTOP_JOURNALPLAYBACK | DESKTOP_JOURNALRECORD | DESKTOP_READOBJECTS |
          DESKTOP_SWITCHDESKTOP | DESKTOP_WRITEOBJECTS};
  BYTE privileges[sizeof(PRIVILEGE_SET) + sizeof(LUID_AND_ATTRIBUTES)]{};
  DWORD privileges_size = sizeof(privileges);
  DWORD granted = 0;
  BOOL status = FALSE;
  if (!AccessCheck(raw, impersonation.get(), DESKTOP_JOURNALPLAYBACK | DESKTOP_WRITEOBJECTS, &mapping,
                   reinterpret_cast<PRIVILEGE_SET*>(privileges), &privileges_size, &granted, &status))
    return std::nullopt;
  return status != FALSE;
}

}  // namespace cordon::winsys
