#include "plan/linux_planner.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/defaults.hpp"
#include "core/paths.hpp"
#include "plan/fs_memo.hpp"
#include "plan/git_hooks_path.hpp"
#include "plan/landlock_abi.hpp"
#include "plan/require.hpp"

namespace cordon {
namespace {

// Syscall-number-free constants the seccomp plan needs (uapi values, x86_64/aarch64).
constexpr uint64_t kCloneNewUser = 0x10000000;
constexpr uint64_t kTiocsti = 0x5412;
constexpr uint64_t kTioclinux = 0x541C;
constexpr int kEperm = 1;
constexpr int kEnosys = 38;

struct Protected {
  std::string path;
  std::string reason;
  bool directory_if_missing = true;
  bool may_create_placeholder = true;
};

bool in_any(const std::string& p, const std::vector<std::string>& roots) {
  return std::any_of(roots.begin(), roots.end(),
                     [&](const std::string& r) { return paths::is_within(p, r); });
}

// A git pointer's path as git reads it (setup.c read_gitfile_gently, get_common_dir_noenv):
// the text after `prefix`, trailing newlines and carriage returns removed (nothing else:
// a trailing space is part of the name), relative to `base`. nullopt when git would not
// read it the same way (no prefix, empty, a NUL byte, unreadable): cordon could protect
// another directory than the one git uses.
std::optional<std::string> parse_git_pointer(const FsProbe& fs, const std::string& file,
                                             const std::string& prefix, const std::string& base) {
  auto text = fs.read_small(file, 4096);
  if (!text || text->rfind(prefix, 0) != 0) return std::nullopt;
  std::string target = text->substr(prefix.size());
  while (!target.empty() && (target.back() == '\n' || target.back() == '\r')) target.pop_back();
  if (target.empty() || target.find('\0') != std::string::npos) return std::nullopt;
  std::string joined = paths::is_absolute(target) ? paths::normalize(target) : paths::join(base, target);
  auto real = fs.realpath(joined);
  if (!real || fs.kind(*real) != FileKind::Dir) return std::nullopt;
  return *real;
}

// Entries the walk for protected names at depth reads before it stops (a budget, so a
// start-up cost is bounded on any tree: docs/benchmarks.md measures it).
constexpr size_t kWalkBudget = kLinuxWalkBudget;
constexpr int kWalkMaxDepth = 64;

class ProtectedCollector {
 public:
  ProtectedCollector(const Policy& policy, const FsProbe& fs, const std::string& home,
                     const std::string& xdg_config_home, const git_hooks::ConfigEnv& git_env, bool broker)
      : policy_(policy),
        fs_(fs),
        broker_(broker),
        home_(home),
        xdg_config_home_(xdg_config_home),
        git_env_(git_env),
        names_(defaults::protected_names_except(policy.unprotect)) {
    for (const auto& e : names_) by_name_.emplace(e.name, &e);
    for (const auto& n : defaults::depth_walk_skipped_names()) skipped_.insert(n);
  }

  void collect() {
    roots_ = policy_.write_roots();
    for (const auto& root : roots_) collect_root(root);
    for (const auto& root : roots_) {
      if (defaults::in_depth_walk_skipped(root)) {
        skipped_roots.push_back(root);  // a tool cache: nobody opens a tool inside it
        continue;
      }
      walk(root);
    }
    for (const auto& p : policy_.protect)
      if (in_any(p, roots_)) {
        add(p, "--protect", /*dir=*/true, /*placeholder=*/fs_.lkind(paths::parent(p)) == FileKind::Dir);
        pin_ancestors(p);
      }
    // The user's startup files and git config, when a writable root holds them.
    // Those under ~/.config are read from $XDG_CONFIG_HOME instead when it is set (git,
    // fish, systemd): protected at both places.
    const std::string config_prefix = ".config/";
    for (const auto& e : defaults::protected_home_entries()) {
      std::vector<std::string> at;
      if (paths::is_absolute(home_)) at.push_back(paths::join(home_, e.path));
      const std::string rel = e.path;
      if (paths::is_absolute(xdg_config_home_) && rel.rfind(config_prefix, 0) == 0)
        at.push_back(paths::join(xdg_config_home_, rel.substr(config_prefix.size())));
      for (const auto& path : at)
        if (in_any(path, roots_))
          add_blocking_absent_parents(path, kHomeEntryReason + std::string(e.why), e.directory);
    }
    // The files GIT_CONFIG_GLOBAL and GIT_CONFIG_SYSTEM name instead (git outside reads
    // them as the user's configuration), when a writable root holds them.
    for (const auto& f :
         git_hooks::base_config_files({"", policy_.workspace, home_, xdg_config_home_, git_env_}))
      if (in_any(f, roots_) && std::find(roots_.begin(), roots_.end(), f) == roots_.end())
        add_blocking_absent_parents(
            f, kHomeEntryReason + std::string("git configuration (GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM)"),
            false);
  }

  // cordon's own state/config, when a writable root contains it.
  void add_own(const std::string& path) {
    if (!in_any(path, roots_)) return;
    add_blocking_absent_parents(path, kOwnPathReason, true);
  }

  std::vector<Protected> protected_paths;
  std::vector<std::pair<std::string, std::string>> pins;  // path, reason
  std::vector<std::string> git_watch;
  std::vector<std::string> gitdirs;           // every existing git directory in a writable root
  std::vector<std::string> unparseable;       // git pointers not read as git reads them
  std::vector<std::string> guarded_pointers;  // .git files held by the broker, not a mount
  // Protected paths below a symbolic link inside a writable root: the command could
  // point the link elsewhere, so no mount can keep the path itself in place.
  std::vector<std::pair<std::string, std::string>> linked_ancestors;  // path, link
  std::vector<std::string> walk_truncated;                            // roots not walked to the end
  std::vector<std::string> skipped_roots;                             // tool caches: not searched
  size_t walked = 0;                                                  // entries read by the walk

 private:
  void add(const std::string& path, const std::string& reason, bool dir, bool placeholder = true) {
    if (seen_protected_.insert(path).second) protected_paths.push_back({path, reason, dir, placeholder});
  }

  void pin(const std::string& path, const std::string& reason) {
    if (seen_pins_.insert(path).second) pins.emplace_back(path, reason);
  }

  static std::string name_reason(const defaults::ProtectedName& e) {
    return std::string(e.read_by) + ": " + e.why;
  }

  const defaults::ProtectedName* protected_name(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }

  // Protected names below the top of a root, where they exist now (a sub/.vscode is read
  // by an editor opened in sub). Depth-first, without following links, within a budget;
  // not into .git (git's own, above) or tool caches (defaults::depth_walk_skipped_names),
  // nor into another writable root (walked on its own) or a protected name (read-only whole).
  void walk(const std::string& root) {
    std::vector<std::pair<std::string, int>> stack = {{root, 0}};
    while (!stack.empty()) {
      auto [dir, depth] = stack.back();
      stack.pop_back();
      const auto entries = fs_.list_typed(dir);
      if (depth > 0 && is_bare_repository(entries)) {
        // A bare repository (a local remote, origin.git): its hooks run when anyone pushes
        // into it, its config when git runs there. A git directory like any other.
        if (policy_.git != GitMode::Writable) {
          bare_.insert(dir);
          collect_gitdir(dir, root, 0);
        }
        continue;
      }
      for (const auto& e : entries) {
        if (++walked > kWalkBudget) {
          walk_truncated.push_back(root);
          return;
        }
        if (e.name == ".git") {
          // A nested repository (vendor/lib/.git): git run there later, outside, runs
          // its hooks and obeys its config exactly as the top one's.
          if (depth > 0) collect_dotgit(dir, root);
          continue;
        }
        if (const auto* name = protected_name(e.name)) {
          if (depth > 0) {
            const std::string path = paths::join(dir, e.name);
            add(path, name_reason(*name), name->directory, /*placeholder=*/false);
            pin_ancestors(path);
          }
          continue;
        }
        if (e.kind == FileKind::Dir && skipped_.count(e.name) && policy_.git != GitMode::Writable)
          repositories_in_cache(paths::join(dir, e.name), root);
        if (e.kind != FileKind::Dir || depth + 1 >= kWalkMaxDepth || skipped_.count(e.name)) continue;
        std::string path = paths::join(dir, e.name);
        if (std::find(roots_.begin(), roots_.end(), path) != roots_.end()) continue;
        stack.emplace_back(std::move(path), depth + 1);
      }
    }
  }

  // git takes a directory holding HEAD, objects/ and refs/ for a repository (setup.c
  // is_git_directory): a bare one when it is not a .git.
  static bool is_bare_repository(const std::vector<DirEntry>& entries) {
    bool head = false, objects = false, refs = false;
    for (const auto& e : entries) {
      head = head || (e.name == "HEAD" && e.kind == FileKind::File);
      objects = objects || (e.name == "objects" && e.kind == FileKind::Dir);
      refs = refs || (e.name == "refs" && e.kind == FileKind::Dir);
    }
    return head && objects && refs;
  }

