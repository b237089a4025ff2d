#include "plan/windows/git_guard.hpp"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/git_config.hpp"
#include "plan/windows/win_path.hpp"

namespace cordon::win {

const std::vector<std::string>& git_pointer_names() {
  static const std::vector<std::string> names = {"commondir", "config.worktree"};
  return names;
}

namespace {
// What appeared below modules\ and worktrees\ of the open gitdir (defined below).
void guard_modules_and_worktrees(TreeOps& ops, TreeOps::Object& git, const GitWatch& watch,
                                 const std::string& suffix, GitGuardResult& out);
}  // namespace

GitGuardResult remove_new_pointers(TreeOps& ops, const GitWatch& watch, const std::string& suffix) {
  GitGuardResult out;
  auto dir = ops.open(nullptr, watch.gitdir);
  if (!dir) {
    if (dir.error().code != ENOENT)
      out.warnings.push_back(watch.gitdir +
                             ": not checked for new commondir/config.worktree: " + dir.error().message());
    return out;
  }
  auto info = ops.info(**dir);
  if (!info || info->reparse || !info->directory) {
    out.warnings.push_back(watch.gitdir + ": " +
                           (info ? std::string("is no longer a plain directory") : info.error().message()) +
                           "; not checked for new commondir/config.worktree (left alone, check it by hand)");
    return out;
  }
  auto entries = ops.list(**dir);
  if (!entries) {
    out.warnings.push_back(watch.gitdir + ": cannot be listed: " + entries.error().message());
    return out;
  }
  auto is_pointer = [](const std::string& name) {
    const auto& names = git_pointer_names();
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return fold_case(n) == fold_case(name); });
  };
  auto was_present = [&](const std::string& name) {
    return std::any_of(watch.present.begin(), watch.present.end(),
                       [&](const std::string& p) { return fold_case(p) == fold_case(name); });
  };
  for (const auto& e : *entries) {
    if (!is_pointer(e.name) || was_present(e.name)) continue;
    const std::string where = join(watch.gitdir, e.name);
    auto entry = ops.open(dir->get(), e.name);
    if (!entry) {
      out.warnings.push_back(where +
                             ": appeared during the run and cannot be opened: " + entry.error().message());
      continue;
    }
    const std::string to = e.name + ".cordon-removed-" + suffix;
    if (auto st = ops.rename(**entry, **dir, to); !st) {
      out.warnings.push_back(where +
                             ": appeared during the run and cannot be renamed away: " + st.error().message());
      continue;
    }
    out.renamed.push_back(where + " -> " + to);
  }
  guard_modules_and_worktrees(ops, **dir, watch, suffix, out);
  return out;
}

namespace {

constexpr size_t kMaxConfig = 1 << 20;  // a config larger than this is not inert

// Names printed to the terminal come from the sandbox: control characters escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void rename_away(TreeOps& ops, TreeOps::Object& dir, TreeOps::Object& entry, const std::string& where,
                 const std::string& name, const std::string& suffix, const std::string& why,
                 GitGuardResult& out) {
  const std::string to = name + ".cordon-removed-" + suffix;
  if (auto st = ops.rename(entry, dir, to); !st) {
    out.warnings.push_back(where + ": " + why + ", and cannot be renamed away: " + st.error().message());
    return;
  }
  out.renamed.push_back(where + " -> " + to + " (" + why + ")");
}

// What `git init` writes on Windows, for a config that cannot be kept in any part.
constexpr const char* kMinimalConfig =
    "[core]\n\trepositoryformatversion = 0\n\tfilemode = false\n\tbare = false\n\tlogallrefupdates = true\n"
    "\tsymlinks = false\n\tignorecase = true\n";

// A new repository's config: why it must go ("" when every key is inert) and the text
// that replaces it, written from the parsed inert entries (never by editing the original
// lines), as Linux's checked config writer does (core/git_config.hpp).
struct ConfigVerdict {
  std::string why;
  std::string replacement;
  std::string what;  // what the replacement holds, for the report
};

ConfigVerdict config_verdict(TreeOps& ops, TreeOps::Object& file) {
  const ConfigVerdict minimal{"", kMinimalConfig, "a minimal config"};
  auto text = ops.read_small(file, kMaxConfig);
  if (!text) return {"unreadable or too large: " + text.error().message(), minimal.replacement, minimal.what};
  auto parsed = git_config::parse(*text);
  if (parsed.error)
    return {"git would not parse it (line " + std::to_string(parsed.error->line) + ")", minimal.replacement,
            minimal.what};
  auto filtered = git_config::filter_inert(parsed.entries);
  if (filtered.dropped.empty()) return {};
  std::string names;
  for (size_t i = 0; i < filtered.dropped.size() && i < 5; ++i)
    names += (i ? ", " : "") + printable(filtered.dropped[i]);
  if (filtered.dropped.size() > 5) names += ", ...";
  const std::string kept = git_config::serialize(filtered.kept);
  if (kept.empty()) return {"keys that are not inert: " + names, minimal.replacement, minimal.what};
  return {"keys that are not inert: " + names, kept,
          "its " + std::to_string(filtered.kept.size()) + " inert entries"};
}

