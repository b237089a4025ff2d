#include "plan/windows/planner.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>

#include "core/defaults.hpp"
#include "plan/git_hooks_path.hpp"
#include "plan/windows/runner_env.hpp"
#include "plan/windows/win_path.hpp"

namespace cordon::win {

const Sid* CapabilitySids::for_root(const std::string& root) const {
  auto it = by_root.find(path_key(root));
  return it == by_root.end() ? nullptr : &it->second;
}

std::vector<Sid> TokenSpec::restricting() const {
  std::vector<Sid> out = capabilities;
  if (!run.empty()) out.push_back(run);
  if (!logon.empty()) out.push_back(logon);
  out.push_back(sids::everyone());
  return out;
}

std::vector<Sid> TokenSpec::default_dacl(const Sid& user) const {
  // Objects the child creates (pipes, threads, processes) must pass both checks for
  // the child itself: the user for the normal pass, the capability SIDs for the
  // restricted pass. Everyone is left out on purpose: it would open them to others.
  // With a run SID, that SID alone is the restricted pass's way in: the logon SID and
  // the capability SIDs are shared with other sandboxes of the session, which could
  // otherwise open this run's processes for writing (WriteProcessMemory,
  // CreateRemoteThread) and borrow its capability SIDs.
  std::vector<Sid> out = {user, sids::local_system()};
  if (!run.empty()) {
    out.push_back(run);
    return out;
  }
  if (!logon.empty()) out.push_back(logon);
  out.insert(out.end(), capabilities.begin(), capabilities.end());
  return out;
}

namespace {

using access::kDelete;
using access::kDeleteChild;
using access::kFileGenericExecute;
using access::kFileGenericRead;
using access::kFileGenericWrite;

// Allow: read, write, execute and DELETE (so files can be removed and renamed through
// their own DELETE right; FILE_DELETE_CHILD stays ungranted).
constexpr uint32_t kAllowMask = kFileGenericRead | kFileGenericWrite | kFileGenericExecute | kDelete;
constexpr uint32_t kDenyMask = access::kModifying;
constexpr uint32_t kPinMask = kDelete | access::kWriteDac | access::kWriteOwner;

bool is_hive(const std::string& path) {
  std::string name = fold_case(leaf(path));
  return name.rfind("ntuser.", 0) == 0 || name.rfind("usrclass.dat", 0) == 0;
}

Error refuse(const std::string& root, const std::string& why, const std::string& hint = {}) {
  return usage_error("writable root '" + root + "'", why, hint);
}

// Checks one writable root and returns its canonical path.
Result<std::string> check_root(const std::string& root, const WinHost& host) {
  auto parsed = parse_path(root);
  if (!parsed || parsed->kind == PathKind::Relative) return refuse(root, "not an absolute Windows path");
  if (parsed->kind == PathKind::Device) return refuse(root, "a device path cannot be a writable root");
  if (parsed->kind == PathKind::Unc)
    return refuse(root, "network paths cannot carry capability-SID ACEs (the server checks its own ACLs)",
                  "work on a local copy");
  if (!parsed->stream.empty()) return refuse(root, "an alternate data stream cannot be a writable root");
  std::string canonical = parsed->object();
  if (host.fs) {
    FsEntry e = host.fs->stat(canonical);
    // Missing through a link: the host probe follows none whose target is not a drive path
    // (a share would have cordon authenticate to its server) or cannot be read.
    if (e.kind == FsEntry::Kind::Missing && e.reparse)
      return refuse(root, "passes through a junction or symbolic link whose target is not a drive path",
                    "run cordon from the real path");
    if (e.kind == FsEntry::Kind::Missing) return refuse(root, "does not exist");
    if (e.kind != FsEntry::Kind::Directory) return refuse(root, "is not a directory");
    // The final path differs through a link (refused: the ACE would land on its target,
    // elsewhere than the path given) or through an alias of the same directory, an 8.3
    // name such as the TEMP Windows sets for a long user name (accepted under its real
    // name; F23). Every component but the drive root is asked, so a link anywhere on the
    // way is found (a volume's root directory cannot carry a reparse point on Windows;
    // Wine reports its drive roots, symlinks to Unix directories, as one).
    if (!same_path(e.final_path, canonical)) {
      std::vector<std::string> chain = ancestors(canonical);
      chain.push_back(canonical);
      if (std::any_of(chain.begin(), chain.end(),
                      [&](const std::string& c) { return !is_root(c) && host.fs->is_link(c); }))
        return refuse(
            root, "passes through a junction or symbolic link to '" + e.final_path + "'",
            "run cordon from the real path '" + e.final_path + "' if that is what should be writable");
    }
    canonical = e.final_path;
  }
  if (is_root(canonical)) return refuse(root, "a drive or share root cannot be a writable root");
  auto covers = [&](const std::string& p) { return !p.empty() && is_within(p, canonical); };
  if (covers(host.user_profile))
    return refuse(root, "contains the user profile (its hives and AppData would inherit the grant)",
                  "use a project directory inside the profile");
  if (covers(host.windows_dir) || is_within(canonical, host.windows_dir))
    return refuse(root, "is or contains the Windows directory");
  for (const auto& d : host.program_dirs)
    if (covers(d) || is_within(canonical, d))
      return refuse(root, "is or contains a system directory ('" + d + "')");
  return canonical;
}

// Windows' own home entries, besides the shared list (defaults::protected_home_entries,
// which Git Bash and git for Windows read under HOME as on Linux): relative to USERPROFILE.
struct WindowsHomeEntry {
  const char* path;
  bool directory;
  const char* why;
};

const std::vector<WindowsHomeEntry>& windows_home_entries() {
  static const std::vector<WindowsHomeEntry> entries = {
      {"AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup", true,
       "Startup folder (every entry runs at the next logon)"},
      {"Documents\\PowerShell", true, "PowerShell 7 profile scripts (run at every start)"},
      {"Documents\\WindowsPowerShell", true, "Windows PowerShell profile scripts (run at every start)"},
      {"AppData\\Roaming\\Code\\User", true,
       "VS Code user settings and tasks (terminal profiles run programs)"},
      {"AppData\\Roaming\\VSCodium\\User", true, "VSCodium user settings and tasks"},
      {"AppData\\Roaming\\Cursor\\User", true, "Cursor user settings and tasks"},
  };
  return entries;
}

struct Builder {
  const Policy& policy;
  const WinHost& host;
  const CapabilitySids& caps;
  WinPlan plan;
  std::set<std::string> protected_keys;
  std::set<std::string> pinned_keys;

