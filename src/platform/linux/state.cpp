#include "platform/linux/state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

}  // namespace

Result<StateDirs> prepare_state(const std::string& workspace, const std::string& home, unsigned uid) {
  StateDirs s;
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg && paths::is_absolute(xdg))
    s.root = paths::join(xdg, "cordon");
  else if (!home.empty())
    s.root = paths::join(home, ".local/state/cordon");
  else
    s.root = "/tmp/cordon-" + std::to_string(uid);
  if (paths::is_within(s.root, workspace))
    return usage_error("state", "cordon's state directory '" + s.root + "' lies inside the workspace",
                       "set XDG_STATE_HOME to a directory outside the workspace");
  s.key = hash_hex(workspace);
  std::string name = paths::basename(workspace);
  if (name.empty() || name == "/") name = "root";
  s.private_tmp = paths::join(s.root, "tmp/" + name + "-" + s.key);
  for (const auto& d : {s.root, paths::join(s.root, "tmp"), paths::join(s.root, "locks"),
                        paths::join(s.root, "placeholders"), s.private_tmp}) {
    if (auto st = mkdirs(d, 0700); !st) return st.error();
  }
  if (auto st = check_owned(s.root, uid); !st) return st.error();
  if (auto st = check_owned(s.private_tmp, uid); !st) return st.error();
  return s;
}

Result<PlaceholderGuard> PlaceholderGuard::hold(const StateDirs& state) {
  PlaceholderGuard g;
  g.lock_path_ = paths::join(state.root, "locks/" + state.key + ".lock");
  g.create_path_ = paths::join(state.root, "locks/" + state.key + ".create");
  g.ledger_ = paths::join(state.root, "placeholders/" + state.key);
  g.in_use_.reset(::open(g.lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!g.in_use_.valid()) return os_error("open", g.lock_path_, errno);
  if (::flock(g.in_use_.get(), LOCK_SH) != 0) return os_error("flock(LOCK_SH)", g.lock_path_, errno);
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
  // A fresh open file description: the inherited one shares the parent's lock.
  UniqueFd lock(::open(lock_path_.c_str(), O_RDWR | O_CLOEXEC));
  if (lock.valid() && ::flock(lock.get(), LOCK_EX | LOCK_NB) == 0) remove_placeholders(ledger_);
  ::_exit(0);
}

PlaceholderGuard::~PlaceholderGuard() {
  if (!in_use_.valid()) return;
  in_use_.reset();  // release our shared lock first, so the cleaner can take it
  // Whichever run ends last cleans up, including placeholders an overlapping run
  // created (its own cleaner found this run still holding the lock and gave up).
  struct stat st {};
  if (ran_ && ::stat(ledger_.c_str(), &st) == 0 && st.st_size > 0) start_cleaner();
}

}  // namespace cordon