  // A tool cache the walk does not enter (node_modules, .cargo, ...): a repository at its
  // first two levels (node_modules/pkg, node_modules/@scope/pkg: a git dependency checked
  // out with its .git, a bare mirror) is protected like any nested one; deeper ones are
  // not searched (docs/policy.md says so). Counted against the walk's budget.
  void repositories_in_cache(const std::string& cache, const std::string& root) {
    if (cache == paths::join(root, ".git")) return;  // the repository's own, collected already
    std::vector<std::pair<std::string, int>> stack = {{cache, 0}};
    while (!stack.empty()) {
      auto [dir, level] = stack.back();
      stack.pop_back();
      for (const auto& e : fs_.list_typed(dir)) {
        if (++walked > kWalkBudget) return;  // the main walk reports the budget
        if (e.kind != FileKind::Dir || e.name == ".git") continue;
        const std::string path = paths::join(dir, e.name);
        const auto inner = fs_.list_typed(path);
        walked += inner.size();
        if (is_bare_repository(inner)) {
          bare_.insert(path);
          collect_gitdir(path, root, 0);
          continue;
        }
        if (std::any_of(inner.begin(), inner.end(), [](const DirEntry& d) { return d.name == ".git"; }))
          collect_dotgit(path, root);
        else if (level == 0)
          stack.emplace_back(path, 1);
      }
    }
  }

  // `path` protected; when its parent directory is absent too (~/.config/systemd/user
  // without ~/.config/systemd), the outermost absent directory above it is blocked
  // instead (an empty read-only placeholder), so that the chain cannot be created.
  void add_blocking_absent_parents(const std::string& path, const std::string& reason, bool dir) {
    const std::string root = root_of(path);
    std::string target = path;
    while (paths::parent(target) != root && paths::is_within(paths::parent(target), root) &&
           fs_.lkind(paths::parent(target)) == FileKind::Missing)
      target = paths::parent(target);
    if (target != path) {
      add(target, reason + " (an absent directory above " + path + ")", true,
          fs_.lkind(paths::parent(target)) == FileKind::Dir);
    } else {
      add(path, reason, dir, fs_.lkind(paths::parent(path)) == FileKind::Dir);
    }
    pin_ancestors(target);
  }

  // The innermost writable root holding `p`.
  std::string root_of(const std::string& p) const {
    std::string best;
    for (const auto& r : roots_)
      if (paths::is_within(p, r) && r.size() > best.size()) best = r;
    return best;
  }

  // Every directory between its writable root and `p` becomes a mount point, which cannot
  // be renamed or removed (EBUSY): renaming a parent would carry the read-only bind away
  // and let the command create a fresh `p` in its place.
  // The walk depends only on p's parent and root, and the probe (a memo) answers alike
  // each time: siblings (thousands of --protect paths in a few directories) reuse the
  // first one's outcome instead of walking the same ancestors again.
  void pin_ancestors(const std::string& p) {
    const std::string root = root_of(p);
    if (root.empty()) return;
    std::string key = paths::parent(p);
    key.append(1, '\0').append(root);
    auto [at, first] = ancestor_walks_.try_emplace(std::move(key));
    if (first) at->second = walk_ancestors(p, root);
    if (!at->second.empty()) linked_ancestors.emplace_back(p, at->second);
  }

  // Pins every directory strictly between root and p, outermost first, up to the first
  // that is not a directory. Returns the symbolic link met on the way ("" when none).
  std::string walk_ancestors(const std::string& p, const std::string& root) {
    for (const auto& a : paths::ancestors(p)) {
      if (!paths::is_within(a, root) || a == root) continue;
      const FileKind k = fs_.lkind(a);
      if (k == FileKind::Symlink) return a;
      if (k != FileKind::Dir) return {};  // absent: nothing below exists to be carried away
      pin(a, kPinAboveProtectedReason);
    }
    return {};
  }

  void collect_root(const std::string& root) {
    for (const auto& e : names_) add(paths::join(root, e.name), name_reason(e), e.directory);
    if (policy_.git == GitMode::Writable) return;
    // No repository yet: `git init` must work inside the sandbox, so .git is not
    // blocked; what the sandbox puts in it is inspected after the run.
    if (!collect_dotgit(root, root)) git_watch.push_back(root);
  }

  // The repository whose worktree is `dir` (the top of `root`, or a directory below it
  // found by the walk), if it has one: false when `dir` has no .git.
  bool collect_dotgit(const std::string& dir, const std::string& root) {
    if (policy_.git == GitMode::Writable) return true;
    const std::string dotgit = paths::join(dir, ".git");
    switch (fs_.lkind(dotgit)) {
      case FileKind::Dir:
        collect_gitdir(dotgit, root, /*depth=*/0);
        return true;
      case FileKind::File: {
        // A .git file (worktree or submodule checkout): the pointer itself is as
        // dangerous as the config it leads to. Below the top, with the broker, it is held
        // by the broker instead of a mount (LinuxPlan::guarded_pointers): `git worktree
        // remove` deletes it, and its directory, which a mount would keep (EBUSY).
        if (broker_ && dotgit != paths::join(root, ".git")) {
          if (std::find(guarded_pointers.begin(), guarded_pointers.end(), dotgit) == guarded_pointers.end())
            guarded_pointers.push_back(dotgit);
        } else {
          add(dotgit, ".git pointer file", false);
          if (dotgit != paths::join(root, ".git")) pin_ancestors(dotgit);
        }
        if (auto gitdir = parse_git_pointer(fs_, dotgit, "gitdir: ", dir))
          collect_gitdir(*gitdir, root, 0, dir);
        else
          unparseable.push_back(dotgit);
        return true;
      }
      case FileKind::Symlink:
        add(dotgit, ".git symlink", false);
        if (auto real = fs_.realpath(dotgit)) collect_gitdir(*real, root, 0, dir);
        return true;
      default:
        return false;
    }
  }

  // What the configuration git reads for `gitdir` names as code, inside a writable root:
  // core.hooksPath directories, included files, the programs and scripts of command-valued
  // keys (git_hooks::code_files): read-only, and uncreatable where absent.
  // `worktree`: the checkout whose .git led here ("" when the gitdir was found otherwise).
  void protect_code_files(const std::string& gitdir, const std::string& root, const std::string& worktree) {
    // core.hooksPath: git runs hooks from there instead (a tracked .githooks, husky's .husky/_).
    // Relative values start at the worktree's top: the checkout whose .git file or link led
    // here (a submodule's sub/mod for .git/modules/sub/mod, a linked worktree's top for
    // .git/worktrees/<id> and for the common dir it names), else a .git's parent (a nested
    // repository's own), else the root.
    // A bare repository has no worktree: git runs its hooks, and takes relative values,
    // from the repository itself.
    const std::string top = bare_.count(gitdir)                 ? gitdir
                            : !worktree.empty()                 ? worktree
                            : paths::basename(gitdir) == ".git" ? paths::parent(gitdir)
                                                                : root;
    const auto code = git_hooks::code_files(fs_, {gitdir, top, home_, xdg_config_home_, git_env_});
    for (const auto& dir : code.hooks_dirs) {
      if (!in_any(dir, roots_)) continue;
      const std::string why = "git hooks (core.hooksPath) run code outside the sandbox";
      if (std::find(roots_.begin(), roots_.end(), dir) == roots_.end()) {
        add_blocking_absent_parents(dir, why, true);
        continue;
      }
      // The hooks directory is a writable root itself (hooksPath = .): its hooks, by name.
      for (const char* hook : git_hooks::kHookNames) add(paths::join(dir, hook), why, false);
    }
    // The files the configuration includes and the programs and scripts it names: code for
    // git as much as the config and the hooks are.
    for (const auto& f : code.includes)
      if (in_any(f, roots_) && std::find(roots_.begin(), roots_.end(), f) == roots_.end())
        add_blocking_absent_parents(f, "included by git config (can run code)", false);
    for (const auto& f : code.programs)
      if (in_any(f, roots_) && std::find(roots_.begin(), roots_.end(), f) == roots_.end() &&
          fs_.lkind(f) != FileKind::Dir)
        add_blocking_absent_parents(f, "a program or script git config runs", false);
    // A `..` in a value steps back out of the path before it (hooksPath = tools/../githooks):
    // that path stays what it is, a directory pinned in place, absent uncreatable, a link
    // refused (as any protected link), or the kernel's `..` leads where a link made there goes.
    for (const auto& p : code.through) {
      if (!in_any(p, roots_) || std::find(roots_.begin(), roots_.end(), p) != roots_.end()) continue;
      const std::string why = "a `..` in git config steps back out of it (git code paths resolve through it)";
      switch (fs_.lkind(p)) {
        case FileKind::Dir:
          pin(p, why);
          pin_ancestors(p);
          break;
        case FileKind::Missing:
          add_blocking_absent_parents(p, why, true);
          break;
        default:
          add(p, why, false);
          pin_ancestors(p);
          break;
      }
    }
  }