  void deny_tree(const std::string& path, bool directory, const std::string& reason) {
    if (!protected_keys.insert(path_key(path)).second) return;
    plan.protected_paths.push_back(path);
    for (const auto& sid : plan.token.capabilities)
      plan.aces.push_back({path,
                           Ace{AceType::Deny, sid, kDenyMask, directory ? ace_flags::kTree : uint8_t{0}},
                           reason, AceLifetime::Persistent});
    // The parent's FILE_DELETE_CHILD would let the sandbox unlink the entry anyway.
    std::string par = parent(path);
    for (const auto& sid : plan.token.capabilities) {
      Ace dc{AceType::Deny, sid, kDeleteChild, 0};
      bool dup = std::any_of(plan.aces.begin(), plan.aces.end(),
                             [&](const PlannedAce& a) { return same_path(a.path, par) && a.ace == dc; });
      if (!dup)
        plan.aces.push_back(
            {par, dc, "keeps " + leaf(path) + " from being unlinked", AceLifetime::Persistent});
    }
  }

  // An absent protected name: an empty placeholder carries the same deny ACEs (and
  // the parent's deny FILE_DELETE_CHILD), so it can be neither created with content,
  // nor removed, nor replaced by a rename.
  void placeholder(const std::string& path, bool directory, const std::string& reason) {
    if (protected_keys.count(path_key(path))) return;
    plan.placeholders.push_back({path, directory, reason});
    deny_tree(path, directory, reason + " (absent: empty placeholder)");
  }

  // Entries of `dir` whose name folds to `name` (NTFS may hold case variants in
  // case-sensitive directories; all of them are protected).
  std::vector<std::string> find_names(const std::string& dir, const std::string& name) {
    std::vector<std::string> out;
    if (!host.fs) return out;
    for (const auto& entry : host.fs->list(dir))
      if (fold_case(entry) == fold_case(name)) out.push_back(join(dir, entry));
    return out;
  }

  // Linux's pin: a directory that leads to a protected entry must not be renamed away
  // (`ren .git .git_old & mkdir .git` would leave the protection on the old name).
  // Renaming needs DELETE on the directory itself (FILE_DELETE_CHILD on its parent is
  // never granted), so DELETE, WRITE_DAC and WRITE_OWNER are denied on it and on every
  // directory between the writable root and it; not inherited, so its contents stay
  // writable.
  void pin_chain(const std::string& dir, const std::string& label) {
    const std::string* root = nullptr;
    for (const auto& r : plan.write_roots)
      if (is_within(dir, r) && !same_path(dir, r)) root = &r;
    if (!root) return;  // outside every root: the sandbox cannot rename it anyway
    for (std::string d = dir; !same_path(d, *root) && is_within(d, *root); d = parent(d)) {
      if (!pinned_keys.insert(path_key(d)).second) continue;
      for (const auto& sid : plan.token.capabilities)
        plan.aces.push_back({d, Ace{AceType::Deny, sid, kPinMask, 0},
                             "keeps " + label + " from being renamed away", AceLifetime::Persistent});
    }
  }

  // A protected entry that is a junction or symbolic link: its ACEs would sit on the
  // link, while every access through it is checked against the target's DACL. Linux
  // refuses these unless --best-effort; so does this planner (plan_windows). With
  // --best-effort the link is protected, and its target too when it is in a root.
  void protect_entry(const std::string& path, bool directory, const std::string& reason) {
    if (host.fs && host.fs->is_link(path)) {
      plan.linked_protected.push_back(path);
      deny_tree(path, false, reason + " (a link)");
      FsEntry target = host.fs->stat(path);
      bool in_root = std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                                 [&](const std::string& r) { return is_within(target.final_path, r); });
      if (target.kind != FsEntry::Kind::Missing && in_root)
        deny_tree(target.final_path, target.kind == FsEntry::Kind::Directory, reason + " (link target)");
      return;
    }
    deny_tree(path, directory, reason);
  }

  static constexpr int kMaxGitDepth = 8;      // nested submodules
  static constexpr size_t kMaxGitDirs = 512;  // gitdirs protected per root
  size_t git_dirs = 0;
  // Gitdirs already protected: a worktree's commondir leads back to the main .git, whose
  // worktrees lead to the worktree again, and the depth walk meets pointers to gitdirs
  // protected from the root.
  std::set<std::string> gitdir_keys = {};

  bool real_dir(const std::string& path) const {
    return host.fs->stat(path).kind == FsEntry::Kind::Directory && !host.fs->is_link(path);
  }

  static constexpr size_t kPointerBytes = 4096;  // a .git pointer, a commondir, .gitmodules

  // The first line of a small file, trimmed: a "gitdir: x" pointer, a commondir path.
  std::optional<std::string> first_line(const std::string& path) const {
    auto text = host.fs->read_small(path, kPointerBytes);
    if (!text) return std::nullopt;
    std::string line = text->substr(0, text->find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    return line;
  }

  // A path git read from a file, relative to `base` unless absolute.
  std::string resolve_from(const std::string& base, std::string target) const {
    target.erase(0, target.find_first_not_of(" \t"));
    return is_absolute(target) ? normalize(target) : normalize(join(base, target));
  }

  // A gitdir outside every writable root gets no ACE and no placeholder: the sandbox
  // cannot write there, and the path came from a file the sandbox may have written (a .git
  // pointer or a commondir planted in an earlier run): following it would have cordon
  // create placeholders and persistent ACEs wherever it points. Its configuration is still
  // read (reread_config), as Linux's collect_gitdir does.
  bool in_a_root(const std::string& path) const {
    return std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                       [&](const std::string& r) { return is_within(path, r); });
  }

  // A path read from a .git pointer or a commondir, which the sandbox may have written: only
  // one on a drive is looked at. A share would have cordon's stat authenticate to its server
  // with the user's credentials (stage 2's sandbox users have no network; cordon has), a
  // device such as \\.\pipe\x would connect cordon to a pipe server the sandbox runs.
  static bool on_a_drive(const std::string& path) {
    auto parsed = parse_path(path);
    return parsed && parsed->kind == PathKind::Drive && parsed->stream.empty();
  }

  // A gitdir a .git pointer or a commondir names in a writable root, reached through a
  // junction or symbolic link there (the directory itself or one on the way): git follows
  // it, and the sandbox could point it elsewhere after the plan, where hooks and config
  // would be unprotected. As Linux refuses protected paths below a link: the link is a
  // linked protected path (refused unless --best-effort; then it is kept in place, and its
  // target protected whole when in a root). True when one was found.
  bool through_a_link(const std::string& path, const std::string& label) {
    const std::string root = root_of(path);
    if (root.empty()) return false;
    std::vector<std::string> chain = ancestors(path);
    chain.push_back(path);
    for (const auto& c : chain) {
      if (!is_within(c, root) || same_path(c, root) || !host.fs->is_link(c)) continue;
      protect_entry(c, true, "protected " + label + " (a link on the way to a gitdir)");
      pin_chain(parent(c), leaf(c));
      return true;
    }
    return false;
  }

  // The top relative git config values start from for `gitdir` (protect_code_files).
  std::string top_of(const std::string& gitdir, const std::string& worktree) const {
    return !worktree.empty()                   ? worktree
           : fold_case(leaf(gitdir)) == ".git" ? parent(gitdir)
                                               : root_of(gitdir);
  }

