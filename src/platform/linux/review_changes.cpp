#include "platform/linux/review_changes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/sha256.hpp"

namespace cordon {
namespace {

constexpr int kMaxDepth = 256;
constexpr size_t kMaxEntries = 1000000;
constexpr uint64_t kCompareLimit = 256ull << 20;

EntryType type_of(mode_t m) {
  return S_ISREG(m)   ? EntryType::File
         : S_ISDIR(m) ? EntryType::Dir
         : S_ISLNK(m) ? EntryType::Symlink
                      : EntryType::Other;
}

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

std::vector<std::string> names_of(int dirfd) {
  std::vector<std::string> names;
  UniqueFd list(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = list.valid() ? ::fdopendir(list.release()) : nullptr;
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string link_target(int dirfd, const std::string& name) {
  char buf[4097];
  const ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// Equal contents of two regular files (opened beneath their directories, never a FIFO).
bool same_content(int a_dir, int b_dir, const std::string& name, uint64_t size) {
  if (size > kCompareLimit) return false;
  UniqueFd a(openat2_beneath(a_dir, name, O_RDONLY, 0)), b(openat2_beneath(b_dir, name, O_RDONLY, 0));
  if (!a.valid() || !b.valid()) return false;
  static thread_local std::vector<char> x(1 << 16), y(1 << 16);
  for (;;) {
    const ssize_t n = ::read(a.get(), x.data(), x.size());
    if (n < 0) return false;
    size_t got = 0;
    while (got < static_cast<size_t>(n)) {
      const ssize_t m = ::read(b.get(), y.data() + got, static_cast<size_t>(n) - got);
      if (m <= 0) return false;
      got += static_cast<size_t>(m);
    }
    if (std::memcmp(x.data(), y.data(), static_cast<size_t>(n)) != 0) return false;
    if (n == 0) return ::read(b.get(), y.data(), 1) == 0;
  }
}

struct Walk {
  ChangeSet& out;
  size_t seen = 0;

  void deleted_below_opaque(int upper_dir, int lower_dir, const std::string& rel) {
    for (const auto& n : names_of(lower_dir)) {
      struct stat up {
      }, lo{};
      if (::fstatat(upper_dir, n.c_str(), &up, AT_SYMLINK_NOFOLLOW) == 0) continue;
      if (::fstatat(lower_dir, n.c_str(), &lo, AT_SYMLINK_NOFOLLOW) != 0) continue;
      Change c;
      c.path = rel.empty() ? n : rel + "/" + n;
      c.kind = ChangeKind::Deleted;
      c.lower_type = type_of(lo.st_mode);
      c.lower_mode = lo.st_mode & 07777;
      c.lower_size = S_ISREG(lo.st_mode) ? static_cast<uint64_t>(lo.st_size) : 0;
      out.changes.push_back(std::move(c));
    }
  }

  void dir(int upper_dir, int lower_dir, const std::string& rel, int depth) {
    if (depth > kMaxDepth) {
      out.truncated = true;
      return;
    }
    for (const auto& n : names_of(upper_dir)) {
      if (++seen > kMaxEntries) {
        out.truncated = true;
        return;
      }
      struct stat up {
      }, lo{};
      if (::fstatat(upper_dir, n.c_str(), &up, AT_SYMLINK_NOFOLLOW) != 0) continue;
      const bool has_lower = lower_dir >= 0 && ::fstatat(lower_dir, n.c_str(), &lo, AT_SYMLINK_NOFOLLOW) == 0;
      Change c;
      c.path = rel.empty() ? n : rel + "/" + n;
      if (has_lower) {
        c.lower_type = type_of(lo.st_mode);
        c.lower_mode = lo.st_mode & 07777;
        c.lower_size = S_ISREG(lo.st_mode) ? static_cast<uint64_t>(lo.st_size) : 0;
      }
      if (is_whiteout(up)) {
        if (!has_lower) continue;
        c.kind = ChangeKind::Deleted;
        out.changes.push_back(std::move(c));
        continue;
      }
      c.type = type_of(up.st_mode);
      c.mode = up.st_mode & 07777;
      c.size = S_ISREG(up.st_mode) ? static_cast<uint64_t>(up.st_size) : 0;
      if (c.type == EntryType::Other) {
        c.kind = ChangeKind::Special;
        out.changes.push_back(std::move(c));
        continue;
      }
      if (c.type == EntryType::Dir) {
        UniqueFd sub(openat2_beneath(upper_dir, n, O_RDONLY | O_DIRECTORY, 0));
        if (!sub.valid()) continue;
        char v[2] = {};
        c.opaque = ::fgetxattr(sub.get(), "user.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
        UniqueFd lower_sub;
        if (has_lower && c.lower_type == EntryType::Dir) {
          lower_sub.reset(openat2_beneath(lower_dir, n, O_RDONLY | O_DIRECTORY, 0));
          if (c.mode != c.lower_mode) {
            c.kind = ChangeKind::Mode;
            out.changes.push_back(c);
          }
          if (c.opaque && lower_sub.valid()) deleted_below_opaque(sub.get(), lower_sub.get(), c.path);
        } else {
          c.kind = has_lower ? ChangeKind::Modified : ChangeKind::Added;
          out.changes.push_back(c);
        }
        dir(sub.get(), c.opaque ? -1 : lower_sub.get(), c.path, depth + 1);
        continue;
      }
      if (!has_lower) {
        c.kind = ChangeKind::Added;
      } else if (c.lower_type != c.type) {
        c.kind = ChangeKind::Modified;
      } else if (c.type == EntryType::Symlink) {
        if (link_target(upper_dir, n) == link_target(lower_dir, n)) continue;
        c.kind = ChangeKind::Modified;
      } else if (c.size != c.lower_size || !same_content(upper_dir, lower_dir, n, c.size)) {
        c.kind = ChangeKind::Modified;
      } else if (c.mode != c.lower_mode) {
        c.kind = ChangeKind::Mode;
      } else {
        continue;  // copied up, written back unchanged
      }
      out.changes.push_back(std::move(c));
    }
  }
};

std::string human(uint64_t bytes) {
  char buf[32];
  if (bytes < 1024)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else if (bytes < (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1u << 20));
  return buf;
}

EntryType type_from(const std::string& s) {
  return s == "file"      ? EntryType::File
         : s == "dir"     ? EntryType::Dir
         : s == "symlink" ? EntryType::Symlink
         : s == "other"   ? EntryType::Other
                          : EntryType::None;
}

}  // namespace

const char* to_string(EntryType t) {
  switch (t) {
    case EntryType::File:
      return "file";
    case EntryType::Dir:
      return "dir";
    case EntryType::Symlink:
      return "symlink";
    case EntryType::Other:
      return "other";
    default:
      return "none";
  }
}

const char* to_string(ChangeKind k) {
  switch (k) {
    case ChangeKind::Added:
      return "added";
    case ChangeKind::Modified:
      return "modified";
    case ChangeKind::Deleted:
      return "deleted";
    case ChangeKind::Mode:
      return "mode";
    default:
      return "special";
  }
}

Result<ChangeSet> scan_changes(int upper_fd, int lower_fd) {
  ChangeSet out;
  Walk walk{out};
  walk.dir(upper_fd, lower_fd, "", 0);
  return out;
}

Result<std::vector<LayerChanges>> read_layers(const ReviewSet& set) {
  auto layers = review_layers(set);
  if (!layers) return layers.error();
  std::vector<LayerChanges> out;
  for (auto& layer : *layers) {
    LayerChanges l;
    l.upper.reset(openat2_beneath(layer.dir.fd(), "upper", O_RDONLY | O_DIRECTORY, 0));
    if (!l.upper.valid()) return os_error("openat2", layer.dir.path() + "/upper", errno);
    auto root = PinnedDir::open_without_links(layer.root);
    if (!root) return root.error();
    l.lower.reset(openat2_beneath(root->fd(), ".", O_RDONLY | O_DIRECTORY, 0));
    if (!l.lower.valid()) return os_error("openat2", layer.root, errno);
    auto changes = scan_changes(l.upper.get(), l.lower.get());
    if (!changes) return changes.error();
    l.changes = std::move(*changes);
    l.layer = std::move(layer);
    out.push_back(std::move(l));
  }
  return out;
}

ChangeSet shown_changes(const std::vector<LayerChanges>& layers) {
  ChangeSet all;
  for (const auto& l : layers) {
    for (auto c : l.changes.changes) {
      c.path = shown_path(l.layer.prefix, c.path);
      all.changes.push_back(std::move(c));
    }
    all.truncated = all.truncated || l.changes.truncated;
  }
  return all;
}

BaseEntry read_base_entry(int lower_fd, const std::string& rel) {
  BaseEntry b;
  const size_t slash = rel.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : rel.substr(0, slash);
  const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  UniqueFd dir(openat2_beneath(lower_fd, parent, O_RDONLY | O_DIRECTORY, 0));
  struct stat st {};
  if (!dir.valid() || ::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return b;
  b.type = type_of(st.st_mode);
  b.mode = st.st_mode & 07777;
  if (b.type == EntryType::Symlink) b.target = link_target(dir.get(), name);
  if (b.type != EntryType::File) return b;
  b.size = static_cast<uint64_t>(st.st_size);
  if (b.size > kBaseHashLimit) return b;
  UniqueFd f(openat2_beneath(dir.get(), name, O_RDONLY, 0));
  if (!f.valid()) return b;
  Sha256 h;
  std::vector<char> buf(1 << 16);
  for (;;) {
    const ssize_t n = ::read(f.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    h.update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  b.sha256 = h.hex();
  return b;
}

bool same_base(const BaseEntry& a, const BaseEntry& b) {
  if (a.type != b.type) return false;
  if (a.type == EntryType::File) return a.size == b.size && a.sha256 == b.sha256 && a.mode == b.mode;
  if (a.type == EntryType::Symlink) return a.target == b.target;
  return true;
}

Base load_base(const PinnedDir& dir) {
  Base base;
  auto text = read_regular(dir, "base.json", 256u << 20);
  if (!text) return base;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return base;
  for (const auto& [path, e] : j.items()) {
    if (!e.is_object()) continue;
    BaseEntry b;
    b.type = type_from(e.value("type", ""));
    b.mode = static_cast<mode_t>(e.value("mode", 0));
    b.size = e.value("size", uint64_t{0});
    b.sha256 = e.value("sha256", "");
    b.target = e.value("target", "");
    base[path] = b;
  }
  return base;
}

Status save_base(const PinnedDir& dir, const Base& base) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [path, b] : base) {
    nlohmann::json e = {{"type", to_string(b.type)}, {"mode", b.mode}, {"size", b.size}};
    if (!b.sha256.empty()) e["sha256"] = b.sha256;
    if (b.type == EntryType::Symlink) e["target"] = b.target;
    j[path] = e;
  }
  return replace_file(dir, "base.json", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      0600);
}

Status record_base(const PinnedDir& dir, const ChangeSet& changes, int lower_fd) {
  Base base = load_base(dir);
  bool added = false;
  for (const auto& c : changes.changes) {
    if (base.count(c.path)) continue;
    base[c.path] = read_base_entry(lower_fd, c.path);
    added = true;
  }
  if (!added) return Ok{};
  return save_base(dir, base);
}

std::vector<std::string> summary_lines(const std::string& id, const ChangeSet& set,
                                       const std::vector<std::string>& staged,
                                       const std::vector<std::string>& direct) {
  struct Count {
    size_t n = 0;
    uint64_t bytes = 0;
  };
  Count added, modified, deleted, mode, special;
  for (const auto& c : set.changes) {
    Count& k = c.kind == ChangeKind::Added      ? added
               : c.kind == ChangeKind::Modified ? modified
               : c.kind == ChangeKind::Deleted  ? deleted
               : c.kind == ChangeKind::Mode     ? mode
                                                : special;
    ++k.n;
    k.bytes += c.kind == ChangeKind::Deleted ? c.lower_size : c.size;
  }
  std::vector<std::string> lines;
  std::string where = "the workspace";
  for (const auto& r : staged) where += ", " + r;
  std::string roots_line = "  staged: " + where;
  if (!direct.empty()) {
    roots_line += "; written directly, not staged (--review-all stages them):";
    for (const auto& r : direct) roots_line += " " + r;
  }
  if (set.changes.empty()) {
    lines.push_back("review " + id + ": no changes to " + where);
    lines.push_back(roots_line);
    return lines;
  }
  lines.push_back("review " + id + ": " + where + (staged.empty() ? " is" : " are") +
                  " unchanged; the command's changes are staged:");
  auto line = [&](const char* what, const Count& c) {
    if (c.n)
      lines.push_back("  " + std::string(what) + " " + std::to_string(c.n) + " (" + human(c.bytes) + ")");
  };
  line("added   ", added);
  line("modified", modified);
  line("deleted ", deleted);
  if (mode.n) lines.push_back("  mode    " + std::to_string(mode.n));
  if (special.n)
    lines.push_back("  special " + std::to_string(special.n) + " (FIFOs, sockets, devices: never applied)");
  if (set.truncated) lines.push_back("  (more than the walk's bound: the list is incomplete)");
  lines.push_back("  renames show as a deletion plus an addition");
  lines.push_back(roots_line);
  lines.push_back("  cordon review diff " + id + " | cordon review apply " + id +
                  " [PATH...] | cordon review discard " + id);
  return lines;
}

nlohmann::json to_json(const ChangeSet& set) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& c : set.changes) {
    nlohmann::json e = {{"path", c.path},
                        {"change", to_string(c.kind)},
                        {"type", to_string(c.type)},
                        {"workspace_type", to_string(c.lower_type)}};
    if (c.type != EntryType::None) e["mode"] = c.mode, e["size"] = c.size;
    if (c.lower_type != EntryType::None)
      e["workspace_mode"] = c.lower_mode, e["workspace_size"] = c.lower_size;
    if (c.opaque) e["opaque"] = true;
    arr.push_back(e);
  }
  return {{"changes", arr}, {"truncated", set.truncated}};
}

}  // namespace cordon
