#include "platform/linux/denial_recorder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "core/paths.hpp"
#include "platform/linux/caller.hpp"

namespace cordon {
namespace {

// rmdir() of a directory with entries fails with ENOTEMPTY whatever the policy says (git
// tries .git's parents after `git stash`, and copes): not a refusal, and no option would
// make it succeed. Read in the caller's view; false when it cannot be known.
bool nonempty_directory_in(pid_t pid, const std::string& path) {
  int err = 0;
  UniqueFd dir = resolve_in_view(pid, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK, err);
  if (!dir.valid()) return false;
  alignas(8) char buf[1024];
  const long n = ::syscall(SYS_getdents64, dir.get(), buf, sizeof buf);
  for (long at = 0; at < n;) {
    const auto* e = reinterpret_cast<const struct dirent64*>(buf + at);
    const std::string name = e->d_name;
    if (name != "." && name != "..") return true;
    at += e->d_reclen;
  }
  return false;
}

}  // namespace

std::optional<Denial> observe(const DenialRules& rules, FsCall call, const seccomp_notif& req) {
  const pid_t pid = static_cast<pid_t>(req.pid);
  const auto* a = req.data.args;
  std::optional<Denial> found;
  auto path_at = [&](int dirfd, uint64_t addr) {
    std::string p;
    if (!read_string(pid, addr, p)) return std::string();
    return absolute_in(pid, dirfd, p);
  };
  auto fd_arg = [](uint64_t v) { return static_cast<int>(static_cast<int32_t>(v)); };
  auto in_secret = [&](const std::string& p) {
    return std::any_of(rules.masked.begin(), rules.masked.end(),
                       [&](const std::string& m) { return paths::is_within(p, m); });
  };
  // A file-system operation on `path`; `must_exist`: refused only if it exists
  // (delete, rename source, truncate); `creates`: refused only if it does not.
  auto check = [&](Operation op, const std::string& path, bool must_exist, bool creates, bool dir = false) {
    if (found || path.empty()) return;
    auto d = classify(rules, op, path, dir);
    if (!d) return;
    // Inside a mask the sandbox sees an empty directory; the attempt itself is the news.
    if (in_secret(d->path)) {
      found = std::move(d);
      return;
    }
    if (must_exist && !exists_in(pid, d->path)) return;  // ENOENT, not a denial
    if (creates && (exists_in(pid, d->path) || !exists_in(pid, paths::parent(d->path))))
      return;  // EEXIST, ENOENT
    found = std::move(d);
  };
  auto open_like = [&](int dirfd, uint64_t addr, uint64_t flags) {
    const std::string path = path_at(dirfd, addr);
    const bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
    if (!writes && !(flags & O_CREAT)) {
      check(Operation::Read, path, false, false);
      return;
    }
    if (path.empty()) return;
    auto d = classify(rules, Operation::Create, path);
    if (!d) return;
    if (in_secret(d->path)) {
      found = classify(rules, writes ? Operation::Write : Operation::Create, path);
      return;
    }
    if (exists_in(pid, d->path)) {
      if (!writes) return;  // O_CREAT of an existing file, read-only: allowed
      d = classify(rules, Operation::Write, path);
    } else if (!(flags & O_CREAT) || !exists_in(pid, paths::parent(d->path))) {
      return;  // ENOENT, not a denial
    }
    found = std::move(d);
  };
  switch (call) {
    case FsCall::Open:
      open_like(AT_FDCWD, a[0], a[1]);
      break;
    case FsCall::OpenAt:
      open_like(fd_arg(a[0]), a[1], a[2]);
      break;
    case FsCall::OpenAt2: {
      uint64_t flags = 0;
      if (read_bytes(pid, a[2], &flags, sizeof flags)) open_like(fd_arg(a[0]), a[1], flags);
      break;
    }
    case FsCall::Creat:
      open_like(AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC);
      break;
    case FsCall::Mkdir:
      check(Operation::Create, path_at(AT_FDCWD, a[0]), false, true, true);
      break;
    case FsCall::MkdirAt:
      check(Operation::Create, path_at(fd_arg(a[0]), a[1]), false, true, true);
      break;
    case FsCall::Mknod:
      check(Operation::Create, path_at(AT_FDCWD, a[0]), false, true);
      break;
    case FsCall::MknodAt:
      check(Operation::Create, path_at(fd_arg(a[0]), a[1]), false, true);
      break;
    case FsCall::Unlink:
      check(Operation::Delete, path_at(AT_FDCWD, a[0]), true, false);
      break;
    case FsCall::Rmdir: {
      const std::string path = path_at(AT_FDCWD, a[0]);
      if (!nonempty_directory_in(pid, path)) check(Operation::Delete, path, true, false);
      break;
    }
    case FsCall::UnlinkAt: {
      const std::string path = path_at(fd_arg(a[0]), a[1]);
      if (!(a[2] & AT_REMOVEDIR) || !nonempty_directory_in(pid, path))
        check(Operation::Delete, path, true, false);
      break;
    }
    case FsCall::Rename:
      check(Operation::Rename, path_at(AT_FDCWD, a[0]), true, false);
      check(Operation::Rename, path_at(AT_FDCWD, a[1]), false, false);
      break;
    case FsCall::RenameAt:
    case FsCall::RenameAt2:
      check(Operation::Rename, path_at(fd_arg(a[0]), a[1]), true, false);
      check(Operation::Rename, path_at(fd_arg(a[2]), a[3]), false, false);
      break;
    case FsCall::Link:
      check(Operation::Create, path_at(AT_FDCWD, a[1]), false, true);
      break;
    case FsCall::LinkAt:
      check(Operation::Create, path_at(fd_arg(a[2]), a[3]), false, true);
      break;
    case FsCall::Symlink:
      check(Operation::Create, path_at(AT_FDCWD, a[1]), false, true);
      break;
    case FsCall::SymlinkAt:
      check(Operation::Create, path_at(fd_arg(a[1]), a[2]), false, true);
      break;
    case FsCall::Truncate:
      check(Operation::Write, path_at(AT_FDCWD, a[0]), true, false);
      break;
    case FsCall::Bind:
      break;  // the creation broker tells its own refusals
  }
  return found;
}

}  // namespace cordon