  // A gitdir met again from another checkout (a submodule's gitdir found first below
  // .git\modules, then through sub\mod\.git; a linked worktree's, first below
  // .git\worktrees), or one outside every root (the workspace is a linked worktree of a
  // repository elsewhere): its configuration, and that of the common dir it names, read
  // against that checkout's top, as git does for a relative core.hooksPath. Nothing else
  // is planned for it here: protected when first met, or outside every root.
  void reread_config(const std::string& gitdir, const std::string& label, int depth,
                     const std::string& worktree) {
    if (depth > kMaxGitDepth || !on_a_drive(gitdir)) return;
    if (!protect_code_files(gitdir, worktree)) return;  // read against that top already
    follow_commondir(gitdir, label, depth, top_of(gitdir, worktree));
  }

  void protect_git_dir(const std::string& git_dir, const std::string& label, int depth = 0,
                       const std::string& worktree = {}) {
    if (!in_a_root(git_dir)) {
      reread_config(git_dir, label, depth, worktree);
      return;
    }
    if (!gitdir_keys.insert(path_key(git_dir)).second) {
      // Met first as a common dir from another checkout, its own top is read now.
      reread_config(git_dir, label, depth, worktree);
      return;
    }
    if (++git_dirs > kMaxGitDirs) {
      note_truncated(git_dir);
      return;
    }
    pin_chain(git_dir, label);
    // Before the read-only return: a gitdir denied whole still takes its hooks from a
    // core.hooksPath elsewhere in the worktree.
    protect_code_files(git_dir, worktree);
    if (policy.git == GitMode::ReadOnly) {
      deny_tree(git_dir, true, "protected " + label + " (--git read-only)");
      return;
    }
    auto hooks = find_names(git_dir, "hooks");
    if (hooks.empty()) placeholder(join(git_dir, "hooks"), true, "protected " + label + "\\hooks");
    for (const auto& h : hooks) protect_entry(h, true, "protected " + label + "\\hooks");
    auto config = find_names(git_dir, "config");
    if (config.empty()) placeholder(join(git_dir, "config"), false, "protected " + label + "\\config");
    for (const auto& c : config) protect_entry(c, false, "protected " + label + "\\config");
    // Other files git takes code-running settings from, when present. An absent one
    // cannot carry an ACE, and an empty commondir placeholder would break git: one that
    // appears during the run is renamed away after it (git_guard.hpp).
    for (const char* name : {"config.worktree", "commondir"})
      for (const auto& f : find_names(git_dir, name))
        protect_entry(f, false, "protected " + label + "\\" + name);
    watch(git_dir);
    if (depth >= kMaxGitDepth) return;
    // The common dir's configuration applies to this worktree: its relative hooksPath
    // starts at this worktree's top.
    follow_commondir(git_dir, label, depth, top_of(git_dir, worktree));
    // Submodule gitdirs (.git\modules\<name>, nested for submodules of submodules) and
    // linked-worktree gitdirs (.git\worktrees\<name>) have config and hooks of their own.
    for (const auto& modules : find_names(git_dir, "modules"))
      if (real_dir(modules)) protect_modules(modules, label + "\\modules", depth + 1);
    for (const auto& worktrees : find_names(git_dir, "worktrees")) {
      if (!real_dir(worktrees)) continue;
      for (const auto& name : host.fs->list(worktrees))
        if (real_dir(join(worktrees, name)))
          protect_present(join(worktrees, name), label + "\\worktrees\\" + name, depth + 1);
    }
  }

  // A gitdir with a commondir (a linked worktree's, a submodule's of a worktree) takes
  // config and hooks from the directory it names: that one is protected too (Linux's
  // collect_gitdir does the same), and its configuration read against `worktree`, the top
  // of the checkout that uses it.
  void follow_commondir(const std::string& gitdir, const std::string& label, int depth,
                        const std::string& worktree) {
    for (const auto& c : find_names(gitdir, "commondir")) {
      if (host.fs->is_link(c)) continue;  // refused as a linked protected entry
      auto common = first_line(c);
      if (!common || common->empty()) continue;
      std::string dir = resolve_from(gitdir, *common);
      if (!on_a_drive(dir) || same_path(dir, gitdir) || through_a_link(dir, label + " commondir")) continue;
      if (real_dir(dir)) protect_git_dir(dir, label + " commondir", depth + 1, worktree);
    }
  }

  void protect_modules(const std::string& dir, const std::string& label, int depth) {
    for (const auto& name : host.fs->list(dir)) {
      std::string p = join(dir, name);
      if (!real_dir(p)) continue;
      if (!find_names(p, "HEAD").empty())
        protect_git_dir(p, label + "\\" + name, depth);
      else if (depth < kMaxGitDepth)
        protect_modules(p, label + "\\" + name, depth + 1);  // a submodule name with slashes
    }
  }

  // A linked worktree's gitdir: what is there is protected, nothing is created (git
  // takes config and hooks from the common dir, which its commondir names).
  void protect_present(const std::string& gitdir, const std::string& label, int depth) {
    if (!in_a_root(gitdir)) return;
    if (!gitdir_keys.insert(path_key(gitdir)).second) return;  // met first from its checkout
    if (++git_dirs > kMaxGitDirs) {
      note_truncated(gitdir);
      return;
    }
    pin_chain(gitdir, label);
    protect_code_files(gitdir, {});
    for (const char* name : {"config", "config.worktree", "commondir", "hooks"})
      for (const auto& f : find_names(gitdir, name))
        protect_entry(f, host.fs->stat(f).kind == FsEntry::Kind::Directory,
                      "protected " + label + "\\" + name);
    watch(gitdir);
    if (depth < kMaxGitDepth) follow_commondir(gitdir, label, depth, top_of(gitdir, {}));
  }

  // A gitdir the sandbox can write into (inside a root): the pointer names present now
  // are protected above; any other one that appears is renamed away after the run.
  void watch(const std::string& gitdir) {
    bool in_root = std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                               [&](const std::string& r) { return is_within(gitdir, r); });
    if (!in_root || !real_dir(gitdir)) return;
    for (const auto& w : plan.git_watch)
      if (same_path(w.gitdir, gitdir)) return;
    GitWatch w{gitdir, {}};
    for (const auto& name : git_pointer_names())
      for (const auto& f : find_names(gitdir, name)) w.present.push_back(leaf(f));
    // What is below modules\ and worktrees\ now: what appears there during the run is
    // neutralised after it (an absent submodule gitdir cannot carry an ACE).
    for (const auto& modules : find_names(gitdir, "modules"))
      if (real_dir(modules)) record_modules(modules, "", 0, w.modules);
    for (const auto& worktrees : find_names(gitdir, "worktrees"))
      if (real_dir(worktrees))
        for (const auto& name : host.fs->list(worktrees)) w.worktrees.push_back(name);
    plan.git_watch.push_back(std::move(w));
  }

