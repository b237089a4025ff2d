#include "plan/git_hooks_path.hpp"

#include <algorithm>

#include "core/git_config.hpp"
#include "core/paths.hpp"

namespace cordon::git_hooks {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr int kMaxIncludeDepth = 10;  // git's own limit (MAX_INCLUDE_DEPTH)
constexpr size_t kMaxFiles = 64;

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// git_env_bool's reading (git_parse_maybe_bool, then an integer): true, yes, on (any case)
// or a nonzero number. Anything else counts as false here.
bool env_true(const std::string& value) {
  const std::string v = lower(value);
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return false;
  return v.find_first_not_of('0') != std::string::npos;
}

class Reader {
 public:
  Reader(const ReadConfig& read, const PathSyntax& syntax, const Sources& in)
      : read_config_(read), syntax_(syntax), in_(in) {}

  void file(const std::string& path, int depth) {
    if (depth > kMaxIncludeDepth || read_ >= kMaxFiles) return;
    ++read_;
    auto text = read_config_(path, kMaxConfigBytes);
    if (!text) return;
    // Entries before a syntax error count too: git would stop at it, so this finds more
    // values, never fewer.
    for (const auto& e : git_config::parse(*text).entries) entry(e, path, depth);
  }

  // One entry; `from`: the file it is in ("" for the environment's, whose relative
  // include paths git refuses).
  void entry(const git_config::Entry& e, const std::string& from, int depth) {
    if (!e.value) return;
    if (e.section == "core" && !e.has_subsection && e.key == "hookspath") hooks(*e.value);
    if (runs_program(e)) program(*e.value);
    const bool include = (e.section == "include" && !e.has_subsection) || e.section == "includeif";
    if (include && e.key == "path") {
      std::string p = expand_home(*e.value);
      if (!syntax_.is_absolute(p)) {
        if (from.empty()) return;
        stepped_through(syntax_.parent(from), p);
        p = syntax_.join(syntax_.parent(from), p);
      } else {
        stepped_through("", p);
      }
      p = syntax_.normalize(p);
      add(includes, p);
      file(p, depth + 1);
    }
  }

  std::vector<std::string> found;
  std::vector<std::string> includes;
  std::vector<std::string> programs;
  std::vector<std::string> through;

 private:
  static void add(std::vector<std::string>& to, const std::string& p) {
    if (std::find(to.begin(), to.end(), p) == to.end()) to.push_back(p);
  }

  // Keys whose value git runs as a command (git-config(1)); pager.<cmd> too.
  static bool runs_program(const git_config::Entry& e) {
    static const char* const kKeys[] = {"fsmonitor",  "pager",    "editor",         "sshcommand", "askpass",
                                        "external",   "textconv", "command",        "clean",      "smudge",
                                        "process",    "driver",   "helper",         "program",    "cmd",
                                        "difffilter", "gitproxy", "packobjectshook"};
    if (e.section == "pager" || e.section == "alias") return true;
    return std::any_of(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return e.key == k; });
  }

  // "~/x" against the home (and "~\\x" on Windows); "~NAME/x" against NAME's home, as git
  // expands it (interpolate_path); anything else unchanged (relative ones are the caller's).
  std::string expand_home(const std::string& value) const {
    if (value.empty() || value[0] != '~') return value;
    const size_t slash = value.find('/');
    if (slash != 1 && value.size() > 1 && !syntax_.backslash) {
      const auto home = home_of(value.substr(1, slash == std::string::npos ? std::string::npos : slash - 1));
      if (!home) return value;  // git finds no such user either, and stops at the value
      return slash == std::string::npos ? *home : syntax_.join(*home, value.substr(slash + 1));
    }
    if (in_.home.empty()) return value;
    if (value == "~") return in_.home;
    if (value[1] == '/' || (syntax_.backslash && value[1] == '\\'))
      return syntax_.join(in_.home, value.substr(2));
    return value;
  }

  // NAME's home in /etc/passwd, read as the configuration is (a user known only to another
  // name service is not found: git would find it).
  std::optional<std::string> home_of(const std::string& name) const {
    if (name.empty() || name.find(':') != std::string::npos) return std::nullopt;
    const auto text = read_config_("/etc/passwd", kMaxConfigBytes);
    if (!text) return std::nullopt;
    for (size_t at = 0; at < text->size();) {
      const size_t end = std::min(text->find('\n', at), text->size());
      const std::string_view line(text->data() + at, end - at);
      at = end + 1;
      // name:password:uid:gid:gecos:home:shell
      size_t from = 0;
      std::string_view field[6];
      int n = 0;
      for (; n < 6; ++n) {
        const size_t cut = line.find(':', from);
        if (cut == std::string_view::npos) break;
        field[n] = line.substr(from, cut - from);
        from = cut + 1;
      }
      if (n == 6 && field[0] == name && syntax_.is_absolute(field[5])) return std::string(field[5]);
    }
    return std::nullopt;
  }

