#include "core/paths.hpp"

#include <algorithm>

#ifdef _WIN32
#include <cctype>
#endif

namespace cordon::paths {

namespace {
// The lexical core of normalize() on both platforms: drops "" and "." components and
// resolves ".." (above a root it stays at the root; in a relative path it is kept),
// then joins the rest of `p` from `start` with `sep`. `seps` are the separators accepted.
std::string collapse(std::string_view p, size_t start, bool rooted, const char* seps, char sep) {
  std::vector<std::string_view> parts;
  for (size_t i = start; i <= p.size();) {
    size_t j = p.find_first_of(seps, i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!rooted)
        parts.push_back(part);
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += sep;
    out += parts[k];
  }
  return out;
}
}  // namespace

#ifdef _WIN32
// Windows build: "C:\\a\\b" and "\\\\server\\share\\a"; '/' is accepted as a
// separator and names compare case-insensitively. (The Windows planner has the full
// Win32 path model in plan/windows/win_path.hpp; this is what the front end needs.)
namespace {
bool is_sep(char c) {
  return c == '\\' || c == '/';
}
size_t root_length(std::string_view p) {
  if (p.size() >= 3 && std::isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' && is_sep(p[2]))
    return 3;
  if (p.size() >= 2 && is_sep(p[0]) && is_sep(p[1])) {
    size_t a = p.find_first_of("\\/", 2);
    if (a == std::string_view::npos || a == 2) return 0;
    size_t b = p.find_first_of("\\/", a + 1);
    return b == std::string_view::npos ? p.size() : b + 1;
  }
  return 0;
}
char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}
}  // namespace

bool is_absolute(std::string_view p) {
  return root_length(p) > 0;
}

std::string normalize(std::string_view p) {
  size_t rl = root_length(p);
  std::string root(p.substr(0, rl));
  for (char& c : root)
    if (c == '/') c = '\\';
  if (rl == 3) root[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(root[0])));
  if (rl > 3 && root.back() != '\\') root += '\\';
  const std::string rest = collapse(p, rl, rl > 0, "\\/", '\\');
  std::string out = root + rest;
  if (rl > 3 && rest.empty()) out.pop_back();  // "\\\\server\\share"
  if (out.empty()) return std::string(1, '.');
  return out;
}

std::string expand_home(std::string_view p, std::string_view home) {
  if (p == "~") return std::string(home);
  if (p.size() >= 2 && p[0] == '~' && is_sep(p[1]))
    return std::string(home) + "\\" + std::string(p.substr(2));
  return std::string(p);
}

std::string join(std::string_view base, std::string_view rel) {
  if (is_absolute(rel)) return normalize(rel);
  std::string s(base);
  s += '\\';
  s += rel;
  return normalize(s);
}

bool is_within(std::string_view p, std::string_view root) {
  if (p.size() < root.size()) return false;
  for (size_t i = 0; i < root.size(); ++i) {
    char a = p[i] == '/' ? '\\' : lower(p[i]), b = root[i] == '/' ? '\\' : lower(root[i]);
    if (a != b) return false;
  }
  return p.size() == root.size() || is_sep(root.back()) || is_sep(p[root.size()]);
}

std::vector<std::string> ancestors(std::string_view p) {
  std::vector<std::string> out;
  size_t rl = root_length(p);
  if (rl == 0 || p.size() <= rl) return out;
  out.emplace_back(p.substr(0, rl));
  for (size_t i = rl; i < p.size(); ++i)
    if (is_sep(p[i])) out.emplace_back(p.substr(0, i));
  return out;
}

std::string parent(std::string_view p) {
  size_t rl = root_length(p);
  size_t pos = p.find_last_of("\\/");
  if (pos == std::string_view::npos) return ".";
  if (pos < rl) return std::string(p.substr(0, rl));
  return std::string(p.substr(0, pos));
}

std::string basename(std::string_view p) {
  size_t pos = p.find_last_of("\\/");
  return std::string(pos == std::string_view::npos ? p : p.substr(pos + 1));
}

#else  // POSIX

bool is_absolute(std::string_view p) {
  return !p.empty() && p.front() == '/';
}

// Already in normal form: no empty, "." or ".." component and no trailing '/' ("/" aside).
// Most paths cordon builds are; they skip the split and rejoin (every run normalizes a few
// hundred: the default protected and denied names under each root).
namespace {
bool is_normal(std::string_view p) {
  if (p == "/") return true;
  if (p.empty() || p.back() == '/') return false;
  for (size_t i = p.front() == '/' ? 1 : 0; i <= p.size();) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    const std::string_view part = p.substr(i, j - i);
    if (part.empty() || part == "." || part == "..") return false;
    i = j + 1;
  }
  return true;
}
}  // namespace

std::string normalize(std::string_view p) {
  if (is_normal(p)) return std::string(p);
  const bool absolute = is_absolute(p);
  std::string out = (absolute ? "/" : "") + collapse(p, 0, absolute, "/", '/');
  if (out.empty()) out = ".";
  return out;
}

std::string expand_home(std::string_view p, std::string_view home) {
  if (p == "~") return std::string(home);
  if (p.size() >= 2 && p[0] == '~' && p[1] == '/') return std::string(home) + std::string(p.substr(1));
  return std::string(p);
}

std::string join(std::string_view base, std::string_view rel) {
  if (is_absolute(rel)) return normalize(rel);
  std::string s(base);
  s += '/';
  s += rel;
  return normalize(s);
}

bool is_within(std::string_view p, std::string_view root) {
  if (root == "/") return is_absolute(p);
  if (p.size() < root.size() || p.substr(0, root.size()) != root) return false;
  return p.size() == root.size() || p[root.size()] == '/';
}

std::vector<std::string> ancestors(std::string_view p) {
  std::vector<std::string> out;
  if (!is_absolute(p) || p == "/") return out;
  out.emplace_back("/");
  for (size_t i = 1; i < p.size(); ++i)
    if (p[i] == '/') out.emplace_back(p.substr(0, i));
  return out;
}

std::string parent(std::string_view p) {
  size_t pos = p.rfind('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(p.substr(0, pos));
}

std::string basename(std::string_view p) {
  size_t pos = p.rfind('/');
  return std::string(pos == std::string_view::npos ? p : p.substr(pos + 1));
}

#endif  // _WIN32

bool may_name_same_entry(std::string_view protected_name, std::string_view name, NameFolding folding) {
  if (folding == NameFolding::Exact) return name == protected_name;
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return (static_cast<unsigned char>(c) & 0x80) != 0; }))
    return true;
  if (folding == NameFolding::Windows) {
    name = name.substr(0, name.find(':'));  // an alternate data stream of `name`
    while (!name.empty() && (name.back() == '.' || name.back() == ' ')) name.remove_suffix(1);
  }
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return name.size() == protected_name.size() &&
         std::equal(name.begin(), name.end(), protected_name.begin(),
                    [&](char a, char b) { return lower(a) == lower(b); });
}

}  // namespace cordon::paths
