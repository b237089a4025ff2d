#include "platform/linux/review_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace cordon {
namespace {

constexpr int kMaxDepth = 256;

std::string random_id() {
  unsigned char bytes[6];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) return "";
  char out[13];
  for (size_t i = 0; i < sizeof bytes; ++i) std::snprintf(out + 2 * i, 3, "%02x", bytes[i]);
  return out;
}

Status write_new_file(int dirfd, const std::string& name, const std::string& text, const std::string& shown) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return os_error("openat", shown, errno);
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("write", shown, errno);
    done += static_cast<size_t>(n);
  }
  return Ok{};
}

Result<ReviewMeta> read_meta(const PinnedDir& set, const std::string& id) {
  auto text = read_regular(set, "meta.json", 1 << 16);
  if (!text) return text.error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("workspace") || !j["workspace"].is_string())
    return usage_error("review", "change set '" + id + "' has no readable meta.json",
                       "cordon review discard " + id);
  ReviewMeta m;
  m.id = id;
  m.workspace = j["workspace"].get<std::string>();
  m.created = j.value("created", int64_t{0});
  if (j.contains("home") && j["home"].is_string()) m.home = j["home"].get<std::string>();
  if (j.contains("roots")) {
    if (!j["roots"].is_array())
      return usage_error("review", "change set '" + id + "' has an unreadable meta.json (roots)",
                         "cordon review discard " + id);
    for (const auto& r : j["roots"]) {
      if (!r.is_string() || r.get<std::string>().empty() || r.get<std::string>()[0] != '/')
        return usage_error("review", "change set '" + id + "' has an unreadable meta.json (roots)",
                           "cordon review discard " + id);
      m.roots.push_back(r.get<std::string>());
    }
  }
  return m;
}

// chmod through the descriptor's magic link: fchmod refuses O_PATH descriptors, and a
// directory the command made mode 0000 cannot be opened for reading first.
bool make_traversable(int fd) {
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  return ::chmod(self.c_str(), 0700) == 0;
}

Status remove_below(int dirfd, const std::string& shown, int depth) {
  if (depth > kMaxDepth) return os_error("remove", shown, ELOOP, "deeper than 256 directories");
  std::vector<std::string> names;
  {
    UniqueFd list(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!list.valid()) return os_error("openat", shown, errno);
    DIR* d = ::fdopendir(list.release());
    if (!d) return os_error("fdopendir", shown, errno);
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  for (const auto& n : names)
    if (auto st = remove_tree_beneath(dirfd, n, shown + "/" + n); !st) return st;
  return Ok{};
}

// upper/ and work/ in `dir`, the upper one with `root`'s mode (the overlay's root takes it).
Status make_layer_dirs(const PinnedDir& dir, const std::string& root) {
  struct stat st {};
  mode_t root_mode = 0755;
  if (::stat(root.c_str(), &st) == 0) root_mode = st.st_mode & 07777;
  for (const char* sub : {"upper", "work"})
    if (::mkdirat(dir.fd(), sub, 0700) != 0) return os_error("mkdir", dir.path() + "/" + sub, errno);
  UniqueFd upper(openat2_beneath(dir.fd(), "upper", O_RDONLY | O_DIRECTORY, 0));
  if (!upper.valid() || ::fchmod(upper.get(), root_mode) != 0)
    return os_error("fchmod", dir.path() + "/upper", errno);
  return Ok{};
}

}  // namespace

bool valid_review_id(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Status remove_tree_beneath(int parent_fd, const std::string& name, const std::string& shown) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Ok{};
    return os_error("fstatat", shown, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT)
      return os_error("unlinkat", shown, errno);
    return Ok{};
  }
  {
    UniqueFd path(openat2_beneath(parent_fd, name, O_PATH | O_DIRECTORY, 0));
    if (!path.valid()) return os_error("openat2", shown, errno);
    if ((st.st_mode & 0700) != 0700 && !make_traversable(path.get())) return os_error("chmod", shown, errno);
    UniqueFd dir(openat2_beneath(parent_fd, name, O_RDONLY | O_DIRECTORY, 0));
    if (!dir.valid()) return os_error("openat2", shown, errno);
    if (auto s = remove_below(dir.get(), shown, 0); !s) return s;
  }
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return os_error("unlinkat(AT_REMOVEDIR)", shown, errno);
  return Ok{};
}

