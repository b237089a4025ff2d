#include "platform/windows/host_probe.hpp"

#include <windows.h>
// SDK headers that need <windows.h> above (kept apart so include sorting keeps the order).
#include <aclapi.h>

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

}  // namespace

std::string env(const char* name) {
  DWORD n = GetEnvironmentVariableW(widen(name).c_str(), nullptr, 0);
  if (n == 0) return {};
  std::wstring buf(n, L'\0');
  n = GetEnvironmentVariableW(widen(name).c_str(), buf.data(), n);
  buf.resize(n);
  return narrow(buf);
}

win::FsEntry WinFs::stat(const std::string& path) const {
  win::FsEntry e;
  UniqueHandle h = open_meta(path, FILE_READ_ATTRIBUTES, true);
  if (!h) return e;
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h.get(), &info)) return e;
  e.kind = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? win::FsEntry::Kind::Directory
                                                              : win::FsEntry::Kind::File;
  e.final_path = final_path(h.get());
  if (e.final_path.empty()) e.final_path = win::normalize(path);
  e.reparse = is_link(path);
  return e;
}

bool WinFs::is_link(const std::string& path) const {
  DWORD attrs = GetFileAttributesW(widen(path).c_str());
  return attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_REPARSE_POINT);
}

std::vector<std::string> WinFs::list(const std::string& dir) const {
  std::vector<std::string> out;
  WIN32_FIND_DATAW data{};
  HANDLE h = FindFirstFileExW(widen(win::join(dir, "*")).c_str(), FindExInfoBasic, &data,
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
  WIN32_FIND_DATAW data{};
  HANDLE h = FindFirstFileExW(widen(win::join(dir, "*")).c_str(), FindExInfoBasic, &data,
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
  UniqueHandle h = open_meta(path, READ_CONTROL, true);
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
// (cordon would authenticate to the server) or a device such as \\.\pipe\x; the handle must
// be a disk file (a link that leads to a pipe is not read), and SECURITY_IDENTIFICATION
// keeps a pipe server from impersonating cordon should one be reached anyway.
std::optional<std::string> WinFs::read_small(const std::string& path, size_t max_bytes) const {
  auto parsed = win::parse_path(path);
  if (!parsed || parsed->kind != win::PathKind::Drive || !parsed->stream.empty()) return std::nullopt;
  UniqueHandle h(CreateFileW(widen(parsed->object()).c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr,
                             OPEN_EXISTING, SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr));
  if (!h || GetFileType(h.get()) != FILE_TYPE_DISK) return std::nullopt;
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