// In the open gitdir `git` (at `git_path`), made during the run: hooks, pointers and
// gitdirs of its own renamed away, its config kept only as its inert entries.
void neutralise_gitdir(TreeOps& ops, TreeOps::Object& git, const std::string& git_path,
                       const std::string& suffix, GitGuardResult& out) {
  auto inside = ops.list(git);
  if (!inside) {
    out.warnings.push_back(git_path + ": cannot be listed: " + inside.error().message());
    return;
  }
  for (const auto& c : *inside) {
    const std::string name = fold_case(c.name);
    const std::string where = join(git_path, c.name);
    std::string why;
    if (name == "hooks") why = "hooks of a repository created in the sandbox";
    if (name == "commondir" || name == "config.worktree" || name == "worktrees" || name == "modules")
      why = "points git elsewhere, or holds gitdirs of its own";
    if (name != "config" && why.empty()) continue;
    auto entry = ops.open(&git, c.name);
    if (!entry) {
      out.warnings.push_back(where + ": cannot be opened: " + entry.error().message());
      continue;
    }
    ConfigVerdict verdict;
    if (name == "config") {
      auto ci = ops.info(**entry);
      if (!ci || ci->reparse || c.reparse || ci->directory)
        verdict = {"a config that is not a plain file", kMinimalConfig, "a minimal config"};
      else
        verdict = config_verdict(ops, **entry);
      if (verdict.why.empty()) continue;  // inert: kept
      why = "config of a repository created in the sandbox, " + verdict.why;
    }
    const size_t before = out.renamed.size();
    rename_away(ops, git, **entry, where, c.name, suffix, why, out);
    if (name != "config" || out.renamed.size() == before) continue;
    // The config as Linux leaves it: its inert entries, in a new file made relative to
    // the .git handle (never through a name the sandbox could have linked).
    entry->reset();
    if (auto made = ops.create_file(git, "config", verdict.replacement); !made)
      out.warnings.push_back(where + ": renamed away, but no inert config written in its place (" +
                             made.error().message() +
                             "): do not run git there before checking what .git\\config holds now");
    else
      out.renamed.back() += "; a new config holds " + verdict.what;
  }
}

bool recorded(const std::vector<std::string>& names, const std::string& name) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return same_path(n, name); });
}

// The entry of `dir` whose name folds to `name`, opened, when it is a plain directory.
std::unique_ptr<TreeOps::Object> plain_subdir(TreeOps& ops, TreeOps::Object& dir, const std::string& name,
                                              std::string& found) {
  auto entries = ops.list(dir);
  if (!entries) return nullptr;
  for (const auto& e : *entries) {
    if (fold_case(e.name) != name || e.reparse) continue;
    auto sub = ops.open(&dir, e.name);
    if (!sub) return nullptr;
    auto info = ops.info(**sub);
    if (!info || info->reparse || !info->directory) return nullptr;
    found = e.name;
    return std::move(*sub);
  }
  return nullptr;
}

constexpr int kMaxModuleDepth = 8;  // a submodule name's segments, as the planner's walk

// Below modules\ (`rel` relative to it): a directory that was not there when planned is a
// new submodule gitdir (neutralised as a new repository) or a new segment of a name with
// slashes (searched); a link or a file that appeared is renamed away (git would follow a
// junction to a gitdir). Recorded gitdirs carry the plan's ACEs and a watch of their own.
void guard_modules(TreeOps& ops, TreeOps::Object& dir, const std::string& path, const std::string& rel,
                   const GitWatch& watch, const std::string& suffix, int depth, GitGuardResult& out) {
  if (depth >= kMaxModuleDepth) return;
  auto entries = ops.list(dir);
  if (!entries) {
    out.warnings.push_back(path + ": cannot be listed: " + entries.error().message());
    return;
  }
  for (const auto& e : *entries) {
    const std::string sub_rel = rel.empty() ? e.name : rel + "\\" + e.name;
    const std::string where = join(path, e.name);
    const bool known = recorded(watch.modules, sub_rel);
    auto sub = ops.open(&dir, e.name);
    if (!sub) {
      if (!known)
        out.warnings.push_back(where +
                               ": appeared during the run and cannot be opened: " + sub.error().message());
      continue;
    }
    auto info = ops.info(**sub);
    const bool plain = info && !info->reparse && !e.reparse && info->directory;
    if (!plain) {
      if (!known)
        rename_away(ops, dir, **sub, where, e.name, suffix, "a link or a file that appeared in .git\\modules",
                    out);
      continue;
    }
    auto inside = ops.list(**sub);
    const bool gitdir = inside && std::any_of(inside->begin(), inside->end(), [](const TreeOps::Entry& c) {
                          return fold_case(c.name) == "head";
                        });
    if (gitdir && !known)
      neutralise_gitdir(ops, **sub, where, suffix, out);
    else if (!gitdir)
      guard_modules(ops, **sub, where, sub_rel, watch, suffix, depth + 1, out);
  }
}

