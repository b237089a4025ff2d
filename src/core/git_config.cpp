#include "core/git_config.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace cordon::git_config {
namespace {

// git's sane_ctype: isspace is exactly these four (no \v, no \f).
bool is_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_keychar(int c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '-';
}
char lower(int c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// A byte stream with git's get_next_char(): "\r\n" reads as '\n', and the end of the
// text reads as '\n' with eof set (so every construct sees a final newline).
class Source {
 public:
  explicit Source(std::string_view text) : text_(text) {}
  int next() {
    if (pos_ >= text_.size()) {
      eof = true;
      ++line;
      return '\n';
    }
    int c = static_cast<unsigned char>(text_[pos_++]);
    if (c == 0) nul = true;
    if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      c = '\n';
    }
    if (c == '\n') ++line;
    return c;
  }
  bool eof = false;
  bool nul = false;  // git reads C strings: a NUL byte makes the file mean something else
  size_t line = 1;
  std::string_view text_;
  size_t pos_ = 0;
};

// After '[': the section name, then either ']' or the quoted subsection (config.c:
// get_base_var and get_extended_base_var).
bool parse_header(Source& src, std::string& section, std::string& subsection, bool& has_sub) {
  section.clear();
  subsection.clear();
  has_sub = false;
  for (;;) {
    int c = src.next();
    if (src.eof) return false;
    if (c == ']') break;
    if (is_space(c)) {
      // [section "subsection"]
      do {
        if (c == '\n') return false;
        c = src.next();
      } while (is_space(c));
      if (c != '"') return false;
      has_sub = true;
      for (;;) {
        c = src.next();
        if (c == '\n') return false;
        if (c == '"') break;
        if (c == '\\') {
          c = src.next();
          if (c == '\n') return false;
        }
        subsection.push_back(static_cast<char>(c));
      }
      return src.next() == ']';
    }
    if (!is_keychar(c) && c != '.') return false;
    section.push_back(lower(c));
  }
  // Deprecated [section.subsection]: the whole name is lower-cased, split at the first dot.
  if (auto dot = section.find('.'); dot != std::string::npos) {
    subsection = section.substr(dot + 1);
    section.resize(dot);
    has_sub = true;
  }
  return true;
}

// After '=': config.c's parse_value. nullopt on an unterminated quote or unknown escape.
std::optional<std::string> parse_value(Source& src) {
  std::string value;
  bool quote = false, comment = false;
  size_t space = 0;
  for (;;) {
    int c = src.next();
    if (c == '\n') {
      if (quote) return std::nullopt;
      return value;
    }
    if (comment) continue;
    if (is_space(c) && !quote) {
      if (!value.empty()) ++space;
      continue;
    }
    if (!quote && (c == ';' || c == '#')) {
      comment = true;
      continue;
    }
    value.append(space, ' ');
    space = 0;
    if (c == '\\') {
      c = src.next();
      switch (c) {
        case '\n':
          continue;  // continuation (also at the end of the text, as git does)
        case 't':
          c = '\t';
          break;
        case 'b':
          c = '\b';
          break;
        case 'n':
          c = '\n';
          break;
        case '\\':
        case '"':
          break;
        default:
          return std::nullopt;
      }
      value.push_back(static_cast<char>(c));
      continue;
    }
    if (c == '"') {
      quote = !quote;
      continue;
    }
    value.push_back(static_cast<char>(c));
  }
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(static_cast<unsigned char>(c));
  return out;
}

// A URL git may fetch from or push to without running anything chosen by the
// repository: a known scheme, scp-like host:path, or a local path. Refused: the
// "helper::address" form (ext:: runs a command, fd:: uses descriptors), unknown
// schemes (they run git-remote-<scheme>), and option-like values.
bool url_is_safe(std::string_view url) {
  if (url.empty() || url.front() == '-' || url.find("::") != std::string_view::npos) return false;
  if (auto pos = url.find("://"); pos != std::string_view::npos) {
    static const std::set<std::string> kSchemes = {"http",    "https", "ssh", "git", "git+ssh",
                                                   "ssh+git", "file",  "ftp", "ftps"};
    return kSchemes.count(lowered(url.substr(0, pos))) > 0;
  }
  return true;
}

struct Allowed {
  const char* section;
  bool subsection;  // the key lives in [section "name"]
  const char* key;
  bool url = false;
};

// Settings that run no code, load no other file and point git at no other directory.
// Not here on purpose: core.hookspath, core.fsmonitor, core.sshcommand, core.editor,
// core.pager, core.worktree, core.gitproxy, include.*, includeif.*, alias.*, filter.*,
// diff.*.textconv, credential.*, remote.*.uploadpack/receivepack/proxy/vcs,
// submodule.*.update, url.*.insteadof. extensions.worktreeconfig makes git read each
// worktree's config.worktree: allowed because cordon holds those as it holds config (only
// its checked writes make or change one; git_layout.hpp, the creation broker).
constexpr Allowed kAllowed[] = {
    {"core", false, "repositoryformatversion"},
    {"core", false, "filemode"},
    {"core", false, "bare"},
    {"core", false, "logallrefupdates"},
    {"core", false, "ignorecase"},
    {"core", false, "precomposeunicode"},
    {"core", false, "symlinks"},
    {"core", false, "autocrlf"},
    {"core", false, "eol"},
    {"core", false, "safecrlf"},
    {"extensions", false, "objectformat"},
    {"extensions", false, "worktreeconfig"},
    {"core", false, "sparsecheckout"},
    {"core", false, "sparsecheckoutcone"},
    {"index", false, "sparse"},
    {"init", false, "defaultbranch"},
    {"user", false, "name"},
    {"user", false, "email"},
    {"remote", true, "url", true},
    {"remote", true, "pushurl", true},
    {"remote", true, "fetch"},
    {"remote", true, "push"},
    {"remote", true, "tagopt"},
    {"remote", true, "prune"},
    {"remote", true, "mirror"},
    {"branch", true, "remote"},
    {"branch", true, "merge"},
    {"branch", true, "rebase"},
    {"branch", true, "pushremote"},
    {"branch", true, "description"},
    {"submodule", true, "url", true},
    {"submodule", true, "active"},
    {"submodule", true, "branch"},
    {"pull", false, "rebase"},
    {"pull", false, "ff"},
    {"push", false, "default"},
    {"fetch", false, "prune"},
};

void append_quoted(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        out.push_back(c);
    }
  }
  out.push_back('"');
}