  void record_modules(const std::string& dir, const std::string& rel, int depth,
                      std::vector<std::string>& out) {
    for (const auto& name : host.fs->list(dir)) {
      const std::string path = join(dir, name);
      const std::string r = rel.empty() ? name : rel + "\\" + name;
      out.push_back(r);
      if (depth + 1 < kMaxGitDepth && real_dir(path) && find_names(path, "HEAD").empty())
        record_modules(path, r, depth + 1, out);
    }
  }

  // ".git" as a pointer file "gitdir: <path>" (a linked worktree or a submodule): the
  // pointer itself, the gitdir it names, and the common dir that gitdir names.
  void protect_pointer(const std::string& git, const std::string& base, const std::string& label) {
    deny_tree(git, false, "protected " + label + " pointer file");
    auto line = first_line(git);
    if (!line || line->rfind("gitdir:", 0) != 0) return;
    std::string gitdir = resolve_from(base, line->substr(7));
    if (!on_a_drive(gitdir) || through_a_link(gitdir, label + " gitdir") || !real_dir(gitdir)) return;
    protect_git_dir(gitdir, label + " gitdir", 0, base);  // and the commondir it names
  }

  void protect_git(const std::string& root) {
    if (policy.git == GitMode::Writable || !host.fs) return;
    git_dirs = 0;
    if (find_names(root, ".git").empty()) plan.new_repo_roots.push_back(root);
    for (const auto& git : find_names(root, ".git")) {
      FsEntry e = host.fs->stat(git);
      if (e.kind == FsEntry::Kind::Directory && !host.fs->is_link(git)) {
        protect_git_dir(git, ".git");
      } else if (e.kind == FsEntry::Kind::File) {
        protect_pointer(git, root, ".git");
      } else if (host.fs->is_link(git)) {
        protect_entry(git, true, "protected .git");
      }
    }
    // Submodule checkouts named by .gitmodules: their .git pointer files say where git
    // finds the submodule's config and hooks (`git status` reads them).
    for (const auto& gm : find_names(root, ".gitmodules")) {
      auto text = host.fs->read_small(gm, kPointerBytes);
      if (!text) continue;
      size_t pos = 0;
      while (pos < text->size()) {
        size_t end = text->find('\n', pos);
        std::string line = text->substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? text->size() : end + 1;
        line.erase(0, line.find_first_not_of(" \t"));
        if (line.rfind("path", 0) != 0) continue;
        size_t eq = line.find('=');
        if (eq == std::string::npos || line.find_first_not_of(" \t", 4) != eq) continue;
        std::string sub = resolve_from(root, line.substr(eq + 1));
        while (!sub.empty() && (sub.back() == '\r' || sub.back() == ' ')) sub.pop_back();
        if (!is_within(sub, root) || same_path(sub, root) || !real_dir(sub)) continue;
        for (const auto& git : find_names(sub, ".git")) {
          FsEntry e = host.fs->stat(git);
          if (e.kind == FsEntry::Kind::File)
            protect_pointer(git, sub, "submodule .git");
          else if (real_dir(git))
            protect_git_dir(git, "submodule .git");
        }
      }
    }
  }

  // Issue 13, as the Linux planner (git_hooks::code_files): what git's effective
  // configuration for this gitdir names as code. core.hooksPath moves the hooks anywhere (a
  // tracked .githooks, husky's .husky\_, even the worktree's top: hooksPath = .); include.path
  // and includeIf pull in more config (a tracked .gitconfig is config like .git\config); and
  // filters, fsmonitor, pager, textconv, merge drivers, credential helpers and aliases run the
  // programs and scripts their values name. Each one inside a writable root is denied as the
  // protected names are, with a placeholder where it is absent, so a command cannot plant
  // code that git runs at the user's next commit. Relative values start at the worktree's
  // top: the checkout whose .git pointer led to the gitdir (a submodule's sub\mod for
  // .git\modules\sub\mod, a linked worktree's top for .git\worktrees\<id> and for the
  // common dir it names), else a .git's parent, else the root. Each gitdir is read once per
  // top: false when it was read against this one already.
  bool protect_code_files(const std::string& gitdir, const std::string& worktree) {
    if (!host.fs) return false;
    git_hooks::Sources sources;
    sources.files = host.git_configs;
    sources.files.push_back(join(gitdir, "config"));
    sources.files.push_back(join(gitdir, "config.worktree"));
    sources.worktree = top_of(gitdir, worktree);
    // Outside every root with no checkout known: relative values name nothing cordon knows.
    if (sources.worktree.empty()) sources.worktree = gitdir;
    if (!code_read_keys.emplace(path_key(gitdir), path_key(sources.worktree)).second) return false;
    sources.home = host.git_home;
    sources.parameters = host.git_parameters;
    const git_hooks::PathSyntax syntax{is_absolute, join, parent, normalize, /*backslash=*/true};
    const FsView& fs = *host.fs;
    const auto code = git_hooks::code_files(
        [&fs](const std::string& path, size_t max) { return fs.read_small(path, max); }, syntax, sources);
    // Placeholders persist on Windows, and an included file is content the repository
    // may ship: a configuration naming thousands of paths is cut short and reported
    // (protected paths Degraded), never planned whole.
    if (code.hooks_dirs.size() + code.includes.size() + code.programs.size() > kMaxCodePaths) {
      note_truncated(gitdir + " (its git configuration names more than " + std::to_string(kMaxCodePaths) +
                     " paths)");
    }
    size_t budget = kMaxCodePaths;
    auto each = [&](const std::vector<std::string>& paths, CodeKind kind, const std::string& why) {
      for (const auto& p : paths)
        if (budget > 0) {
          --budget;
          protect_code_path(p, kind, why);
        }
    };
    each(code.hooks_dirs, CodeKind::HooksDir, "git hooks (core.hooksPath) run code outside the sandbox");
    each(code.includes, CodeKind::File, "included by git config (can run code)");
    each(code.programs, CodeKind::Program, "a program or script git config runs");
    return true;
  }
  std::set<std::pair<std::string, std::string>> code_read_keys = {};  // (gitdir, top) read

  static constexpr size_t kMaxCodePaths = 256;  // per gitdir

  // HomeDir: a protected home directory (home_entries): denied whole where present, a
  // placeholder directory where absent.
  enum class CodeKind { HooksDir, File, Program, HomeDir };