  // Whether a word of a command names a file: it has a separator, or a drive ("C:x").
  bool names_path(const std::string& word) const {
    if (word.empty() || word[0] == '-' || word.find("://") != std::string::npos) return false;
    if (word.find('/') != std::string::npos) return true;
    if (!syntax_.backslash) return false;
    const bool drive = word.size() >= 2 && word[1] == ':' &&
                       ((word[0] >= 'a' && word[0] <= 'z') || (word[0] >= 'A' && word[0] <= 'Z'));
    return drive || word.find('\\') != std::string::npos;
  }

  // Every word of the command that names a path: the program and the scripts it is given.
  // Relative ones from the worktree's top, where git runs them.
  void program(const std::string& value) {
    std::string word;
    auto flush = [&] {
      if (names_path(word)) {
        std::string p = expand_home(word);
        stepped_through(syntax_.is_absolute(p) ? "" : in_.worktree, p);
        if (!syntax_.is_absolute(p)) p = syntax_.join(in_.worktree, p);
        add(programs, syntax_.normalize(p));
      }
      word.clear();
    };
    for (char c : value) {
      if (c == ' ' || c == '\t' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')' || c == '<' ||
          c == '>' || c == '=')
        flush();
      else if (c != '"' && c != '\'' && c != '!')
        word += c;
    }
    flush();
  }

  void hooks(const std::string& value) {
    if (value.empty()) return;
    std::string p = expand_home(value);
    stepped_through(syntax_.is_absolute(p) ? "" : in_.worktree, p);
    if (!syntax_.is_absolute(p)) p = syntax_.join(in_.worktree, p);
    add(found, syntax_.normalize(p));
  }

  // The path before each `..` component of `value` (taken from `base` when relative; join
  // would fold the `..` away first), itself normalised: what the kernel walks into and back
  // out of (CodeFiles::through).
  void stepped_through(const std::string& base, const std::string& value) {
    const std::string p = base.empty() ? value : base + "/" + value;
    size_t start = 0;
    while (start < p.size()) {
      size_t end = p.find_first_of(syntax_.backslash ? "/\\" : "/", start);
      if (end == std::string::npos) end = p.size();
      if (end - start == 2 && p.compare(start, 2, "..") == 0 && start > 0)
        add(through, syntax_.normalize(p.substr(0, start - 1)));
      start = end + 1;
    }
  }

  const ReadConfig& read_config_;
  const PathSyntax& syntax_;
  const Sources& in_;
  size_t read_ = 0;
};

}  // namespace

std::vector<std::string> base_config_files(const Inputs& in) {
  std::vector<std::string> out;
  auto named = [&](const std::string& value) {
    if (value.empty()) return;  // git opens "" and finds nothing
    const std::string p = paths::is_absolute(value) ? value : paths::join(in.worktree, value);
    out.push_back(paths::normalize(p));
  };
  // git_env_bool: a value git does not take for a boolean makes it die, so no file is read
  // then; read the system file anyway (more files, never fewer).
  const bool nosystem = in.env.nosystem && env_true(*in.env.nosystem);
  if (!nosystem) {
    if (in.env.system)
      named(*in.env.system);
    else
      out.emplace_back("/etc/gitconfig");
  }
  if (in.env.global) {
    named(*in.env.global);
    return out;
  }
  const std::string xdg = paths::is_absolute(in.xdg_config_home) ? in.xdg_config_home
                          : in.home.empty()                      ? ""
                                                                 : paths::join(in.home, ".config");
  if (!xdg.empty()) out.push_back(paths::join(xdg, "git/config"));
  if (!in.home.empty()) out.push_back(paths::join(in.home, ".gitconfig"));
  return out;
}

CodeFiles code_files(const ReadConfig& read, const PathSyntax& syntax, const Sources& sources) {
  Reader r(read, syntax, sources);
  for (const auto& f : sources.files) r.file(f, 0);
  // The environment's entries (GIT_CONFIG_COUNT): read by git after the files, as
  // "section[.subsection].key".
  for (const auto& [name, value] : sources.parameters) {
    const size_t first = name.find('.');
    const size_t last = name.rfind('.');
    if (first == std::string::npos || last == 0 || last + 1 >= name.size()) continue;
    git_config::Entry e;
    e.section = lower(name.substr(0, first));
    e.has_subsection = last > first;
    if (e.has_subsection) e.subsection = name.substr(first + 1, last - first - 1);
    e.key = lower(name.substr(last + 1));
    e.value = value;
    r.entry(e, "", 0);
  }
  return {std::move(r.found), std::move(r.includes), std::move(r.programs), std::move(r.through)};
}

CodeFiles code_files(const FsProbe& fs, const Inputs& in) {
  Sources sources{base_config_files(in), in.worktree, in.home, in.env.parameters};
  sources.files.push_back(paths::join(in.gitdir, "config"));
  sources.files.push_back(paths::join(in.gitdir, "config.worktree"));
  const PathSyntax posix{paths::is_absolute, paths::join, paths::parent, paths::normalize, false};
  return code_files([&fs](const std::string& path, size_t max) { return fs.read_small(path, max); }, posix,
                    sources);
}

}  // namespace cordon::git_hooks
