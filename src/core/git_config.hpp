// cordon: git's config syntax, parsed the way git parses it (config.c), so that a
// repository created inside the sandbox can be reduced to inert settings before git
// runs outside with the user's rights.
//
//   auto parsed = git_config::parse(text);          // nullopt: git would not parse it either
//   auto kept = git_config::filter_inert(*parsed);  // allowlist; .dropped names the rest
//   std::string out = git_config::serialize(kept.kept);
//
// The reduced file is always written from the parsed entries (never by editing the
// original lines), so what git reads afterwards is exactly what cordon checked.
// Pure: no system calls; unit-tested and fuzzed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::git_config {

struct Entry {
  std::string section;     // lower-cased ("remote")
  std::string subsection;  // case kept, escapes resolved ("origin"); empty when none
  bool has_subsection = false;
  std::string key;                   // lower-cased ("url")
  std::optional<std::string> value;  // nullopt: a key with no '=' (boolean true)

  // "section.subsection.key", the name git config --list prints.
  [[nodiscard]] std::string full_name() const;
};

struct ParseError {
  size_t line = 0;
  std::string what;
};

struct Parsed {
  std::vector<Entry> entries;
  std::optional<ParseError> error;  // set: git rejects this file; entries are what preceded
};

// Parses `text` as git does: [section], [section "sub"] with \" and \\ escapes, the
// deprecated [section.sub], keys on the header line ("[core] hooksPath = x"), values
// with quotes, \n \t \b \\ \" escapes and backslash-newline continuation, # and ;
// comments, a UTF-8 byte-order mark.
[[nodiscard]] Parsed parse(std::string_view text);

struct Filtered {
  std::vector<Entry> kept;
  std::vector<std::string> dropped;  // full names, in order, each once
};

// Keeps the keys on a conservative allowlist of settings that run no code and redirect
// git nowhere; remote and submodule URLs only with a known transport (no "ext::", no
// "helper::address", no option-like "-..."); values with control characters dropped.
[[nodiscard]] Filtered filter_inert(const std::vector<Entry>& entries);
// The same, also keeping the entries `keep` accepts (that the caller checked itself, such as a
// submodule's core.worktree that leads to its own checkout), in their place.
[[nodiscard]] Filtered filter_inert(const std::vector<Entry>& entries,
                                    const std::function<bool(const Entry&)>& keep);
[[nodiscard]] bool is_inert(const Entry& entry);

// The names of the entries of `after` that are not in `before` (same name and value) and
// are not inert: what a write from `before` to `after` would add or change that could run
// code or redirect git. Entries removed are not counted. Each name once, in order.
[[nodiscard]] std::vector<std::string> new_non_inert(const std::vector<Entry>& before,
                                                     const std::vector<Entry>& after);

// git config text for `entries` (a new section header whenever the section changes).
// Entries whose names or values cannot be written back faithfully are skipped.
[[nodiscard]] std::string serialize(const std::vector<Entry>& entries);

// The config a fresh `git init` writes (used when the original cannot be parsed).
[[nodiscard]] std::string minimal_config();

// `name` safe for one terminal line: control bytes, DEL, backslash and bytes >= 0x80
// as \xNN, so a hostile key name can neither inject escape sequences nor newlines.
[[nodiscard]] std::string escape_name(std::string_view name);

}  // namespace cordon::git_config
