#include "core/paths.hpp"

namespace cordon::paths {

bool is_absolute(std::string_view p) { return !p.empty() && p.front() == '/'; }

std::string normalize(std::string_view p) {
  std::vector<std::string_view> parts;
  const bool absolute = is_absolute(p);
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part.empty() || part == ".") {
      // skip
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!absolute) parts.push_back(part);
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
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

}  // namespace cordon::paths
