#include "plan/windows/win_path.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace cordon::win {
namespace {

bool is_sep(char c) {
  return c == '\\' || c == '/';
}
bool is_drive(std::string_view s) {
  return s.size() >= 2 && std::isalpha(static_cast<unsigned char>(s[0])) && s[1] == ':';
}

std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Reserved DOS device names, matched on the part before the first '.' or ':'.
bool is_reserved_device(std::string_view name, std::string* device) {
  size_t end = name.find_first_of(".:");
  std::string base = upper_ascii(name.substr(0, end));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  static const std::array<const char*, 6> fixed = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
  bool hit = std::find(fixed.begin(), fixed.end(), base) != fixed.end();
  if (!hit && base.size() == 4 && (base.rfind("COM", 0) == 0 || base.rfind("LPT", 0) == 0))
    hit = base[3] >= '1' && base[3] <= '9';
  if (hit && device) *device = base;
  return hit;
}

// Splits "name:stream:$TYPE". Returns false for an invalid form.
bool split_stream(std::string_view comp, std::string& name, std::string& stream, std::string& type) {
  size_t c1 = comp.find(':');
  if (c1 == std::string_view::npos) {
    name = comp;
    return true;
  }
  name = comp.substr(0, c1);
  std::string_view rest = comp.substr(c1 + 1);
  size_t c2 = rest.find(':');
  stream = rest.substr(0, c2);
  if (c2 != std::string_view::npos) {
    type = upper_ascii(rest.substr(c2 + 1));
    if (type.empty() || type.front() != '$' || type.find(':') != std::string::npos) return false;
  }
  return !name.empty() || false;
}

}  // namespace

std::string WinPath::object() const {
  std::string out;
  switch (kind) {
    case PathKind::Drive:
      out = root + "\\";
      break;
    case PathKind::Unc:
      out = root;
      break;
    case PathKind::Device:
      out = "\\\\.\\" + root;
      break;
    case PathKind::Relative:
      break;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!out.empty() && out.back() != '\\') out += '\\';
    out += parts[i];
  }
  return out;
}

std::string WinPath::str() const {
  return stream.empty() ? object() : object() + ":" + stream;
}

std::optional<WinPath> parse_path(std::string_view text) {
  WinPath p;
  std::string s(text);
  std::string_view rest;
  bool device_syntax = false;
  if (s.rfind("\\\\?\\", 0) == 0 || s.rfind("\\?"
                                            "?\\",
                                            0) == 0) {
    p.verbatim = true;
    device_syntax = true;
    s = s.substr(4);
  } else {
    std::replace(s.begin(), s.end(), '/', '\\');
    if (s.rfind("\\\\.\\", 0) == 0 || s.rfind("\\\\?\\", 0) == 0) {
      device_syntax = true;
      s = s.substr(4);
    }
  }
  rest = s;
  if (device_syntax) {
    if (is_drive(rest) && (rest.size() == 2 || rest[2] == '\\')) {
      p.kind = PathKind::Drive;
      p.root = upper_ascii(rest.substr(0, 2));
      rest = rest.substr(std::min<size_t>(3, rest.size()));
    } else if (upper_ascii(rest.substr(0, 4)) == "UNC\\") {
      p.kind = PathKind::Unc;
      rest = rest.substr(4);
    } else {
      p.kind = PathKind::Device;
      size_t j = rest.find('\\');
      p.root = std::string(rest.substr(0, j));
      if (p.root.empty()) return std::nullopt;
      rest = j == std::string_view::npos ? std::string_view{} : rest.substr(j + 1);
    }
  } else if (is_drive(rest)) {
    if (rest.size() < 3 || rest[2] != '\\') return std::nullopt;  // "C:" or "C:rel": drive-relative
    p.kind = PathKind::Drive;
    p.root = upper_ascii(rest.substr(0, 2));
    rest = rest.substr(3);
  } else if (rest.size() >= 2 && rest[0] == '\\' && rest[1] == '\\') {
    p.kind = PathKind::Unc;
    rest = rest.substr(2);
  } else if (!rest.empty() && rest[0] == '\\') {
    return std::nullopt;  // rooted on the current drive: ambiguous
  }
  // UNC: the server and share form the root.
  if (p.kind == PathKind::Unc) {
    size_t a = rest.find('\\');
    if (a == 0 || a == std::string_view::npos) return std::nullopt;
    size_t b = rest.find('\\', a + 1);
    std::string_view share =
        rest.substr(a + 1, b == std::string_view::npos ? std::string_view::npos : b - a - 1);
    if (share.empty()) return std::nullopt;
    p.root = "\\\\" + std::string(rest.substr(0, a)) + "\\" + std::string(share);
    rest = b == std::string_view::npos ? std::string_view{} : rest.substr(b + 1);
  }

  std::vector<std::string> comps;
  size_t i = 0;
  while (i <= rest.size()) {
    size_t j = rest.find('\\', i);
    if (j == std::string_view::npos) j = rest.size();
    comps.emplace_back(rest.substr(i, j - i));
    i = j + 1;
  }
  for (size_t k = 0; k < comps.size(); ++k) {
    std::string comp = comps[k];
    const bool last = k + 1 == comps.size();
    if (!p.verbatim) {
      if (comp == "." || comp.empty()) continue;
      if (comp == "..") {
        if (!p.parts.empty())
          p.parts.pop_back();
        else if (p.kind == PathKind::Relative)
          p.parts.push_back(comp);
        continue;
      }
      // Win32 drops trailing dots and spaces: ".git." is ".git".
      while (!comp.empty() && (comp.back() == '.' || comp.back() == ' ')) comp.pop_back();
      if (comp.empty()) continue;
    } else if (comp.empty()) {
      continue;
    }
    if (p.kind == PathKind::Device) {
      p.parts.push_back(comp);
      continue;
    }
    std::string name, stream, type;
    if (!split_stream(comp, name, stream, type) || name.empty()) return std::nullopt;
    if (!last) {
      // Only "dir::$INDEX_ALLOCATION" may appear inside a path: it is the directory.
      if (comp.find(':') != std::string::npos && !(stream.empty() && type == "$INDEX_ALLOCATION"))
        return std::nullopt;
    } else {
      if (type == "$DATA" || (type == "$INDEX_ALLOCATION" && stream.empty())) type.clear();
      if (!type.empty()) stream += ":" + type;
      p.stream = stream;
    }
    p.parts.push_back(name);
  }
  // "C:\\work\\nul.txt" opens the NUL device (non-verbatim paths only).
  std::string device;
  if (!p.verbatim && p.kind != PathKind::Device && !p.parts.empty() &&
      is_reserved_device(p.parts.back(), &device)) {
    p = WinPath{PathKind::Device, device, {}, {}, false};
  }
  if (p.kind == PathKind::Relative && p.parts.empty()) return std::nullopt;
  return p;
}

