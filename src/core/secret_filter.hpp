// cordon: settings files that also hold secrets, shown to the command without them.
//
//   if (const FilteredEntry* e = filtered_entry(".npmrc")) {
//     FilteredText t = e->filter(text);   // t.text: the settings; t.removed: the keys taken out
//   }
//
// `~/.npmrc` is a secret (tokens) and a settings file (registry=, proxies, audit): with a
// mount namespace the command sees a read-only copy without the secret entries instead of
// an empty file. Pure; the filter keeps only what it recognises as a harmless setting, so a
// line it cannot read (a comment, a continuation, a URL with a password) is dropped.
#pragma once

#include <string>
#include <vector>

namespace cordon {

struct FilteredText {
  std::string text;
  std::vector<std::string> removed;  // the keys taken out (never their values), in file order
};

struct FilteredEntry {
  const char* path;  // relative to $HOME, as in defaults::secret_home_entries()
  const char* what;  // what the command sees
  FilteredText (*filter)(const std::string& text);
};

// The masked files shown filtered, relative to $HOME: ~/.npmrc.
const std::vector<FilteredEntry>& filtered_entries();
const FilteredEntry* filtered_entry(const std::string& home_relative_path);

// npm's ini format: `key = value` lines. Removed: `_auth*`, `_password`, `password`, `key`
// (a client certificate's key), `keyfile`, `otp`, and any key naming a token, secret,
// password, credential or private key, bare or scoped to a registry
// (`//host/path/:_authToken`); every line whose value is a URL with credentials
// (`https://user:pass@host`); comments, and lines that are not `key = value`. Sections
// (`[name]`) and every other setting are kept.
FilteredText filter_npmrc(const std::string& text);

// The largest file that is filtered (a larger one stays masked).
inline constexpr size_t kMaxFilteredBytes = size_t{64} * 1024;  // the sandbox's /dev holds the copy

}  // namespace cordon
