#include "core/secret_filter.hpp"

#include <algorithm>

namespace cordon {
namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

// The key's own name: after the registry scope of "//host/path/:_authToken".
std::string bare_key(const std::string& key) {
  std::string k = key;
  if (k.rfind("//", 0) == 0) {
    const size_t colon = k.rfind(':');
    k = colon == std::string::npos ? "" : k.substr(colon + 1);
  }
  if (k.size() > 2 && k.compare(k.size() - 2, 2, "[]") == 0) k.resize(k.size() - 2);  // key[]=v arrays
  // npm's ini parser takes quotes off a key and backslash escapes out of it: compare the
  // name it would see, conservatively (every quote and backslash removed).
  std::string plain;
  for (char c : trim(k))
    if (c != '"' && c != '\'' && c != '\\') plain += c;
  return lower(trim(plain));
}

bool secret_key(const std::string& key) {
  const std::string k = bare_key(key);
  if (k.empty()) return true;                                // a scope with no key name: not understood
  if (k == "always-auth" || k == "auth-type") return false;  // settings
  if (contains(k, "auth")) return true;                      // _auth, _authToken, and look-alikes
  for (const char* name : {"_password", "password", "key", "keyfile", "otp", "cafile-key"})
    if (k == name) return true;
  return contains(k, "token") || contains(k, "secret") || contains(k, "password") || contains(k, "passwd") ||
         contains(k, "credential") || contains(k, "private");
}

// "scheme://user:pass@host": credentials in a URL (a registry or proxy setting).
bool url_with_credentials(const std::string& value) {
  size_t at = 0;
  while ((at = value.find("://", at)) != std::string::npos) {
    at += 3;
    const size_t end = value.find_first_of("/?# \t", at);
    const std::string authority = value.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (authority.find('@') != std::string::npos) return true;
  }
  return false;
}

}  // namespace

FilteredText filter_npmrc(const std::string& text) {
  FilteredText out;
  std::string kept;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = trim(text.substr(start, nl - start));
    start = nl + 1;
    if (line.empty() || line[0] == ';' || line[0] == '#') continue;
    // A control character (a NUL, an escape) has no place in a setting: dropped whole.
    if (std::any_of(line.begin(), line.end(),
                    [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; })) {
      out.removed.emplace_back("(a line with control characters)");
      continue;
    }
    if (line.front() == '[' && line.back() == ']' && line.find('=') == std::string::npos) {
      kept += line + "\n";
      continue;
    }
    const size_t eq = line.find('=');
    const std::string key = eq == std::string::npos ? std::string() : trim(line.substr(0, eq));
    if (key.empty()) {
      out.removed.emplace_back("(a line that is not key = value)");
      continue;
    }
    if (secret_key(key) || url_with_credentials(line.substr(eq + 1))) {
      out.removed.push_back(key);
      continue;
    }
    kept += line + "\n";
  }
  out.text = "; cordon: a read-only copy of ~/.npmrc without its secret entries\n" + kept;
  return out;
}

const std::vector<FilteredEntry>& filtered_entries() {
  static const std::vector<FilteredEntry> entries = {
      {".npmrc", "npm's settings without its tokens, passwords and keys", &filter_npmrc},
  };
  return entries;
}

const FilteredEntry* filtered_entry(const std::string& home_relative_path) {
  const auto& entries = filtered_entries();
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const FilteredEntry& e) { return home_relative_path == e.path; });
  return it == entries.end() ? nullptr : &*it;
}

}  // namespace cordon