  bool is_write_root(const std::string& path) const {
    return std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                       [&](const std::string& r) { return same_path(r, path); });
  }

  // The innermost writable root holding `path`, "" when none does.
  std::string root_of(const std::string& path) const {
    std::string best;
    for (const auto& r : plan.write_roots)
      if (is_within(path, r) && r.size() > best.size()) best = r;
    return best;
  }

  // One path a git config names, denied like a protected name. The value came from a file
  // the sandbox may have written (a tracked include), so it is resolved here, never by the
  // applier: only a path on a drive; a stream ("x:s") is its file's, which carries the one
  // ACL; walked from the drive one component at a time. Outside the writable roots the
  // walk follows what is there (a link or an 8.3 alias the sandbox cannot change, which may
  // lead into a root); inside them an 8.3 alias or another case is taken under its real
  // name, and a junction or symbolic link is a linked protected path (refused unless
  // --best-effort, as for .vscode: the deny would guard the link, or land on its target),
  // and the first absent component gets the placeholder, so nothing can be created below
  // it. Absent programs get a directory, not an empty file: an empty tools\clean.cmd would
  // run and print nothing, so a clean filter would store empty files; a directory fails to
  // start, and git says so. Programs that are directories are left alone (Linux's rule).
  void protect_code_path(const std::string& value, CodeKind kind, const std::string& why) {
    auto parsed = parse_path(value);
    if (!parsed || parsed->kind != PathKind::Drive) return;
    const std::string path = parsed->object();
    std::string at = parsed->root + "\\";
    for (size_t i = 0; i < parsed->parts.size(); ++i) {
      const std::string next = join(at, parsed->parts[i]);
      const bool last = i + 1 == parsed->parts.size();
      const bool inside = in_a_root(next) && !is_write_root(next);
      if (inside && host.fs->is_link(next)) {
        protect_entry(next, true, "protected " + why + (last ? "" : " (a link on the way to " + path + ")"));
        pin_chain(parent(next), leaf(next));
        return;
      }
      const FsEntry e = host.fs->stat(next);
      if (e.kind == FsEntry::Kind::Missing) {
        if (!inside) return;  // nothing the sandbox could create
        const bool directory = !last || kind != CodeKind::File;
        placeholder(next, directory,
                    "protected " + why + (last ? "" : " (an absent directory above " + path + ")"));
        pin_chain(parent(next), leaf(next));
        return;
      }
      at = e.final_path.empty() ? next : e.final_path;
      if (!last && e.kind != FsEntry::Kind::Directory) {
        // A file on the way: nothing below it now, but deleted and replaced by a directory
        // it would let the sandbox create the path, so it is kept in place.
        if (inside) {
          protect_entry(at, false, "protected " + why + " (a file on the way to " + path + ")");
          pin_chain(parent(at), leaf(at));
        }
        return;
      }
    }
    if (is_write_root(at)) {
      // The hooks directory is a writable root itself (hooksPath = .): its hooks, by name.
      // Absent ones get empty files, which git for Windows does not run (no "#!", no .exe).
      if (kind == CodeKind::HooksDir)
        for (const char* hook : git_hooks::kHookNames) protect_code_path(join(at, hook), CodeKind::File, why);
      return;
    }
    if (!in_a_root(at)) return;
    const bool directory = host.fs->stat(at).kind == FsEntry::Kind::Directory;
    if (directory && kind == CodeKind::Program) return;
    protect_entry(at, directory, "protected " + why);
    pin_chain(parent(at), leaf(at));
  }

  // Protected names and repositories below the top of a root, where they exist now, as
  // Linux's walk finds them: an editor opened in sub reads sub\.vscode, git run in
  // vendor\x (or an editor's automatic `git status` there) runs vendor\x\.git's hooks
  // and config. Depth first, from the listing's own kinds (no link is followed), within
  // a budget; not into .git or tool caches (defaults::depth_walk_skipped_names), another
  // writable root (walked on its own) or a protected name (denied whole). A truncated
  // walk is reported (protected paths Degraded), never silent.
  static constexpr int kWalkMaxDepth = 64;
  size_t walk_budget = 0;  // PlanOptions::walk_budget
  size_t walked = 0;

  void note_truncated(const std::string& what) {
    if (std::find(plan.walk_truncated.begin(), plan.walk_truncated.end(), what) == plan.walk_truncated.end())
      plan.walk_truncated.push_back(what);
  }

  void walk(const std::string& root) {
    std::set<std::string> names;
    for (const auto& e : defaults::protected_names_except(policy.unprotect)) names.insert(fold_case(e.name));
    std::set<std::string> skipped;
    for (const auto& n : defaults::depth_walk_skipped_names()) skipped.insert(fold_case(n));
    std::vector<std::pair<std::string, int>> stack = {{root, 0}};
    const bool git = policy.git != GitMode::Writable;
    while (!stack.empty()) {
      auto [dir, depth] = stack.back();
      stack.pop_back();
      const auto entries = host.fs->list_typed(dir);
      if (depth > 0 && git && is_bare_repository(entries)) {
        // A bare repository (a local remote, origin.git): its hooks run when anyone pushes
        // into it, its config when git runs there, as on Linux. A gitdir like any other,
        // relative values taken from itself (it has no worktree).
        walked += entries.size();
        protect_bare_repository(root, dir);
        continue;
      }
      for (const auto& e : entries) {
        if (++walked > walk_budget) {
          note_truncated(root);
          return;
        }
        const std::string path = join(dir, e.name);
        const std::string key = fold_case(e.name);
        if (depth > 0 && key == ".git" && git) {
          protect_nested_repository(root, dir, path, e);
          continue;
        }
        // A tool cache is not searched, but a repository at its first two levels is (a git
        // dependency checked out with its .git, a bare mirror), as on Linux.
        if (git && e.directory && !e.link && key != ".git" && skipped.count(key))
          repositories_in_cache(root, path);
        if (names.count(key)) {
          if (depth > 0) {
            protect_entry(path, e.directory, "protected " + e.name + " (below the root)");
            pin_chain(dir, e.name);
          }
          continue;
        }
        if (!e.directory || e.link || depth + 1 >= kWalkMaxDepth || skipped.count(key)) continue;
        if (std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                        [&](const std::string& r) { return same_path(r, path); }))
          continue;
        stack.emplace_back(path, depth + 1);
      }
    }
  }

  // git takes a directory holding HEAD, objects\ and refs\ for a repository (setup.c
  // is_git_directory): a bare one when it is not a .git. Names compared as NTFS does.
  static bool is_bare_repository(const std::vector<DirEntry>& entries) {
    bool head = false, objects = false, refs = false;
    for (const auto& e : entries) {
      const std::string key = fold_case(e.name);
      head = head || (key == "head" && !e.directory && !e.link);
      objects = objects || (key == "objects" && e.directory);
      refs = refs || (key == "refs" && e.directory);
    }
    return head && objects && refs;
  }

  void protect_bare_repository(const std::string& root, const std::string& dir) {
    git_dirs = 0;  // a budget per repository, as per root
    protect_git_dir(dir, dir.substr(std::min(dir.size(), root.size() + 1)), 0, dir);
  }

  // The first two levels of a tool cache (node_modules\pkg, node_modules\@scope\pkg):
  // a repository there is protected like any nested one; deeper ones are not searched.
  // Counted against the walk's budget (the main walk reports it).
  void repositories_in_cache(const std::string& root, const std::string& cache) {
    std::vector<std::pair<std::string, int>> stack = {{cache, 0}};
    while (!stack.empty()) {
      auto [dir, level] = stack.back();
      stack.pop_back();
      for (const auto& e : host.fs->list_typed(dir)) {
        if (++walked > walk_budget) return;
        if (!e.directory || e.link || fold_case(e.name) == ".git") continue;
        const std::string path = join(dir, e.name);
        const auto inner = host.fs->list_typed(path);
        walked += inner.size();
        if (is_bare_repository(inner)) {
          protect_bare_repository(root, path);
          continue;
        }
        auto dotgit = std::find_if(inner.begin(), inner.end(),
                                   [](const DirEntry& d) { return fold_case(d.name) == ".git"; });
        if (dotgit != inner.end())
          protect_nested_repository(root, path, join(path, dotgit->name), *dotgit);
        else if (level == 0)
          stack.emplace_back(path, 1);
      }
    }
  }

  // A repository below the root (vendor\x\.git, a submodule checkout .gitmodules does
  // not name, a linked worktree's checkout): its gitdir as the root's own.
  void protect_nested_repository(const std::string& root, const std::string& dir, const std::string& git,
                                 const DirEntry& e) {
    const std::string label = git.substr(std::min(git.size(), root.size() + 1));
    git_dirs = 0;  // a budget per repository, as per root
    if (e.link)
      protect_entry(git, true, "protected " + label);
    else if (e.directory)
      protect_git_dir(git, label);
    else
      protect_pointer(git, dir, label);
  }

  // The user's startup files, git config and editor configuration (the shared
  // defaults::protected_home_entries, then Windows' own), when a writable root holds them:
  // `--writable` on a directory of the profile (.config, Documents), or HOME set to a
  // checkout, which Git Bash, git and the editors then read. As on Linux, read-only and
  // uncreatable where absent (a placeholder at the first absent component, its parents
  // pinned), the writable root itself when it is one of them.
  void protect_home_entries() {
    struct Entry {
      std::string path;  // relative to the home
      bool directory;
      std::string why;
      bool profile_only;  // Windows' own: under USERPROFILE, not HOME
    };
    std::vector<Entry> entries;
    for (const auto& e : defaults::protected_home_entries()) {
      std::string rel = e.path;
      std::replace(rel.begin(), rel.end(), '/', '\\');
      entries.push_back({rel, e.directory, e.why, false});
    }
    for (const auto& e : windows_home_entries()) entries.push_back({e.path, e.directory, e.why, true});
    // Those under .config are read from XDG_CONFIG_HOME instead when it is set (git, and
    // the ports of fish, Neovim, tmux ...): protected at both places, as on Linux.
    const std::string config_prefix = ".config\\";
    for (const auto& e : entries) {
      std::vector<std::string> at;
      for (const std::string* home : {&host.git_home, &host.user_profile}) {
        if (home->empty() || (e.profile_only && home != &host.user_profile)) continue;
        if (home == &host.user_profile && !e.profile_only && same_path(host.git_home, host.user_profile))
          continue;
        at.push_back(normalize(join(*home, e.path)));
      }
      if (!e.profile_only && is_absolute(host.xdg_config_home) && e.path.rfind(config_prefix, 0) == 0)
        at.push_back(normalize(join(host.xdg_config_home, e.path.substr(config_prefix.size()))));
      for (const auto& path : at) {
        if (!in_a_root(path)) continue;
        const std::string why = "the user's " + e.why;
        if (is_write_root(path))
          deny_tree(path, e.directory, "protected " + why + " (a writable root)");
        else
          protect_code_path(path, e.directory ? CodeKind::HomeDir : CodeKind::File, why);
      }
    }
  }

  void protect_root_names(const std::string& root) {
    for (const auto& e : defaults::protected_names_except(policy.unprotect)) {
      const std::string name = e.name;
      auto found = find_names(root, name);
      if (found.empty()) placeholder(join(root, name), e.directory, "protected " + name);
      for (const auto& p : found)
        protect_entry(p, host.fs->stat(p).kind == FsEntry::Kind::Directory, "protected " + name);
    }
  }
};

