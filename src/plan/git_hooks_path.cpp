#include "plan/git_hooks_path.hpp"

#include <algorithm>

#include "core/git_config.hpp"
#include "core/paths.hpp"

namespace cordon::git_hooks {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr int kMaxIncludeDepth = 10;  // git's own limit (MAX_INCLUDE_DEPTH)
constexpr size_t kMaxFiles = 64;

// "~/x" against the home; anything else unchanged (relative ones are the caller's).
std::string expand_home(const std::string& value, const std::string& home) {
  if (value == "~" && !home.empty()) return home;
  if (value.rfind("~/", 0) == 0 && !home.empty()) return paths::join(home, value.substr(2));
  return value;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// git_env_bool's reading (git_parse_maybe_bool, then an integer): true, yes, on (any case)
// or a nonzero number. Anything else counts as false here.
bool env_true(const std::string& value) {
  std::string v;
  for (char c : value) v += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return false;
  return v.find_first_not_of('0') != std::string::npos;
}

class Reader {
 public:
  Reader(const FsProbe& fs, const Inputs& in) : fs_(fs), in_(in) {}

  void file(const std::string& path, int depth) {
    if (depth > kMaxIncludeDepth || read_ >= kMaxFiles) return;
    ++read_;
    auto text = fs_.read_small(path, kMaxConfigBytes);
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
      std::string p = expand_home(*e.value, in_.home);
      if (!paths::is_absolute(p)) {
        if (from.empty()) return;
        p = paths::join(paths::parent(from), p);
      }
      p = paths::normalize(p);
      add(includes, p);
      file(p, depth + 1);
    }
  }

  std::vector<std::string> found;
  std::vector<std::string> includes;
  std::vector<std::string> programs;

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

  // Every word of the command that names a path (has a '/'): the program and the scripts it
  // is given. Relative ones from the worktree's top, where git runs them.
  void program(const std::string& value) {
    std::string word;
    auto flush = [&] {
      if (word.find('/') != std::string::npos && word[0] != '-' && word.find("://") == std::string::npos) {
        std::string p = expand_home(word, in_.home);
        if (!paths::is_absolute(p)) p = paths::join(in_.worktree, p);
        add(programs, paths::normalize(p));
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
    std::string p = expand_home(value, in_.home);
    if (!paths::is_absolute(p)) p = paths::join(in_.worktree, p);
    add(found, paths::normalize(p));
  }

  const FsProbe& fs_;
  const Inputs& in_;
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

CodeFiles code_files(const FsProbe& fs, const Inputs& in) {
  Reader r(fs, in);
  for (const auto& f : base_config_files(in)) r.file(f, 0);
  r.file(paths::join(in.gitdir, "config"), 0);
  r.file(paths::join(in.gitdir, "config.worktree"), 0);
  // GIT_CONFIG_COUNT's entries: read by git after the files, as "section[.subsection].key".
  for (const auto& [name, value] : in.env.parameters) {
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
  return {std::move(r.found), std::move(r.includes), std::move(r.programs)};
}

}  // namespace cordon::git_hooks
