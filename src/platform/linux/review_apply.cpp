#include "platform/linux/review_apply.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>

#include "core/defaults.hpp"
#include "core/git_layout.hpp"
#include "core/paths.hpp"

namespace cordon {
namespace {

std::vector<std::string> split(const std::string& rel) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= rel.size()) {
    const size_t cut = std::min(rel.find('/', from), rel.size());
    if (cut > from) out.push_back(rel.substr(from, cut - from));
    from = cut + 1;
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string join(const std::vector<std::string>& parts, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += (i == from ? "" : "/") + parts[i];
  return out;
}

std::string parent_of(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

std::string name_of(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

std::string temp_name() {
  uint64_t nonce = 0;
  if (::getrandom(&nonce, sizeof nonce, 0) != static_cast<ssize_t>(sizeof nonce)) nonce = 0;
  char buf[48];
  std::snprintf(buf, sizeof buf, ".cordon-apply-%016llx", static_cast<unsigned long long>(nonce));
  return buf;
}

// The directory `rel` beneath `root`; with `make`, missing components are created
// (mode 0700 now; `made` collects them with the change set's mode, set at the end).
Result<UniqueFd> open_dir(int root, const std::string& rel, bool make, int upper,
                          std::vector<std::pair<std::string, mode_t>>* made) {
  UniqueFd cur(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  std::string done;
  for (const auto& part : split(rel)) {
    done += (done.empty() ? "" : "/") + part;
    UniqueFd next(openat2_beneath(cur.get(), part, O_RDONLY | O_DIRECTORY, 0));
    if (!next.valid() && errno == ENOENT && make) {
      if (::mkdirat(cur.get(), part.c_str(), 0700) != 0 && errno != EEXIST)
        return os_error("mkdirat", done, errno);
      struct stat st {};
      mode_t mode = 0755;
      if (::fstatat(upper, done.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        mode = st.st_mode & 01777;
      if (made) made->emplace_back(done, mode);
      next.reset(openat2_beneath(cur.get(), part, O_RDONLY | O_DIRECTORY, 0));
    }
    if (!next.valid())
      return os_error(
          "openat2", done, errno,
          errno == ELOOP || errno == ENOTDIR ? "a link or a file is in the way; nothing was followed" : "");
    cur = std::move(next);
  }
  return cur;
}

// Why a root-relative path may never be applied ("" when it may): review_protected(),
// and for a root in the home, the home's protected entries.
using Guard = std::function<std::string(const std::string&, EntryType)>;

// Any protected path in the root's tree below `rel` (a directory about to be removed).
std::string protected_below(int dir_fd, const std::string& rel, int depth, const Guard& guard) {
  if (depth > 256) return rel + " (deeper than 256 directories)";
  UniqueFd list(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = list.valid() ? ::fdopendir(list.release()) : nullptr;
  if (!d) return rel + " (unreadable)";
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  for (const auto& n : names) {
    struct stat st {};
    if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    const std::string child = rel + "/" + n;
    const EntryType t = S_ISDIR(st.st_mode)   ? EntryType::Dir
                        : S_ISLNK(st.st_mode) ? EntryType::Symlink
                                              : EntryType::File;
    if (!guard(child, t).empty()) return child;
    if (t == EntryType::Dir) {
      UniqueFd sub(openat2_beneath(dir_fd, n, O_RDONLY | O_DIRECTORY, 0));
      if (!sub.valid()) return child + " (unreadable)";
      if (auto hit = protected_below(sub.get(), child, depth + 1, guard); !hit.empty()) return hit;
    }
  }
  return "";
}

Status copy_file(int from, int to, const std::string& shown) {
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error("read", shown, errno);
    if (n == 0) return Ok{};
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return os_error("write", shown, errno);
      done += w;
    }
  }
}

class Applier {
 public:
  Applier(int upper, int ws, Guard guard) : upper_(upper), ws_(ws), guard_(std::move(guard)) {}

  // Writes one change into the workspace. Returns the reason it was refused, "" when done.
  Result<std::string> apply(const Change& c) {
    const std::string parent = parent_of(c.path), name = name_of(c.path);
    auto dir = open_dir(ws_, parent, c.kind != ChangeKind::Deleted, upper_, &made_);
    if (!dir) {
      if (c.kind == ChangeKind::Deleted && dir.error().code == ENOENT) return std::string();  // gone already
      return dir.error().message();
    }
    struct stat now {};
    const bool exists = ::fstatat(dir->get(), name.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0;
    // What is in the way: a directory replaced by a file or link, or a removal.
    const bool replace_dir = exists && S_ISDIR(now.st_mode) && c.type != EntryType::Dir;
    if (replace_dir) {
      UniqueFd sub(openat2_beneath(dir->get(), name, O_RDONLY | O_DIRECTORY, 0));
      if (!sub.valid()) return os_error("openat2", c.path, errno).message();
      if (auto hit = protected_below(sub.get(), c.path, 0, guard_); !hit.empty())
        return "the directory holds a protected path, never removed: " + hit;
      if (auto st = remove_tree_beneath(dir->get(), name, c.path); !st) return st.error().message();
    }
    switch (c.kind) {
      case ChangeKind::Deleted:
        if (exists && !replace_dir && ::unlinkat(dir->get(), name.c_str(), 0) != 0 && errno != ENOENT)
          return os_error("unlinkat", c.path, errno).message();
        return std::string();
      case ChangeKind::Special:
        return std::string("a FIFO, socket or device: never applied");
      default:
        break;
    }
    if (c.type == EntryType::Dir) {
      if (exists && !S_ISDIR(now.st_mode) && ::unlinkat(dir->get(), name.c_str(), 0) != 0)
        return os_error("unlinkat", c.path, errno).message();
      if ((!exists || !S_ISDIR(now.st_mode)) && ::mkdirat(dir->get(), name.c_str(), 0700) != 0 &&
          errno != EEXIST)
        return os_error("mkdirat", c.path, errno).message();
      made_.emplace_back(c.path, c.mode & 01777);  // its mode once its entries are in
      return std::string();
    }
    const std::string tmp = temp_name();
    if (c.type == EntryType::Symlink) {
      char target[4097];
      UniqueFd up(openat2_beneath(upper_, parent.empty() ? "." : parent, O_RDONLY | O_DIRECTORY, 0));
      const ssize_t n = up.valid() ? ::readlinkat(up.get(), name.c_str(), target, sizeof target - 1) : -1;
      if (n < 0) return os_error("readlinkat", c.path, errno).message();
      target[n] = '\0';
      if (::symlinkat(target, dir->get(), tmp.c_str()) != 0)
        return os_error("symlinkat", c.path, errno).message();
    } else {
      // The change set's file: a regular file, opened beneath the upper directory.
      UniqueFd from(openat2_beneath(upper_, c.path, O_RDONLY, 0));
      struct stat st {};
      if (!from.valid() || ::fstat(from.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return std::string("not a regular file in the change set; not applied");
      UniqueFd to(
          ::openat(dir->get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!to.valid()) return os_error("openat", c.path, errno).message();
      auto st_copy = copy_file(from.get(), to.get(), c.path);
      // No fsync here: the batch's one syncfs() makes it durable before the change set
      // forgets it, and the journal already names it for a rerun (docs/review.md).
      if (st_copy && ::fchmod(to.get(), st.st_mode & 01777) != 0) st_copy = os_error("fchmod", c.path, errno);
      if (!st_copy) {
        ::unlinkat(dir->get(), tmp.c_str(), 0);
        return st_copy.error().message();
      }
    }
    if (::renameat(dir->get(), tmp.c_str(), dir->get(), name.c_str()) != 0) {
      const int err = errno;
      ::unlinkat(dir->get(), tmp.c_str(), 0);
      return os_error("renameat", c.path, err).message();
    }
    return std::string();
  }

  // Directory modes last, innermost first: a read-only directory gets its entries first.
  void finish_modes() {
    std::sort(made_.begin(), made_.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    std::set<std::string> done;
    for (const auto& [rel, mode] : made_) {
      if (!done.insert(rel).second) continue;
      UniqueFd d(openat2_beneath(ws_, rel, O_RDONLY | O_DIRECTORY, 0));
      if (d.valid()) ::fchmod(d.get(), mode);
    }
  }

 private:
  int upper_, ws_;
  Guard guard_;
  std::vector<std::pair<std::string, mode_t>> made_;
};

bool selected(const std::string& path, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  for (const auto& w : wanted) {
    // "" or "." (the workspace) selects its paths, not another staged root's (absolute ones).
    if (w.empty() || w == ".") {
      if (path.rfind('/', 0) != 0) return true;
      continue;
    }
    if (path == w || (path.size() > w.size() && path.compare(0, w.size(), w) == 0 && path[w.size()] == '/'))
      return true;
  }
  return false;
}

std::string normalize_rel(std::string p) {
  while (p.rfind("./", 0) == 0) p = p.substr(2);
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p == "." ? "" : p;
}

std::set<std::string> read_journal(const ReviewSet& set) {
  std::set<std::string> done;
  auto text = read_regular(set.pin, "journal", 256u << 20);
  if (!text) return done;
  size_t from = 0;
  while (from < text->size()) {
    size_t nl = text->find('\n', from);
    if (nl == std::string::npos) break;  // a torn last line: not done
    auto j = nlohmann::json::parse(text->substr(from, nl - from), nullptr, false);
    if (j.is_string()) done.insert(j.get<std::string>());
    from = nl + 1;
  }
  return done;
}

// Removes the applied entry from the upper directory: the overlay then shows the
// workspace's, which is the same. Directories stay (entries below may remain).
void forget_upper(int upper, const Change& c) {
  if (c.type == EntryType::Dir) return;
  UniqueFd dir(
      openat2_beneath(upper, parent_of(c.path).empty() ? "." : parent_of(c.path), O_RDONLY | O_DIRECTORY, 0));
  if (dir.valid()) ::unlinkat(dir.get(), name_of(c.path).c_str(), 0);
}

}  // namespace

std::string review_protected(const std::string& rel, EntryType type) {
  const auto parts = split(rel);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (git_layout::is_dot_git(parts[i])) {
      if (i + 1 == parts.size()) {
        if (type != EntryType::Dir) return "a git pointer (.git file or link): git would follow it";
        continue;
      }
      const std::string in_git = join(parts, i + 1, parts.size());
      const auto existing = git_layout::check_existing(in_git);
      if (!existing.allowed) return "in a git directory: " + existing.reason;
      const auto fresh = git_layout::check_new(in_git);
      if (!fresh.allowed) return "in a git directory: " + fresh.reason;
    }
    for (const auto& e : defaults::protected_name_entries()) {
      const auto name = split(e.name);
      if (i + name.size() > parts.size()) continue;
      bool match = true;
      for (size_t k = 0; k < name.size() && match; ++k) match = lower(parts[i + k]) == lower(name[k]);
      if (match) return std::string("protected name ") + e.name + " (" + e.read_by + ": " + e.why + ")";
    }
  }
  return "";
}

std::string review_protected_in_home(const std::string& abs, const std::string& home) {
  if (home.empty() || home == "/" || !paths::is_within(abs, home) || abs == home) return "";
  const std::string rel = abs.substr(home.size() + 1);
  for (const auto& e : defaults::protected_home_entries()) {
    const std::string entry = e.path;
    if (rel == entry ||
        (rel.size() > entry.size() && rel.compare(0, entry.size(), entry) == 0 && rel[entry.size()] == '/'))
      return "protected in the home: ~/" + entry + " (" + e.why + ")";
  }
  // cordon's own configuration (the platform adds it to the planner's list).
  if (rel == ".config/cordon" || rel.rfind(".config/cordon/", 0) == 0) return "cordon's own configuration";
  return "";
}

namespace {

// Entries per batch: one journal fdatasync and one syncfs() each.
constexpr size_t kApplyBatch = 512;

// One staged root's part of apply. `journal` names shown paths.
struct LayerApply {
  const LayerChanges& layer;
  const std::vector<std::string>& wanted;
  const std::set<std::string>& journal;
  int journal_fd;
  const std::string& journal_path;
  std::string home;
  bool force;
};

Status apply_layer(const LayerApply& in, ApplyResult& r) {
  const int upper = in.layer.upper.get(), ws = in.layer.lower.get();
  const std::string& prefix = in.layer.layer.prefix;
  const std::string& root = in.layer.layer.root;
  Guard guard = [&](const std::string& rel, EntryType type) {
    std::string why = review_protected(rel, type);
    if (why.empty()) why = review_protected_in_home(paths::join(root, rel), in.home);
    return why;
  };
  Base base = load_base(in.layer.layer.dir);
  Applier applier(upper, ws, guard);
  std::vector<std::string> refused_dirs;  // nothing is applied below a refused directory
  auto below_refused = [&](const std::string& path) {
    return std::any_of(refused_dirs.begin(), refused_dirs.end(), [&](const std::string& d) {
      return path.size() > d.size() && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/';
    });
  };
  // Checked entries, written in batches (docs/review.md, "Crashes"): 1. the batch's paths
  // journalled, one fdatasync; 2. each written beside and renamed, no fsync; 3. one
  // syncfs() of the root's filesystem; 4. only then each leaves the change set.
  std::vector<const Change*> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Ok{};
    std::string lines;
    for (const Change* c : batch)
      lines += nlohmann::json(shown_path(prefix, c->path))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
               "\n";
    if (::write(in.journal_fd, lines.data(), lines.size()) != static_cast<ssize_t>(lines.size()) ||
        ::fdatasync(in.journal_fd) != 0)
      return os_error("write", in.journal_path, errno);
    std::vector<const Change*> written;
    for (const Change* c : batch) {
      if (below_refused(c->path)) continue;  // its directory was refused in this batch
      const EntryType type = c->kind == ChangeKind::Deleted ? c->lower_type : c->type;
      auto done = applier.apply(*c);
      if (!done) return done.error();
      if (!done->empty()) {
        r.refused.emplace_back(shown_path(prefix, c->path), *done);
        if (type == EntryType::Dir) refused_dirs.push_back(c->path);
        continue;
      }
      written.push_back(c);
    }
    if (::syncfs(ws) != 0) return os_error("syncfs", root, errno);
    for (const Change* c : written) {
      forget_upper(upper, *c);
      base.erase(c->path);
      r.applied.push_back(shown_path(prefix, c->path));
    }
    batch.clear();
    return Ok{};
  };
  for (const auto& c : in.layer.changes.changes) {
    const std::string shown = shown_path(prefix, c.path);
    if (!selected(shown, in.wanted)) continue;
    if (below_refused(c.path)) continue;
    const EntryType type = c.kind == ChangeKind::Deleted ? c.lower_type : c.type;
    std::string why = guard(c.path, type);
    if (why.empty() && c.kind == ChangeKind::Special) why = "a FIFO, socket or device: never applied";
    if (why.empty() && c.kind == ChangeKind::Deleted && c.lower_type == EntryType::Dir) {
      auto sub = open_dir(ws, c.path, false, upper, nullptr);
      if (sub) {
        if (auto hit = protected_below(sub->get(), c.path, 0, guard); !hit.empty())
          why = "the directory holds a protected path, never removed: " + shown_path(prefix, hit);
      }
    }
    if (!why.empty()) {
      r.refused.emplace_back(shown, why);
      if (type == EntryType::Dir) refused_dirs.push_back(c.path);
      continue;
    }
    if (!in.force && !in.journal.count(shown)) {
      const BaseEntry now = read_base_entry(ws, c.path);
      auto it = base.find(c.path);
      if (it == base.end()) {
        r.conflicts.emplace_back(shown, "no base was recorded for it (--force to write it anyway)");
        if (type == EntryType::Dir) refused_dirs.push_back(c.path);
        continue;
      }
      if (!same_base(it->second, now)) {
        r.conflicts.emplace_back(shown, std::string("the ") + (prefix.empty() ? "workspace" : "root") +
                                            "'s " + to_string(now.type) +
                                            " changed since the change set first touched it (was " +
                                            to_string(it->second.type) + ")");
        if (type == EntryType::Dir) refused_dirs.push_back(c.path);
        continue;
      }
    }
    batch.push_back(&c);
    if (batch.size() >= kApplyBatch)
      if (auto st = flush(); !st) return st;
  }
  if (auto st = flush(); !st) return st;
  applier.finish_modes();
  if (::syncfs(ws) != 0) return os_error("syncfs", root, errno);
  // The forgotten entries durable before the base loses them and the journal goes.
  if (::syncfs(upper) != 0) return os_error("syncfs", "the change set's upper directory", errno);
  return save_base(in.layer.layer.dir, base);
}

}  // namespace

Result<ApplyResult> apply_review(const ReviewStore& store, ReviewSet& set, const ApplyOptions& options) {
  ApplyResult r;
  // Every staged root pinned without following a link in its path (a root whose
  // directory or an ancestor was replaced by a link since the run is refused whole).
  auto layers = read_layers(set);
  if (!layers) return layers.error();
  for (const auto& l : *layers)
    if (l.changes.truncated)
      return usage_error("review apply", "the change set is larger than the walk's bound",
                         "apply it in parts (PATH...)");
  std::vector<std::string> wanted;
  for (const auto& p : options.paths) wanted.push_back(p.rfind('/', 0) == 0 ? p : normalize_rel(p));
  std::set<std::string> journal = read_journal(set);
  UniqueFd journal_fd(
      ::openat(set.pin.fd(), "journal", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!journal_fd.valid()) return os_error("openat", set.dir + "/journal", errno);
  const std::string journal_path = set.dir + "/journal";
  for (const auto& l : *layers)
    if (auto st = apply_layer(
            {l, wanted, journal, journal_fd.get(), journal_path, set.meta.home, options.force}, r);
        !st)
      return st.error();
  // What is left: removed entirely when nothing is.
  bool empty = true;
  for (const auto& l : *layers) {
    auto left = scan_changes(l.upper.get(), l.lower.get());
    empty = empty && left && left->changes.empty();
  }
  if (empty) {
    if (auto st = store.remove(set); !st) return st.error();
    r.everything = true;
    return r;
  }
  ::unlinkat(set.pin.fd(), "journal", 0);
  return r;
}

}  // namespace cordon