bool needs_quotes(std::string_view v) {
  if (v.empty() || is_space(static_cast<unsigned char>(v.front())) ||
      is_space(static_cast<unsigned char>(v.back())))
    return true;
  return std::any_of(v.begin(), v.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '#' || c == ';' || c == '"' || c == '\\' || c < 0x20 || c == 0x7f;
  });
}

bool writable_name(const Entry& e) {
  if (e.section.empty() || e.key.empty() || !is_alpha(static_cast<unsigned char>(e.key[0]))) return false;
  auto all_keychars = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return is_keychar(static_cast<unsigned char>(c)); });
  };
  if (!all_keychars(e.section) || !all_keychars(e.key)) return false;
  if (e.subsection.find('\n') != std::string::npos || e.subsection.find('\0') != std::string::npos)
    return false;
  return !e.value || e.value->find('\0') == std::string::npos;
}

}  // namespace

std::string Entry::full_name() const {
  return has_subsection ? section + "." + subsection + "." + key : section + "." + key;
}

Parsed parse(std::string_view text) {
  Parsed out;
  Source src(text);
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) src.pos_ = kBom.size();
  std::string section, subsection;
  bool has_sub = false, in_section = false, comment = false;
  auto fail = [&](const char* what) {
    out.error = ParseError{src.line, what};
    return out;
  };
  for (;;) {
    int c = src.next();
    if (src.nul) return fail("NUL byte");
    if (c == '\n') {
      if (src.eof) return out;
      comment = false;
      continue;
    }
    if (comment || is_space(c)) continue;
    if (c == '#' || c == ';') {
      comment = true;
      continue;
    }
    if (c == '[') {
      if (!parse_header(src, section, subsection, has_sub)) return fail("bad section header");
      if (src.nul) return fail("NUL byte");
      if (section.empty() && !has_sub) return fail("empty section name");
      in_section = true;
      continue;
    }
    if (!is_alpha(c)) return fail("a key must start with a letter");
    Entry e;
    e.key.push_back(lower(c));
    for (;;) {
      c = src.next();
      if (src.eof || !is_keychar(c)) break;
      e.key.push_back(lower(c));
    }
    while (c == ' ' || c == '\t') c = src.next();
    if (c != '\n') {
      if (c != '=') return fail("expected '=' after a key");
      auto value = parse_value(src);
      if (!value) return fail("bad value (unterminated quote or unknown escape)");
      e.value = std::move(*value);
    }
    if (src.nul) return fail("NUL byte");
    if (!in_section) return fail("a key outside any section");
    e.section = section;
    e.subsection = subsection;
    e.has_subsection = has_sub;
    out.entries.push_back(std::move(e));
    if (src.eof) return out;
  }
}

