// cordon: lexical path helpers for POSIX-style paths (no system calls).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cordon::paths {

bool is_absolute(std::string_view p);
// Collapse "//", "/./" and "/../" lexically; keeps a leading "/"; no trailing "/".
std::string normalize(std::string_view p);
// "~" and "~/x" expand against home; other strings are returned unchanged.
std::string expand_home(std::string_view p, std::string_view home);
// Join and normalise: join("/a", "b/c") == "/a/b/c"; an absolute rhs wins.
std::string join(std::string_view base, std::string_view rel);
// True when p == root or p is below root ("/a/b" is within "/a", "/ab" is not).
bool is_within(std::string_view p, std::string_view root);
// "/a/b/c" -> {"/", "/a", "/a/b"} (strict ancestors, outermost first).
std::vector<std::string> ancestors(std::string_view p);
std::string parent(std::string_view p);
std::string basename(std::string_view p);

// How a directory compares the names of its entries, for deciding whether `name` would
// make (or find) the entry `protected_name`.
enum class NameFolding {
  Exact,     // byte for byte (most Linux file systems)
  CaseFold,  // a case-folding directory (ext4, tmpfs casefold): Unicode case folding
  Windows,   // vfat, exfat, ntfs, SMB: case ignored, trailing dots and spaces dropped,
             // and on SMB "name:stream" is a stream of "name"
};
// True when `name` may name the same entry as `protected_name` (an ASCII name). Where
// names fold, any name with a non-ASCII byte counts as a match: folding may map it.
bool may_name_same_entry(std::string_view protected_name, std::string_view name, NameFolding folding);

}  // namespace cordon::paths