  // `worktree` as for protect_code_files: a gitdir met again from another checkout (a
  // submodule's, found first below .git/modules, then by the walk through sub/mod/.git) has
  // its configuration read again against that checkout's top.
  void collect_gitdir(const std::string& gitdir, const std::string& root, int depth,
                      const std::string& worktree = {}) {
    if (depth > 8) return;
    if (!in_any(gitdir, roots_)) {
      // Outside every root: read-only already. What its configuration names inside one is
      // not: a workspace that is a linked worktree of a repository elsewhere (git worktree
      // add ../feature) takes a relative hooksPath of the common config from its own top.
      protect_code_files(gitdir, root, worktree);
      const std::string commondir = paths::join(gitdir, "commondir");
      if (fs_.lkind(commondir) == FileKind::File)
        if (auto common = parse_git_pointer(fs_, commondir, "", gitdir); common && *common != gitdir)
          collect_gitdir(*common, root, depth + 1, worktree);
      return;
    }
    if (policy_.git == GitMode::ReadOnly) {
      add(gitdir, "--git read-only", true, false);
      // The gitdir is read-only whole; what its configuration names outside it (a tracked
      // hooksPath, an included file, a filter's script) is not, unless protected here too.
      protect_code_files(gitdir, root, worktree);
      // A linked worktree's common dir (its config, hooks, refs and objects) is as read-only
      // as in the main worktree, also where the walk does not reach it, and its
      // configuration is read against this worktree's top.
      follow_commondir(gitdir, root, depth, worktree);
      return;
    }
    pin_chain(root, gitdir);
    // A linked worktree's gitdir (worktrees/<id> with a commondir) is not pinned with the
    // broker: `git worktree remove` and `prune` delete it. The broker refuses to rename it
    // (rename_refused) and holds what is made in it to the allowlist by its path, with no
    // commondir or config.worktree made or written there (git_layout: a plan gitdir).
    const bool removable = removable_worktree_gitdir(gitdir);
    if (!removable) pin(gitdir, "keeps .git from being renamed away");
    if (std::find(gitdirs.begin(), gitdirs.end(), gitdir) == gitdirs.end()) gitdirs.push_back(gitdir);
    add(paths::join(gitdir, "hooks"), "git hooks run code outside the sandbox", true);
    add(paths::join(gitdir, "config"), "git config can run code (core.fsmonitor, filters, aliases)", false);
    protect_code_files(gitdir, root, worktree);
    // Linked worktree gitdirs name the common dir whose hooks and config apply: the
    // pointer is as dangerous as what it leads to.
    const std::string commondir = paths::join(gitdir, "commondir");
    const FileKind common_kind = fs_.lkind(commondir);
    if (common_kind == FileKind::File && !removable)
      add(commondir, "names the git directory whose hooks and config apply", false, false);
    follow_commondir(gitdir, root, depth, worktree);
    // config.worktree: with the broker, written only through its checked rename of
    // config.worktree.lock (git sparse-checkout), so no bind (a rename over one is EBUSY).
    if (fs_.lkind(paths::join(gitdir, "config.worktree")) == FileKind::File && !broker_)
      add(paths::join(gitdir, "config.worktree"), "per-worktree git config", false, false);
    for (const char* sub : {"worktrees", "modules"}) {
      const std::string dir = paths::join(gitdir, sub);
      if (fs_.lkind(dir) != FileKind::Dir) continue;
      pin(dir, "keeps nested gitdirs in place");
      for (const auto& name : fs_.list(dir)) collect_nested(paths::join(dir, name), root, depth + 1);
    }
  }

  // The common dir a linked worktree's gitdir names is collected like any gitdir: its
  // configuration applies to this worktree, and its relative hooksPath starts at this
  // worktree's top.
  void follow_commondir(const std::string& gitdir, const std::string& root, int depth,
                        const std::string& worktree) {
    const std::string commondir = paths::join(gitdir, "commondir");
    if (fs_.lkind(commondir) == FileKind::Missing) return;
    if (auto common = parse_git_pointer(fs_, commondir, "", gitdir)) {
      if (*common != gitdir) collect_gitdir(*common, root, depth + 1, worktree);
    } else {
      unparseable.push_back(commondir);
    }
  }

  // With the broker, a linked worktree's gitdir (<gitdir>/worktrees/<id>, holding a
  // commondir file) is left removable: see collect_gitdir.
  bool removable_worktree_gitdir(const std::string& gitdir) const {
    return broker_ && paths::basename(paths::parent(gitdir)) == "worktrees" &&
           fs_.lkind(paths::join(gitdir, "commondir")) == FileKind::File;
  }

  // Submodule gitdirs nest: modules/a/modules/b. A directory is a gitdir when it
  // has HEAD; otherwise it may be a path component of a submodule name (a/b).
  void collect_nested(const std::string& dir, const std::string& root, int depth) {
    if (depth > 8 || fs_.lkind(dir) != FileKind::Dir) return;
    if (fs_.lkind(paths::join(dir, "HEAD")) == FileKind::File) {
      if (!removable_worktree_gitdir(dir)) pin(dir, "keeps a nested gitdir in place");
      collect_gitdir(dir, root, depth);
      return;
    }
    pin(dir, "keeps a nested gitdir in place");
    for (const auto& name : fs_.list(dir)) collect_nested(paths::join(dir, name), root, depth + 1);
  }

  // Every directory strictly between a root and a protected path is pinned, so the
  // protected path cannot be moved aside by renaming a parent.
  void pin_chain(const std::string& root, const std::string& inner) {
    for (const auto& a : paths::ancestors(inner))
      if (paths::is_within(a, root) && a != root) pin(a, "keeps protected paths in place");
  }

  const Policy& policy_;
  const FsProbe& fs_;
  const bool broker_;  // LinuxPlan::creation_broker
  const std::string home_;
  const std::string xdg_config_home_;
  const git_hooks::ConfigEnv git_env_;
  const std::vector<defaults::ProtectedName> names_;
  std::unordered_map<std::string, const defaults::ProtectedName*> by_name_;
  std::unordered_set<std::string> skipped_;
  std::unordered_set<std::string> bare_;  // bare repositories the walk found
  std::vector<std::string> roots_;
  std::unordered_set<std::string> seen_protected_, seen_pins_;
  // pin_ancestors(): parent '\0' root -> the symbolic link its walk met ("" when none).
  std::unordered_map<std::string, std::string> ancestor_walks_;
};

// Landlock read rules that cover everything except the denied paths: Landlock can
// only allow, so the complement is enumerated along the ancestors of each denial.
// Sets keep it linear in the number of denials (thousands of --deny-read paths).
class ReadComplement {
 public:
  ReadComplement(const std::vector<std::string>& denied, const FsProbe& fs) : fs_(fs) {
    for (const auto& d : denied) {
      denied_.insert(d);
      for (auto& a : paths::ancestors(d)) ancestors_.insert(std::move(a));
    }
  }
  void add(const std::string& dir, std::vector<LandlockRule>& rules, int depth = 0) const {
    if (denied_.count(dir)) return;
    if (!ancestors_.count(dir) || depth > 32) {
      rules.push_back({dir, landlock::kRead});
      return;
    }
    // Listing an ancestor stays possible (names only); file contents below are not.
    rules.push_back({dir, landlock::kReadDir | landlock::kExecute});
    // A symbolic link gets no rule: the applier opens a rule's path following links, so a
    // rule for `~/keys -> .ssh` would grant the denied directory itself. Landlock checks the
    // object a path resolves to, so a link's target is covered (or not) by its own rule.
    // The whole listing and each entry's own lstat, not a typed listing: a warm server's
    // record (plan/fs_record.hpp) compares typed listings only by what the walk for
    // protected names uses of them, and here every name and kind counts (a new file needs
    // its rule; a file swapped for a link must lose it).
    for (const auto& name : fs_.list(dir)) {
      const std::string path = paths::join(dir, name);
      if (fs_.lkind(path) != FileKind::Symlink) add(path, rules, depth + 1);
    }
  }

 private:
  const FsProbe& fs_;
  std::unordered_set<std::string> denied_, ancestors_;
};

// realpath() with the parent directories memoised: a path that is not itself a
// symlink resolves to its parent's real path plus its name.
class RealPaths {
 public:
  explicit RealPaths(const FsProbe& fs) : fs_(fs) {}
  std::optional<std::string> resolve(const std::string& p) {
    if (p == "/") return p;
    if (fs_.lkind(p) == FileKind::Symlink) return fs_.realpath(p);
    const std::string parent = paths::parent(p);
    auto it = memo_.find(parent);
    if (it == memo_.end()) it = memo_.emplace(parent, fs_.realpath(parent)).first;
    if (!it->second) return std::nullopt;
    return paths::join(*it->second, paths::basename(p));
  }