void add_network_env(WinPlan& plan, const Policy& policy, const WinHost& host) {
  auto& env = plan.env;
  env.push_back({"CORDON_SANDBOX", "windows-restricted-token"});
  if (policy.net.mode == NetMode::On) return;  // Proxy (best effort) runs as off
  // Advisory only: honoured by well-behaved tools, bypassed by anything opening sockets.
  env.push_back({"CORDON_NETWORK_DISABLED", "1"});
  for (const char* v : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                        "GIT_HTTP_PROXY", "GIT_HTTPS_PROXY"})
    env.push_back({v, "http://127.0.0.1:9"});
  env.push_back({"NO_PROXY", "localhost,127.0.0.1,::1"});
  env.push_back({"PIP_NO_INDEX", "1"});
  env.push_back({"PIP_DISABLE_PIP_VERSION_CHECK", "1"});
  env.push_back({"NPM_CONFIG_OFFLINE", "true"});
  env.push_back({"CARGO_NET_OFFLINE", "true"});
  env.push_back({"GIT_SSH_COMMAND", "cmd /c exit 1"});
  env.push_back({"GIT_ALLOW_PROTOCOL", "file"});
  if (!host.state_dir.empty()) {
    plan.stub_dir = join(host.state_dir, "denybin");
    for (const char* name : {"ssh", "scp", "sftp"})
      for (const char* ext : {".cmd", ".bat"})
        plan.stubs.push_back({std::string(name) + ext, "@echo cordon: network is off in this sandbox (" +
                                                           std::string(name) +
                                                           " stubbed) 1>&2\r\n@exit /b 1\r\n"});
  }
}

}  // namespace

JobLimits job_limits(const LimitsPolicy& limits) {
  JobLimits job;
  if (limits.memory_bytes) job.memory_bytes = *limits.memory_bytes;
  if (limits.pids) job.processes = static_cast<uint32_t>(std::min<uint64_t>(*limits.pids, UINT32_MAX));
  if (limits.cpu_seconds)  // 100 ns units, rounded up
    job.process_user_time = static_cast<int64_t>(std::ceil(std::min(*limits.cpu_seconds, 1.0e9) * 1.0e7));
  return job;
}

