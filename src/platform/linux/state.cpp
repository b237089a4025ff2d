#include "platform/linux/state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/paths.hpp"
#include "platform/linux/pinned_fs.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {
namespace {

std::string hash_hex(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Status mkdirs(const std::string& path, mode_t mode) {
  // After the first run the directory exists: one call instead of one per ancestor.
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return Ok{};
  for (const auto& a : paths::ancestors(path)) {
    if (::mkdir(a.c_str(), mode) != 0 && errno != EEXIST) return os_error("mkdir", a, errno);
  }
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return os_error("mkdir", path, errno);
  return Ok{};
}

// Our state must be ours alone: another user could otherwise pre-create it.
Status check_owned(const std::string& path, unsigned uid) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return os_error("lstat", path, errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != uid)
    return usage_error("state", "'" + path + "' is not a directory owned by uid " + std::to_string(uid),
                       "remove it, or set XDG_STATE_HOME to a private directory");
  if ((st.st_mode & 022) != 0 && ::chmod(path.c_str(), 0700) != 0) return os_error("chmod", path, errno);
  return Ok{};
}

// `path` with its parent directory resolved (realpath), or as given when that fails.
std::string canonical_parent(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(paths::parent(path).c_str(), buf) == nullptr) return path;
  return paths::join(buf, paths::basename(path));
}

// `path` with its longest existing ancestor resolved by the kernel (the rest appended).
std::string resolved(const std::string& path) {
  std::string head = path, tail;
  for (int depth = 0; depth < 64 && !head.empty() && head != "/"; ++depth) {
    char real[PATH_MAX];
    if (::realpath(head.c_str(), real)) return tail.empty() ? std::string(real) : paths::join(real, tail);
    const std::string base = paths::basename(head);
    tail = tail.empty() ? base : paths::join(base, tail);
    head = paths::parent(head);
  }
  return path;
}

// The per-user key of the state directory's names: 32 random bytes in `root/key`, made
// once. Written to a temporary name and linked into place, so a concurrent first run
// reads either nothing (and makes its own attempt) or the whole key.
Result<std::string> state_key(const std::string& root) {
  const std::string path = paths::join(root, "key");
  for (int attempt = 0; attempt < 3; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (fd.valid()) {
      struct stat st {};
      char buf[64];
      const ssize_t n =
          ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) ? ::read(fd.get(), buf, sizeof buf) : -1;
      if (n != 32) return usage_error("state", "'" + path + "' is not cordon's 32-byte key", "remove it");
      return std::string(buf, 32);
    }
    if (errno != ENOENT) return os_error("open", path, errno);
    char key[32];
    if (::getrandom(key, sizeof key, 0) != static_cast<ssize_t>(sizeof key))
      return os_error("getrandom", "", errno);
    const std::string tmp = path + ".new-" + std::to_string(::getpid());
    UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!out.valid()) return os_error("open", tmp, errno);
    const bool written = ::write(out.get(), key, sizeof key) == static_cast<ssize_t>(sizeof key);
    out.reset();
    const int linked = written ? ::link(tmp.c_str(), path.c_str()) : -1;
    const int link_errno = errno;
    ::unlink(tmp.c_str());
    if (!written) return os_error("write", tmp, EIO);
    if (linked != 0 && link_errno != EEXIST) return os_error("link", path, link_errno);
  }
  return usage_error("state", "cannot create '" + path + "'", "check the state directory");
}

// Records that a run uses the workspace named `key` now: the record's mtime. Written
// once (a temporary name renamed into place, so a reader sees all of it or nothing).
Status note_use(const std::string& root, const std::string& key, const std::string& workspace) {
  const std::string record = paths::join(root, "workspaces/" + key);
  if (::utimensat(AT_FDCWD, record.c_str(), nullptr, AT_SYMLINK_NOFOLLOW) == 0) return Ok{};
  if (errno != ENOENT) return os_error("utimensat", record, errno);
  if (auto st = mkdirs(paths::join(root, "workspaces"), 0700); !st) return st.error();
  const std::string tmp = record + ".new-" + std::to_string(::getpid());
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!out.valid()) return os_error("open", tmp, errno);
  const std::string text = workspace + "\n";
  const bool written = ::write(out.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
  out.reset();
  if (!written || ::rename(tmp.c_str(), record.c_str()) != 0) {
    const int code = written ? errno : EIO;
    ::unlink(tmp.c_str());
    return os_error(written ? "rename" : "write", record, code);
  }
  return Ok{};
}

// Opens `path` and locks it shared; again when `cordon gc` removed the file between the
// open and the lock (a lock on a file no longer named excludes nobody).
Result<UniqueFd> lock_shared(const std::string& path) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return os_error("open", path, errno);
    if (::flock(fd.get(), LOCK_SH) != 0) return os_error("flock(LOCK_SH)", path, errno);
    struct stat held {
    }, named{};
    if (::fstat(fd.get(), &held) == 0 && ::lstat(path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev)
      return fd;
  }
  return usage_error("state", "the lock '" + path + "' keeps being replaced", "is a cordon gc looping?");
}

}  // namespace

