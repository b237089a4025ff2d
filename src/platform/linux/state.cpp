#include "platform/linux/state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "core/paths.hpp"

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

std::set<std::string> read_ledger(const std::string& path) {
  std::set<std::string> out;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) out.insert(line.substr(1));
  return out;
}

}  // namespace

Result<StateDirs> prepare_state(const std::string& workspace, const std::string& home, unsigned uid) {
  StateDirs s;
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg && paths::is_absolute(xdg)) s.root = paths::join(xdg, "cordon");
  else if (!home.empty()) s.root = paths::join(home, ".local/state/cordon");
  else s.root = "/tmp/cordon-" + std::to_string(uid);
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

Result<PlaceholderGuard> PlaceholderGuard::create(const StateDirs& state, const std::vector<Placeholder>& items) {
  PlaceholderGuard g;
  if (items.empty()) return g;
  const std::string lock_path = paths::join(state.root, "locks/" + state.key + ".lock");
  g.lock_.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!g.lock_.valid()) return os_error("open", lock_path, errno);
  g.ledger_ = paths::join(state.root, "placeholders/" + state.key);
  // Exclusive while creating and recording, then shared for the run.
  if (::flock(g.lock_.get(), LOCK_EX) != 0) return os_error("flock", lock_path, errno);
  std::set<std::string> recorded = read_ledger(g.ledger_);
  {
    std::ofstream ledger(g.ledger_, std::ios::app);
    for (const auto& p : items) {
      struct stat st {};
      if (::lstat(p.path.c_str(), &st) == 0) continue;  // exists (perhaps ours from a concurrent run)
      ledger << (p.directory ? 'd' : 'f') << p.path << "\n";
      ledger.flush();
      int rc = p.directory ? ::mkdir(p.path.c_str(), 0755)
                           : ::close(::open(p.path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
      if (rc != 0 && errno != EEXIST) return os_error(p.directory ? "mkdir" : "open(O_CREAT)", p.path, errno,
                                                      "cordon creates an empty placeholder so the sandbox cannot create this protected path");
    }
  }
  if (::flock(g.lock_.get(), LOCK_SH) != 0) return os_error("flock", lock_path, errno);
  return g;
}

void PlaceholderGuard::cleanup() {
  if (!lock_.valid() || ledger_.empty()) return;
  // Only the last run using the placeholders removes them.
  if (::flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) return;
  std::ifstream f(ledger_);
  for (std::string line; std::getline(f, line);) {
    if (line.size() < 2) continue;
    const std::string path = line.substr(1);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (line[0] == 'd') {
      ::rmdir(path.c_str());  // fails when no longer empty: then it is the user's
    } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
      ::unlink(path.c_str());
    }
  }
  std::ofstream(ledger_, std::ios::trunc).flush();
}

PlaceholderGuard::~PlaceholderGuard() { cleanup(); }

}  // namespace cordon