Result<WinPlan> plan_windows(const Policy& policy, const WinHost& host, const CapabilitySids& caps,
                             const PlanOptions& options) {
  Builder b{policy, host, caps, {}, {}, {}};
  b.walk_budget = options.walk_budget;
  WinPlan& plan = b.plan;
  plan.mode = policy.mode;
  plan.job = job_limits(policy.limits);  // every mode, as on Linux: the job holds the whole tree
  plan.token.logon = host.logon;
  plan.stage = options.stage;
  if (policy.mode == Mode::FullAccess) {
    plan.notes.push_back("full-access: the command runs with the user's own token, unsandboxed");
    return plan;
  }

  // 0. A domain allowlist needs cordon's proxy, which Windows does not have: without
  // --best-effort that is a refusal (never the host network in its place); with it,
  // the run gets network off (advisory in stage 1, the firewall in stage 2).
  if (policy.net.mode == NetMode::Proxy) {
    if (!policy.best_effort)
      return usage_error("network allowlist (--allow-domain)", "cordon's proxy is not built for Windows yet",
                         "use --net off or --net on, or --best-effort to run with the network off");
    plan.notes.push_back("--allow-domain: no proxy on Windows; --best-effort runs with the network off");
  }

  // 1. Writable roots and their capability SIDs.
  for (const auto& root : policy.write_roots()) {
    auto canonical = check_root(root, host);
    if (!canonical) return canonical.error();
    const Sid* sid = caps.for_root(root);
    if (!sid) sid = caps.for_root(*canonical);
    if (!sid) return usage_error("capability SID", "no SID allocated for '" + *canonical + "'");
    plan.write_roots.push_back(*canonical);
    if (std::find(plan.token.capabilities.begin(), plan.token.capabilities.end(), *sid) ==
        plan.token.capabilities.end())
      plan.token.capabilities.push_back(*sid);
    plan.aces.push_back(
        {*canonical, Ace{AceType::Allow, *sid, kAllowMask, ace_flags::kTree}, "writable root"});
  }
  const bool writing = policy.mode == Mode::WorkspaceWrite;
  if (!writing) plan.token.capabilities.push_back(caps.readonly);
  if (options.run_sid.empty())
    return usage_error("run SID", "no per-run SID was allocated", "a plan needs one SID unique to its run");
  plan.token.run = options.run_sid;
  // Temp belongs to this run alone: its own SID, for this run only. A shared SID would
  // let a concurrent sandbox write (and plant links in) this run's temp, and a
  // persistent grant would leave the host TEMP writable for every later run.
  const Sid& temp_sid = plan.token.run;

  // 2. Temp: a private per-run directory, the host's TEMP/TMP, or nothing.
  if (policy.tmp == TmpMode::Private && !host.temp.empty()) {
    plan.child_temp = join(host.temp, "cordon-" + options.run_id);
    plan.aces.push_back({plan.child_temp, Ace{AceType::Allow, temp_sid, kAllowMask, ace_flags::kTree},
                         "private temp (removed after the run)", AceLifetime::PerRun, true});
  } else if (policy.tmp == TmpMode::Host && writing) {
    std::set<std::string> seen;
    for (const auto& t : {host.temp, host.tmp}) {
      if (t.empty() || !seen.insert(path_key(t)).second) continue;
      bool inside = std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                                [&](const std::string& r) { return is_within(t, r); });
      if (inside) continue;
      auto canonical = check_root(t, host);
      if (!canonical) return canonical.error();
      plan.aces.push_back({*canonical, Ace{AceType::Allow, temp_sid, kAllowMask, ace_flags::kTree},
                           "host temp (this run only)", AceLifetime::PerRun});
    }
  } else if (policy.tmp == TmpMode::Host) {
    plan.notes.push_back("read-only: the host TEMP is not writable");
  }

  // 3. Protected entries in every writable root, then --protect and the state dir.
  // git for Windows' own configuration files, when a writable root holds one (HOME set to
  // a checkout, as some CI setups do): a command that wrote .gitconfig there would choose
  // the hooks and programs of the user's next git (issue 13).
  if (policy.git != GitMode::Writable && host.fs)
    for (const auto& config : host.git_configs)
      b.protect_code_path(config, Builder::CodeKind::File, "git for Windows reads this configuration");
  for (const auto& root : plan.write_roots) {
    b.protect_git(root);
    b.protect_root_names(root);
    if (host.fs) b.walk(root);
  }
  if (host.fs) b.protect_home_entries();
  for (const auto& p : policy.protect) {
    FsEntry e = host.fs ? host.fs->stat(p) : FsEntry{};
    // Missing through a link (one the host probe does not follow): a linked protected path.
    if (e.kind == FsEntry::Kind::Missing && !e.reparse) {
      // Inside a writable root, with its directory present: a placeholder directory
      // (as on Linux). Elsewhere the sandbox cannot create it anyway, or cannot be stopped.
      std::string canonical = normalize(p);
      bool in_root = std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                                 [&](const std::string& r) { return is_within(canonical, r); });
      if (in_root && host.fs && host.fs->stat(parent(canonical)).kind == FsEntry::Kind::Directory &&
          same_path(host.fs->stat(parent(canonical)).final_path, parent(canonical)))
        b.placeholder(canonical, true, "protected (--protect)");
      else
        plan.unprotected.push_back(p);
      continue;
    }
    // A link (or a path through one): ACEs on the target would protect something else
    // (and put a deny FILE_DELETE_CHILD on the target's parent, e.g. the profile), while
    // the link's own name stayed deletable and re-creatable (F21). Refused unless
    // --best-effort, as for the protected root names; then the link is protected, and
    // the target only when it lies in a writable root.
    const std::string canonical = normalize(p);
    const bool directory = e.kind == FsEntry::Kind::Directory;
    if (host.fs && host.fs->is_link(canonical)) {
      b.protect_entry(canonical, directory, "protected (--protect)");
      continue;
    }
    if (!same_path(e.final_path, canonical)) {
      plan.linked_protected.push_back(canonical);
      bool in_root = std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                                 [&](const std::string& r) { return is_within(e.final_path, r); });
      if (in_root)
        b.deny_tree(e.final_path, directory, "protected (--protect, through a link)");
      else
        plan.unprotected.push_back(p);
      continue;
    }
    b.deny_tree(e.final_path, directory, "protected (--protect)");
  }
  if (!host.state_dir.empty()) b.deny_tree(host.state_dir, true, "cordon state (capability SIDs, ledger)");
  // cordon's user config (F15), as on Linux: protected where it is, or a placeholder
  // when a writable root would let the sandbox create it.
  if (!host.config_dir.empty() && host.fs) {
    FsEntry e = host.fs->stat(host.config_dir);
    std::string canonical = normalize(host.config_dir);
    bool in_root = std::any_of(plan.write_roots.begin(), plan.write_roots.end(),
                               [&](const std::string& r) { return is_within(canonical, r); });
    // Absent with its parent absent too (HOME set to a checkout without .config): the
    // placeholder goes on the first absent component, as Linux's, never left creatable.
    if (e.kind != FsEntry::Kind::Missing)
      b.protect_entry(canonical, e.kind == FsEntry::Kind::Directory, "cordon user config");
    else if (in_root)
      b.protect_code_path(canonical, Builder::CodeKind::HomeDir, "cordon user config");
  }
  if (!plan.linked_protected.empty() && !policy.best_effort)
    return usage_error(
        "protected path '" + plan.linked_protected.front() + "'",
        "is a junction or symbolic link: its deny ACEs would guard the link, not what is written "
        "through it",
        "replace the link by a real directory or file, or --best-effort to protect the link and a "
        "target inside the workspace");

  // 4. The NUL device: the restricted token needs write access to it.
  for (const auto& sid : plan.token.capabilities)
    plan.aces.push_back(
        {"\\\\.\\NUL",
         Ace{AceType::Allow, sid, kFileGenericRead | kFileGenericWrite | kFileGenericExecute, 0},
         "NUL device", AceLifetime::Persistent, false, /*best_effort=*/true});

  // 5. World-writable directories outside the roots.
  if (options.audit.max_checks > 0) {
    std::vector<std::string> roots = plan.write_roots;
    if (!plan.child_temp.empty()) roots.push_back(plan.child_temp);
    plan.audit = audit_world_writable(host, audit_candidates(host, policy.workspace), roots, options.audit);
    std::vector<Sid> deny_sids = plan.token.capabilities;
    if (std::find(deny_sids.begin(), deny_sids.end(), caps.readonly) == deny_sids.end())
      deny_sids.push_back(caps.readonly);
    for (const auto& path : plan.audit.denied)
      for (const auto& sid : deny_sids)
        plan.aces.push_back({path, Ace{AceType::Deny, sid, kDenyMask, ace_flags::kTree}, "world-writable",
                             AceLifetime::Persistent, false, /*best_effort=*/true});
    for (const auto& path : plan.audit.denied_files)
      for (const auto& sid : deny_sids)
        plan.aces.push_back({path, Ace{AceType::Deny, sid, kDenyMask, 0}, "world-writable file",
                             AceLifetime::Persistent, false, /*best_effort=*/true});
  }

  // Never touch profile hives, whatever produced the entry. A writable root holds none
  // (check_root refuses one holding the profile), so a name inside one that only looks like
  // a hive (hooksPath = ntuser.hooks) keeps its denies: dropping them left it writable.
  plan.aces.erase(
      std::remove_if(plan.aces.begin(), plan.aces.end(),
                     [&](const PlannedAce& a) { return is_hive(a.path) && !b.in_a_root(a.path); }),
      plan.aces.end());
  add_network_env(plan, policy, host);
  if (!plan.child_temp.empty()) {
    plan.env.push_back({"TEMP", plan.child_temp});
    plan.env.push_back({"TMP", plan.child_temp});
  }
  if (options.stage && options.stage->active()) {
    // The sandbox profile is not writable under the write-restricted token (F22): with
    // a private temp, HOME lives in it (add_stage2_aces); with --tmp host, which already
    // lets the command write outside the roots for this run, in a directory of its own.
    // --tmp none gets none: the user asked for no writable scratch space.
    if (plan.child_temp.empty() && policy.tmp == TmpMode::Host && writing && !host.temp.empty()) {
      plan.run_home = join(host.temp, "cordon-" + options.run_id + "-home");
      plan.aces.push_back({plan.run_home, Ace{AceType::Allow, temp_sid, kAllowMask, ace_flags::kTree},
                           "the command's per-run profile (removed after the run)", AceLifetime::PerRun,
                           true});
    }
    add_stage2_aces(plan, *options.stage);
  }
  return plan;
}

