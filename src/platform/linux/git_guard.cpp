#include "platform/linux/git_guard.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>

#include "core/git_config.hpp"
#include "core/git_layout.hpp"
#include "core/paths.hpp"

namespace cordon {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;  // a real .git/config is a few hundred bytes
constexpr size_t kMaxEntries = 4096;         // per directory inspected
constexpr int kMaxModuleDepth = 4;           // modules/a/modules/b/...
constexpr int kMaxModuleDirs = 256;          // directories visited under modules/, in all
const char* const kDisabled = ".cordon-disabled";

using git_config::escape_name;

const char* kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symlink";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISREG(mode)) return "a file";
  if (S_ISSOCK(mode)) return "a socket";
  return "a device";
}

// An error message on one line, escaped (it names paths the command chose).
std::string one_line(const Error& e) {
  std::string text = e.message();
  for (size_t at; (at = text.find("\n  ")) != std::string::npos;) text.replace(at, 3, "; ");
  for (size_t at; (at = text.find('\n')) != std::string::npos;) text.replace(at, 1, "; ");
  return escape_name(text);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool same_inode(int a, int b) {
  struct stat sa {
  }, sb{};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// A submodule's gitdir (.git/modules/NAME, at any depth) names its checkout: `git submodule
// add` and `update` write core.worktree = ../../../NAME there, and git run through that
// gitdir (the superproject's submodule commands) works in the tree it names. Elsewhere the
// value could send a later `git checkout` or `git submodule update` outside into another
// directory (the superproject's .git, where a checked-out hooks/pre-commit would run; a
// home directory). So it is kept only when it is relative, its ".." only leading (git
// resolves it through the file system, cordon lexically), and it leads, through no link and
// into no .git directory, to the checkout git maps to the gitdir, whose own .git file leads
// back to this very gitdir
// (same inode): git run in that checkout uses this gitdir anyway, so the value adds nothing
// the checkout does not already say. A value the command planted elsewhere is removed.
bool leads_to_own_checkout(const PinnedDir& git, const git_config::Entry& e) {
  if (e.section != "core" || e.has_subsection || e.key != "worktree" || !e.value || e.value->empty())
    return false;
  if (git.path().find("/modules/") == std::string::npos || paths::is_absolute(*e.value)) return false;
  if (std::any_of(e.value->begin(), e.value->end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return false;
  const std::string target = resolve_pointer_text(*e.value, git.path());
  if (target.empty() || paths::is_within(target, git.path())) return false;
  // Only the checkout git itself maps to this gitdir (<top>/.git/modules/a/modules/b is
  // <top>/a/b's): the command can write a .git file leading back here into any directory
  // (one holding a .vscode read-only inside), and git run there later, outside, would
  // check the submodule's files out into it. A renamed submodule's value is removed too
  // (git submodule update writes it again).
  const size_t top = git.path().find("/.git/modules/");
  if (top == std::string::npos) return false;
  std::string own = git.path().substr(top + 14);
  for (size_t at = own.find("/modules/"); at != std::string::npos; at = own.find("/modules/", at + 1))
    own.replace(at, 9, "/");
  if (target != git.path().substr(0, top) + "/" + own) return false;
  for (size_t from = 1; from < target.size();) {
    const size_t cut = std::min(target.find('/', from), target.size());
    if (git_layout::is_dot_git(std::string_view(target).substr(from, cut - from))) return false;
    from = cut + 1;
  }
  auto checkout = PinnedDir::open_without_links(target);
  if (!checkout) return false;
  auto pointer = read_pointer_file(*checkout, ".git");
  if (!pointer || pointer->rfind("gitdir: ", 0) != 0) return false;
  if (resolve_pointer_text(pointer->substr(8), target) != git.path()) return false;
  auto back = PinnedDir::open_without_links(git.path());
  return back && same_inode(back->fd(), git.fd());
}

class Repairer {
 public:
  explicit Repairer(GitRepair& out) : out_(out) {}

  // One gitdir (<root>/.git or a submodule's modules/<name>).
  void gitdir(const PinnedDir& git, int depth) {
    hooks(git);
    config(git);
    for (const char* name : {"commondir", "config.worktree", "worktrees"})
      rename_if_present(git, name, "git would read hooks and config through it");
    if (auto modules = existing_dir(git, "modules")) submodules(*modules, depth);
  }

 private:
  void done(const PinnedDir& dir, const std::string& name, const std::string& what) {
    out_.done.push_back(escape_name(dir.path() + "/" + name) + ": " + what);
  }
  void warn(const Error& e, const std::string& consequence) {
    out_.warnings.push_back(one_line(e) + " (" + consequence + ")");
  }

  // The directory `name` beneath `parent` if it is one; anything else there is renamed away.
  std::optional<PinnedDir> existing_dir(const PinnedDir& parent, const std::string& name) {
    auto st = stat_entry(parent, name);
    if (!st) {
      if (st.error().code != ENOENT) warn(st.error(), "not checked");
      return std::nullopt;
    }
    if (!S_ISDIR(st->st_mode)) {
      rename_away_entry(parent, name, kind_of(st->st_mode));
      return std::nullopt;
    }
    auto dir = parent.subdir(name);
    if (!dir) {
      warn(dir.error(), "not checked: inspect it before running git there");
      return std::nullopt;
    }
    return std::move(*dir);
  }

  void rename_away_entry(const PinnedDir& dir, const std::string& name, const std::string& kind) {
    auto to = rename_away(dir, name, kDisabled);
    if (to)
      done(dir, name, kind + ", renamed to " + escape_name(*to));
    else
      warn(to.error(), "left in place: do not run git there before removing it");
  }

  void rename_if_present(const PinnedDir& dir, const std::string& name, const std::string& why) {
    auto st = stat_entry(dir, name);
    if (!st) {
      if (st.error().code != ENOENT) warn(st.error(), "not checked");
      return;
    }
    rename_away_entry(dir, name, std::string(kind_of(st->st_mode)) + " (" + why + ")");
  }

  void hooks(const PinnedDir& git) {
    auto hooks = existing_dir(git, "hooks");
    if (!hooks) return;
    auto names = list_entries(*hooks, kMaxEntries);
    if (!names) {
      warn(names.error(), "renaming the whole hooks directory away");
      rename_away_entry(git, "hooks", "hooks directory");
      return;
    }
    for (const auto& name : *names) {
      // git runs hooks by their exact names (pre-commit, ...): *.sample never runs, nor
      // does what an earlier repair (or the command) named *.cordon-disabled*.
      if (ends_with(name, ".sample") || name.find(kDisabled) != std::string::npos) continue;
      auto st = stat_entry(*hooks, name);
      if (!st) {
        if (st.error().code != ENOENT) warn(st.error(), "not checked");
        continue;
      }
      if (!S_ISREG(st->st_mode) || st->st_nlink != 1) {
        rename_away_entry(*hooks, name, st->st_nlink != 1 ? "a hard-linked hook" : kind_of(st->st_mode));
        continue;
      }
      if ((st->st_mode & 0111) == 0) continue;  // git does not run it
      clear_exec(*hooks, name);
    }
  }

  // fchmod on the descriptor opened beneath hooks/: never chmod by path.
  void clear_exec(const PinnedDir& hooks, const std::string& name) {
    auto fd = open_beneath(hooks, name, O_RDONLY);
    struct stat st {};
    if (fd && ::fstat(fd->get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1) {
      if (::fchmod(fd->get(), st.st_mode & 0666 & ~static_cast<mode_t>(S_ISUID | S_ISGID)) == 0) {
        done(hooks, name, "hook disabled (execute permission removed)");
        return;
      }
      warn(os_error("fchmod", hooks.path() + "/" + name, errno), "renaming it away");
    }
    // Changed under us, or fchmod refused: take it out of git's way instead.
    rename_away_entry(hooks, name, "hook");
  }

  void config(const PinnedDir& git) {
    auto st = stat_entry(git, "config");
    if (!st) {
      if (st.error().code != ENOENT) warn(st.error(), "not checked");
      return;
    }
    if (S_ISDIR(st->st_mode)) {
      rename_away_entry(git, "config", "a directory");
      replace_config(git, git_config::minimal_config(), "a directory: replaced by a minimal config");
      return;
    }
    if (!S_ISREG(st->st_mode)) {
      // rename() replaces the link or FIFO itself; its target is never opened.
      replace_config(git, git_config::minimal_config(),
                     std::string(kind_of(st->st_mode)) + ": replaced by a minimal config");
      return;
    }
    auto text = read_regular(git, "config", kMaxConfigBytes);
    if (!text) {
      replace_config(git, git_config::minimal_config(),
                     "not read (" + one_line(text.error()) + "): replaced by a minimal config");
      return;
    }
    auto parsed = git_config::parse(*text);
    if (parsed.error) {
      replace_config(git, git_config::minimal_config(),
                     "cannot be parsed (line " + std::to_string(parsed.error->line) + ": " +
                         parsed.error->what + "): replaced by a minimal config");
      return;
    }
    auto filtered = git_config::filter_inert(
        parsed.entries, [&](const git_config::Entry& e) { return leads_to_own_checkout(git, e); });
    const std::string out = git_config::serialize(filtered.kept);
    if (out == *text) return;
    std::string removed;
    for (const auto& name : filtered.dropped) removed += (removed.empty() ? "" : ", ") + escape_name(name);
    replace_config(git, out,
                   removed.empty() ? "rewritten in git's canonical form (no key removed)"
                                   : "removed " + removed + " (they can run code or redirect git)");
  }

  void replace_config(const PinnedDir& git, const std::string& text, const std::string& what) {
    if (auto st = replace_file(git, "config", text, 0644); !st) {
      warn(st.error(), "git config not repaired: do not run git there before fixing .git/config");
      return;
    }
    done(git, "config", what);
  }

  // modules/<name>[/<name>...]: a directory holding HEAD is a submodule's gitdir.
  void submodules(const PinnedDir& dir, int depth) {
    if (depth >= kMaxModuleDepth) {
      out_.warnings.push_back(
          escape_name(dir.path()) +
          ": submodules nested this deep are not checked: inspect them before running git there");
      return;
    }
    auto names = list_entries(dir, kMaxEntries);
    if (!names) {
      warn(names.error(), "submodules not checked: do not run git there before inspecting them");
      return;
    }
    for (const auto& name : *names) {
      if (++module_dirs_ > kMaxModuleDirs) {
        out_.warnings.push_back(escape_name(dir.path()) +
                                ": too many submodule directories, the rest not checked: inspect them before "
                                "running git there");
        return;
      }
      auto sub = existing_dir(dir, name);
      if (!sub) continue;
      if (stat_entry(*sub, "HEAD"))
        gitdir(*sub, depth + 1);
      else
        submodules(*sub, depth + 1);
    }
  }

  GitRepair& out_;
  int module_dirs_ = 0;
};

}  // namespace

std::vector<GitRootPin> pin_git_roots(const std::vector<std::string>& roots) {
  std::vector<GitRootPin> pins;
  for (const auto& root : roots) {
    GitRootPin pin;
    pin.root = root;
    if (auto dir = PinnedDir::open(root))
      pin.dir = std::move(*dir);
    else
      pin.error = one_line(dir.error());
    pins.push_back(std::move(pin));
  }
  return pins;
}

namespace {
constexpr const char* kPointerNames[] = {"commondir", "config.worktree"};

// git's interrupted work that names commands for the next git run: `git rebase
// --continue` runs each `exec` (or `x`) line of the todo, outside the sandbox when the
// user continues there. Not removed (the user's rebase may be legitimate): reported, with
// the commands' count, never their text.
void report_pending_commands(const PinnedDir& git, const std::string& gitdir, GitRepair& out) {
  struct Todo {
    const char* dir;
    const char* file;
  };
  for (const Todo t : {Todo{"rebase-merge", "git-rebase-todo"}, Todo{"sequencer", "todo"}}) {
    const std::string todo = std::string(t.dir) + "/" + t.file;
    auto dir = git.subdir(t.dir);
    if (!dir) continue;  // none (or not a directory git would read as one)
    auto text = read_regular(*dir, t.file, kMaxConfigBytes);
    if (!text) {
      if (text.error().code != ENOENT)
        out.warnings.push_back(escape_name(gitdir + "/" + todo) + " could not be read (" +
                               one_line(text.error()) + "): inspect it before continuing the rebase outside");
      continue;
    }
    size_t commands = 0;
    for (size_t from = 0; from < text->size();) {
      const size_t end = std::min(text->find('\n', from), text->size());
      size_t at = text->find_first_not_of(" \t", from);
      if (at < end) {
        const std::string line = text->substr(at, end - at);
        if (line.rfind("exec ", 0) == 0 || line.rfind("exec\t", 0) == 0 || line.rfind("x ", 0) == 0 ||
            line.rfind("x\t", 0) == 0)
          ++commands;
      }
      from = end + 1;
    }
    if (commands > 0)
      out.warnings.push_back(escape_name(gitdir + "/" + todo) + " names " + std::to_string(commands) +
                             " command(s) (exec lines) that `git rebase --continue` runs: read it before "
                             "continuing outside the sandbox, or run `git rebase --abort`");
  }
}

// Whether what runs code in a gitdir (its config, its hooks, the pointers to another
// directory's) changed since `since`.
bool code_changed(const PinnedDir& gitdir, const struct timespec& since) {
  for (const char* name : {"config", "config.worktree", "commondir", "hooks"})
    if (changed_since(gitdir.fd(), name, since)) return true;
  auto hooks = gitdir.subdir("hooks");
  if (!hooks) return false;
  auto names = list_entries(*hooks, kMaxEntries);
  if (!names) return true;  // unreadable: assume the worst
  for (const auto& n : *names)
    if (changed_since(hooks->fd(), n.c_str(), since)) return true;
  return false;
}

// `held`: the plan's gitdirs. One of those is not neutralised: its hooks are read-only, its
// config only takes the broker's checked writes (inert entries) or none, it is pinned in
// place, and its own pin checks its pointers; its config changed by such a write (git
// submodule update --init rewrites it) keeps the user's entries, core.worktree among them.
void changed_modules(const PinnedDir& dir, const struct timespec& since, int depth,
                     const std::vector<std::string>& held, GitRepair& out) {
  if (depth >= kMaxModuleDepth) return;
  auto names = list_entries(dir, kMaxEntries);
  for (const auto& name : names ? *names : std::vector<std::string>{}) {
    auto sub = dir.subdir(name);
    if (!sub) continue;  // a link or a file: git finds no gitdir through it (the pointer check renames those)
    if (!stat_entry(*sub, "HEAD")) {
      changed_modules(*sub, since, depth + 1, held, out);  // a submodule named a/b
      continue;
    }
    const bool protected_gitdir = std::find(held.begin(), held.end(), sub->path()) != held.end();
    if (!protected_gitdir && code_changed(*sub, since)) {
      GitRepair r = neutralise_gitdir(*sub);
      out.done.insert(out.done.end(), r.done.begin(), r.done.end());
      out.warnings.insert(out.warnings.end(), r.warnings.begin(), r.warnings.end());
    } else if (auto nested = sub->subdir("modules")) {
      changed_modules(*nested, since, depth + 1, held, out);
    }
  }
}
}  // namespace

std::vector<GitDirPin> pin_existing_gitdirs(const std::vector<std::string>& gitdirs,
                                            bool checked_worktree_config) {
  std::vector<GitDirPin> pins;
  for (const auto& gitdir : gitdirs) {
    // The planner's paths are canonical: one with a link in it now is not acted on.
    auto git = PinnedDir::open_without_links(gitdir);
    if (!git) continue;
    GitDirPin pin;
    (void)::clock_gettime(CLOCK_REALTIME, &pin.pinned_at);
    pin.gitdir = gitdir;
    pin.checked_worktree_config = checked_worktree_config;
    for (const char* name : kPointerNames)
      if (stat_entry(*git, name)) pin.present.emplace_back(name);
    pin.dir = std::move(*git);
    pins.push_back(std::move(pin));
  }
  return pins;
}

GitRepair remove_new_pointers(const GitDirPin& pin, const std::vector<std::string>& held) {
  GitRepair out;
  if (!pin.dir) return out;
  // A linked worktree's commondir names the directory whose config and hooks apply when
  // git runs in that worktree (which may lie outside every writable root): git writes
  // "../.." and nothing else. One changed during the run to anything else is moved away.
  if (auto worktrees = pin.dir->subdir("worktrees")) {
    auto names = list_entries(*worktrees, kMaxEntries);
    for (const auto& name : names ? *names : std::vector<std::string>{}) {
      auto wt = worktrees->subdir(name);
      if (!wt) continue;
      // With extensions.worktreeConfig (git sparse-checkout sets it), git reads the
      // worktree's own config.worktree too (found: one written inside with a core.fsmonitor
      // ran on git status in the linked worktree outside). Changed during the run: moved away.
      if (!pin.checked_worktree_config && changed_since(wt->fd(), "config.worktree", pin.pinned_at) &&
          stat_entry(*wt, "config.worktree")) {
        const std::string where = escape_name(pin.gitdir + "/worktrees/" + name + "/config.worktree");
        if (auto moved = rename_away(*wt, "config.worktree", kDisabled))
          out.done.push_back(where + ": changed inside the sandbox, renamed to " + escape_name(*moved) +
                             " (git reads it as config in that worktree)");
        else
          out.warnings.push_back(
              one_line(moved.error()) + " (" + where +
              " was changed inside the sandbox and could not be moved away: do not run git "
              "in that worktree before fixing it)");
      }
      if (!changed_since(wt->fd(), "commondir", pin.pinned_at)) continue;
      auto text = read_regular(*wt, "commondir", 4096);
      if (text && (*text == "../..\n" || *text == "../..")) continue;
      const std::string where = escape_name(pin.gitdir + "/worktrees/" + name + "/commondir");
      if (auto moved = rename_away(*wt, "commondir", kDisabled))
        out.done.push_back(where + ": changed inside the sandbox, renamed to " + escape_name(*moved) +
                           " (git run in that worktree would read another directory's config and hooks)");
      else
        out.warnings.push_back(one_line(moved.error()) + " (" + where +
                               " was changed inside the sandbox and could not be moved away: do not run git "
                               "in that worktree before fixing it)");
    }
  }
  // A submodule gitdir under modules/ whose config or hooks changed during the run (one the
  // plan protected cannot change): planted before the user's next `git submodule update`,
  // which would check the submodule out with it and run its hooks. Neutralised.
  if (auto modules = pin.dir->subdir("modules")) changed_modules(*modules, pin.pinned_at, 0, held, out);
  for (const char* name : kPointerNames) {
    if (std::find(pin.present.begin(), pin.present.end(), name) != pin.present.end()) continue;
    if (pin.checked_worktree_config && std::string_view(name) == "config.worktree") continue;
    auto st = stat_entry(*pin.dir, name);
    if (!st) {
      if (st.error().code != ENOENT)
        out.warnings.push_back(one_line(st.error()) + " (not checked: do not run git in " +
                               escape_name(pin.gitdir) + " before inspecting it)");
      continue;
    }
    auto moved = rename_away(*pin.dir, name, ".cordon-disabled");
    if (moved)
      out.done.push_back(escape_name(pin.gitdir + "/" + name) + ": created inside the sandbox, renamed to " +
                         escape_name(*moved) +
                         " (git would read another directory's config and hooks through it)");
    else
      out.warnings.push_back(one_line(moved.error()) + " (" + escape_name(pin.gitdir + "/" + name) +
                             " was created inside the sandbox and could not be moved away: do not run git "
                             "there before removing it)");
  }
  report_pending_commands(*pin.dir, pin.gitdir, out);
  return out;
}

GitRepair neutralise_new_repository(const GitRootPin& pin) {
  GitRepair out;
  const std::string unchecked = "could not check for a repository created inside the sandbox in " +
                                escape_name(pin.root) + ": do not run git there before inspecting .git";
  if (!pin.dir) {
    out.warnings.push_back(unchecked + " (" + pin.error + ")");
    return out;
  }
  auto st = stat_entry(*pin.dir, ".git");
  if (!st) {
    if (st.error().code != ENOENT) out.warnings.push_back(unchecked + " (" + one_line(st.error()) + ")");
    return out;
  }
  Repairer repair(out);
  if (!S_ISDIR(st->st_mode)) {
    // A gitdir pointer or a link may lead anywhere: it is not followed, and git must
    // not follow it either.
    auto to = rename_away(*pin.dir, ".git", kDisabled);
    if (to)
      out.warnings.push_back(
          escape_name(pin.root) + "/.git is " + kind_of(st->st_mode) +
          " made inside the sandbox; cordon cannot verify where it leads and renamed it to " +
          escape_name(*to));
    else
      out.warnings.push_back(unchecked + " (.git is " + kind_of(st->st_mode) + "; " + one_line(to.error()) +
                             ")");
    return out;
  }
  auto git = pin.dir->subdir(".git");
  if (!git) {
    out.warnings.push_back(unchecked + " (" + one_line(git.error()) + ")");
    return out;
  }
  repair.gitdir(*git, 0);
  return out;
}

bool changed_since(int dir, const char* name, const struct timespec& since) {
  struct statx sx {};
  if (::statx(dir, name, AT_SYMLINK_NOFOLLOW, STATX_CTIME, &sx) != 0) return errno != ENOENT;
  // 50 ms early: file times come from a coarse clock, a tick behind the one read before.
  constexpr int64_t kSlackNs = 50'000'000;
  const int64_t at = static_cast<int64_t>(sx.stx_ctime.tv_sec) * 1'000'000'000 + sx.stx_ctime.tv_nsec;
  const int64_t from = static_cast<int64_t>(since.tv_sec) * 1'000'000'000 + since.tv_nsec;
  return at >= from - kSlackNs;
}

namespace {

// What git reads from a .git file ("gitdir: PATH", one line) or link, resolved against the
// directory holding it, lexically; "" when it is neither.
std::string pointer_target(const PinnedDir& dir, const std::string& dir_path, const struct stat& st) {
  std::string text;
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    const ssize_t n = ::readlinkat(dir.fd(), ".git", buf, sizeof buf - 1);
    if (n <= 0) return "";
    text.assign(buf, static_cast<size_t>(n));
  } else {
    auto content = read_pointer_file(dir, ".git");
    if (!content || content->rfind("gitdir: ", 0) != 0) return "";
    text = content->substr(8);
    if (text.empty() || text.find('\n') != std::string::npos) return "";
  }
  return resolve_pointer_text(text, dir_path);
}

}  // namespace

Result<std::string> read_pointer_file(const PinnedDir& dir, const std::string& name) {
  auto text = read_regular(dir, name, 4096);
  if (text)
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  return text;
}

std::string resolve_pointer_text(const std::string& text, const std::string& base) {
  // git resolves the path through the file system, cordon lexically: the two agree only when
  // no ".." follows a name that could be a link (found: "../.git/refs/l/.." with refs/l a
  // link into node_modules read as .git/refs, inside the protected repository, while git
  // went to the repository planted at the link's target). git writes ".." only leading.
  if (text.empty()) return "";
  bool named = text[0] == '/';  // an absolute path: no ".." at all
  size_t at = 0;
  while (at <= text.size()) {
    const size_t end = std::min(text.find('/', at), text.size());
    const std::string_view part(text.data() + at, end - at);
    if (part == "..") {
      if (named) return "";
    } else if (!part.empty() && part != ".") {
      named = true;
    }
    at = end + 1;
  }
  return paths::normalize(text[0] == '/' ? text : base + "/" + text);
}

std::string git_pointer_target(const PinnedDir& dir, const std::string& dir_path) {
  auto st = stat_entry(dir, ".git");
  if (!st || S_ISDIR(st->st_mode)) return "";
  return pointer_target(dir, dir_path, *st);
}

GitRepair check_git_pointer(const PinnedDir& dir, const std::string& path,
                            const std::vector<std::string>& gitdirs) {
  GitRepair out;
  auto st = stat_entry(dir, ".git");
  if (!st || S_ISDIR(st->st_mode)) return out;
  const std::string target = pointer_target(dir, paths::parent(path), *st);
  for (const auto& g : gitdirs)
    if (!target.empty() && paths::is_within(target, g)) return out;  // a worktree's or submodule's
  return disable_git_pointer(dir, path,
                             "(" + std::string(kind_of(st->st_mode)) + " made or changed inside the sandbox" +
                                 (target.empty() ? "" : ", naming " + escape_name(target)) +
                                 ") does not lead to a repository cordon protected");
}

GitRepair disable_git_pointer(const PinnedDir& dir, const std::string& path, const std::string& why) {
  GitRepair out;
  auto to = rename_away(dir, ".git", kDisabled);
  const std::string what = escape_name(path) + " " + why;
  if (to)
    out.warnings.push_back(what + ": renamed to " + escape_name(*to));
  else
    out.warnings.push_back(what + " and could not be moved away (" + one_line(to.error()) +
                           "): do not run git there before removing it");
  return out;
}

GitRepair neutralise_gitdir(const PinnedDir& gitdir) {
  GitRepair out;
  Repairer(out).gitdir(gitdir, 0);
  return out;
}

}  // namespace cordon

namespace cordon {
namespace {

// `path` lexically inside a directory named .git below `root` (a repository made during
// the run: the creation broker held it to core/git_layout.hpp's rules for new ones).
bool in_new_gitdir(const std::string& path, const std::string& root) {
  if (!paths::is_within(path, root) || path == root) return false;
  const std::string rest = path.substr(root == "/" ? 1 : root.size() + 1);
  for (size_t from = 0; from <= rest.size();) {
    const size_t cut = std::min(rest.find('/', from), rest.size());
    if (git_layout::is_dot_git(std::string_view(rest).substr(from, cut - from))) return true;
    from = cut + 1;
  }
  return false;
}

}  // namespace

GitRepair check_new_pointers(const std::vector<GitRootPin>& roots, const std::vector<std::string>& pointers,
                             const std::vector<std::string>& gitdirs) {
  GitRepair out;
  auto root_of = [&](const std::string& p) -> const GitRootPin* {
    const GitRootPin* best = nullptr;
    for (const auto& r : roots)
      if (r.dir && paths::is_within(p, r.root) && (!best || r.root.size() > best->root.size())) best = &r;
    return best;
  };
  auto relative = [](const std::string& p, const std::string& root) {
    return p == root ? std::string(".") : p.substr(root == "/" ? 1 : root.size() + 1);
  };
  for (const auto& pointer : pointers) {
    if (pointer.empty()) {
      out.warnings.push_back(
          "more .git files were made than cordon records: the rest were not checked; inspect every .git file "
          "in the workspace before running git there");
      continue;
    }
    const GitRootPin* root = root_of(pointer);
    if (!root) continue;
    const std::string shown = escape_name(pointer);
    auto dir = root->dir->subdir(relative(paths::parent(pointer), root->root));
    if (!dir) {
      if (dir.error().code != ENOENT)
        out.warnings.push_back(
            one_line(dir.error()) + " (" + shown +
            ", made inside the sandbox, was not checked: inspect it before running git there)");
      continue;
    }
    auto st = stat_entry(*dir, ".git");
    if (!st || S_ISDIR(st->st_mode)) continue;  // gone, or a directory the broker checked
    std::optional<std::string> text;
    if (S_ISREG(st->st_mode))
      if (auto t = read_pointer_file(*dir, ".git")) text = std::move(*t);
    std::string why;
    std::string target;
    if (!text) {
      why = std::string("it is ") + kind_of(st->st_mode) + " or could not be read";
    } else if (text->rfind("gitdir: ", 0) != 0) {
      why = "git would not read it";
    } else {
      target = text->substr(8);
      if (target.empty() || target.find('\0') != std::string::npos) why = "git would not read it";
    }
    if (why.empty()) {
      // Lexically, and only where git's reading through links agrees (no ".." after a name).
      const std::string abs = resolve_pointer_text(target, paths::parent(pointer));
      const GitRootPin* at = root_of(abs);
      // A git directory of the plan itself, a worktree's gitdir made in it now
      // (worktrees/<id>, allowlisted like it) or a submodule's (modules/..., held to the
      // rules for new repositories at every depth); not any directory below one
      // (refs/x may hold anything, hooks/ included).
      const bool known = std::any_of(gitdirs.begin(), gitdirs.end(), [&](const std::string& g) {
        if (abs == g) return true;
        if (!paths::is_within(abs, g)) return false;
        const std::string rel = abs.substr(g.size() + 1);
        return rel.rfind("modules/", 0) == 0 ||
               (rel.rfind("worktrees/", 0) == 0 && rel.find('/', 10) == std::string::npos);
      });
      // A new repository's (a .git made during the run) counts only outside every protected
      // one: inside those, refs/ and objects/ may hold anything (a planted config too).
      const bool in_protected = std::any_of(gitdirs.begin(), gitdirs.end(),
                                            [&](const std::string& g) { return paths::is_within(abs, g); });
      std::optional<PinnedDir> gitdir;
      if (!abs.empty() && at && (known || (!in_protected && in_new_gitdir(abs, at->root)))) {
        // Opened beneath the root without following a link: the path read is the directory.
        if (auto d = at->dir->subdir(relative(abs, at->root))) gitdir = std::move(*d);
      }
      if (!gitdir) {
        why = abs.empty()
                  ? "a \"..\" after a name in it: git would resolve it through links, cordon cannot"
                  : "it points to " + escape_name(abs) + ", not a git directory cordon protected or checked";
      } else if (auto common = read_pointer_file(*gitdir, "commondir")) {
        // A linked worktree's (git worktree add writes "../.."): its common directory is
        // the one that holds it.
        if (*common != "../..") why = "its git directory's commondir points elsewhere";
      } else if (common.error().code != ENOENT) {
        why = "its git directory's commondir could not be read";
      }
    }
    if (why.empty()) continue;
    auto moved = rename_away(*dir, ".git", kDisabled);
    if (moved)
      out.done.push_back(shown + ": a .git file made inside the sandbox (" + why + "), renamed to " +
                         escape_name(*moved));
    else
      out.warnings.push_back(one_line(moved.error()) + " (" + shown +
                             ": a .git file made inside the sandbox (" + why +
                             ") could not be moved away: do not run git there before removing it)");
  }
  return out;
}

}  // namespace cordon
