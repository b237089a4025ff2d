#include "core/env_filter.hpp"

#include <algorithm>

#include "core/defaults.hpp"

namespace cordon {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool matches_any(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return glob_match_icase(p, name); });
}

bool equal_icase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// A name the secret patterns match that is a documented setting (defaults.hpp).
bool is_known_setting(std::string_view name) {
  const auto& names = defaults::non_secret_env_names();
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return equal_icase(n, name); });
}

// The name of "NAME=VALUE". Windows keeps per-drive directories as "=C:=C:\dir", so
// the separator is the first '=' after the first character. Empty when there is none.
std::string_view name_of(std::string_view entry) {
  const size_t eq = entry.find('=', 1);
  return eq == std::string_view::npos ? std::string_view{} : entry.substr(0, eq);
}

}  // namespace

// Iterative matcher: on a mismatch, retry from the most recent '*' with one more
// character consumed. Only the last star matters, so this is O(pattern * text)
// at worst and never recurses.
bool glob_match_icase(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

EnvResult filter_env(const std::vector<std::string>& environ_in, const EnvPolicy& policy) {
  EnvResult out;
  auto note_dropped = [&](std::string_view name) {
    if (std::find(out.dropped.begin(), out.dropped.end(), name) == out.dropped.end())
      out.dropped.emplace_back(name);
  };
  for (const auto& entry : environ_in) {
    const std::string_view name = name_of(entry);
    // A malformed entry has no name to report, and its text may be a secret.
    if (name.empty()) continue;
    const bool kept = std::find(policy.keep.begin(), policy.keep.end(), name) != policy.keep.end();
    const bool secret = (policy.filter_secrets && matches_any(defaults::secret_env_patterns(), name) &&
                         !is_known_setting(name)) ||
                        matches_any(policy.drop_patterns, name);
    if (secret && !kept) {
      note_dropped(name);
      continue;
    }
    out.env.push_back(entry);
  }
  // Explicit settings win: replace the first entry of that name, drop any duplicates.
  for (const auto& [name, value] : policy.set) {
    if (name.empty() || name.find('=', 1) != std::string::npos) continue;
    std::string entry = name + "=" + value;
    bool placed = false;
    for (auto it = out.env.begin(); it != out.env.end();) {
      if (name_of(*it) != name) {
        ++it;
      } else if (!placed) {
        *it++ = entry;
        placed = true;
      } else {
        it = out.env.erase(it);
      }
    }
    if (!placed) out.env.push_back(std::move(entry));
  }
  return out;
}

}  // namespace cordon
