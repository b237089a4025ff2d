#include "platform/linux/create_broker.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/git_config.hpp"
#include "core/git_layout.hpp"
#include "core/paths.hpp"
#include "plan/ask_rules.hpp"
#include "platform/linux/caller.hpp"
#include "platform/linux/pinned_fs.hpp"

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef FS_CASEFOLD_FL
#define FS_CASEFOLD_FL 0x40000000
#endif

namespace cordon {

// A name to make: its directory, pinned in the command's view, and its last component.
struct CreateBroker::Named {
  UniqueFd dir;
  std::string dir_text;  // absolute in the command's view, as named (not normalised)
  std::string name;      // the last component ("." for "/")
  bool slash = false;    // the path ended in '/': kept for the call, as the kernel sees it
  std::string path() const { return paths::normalize(dir_text + "/" + name); }
  std::string arg() const { return slash ? name + "/" : name; }
};

namespace {

constexpr int kMaxHops = 40;  // the kernel's limit on links followed in one lookup

int wake_signal() {
  return SIGRTMIN + 3;
}  // the broker's connect deadline uses it too: a no-op

bool still_pending(int listener, uint64_t id) {
  return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

int fd_arg(uint64_t v) {
  return static_cast<int>(static_cast<int32_t>(v));
}

std::string read_link_at(int dir, const char* name) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlinkat(dir, name, buf, sizeof buf);
  return n > 0 && static_cast<size_t>(n) < sizeof buf ? std::string(buf, static_cast<size_t>(n))
                                                      : std::string();
}

// `path` (as the caller named it, relative to `dirfd`) made absolute in its view: its
// working directory or that descriptor's path, as /proc/TID prints it for the sandbox.
int absolute(pid_t tid, int dirfd, const std::string& path, std::string& out) {
  if (path.empty()) return ENOENT;
  if (path[0] == '/') {
    out = path;
    return 0;
  }
  const std::string proc =
      "/proc/" + std::to_string(tid) + (dirfd == AT_FDCWD ? "/cwd" : "/fd/" + std::to_string(dirfd));
  const std::string base = read_link_at(AT_FDCWD, proc.c_str());
  if (base.empty()) return dirfd == AT_FDCWD ? ENOENT : EBADF;
  if (base[0] != '/') return ENOTDIR;  // a pipe, a socket
  out = base + "/" + path;
  return 0;
}

// "/proc/self/fd/N", "/proc/thread-self/fd/N", "/dev/fd/N": the caller's descriptor N.
// (/dev/stdin, stdout and stderr are links to the first form.) Lexical: it only picks
// a descriptor the caller holds, never more access than that descriptor has.
bool caller_fd(const std::string& abs, int& fd) {
  const std::string p = paths::normalize(abs);
  for (const char* prefix : {"/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/"}) {
    const size_t n = std::strlen(prefix);
    if (p.compare(0, n, prefix) != 0 || p.size() == n || p.size() > n + 9) continue;
    if (!std::all_of(p.begin() + static_cast<long>(n), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    fd = std::stoi(p.substr(n));
    return true;
  }
  return false;
}

// Does the directory fold case now? The command may have made it so (FS_CASEFOLD_FL,
// settable on an empty directory by its owner). Unknown counts as folding.
bool folds_now(int dir_path) {
  UniqueFd dir(::openat(dir_path, ".", O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC));
  unsigned long attrs = 0;
  if (!dir.valid() || ::ioctl(dir.get(), FS_IOC_GETFLAGS, &attrs) != 0)
    return !(errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL);
  return (attrs & FS_CASEFOLD_FL) != 0;
}

// The mount a descriptor's object lies on (statx STATX_MNT_ID, Linux 5.8; else fdinfo).
bool mount_id(int fd, uint64_t& id) {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) == 0 &&
      (sx.stx_mask & STATX_MNT_ID)) {
    id = sx.stx_mnt_id;
    return true;
  }
  UniqueFd info(::open(("/proc/self/fdinfo/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC));
  char buf[512];
  const ssize_t n = info.valid() ? ::read(info.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* m = std::strstr(buf, "mnt_id:");
  if (!m) return false;
  id = std::strtoull(m + 7, nullptr, 10);
  return true;
}

// Is `name` in `dir` a mount point in the command's view (a read-only bind of a
// protected path, a pinned directory)? The kernel refuses to rename one (EBUSY), but
// checks the namespace of the caller, and cordon's is not the sandbox's: so cordon
// checks in the sandbox's tree first. Unknown counts as a mount point. Mounts cannot
// change during the run (the command may not mount).
bool mount_point(int dir, const std::string& name) {
  if (name == "." || name == "..") return false;  // the kernel refuses these itself
  UniqueFd obj(::openat(dir, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!obj.valid()) return errno != ENOENT && errno != ENOTDIR;
  uint64_t a = 0, b = 0;
  return !mount_id(dir, a) || !mount_id(obj.get(), b) || a != b;
}

// File systems that compare names without case.
bool case_insensitive_fs(long type) {
  return type == MSDOS_SUPER_MAGIC || type == 0x2011BAB0 /* exfat */ || type == 0x5346544e /* ntfs */ ||
         type == 0x7366746e /* ntfs3 */ || type == static_cast<long>(0xFF534D42) /* cifs */ ||
         type == static_cast<long>(0xFE534D42) /* smb2 */;
}

bool on_procfs(int fd) {
  struct statfs fs {};
  return ::fstatfs(fd, &fs) != 0 || fs.f_type == PROC_SUPER_MAGIC;
}

// The caller's umask (/proc/TID/status), or 022 when it cannot be read.
mode_t caller_umask(pid_t tid) {
  UniqueFd f(::open(("/proc/" + std::to_string(tid) + "/status").c_str(), O_RDONLY | O_CLOEXEC));
  char buf[2048];
  const ssize_t n = f.valid() ? ::read(f.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return 022;
  buf[n] = '\0';
  const char* u = std::strstr(buf, "\nUmask:");
  return u ? static_cast<mode_t>(std::strtoul(u + 7, nullptr, 8) & 0777) : 022;
}

// /dev/tty is the opener's controlling terminal: opened by cordon (by name, or by
// reopening a descriptor of it) it is cordon's, the user's terminal, never the
// command's; and the command's own cannot be told apart from it by number
// (pseudo-terminals of other instances share numbers). Without O_CREAT the kernel
// opens the command's own.
bool is_dev_tty(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0);
}

// The device of a process's controlling terminal (field 7 of /proc/PID/stat), 0 if none.
dev_t controlling_terminal(pid_t tid) {
  UniqueFd f(::open(("/proc/" + std::to_string(tid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC));
  char buf[1024];
  const ssize_t n = f.valid() ? ::read(f.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');  // the command's name may hold anything
  for (int field = 2; p && *p && field < 7; ++p)
    if (*p == ' ') ++field;
  return p ? static_cast<dev_t>(std::strtoul(p, nullptr, 10)) : 0;
}

// For one call made for the command: its umask when the call creates (the supervisor's
// thread has its own fs_struct, so nothing else sees it), and no effective capabilities
// when cordon has some (the command has none; capabilities are per thread).
class ActingFor {
 public:
  // `caps`: cordon's capabilities (taken once), or null when it has none to set aside.
  ActingFor(pid_t tid, bool creates, const __user_cap_data_struct* caps) : caps_(caps) {
    if (creates) ::umask(caller_umask(tid));
    if (!caps_) return;
    __user_cap_data_struct none[2];
    std::memcpy(none, caps_, sizeof none);
    none[0].effective = none[1].effective = 0;
    ok_ = ::syscall(SYS_capset, &hdr_, none) == 0;
  }
  ~ActingFor() {
    if (caps_ && ok_) (void)::syscall(SYS_capset, &hdr_, caps_);
  }
  ActingFor(const ActingFor&) = delete;
  ActingFor& operator=(const ActingFor&) = delete;
  // False: the capabilities could not be set aside, and nothing may be done.
  bool ready() const { return !caps_ || ok_; }

 private:
  const __user_cap_data_struct* caps_;
  bool ok_ = false;
  __user_cap_header_struct hdr_{_LINUX_CAPABILITY_VERSION_3, 0};
};

BrokerReply error(int e) {
  BrokerReply r;
  r.decided = true;
  r.error = e;
  return r;
}

BrokerReply result(int rc) {
  return error(rc == 0 ? 0 : errno);
}

BrokerReply gone() {  // the caller went away: nothing to answer
  BrokerReply r;
  r.deferred = true;
  return r;
}

// Splits `abs` into its directory, pinned in the command's view, and its last name.
int split(pid_t tid, int root, std::string abs, std::string& dir_text, std::string& name, bool& slash,
          UniqueFd& dir) {
  size_t end = abs.size();
  while (end > 1 && abs[end - 1] == '/') --end;
  slash = end < abs.size();
  abs.resize(end);
  const size_t cut = abs.rfind('/');
  name = abs.substr(cut + 1);
  dir_text = cut == 0 ? "/" : abs.substr(0, cut);
  if (name.empty()) name = ".";
  if (name.size() > NAME_MAX) return ENAMETOOLONG;
  int err = 0;
  dir = resolve_in_view(tid, root, dir_text, O_PATH | O_DIRECTORY, err);
  return dir.valid() ? 0 : err;
}

}  // namespace

bool creates_name(FsCall call, const seccomp_notif& req) {
  auto opens_creating = [](uint64_t flags) {
    return (flags & (O_CREAT | O_WRONLY | O_RDWR | O_TRUNC)) != 0 && (flags & O_PATH) == 0 &&
           (flags & __O_TMPFILE) == 0;
  };
  switch (call) {
    case FsCall::Open:
      return opens_creating(req.data.args[1]);
    case FsCall::OpenAt:
      return opens_creating(req.data.args[2]);
    case FsCall::OpenAt2:
    case FsCall::Creat:
    case FsCall::Mkdir:
    case FsCall::MkdirAt:
    case FsCall::Mknod:
    case FsCall::MknodAt:
    case FsCall::Symlink:
    case FsCall::SymlinkAt:
    case FsCall::Link:
    case FsCall::LinkAt:
    case FsCall::Rename:
    case FsCall::RenameAt:
    case FsCall::RenameAt2:
    case FsCall::Truncate:
    case FsCall::Bind:
    case FsCall::Unlink:  // routed to the broker only with --ask (supervisor_compile)
    case FsCall::UnlinkAt:
    case FsCall::Rmdir:
      return true;
    default:
      return false;
  }
}

Status CreateBroker::pin_watched() {
  // One look per directory: the refused paths mostly share one (the top of the workspace).
  std::string last_parent;
  Watch last{};
  for (const auto& path : rules_.refuse_create) {
    const std::string parent = paths::parent(path);
    if (parent != last_parent) {
      UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK));
      struct stat st {};
      if (!dir.valid() || ::fstat(dir.get(), &st) != 0)
        return os_error("open", parent, errno,
                        "cordon watches this directory so that " + path + " cannot be created");
      // Where names are compared without case (a case-folding directory, or a file
      // system that ignores case), `.VSCode` is `.vscode`.
      unsigned long attrs = 0;
      struct statfs fs {};
      const bool folds = ::fstatfs(dir.get(), &fs) == 0 && case_insensitive_fs(fs.f_type);
      const bool casefold = ::ioctl(dir.get(), FS_IOC_GETFLAGS, &attrs) == 0 && (attrs & FS_CASEFOLD_FL) != 0;
      last = Watch{st.st_dev, st.st_ino,
                   folds      ? paths::NameFolding::Windows
                   : casefold ? paths::NameFolding::CaseFold
                              : paths::NameFolding::Exact,
                   "", ""};
      last_parent = parent;
    }
    Watch w = last;
    w.name = paths::basename(path);
    w.path = path;
    watched_.push_back(std::move(w));
  }
  for (const auto& path : rules_.git_configs) {
    GitConfig g;
    g.path = path;
    auto dir = PinnedDir::open_without_links(paths::parent(path));
    struct stat st {};
    if (!dir || ::fstat(dir->fd(), &st) != 0) continue;  // then a rename over it stays refused (EBUSY)
    g.dev = st.st_dev;
    g.ino = st.st_ino;
    g.file.reset(::openat(dir->fd(), "config", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat fst {};
    if (!g.file.valid() || ::fstat(g.file.get(), &fst) != 0 || !S_ISREG(fst.st_mode)) continue;
    git_configs_.push_back(std::move(g));
  }
  for (const auto& path : rules_.guarded_files) {
    // Looked at without following a link, beneath a directory opened without one: the
    // file the plan read. Gone or no longer a file: there is nothing to write to.
    auto dir = PinnedDir::open_without_links(paths::parent(path));
    if (!dir) continue;
    UniqueFd file(::openat(dir->fd(), paths::basename(path).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!file.valid() || ::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    guarded_.push_back(Guarded{st.st_dev, st.st_ino, std::move(file), path});
  }
  return Ok{};
}

namespace {

// A mount point as /proc/PID/mountinfo writes it: space, tab, newline and backslash octal.
std::string unescape_mount_path(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto digit = [&](size_t k) { return std::isdigit(static_cast<unsigned char>(s[k])) != 0; };
    if (s[i] == '\\' && i + 3 < s.size() && digit(i + 1) && digit(i + 2) && digit(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The whole of a mountinfo file in large reads: the kernel walks the mount list again for
// every read, so small ones (a stream's) cost time quadratic in the number of mounts, and
// there is one per protected path.
std::string read_mountinfo(int fd) {
  std::string out;
  std::vector<char> buf(size_t{1} << 18);
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
    at += n;
  }
  return out;
}

}  // namespace

void CreateBroker::attach(pid_t child) {
  // Which of the sandbox's mounts lie at or below a policy root: protected names are
  // refused in every directory on them. The namespace is fixed at open; the command
  // cannot mount.
  if (!rules_.refuse_names.empty() && child > 0)
    mountinfo_.reset(::open(("/proc/" + std::to_string(child) + "/mountinfo").c_str(), O_RDONLY | O_CLOEXEC));
  // The umask is set per call for the caller: this thread's own, not cordon's.
  (void)::unshare(CLONE_FS);
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  // Unknown counts as having some: then every call fails (ActingFor not ready) rather than
  // act with capabilities the command does not have.
  drop_caps_ = ::syscall(SYS_capget, &hdr, caps_) != 0 || caps_[0].effective != 0 || caps_[1].effective != 0;
  // Every process of the sandbox has the same root (none may chroot): resolved from the
  // first process's, once.
  root_.reset(::open(("/proc/" + std::to_string(child) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  // The masks of the user's --deny-read files, by mount: resolved in the sandbox's view
  // before the command could change anything there (every call that makes, moves or
  // removes a name waits for this thread), each a mount point of its own over a regular
  // file. Only these are ever asked about (read()).
  if (rules_.asks_reads() && root_.valid())
    for (const auto& path : rules_.asked_reads) {
      int err = 0;
      UniqueFd obj = resolve_in_view(child, root_.get(), path, O_PATH | O_NOFOLLOW, err);
      UniqueFd dir = resolve_in_view(child, root_.get(), paths::parent(path), O_PATH | O_DIRECTORY, err);
      struct stat st {};
      uint64_t mask = 0, parent = 0;
      if (obj.valid() && dir.valid() && ::fstat(obj.get(), &st) == 0 && S_ISREG(st.st_mode) &&
          mount_id(obj.get(), mask) && mount_id(dir.get(), parent) && mask != parent)
        asked_masks_.emplace(mask, path);
    }
  // The masks of the user's --deny-read directories likewise: an empty tmpfs, a mount of
  // its own, at the path. The real directory beneath it is pinned in cordon's own view of
  // the host, without following a link (a path with one is not asked about).
  if (rules_.asks_reads() && root_.valid())
    for (const auto& path : rules_.asked_read_dirs) {
      int err = 0;
      UniqueFd obj = resolve_in_view(child, root_.get(), path, O_PATH | O_NOFOLLOW | O_DIRECTORY, err);
      UniqueFd dir = resolve_in_view(child, root_.get(), paths::parent(path), O_PATH | O_DIRECTORY, err);
      struct statfs sf {};
      uint64_t mask = 0, parent = 0;
      if (!obj.valid() || !dir.valid() || ::fstatfs(obj.get(), &sf) != 0 ||
          sf.f_type != static_cast<decltype(sf.f_type)>(TMPFS_MAGIC) || !mount_id(obj.get(), mask) ||
          !mount_id(dir.get(), parent) || mask == parent)
        continue;
      auto real = PinnedDir::open_without_links(path);
      if (!real) continue;
      DirMask m;
      m.mask = std::move(obj);
      m.real.reset(::fcntl(real->fd(), F_DUPFD_CLOEXEC, 0));
      m.path = path;
      if (m.real.valid()) dir_masks_.emplace(mask, std::move(m));
    }
  static const bool handler = [] {  // interrupts a FIFO wait at the end of the run
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    return ::sigaction(wake_signal(), &sa, nullptr) == 0;
  }();
  (void)handler;
}

const std::vector<uint64_t>& CreateBroker::root_mounts() const {
  std::call_once(root_mounts_once_, [this] {
    if (!mountinfo_.valid()) return;
    const std::string info = read_mountinfo(mountinfo_.get());
    root_mounts_known_ = !info.empty();
    for (size_t at = 0; at < info.size();) {
      const size_t end = std::min(info.find('\n', at), info.size());
      const std::string_view line(info.data() + at, end - at);
      at = end + 1;
      // Fields 1 and 5 (space-separated): the mount id and the mount point.
      std::string_view field[5];
      size_t from = 0;
      int n = 0;
      for (; n < 5 && from <= line.size(); ++n) {
        const size_t cut = std::min(line.find(' ', from), line.size());
        field[n] = line.substr(from, cut - from);
        from = cut + 1;
      }
      if (n < 5) continue;
      const std::string point = unescape_mount_path(std::string(field[4]));
      for (const auto& r : rules_.policy_roots)
        if (paths::is_within(point, r)) {
          root_mounts_.push_back(std::strtoull(std::string(field[0]).c_str(), nullptr, 10));
          break;
        }
    }
    std::sort(root_mounts_.begin(), root_mounts_.end());
  });
  return root_mounts_;
}

// A directory with a protected name that appeared during the run below a policy root (made
// outside, by the user or an editor: the command could not make it) holds nothing the
// command may write: no name made in it, no file in it opened for writing, nothing renamed
// out of it. Decided on the pinned directory's own path, as the sandbox's tree has it.
std::optional<Denial> CreateBroker::inside_protected(const Named& n, Operation op) const {
  if (rules_.refuse_names.empty()) return std::nullopt;
  char buf[PATH_MAX];
  const ssize_t len =
      ::readlink(("/proc/self/fd/" + std::to_string(n.dir.get())).c_str(), buf, sizeof buf - 1);
  if (len <= 0 || buf[0] != '/')
    return std::nullopt;  // a directory out of the tree (deleted): no root holds it
  const std::string dir(buf, static_cast<size_t>(len));
  for (const auto& root : rules_.policy_roots) {
    if (!paths::is_within(dir, root)) continue;
    const std::string rest = dir.size() > root.size() ? dir.substr(root == "/" ? 1 : root.size() + 1) : "";
    size_t from = 0;
    while (from < rest.size()) {
      const size_t cut = std::min(rest.find('/', from), rest.size());
      const std::string part = rest.substr(from, cut - from);
      for (const auto& c : rules_.refuse_names)
        if (paths::may_name_same_entry(c.path, part, paths::NameFolding::Exact))
          return Denial{to_string(op), n.path(), "", "inside " + c.rule, c.suggestion};
      from = cut + 1;
    }
  }
  return std::nullopt;
}

namespace {

// The pinned directory's path in the sandbox's tree: "" when it has none (deleted: no
// name can be made in it), nullopt when it is too long to read whole (the caller refuses:
// a path past PATH_MAX must not escape the check).
std::optional<std::string> tree_path_checked(int dir) {
  char buf[PATH_MAX];
  const ssize_t len = ::readlink(("/proc/self/fd/" + std::to_string(dir)).c_str(), buf, sizeof buf);
  if (len < 0 && errno == ENAMETOOLONG) return std::nullopt;
  if (len >= static_cast<ssize_t>(sizeof buf)) return std::nullopt;
  if (len <= 0 || buf[0] != '/') return "";
  return std::string(buf, static_cast<size_t>(len));
}

std::string tree_path(int dir) {
  return tree_path_checked(dir).value_or("");
}

}  // namespace

// Decided on the directory's own path as the sandbox's tree has it now (readlink of the
// pinned descriptor, not the name the caller gave, so a link in the path leads nowhere
// unchecked). A git directory of the plan is a mount point (pinned), so its path cannot
// change; a directory below it can only be renamed to a name this check allows.
std::optional<CreateBroker::GitPlace> CreateBroker::git_place(const Named& n) const {
  if (!rules_.git_checks) return std::nullopt;
  const std::string dir = tree_path(n.dir.get());
  if (dir.empty()) return std::nullopt;
  const std::string* best = nullptr;
  for (const auto& g : rules_.gitdirs)
    if (paths::is_within(dir, g) && (!best || g.size() > best->size())) best = &g;
  if (best) {
    const std::string below = dir.size() > best->size() ? dir.substr(best->size() + 1) : "";
    return GitPlace{true, below.empty() ? n.name : below + "/" + n.name};
  }
  // A directory named .git below a policy root (not the private /tmp): a repository
  // made during the run (git init, git clone, an unpacked archive).
  for (const auto& root : rules_.policy_roots) {
    if (!paths::is_within(dir, root)) continue;
    const std::string rest = dir.size() > root.size() ? dir.substr(root == "/" ? 1 : root.size() + 1) : "";
    for (size_t from = 0; from < rest.size();) {
      const size_t cut = std::min(rest.find('/', from), rest.size());
      if (git_layout::is_dot_git(std::string_view(rest).substr(from, cut - from))) {
        const std::string below = cut < rest.size() ? rest.substr(cut + 1) : "";
        return GitPlace{false, below.empty() ? n.name : below + "/" + n.name};
      }
      from = cut + 1;
    }
  }
  return std::nullopt;
}

std::optional<Denial> CreateBroker::git_refused(const Named& n, Operation op, GitUse use) const {
  if (!rules_.git_checks) return std::nullopt;
  auto deny = [&](const std::string& why) {
    // Below a read-only bind (hooks/, config): reported as the protected path it is.
    if (auto d = classify(rules_, op, n.path()); d && d->rule.rfind("protected path", 0) == 0) return *d;
    return Denial{to_string(op), n.path(), "", "git directory: " + why, "--git writable"};
  };
  if (!tree_path_checked(n.dir.get())) return deny("the directory's path is too long for cordon to check");
  const auto place = git_place(n);
  if (!place) {
    // The name .git itself, below a policy root: a directory (git init) or a pointer file
    // (worktree add, a submodule's checkout) may be made; a link would send git anywhere,
    // and a directory moved there brings content nothing checked.
    if (!rules_.git_checks || !git_layout::is_dot_git(n.name)) return std::nullopt;
    const std::string dir = tree_path(n.dir.get());
    if (std::none_of(rules_.policy_roots.begin(), rules_.policy_roots.end(),
                     [&](const std::string& r) { return paths::is_within(dir, r); }))
      return std::nullopt;
    if (use == GitUse::Symlink) return deny("a .git link sends git to a directory nothing checked");
    if (use == GitUse::MoveDirectory) return deny("a directory moved to .git brings content nothing checked");
    // The check after the run reads only the record of .git files made: one it has no room
    // for is refused, not left unchecked. Recorded before it is made (a name that is then
    // not made is passed over after the run).
    if (!reserve_git_pointer(paths::join(dir, n.name)))
      return deny("more .git files made in this run than cordon can check after it (" +
                  std::to_string(kMaxGitPointers) + ")");
    return std::nullopt;
  }
  if (use == GitUse::Symlink) {
    // git init and git clone probe whether links work with a link named by mkstemp
    // ("t" and six characters) at the top of the new git directory, and set
    // core.symlinks=false (checkouts without links) when that fails.
    const std::string r = paths::basename(place->rel);
    const bool new_gitdir = !place->existing || place->rel.rfind("modules/", 0) == 0;
    const bool probe = new_gitdir && r.size() == 7 && r[0] == 't' &&
                       std::all_of(r.begin() + 1, r.end(),
                                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
    if (!probe) return deny("a link inside a git directory sends git elsewhere");
    return std::nullopt;
  }
  if (use == GitUse::MoveDirectory && !(place->existing && git_layout::directory_may_move_to(place->rel)))
    return deny("a directory moved into a git directory brings content nothing checked");
  const auto verdict =
      place->existing ? git_layout::check_existing(place->rel) : git_layout::check_new(place->rel);
  if (verdict.allowed) return std::nullopt;
  return deny(verdict.reason);
}

bool CreateBroker::reserve_git_pointer(const std::string& path) const {
  std::lock_guard<std::mutex> lock(pointers_mutex_);
  if (std::find(new_pointers_.begin(), new_pointers_.end(), path) != new_pointers_.end()) return true;
  if (new_pointers_.size() >= kMaxGitPointers) return false;
  new_pointers_.push_back(path);
  return true;
}

void CreateBroker::note_git_pointer(const Named& n) {
  constexpr size_t kMaxPointers = kMaxGitPointers;  // past that, one entry says the rest went unchecked
  if (!rules_.git_checks || !git_layout::is_dot_git(n.name) || git_place(n)) return;
  const std::string dir = tree_path(n.dir.get());
  if (dir.empty() || std::none_of(rules_.policy_roots.begin(), rules_.policy_roots.end(),
                                  [&](const std::string& r) { return paths::is_within(dir, r); }))
    return;
  const std::string path = paths::join(dir, n.name);
  std::lock_guard<std::mutex> lock(pointers_mutex_);
  if (std::find(new_pointers_.begin(), new_pointers_.end(), path) != new_pointers_.end()) return;
  if (new_pointers_.size() < kMaxPointers)
    new_pointers_.push_back(path);
  else if (new_pointers_.size() == kMaxPointers)
    new_pointers_.emplace_back();  // "" = too many
}

std::optional<Denial> CreateBroker::guarded_write(const Named& n, const struct stat& st) const {
  for (const auto& g : guarded_)
    if (g.dev == st.st_dev && g.ino == st.st_ino)
      return Denial{to_string(Operation::Write), n.path(), "",
                    "protected path: .git pointer file (names the git directory whose hooks and config "
                    "apply; it may be removed, not rewritten)",
                    "none: change it outside the sandbox (or --git writable)"};
  return std::nullopt;
}

bool CreateBroker::moves_plan_gitdir(const Named& n) const {
  if (!rules_.git_checks || rules_.gitdirs.empty()) return false;
  const std::string dir = tree_path(n.dir.get());
  if (dir.empty()) return true;  // where it is cannot be told: as a mount point would be
  const std::string path = paths::join(dir, n.name);
  return std::find(rules_.gitdirs.begin(), rules_.gitdirs.end(), path) != rules_.gitdirs.end();
}

void CreateBroker::follow_moved_pointers(const std::string& from, const std::string& to, bool exchange) {
  if (from.empty() || to.empty()) return;
  std::lock_guard<std::mutex> lock(pointers_mutex_);
  for (auto& p : new_pointers_) {
    if (p.empty()) continue;
    if (paths::is_within(p, from) && p != from)
      p = to + p.substr(from.size());
    else if (exchange && paths::is_within(p, to) && p != to)
      p = from + p.substr(to.size());
  }
}

std::optional<Denial> CreateBroker::refused(const Named& n, Operation op) const {
  if (watched_.empty() && rules_.refuse_names.empty()) return std::nullopt;
  if (auto d = inside_protected(n, op)) return d;
  struct stat st {};
  if (::fstat(n.dir.get(), &st) != 0) return Denial{to_string(op), n.path(), "", "unknown directory", ""};
  // Whether the directory folds case is asked of the kernel once per call, not once per
  // watched name: the top of the workspace has dozens of them, and each look is three calls.
  std::optional<bool> folds;
  for (const auto& w : watched_) {
    if (w.dev != st.st_dev || w.ino != st.st_ino) continue;
    if (w.folding == paths::NameFolding::Exact && !folds) folds = folds_now(n.dir.get());
    const auto folding =
        w.folding == paths::NameFolding::Exact && *folds ? paths::NameFolding::CaseFold : w.folding;
    if (paths::may_name_same_entry(w.name, n.name, folding)) {
      // Reported as the protected path it would have made (named perhaps through a
      // link, or in another case).
      if (auto d = classify(rules_, op, w.path)) return d;
      return Denial{to_string(op), n.path(), "", "protected path (absent: cannot be created)", ""};
    }
  }
  if (rules_.refuse_names.empty()) return std::nullopt;
  struct statfs fs {};
  const auto folding = ::fstatfs(n.dir.get(), &fs) == 0 && case_insensitive_fs(fs.f_type)
                           ? paths::NameFolding::Windows
                       : folds_now(n.dir.get()) ? paths::NameFolding::CaseFold
                                                : paths::NameFolding::Exact;
  const DenialRules::Carve* hit = nullptr;
  for (const auto& c : rules_.refuse_names)
    if (paths::may_name_same_entry(c.path, n.name, folding)) hit = &c;
  if (!hit) return std::nullopt;
  uint64_t mnt = 0;
  if (!mount_id(n.dir.get(), mnt)) return Denial{to_string(op), n.path(), "", "unknown mount", ""};
  const auto& mounts = root_mounts();
  // Fail closed: without the sandbox's mount list, every protected name is refused.
  if (!root_mounts_known_) return Denial{to_string(op), n.path(), "", hit->rule, hit->suggestion};
  if (!std::binary_search(mounts.begin(), mounts.end(), mnt)) return std::nullopt;
  return Denial{to_string(op), n.path(), "", hit->rule, hit->suggestion};
}

BrokerReply CreateBroker::install(const seccomp_notif& req, int listener, int fd, bool cloexec) {
  seccomp_notif_addfd add{};
  add.id = req.id;
  add.flags = SECCOMP_ADDFD_FLAG_SEND;
  add.srcfd = static_cast<__u32>(fd);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0) return gone();  // installed and answered
  if (errno == ENOENT) return gone();                                          // the caller went away
  if (errno != EINVAL) return error(errno);  // EMFILE: the caller's table is full
  add.flags = 0;                             // before Linux 5.14: install, then answer with the number
  const int n = ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  if (n < 0) return errno == ENOENT ? gone() : error(errno);
  BrokerReply r = error(0);
  r.value = n;
  return r;
}

CreateBroker::Opened CreateBroker::reopen(const seccomp_notif& req, int listener, int fd, int flags) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  int err = 0;
  UniqueFd held = take_fd(tid, fd, err);
  if (!held.valid()) return Opened{{}, error(err == EBADF || err == ESRCH ? EBADF : EACCES)};
  if (!still_pending(listener, req.id)) return Opened{{}, gone()};
  const int have = ::fcntl(held.get(), F_GETFL);
  const int want = flags & O_ACCMODE;
  const int has = have < 0 || (have & O_PATH) ? -1 : have & O_ACCMODE;
  const bool reads = want == O_RDONLY || want == O_RDWR, writes = want != O_RDONLY || (flags & O_TRUNC);
  if (has < 0 || (reads && has == O_WRONLY) || (writes && has == O_RDONLY)) return Opened{{}, error(EACCES)};
  struct stat held_st {};
  if (::fstat(held.get(), &held_st) != 0 || is_dev_tty(held_st)) return Opened{{}, error(ENXIO)};
  const std::string self = "/proc/self/fd/" + std::to_string(held.get());
  UniqueFd opened(
      ::open(self.c_str(), (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!opened.valid()) return Opened{{}, error(errno)};
  if (!(flags & O_NONBLOCK))
    (void)::fcntl(opened.get(), F_SETFL, ::fcntl(opened.get(), F_GETFL) & ~O_NONBLOCK);
  return Opened{std::move(opened), std::nullopt};
}

// A file opened for writing that has other names (hard links), which may lie outside the
// writable roots (a package store, a `cp -al` backup, a local clone's objects): the
// command gets its own copy under this name, and the other names keep the original.
// Made beside it (O_TMPFILE, else a temporary name), then renamed over the name; the
// original is only ever read. Returns the copy, open for reading and writing.
int CreateBroker::copy_up(const Named& t, const struct stat& linked, UniqueFd& out) {
  UniqueFd src(
      ::openat(t.dir.get(), t.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  struct stat st {};
  if (!src.valid() || ::fstat(src.get(), &st) != 0) return errno ? errno : EIO;
  if (st.st_dev != linked.st_dev || st.st_ino != linked.st_ino) return EAGAIN;  // replaced meanwhile
  std::string temp;
  auto temp_name = [&] {
    char name[48];
    std::snprintf(name, sizeof name, ".cordon-copy-%d-%llx", static_cast<int>(::getpid()),
                  static_cast<unsigned long long>(copies_++));
    return std::string(name);
  };
  UniqueFd copy(::openat(t.dir.get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!copy.valid()) {  // a file system without O_TMPFILE
    temp = temp_name();
    copy.reset(::openat(t.dir.get(), temp.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!copy.valid()) return errno;
  }
  auto fail = [&](int e) {
    if (!temp.empty()) ::unlinkat(t.dir.get(), temp.c_str(), 0);
    return e;
  };
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = ::copy_file_range(src.get(), nullptr, copy.get(), nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      char buf[65536];
      n = ::read(src.get(), buf, sizeof buf);
      if (n > 0 && ::write(copy.get(), buf, static_cast<size_t>(n)) != n) return fail(errno ? errno : EIO);
    }
    if (n < 0) return fail(errno);
    if (n == 0) break;  // it shrank meanwhile
    left -= n;
  }
  (void)::fchown(copy.get(), st.st_uid, st.st_gid);  // the same owner, where cordon may set it
  if (::fchmod(copy.get(), st.st_mode & 07777) != 0) return fail(errno);
  if (temp.empty()) {
    temp = temp_name();
    const std::string self = "/proc/self/fd/" + std::to_string(copy.get());
    if (::linkat(AT_FDCWD, self.c_str(), t.dir.get(), temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      const int e = errno;
      temp.clear();
      return e;
    }
  }
  if (::renameat(t.dir.get(), temp.c_str(), t.dir.get(), t.name.c_str()) != 0) return fail(errno);
  out = std::move(copy);
  return 0;
}

CreateBroker::Opened CreateBroker::open_for(const seccomp_notif& req, int listener, int dirfd,
                                            uint64_t path_addr, int flags, mode_t mode, bool may_wait) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  std::string path, abs;
  if (!read_string(tid, path_addr, path)) return Opened{{}, error(path_addr == 0 ? EFAULT : ENAMETOOLONG)};
  if (int e = absolute(tid, dirfd, path, abs)) return Opened{{}, error(e)};
  const bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
  for (int hop = 0; hop < kMaxHops; ++hop) {
    if (int fd = -1; caller_fd(abs, fd)) return reopen(req, listener, fd, flags);
    Named t;
    if (int e = split(tid, root_.get(), abs, t.dir_text, t.name, t.slash, t.dir)) return Opened{{}, error(e)};
    if (!still_pending(listener, req.id)) return Opened{{}, gone()};
    if (auto d = (flags & O_CREAT) ? refused(t, Operation::Create)
                 : writes          ? inside_protected(t, Operation::Write)
                                   : std::nullopt) {
      BrokerReply r = error(EACCES);
      r.event = std::move(d);
      return Opened{{}, std::move(r)};
    }
    struct stat present {};
    const bool exists_now =
        (flags & O_CREAT) && ::fstatat(t.dir.get(), t.name.c_str(), &present, AT_SYMLINK_NOFOLLOW) == 0;
    if (auto d = (flags & O_CREAT) && !exists_now ? git_refused(t, Operation::Create, GitUse::Create)
                 : writes                         ? git_refused(t, Operation::Write, GitUse::Write)
                                                  : std::nullopt) {
      BrokerReply r = error(EACCES);
      r.event = std::move(d);
      return Opened{{}, std::move(r)};
    }
    if (on_procfs(t.dir.get())) {
      // Not opened by cordon (it is not the caller there). Refused with the kernel's own
      // reason where it has one (a root-owned file, the read-only binds over /proc/sys).
      const int why =
          ::faccessat(t.dir.get(), t.name.c_str(), writes ? W_OK : R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW);
      return Opened{{}, error(why == 0 ? EACCES : errno)};
    }
    // O_NOFOLLOW: a last link is followed here, so that its target's name is decided on.
    // O_NONBLOCK: opening a FIFO or a terminal line must not wait on this thread.
    // O_NOCTTY: a terminal never becomes cordon's. O_TRUNC waits until the file is known
    // to have no other name (a hard link may lie outside the writable roots).
    UniqueFd fd(::openat(t.dir.get(), t.arg().c_str(),
                         (flags & ~O_TRUNC) | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                         mode & ~(S_ISUID | S_ISGID)));  // no set-id file (see the deny list)
    if (fd.valid()) {
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) return Opened{{}, error(errno)};
      if (is_dev_tty(st)) return own_terminal(tid, flags);
      if (writes && S_ISREG(st.st_mode))
        if (auto d = guarded_write(t, st)) {
          BrokerReply r = error(EACCES);
          r.event = std::move(d);
          return Opened{{}, std::move(r)};
        }
      if (((flags & O_CREAT) || writes) && S_ISREG(st.st_mode)) note_git_pointer(t);
      if (writes && S_ISREG(st.st_mode) && st.st_nlink > 1) {
        UniqueFd copy;
        if (int e = copy_up(t, st, copy)) return Opened{{}, error(e)};
        const std::string self = "/proc/self/fd/" + std::to_string(copy.get());
        fd.reset(::open(self.c_str(), (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY | O_CLOEXEC));
        if (!fd.valid()) return Opened{{}, error(errno)};
      }
      // A file this open made is empty already: truncating it again would only mark it
      // for ext4's flush-on-close (auto_da_alloc), so that the next rewrite of it waits
      // for the disk (milliseconds per file in a build). The kernel skips it too
      // (FMODE_CREATED). An existing empty file is truncated, for its times (`: >stamp`).
      const bool made_now = (flags & O_CREAT) && !exists_now && st.st_size == 0;
      if ((flags & O_TRUNC) && S_ISREG(st.st_mode) && !made_now) {
        int rc = (flags & O_ACCMODE) != O_RDONLY ? ::ftruncate(fd.get(), 0) : -1;
        if ((flags & O_ACCMODE) == O_RDONLY) {  // O_RDONLY|O_TRUNC truncates too
          const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
          UniqueFd w(::open(self.c_str(), O_WRONLY | O_CLOEXEC));
          rc = w.valid() ? ::ftruncate(w.get(), 0) : -1;
        }
        if (rc != 0) return Opened{{}, error(errno)};
      }
      // The status flags as asked (F_SETFL changes only these, so O_NONBLOCK goes).
      if (!(flags & O_NONBLOCK))
        (void)::fcntl(fd.get(), F_SETFL, flags & (O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME));
      return Opened{std::move(fd), std::nullopt};
    }
    const int e = errno;
    if (e == EROFS && ask_)
      if (auto o = open_on_host(req, listener, t, flags, mode)) return std::move(*o);
    if (e == ELOOP && !(flags & O_NOFOLLOW) && !t.slash) {
      const std::string target = read_link_at(t.dir.get(), t.name.c_str());
      if (target.empty()) return Opened{{}, error(ELOOP)};
      abs = target[0] == '/' ? target : t.dir_text + "/" + target;
      continue;
    }
    if (may_wait && e == ENXIO && !(flags & O_NONBLOCK) && (flags & O_ACCMODE) == O_WRONLY) {
      // A FIFO with no reader yet: the kernel would wait for one. Wait on a worker, on
      // the FIFO pinned now (never the name again).
      UniqueFd pin(::openat(t.dir.get(), t.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      struct stat st {};
      if (pin.valid() && ::fstat(pin.get(), &st) == 0 && S_ISFIFO(st.st_mode)) {
        // No thread (the user's process limit, which the command's own count against):
        // the call fails, cordon carries on.
        if (!wait_for_fifo(req, listener, pin.release(), flags)) return Opened{{}, error(EAGAIN)};
        return Opened{{}, gone()};
      }
    }
    return Opened{{}, error(e)};
  }
  return Opened{{}, error(ELOOP)};
}

// /dev/tty for the caller: its own controlling terminal, which (if it has one) is a
// pseudo-terminal of the sandbox's own devpts instance (the command runs in a session
// without cordon's terminal), opened there by its number in the sandbox's view and
// checked to be that device; without one, ENXIO as the kernel would answer.
CreateBroker::Opened CreateBroker::own_terminal(pid_t tid, int flags) {
  const dev_t tty = controlling_terminal(tid);
  if (tty == 0 || major(tty) < 136 || major(tty) > 143) return Opened{{}, error(ENXIO)};
  const unsigned index = (major(tty) - 136) * 256 + minor(tty);  // devpts: majors 136..143
  int err = 0;
  const auto how =
      static_cast<uint64_t>((flags & (O_ACCMODE | O_APPEND)) | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  UniqueFd fd = resolve_in_view(tid, root_.get(), "/dev/pts/" + std::to_string(index), how, err);
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != tty)
    return Opened{{}, error(ENXIO)};
  if (!(flags & O_NONBLOCK)) (void)::fcntl(fd.get(), F_SETFL, flags & (O_APPEND | O_ASYNC));
  return Opened{std::move(fd), std::nullopt};
}

BrokerReply CreateBroker::open(const seccomp_notif& req, int listener, int dirfd, uint64_t path_addr,
                               int flags, mode_t mode) {
  Opened o = open_for(req, listener, dirfd, path_addr, flags, mode, /*may_wait=*/true);
  if (o.reply) return std::move(*o.reply);
  return install(req, listener, o.fd.get(), (flags & O_CLOEXEC) != 0);
}

BrokerReply CreateBroker::truncate(const seccomp_notif& req, int listener) {
  const auto length = static_cast<off_t>(req.data.args[1]);
  if (length < 0) return error(EINVAL);
  Opened o = open_for(req, listener, AT_FDCWD, req.data.args[0], O_WRONLY, 0, /*may_wait=*/false);
  if (o.reply) return std::move(*o.reply);
  return result(::ftruncate(o.fd.get(), length));
}

bool CreateBroker::wait_for_fifo(const seccomp_notif& req, int listener, int pin, int flags) {
  std::lock_guard<std::mutex> lock(waiters_mutex_);
  for (auto it = waiters_.begin(); it != waiters_.end();) {  // reap the finished
    if (it->done) {
      it->thread.join();
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  Waiter& w = waiters_.emplace_back();
  const uint64_t id = req.id;
  const bool drop = drop_caps_;
  try {
    w.thread = std::thread([&w, listener, id, pin, flags, drop] {
      UniqueFd fifo(pin);
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, wake_signal());
      ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
      if (drop) {  // this thread acts for the command only: no capabilities, for good
        __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2]{};
        if (::syscall(SYS_capget, &hdr, data) == 0) {
          data[0].effective = data[1].effective = 0;
          (void)::syscall(SYS_capset, &hdr, data);
        }
      }
      const std::string self = "/proc/self/fd/" + std::to_string(fifo.get());
      UniqueFd opened(
          ::open(self.c_str(), (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_NOCTTY | O_CLOEXEC));
      seccomp_notif_resp resp{};
      resp.id = id;
      if (!opened.valid()) {
        resp.error = -(errno == EINTR ? EINTR : errno);
        (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
      } else {
        seccomp_notif_addfd add{};
        add.id = id;
        add.flags = SECCOMP_ADDFD_FLAG_SEND;
        add.srcfd = static_cast<__u32>(opened.get());
        add.newfd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0;
        if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno != ENOENT) {
          resp.error = -errno;
          (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
        }
      }
      w.done = true;
    });
  } catch (const std::system_error&) {
    waiters_.pop_back();
    ::close(pin);
    return false;
  }
  return true;
}

void CreateBroker::finish() {
  std::lock_guard<std::mutex> lock(waiters_mutex_);
  for (auto& w : waiters_) {
    // A wait on a FIFO ends with EINTR; repeated, in case the signal lands before the open.
    for (int i = 0; i < 200 && !w.done; ++i) {
      ::pthread_kill(w.thread.native_handle(), wake_signal());
      ::usleep(1000);
    }
    w.thread.join();
  }
  waiters_.clear();
}

BrokerReply CreateBroker::make(FsCall call, const seccomp_notif& req, int listener) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  const auto& a = req.data.args;
  int dirfd = AT_FDCWD;
  uint64_t path_addr = 0, target_addr = 0;
  mode_t mode = 0;
  switch (call) {
    case FsCall::Mkdir:
      path_addr = a[0], mode = static_cast<mode_t>(a[1]);
      break;
    case FsCall::MkdirAt:
      dirfd = fd_arg(a[0]), path_addr = a[1], mode = static_cast<mode_t>(a[2]);
      break;
    case FsCall::Mknod:
      path_addr = a[0], mode = static_cast<mode_t>(a[1]);
      break;
    case FsCall::MknodAt:
      dirfd = fd_arg(a[0]), path_addr = a[1], mode = static_cast<mode_t>(a[2]);
      break;
    case FsCall::Symlink:
      target_addr = a[0], path_addr = a[1];
      break;
    case FsCall::SymlinkAt:
      target_addr = a[0], dirfd = fd_arg(a[1]), path_addr = a[2];
      break;
    default:
      return error(ENOSYS);
  }
  const bool is_node = call == FsCall::Mknod || call == FsCall::MknodAt;
  const mode_t type = mode & S_IFMT;
  if (is_node && type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK)
    return error(type == S_IFCHR || type == S_IFBLK ? EPERM : EINVAL);  // no device nodes
  std::string target, path, abs;
  if (target_addr && !read_string(tid, target_addr, target)) return error(EFAULT);
  if (!read_string(tid, path_addr, path)) return error(path_addr == 0 ? EFAULT : ENAMETOOLONG);
  if (int e = absolute(tid, dirfd, path, abs)) return error(e);
  Named t;
  if (int e = split(tid, root_.get(), abs, t.dir_text, t.name, t.slash, t.dir)) return error(e);
  if (!still_pending(listener, req.id)) return gone();
  if (auto d = refused(t, Operation::Create)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  const bool is_link = call == FsCall::Symlink || call == FsCall::SymlinkAt;
  if (auto d = git_refused(t, Operation::Create, is_link ? GitUse::Symlink : GitUse::Create)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  if (on_procfs(t.dir.get())) return error(EACCES);
  switch (call) {
    case FsCall::Mkdir:
    case FsCall::MkdirAt: {
      if (::mkdirat(t.dir.get(), t.arg().c_str(), mode) == 0) return error(0);
      if (errno != EROFS || !ask_) return result(-1);
      auto host = granted_on_host(req, listener, Operation::Create, "mkdir", t, nullptr, true);
      if (!host) return error(EROFS);
      return result(::mkdirat(host->from.get(), t.arg().c_str(), mode));
    }
    case FsCall::Mknod:
    case FsCall::MknodAt: {
      const int rc = ::mknodat(t.dir.get(), t.arg().c_str(), mode & ~(S_ISUID | S_ISGID), 0);
      if (rc == 0) note_git_pointer(t);  // a regular file named .git, written later
      return result(rc);
    }
    default:
      if (target.empty()) return error(ENOENT);
      return result(::symlinkat(target.c_str(), t.dir.get(), t.arg().c_str()));
  }
}

BrokerReply CreateBroker::link(const seccomp_notif& req, int listener, int olddir, uint64_t old_addr,
                               int newdir, uint64_t new_addr, int flags) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return error(EINVAL);
  std::string old_path, new_path, old_abs, new_abs;
  if (!read_string(tid, old_addr, old_path) && !(flags & AT_EMPTY_PATH)) return error(EFAULT);
  if (!read_string(tid, new_addr, new_path)) return error(EFAULT);
  // The object linked: the caller's descriptor (AT_EMPTY_PATH, or a /proc/self/fd path
  // followed), or the path resolved in the command's view.
  UniqueFd source;
  int err = 0;
  int held = -1;
  if ((flags & AT_EMPTY_PATH) && old_path.empty()) {
    if (olddir == AT_FDCWD) return error(EPERM);  // the working directory: a directory
    source = take_fd(tid, olddir, err);
  } else {
    if (int e = absolute(tid, olddir, old_path, old_abs)) return error(e);
    if (caller_fd(old_abs, held)) {
      if (!(flags & AT_SYMLINK_FOLLOW)) return error(EXDEV);  // the /proc link itself
      source = take_fd(tid, held, err);
    } else {
      source = resolve_in_view(tid, root_.get(), old_abs,
                               O_PATH | ((flags & AT_SYMLINK_FOLLOW) ? 0 : O_NOFOLLOW), err);
    }
  }
  if (!source.valid()) return error(err ? err : ENOENT);
  if (int e = absolute(tid, newdir, new_path, new_abs)) return error(e);
  Named t;
  if (int e = split(tid, root_.get(), new_abs, t.dir_text, t.name, t.slash, t.dir)) return error(e);
  if (!still_pending(listener, req.id)) return gone();
  if (auto d = refused(t, Operation::Create)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  struct stat source_st {};
  if (::fstat(source.get(), &source_st) != 0) return error(errno);
  if (auto d =
          git_refused(t, Operation::Create, S_ISLNK(source_st.st_mode) ? GitUse::Symlink : GitUse::Create)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  if (on_procfs(t.dir.get())) return error(EACCES);
  const std::string self = "/proc/self/fd/" + std::to_string(source.get());
  const int rc = ::linkat(AT_FDCWD, self.c_str(), t.dir.get(), t.arg().c_str(), AT_SYMLINK_FOLLOW);
  if (rc == 0) note_git_pointer(t);
  return result(rc);
}

BrokerReply CreateBroker::rename(const seccomp_notif& req, int listener, int olddir, uint64_t old_addr,
                                 int newdir, uint64_t new_addr, unsigned flags) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  std::string old_path, new_path, old_abs, new_abs;
  if (!read_string(tid, old_addr, old_path) || !read_string(tid, new_addr, new_path)) return error(EFAULT);
  if (int e = absolute(tid, olddir, old_path, old_abs)) return error(e);
  if (int e = absolute(tid, newdir, new_path, new_abs)) return error(e);
  Named from, to;
  if (int e = split(tid, root_.get(), old_abs, from.dir_text, from.name, from.slash, from.dir))
    return error(e);
  if (int e = split(tid, root_.get(), new_abs, to.dir_text, to.name, to.slash, to.dir)) return error(e);
  if (!still_pending(listener, req.id)) return gone();
  // The new name is made; with RENAME_EXCHANGE both names stay as they were, and a
  // refused name never exists, so the new name is the one to decide on either way.
  if (auto d = inside_protected(from, Operation::Rename)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  if (auto d = refused(to, Operation::Rename)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  if (on_procfs(from.dir.get()) || on_procfs(to.dir.get())) return error(EACCES);
  if (flags == 0 && !from.slash && !to.slash)
    if (const GitConfig* config = git_config(to)) {
      if (mount_point(from.dir.get(), from.name)) return error(EBUSY);
      return write_git_config(from, *config);
    }
  // In a git directory, what arrives is decided on what it is: a directory, a link or a
  // file. With RENAME_EXCHANGE the target's object arrives at the source's name too.
  auto use_of = [](const Named& n) {
    struct stat st {};
    if (::fstatat(n.dir.get(), n.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return GitUse::MoveFile;
    return S_ISDIR(st.st_mode)   ? GitUse::MoveDirectory
           : S_ISLNK(st.st_mode) ? GitUse::Symlink
                                 : GitUse::MoveFile;
  };
  const GitUse arriving = use_of(from);
  if (flags == 0 && !from.slash && !to.slash && arriving == GitUse::MoveFile && to.name == "config")
    if (auto place = git_place(to); place && !git_layout::check_new(place->rel).allowed &&
                                    (!place->existing || place->rel.rfind("modules/", 0) == 0) &&
                                    git_layout::check_new(place->rel + ".lock").allowed) {
      if (mount_point(from.dir.get(), from.name)) return error(EBUSY);
      return write_new_git_config(from, to);
    }
  // config.worktree in any git directory: only as checked content (extensions.worktreeConfig
  // makes git read it as config).
  // git renames; mv asks RENAME_NOREPLACE first.
  if ((flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) == 0 && !from.slash && !to.slash &&
      arriving == GitUse::MoveFile && to.name == "config.worktree")
    if (git_place(to)) {
      if (mount_point(from.dir.get(), from.name) || mount_point(to.dir.get(), to.name)) return error(EBUSY);
      struct stat present {};
      if ((flags & RENAME_NOREPLACE) &&
          ::fstatat(to.dir.get(), to.name.c_str(), &present, AT_SYMLINK_NOFOLLOW) == 0)
        return error(EEXIST);
      return write_worktree_config(from, to);
    }
  if (auto d = git_refused(to, Operation::Rename, arriving)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  if (flags & RENAME_EXCHANGE)
    if (auto d = git_refused(from, Operation::Rename, use_of(to))) {
      BrokerReply r = error(EACCES);
      r.event = std::move(d);
      return r;
    }
  if (mount_point(from.dir.get(), from.name) || mount_point(to.dir.get(), to.name)) return error(EBUSY);
  // A git directory of the plan that is not a mount point (a linked worktree's) stays
  // where it is, as a pinned one would (EBUSY): the allowlist is held by its path.
  if (moves_plan_gitdir(from) || moves_plan_gitdir(to)) return error(EBUSY);
  const bool moves_directory = arriving == GitUse::MoveDirectory || (flags & RENAME_EXCHANGE);
  const std::string from_path = moves_directory ? paths::join(tree_path(from.dir.get()), from.name) : "";
  const std::string to_path = moves_directory ? paths::join(tree_path(to.dir.get()), to.name) : "";
  int rc = static_cast<int>(
      ::syscall(SYS_renameat2, from.dir.get(), from.arg().c_str(), to.dir.get(), to.arg().c_str(), flags));
  // RENAME_WHITEOUT would leave a device node at the old name, which no question names.
  if (rc != 0 && errno == EROFS && ask_ && !(flags & RENAME_WHITEOUT)) {
    struct stat st {};
    const bool moves_dir =
        ::fstatat(from.dir.get(), from.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    // Not a device, FIFO or socket: what a grant moves is a file, a link or a directory.
    if (!(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) || moves_dir)) return error(EROFS);
    auto host = granted_on_host(req, listener, Operation::Rename, moves_dir ? "rename directory" : "rename",
                                from, &to, false);
    if (!host) return error(EROFS);
    rc = static_cast<int>(::syscall(SYS_renameat2, host->from.get(), from.arg().c_str(), host->to.get(),
                                    to.arg().c_str(), flags));
  }
  if (rc == 0) {
    if (moves_directory) follow_moved_pointers(from_path, to_path, (flags & RENAME_EXCHANGE) != 0);
    note_git_pointer(to);
    if (flags & RENAME_EXCHANGE) note_git_pointer(from);
  }
  return result(rc);
}

BrokerReply CreateBroker::bind(const seccomp_notif& req, int listener) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  const auto& a = req.data.args;
  // As the kernel (move_addr_to_kernel): at most a sockaddr_storage, read once.
  const auto len = static_cast<socklen_t>(a[2]);
  sockaddr_storage storage{};
  if (len > sizeof storage) return error(EINVAL);
  if (len > 0 && !read_bytes(tid, a[1], &storage, len)) return error(EFAULT);
  int err = 0;
  UniqueFd sock = take_fd(tid, fd_arg(a[0]), err);
  if (!sock.valid()) return error(err == ESRCH ? EBADF : err);
  int domain = 0;
  socklen_t size = sizeof domain;
  if (::getsockopt(sock.get(), SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0) return error(errno);
  if (!still_pending(listener, req.id)) return gone();
  constexpr socklen_t kPathAt = offsetof(sockaddr_un, sun_path);
  const auto& addr = reinterpret_cast<const sockaddr_un&>(storage);
  if (domain != AF_UNIX || addr.sun_family != AF_UNIX || len <= kPathAt || len > sizeof addr ||
      addr.sun_path[0] == '\0')  // no name in the file system (or no valid address: the kernel says so)
    return result(::bind(sock.get(), reinterpret_cast<const sockaddr*>(&storage), len));
  std::string abs;
  if (int e =
          absolute(tid, AT_FDCWD, std::string(addr.sun_path, ::strnlen(addr.sun_path, len - kPathAt)), abs))
    return error(e);
  Named t;
  if (int e = split(tid, root_.get(), abs, t.dir_text, t.name, t.slash, t.dir)) return error(e);
  if (!still_pending(listener, req.id)) return gone();  // the view read was the caller's
  if (auto d = refused(t, Operation::Create)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  if (auto d = git_refused(t, Operation::Create, GitUse::Create)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  if (on_procfs(t.dir.get())) return error(EACCES);
  // bind() takes no directory: the name is made from this thread's own working
  // directory (unshare(CLONE_FS) in attach), moved to the pinned one for the call.
  sockaddr_un at{};
  at.sun_family = AF_UNIX;
  const std::string arg = t.arg();
  if (arg.size() >= sizeof at.sun_path) return error(EINVAL);
  std::memcpy(at.sun_path, arg.c_str(), arg.size() + 1);
  UniqueFd here(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!here.valid() || ::fchdir(t.dir.get()) != 0) return error(errno);
  const int rc = ::bind(sock.get(), reinterpret_cast<const sockaddr*>(&at),
                        static_cast<socklen_t>(kPathAt + arg.size() + 1));
  const int e = errno;
  if (::fchdir(here.get()) != 0) (void)::chdir("/");
  return rc == 0 ? error(0) : error(e);
}

const CreateBroker::GitConfig* CreateBroker::git_config(const Named& n) const {
  if (n.name != "config" || git_configs_.empty()) return nullptr;
  struct stat st {};
  if (::fstat(n.dir.get(), &st) != 0) return nullptr;
  for (const auto& g : git_configs_)
    if (g.dev == st.st_dev && g.ino == st.st_ino) return &g;
  return nullptr;
}

namespace {

constexpr size_t kMaxGitConfig = 1 << 20;  // git's own configs are a few kB

// All of a regular file's bytes, bounded; false when it is not one or is too large.
bool read_small(int fd, std::string& out) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<size_t>(st.st_size) > kMaxGitConfig)
    return false;
  out.clear();
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxGitConfig) return false;
  }
}

// The reason a git config write is refused: the keys that could run code or redirect git.
std::string refused_keys(const std::vector<std::string>& bad) {
  std::string names;
  for (const auto& b : bad) names += (names.empty() ? "" : ", ") + git_config::escape_name(b);
  return "refused key " + names;
}

}  // namespace

// git writes its config as config.lock and renames it over config. The rename is done
// here as a write of the checked content: the lock's bytes are read once, parsed as git
// parses them, compared with the config as it is, and refused if any entry they add or
// change could run code or redirect git; else the entries, serialised by cordon (so no
// difference between cordon's parser and git's can carry a key through), are written
// into the pinned config, and the lock is removed. What lands is what was checked.
BrokerReply CreateBroker::write_git_config(const Named& lock, const GitConfig& config) {
  UniqueFd src(
      ::openat(lock.dir.get(), lock.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  std::string next, now;
  if (!src.valid()) return error(errno);
  if (!read_small(src.get(), next)) return error(EINVAL);
  UniqueFd current(
      ::open(("/proc/self/fd/" + std::to_string(config.file.get())).c_str(), O_RDONLY | O_CLOEXEC));
  if (!current.valid() || !read_small(current.get(), now)) return error(EIO);
  const auto parsed_next = git_config::parse(next);
  const auto parsed_now = git_config::parse(now);
  auto refuse = [&](const std::string& why) {
    BrokerReply r = error(EACCES);
    r.event = Denial{to_string(Operation::Rename), config.path, "",
                     "protected path: git config can run code; " + why,
                     "none: change it outside the sandbox (or --git writable)"};
    return r;
  };
  if (parsed_next.error) return refuse("git would not parse the new file");
  if (const auto bad = git_config::new_non_inert(parsed_now.entries, parsed_next.entries); !bad.empty())
    return refuse(refused_keys(bad));
  const std::string out = git_config::serialize(parsed_next.entries);
  UniqueFd dst(
      ::open(("/proc/self/fd/" + std::to_string(config.file.get())).c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!dst.valid()) return error(errno);
  for (size_t done = 0; done < out.size();) {
    const ssize_t n = ::write(dst.get(), out.data() + done, out.size() - done);
    if (n <= 0) return error(n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  return result(::unlinkat(lock.dir.get(), lock.name.c_str(), 0));
}

// The config of a repository made during the run (git init, git clone, a submodule's
// clone), renamed from its lock: checked with nothing before it (every entry must be
// inert, core/git_config.hpp), then the checked entries, serialised by cordon, are written
// to a file cordon makes beside it and renamed over `config`; the lock is removed. The
// caller's file is only read: what lands is what was checked.
BrokerReply CreateBroker::write_new_git_config(const Named& lock, const Named& config) {
  UniqueFd src(
      ::openat(lock.dir.get(), lock.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  std::string next;
  if (!src.valid()) return error(errno);
  if (!read_small(src.get(), next)) return error(EINVAL);
  const auto parsed = git_config::parse(next);
  auto refuse = [&](const std::string& why) {
    BrokerReply r = error(EACCES);
    r.event = Denial{to_string(Operation::Rename), config.path(), "",
                     "git directory: a new repository's config can run code; " + why, "--git writable"};
    return r;
  };
  if (parsed.error) return refuse("git would not parse the new file");
  // A submodule's gitdir names its worktree (core.worktree = ../../../lib, written by git
  // submodule add and update --init): accepted when it is relative and leads to a directory
  // in the same policy root, which the command can write anyway. Elsewhere it could send a
  // later `git checkout` outside into any directory.
  const std::string dir = tree_path(config.dir.get());
  std::vector<git_config::Entry> checked;
  for (const auto& e : parsed.entries) {
    const bool worktree = e.section == "core" && !e.has_subsection && e.key == "worktree" && e.value &&
                          !e.value->empty() && !paths::is_absolute(*e.value) &&
                          std::none_of(e.value->begin(), e.value->end(),
                                       [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    const std::string leads_to = worktree ? paths::normalize(dir + "/" + *e.value) : "";
    const bool inside =
        worktree &&
        std::any_of(rules_.policy_roots.begin(), rules_.policy_roots.end(), [&](const std::string& r) {
          return paths::is_within(dir, r) && paths::is_within(leads_to, r);
        });
    if (!inside) checked.push_back(e);
  }
  if (const auto bad = git_config::new_non_inert({}, checked); !bad.empty()) return refuse(refused_keys(bad));
  return replace_config(lock, config, git_config::serialize(parsed.entries));
}

BrokerReply CreateBroker::replace_config(const Named& lock, const Named& config, const std::string& out) {
  char temp[48];
  std::snprintf(temp, sizeof temp, ".cordon-config-%d-%llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(copies_++));
  UniqueFd dst(::openat(config.dir.get(), temp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!dst.valid()) return error(errno);
  auto fail = [&](int e) {
    ::unlinkat(config.dir.get(), temp, 0);
    return error(e);
  };
  for (size_t done = 0; done < out.size();) {
    const ssize_t n = ::write(dst.get(), out.data() + done, out.size() - done);
    if (n <= 0) return fail(n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  if (::renameat(config.dir.get(), temp, config.dir.get(), config.name.c_str()) != 0) return fail(errno);
  return result(::unlinkat(lock.dir.get(), lock.name.c_str(), 0));
}

// A worktree's config (config.worktree: git sparse-checkout, git config --worktree), renamed
// from its lock: the lock's bytes read once, parsed as git parses them, compared with the
// file as it is (absent: nothing), refused if any entry they add or change could run code
// or redirect git; else the entries, serialised by cordon, are written to a file cordon
// makes beside it and renamed over config.worktree, and the lock is removed.
BrokerReply CreateBroker::write_worktree_config(const Named& lock, const Named& config) {
  UniqueFd src(
      ::openat(lock.dir.get(), lock.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  std::string next, now;
  if (!src.valid()) return error(errno);
  if (!read_small(src.get(), next)) return error(EINVAL);
  auto refuse = [&](const std::string& why) {
    BrokerReply r = error(EACCES);
    r.event = Denial{to_string(Operation::Rename), config.path(), "",
                     "git directory: a worktree's config can run code; " + why, "--git writable"};
    return r;
  };
  UniqueFd current(::openat(config.dir.get(), config.name.c_str(),
                            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!current.valid() && errno != ENOENT) return refuse("the present file could not be read");
  if (current.valid() && !read_small(current.get(), now))
    return refuse("the present file is not a plain file");
  const auto parsed_next = git_config::parse(next);
  const auto parsed_now = git_config::parse(now);
  if (parsed_next.error) return refuse("git would not parse the new file");
  if (const auto bad = git_config::new_non_inert(parsed_now.entries, parsed_next.entries); !bad.empty())
    return refuse(refused_keys(bad));
  return replace_config(lock, config, git_config::serialize(parsed_next.entries));
}

namespace {

// The same directory as `pinned` (a directory in the command's view, on the sandbox's
// read-only mount), opened in cordon's view where it is writable: by the path the
// sandbox's tree gives it (the sandbox's root is the host's, mounted read-only), without
// following any link, and accepted only if it is the same object (device and inode).
UniqueFd writable_twin(int pinned, const std::string& dir_path) {
  auto dir = PinnedDir::open_without_links(dir_path);
  struct stat a {};
  struct stat b {};
  if (!dir || ::fstat(pinned, &a) != 0 || ::fstat(dir->fd(), &b) != 0 || a.st_dev != b.st_dev ||
      a.st_ino != b.st_ino || !S_ISDIR(b.st_mode))
    return UniqueFd();
  return UniqueFd(::fcntl(dir->fd(), F_DUPFD_CLOEXEC, 0));
}

// A name that can be asked about: one component, not "." or "..".
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

}  // namespace

std::optional<CreateBroker::HostDirs> CreateBroker::granted_on_host(const seccomp_notif& req, int listener,
                                                                    Operation kind, const char* op,
                                                                    const Named& t, const Named* to,
                                                                    bool is_dir) {
  if (!ask_ || !plain_name(t.name) || (to && !plain_name(to->name))) return std::nullopt;
  // Where the directories are, from the pinned objects (not from what the caller named).
  const auto from_dir = tree_path_checked(t.dir.get());
  const auto to_dir = to ? tree_path_checked(to->dir.get()) : std::optional<std::string>(std::string());
  if (!from_dir || from_dir->empty() || !to_dir || (to && to_dir->empty())) return std::nullopt;
  AskQuestion q;
  q.operation = op;
  q.path = paths::join(*from_dir, t.name);
  q.to = to ? paths::join(*to_dir, to->name) : std::string();
  q.is_directory = is_dir;
  q.pid = static_cast<pid_t>(req.pid);
  if (never_ask(rules_, kind, q.path) || (to && never_ask(rules_, kind, q.to))) return std::nullopt;
  if (!ask_->decide(q, [&] { return still_pending(listener, req.id); })) return std::nullopt;
  if (!still_pending(listener, req.id)) return std::nullopt;
  // A directory moved while the question waited: the grant was for where it was.
  if (tree_path_checked(t.dir.get()) != from_dir || (to && tree_path_checked(to->dir.get()) != to_dir))
    return std::nullopt;
  HostDirs h;
  h.from = writable_twin(t.dir.get(), *from_dir);
  if (!h.from.valid()) return std::nullopt;
  if (to) {
    h.to = writable_twin(to->dir.get(), *to_dir);
    if (!h.to.valid()) return std::nullopt;
  }
  return h;
}

// A write-open refused by the read-only mount, granted: made on the host. Only a regular
// file with no other name is opened (no FIFO, device or socket is ever opened, and a hard
// link to a protected file cannot be written through); an existing one is pinned first
// and reopened through its pin, so what was checked is what is opened.
std::optional<CreateBroker::Opened> CreateBroker::open_on_host(const seccomp_notif& req, int listener,
                                                               const Named& t, int flags, mode_t mode) {
  if (t.slash) return std::nullopt;
  struct stat st {};
  const bool exists = ::fstatat(t.dir.get(), t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && (!S_ISREG(st.st_mode) || st.st_nlink > 1)) return std::nullopt;
  if (!exists && !(flags & O_CREAT)) return std::nullopt;
  auto host = granted_on_host(req, listener, exists ? Operation::Write : Operation::Create,
                              exists ? "write" : "create", t, nullptr, false);
  if (!host) return std::nullopt;
  const int keep = (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW)) | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
  UniqueFd fd;
  UniqueFd pin(::openat(host->from.get(), t.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (pin.valid()) {
    struct stat now {};
    if (::fstat(pin.get(), &now) != 0) return Opened{{}, error(errno)};
    if (S_ISLNK(now.st_mode)) return Opened{{}, error(ELOOP)};
    if (!S_ISREG(now.st_mode) || now.st_nlink > 1) return Opened{{}, error(EACCES)};
    if ((flags & O_CREAT) && (flags & O_EXCL)) return Opened{{}, error(EEXIST)};
    fd.reset(::open(("/proc/self/fd/" + std::to_string(pin.get())).c_str(), keep));
  } else if (errno == ENOENT && (flags & O_CREAT)) {
    fd.reset(::openat(host->from.get(), t.name.c_str(), keep | O_CREAT | O_EXCL | O_NOFOLLOW,
                      mode & ~(S_ISUID | S_ISGID)));
  } else {
    return Opened{{}, error(errno)};
  }
  if (!fd.valid()) return Opened{{}, error(errno)};
  struct stat opened {};
  if (::fstat(fd.get(), &opened) != 0 || !S_ISREG(opened.st_mode)) return Opened{{}, error(EACCES)};
  if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && ::ftruncate(fd.get(), 0) != 0)
    return Opened{{}, error(errno)};
  if (!(flags & O_NONBLOCK))
    (void)::fcntl(fd.get(), F_SETFL, flags & (O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME));
  return Opened{std::move(fd), std::nullopt};
}

// unlink, unlinkat, rmdir: routed only with --ask or --learn, so that a delete outside the
// writable roots can be asked about. Made in the command's view like the calls above (a
// mount point is refused first: the kernel's check would look at cordon's namespace).
BrokerReply CreateBroker::remove(FsCall call, const seccomp_notif& req, int listener) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  const auto& a = req.data.args;
  int dirfd = AT_FDCWD, flags = 0;
  uint64_t path_addr = a[0];
  if (call == FsCall::UnlinkAt) dirfd = fd_arg(a[0]), path_addr = a[1], flags = static_cast<int>(a[2]);
  if (call == FsCall::Rmdir) flags = AT_REMOVEDIR;
  if (flags & ~AT_REMOVEDIR) return error(EINVAL);
  std::string path, abs;
  if (!read_string(tid, path_addr, path)) return error(path_addr == 0 ? EFAULT : ENAMETOOLONG);
  if (int e = absolute(tid, dirfd, path, abs)) return error(e);
  Named t;
  if (int e = split(tid, root_.get(), abs, t.dir_text, t.name, t.slash, t.dir)) return error(e);
  if (!still_pending(listener, req.id)) return gone();
  if (auto d = inside_protected(t, Operation::Delete)) {
    BrokerReply r = error(EACCES);
    r.event = std::move(d);
    return r;
  }
  if (on_procfs(t.dir.get())) return error(EACCES);
  if (mount_point(t.dir.get(), t.name)) return error(EBUSY);
  if (::unlinkat(t.dir.get(), t.arg().c_str(), flags) == 0) return error(0);
  if (errno != EROFS) return result(-1);
  struct stat st {};
  if (::fstatat(t.dir.get(), t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return error(EROFS);
  const bool dir = S_ISDIR(st.st_mode);
  if (!(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) || dir)) return error(EROFS);
  auto host = granted_on_host(req, listener, Operation::Delete, dir ? "rmdir" : "delete", t, nullptr, false);
  if (!host) return error(EROFS);
  return result(::unlinkat(host->from.get(), t.arg().c_str(), flags));
}

std::optional<BrokerReply> CreateBroker::read(FsCall call, const seccomp_notif& req, int listener) {
  // Every open this returns nullopt for is continued: the kernel then opens what the
  // caller names at that time, and the mask mounts (and Landlock) refuse the user's
  // --deny-read files as without --ask. Only a read this thread decided on is answered.
  if ((asked_masks_.empty() && dir_masks_.empty()) || !ask_ ||
      (call != FsCall::Open && call != FsCall::OpenAt))
    return std::nullopt;
  const auto& a = req.data.args;
  const int dirfd = call == FsCall::Open ? AT_FDCWD : fd_arg(a[0]);
  const uint64_t path_addr = call == FsCall::Open ? a[0] : a[1];
  const int flags = static_cast<int>(call == FsCall::Open ? a[1] : a[2]);
  if ((flags & O_PATH) || (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC))) return std::nullopt;
  const pid_t tid = static_cast<pid_t>(req.pid);
  std::string path, abs;
  if (!read_string(tid, path_addr, path) || absolute(tid, dirfd, path, abs) != 0) return std::nullopt;
  // The cheap filter every read open of the run pays: one lookup in the command's view.
  // Only a path that ends on the mask of a user's --deny-read file goes on, or one that
  // does not resolve there, which may lie below the mask of a denied directory.
  {
    int err = 0;
    UniqueFd obj = resolve_in_view(tid, root_.get(), abs, O_PATH | (flags & O_NOFOLLOW), err);
    uint64_t mnt = 0;
    if (!obj.valid() && !dir_masks_.empty() && (err == ENOENT || err == EACCES))
      return read_below(req, listener, abs, flags, err);
    if (!obj.valid() || !mount_id(obj.get(), mnt) || !asked_masks_.count(mnt)) return std::nullopt;
  }
  // The decision, on the path read once: each directory pinned in the command's view and
  // each last link followed here, one hop at a time, so that the name decided on is the
  // name acted on.
  ActingFor as(tid, false, drop_caps_ ? caps_ : nullptr);
  if (!as.ready()) return error(EPERM);
  for (int hop = 0; hop < kMaxHops; ++hop) {
    if (int fd = -1; caller_fd(abs, fd)) return std::nullopt;  // the kernel reopens it: the mask's
    Named t;
    if (split(tid, root_.get(), abs, t.dir_text, t.name, t.slash, t.dir) != 0) return std::nullopt;
    if (!still_pending(listener, req.id)) return gone();
    UniqueFd obj(::openat(t.dir.get(), t.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!obj.valid() || ::fstat(obj.get(), &st) != 0) return std::nullopt;
    if (S_ISLNK(st.st_mode)) {
      if ((flags & O_NOFOLLOW) || t.slash) return std::nullopt;  // ELOOP or ENOTDIR, as the kernel says
      const std::string target = read_link_at(t.dir.get(), t.name.c_str());
      if (target.empty()) return std::nullopt;
      abs = target[0] == '/' ? target : t.dir_text + "/" + target;
      continue;
    }
    uint64_t mnt = 0;
    if (!mount_id(obj.get(), mnt)) return std::nullopt;
    const auto mask = asked_masks_.find(mnt);
    // Another object than the filter found (a thread changed the path or a link meanwhile),
    // or the mask opened as a directory: continued, and the kernel refuses as without --ask.
    if (mask == asked_masks_.end() || !S_ISREG(st.st_mode) || t.slash || (flags & O_DIRECTORY))
      return std::nullopt;
    return read_masked(req, listener, t, obj.get(), mask->second, flags);
  }
  return std::nullopt;
}

// A read open that ended on the mask of the user's --deny-read file `path` (the mask's
// directory pinned in the command's view, `t`; the mask itself, `mask`): asked, and
// performed on a grant.
BrokerReply CreateBroker::read_masked(const seccomp_notif& req, int listener, const Named& t, int mask,
                                      const std::string& path, int flags) {
  // Not granted (refused, or never asked): the command gets what the kernel gives it
  // without --ask, the mask (an empty read-only file), opened by cordon from the object
  // pinned in the command's view, never by its name again. Never CONTINUE here.
  auto as_without_ask = [&]() -> BrokerReply {
    UniqueFd empty(::open(("/proc/self/fd/" + std::to_string(mask)).c_str(),
                          O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (!empty.valid() || ::fstat(empty.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0)
      return error(EACCES);
    if (!(flags & O_NONBLOCK)) (void)::fcntl(empty.get(), F_SETFL, flags & (O_ASYNC | O_NOATIME));
    return install(req, listener, empty.get(), (flags & O_CLOEXEC) != 0);
  };
  // Where the mask is now, from the pinned directory: the path it was made at, else the
  // directory moved (with the mask) and nothing is asked.
  const auto dir = tree_path_checked(t.dir.get());
  if (!plain_name(t.name) || !dir || dir->empty() || paths::join(*dir, t.name) != path ||
      never_ask_read(rules_, path))
    return as_without_ask();
  // What the mask covers, in cordon's view: only a regular file with no other name is asked
  // about (never a FIFO, a device, a socket, a link or a directory: nothing that blocks or
  // leads elsewhere; and never a hard link, which may be a default secret under another
  // name, as below a denied directory).
  {
    UniqueFd host = writable_twin(t.dir.get(), *dir);
    struct stat real {};
    if (!host.valid() || ::fstatat(host.get(), t.name.c_str(), &real, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(real.st_mode) || real.st_nlink > 1)
      return as_without_ask();
  }
  AskQuestion q;
  q.operation = "read";
  q.path = path;
  q.pid = static_cast<pid_t>(req.pid);
  if (!ask_->decide(q, [&] { return still_pending(listener, req.id); })) return as_without_ask();
  if (!still_pending(listener, req.id)) return gone();
  if (tree_path_checked(t.dir.get()) != dir) return as_without_ask();  // moved while the question waited
  // The grant: the directory reopened in cordon's view without links and checked to be the
  // pinned one, the name pinned without following it, a regular file reopened for reading
  // only (the caller's status flags; never write access, never a directory of the host).
  UniqueFd host = writable_twin(t.dir.get(), *dir);
  if (!host.valid()) return as_without_ask();
  UniqueFd pin(::openat(host.get(), t.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  struct stat pinned {};
  if (!pin.valid() || ::fstat(pin.get(), &pinned) != 0 || !S_ISREG(pinned.st_mode) || pinned.st_nlink > 1)
    return as_without_ask();
  if (auto r = install_copy(req, listener, pin.get(), flags)) return std::move(*r);
  return as_without_ask();
}

std::optional<BrokerReply> CreateBroker::install_copy(const seccomp_notif& req, int listener, int pin,
                                                      int flags) {
  struct stat pinned {};
  if (::fstat(pin, &pinned) != 0 || !S_ISREG(pinned.st_mode)) return std::nullopt;
  // Reopened through the pin (no name is looked up again), for reading only, without
  // blocking; checked to be the object pinned.
  UniqueFd fd(::open(("/proc/self/fd/" + std::to_string(pin)).c_str(),
                     O_RDONLY | (flags & O_NOATIME) | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return error(errno);
  struct stat opened {};
  if (::fstat(fd.get(), &opened) != 0 || !S_ISREG(opened.st_mode) || opened.st_dev != pinned.st_dev ||
      opened.st_ino != pinned.st_ino)
    return std::nullopt;
  // What is installed is a sealed copy of the content, not the file: a descriptor of the
  // host's file (on cordon's writable mount) would let the command change its metadata
  // (fchmod, fchown, xattrs, through the descriptor or /proc/self/fd/N), which no read grant
  // allows. A snapshot taken now, shared by the opens of the same version, bounded
  // (read_copy.hpp; past the bounds: refused).
  UniqueFd ro = read_copies_.copy_of(fd.get(), opened);
  if (!ro.valid()) return errno == EFBIG ? std::nullopt : std::optional<BrokerReply>(error(errno));
  if (flags & (O_NONBLOCK | O_ASYNC)) (void)::fcntl(ro.get(), F_SETFL, flags & (O_NONBLOCK | O_ASYNC));
  return install(req, listener, ro.get(), (flags & O_CLOEXEC) != 0);
}

// A read open that failed in the command's view with `err` (ENOENT, or EACCES: a mask with
// no --allow-read exception has mode 0), routed here only when the user denied a directory.
// nullopt: not below such a mask (continued: the kernel refuses again, as without --ask).
std::optional<BrokerReply> CreateBroker::read_below(const seccomp_notif& req, int listener, std::string abs,
                                                    int flags, int err) {
  const pid_t tid = static_cast<pid_t>(req.pid);
  if (flags & O_DIRECTORY) return std::nullopt;  // never a directory of the host
  ActingFor as(tid, false, drop_caps_ ? caps_ : nullptr);
  if (!as.ready()) return std::nullopt;  // nothing decided yet: the kernel refuses as without --ask
  {
    // The error the command's own lookup has (the filter's ran with cordon's capabilities,
    // which search a mask of mode 0): the answer when nothing is granted.
    UniqueFd again = resolve_in_view(tid, root_.get(), abs, O_PATH | (flags & O_NOFOLLOW), err);
    if (again.valid() || (err != ENOENT && err != EACCES)) return std::nullopt;
  }
  // Lookups for one call, all hops together: a path of thousands of missing levels, or
  // links that lead to such paths, must not hold the supervisor's thread (it serves every
  // process of the run). Past the bound: continued, the kernel refuses as without --ask.
  int lookups = 512;
  for (int hop = 0; hop < kMaxHops; ++hop) {
    if (int fd = -1; caller_fd(abs, fd)) return std::nullopt;
    // "//" is "/" to the kernel; a path that ends in '/' names a directory: never asked.
    std::string p;
    for (char c : abs)
      if (c != '/' || p.empty() || p.back() != '/') p += c;
    if (p.size() > 1 && p.back() == '/') return std::nullopt;
    // The deepest directory the path names that exists in the command's view (resolved
    // there by the kernel, links inside the sandbox followed in the sandbox), and the rest.
    UniqueFd dir;
    size_t cut = p.size();
    while (cut > 0) {
      cut = p.rfind('/', cut - 1);
      if (cut == std::string::npos || --lookups < 0) return std::nullopt;
      int e = 0;
      dir = resolve_in_view(tid, root_.get(), cut == 0 ? "/" : p.substr(0, cut), O_PATH | O_DIRECTORY, e);
      if (dir.valid()) break;
      if (e != ENOENT && e != EACCES) return std::nullopt;
      if (cut == 0) return std::nullopt;
    }
    if (!dir.valid()) return std::nullopt;
    const std::string dir_text = cut == 0 ? "/" : p.substr(0, cut);
    const std::string rest = p.substr(cut + 1);
    const size_t slash = rest.find('/');
    const std::string first = rest.substr(0, slash);
    if (!still_pending(listener, req.id)) return gone();
    // A link there (one the kernel's lookup of the whole path followed to nothing in the
    // sandbox): followed here, one hop, and the path looked at again.
    struct stat st {};
    if (first != "." && first != ".." && ::fstatat(dir.get(), first.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!S_ISLNK(st.st_mode)) return std::nullopt;  // it exists: not what the lookup failed on
      if (slash == std::string::npos && (flags & O_NOFOLLOW)) return std::nullopt;
      const std::string target = read_link_at(dir.get(), first.c_str());
      if (target.empty()) return std::nullopt;
      const std::string after = slash == std::string::npos ? "" : rest.substr(slash);
      abs = (target[0] == '/' ? target : dir_text + "/" + target) + after;
      continue;
    }
    uint64_t mnt = 0;
    if (!mount_id(dir.get(), mnt)) return std::nullopt;
    const auto found = dir_masks_.find(mnt);
    if (found == dir_masks_.end()) return std::nullopt;
    return read_below_mask(req, listener, found->second, dir.get(), rest, flags, err);
  }
  return std::nullopt;
}

// The command's lookup ended in directory `dir` on the mask `m` (the mask's root, or a
// directory it holds for an --allow-read exception), with `rest` left: that rest, beneath
// the same place in the real directory, is what is asked about.
BrokerReply CreateBroker::read_below_mask(const seccomp_notif& req, int listener, const DirMask& m, int dir,
                                          const std::string& rest, int flags, int err) {
  // Where the mask is now (not moved with a directory above it) and where `dir` lies in
  // it: from the objects pinned, as the sandbox's tree has them.
  const auto mask_at = tree_path_checked(m.mask.get());
  const auto dir_at = tree_path_checked(dir);
  if (!mask_at || *mask_at != m.path || !dir_at || !paths::is_within(*dir_at, m.path)) return error(err);
  const std::string inside = dir_at->size() > m.path.size() ? dir_at->substr(m.path.size() + 1) : "";
  const std::string rel = inside.empty() ? rest : inside + "/" + rest;
  const std::string host = paths::normalize(m.path + "/" + rel);
  if (host == m.path || !paths::is_within(host, m.path) || never_ask_read(rules_, host)) return error(err);
  // Beneath the real directory: no link, no "..", no mount crossing out of it; O_PATH, so
  // that nothing (a FIFO, a device) is opened before it is known to be a regular file.
  // A file with another name may be any file of the host (a hard link to ~/.ssh/id_rsa,
  // a backup made with links): never_ask_read() decided on this name only. Never asked.
  UniqueFd pin(openat2_beneath(m.real.get(), rel, O_PATH, 0));
  struct stat st {};
  if (!pin.valid() || ::fstat(pin.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
    return error(err);
  AskQuestion q;
  q.operation = "read";
  q.path = host;
  q.read_dir = paths::parent(host);  // "d": the files below the file's directory, for the run
  q.pid = static_cast<pid_t>(req.pid);
  if (!ask_->decide(q, [&] { return still_pending(listener, req.id); })) return error(err);
  if (!still_pending(listener, req.id)) return gone();
  if (tree_path_checked(m.mask.get()) != mask_at) return error(err);        // moved while the question waited
  if (::fstat(pin.get(), &st) != 0 || st.st_nlink != 1) return error(err);  // linked while it waited
  if (auto r = install_copy(req, listener, pin.get(), flags)) return std::move(*r);
  return error(err);
}

BrokerReply CreateBroker::handle(FsCall call, const seccomp_notif& req, int listener) {
  const auto& a = req.data.args;
  // The whole call, the lookups included, with the command's umask (for calls that make
  // a file) and no capabilities: with them cordon as root would search directories the
  // command may not.
  const bool makes = call == FsCall::Mkdir || call == FsCall::MkdirAt || call == FsCall::Mknod ||
                     call == FsCall::MknodAt || call == FsCall::Creat || call == FsCall::Bind ||
                     (call == FsCall::Open && (a[1] & O_CREAT)) ||
                     (call == FsCall::OpenAt && (a[2] & O_CREAT));
  ActingFor as(static_cast<pid_t>(req.pid), makes, drop_caps_ ? caps_ : nullptr);
  if (!as.ready()) return error(EPERM);
  switch (call) {
    case FsCall::Open:
      return open(req, listener, AT_FDCWD, a[0], static_cast<int>(a[1]), static_cast<mode_t>(a[2]));
    case FsCall::OpenAt:
      return open(req, listener, fd_arg(a[0]), a[1], static_cast<int>(a[2]), static_cast<mode_t>(a[3]));
    case FsCall::Creat:
      return open(req, listener, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, static_cast<mode_t>(a[1]));
    case FsCall::OpenAt2:
      return error(ENOSYS);  // its flags are in memory: see the header
    case FsCall::Truncate:
      return truncate(req, listener);
    case FsCall::Bind:
      return bind(req, listener);
    case FsCall::Link:
      return link(req, listener, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
    case FsCall::LinkAt:
      return link(req, listener, fd_arg(a[0]), a[1], fd_arg(a[2]), a[3], static_cast<int>(a[4]));
    case FsCall::Rename:
      return rename(req, listener, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
    case FsCall::RenameAt:
      return rename(req, listener, fd_arg(a[0]), a[1], fd_arg(a[2]), a[3], 0);
    case FsCall::RenameAt2:
      return rename(req, listener, fd_arg(a[0]), a[1], fd_arg(a[2]), a[3], static_cast<unsigned>(a[4]));
    case FsCall::Unlink:
    case FsCall::UnlinkAt:
    case FsCall::Rmdir:
      return remove(call, req, listener);
    default:
      return make(call, req, listener);
  }
}

}  // namespace cordon