TreeSize tree_size(int dir_fd) {
  TreeSize t;
  std::vector<std::pair<UniqueFd, int>> stack;
  stack.emplace_back(UniqueFd(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0)), 0);
  size_t seen = 0;
  while (!stack.empty() && seen < 1000000) {
    auto [fd, depth] = std::move(stack.back());
    stack.pop_back();
    if (!fd.valid()) continue;
    UniqueFd list(::openat(fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* d = list.valid() ? ::fdopendir(list.release()) : nullptr;
    if (!d) continue;
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      ++seen;
      struct stat st {};
      if (::fstatat(fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISREG(st.st_mode)) {
        t.bytes += static_cast<uint64_t>(st.st_size);
        ++t.files;
      } else if (S_ISDIR(st.st_mode) && depth < kMaxDepth) {
        stack.emplace_back(UniqueFd(openat2_beneath(fd.get(), n, O_RDONLY | O_DIRECTORY, 0)), depth + 1);
      }
    }
    ::closedir(d);
  }
  return t;
}

bool tree_is_empty(int dir_fd) {
  UniqueFd list(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = list.valid() ? ::fdopendir(list.release()) : nullptr;
  if (!d) return false;
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") empty = false;
  }
  ::closedir(d);
  return empty;
}

Result<ReviewStore> ReviewStore::open(const std::string& state_root) {
  const std::string path = state_root + "/reviews";
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return os_error("mkdir", path, errno);
  auto pin = PinnedDir::open_without_links(path);
  if (!pin) return pin.error();
  ReviewStore s;
  s.dir_ = std::move(*pin);
  return s;
}

bool ReviewStore::exists(const std::string& id) const {
  struct stat st {};
  return valid_review_id(id) && ::fstatat(dir_.fd(), id.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISDIR(st.st_mode);
}

std::string shown_path(const std::string& prefix, const std::string& rel) {
  if (prefix.empty()) return rel;
  return rel.empty() ? prefix : prefix + "/" + rel;
}

Result<std::vector<ReviewLayer>> review_layers(const ReviewSet& set) {
  std::vector<ReviewLayer> out;
  auto own = set.pin.subdir(".");
  if (!own) return own.error();
  out.push_back({set.meta.workspace, "", std::move(*own)});
  for (size_t i = 0; i < set.meta.roots.size(); ++i) {
    auto dir = set.pin.subdir("roots/" + std::to_string(i + 1));
    if (!dir) return dir.error();
    out.push_back({set.meta.roots[i], set.meta.roots[i], std::move(*dir)});
  }
  return out;
}

Result<ReviewSet> ReviewStore::create(const std::string& workspace, const std::string& wanted,
                                      const std::vector<std::string>& roots, const std::string& home) {
  std::string id = wanted.empty() ? random_id() : wanted;
  if (!valid_review_id(id))
    return usage_error("--review", "invalid change set id '" + id + "'",
                       "1 to 64 letters, digits, '.', '_' or '-', not starting with '.'");
  const std::string dir = dir_.path() + "/" + id;
  if (::mkdirat(dir_.fd(), id.c_str(), 0700) != 0) return os_error("mkdir", dir, errno);
  auto pin = dir_.subdir(id);
  if (!pin) return pin.error();
  // The overlay's root takes the upper directory's mode: the workspace's own.
  if (auto st = make_layer_dirs(*pin, workspace); !st) return st.error();
  if (!roots.empty() && ::mkdirat(pin->fd(), "roots", 0700) != 0)
    return os_error("mkdir", dir + "/roots", errno);
  for (size_t i = 0; i < roots.size(); ++i) {
    const std::string name = "roots/" + std::to_string(i + 1);
    if (::mkdirat(pin->fd(), name.c_str(), 0700) != 0) return os_error("mkdir", dir + "/" + name, errno);
    auto layer = pin->subdir(name);
    if (!layer) return layer.error();
    if (auto st = make_layer_dirs(*layer, roots[i]); !st) return st.error();
  }
  nlohmann::json meta = {{"workspace", workspace}, {"created", static_cast<int64_t>(::time(nullptr))}};
  if (!roots.empty()) meta["roots"] = roots;
  if (!home.empty()) meta["home"] = home;
  if (auto st = write_new_file(pin->fd(), "meta.json", meta.dump() + "\n", dir + "/meta.json"); !st)
    return st.error();
  return open_set(id, ReviewLock::Exclusive);
}

Result<ReviewSet> ReviewStore::open_set(const std::string& id, ReviewLock lock) const {
  if (!valid_review_id(id))
    return usage_error("review", "invalid change set id '" + id + "'", "cordon review list shows them");
  if (!exists(id))
    return usage_error("review", "no change set '" + id + "'", "cordon review list shows them");
  auto pin = dir_.subdir(id);
  if (!pin) return pin.error();
  ReviewSet s;
  s.dir = dir_.path() + "/" + id;
  s.upper = s.dir + "/upper";
  s.work = s.dir + "/work";
  auto meta = read_meta(*pin, id);
  if (!meta) return meta.error();
  s.meta = std::move(*meta);
  if (lock == ReviewLock::Exclusive) {
    s.lock.reset(::openat(pin->fd(), "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (!s.lock.valid()) return os_error("openat", s.dir + "/lock", errno);
    if (::flock(s.lock.get(), LOCK_EX | LOCK_NB) != 0)
      return os_error("flock", s.dir + "/lock", errno,
                      "another cordon run, apply or discard is using change set '" + id + "'; wait for it");
  }
  s.pin = std::move(*pin);
  return s;
}

Result<std::vector<ReviewMeta>> ReviewStore::list() const {
  auto names = list_entries(dir_, 100000);
  if (!names) return names.error();
  std::vector<ReviewMeta> out;
  for (const auto& n : *names) {
    if (!exists(n)) continue;
    auto pin = dir_.subdir(n);
    if (!pin) continue;
    auto meta = read_meta(*pin, n);
    out.push_back(meta ? *meta : ReviewMeta{n, "", 0, {}, ""});
  }
  std::sort(out.begin(), out.end(), [](const ReviewMeta& a, const ReviewMeta& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

Status ReviewStore::remove(const ReviewSet& set) const {
  return remove_tree_beneath(dir_.fd(), set.meta.id, set.dir);
}

}  // namespace cordon