 private:
  const FsProbe& fs_;
  std::unordered_map<std::string, std::optional<std::string>> memo_;
};

// Debuggers and sanitizers (gdb, strace, LeakSanitizer) trace the command's own processes.
// Allowed when the kernel keeps every tracee inside this run: the sandbox's pid namespace
// (nothing outside has a pid there; its init is non-dumpable and the command holds no
// capability) or the run's Landlock domain (ptrace reaches only processes in the same or a
// nested domain: neither cordon nor any host process nor another run). A tracee has the
// tracer's seccomp filter and domain, so whatever it is made to do it could do itself; the
// broker reads a call's memory once and acts on that copy, and since Linux 4.8 seccomp runs
// after the tracer's syscall-entry stop, so a tracer cannot change a checked call. With
// neither (no user namespaces and no Landlock) it stays refused: cordon itself would be in
// reach. docs/architecture.md, "Debuggers and sanitizers".
std::vector<SeccompRule> tracing_seccomp_rules(bool confined) {
  if (confined) return {};
  const char* why =
      "no debugging without a pid namespace or Landlock (cordon and host processes would be "
      "in reach)";
  std::vector<SeccompRule> r;
  for (const char* s : {"ptrace", "process_vm_writev", "process_vm_readv"})
    r.push_back({s, kEperm, ArgCheck::None, 0, 0, 0, why});
  return r;
}

std::vector<SeccompRule> seccomp_rules(const Policy& policy, bool namespaces, bool host_proxy) {
  std::vector<SeccompRule> r;
  auto deny = [&](const char* name, const char* reason) {
    r.push_back({name, kEperm, ArgCheck::None, 0, 0, 0, reason});
  };
  // Calls that reach into another process without ptrace: each passes the same ptrace
  // access check, which the sandbox's init also fails (it is non-dumpable); refused
  // here as well so that no single mechanism is all that stands (docs/architecture.md).
  deny("pidfd_getfd", "no taking a copy of another process's descriptor");
  deny("kcmp", "no probing another process's descriptors and memory for sharing");
  deny("process_madvise", "no advising or reclaiming another process's memory");
  deny("process_mrelease", "no reaping another process's memory");
  deny("get_robust_list", "no reading another process's futex list address (an ASLR leak)");
  r.push_back({"ioctl", kEperm, ArgCheck::MaskedEq, 1, 0xffffffffULL, kTiocsti,
               "TIOCSTI: no typing into a terminal"});
  r.push_back(
      {"ioctl", kEperm, ArgCheck::MaskedEq, 1, 0xffffffffULL, kTioclinux, "TIOCLINUX: no console injection"});
  for (const char* s : {"keyctl", "add_key", "request_key"}) deny(s, "the kernel keyring holds credentials");
  deny("bpf", "kernel attack surface, and can observe the host");
  deny("perf_event_open", "side channels and kernel attack surface");
  deny("userfaultfd", "a common kernel-exploit primitive");
  for (const char* s : {"io_uring_setup", "io_uring_enter", "io_uring_register"})
    deny(s, "io_uring performs I/O that bypasses seccomp");
  for (const char* s : {"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig",
                        "fsmount", "fspick", "mount_setattr"})
    deny(s, "the filesystem view is fixed once the sandbox starts");
  r.push_back({"clone", kEperm, ArgCheck::MaskedEq, 0, kCloneNewUser, kCloneNewUser,
               "no new user namespaces (they grant capabilities)"});
  r.push_back({"unshare", kEperm, ArgCheck::MaskedEq, 0, kCloneNewUser, kCloneNewUser,
               "no new user namespaces (they grant capabilities)"});
  r.push_back({"clone3", kEnosys, ArgCheck::None, 0, 0, 0,
               "clone3 flags cannot be inspected; ENOSYS makes libc fall back to clone"});
  deny("setns", "no joining other namespaces");
  // S_ISUID and S_ISGID (the planner is pure, and built for other hosts too).
  constexpr uint64_t kSetUserId = 04000, kSetGroupId = 02000;
  // A set-user-id or set-group-id file made inside (owned by the user, or by root when
  // cordon runs as root) is honoured outside, where the writable roots are not nosuid:
  // anyone who can run it would run it as its owner. The bits are a register: BPF.
  for (const auto& [call, arg] : {std::pair{"chmod", 1U}, std::pair{"fchmod", 1U}, std::pair{"fchmodat", 2U},
                                  std::pair{"fchmodat2", 2U}})
    for (uint64_t bit : {kSetUserId, kSetGroupId})
      r.push_back({call, kEperm, ArgCheck::MaskedEq, arg, bit, bit,
                   "no set-user-id or set-group-id files (they would run as their owner outside)"});
  for (const char* s : {"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load"})
    deny(s, "no kernel modules or kexec");
  for (auto& rule : network_seccomp_rules(policy, namespaces, host_proxy)) r.push_back(std::move(rule));
  return r;
}

std::string join_list(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string review_overlay_options(const std::string& lower, const std::string& upper,
                                   const std::string& work) {
  auto escaped = [](const std::string& path) {
    std::string out;
    for (char c : path) {
      if (c == '\\' || c == ',' || c == ':') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  };
  // userxattr: the overlay's own attributes in the user. namespace, which an overlay
  // mounted in a user namespace needs (Linux 5.11).
  return "lowerdir=" + escaped(lower) + ",upperdir=" + escaped(upper) + ",workdir=" + escaped(work) +
         ",userxattr";
}

std::string resolv_conf_for_asking(int ask_timeout_seconds) {
  constexpr int kMaxTimeout = 30;  // glibc's RES_MAXRETRANS
  constexpr int kMaxAttempts = 5;  // glibc's RES_MAXRETRY
  // The margin: the question is shown after the command's earlier output and a pause
  // for the terminal's replies (ask.cpp), and the lookup is answered after the grant.
  const int wait = std::clamp(ask_timeout_seconds, 0, kMaxTimeout * kMaxAttempts) + 5;
  const int attempts = std::min((wait + kMaxTimeout - 1) / kMaxTimeout, kMaxAttempts);
  const int timeout = std::min((wait + attempts - 1) / attempts, kMaxTimeout);
  // The name server named, not left to the default (127.0.0.1 all the same): an options
  // line alone reads as a configuration that forgot it.
  return "# cordon run --ask: cordon's name server asks about names that are not allowed;\n"
         "# wait for the answer.\n"
         "nameserver 127.0.0.1\n"
         "options timeout:" +
         std::to_string(timeout) + " attempts:" + std::to_string(attempts) + "\n";
}

Result<LinuxPlan> plan_linux(const Policy& policy, const LinuxHostCaps& caps, const FsProbe& disk,
                             const LinuxPlanInputs& inputs) {
  // Every question below is put to the disk once (plan/fs_memo.hpp): thousands of protected
  // or denied paths share their parents.
  const MemoFsProbe fs(disk);
  LinuxPlan plan;
  plan.report = linux_guarantees(policy, caps);
  plan.report.platform = "linux";
  if (policy.mode == Mode::FullAccess) {
    plan.sandbox = LinuxSandbox::None;
    plan.new_netns = false;
    plan.limits = plan_limits(policy.limits, caps, false);
    return plan;
  }
  plan.sandbox = caps.userns ? LinuxSandbox::Namespaces : LinuxSandbox::LandlockOnly;
  plan.new_netns = plan.sandbox == LinuxSandbox::Namespaces && policy.net.mode != NetMode::On;
  const bool host_proxy = host_proxy_supported(caps.landlock_abi, caps.seccomp);
  plan.net = plan_network(policy, plan.sandbox == LinuxSandbox::Namespaces, host_proxy, inputs.host_proxy);
  plan.limits = plan_limits(policy.limits, caps, plan.sandbox == LinuxSandbox::Namespaces);

  // Refuse what cannot be guaranteed unless best effort was asked for by name.
  // (plan/require.hpp: the gate shared with the limits and the Windows planners.)
  if (auto st = require_enforceable(losses_of(plan.report), policy.best_effort); !st) return st.error();

  auto& rules = plan.report.rules;
  const auto roots = policy.write_roots();
  const bool ns = plan.sandbox == LinuxSandbox::Namespaces;
  plan.creation_broker = ns && caps.seccomp && caps.openat2 && policy.mode != Mode::FullAccess;
  // cordon's state is hidden inside; a workspace or root within it would be hidden too.
  if (!inputs.state_root.empty()) {
    std::vector<std::string> visible = roots;
    visible.push_back(policy.workspace);
    for (const auto& r : visible)
      if (paths::is_within(r, inputs.state_root))
        return usage_error("state",
                           "'" + r + "' lies inside cordon's state directory '" + inputs.state_root +
                               "', which the sandbox cannot see",
                           "work in a directory outside it");
  }
  const std::string fs_mech = ns ? "mount namespace" : "landlock";

  // --- writable roots -------------------------------------------------------------
  rules.push_back({"read", "/", "read-only", ns ? "read-only bind of the root + landlock" : "landlock", ""});
  for (const auto& root : roots) {
    if (ns) plan.mounts.push_back({MountKind::BindWritable, root, root, "writable root"});
    rules.push_back({"write", root, "read-write", ns ? "bind mount + landlock" : "landlock", ""});
  }
  if (ns && !inputs.review_upper.empty() &&
      std::find(roots.begin(), roots.end(), policy.workspace) != roots.end()) {
    plan.review = ReviewOverlay{
        policy.workspace, review_overlay_options(policy.workspace, inputs.review_upper, inputs.review_work)};
    rules.push_back({"write", policy.workspace, "staged (--review)",
                     "overlay: writes go to the change set, the workspace is its read-only lower layer", ""});
  }
  for (const auto& r : inputs.review_roots) {
    if (!ns || !plan.review || r.root == policy.workspace ||
        std::find(roots.begin(), roots.end(), r.root) == roots.end())
      return usage_error("--review-all", "'" + r.root + "' is not a writable root of this run",
                         "stage only --writable roots, with --review");
    plan.review_roots.push_back({r.root, review_overlay_options(r.root, r.upper, r.work)});
    rules.push_back({"write", r.root, "staged (--review-all)",
                     "overlay: writes go to the change set, the root is its read-only lower layer", ""});
  }

  // A read-only workspace under /tmp would be hidden by the private /tmp (or made
  // writable by --tmp host): bind it back read-only on top.
  if (ns && policy.mode == Mode::ReadOnly && paths::is_within(policy.workspace, "/tmp") &&
      policy.workspace != "/tmp")
    plan.mounts.push_back({MountKind::BindVisibleReadOnly, policy.workspace, policy.workspace,
                           "read-only workspace under /tmp"});

  // --- temp -------------------------------------------------------------------------
  std::string tmp_writable;
  switch (policy.tmp) {
    case TmpMode::Private:
      if (ns) {
        plan.mounts.push_back(
            {MountKind::Tmp, "/tmp", inputs.private_tmp, "private temp, persists across runs"});
        plan.tmpdir = "/tmp";
        tmp_writable = "/tmp";
        rules.push_back(
            {"write", "/tmp", "read-write (private: " + inputs.private_tmp + ")", "bind mount", ""});
      } else {
        plan.tmpdir = inputs.private_tmp;
        tmp_writable = inputs.private_tmp;
        rules.push_back(
            {"write", inputs.private_tmp, "read-write ($TMPDIR; /tmp stays read-only)", "landlock", ""});
      }
      break;
    case TmpMode::Host:
      if (ns) plan.mounts.push_back({MountKind::Tmp, "/tmp", "host", "shared host /tmp (--tmp host)"});
      plan.tmpdir = "/tmp";
      tmp_writable = "/tmp";
      rules.push_back({"write", "/tmp", "read-write (host /tmp)", ns ? "bind mount" : "landlock", ""});
      break;
    case TmpMode::None:
      if (ns)
        plan.mounts.push_back({MountKind::Tmp, "/tmp", "", "no temp (--tmp none): empty read-only /tmp"});
      rules.push_back({"write", "/tmp", "none", ns ? "empty read-only tmpfs" : "landlock", ""});
      break;
  }
  if (policy.mode == Mode::ReadOnly && policy.tmp != TmpMode::None && ns) {
    // read-only mode keeps a writable temp: compilers and test runners need one.
  }

  // --- protected paths ------------------------------------------------------------
  ProtectedCollector pc(policy, fs, inputs.home, inputs.xdg_config_home, inputs.git_config_env,
                        plan.creation_broker);
  pc.collect();
  for (const auto& own : inputs.own_paths) pc.add_own(own);
  plan.git_watch = pc.git_watch;
  plan.gitdirs = pc.gitdirs;
  plan.guarded_pointers = pc.guarded_pointers;
  for (const auto& p : plan.guarded_pointers)
    rules.push_back({"protect", p,
                     "cannot be written (may be removed; a .git made in its place is checked after the run)",
                     "cordon's broker (refuses writes to the file; records .git files made)",
                     ".git pointer file: names the git directory whose hooks and config apply"});
  if (!pc.gitdirs.empty() && !plan.creation_broker && policy.git == GitMode::ConfigOnly)
    plan.report.notes.push_back(
        "git directories: only hooks/ and config are kept read-only; the allowlist of git's everyday data "
        "(no commondir, config.worktree, info/attributes or unknown names made) needs cordon's creation "
        "broker (namespaces, seccomp and openat2)");
  if (plan.creation_broker)
    for (const auto& g : plan.gitdirs)
      rules.push_back({"protect", g, "only git's everyday data may be made, written or renamed to",
                       "cordon's broker (an allowlist: objects, refs, logs, index, HEAD, state files)",
                       "git runs hooks and obeys config and pointers found here (gitrepository-layout(5))"});
  for (const auto& file : pc.unparseable) {
    if (!ns) break;  // nothing in git directories is protected there anyway
    if (!policy.best_effort)
      return usage_error("protect",
                         "'" + file + "' is a git pointer cordon cannot read the way git does (" +
                             "\"gitdir: PATH\" or a path to an existing directory expected)",
                         "fix or remove it outside the sandbox, or --best-effort to run without protecting "
                         "the git directory it names");
    plan.report.notes.push_back("not protected (a git pointer cordon cannot read as git does): " + file);
  }
  for (const auto& [path, link] : pc.linked_ancestors) {
    if (!ns) break;  // nothing is protected there anyway (reported below)
    if (!policy.best_effort)
      return usage_error("protect",
                         "'" + link + "' is a symbolic link above the protected path '" + path +
                             "'; the command could point it elsewhere",
                         "replace the link with the real directory, pass --unprotect NAME for a built-in "
                         "name you do not need, or --best-effort to run without this protection");
    plan.report.notes.push_back("not protected (below the symbolic link " + link + "): " + path);
  }
  for (const auto& root : pc.walk_truncated)
    plan.report.notes.push_back("protected names were searched in only part of " + root + " (the first " +
                                std::to_string(kWalkBudget) + " entries): deeper ones are not protected");
  if (!pc.walk_truncated.empty())
    for (auto& g : plan.report.guarantees)
      if (g.name == "protected paths" && g.state == GuaranteeState::Enforced) {
        g.state = GuaranteeState::Degraded;
        g.detail = "the writable roots hold more than " + std::to_string(kWalkBudget) +
                   " entries: protected names below the part searched are writable";
        g.fix = "make the workspace smaller, or --protect the paths that matter";
      }
  for (const auto& root : pc.skipped_roots)
    rules.push_back({"protect", root, "names below the top not searched (a tool cache)", "none",
                     "defaults::depth_walk_skipped_names"});
  for (const auto& name : policy.unprotect)
    for (const auto& root : roots)
      rules.push_back({"protect", paths::join(root, name), "writable (--unprotect)", "none",
                       "a built-in protected name, dropped by --unprotect"});
  if (ns) {
    // Outermost first: a pin attached after a deeper one would cover it (it is cloned
    // from the root's detached copy), leaving the deeper directory renamable.
    std::vector<std::pair<std::string, std::string>> pins = pc.pins;
    std::stable_sort(pins.begin(), pins.end(), [](const auto& a, const auto& b) {
      return std::count(a.first.begin(), a.first.end(), '/') <
             std::count(b.first.begin(), b.first.end(), '/');
    });
    for (const auto& [path, reason] : pins) {
      if (fs.lkind(path) != FileKind::Dir) continue;
      plan.mounts.push_back({MountKind::Pin, path, path, reason});
    }
    for (const auto& p : pc.protected_paths) {
      FileKind k = fs.lkind(p.path);
      if (k == FileKind::Symlink) {
        // A bind would land on the link's target while the link itself stays
        // replaceable; refuse rather than pretend.
        if (!policy.best_effort)
          return usage_error(
              "protect", "'" + p.path + "' is a symbolic link; cordon cannot keep it read-only",
              "replace the link with the real directory, pass --unprotect " + paths::basename(p.path) +
                  " if it is a built-in name you do not need, or --best-effort to run without "
                  "this protection");
        plan.report.notes.push_back("not protected (symbolic link): " + p.path);
        continue;
      }
      if (k == FileKind::Missing) {
        if (!p.may_create_placeholder || fs.lkind(paths::parent(p.path)) != FileKind::Dir) continue;
        if (plan.creation_broker) {
          // No trace in the user's directory: cordon performs every call that makes a
          // name, and refuses this one (platform/linux/create_broker.hpp).
          plan.refused_creations.push_back({p.path, p.reason});
          rules.push_back({"protect", p.path, "absent: cannot be created",
                           "cordon's broker (every name is created by cordon, this one refused)", p.reason});
          continue;
        }
        plan.placeholders.push_back({p.path, p.directory_if_missing});
        rules.push_back({"protect", p.path, "read-only (absent: empty placeholder blocks creation)",
                         "read-only bind mount", p.reason});
      } else {
        rules.push_back({"protect", p.path, "read-only", "read-only bind mount", p.reason});
      }
      plan.mounts.push_back({MountKind::BindReadOnly, p.path, p.path, p.reason});
    }
    for (const auto& [path, reason] : pc.pins)
      rules.push_back({"protect", path, "cannot be renamed or removed", "pinned bind mount", reason});
  } else {
    for (const auto& p : pc.protected_paths)
      rules.push_back({"protect", p.path, "NOT protected (writable like its root)",
                       "none (no mount namespace)", p.reason});
  }
  for (const auto& root : plan.git_watch)
    rules.push_back({"protect", paths::join(root, ".git"),
                     "absent: a repository created in the sandbox is checked after the run",
                     "post-run inspection",
                     "git init must work; hooks and code-running config are neutralised"});

  // --- secrets and host IPC -----------------------------------------------------------
  std::vector<std::string> denied;
  std::unordered_map<std::string, FileKind> denied_kind;  // one stat per path
  RealPaths real_paths(fs);
  for (const auto& d : policy.deny_read) {
    FileKind k = fs.kind(d);
    if (k == FileKind::Missing) continue;
    denied.push_back(d);
    denied_kind[d] = k;
    if (auto real = real_paths.resolve(d); real && *real != d) {
      denied.push_back(*real);
      denied_kind[*real] = k;
    }
  }
  std::sort(denied.begin(), denied.end());
  denied.erase(std::unique(denied.begin(), denied.end()), denied.end());
  // --allow-read exceptions inside a denied directory (deny ~/.aws, allow ~/.aws/config).
  std::vector<std::string> exceptions;
  for (const auto& a : policy.allow_read)
    if (fs.kind(a) != FileKind::Missing &&
        std::any_of(denied.begin(), denied.end(),
                    [&](const std::string& d) { return paths::is_within(a, d) && a != d; }))
      exceptions.push_back(a);
  // A masked file that also holds settings (~/.npmrc) is shown filtered where a mount can
  // put the copy there; Landlock then reads it like any other file.
  std::vector<std::string> filtered;
  for (const auto& d : denied) {
    std::vector<std::string> inside;
    for (const auto& a : exceptions)
      if (paths::is_within(a, d)) inside.push_back(a);
    auto copy = std::find_if(inputs.filtered_secrets.begin(), inputs.filtered_secrets.end(),
                             [&](const LinuxPlanInputs::FilteredSecret& f) { return f.path == d; });
    if (ns && copy != inputs.filtered_secrets.end() && denied_kind[d] == FileKind::File &&
        fs.lkind(d) == FileKind::File) {
      MountStep m{MountKind::FilteredFile, d, "", "secret entries removed"};
      m.text = copy->text;
      plan.mounts.push_back(m);
      filtered.push_back(d);
      std::string removed;
      for (const auto& k : copy->removed) removed += (removed.empty() ? "" : ", ") + k;
      rules.push_back(
          {"filter-read", d, "its settings only (read-only copy)", "a filtered copy mounted over it",
           "removed: " + (removed.empty() ? std::string("nothing (no secret entry found)") : removed)});
      continue;
    }
    if (ns) {
      MountStep m{denied_kind[d] == FileKind::Dir ? MountKind::MaskDir : MountKind::MaskFile, d, "",
                  "secret"};
      m.reexpose = inside;
      plan.mounts.push_back(m);
    }
    rules.push_back({"deny-read", d, "unreadable",
                     ns ? "masked (empty read-only mount) + landlock" : "landlock", "secret"});
    for (const auto& a : inside)
      rules.push_back({"allow-read", a, "readable (exception)",
                       ns ? "read-only bind inside the mask + landlock" : "landlock", "--allow-read"});
  }
  if (ns) {
    std::vector<std::string> ipc;
    for (auto p : defaults::host_ipc_paths()) {
      if (auto pos = p.find("{uid}"); pos != std::string::npos) p.replace(pos, 5, std::to_string(caps.uid));
      ipc.push_back(p);
    }
    ipc.insert(ipc.end(), caps.ipc_sockets.begin(), caps.ipc_sockets.end());
    for (const auto& p : ipc) {
      if (std::any_of(denied.begin(), denied.end(),
                      [&](const std::string& d) { return paths::is_within(p, d); }))
        continue;
      if (policy.tmp != TmpMode::Host && paths::is_within(p, "/tmp")) continue;  // /tmp is private already
      FileKind k = fs.kind(p);
      if (k == FileKind::Missing) continue;
      MountKind mk = k == FileKind::Dir ? MountKind::EmptyWritableDir : MountKind::MaskFile;
      plan.mounts.push_back({mk, p, "", "host IPC endpoint"});
      rules.push_back({"deny-ipc", p,
                       k == FileKind::Dir ? "replaced by an empty private directory" : "masked",
                       "mount namespace", "host services could run commands outside the sandbox"});
    }
  }

  // Network off in its own namespace: every resolver asks 127.0.0.1:53 when resolv.conf
  // names no server (glibc, musl, Go, c-ares), and there cordon's supervisor answers
  // "no such name" (platform/linux/dns_refuser.hpp), so a lookup fails at once and for
  // good instead of as a temporary failure that package managers retry for minutes.
  // With the proxy in a namespace the same name server answers the allowed names with
  // addresses of the direct route (platform/linux/direct_route.hpp) and every other name
  // "no such name": lookups never leave cordon for a name that is not allowed.
  const bool proxied_in_ns = plan.new_netns && plan.net.proxied && !plan.net.on_host;
  if (plan.new_netns && (policy.net.mode == NetMode::Off || proxied_in_ns)) {
    if (auto real = fs.realpath("/etc/resolv.conf"); real && fs.kind(*real) == FileKind::File) {
      if (proxied_in_ns && inputs.ask_timeout_seconds > 0) {
        // --ask: the same name server, asking about a name that is not allowed; the
        // resolver inside is told to wait for the answer instead of giving up after 10 s.
        MountStep m{MountKind::FilteredFile, *real, "", "proxied network: cordon's name server, asking"};
        m.text = resolv_conf_for_asking(inputs.ask_timeout_seconds);
        plan.mounts.push_back(std::move(m));
        rules.push_back({"network", "DNS",
                         "allowed names: addresses of cordon's direct route; other names: asked (--ask)",
                         *real + " naming 127.0.0.1 with a long timeout + cordon's answer on the "
                                 "sandbox's 127.0.0.1:53",
                         "lookups of names that are not allowed never leave cordon unless granted"});
      } else if (proxied_in_ns) {
        plan.mounts.push_back({MountKind::MaskFile, *real, "", "proxied network: cordon's name server"});
        rules.push_back({"network", "DNS",
                         "allowed names: addresses of cordon's direct route; every other name: no such host",
                         "empty " + *real + " + cordon's answer on the sandbox's 127.0.0.1:53",
                         "lookups of names that are not allowed never leave cordon"});
      } else {
        plan.mounts.push_back({MountKind::MaskFile, *real, "", "network off: no name server"});
        rules.push_back({"network", "DNS", "every name: no such host (NXDOMAIN)",
                         "empty " + *real + " + cordon's answer on the sandbox's 127.0.0.1:53",
                         "lookups fail at once instead of being retried"});
      }
    }
  }

  // Without a mount namespace nothing can carve a secret out of a writable root that
  // contains it (Landlock rules only add up): say so instead of claiming it.
  if (!ns) {
    std::vector<std::string> exposed;
    for (const auto& d : denied)
      if (in_any(d, roots) || (policy.tmp == TmpMode::Host && paths::is_within(d, "/tmp")))
        exposed.push_back(d);
    if (!exposed.empty())
      for (auto& g : plan.report.guarantees)
        if (g.name == "secret denial" && g.state == GuaranteeState::Enforced) {
          g.state = GuaranteeState::Degraded;
          g.detail = "inside a writable root, readable without a mount namespace: " + join_list(exposed);
          g.fix = "keep secrets outside the writable roots, or enable user namespaces";
        }
  }

  // --- cordon's own state --------------------------------------------------------------
  // Every workspace's private /tmp, the locks and the placeholder ledgers: another
  // workspace's run must not read them (nor list which workspaces exist). This run's
  // own private /tmp stays reachable: as /tmp (namespaces; its source was cloned before
  // the mask, mounts.cpp step 2) or by its own path (Landlock only: a writable rule
  // beneath the excluded state root).
  std::vector<std::string> landlock_denied;
  for (const auto& d : denied)
    if (std::find(filtered.begin(), filtered.end(), d) == filtered.end()) landlock_denied.push_back(d);
  if (!inputs.state_root.empty()) {
    const std::string& state = inputs.state_root;
    // Under a private or empty /tmp the host's state path does not exist inside.
    const bool visible = !ns || policy.tmp == TmpMode::Host || !paths::is_within(state, "/tmp");
    if (visible) {
      const char* why = "cordon's state: every workspace's private /tmp, locks and placeholder ledgers";
      if (ns) plan.mounts.push_back({MountKind::MaskDir, state, "", why});
      rules.push_back({"hide", state, "unreadable" + std::string(ns ? "" : " (names stay listable)"),
                       ns ? "masked (empty read-only mount) + landlock" : "landlock", why});
      landlock_denied.push_back(state);
      if (auto real = real_paths.resolve(state); real && *real != state) landlock_denied.push_back(*real);
      // Without a mount namespace a writable root (or a shared /tmp) that contains the
      // state grants it whole: Landlock rules only add up.
      std::vector<std::string> writable = roots;
      if (!tmp_writable.empty() && tmp_writable != inputs.private_tmp) writable.push_back(tmp_writable);
      if (!ns && in_any(state, writable))
        for (auto& g : plan.report.guarantees)
          if (g.name == "cordon's state hidden" && g.state != GuaranteeState::Missing) {
            g.state = GuaranteeState::Missing;
            g.detail = "'" + state + "' lies inside a writable root; Landlock cannot carve it out";
            g.fix = "set XDG_STATE_HOME outside the writable roots, or enable user namespaces";
          }
    }
  }

  // --- kernel settings ----------------------------------------------------------------
  // The fresh /proc of the pid namespace is writable where its files' modes allow it;
  // for uid 0 mapped onto itself, sysctl checks are mode-based, so /proc/sys would
  // accept writes of host kernel settings. bubblewrap covers sys, sysrq-trigger, irq
  // and bus; container runtimes add fs (nfsd and friends). Landlock-only runs keep the
  // host's /proc, which Landlock leaves without write rights.
  if (ns) {
    const char* proc_ro[][2] = {
        {"/proc/sys", "kernel settings (sysctl)"},
        {"/proc/sysrq-trigger", "magic SysRq: reboot, crash or sync the host"},
        {"/proc/irq", "interrupt affinity of the host"},
        {"/proc/bus", "bus and PCI device controls"},
        {"/proc/fs", "filesystem-wide settings (nfsd and others)"},
    };
    for (const auto& [path, why] : proc_ro) {
      plan.mounts.push_back({MountKind::ProcReadOnly, path, path, why});
      rules.push_back({"kernel", path, "read-only", "read-only bind over the fresh /proc", why});
    }
  } else if (caps.landlock_abi > 0) {
    rules.push_back({"kernel", "/proc", "read-only (the host's /proc)", "landlock (no write rights there)",
                     "kernel settings (sysctl, sysrq-trigger)"});
  }

  // --- unix sockets ---------------------------------------------------------------------
  // The masks above are kept as examples of what is out there; the broker is what holds.
  if (caps.seccomp) {
    rules.push_back({"unix-socket", "pathname sockets", "only those made in this run",
                     "cordon's broker (connect performed by cordon on the inode it checked)",
                     "host services (agents, docker, databases) would act outside the sandbox"});
    for (const auto& s : policy.net.allow_unix_sockets)
      rules.push_back({"unix-socket", s, "reachable (granted)", "cordon's broker (pinned at the start)",
                       "--allow-unix-socket"});
    // The old denylist, as examples of what the broker refuses (wherever they are).
    for (auto p : defaults::host_ipc_paths()) {
      if (auto pos = p.find("{uid}"); pos != std::string::npos) p.replace(pos, 5, std::to_string(caps.uid));
      if (std::find(policy.net.allow_unix_sockets.begin(), policy.net.allow_unix_sockets.end(), p) ==
          policy.net.allow_unix_sockets.end())
        rules.push_back({"unix-socket", p + (paths::is_within(p, "/run/user") ? "/*" : ""),
                         "refused unless granted (an example)", "cordon's broker",
                         "a host service acting outside the sandbox"});
    }
  }

  // --- Landlock -------------------------------------------------------------------
  if (caps.landlock_abi > 0) {
    auto& ll = plan.landlock;
    ll.abi = caps.landlock_abi;
    ll.handled_fs = landlock::fs_rights(ll.abi);
    ll.scoped = landlock::scopes(ll.abi);
    // With namespaces TCP is left to the sandbox's own network namespace (its loopback
    // only: plan/net_plan.hpp); without them it connects only to the proxy's ports on the
    // host (bound before planning), or nowhere.
    if (policy.net.mode != NetMode::On && !ns) ll.handled_net = landlock::net_rights(ll.abi);
    ll.ports = landlock_port_rules(plan.net);
    ReadComplement(landlock_denied, fs).add("/", ll.rules);
    for (const auto& a : exceptions) ll.rules.push_back({a, landlock::kRead});
    const uint64_t all = ll.handled_fs;
    for (const auto& root : roots) ll.rules.push_back({root, all});
    if (!tmp_writable.empty()) ll.rules.push_back({tmp_writable, all});
    // Devices: the sandbox's /dev is a minimal tmpfs (namespaces) or the host's.
    const uint64_t dev = landlock::kRead | landlock::kWriteFile | landlock::kIoctlDev;
    for (const char* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
                          "/dev/ptmx", "/dev/pts"})
      ll.rules.push_back({d, dev & all});
    ll.rules.push_back({"/dev/shm", all});
    if (ns && policy.mode != Mode::ReadOnly)
      for (const auto& m : plan.mounts)
        if (m.kind == MountKind::EmptyWritableDir) ll.rules.push_back({m.target, all});
  }

  // --- seccomp --------------------------------------------------------------------
  plan.seccomp = seccomp_rules(policy, ns, plan.net.on_host);
  for (auto& rule : tracing_seccomp_rules(ns || caps.landlock_abi > 0))
    plan.seccomp.push_back(std::move(rule));
  for (const auto& s : plan.seccomp)
    rules.push_back({"syscall", s.syscall + (s.check != ArgCheck::None ? " (filtered)" : ""),
                     s.errno_value == kEnosys ? "ENOSYS" : "EPERM", "seccomp", s.reason});

  // --- process and network ------------------------------------------------------------
  if (ns) {
    rules.push_back({"process", "namespaces",
                     std::string("user, mount, pid, ipc") + (plan.new_netns ? ", net" : ""), "clone()",
                     "own process tree; nothing outside is visible or signalable"});
  }
  rules.push_back({"process", "session", "new session, no controlling terminal", "setsid()",
                   "no TIOCSTI into the caller's terminal"});
  rules.push_back({"process", "privileges", "no capabilities, no_new_privs", "capset/prctl",
                   "setuid binaries cannot escalate"});
  if (plan.net.proxied) {
    const std::string allowed =
        policy.net.allow_domains.empty() ? "no name allowed" : "allow " + join_list(policy.net.allow_domains);
    if (plan.net.on_host)
      rules.push_back({"network", "allowlist", "names resolved and connected by cordon's proxy",
                       "HTTP proxy and SOCKS5 on the host's 127.0.0.1 (ports chosen at run time) + landlock "
                       "TCP (connect only to those ports, no bind) + seccomp (TCP only)",
                       allowed});
    else
      rules.push_back(
          {"network", "allowlist",
           "names resolved and connected by cordon (its proxy, and its direct route: TCP connects "
           "to the addresses its name server gave, dialled by cordon)",
           "network namespace (loopback only) + HTTP proxy 127.0.0.1:" + std::to_string(plan.net.http_port) +
               " + SOCKS5 127.0.0.1:" + std::to_string(plan.net.socks_port) + " + name server 127.0.0.1:53",
           allowed});
    for (const auto& d : policy.net.deny_domains)
      rules.push_back({"network", d, "denied", "cordon's proxy", "--deny-domain"});
    for (const auto& h : policy.net.allow_private_hosts)
      rules.push_back({"network", h, "may resolve to a private or reserved address (not cloud metadata)",
                       "cordon's proxy (SSRF guard exception for this name)", "--allow-private-host"});
    for (auto port : plan.net.localhost_ports)
      rules.push_back(
          {"network", "127.0.0.1:" + std::to_string(port),
           plan.net.on_host ? "reached directly (TCP connect to port " + std::to_string(port) + ")"
                            : "forwarded to the host's 127.0.0.1:" + std::to_string(port),
           plan.net.on_host ? "landlock TCP port rule (any address: see the network allowlist guarantee)"
                            : "listener in the namespace + cordon's supervisor",
           "--allow-localhost"});
    if (plan.net.on_host)
      rules.push_back({"network", "DNS", "no resolver inside (UDP refused, TCP only to the proxy ports)",
                       "seccomp + landlock", "names are resolved by cordon's proxy"});
  } else {
    const bool off = policy.net.mode != NetMode::On;
    rules.push_back(
        {"network", off ? "all" : "host network", off ? "denied" : "allowed",
         off ? (ns ? "network namespace (its own loopback only) + seccomp" : "seccomp + landlock")
             : "none (--net on)",
         policy.net.mode == NetMode::Proxy
             ? "proxied network needs user namespaces or Landlock ABI >= 4 (--best-effort: network off)"
             : ""});
  }
  return plan;
}

// Kept beside ProtectedCollector::walk() and repositories_in_cache(): what they read of an
// entry. Every protected name, also one --unprotect removed (more is only stricter).
bool linux_walk_uses(const DirEntry& entry) {
  static const std::unordered_set<std::string> names = [] {
    std::unordered_set<std::string> out(defaults::protected_root_names().begin(),
                                        defaults::protected_root_names().end());
    out.insert(".git");
    out.insert("HEAD");
    return out;
  }();
  return entry.kind == FileKind::Dir || names.count(entry.name) > 0;
}

bool plan_needs_host_proxy_ports(const Policy& policy, const LinuxHostCaps& caps) {
  // The same decision plan_linux() makes: no user namespaces, the proxied network, and a
  // host that can confine TCP to the proxy's ports.
  return policy.mode != Mode::FullAccess && policy.net.mode == NetMode::Proxy && !caps.userns &&
         host_proxy_supported(caps.landlock_abi, caps.seccomp);
}

PlanReport linux_guarantees(const Policy& policy, const LinuxHostCaps& caps) {
  PlanReport r;
  r.platform = "linux";
  auto add = [&](std::string name, GuaranteeState s, std::string mech, std::string detail = {},
                 std::string fix = {}) {
    r.guarantees.push_back({std::move(name), s, std::move(mech), std::move(detail), std::move(fix)});
  };
  const GuaranteeState E = GuaranteeState::Enforced, D = GuaranteeState::Degraded,
                       M = GuaranteeState::Missing, N = GuaranteeState::NotRequested;
  if (policy.mode == Mode::FullAccess) {
    for (const char* g : {"write confinement", "protected paths", "secret denial", "network off",
                          "process isolation", "kernel settings read-only", "cordon's state hidden"})
      add(g, N, "none (full-access: no sandbox)");
    return r;
  }
  const int abi = caps.landlock_abi;
  std::string userns_fix;
  if (caps.apparmor_restricts_userns)
    userns_fix = "sudo cordon setup   (installs an AppArmor profile allowing user namespaces for cordon)";
  else if (caps.userns_reason.rfind("clone(", 0) == 0)
    userns_fix =
        "a seccomp filter (container runtime) refuses user namespaces: run cordon on the host, or allow "
        "clone/unshare(CLONE_NEWUSER) in the container's seccomp profile";
  else
    userns_fix =
        "enable unprivileged user namespaces: sudo sysctl -w kernel.unprivileged_userns_clone=1 "
        "user.max_user_namespaces=15000";
  const std::string why_no_userns =
      caps.userns_reason.empty() ? "user namespaces unavailable" : caps.userns_reason;
  // The proxied network without a private namespace (plan/net_plan.hpp): what holds,
  // and exactly what does not.
  auto add_host_proxy_guarantee = [&](const std::string& why, const std::string& fix) {
    const LinuxHostCaps& c = caps;
    if (!host_proxy_supported(c.landlock_abi, c.seccomp)) {
      add("network allowlist", M, "none",
          why +
              ": the proxy would have to listen on the host's loopback, and confining TCP to its ports "
              "needs Landlock ABI >= 4 (Linux >= 6.7) and seccomp; this host has Landlock ABI " +
              std::to_string(c.landlock_abi) + " (--best-effort runs with the network off)",
          fix + "; or use a kernel >= 6.7 with Landlock enabled");
      return;
    }
    add("network allowlist", D,
        "cordon's proxy on the host's 127.0.0.1 (names resolved outside, SSRF guard) + landlock TCP "
        "(connect only to the proxy and --allow-localhost ports, no bind) + seccomp (TCP only: no UDP, "
        "DNS, raw, packet or netlink sockets)",
        why +
            ": no private network namespace. Landlock port rules name ports, not addresses, so a TCP "
            "connect to a proxy or --allow-localhost port number on another host passes the kernel; and "
            "Landlock has no listen right, so listen() on an unbound TCP socket would open an ephemeral "
            "port on every interface. cordon's broker performs every connect itself, on the socket it took "
            "and the address it read once, and only to loopback and those ports; it refuses a TCP listen, "
            "which is defence in depth (a descriptor can be swapped before the kernel runs listen())",
        fix);
  };
  if (caps.userns) {
    add("write confinement", E,
        abi > 0 ? "read-only root bind + landlock ABI " + std::to_string(abi) : "read-only root bind");
    add("protected paths", E,
        caps.seccomp && caps.openat2
            ? "read-only bind mounts, pinned parents, absent ones refused by cordon's broker"
            : "read-only bind mounts, pinned parents, placeholders for absent paths");
    add("secret denial", E, abi > 0 ? "masking mounts + landlock" : "masking mounts");
    if (policy.net.mode == NetMode::Off)
      add("network off", E,
          "network namespace (its own loopback only)" + std::string(caps.seccomp ? " + seccomp" : ""));
    else if (policy.net.mode == NetMode::Proxy)
      add("network allowlist", E,
          "network namespace (loopback only) + cordon's proxy and direct route (names resolved outside, "
          "SSRF guard)");
    else
      add("network off", N, "host network (--net on)");
    add("process isolation", E,
        std::string("pid + ipc namespaces, ") + (caps.seccomp ? "seccomp (cross-process calls), " : "") +
            "no capabilities");
    add("kernel settings read-only", E,
        "read-only binds of /proc/sys, sysrq-trigger, irq, bus, fs" +
            std::string(abi > 0 ? " + landlock" : ""));
    add("cordon's state hidden", E,
        abi > 0 ? "masking mount (other workspaces' temp, locks, ledgers) + landlock" : "masking mount");
    if (policy.net.mode == NetMode::On && abi < 6)
      add("abstract unix sockets", D, "none",
          "with --net on, host abstract unix sockets are reachable (landlock ABI 6 scopes them)",
          "use a kernel >= 6.12 with Landlock enabled (lsm=landlock,...)");
  } else if (abi > 0) {
    add("write confinement", E, "landlock ABI " + std::to_string(abi));
    if (policy.tmp == TmpMode::Private)
      add("private /tmp", D, "$TMPDIR points to a private directory",
          why_no_userns + ": /tmp itself stays the host's (read-only to the sandbox)", userns_fix);
    add("protected paths", M, "none",
        "Landlock cannot make a path read-only inside a writable root (.git/hooks, .git/config, agent "
        "and editor config, shell startup files under a writable home), nor keep a directory above one "
        "from being renamed and replaced",
        userns_fix);
    add("secret denial", E, "landlock (read rules exclude the secrets)");
    if (policy.net.mode == NetMode::Off) {
      if (abi >= 4 && caps.seccomp)
        add("network off", E, "seccomp (only AF_UNIX sockets) + landlock TCP");
      else
        add("network off", caps.seccomp ? E : M, caps.seccomp ? "seccomp (only AF_UNIX sockets)" : "none");
    } else if (policy.net.mode == NetMode::Proxy) {
      add_host_proxy_guarantee(why_no_userns, userns_fix);
    } else {
      add("network off", N, "host network (--net on)");
    }
    add("kernel settings read-only", E, "landlock (no write rights on the host's /proc)");
    add("cordon's state hidden", D, "landlock (read rules exclude the state directory)",
        "file contents are unreadable, but Landlock lets directories be listed, so the names of the "
        "per-workspace directories stay visible",
        userns_fix);
    add("process isolation", abi >= 6 ? D : M,
        std::string(abi >= 6 ? "landlock signal scoping" : "") + (abi >= 6 && caps.seccomp ? " + " : "") +
            (caps.seccomp ? "seccomp (cross-process calls)" : "") +
            (abi >= 6       ? ""
             : caps.seccomp ? " only"
                            : "none"),
        "host processes stay visible in /proc" +
            std::string(abi >= 6 ? "" : "; signals to them are not blocked"),
        userns_fix);
  } else {
    add("write confinement", M, "none", why_no_userns + " and Landlock is unavailable",
        "enable Landlock (CONFIG_SECURITY_LANDLOCK=y, lsm=landlock,...) or user namespaces");
    add("protected paths", M, "none", "needs user namespaces", userns_fix);
    add("secret denial", M, "none", "needs user namespaces or Landlock", userns_fix);
    if (policy.net.mode == NetMode::Proxy)
      add_host_proxy_guarantee(why_no_userns, userns_fix);
    else
      add("network off", caps.seccomp ? E : M, caps.seccomp ? "seccomp (only AF_UNIX sockets)" : "none");
    add("kernel settings read-only", M, "none",
        "no mount namespace and no Landlock: a command running as root can open /proc/sys and "
        "/proc/sysrq-trigger for writing",
        "enable Landlock (lsm=landlock,...) or user namespaces: " + userns_fix);
    add("cordon's state hidden", M, "none",
        "other workspaces' private /tmp and cordon's records are readable (needs user namespaces or "
        "Landlock)",
        userns_fix);
    add("process isolation", M, caps.seccomp ? "seccomp (cross-process calls, ptrace) only" : "none",
        "no pid namespace or signal scoping", userns_fix);
  }
  // Pathname unix sockets (platform/linux/broker.hpp): every connect() is performed by
  // cordon's broker, on the inode it resolved in the command's view.
  if (caps.seccomp)
    add("host services (unix sockets)", E,
        std::string("cordon's broker (seccomp user notification; the connect is made by cordon on the "
                    "inode it checked): only sockets made in this run (") +
            (caps.userns ? "listed in the sandbox's network namespace, or held by its processes"
                         : "held open by a process of the sandbox") +
            ") and --allow-unix-socket grants; connect() and datagrams sent to a path "
            "(sendto/sendmsg/sendmmsg, each performed by cordon)");
  else
    add("host services (unix sockets)", M, "none",
        "seccomp unavailable: any unix socket the sandbox can see is reachable",
        "use a kernel with CONFIG_SECCOMP_FILTER=y");
  if (!caps.seccomp)
    add("syscall filter", M, "none", "seccomp unavailable", "use a kernel with CONFIG_SECCOMP_FILTER=y");
  else
    add("syscall filter", E, "seccomp-bpf (libseccomp)");
  add("no privilege escalation", E, "no_new_privs + all capabilities dropped");
  add("cleanup of leftover processes", E,
      caps.userns ? "pid namespace: its init exits with the command" : "child subreaper: leftovers killed");
  (void)join_list;
  return r;
}

}  // namespace cordon
