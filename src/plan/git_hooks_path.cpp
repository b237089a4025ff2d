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
    for (const auto& e : git_config::parse(*text).entries) {
      if (!e.value) continue;
      if (e.section == "core" && !e.has_subsection && e.key == "hookspath") hooks(*e.value);
      if (runs_program(e)) program(*e.value);
      const bool include = (e.section == "include" && !e.has_subsection) || e.section == "includeif";
      if (include && e.key == "path") {
        std::string p = expand_home(*e.value, in_.home);
        if (!paths::is_absolute(p)) p = paths::join(paths::parent(path), p);
        p = paths::normalize(p);
        add(includes, p);
        file(p, depth + 1);
      }
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

CodeFiles code_files(const FsProbe& fs, const Inputs& in) {
  Reader r(fs, in);
  r.file("/etc/gitconfig", 0);
  const std::string xdg = paths::is_absolute(in.xdg_config_home) ? in.xdg_config_home
                          : in.home.empty()                      ? ""
                                                                 : paths::join(in.home, ".config");
  if (!xdg.empty()) r.file(paths::join(xdg, "git/config"), 0);
  if (!in.home.empty()) r.file(paths::join(in.home, ".gitconfig"), 0);
  r.file(paths::join(in.gitdir, "config"), 0);
  r.file(paths::join(in.gitdir, "config.worktree"), 0);
  return {std::move(r.found), std::move(r.includes), std::move(r.programs)};
}

}  // namespace cordon::git_hooks