// A worktree gitdir that was not there when planned (git worktree add in the sandbox):
// git reads its config.worktree as config, and its commondir names the directory whose
// config and hooks apply; git writes "../.." there, anything else is renamed away.
void guard_worktrees(TreeOps& ops, TreeOps::Object& dir, const std::string& path, const GitWatch& watch,
                     const std::string& suffix, GitGuardResult& out) {
  auto entries = ops.list(dir);
  if (!entries) {
    out.warnings.push_back(path + ": cannot be listed: " + entries.error().message());
    return;
  }
  for (const auto& e : *entries) {
    if (recorded(watch.worktrees, e.name)) continue;
    const std::string where = join(path, e.name);
    auto wt = ops.open(&dir, e.name);
    if (!wt) {
      out.warnings.push_back(where +
                             ": appeared during the run and cannot be opened: " + wt.error().message());
      continue;
    }
    auto info = ops.info(**wt);
    if (!info || info->reparse || e.reparse || !info->directory) {
      rename_away(ops, dir, **wt, where, e.name, suffix, "a link or a file that appeared in .git\\worktrees",
                  out);
      continue;
    }
    auto inside = ops.list(**wt);
    if (!inside) {
      out.warnings.push_back(where + ": cannot be listed: " + inside.error().message());
      continue;
    }
    for (const auto& c : *inside) {
      const std::string name = fold_case(c.name);
      if (name != "config.worktree" && name != "commondir") continue;
      auto entry = ops.open(wt->get(), c.name);
      if (!entry) {
        out.warnings.push_back(join(where, c.name) + ": cannot be opened: " + entry.error().message());
        continue;
      }
      if (name == "commondir") {
        auto ci = ops.info(**entry);
        std::optional<std::string> text;
        if (ci && !ci->reparse && !c.reparse && !ci->directory)
          if (auto t = ops.read_small(**entry, 4096)) text = *t;
        if (text && (*text == "../..\n" || *text == "../.." || *text == "../..\r\n")) continue;
      }
      rename_away(ops, **wt, **entry, join(where, c.name), c.name, suffix,
                  name == "commondir" ? "a new worktree's commondir that points elsewhere"
                                      : "a new worktree's config.worktree (git reads it as config)",
                  out);
    }
  }
}

void guard_modules_and_worktrees(TreeOps& ops, TreeOps::Object& git, const GitWatch& watch,
                                 const std::string& suffix, GitGuardResult& out) {
  std::string name;
  if (auto modules = plain_subdir(ops, git, "modules", name))
    guard_modules(ops, *modules, join(watch.gitdir, name), "", watch, suffix, 0, out);
  if (auto worktrees = plain_subdir(ops, git, "worktrees", name))
    guard_worktrees(ops, *worktrees, join(watch.gitdir, name), watch, suffix, out);
}

}  // namespace

GitGuardResult neutralise_new_repository(TreeOps& ops, const std::string& root, const std::string& suffix) {
  GitGuardResult out;
  auto dir = ops.open(nullptr, root);
  if (!dir) {
    if (dir.error().code != ENOENT)
      out.warnings.push_back(root + ": not checked for a new repository: " + dir.error().message());
    return out;
  }
  auto info = ops.info(**dir);
  if (!info || info->reparse || !info->directory) {
    out.warnings.push_back(root + ": is no longer a plain directory; not checked for a new repository");
    return out;
  }
  auto entries = ops.list(**dir);
  if (!entries) {
    out.warnings.push_back(root + ": cannot be listed: " + entries.error().message());
    return out;
  }
  for (const auto& e : *entries) {
    if (fold_case(e.name) != ".git") continue;
    const std::string git_path = join(root, e.name);
    auto git = ops.open(dir->get(), e.name);
    if (!git) {
      out.warnings.push_back(git_path + ": a new repository that cannot be opened: " + git.error().message());
      continue;
    }
    auto gi = ops.info(**git);
    if (!gi || gi->reparse || e.reparse || !gi->directory) {
      rename_away(ops, **dir, **git, git_path, e.name, suffix, "a new .git that is a file or a link", out);
      continue;
    }
    neutralise_gitdir(ops, **git, git_path, suffix, out);
  }
  return out;
}

}  // namespace cordon::win