void add_stage2_aces(WinPlan& plan, const Stage2Facts& facts) {
  const Sid& group = facts.status.marker->group.sid;
  // The protected-path denies for the sandbox group too: its root grant passes the
  // normal half of the check, so they must not rest on the restricted pass alone (F3).
  add_principal_denies(plan, group);
  if (!plan.child_temp.empty()) {
    // The private temp is created by the caller: the sandbox users need their own grant
    // on it (the capability-SID ACE only passes the restricted half of the access check).
    plan.aces.push_back({plan.child_temp,
                         Ace{AceType::Allow, group,
                             access::kFileGenericRead | access::kFileGenericWrite |
                                 access::kFileGenericExecute | access::kDelete,
                             ace_flags::kTree},
                         "stage 2: the sandbox users' private temp", AceLifetime::PerRun});
    // HOME, APPDATA and LOCALAPPDATA for the command: a directory in the private temp
    // (granted to the run SID and the group, removed with it), since the sandbox profile
    // is not writable under the write-restricted token (F22; runner_env.hpp).
    plan.env.emplace_back(runner::kRunProfileVariable, join(plan.child_temp, "profile"));
  } else if (!plan.run_home.empty()) {
    plan.aces.push_back({plan.run_home,
                         Ace{AceType::Allow, group,
                             access::kFileGenericRead | access::kFileGenericWrite |
                                 access::kFileGenericExecute | access::kDelete,
                             ace_flags::kTree},
                         "stage 2: the sandbox users' per-run profile", AceLifetime::PerRun});
    plan.env.emplace_back(runner::kRunProfileVariable, plan.run_home);
  }
  // The sandbox users cannot be assumed to read where cordon is installed: the runner is
  // copied there by the platform's acquire step (stage2_run.hpp).
  plan.aces.push_back(
      {facts.runner_dir,
       Ace{AceType::Allow, group, access::kFileGenericRead | access::kFileGenericExecute, ace_flags::kTree},
       "stage 2: the sandbox users run cordon-runner.exe from here", AceLifetime::Persistent});
}

void add_principal_denies(WinPlan& plan, const Sid& principal) {
  const auto& caps = plan.token.capabilities;
  std::vector<PlannedAce> extra;
  for (const auto& a : plan.aces) {
    // World-writable denies are best effort and outside the roots: not mirrored.
    if (a.ace.type != AceType::Deny || a.best_effort) continue;
    if (std::find(caps.begin(), caps.end(), a.ace.sid) == caps.end()) continue;
    PlannedAce copy = a;
    copy.ace.sid = principal;
    copy.reason = a.reason + " (stage 2: the sandbox group)";
    bool dup = std::any_of(extra.begin(), extra.end(), [&](const PlannedAce& e) {
      return same_path(e.path, copy.path) && e.ace == copy.ace;
    });
    if (!dup) extra.push_back(std::move(copy));
  }
  plan.aces.insert(plan.aces.end(), extra.begin(), extra.end());
}

TokenModel model_token(const WinPlan& plan, const WinHost& host) {
  TokenModel t;
  t.user = host.user;
  t.groups = {{sids::everyone(), true, false},
              {sids::users(), true, false},
              {sids::authenticated_users(), true, false},
              {sids::administrators(), false, true}};  // LUA_TOKEN: deny-only
  if (!host.logon.empty()) t.groups.push_back({host.logon, true, false});
  if (plan.mode == Mode::FullAccess) return t;
  t.restricting = plan.token.restricting();
  t.write_restricted = true;
  return t;
}

}  // namespace cordon::win
