#include "platform/linux/git_guard.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "core/env_filter.hpp"
#include "core/paths.hpp"
#include "platform/linux/fs_probe.hpp"

namespace cordon {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

void disable_hooks(const std::string& hooks, std::vector<std::string>& done) {
  RealFsProbe fs;
  for (const auto& name : fs.list(hooks)) {
    if (name.size() > 7 && name.compare(name.size() - 7, 7, ".sample") == 0) continue;
    if (name.find(".cordon-disabled") != std::string::npos) continue;
    const std::string from = paths::join(hooks, name), to = from + ".cordon-disabled";
    if (::rename(from.c_str(), to.c_str()) == 0) {
      ::chmod(to.c_str(), 0644);
      done.push_back("disabled git hook " + from);
    }
  }
}

void scrub_config(const std::string& config, std::vector<std::string>& done) {
  std::ifstream in(config);
  if (!in) return;
  std::ostringstream out;
  std::string section, line;
  bool changed = false;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (!t.empty() && t[0] == '[') {
      // [section] or [section "subsection"]
      std::string inner = t.substr(1, t.find(']') == std::string::npos ? std::string::npos : t.find(']') - 1);
      auto q = inner.find('"');
      if (q == std::string::npos)
        section = lower(trim(inner));
      else
        section = lower(trim(inner.substr(0, q))) + "." + inner.substr(q + 1, inner.rfind('"') - q - 1);
      // A section header that cannot hold inert keys is disabled with its keys below.
      out << line << "\n";
      continue;
    }
    if (t.empty() || t[0] == '#' || t[0] == ';') {
      out << line << "\n";
      continue;
    }
    auto eq = t.find('=');
    std::string key = lower(trim(t.substr(0, eq)));
    std::string value = eq == std::string::npos ? "true" : trim(t.substr(eq + 1));
    const std::string full = section + "." + key;
    if (git_config_key_is_inert(full, value)) {
      out << line << "\n";
    } else {
      out << "# cordon-disabled: " << line << "\n";
      done.push_back("disabled git config " + full + " in " + config);
      changed = true;
    }
  }
  if (!changed) return;
  const std::string tmp = config + ".cordon-tmp";
  {
    std::ofstream o(tmp, std::ios::trunc);
    o << out.str();
  }
  ::rename(tmp.c_str(), config.c_str());
}

}  // namespace

bool git_config_key_is_inert(const std::string& full_key, const std::string& value) {
  static const char* const kInert[] = {"core.repositoryformatversion",
                                       "core.filemode",
                                       "core.bare",
                                       "core.logallrefupdates",
                                       "core.ignorecase",
                                       "core.precomposeunicode",
                                       "core.symlinks",
                                       "core.autocrlf",
                                       "core.eol",
                                       "core.safecrlf",
                                       "extensions.*",
                                       "remote.*.url",
                                       "remote.*.pushurl",
                                       "remote.*.fetch",
                                       "remote.*.push",
                                       "remote.*.tagopt",
                                       "remote.*.mirror",
                                       "remote.*.prune",
                                       "branch.*.remote",
                                       "branch.*.merge",
                                       "branch.*.rebase",
                                       "branch.*.pushremote",
                                       "user.name",
                                       "user.email",
                                       "init.defaultbranch",
                                       "submodule.*.url",
                                       "submodule.*.active",
                                       "submodule.*.branch",
                                       "pull.rebase",
                                       "pull.ff",
                                       "push.default",
                                       "fetch.prune",
                                       "color.*",
                                       "advice.*",
                                       "gc.auto",
                                       "gc.autodetach",
                                       "lfs.repositoryformatversion",
                                       "index.version",
                                       "commit.gpgsign",
                                       "tag.gpgsign",
                                       "merge.ff",
                                       "rebase.autosquash",
                                       "rebase.autostash",
                                       "status.showuntrackedfiles"};
  for (const char* pattern : kInert)
    if (glob_match_icase(pattern, full_key)) {
      // "ext::" remote URLs run a command.
      if (full_key.rfind("remote.", 0) == 0 && lower(value).rfind("ext::", 0) == 0) return false;
      return true;
    }
  return false;
}

std::vector<std::string> neutralise_new_repository(const std::string& root) {
  std::vector<std::string> done;
  RealFsProbe fs;
  const std::string dotgit = paths::join(root, ".git");
  std::string gitdir;
  switch (fs.lkind(dotgit)) {
    case FileKind::Dir:
      gitdir = dotgit;
      break;
    case FileKind::File: {
      auto text = fs.read_small(dotgit, 4096);
      if (text && text->rfind("gitdir:", 0) == 0) {
        std::string t = trim(text->substr(7));
        while (!t.empty() && t.back() == '\n') t.pop_back();
        gitdir = paths::join(root, t);
      }
      break;
    }
    case FileKind::Symlink:
      if (auto r = fs.realpath(dotgit)) gitdir = *r;
      break;
    default:
      return done;
  }
  if (gitdir.empty()) return done;
  disable_hooks(paths::join(gitdir, "hooks"), done);
  scrub_config(paths::join(gitdir, "config"), done);
  return done;
}

}  // namespace cordon