std::string state_root_path(const std::string& home, unsigned uid) {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg && paths::is_absolute(xdg)) return paths::join(xdg, "cordon");
  if (!home.empty()) return paths::join(home, ".local/state/cordon");
  return "/tmp/cordon-" + std::to_string(uid);
}

std::string state_name(const std::string& secret, const std::string& workspace) {
  return hash_hex(secret + workspace) + hash_hex(workspace + secret);
}

Result<std::string> read_state_key(const std::string& root) {
  struct stat st {};
  const std::string path = paths::join(root, "key");
  if (::lstat(path.c_str(), &st) != 0) return os_error("lstat", path, errno);
  return state_key(root);
}

Result<StateDirs> prepare_state(const std::string& workspace, const std::string& home, unsigned uid) {
  StateDirs s;
  s.root = state_root_path(home, uid);
  // Checked before anything is created (bad input changes nothing), as the kernel resolves
  // the path: XDG_STATE_HOME=/proc/self/cwd/x or a symlink can name the workspace in disguise.
  char real_ws[PATH_MAX];
  const std::string ws = ::realpath(workspace.c_str(), real_ws) ? std::string(real_ws) : workspace;
  if (paths::is_within(resolved(s.root), ws) || paths::is_within(s.root, workspace))
    return usage_error("state", "cordon's state directory '" + s.root + "' lies inside the workspace",
                       "set XDG_STATE_HOME to a directory outside the workspace");
  for (const auto& d : {s.root, paths::join(s.root, "tmp"), paths::join(s.root, "locks"),
                        paths::join(s.root, "placeholders")}) {
    if (auto st = mkdirs(d, 0700); !st) return st.error();
  }
  if (auto st = check_owned(s.root, uid); !st) return st.error();
  // From here on, the state directory as the kernel resolves it (XDG_STATE_HOME set to
  // /proc/self/cwd/x, a symlink or `..` named the workspace in disguise): the workspace
  // check, the mask and the read-only protection inside other writable roots all use it,
  // so a command can never write the ledger and lock that cordon's cleaner acts on.
  char real[PATH_MAX];
  if (!::realpath(s.root.c_str(), real)) return os_error("realpath", s.root, errno);
  s.root = real;
  if (paths::is_within(s.root, ws))
    return usage_error("state", "cordon's state directory '" + s.root + "' lies inside the workspace",
                       "set XDG_STATE_HOME to a directory outside the workspace");
  // Names under the state directory are keyed hashes of the workspace: where the sandbox
  // can list them (Landlock-only mode), they tell neither project names nor paths, and
  // cannot be computed from a guessed path without the key (unreadable inside).
  auto secret = state_key(s.root);
  if (!secret) return secret.error();
  s.secret = *secret;
  s.key = state_name(*secret, workspace);
  s.private_tmp = paths::join(s.root, "tmp/" + s.key);
  // Before the private /tmp is made: a gc that decides after this sees the use.
  if (auto st = note_use(s.root, s.key, workspace); !st) return st.error();
  if (auto st = mkdirs(s.private_tmp, 0700); !st) return st.error();
  if (auto st = check_owned(s.private_tmp, uid); !st) return st.error();
  return s;
}

Result<PlaceholderGuard> PlaceholderGuard::hold(const StateDirs& state,
                                                const std::vector<std::string>& roots) {
  PlaceholderGuard g;
  g.create_path_ = paths::join(state.root, "locks/" + state.key + ".create");
  g.ledger_ = paths::join(state.root, "placeholders/" + state.key);
  std::vector<std::string> names{state.key};  // the private /tmp's (usually also the workspace root's)
  for (size_t i = 0; i < roots.size(); ++i) {
    const std::string& root = roots[i];
    // The workspace comes twice (a writable root, and the workspace): resolved once.
    if (std::find(roots.begin(), roots.begin() + static_cast<std::ptrdiff_t>(i), root) !=
        roots.begin() + static_cast<std::ptrdiff_t>(i))
      continue;
    char real[PATH_MAX];
    names.push_back(state_name(state.secret, ::realpath(root.c_str(), real) ? std::string(real) : root));
  }
  for (const auto& name : names) {
    const std::string path = paths::join(state.root, "locks/" + name + ".lock");
    if (std::find(g.lock_paths_.begin(), g.lock_paths_.end(), path) != g.lock_paths_.end()) continue;
    auto fd = lock_shared(path);
    if (!fd) return fd.error();
    g.lock_paths_.push_back(path);
    g.in_use_.push_back(std::move(*fd));
  }
  // A gc may have taken the private /tmp out of use after prepare_state() and before
  // the lock: made again, empty (it had not been used for the gc's age).
  if (::mkdir(state.private_tmp.c_str(), 0700) != 0 && errno != EEXIST)
    return os_error("mkdir", state.private_tmp, errno);
  return g;
}

