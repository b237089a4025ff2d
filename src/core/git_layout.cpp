#include "core/git_layout.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace cordon::git_layout {
namespace {

std::vector<std::string> split(std::string_view rel) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= rel.size()) {
    const size_t cut = std::min(rel.find('/', from), rel.size());
    out.emplace_back(rel.substr(from, cut - from));
    from = cut + 1;
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool starts_with(std::string_view s, std::string_view head) {
  return s.substr(0, head.size()) == head;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

template <size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

Verdict allowed() {
  return Verdict{true, ""};
}
Verdict refused(std::string why) {
  return Verdict{false, std::move(why)};
}

// Files git writes at the top of a git directory in everyday work (gitrepository-layout(5),
// git-merge, git-rebase, git-bisect, git-commit, git-notes, git-gc, gitk).
constexpr std::array<std::string_view, 21> kTopFiles = {
    "HEAD",
    "ORIG_HEAD",
    "FETCH_HEAD",
    "CHERRY_PICK_HEAD",
    "REVERT_HEAD",
    "REBASE_HEAD",
    "AUTO_MERGE",
    "COMMIT_EDITMSG",
    "SQUASH_MSG",
    "TAG_EDITMSG",
    "NOTES_EDITMSG",
    "EDIT_DESCRIPTION",
    "NOTES_MERGE_REF",
    "NOTES_MERGE_PARTIAL",
    "packed-refs",
    "index",
    "shallow",
    "gc.pid",
    "gc.log",
    "gitk.cache",
    "config.lock"};  // config.lock: renamed over config only by the checked rename
// Prefixes of such files: MERGE_HEAD, MERGE_MSG, MERGE_MODE, MERGE_RR, MERGE_AUTOSTASH;
// BISECT_LOG, BISECT_START, BISECT_TERMS and the rest; temporary and split indexes;
// shallow's and pack-refs' temporary files (packed-refs.new).
constexpr std::array<std::string_view, 7> kTopPrefixes = {
    "MERGE_", "BISECT_", "index.", "next-index-", "sharedindex.", "shallow_", "packed-refs."};
// Directories whose content git treats as data, whatever it is.
constexpr std::array<std::string_view, 10> kDataDirs = {
    "objects",   "refs",     "logs", "rebase-merge", "rebase-apply",
    "sequencer", "rr-cache", "lfs",  "reftable",     "NOTES_MERGE_WORKTREE"};
constexpr std::array<std::string_view, 3> kInfoFiles = {"exclude", "sparse-checkout", "refs"};
// Written by `git worktree add` in worktrees/<id>/ (and `git worktree lock`).
constexpr std::array<std::string_view, 3> kWorktreeFiles = {"gitdir", "commondir", "locked"};

std::string join(const std::vector<std::string>& c, size_t from) {
  std::string out;
  for (size_t i = from; i < c.size(); ++i) out += (i == from ? "" : "/") + c[i];
  return out;
}

bool plain(const std::vector<std::string>& c) {
  return std::none_of(c.begin(), c.end(),
                      [](const std::string& s) { return s.empty() || s == "." || s == ".."; });
}

// Why a name at the top of a git directory is refused, for the denial.
std::string why_top(const std::string& name) {
  if (name == "hooks") return "git runs hooks as code";
  if (name == "config") return "git config can run code (only the checked rename of config.lock writes it)";
  if (name == "config.worktree") return "per-worktree git config can run code";
  if (name == "commondir") return "points git at another git directory's config and hooks";
  if (name == "branches" || name == "remotes")
    return "legacy remote shorthands: git reads a remote URL from them";
  return "not a name git writes in everyday work (gitrepository-layout(5))";
}

Verdict top_level(const std::vector<std::string>& c, size_t at, bool worktree) {
  const std::string& name = c[at];
  const bool last = at + 1 == c.size();
  if (one_of(name, kDataDirs)) {
    if (name == "objects" && c.size() >= at + 3 && c[at + 1] == "info" &&
        (starts_with(c[at + 2], "alternates") || starts_with(c[at + 2], "http-alternates")))
      return refused("objects/info/alternates makes git read objects from another directory");
    return allowed();
  }
  if (name == "info") {
    if (last) return allowed();
    if (c.size() == at + 2) {
      std::string base = c[at + 1];
      if (ends_with(base, ".lock")) base.resize(base.size() - 5);
      if (one_of(base, kInfoFiles) || starts_with(base, "refs_"))
        return allowed();  // refs_XXXXXX: its temporary
      if (base == "attributes")
        return refused(
            "info/attributes names filter and diff drivers, hidden from review (a .gitattributes "
            "in the worktree does the same in sight)");
    }
    return refused("not a name git writes in everyday work (gitrepository-layout(5))");
  }
  if (!last) return refused(why_top(name));
  // config.worktree's lock (git sparse-checkout, git config --worktree): made like any
  // lock, renamed over config.worktree only by the checked rename (the caller does that).
  if (name == "config.worktree.lock") return allowed();
  std::string base = name;
  if (ends_with(base, ".lock") && base != "config.lock") base.resize(base.size() - 5);
  if (one_of(base, kTopFiles)) return allowed();
  if (std::any_of(kTopPrefixes.begin(), kTopPrefixes.end(),
                  [&](std::string_view p) { return starts_with(base, p); }))
    return allowed();
  if (worktree && one_of(base, kWorktreeFiles)) return allowed();
  return refused(why_top(base));
}

}  // namespace

bool is_dot_git(std::string_view name) {
  return lower(std::string(name)) == ".git";
}

Verdict check_new(std::string_view rel) {
  std::vector<std::string> c = split(rel);
  if (!plain(c)) return refused("not a plain path");
  for (auto& s : c) s = lower(s);
  for (size_t i = 0; i < c.size(); ++i) {
    const size_t left = c.size() - i;
    if (c[i] == "hooks" && left >= 2 && !(left == 2 && ends_with(c[i + 1], ".sample")))
      return refused("git runs hooks as code (only the templates' *.sample names may be made)");
    if (left == 1 && (c[i] == "config" || c[i] == "config.worktree"))
      return refused("git config can run code (only the checked rename of config.lock writes it)");
    if (left == 1 && c[i] == "commondir" && !(i >= 2 && c[i - 2] == "worktrees"))
      return refused("points git at another git directory's config and hooks");
    if (left == 2 && c[i] == "info" && c[i + 1] == "attributes")
      return refused("info/attributes names filter and diff drivers, hidden from review");
    if (left == 3 && c[i] == "objects" && c[i + 1] == "info" &&
        (c[i + 2] == "alternates" || c[i + 2] == "http-alternates"))
      return refused("objects/info/alternates makes git read objects from another directory");
  }
  return allowed();
}

Verdict check_existing(std::string_view rel) {
  const std::vector<std::string> c = split(rel);
  if (!plain(c)) return refused("not a plain path");
  if (c[0] == "worktrees") {
    // worktrees/<id>: a linked worktree `git worktree add` makes now (one that existed at
    // the start is a git directory of its own, checked as such).
    if (c.size() <= 2) return allowed();
    return top_level(c, 2, /*worktree=*/true);
  }
  if (c[0] == "modules") {
    // modules/<name>: a submodule's git directory made now (`git submodule update
    // --init`); the name may hold slashes.
    if (c.size() == 1) return allowed();
    return check_new(join(c, 1));
  }
  return top_level(c, 0, /*worktree=*/false);
}

bool directory_may_move_to(std::string_view rel) {
  const std::vector<std::string> c = split(rel);
  if (!plain(c) || c.size() < 2 || !one_of(c[0], kDataDirs)) return false;
  return !(c[0] == "objects" && c[1] == "info");
}

}  // namespace cordon::git_layout