bool is_inert(const Entry& e) {
  if (has_control(e.section) || has_control(e.subsection) || (e.value && has_control(*e.value))) return false;
  for (const auto& a : kAllowed) {
    if (e.section != a.section || e.key != a.key || e.has_subsection != a.subsection) continue;
    if (a.url) return e.value && url_is_safe(*e.value);
    return true;
  }
  return false;
}

std::vector<std::string> new_non_inert(const std::vector<Entry>& before, const std::vector<Entry>& after) {
  std::multiset<std::pair<std::string, std::optional<std::string>>> had;
  for (const auto& e : before) had.insert({e.full_name(), e.value});
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& e : after) {
    const auto key = std::make_pair(e.full_name(), e.value);
    if (auto it = had.find(key); it != had.end()) {
      had.erase(it);  // as it was: the user's own, whatever it says
      continue;
    }
    if ((!is_inert(e) || !writable_name(e)) && seen.insert(key.first).second) out.push_back(key.first);
  }
  return out;
}

Filtered filter_inert(const std::vector<Entry>& entries) {
  return filter_inert(entries, [](const Entry&) { return false; });
}

Filtered filter_inert(const std::vector<Entry>& entries, const std::function<bool(const Entry&)>& keep) {
  Filtered out;
  std::set<std::string> seen;
  for (const auto& e : entries) {
    if (writable_name(e) && (is_inert(e) || keep(e))) {
      out.kept.push_back(e);
    } else if (auto name = e.full_name(); seen.insert(name).second) {
      out.dropped.push_back(std::move(name));
    }
  }
  return out;
}

std::string serialize(const std::vector<Entry>& entries) {
  std::string out;
  const Entry* previous = nullptr;
  for (const auto& e : entries) {
    if (!writable_name(e)) continue;
    if (!previous || previous->section != e.section || previous->has_subsection != e.has_subsection ||
        previous->subsection != e.subsection) {
      out += "[" + e.section;
      if (e.has_subsection) {
        out += " \"";
        for (char c : e.subsection) {
          if (c == '"' || c == '\\') out.push_back('\\');
          out.push_back(c);
        }
        out += "\"";
      }
      out += "]\n";
    }
    previous = &e;
    out += "\t" + e.key;
    if (e.value) {
      out += " = ";
      if (needs_quotes(*e.value))
        append_quoted(out, *e.value);
      else
        out += *e.value;
    }
    out += "\n";
  }
  return out;
}

std::string minimal_config() {
  return "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = "
         "true\n";
}

std::string escape_name(std::string_view name) {
  std::string out;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(ch);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace cordon::git_config
