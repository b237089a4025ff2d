// cordon (Windows plan): a lexical model of Win32 path syntax, testable on any host.
//
//   auto p = win::parse_path("\\\\?\\C:\\Work\\.GiT\\config:evil");
//   p->kind == PathKind::Drive; p->object() == "C:\\Work\\.GiT\\config"; p->stream == "evil"
//   win::path_key("c:/work/") == win::path_key("C:\\WORK")        // "c:\\work"
//   win::is_within("C:\\Work\\x", "c:\\work") == true
//
// What it models (the Win32 -> NT path rules that matter for confinement):
//  - '/' and '\' are both separators (except after \\?\, which is taken verbatim);
//  - "." and ".." collapse; trailing dots and spaces are stripped from components
//    (so ".git." and ".git " name ".git"), except in verbatim paths;
//  - \\?\C:\x and \\.\C:\x name the same object as C:\x; \\?\UNC\s\sh and \\s\sh agree;
//  - \\.\PhysicalDrive0, \\.\pipe\x and reserved names (NUL, CON, COM1.txt ...) are
//    devices, not files;
//  - "name:stream[:$DATA]" is an alternate data stream of the object "name";
//    "dir::$INDEX_ALLOCATION" is the directory itself;
//  - names compare case-insensitively. Folding covers ASCII and Latin-1; NTFS uses the
//    volume's upcase table, so the real applier also canonicalises through the
//    filesystem (GetFinalPathNameByHandleW, GetLongPathNameW).
// 8.3 short names ("GIT~1") are aliases that only the filesystem can resolve: see
// FsView::long_path in plan/windows/host.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::win {

enum class PathKind { Drive, Unc, Device, Relative };

struct WinPath {
  PathKind kind = PathKind::Relative;
  std::string root;                // "C:", "\\\\server\\share", or a device name ("pipe", "NUL")
  std::vector<std::string> parts;  // components below the root
  std::string stream;              // alternate data stream of the last component; "" = default
  bool verbatim = false;           // written as \\?\...: no normalisation was applied

  std::string object() const;  // the path without the stream: "C:\\a\\b"
  std::string str() const;     // object() plus ":stream" when there is one
};

// nullopt when the syntax is invalid (a stream on an inner component, "C:" alone ...).
std::optional<WinPath> parse_path(std::string_view text);

bool is_absolute(std::string_view p);       // drive, UNC or device path
std::string normalize(std::string_view p);  // parse_path()->str(), or p unchanged
std::string fold_case(std::string_view s);  // ASCII and Latin-1 lower case
std::string path_key(std::string_view p);   // fold_case(object path): map keys
bool same_path(std::string_view a, std::string_view b);
// p == root or below it, case-insensitively, on object paths (streams ignored).
bool is_within(std::string_view p, std::string_view root);
std::string join(std::string_view base, std::string_view relative);
std::string parent(std::string_view p);  // "C:\\a\\b" -> "C:\\a"; a root -> itself
std::string leaf(std::string_view p);    // last component, "" for a root
bool is_root(std::string_view p);        // "C:\\", "\\\\srv\\share"
// Every proper ancestor, outermost first: "C:\\a\\b" -> {"C:\\", "C:\\a"}.
std::vector<std::string> ancestors(std::string_view p);
// True for names shaped like an 8.3 alias ("PROGRA~1", "GIT~1.TXT").
bool looks_like_short_name(std::string_view component);

// Where a symbolic link or junction in directory `link_dir` leads, from the substitute
// name of its reparse data: a drive path, or nullopt for anything else (a share
// "\\??\\UNC\\srv\\x", a device "\\Device\\...", a volume GUID path, a stream,
// a relative target that names a drive). `relative` is the symbolic link's
// SYMLINK_FLAG_RELATIVE; "\\x" relative is on `link_dir`'s drive.
std::optional<std::string> link_target_on_a_drive(std::string_view link_dir, std::string_view substitute,
                                                  bool relative);

}  // namespace cordon::win