bool is_absolute(std::string_view p) {
  auto parsed = parse_path(p);
  return parsed && parsed->kind != PathKind::Relative;
}

std::string normalize(std::string_view p) {
  auto parsed = parse_path(p);
  return parsed ? parsed->str() : std::string(p);
}

std::string fold_case(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    if (c < 0x80) {
      out[i] = static_cast<char>(std::tolower(c));
    } else if (c == 0xC3 && i + 1 < out.size()) {
      // UTF-8 Latin-1 capitals U+00C0..U+00DE (except U+00D7) fold to U+00E0..U+00FE.
      unsigned char d = static_cast<unsigned char>(out[i + 1]);
      if (d >= 0x80 && d <= 0x9E && d != 0x97) out[i + 1] = static_cast<char>(d + 0x20);
      ++i;
    }
  }
  return out;
}

std::string path_key(std::string_view p) {
  auto parsed = parse_path(p);
  return fold_case(parsed ? parsed->object() : std::string(p));
}

bool same_path(std::string_view a, std::string_view b) {
  return path_key(a) == path_key(b);
}

bool is_within(std::string_view p, std::string_view root) {
  std::string kp = path_key(p), kr = path_key(root);
  if (kp.size() < kr.size() || kp.compare(0, kr.size(), kr) != 0) return false;
  return kp.size() == kr.size() || kr.back() == '\\' || kp[kr.size()] == '\\';
}

std::string join(std::string_view base, std::string_view relative) {
  if (is_absolute(relative)) return normalize(relative);
  std::string s(base);
  if (!s.empty() && !is_sep(s.back())) s += '\\';
  s += relative;
  return normalize(s);
}

std::string parent(std::string_view p) {
  auto parsed = parse_path(p);
  if (!parsed) return std::string(p);
  parsed->stream.clear();
  if (!parsed->parts.empty()) parsed->parts.pop_back();
  return parsed->object();
}

std::string leaf(std::string_view p) {
  auto parsed = parse_path(p);
  if (!parsed || parsed->parts.empty()) return {};
  return parsed->parts.back();
}

bool is_root(std::string_view p) {
  auto parsed = parse_path(p);
  return parsed && parsed->kind != PathKind::Relative && parsed->parts.empty();
}

std::vector<std::string> ancestors(std::string_view p) {
  std::vector<std::string> out;
  auto parsed = parse_path(p);
  if (!parsed || parsed->kind == PathKind::Relative) return out;
  WinPath a = *parsed;
  a.stream.clear();
  while (!a.parts.empty()) {
    a.parts.pop_back();
    out.push_back(a.object());
  }
  std::reverse(out.begin(), out.end());
  return out;
}

bool looks_like_short_name(std::string_view component) {
  size_t tilde = component.find('~');
  if (tilde == std::string_view::npos || tilde == 0) return false;
  size_t dot = component.find('.', tilde);
  std::string_view base = component.substr(0, dot);
  if (base.size() > 8 || tilde + 1 >= base.size()) return false;
  for (size_t i = tilde + 1; i < base.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(base[i]))) return false;
  return dot == std::string_view::npos || component.size() - dot - 1 <= 3;
}

std::optional<std::string> link_target_on_a_drive(std::string_view link_dir, std::string_view substitute,
                                                  bool relative) {
  auto dir = parse_path(link_dir);
  if (!dir || dir->kind != PathKind::Drive || !dir->stream.empty()) return std::nullopt;
  std::string path;
  if (relative) {
    // No ':' at all: a drive ("C:x"), a stream or a device name would follow.
    if (substitute.empty() || substitute.find(':') != std::string_view::npos) return std::nullopt;
    path = substitute[0] == '\\' || substitute[0] == '/' ? dir->root + std::string(substitute)
                                                         : join(dir->object(), substitute);
  } else {
    // An NT path: only \??\X:\... is a drive path.
    constexpr std::string_view kPrefix = "\\??\\";
    if (substitute.size() < kPrefix.size() + 3 || substitute.substr(0, kPrefix.size()) != kPrefix)
      return std::nullopt;
    const std::string_view rest = substitute.substr(kPrefix.size());
    const char letter = rest[0];
    if (!((letter >= 'A' && letter <= 'Z') || (letter >= 'a' && letter <= 'z')) || rest[1] != ':' ||
        rest[2] != '\\')
      return std::nullopt;
    path = std::string(rest);
  }
  auto parsed = parse_path(path);
  if (!parsed || parsed->kind != PathKind::Drive || !parsed->stream.empty() || parsed->verbatim)
    return std::nullopt;
  return parsed->object();
}

}  // namespace cordon::win