Status PlaceholderGuard::create(const std::vector<Placeholder>& items) {
  ran_ = true;
  if (items.empty()) return Ok{};
  UniqueFd creating(::open(create_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!creating.valid()) return os_error("open", create_path_, errno);
  if (::flock(creating.get(), LOCK_EX) != 0) return os_error("flock(LOCK_EX)", create_path_, errno);
  std::ofstream ledger(ledger_, std::ios::app);
  for (const auto& p : items) {
    struct stat st {};
    if (::lstat(p.path.c_str(), &st) == 0) continue;  // created by a concurrent run meanwhile
    // Record before creating: a crash in between leaves a ledger entry, never an orphan.
    // Recorded with its parent resolved now, before the run: the cleaner then refuses
    // any symlink on the way (one the sandbox planted), and needs none that was there.
    ledger << (p.directory ? 'd' : 'f') << canonical_parent(p.path) << "\n";
    ledger.flush();
    int rc = p.directory ? ::mkdir(p.path.c_str(), 0755)
                         : ::close(::open(p.path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
    if (rc != 0 && errno != EEXIST)
      return os_error(p.directory ? "mkdir" : "open(O_CREAT)", p.path, errno,
                      "cordon creates an empty placeholder so the sandbox cannot create this protected path");
  }
  return Ok{};
}

namespace {

// The cleaner is a fork of cordon: overwrite the argv area so that /proc/PID/cmdline
// says what it is instead of repeating the sandboxed command line.
void set_process_title(const char* title) {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  char* start = program_invocation_name;  // argv[0]; the argv strings follow contiguously
  if (!start || cmdline.size() < 2) return;
  std::memset(start, 0, cmdline.size());
  std::strncpy(start, title, cmdline.size() - 1);
}

}  // namespace

void remove_placeholders(const std::string& ledger_path) {
  std::vector<std::pair<char, std::string>> entries;
  {
    std::ifstream f(ledger_path);
    for (std::string line; std::getline(f, line);)
      if (line.size() >= 2) entries.emplace_back(line[0], line.substr(1));
  }
  // Each removal of a former mount point waits for an RCU grace period in the kernel;
  // in parallel they share the wait.
  std::vector<std::thread> workers;
  for (const auto& [type, path] : entries) {
    workers.emplace_back([type = type, path = path] {
      // The parent is opened without following any link (a symlink the sandbox put in
      // place of a directory would lead outside), and the entry is removed beneath it:
      // only an empty directory, or an empty regular file with a single link.
      auto parent = PinnedDir::open_without_links(paths::parent(path));
      if (!parent) return;
      const std::string name = paths::basename(path);
      auto st = stat_entry(*parent, name);
      if (!st) return;
      if (type == 'd' && S_ISDIR(st->st_mode))
        (void)remove_empty_dir(*parent, name);  // fails when no longer empty: then it is the user's
      else if (type == 'f' && S_ISREG(st->st_mode) && st->st_size == 0 && st->st_nlink == 1)
        ::unlinkat(parent->fd(), name.c_str(), 0);
    });
  }
  for (auto& w : workers) w.join();
  std::ofstream(ledger_path, std::ios::trunc).flush();
}

void PlaceholderGuard::start_cleaner() {
  long linger_ms = 500;
  if (const char* env = std::getenv("CORDON_PLACEHOLDER_LINGER_MS"))
    linger_ms = std::strtol(env, nullptr, 10);
  if (linger_ms < 0 || linger_ms > 60000) linger_ms = 500;
  // Double fork: the cleaner is reparented away and never becomes our zombie.
  pid_t pid = ::fork();
  if (pid < 0) return;  // the next run's cleaner will remove them
  if (pid > 0) {
    ::waitpid(pid, nullptr, 0);
    return;
  }
  ::setsid();
  if (::fork() != 0) ::_exit(0);
  set_process_title("cordon: placeholder cleanup");
  // Hold none of the caller's descriptors (pipes would keep a reader waiting).
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  for (int fd = 0; fd < 3; ++fd) {
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0 && devnull != fd) {
      ::dup2(devnull, fd);
      ::close(devnull);
    }
  }
  if (linger_ms > 0) ::usleep(static_cast<useconds_t>(linger_ms) * 1000);
  // Fresh open file descriptions (the inherited ones share the parent's locks): every
  // root's lock exclusive, or nothing is removed (a live run may mount there; the last
  // run of this workspace to end cleans up).
  std::vector<UniqueFd> locks;
  for (const auto& path : lock_paths_) {
    UniqueFd lock(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!lock.valid() || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) ::_exit(0);
    locks.push_back(std::move(lock));
  }
  remove_placeholders(ledger_);
  ::_exit(0);
}

PlaceholderGuard::~PlaceholderGuard() {
  release();
}

void PlaceholderGuard::release() {
  if (in_use_.empty()) return;
  in_use_.clear();  // release our shared locks first, so the cleaner can take them
  // Whichever run ends last cleans up, including placeholders an overlapping run
  // created (its own cleaner found this run still holding the lock and gave up).
  struct stat st {};
  if (ran_ && ::stat(ledger_.c_str(), &st) == 0 && st.st_size > 0) start_cleaner();
}

}  // namespace cordon
