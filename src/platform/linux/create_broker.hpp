// cordon: the creation broker, the half of the supervisor's enforcement that makes names
// in the file system. It keeps the absent protected paths of the plan (a `.vscode` or
// `.mcp.json` the workspace does not have yet) from being created, without putting
// anything in the user's workspace: cordon performs every call that creates a name
// itself, in the command's view, and refuses the protected ones.
//
//   CreateBroker creator(rules);                          // rules.refuse_create: the paths
//   creator.pin_watched();                                // parent, before clone
//   creator.attach();                                     // on the supervisor's thread, once
//   BrokerReply r = creator.handle(FsCall::MkdirAt, req, listener);
//   creator.finish();                                     // before the listener closes
//
// Calls: open/openat with O_CREAT (not O_PATH or O_TMPFILE, which create no name; the
// flags are a register, so BPF routes them and no race can change them), creat, mkdir,
// mkdirat, mknod, mknodat, symlink, symlinkat, link, linkat, rename, renameat,
// renameat2. openat2 keeps its flags in memory, where neither BPF nor a decision can
// trust them: it is refused with ENOSYS (glibc's open never uses it; its users fall
// back to openat).
//
// How a call is performed (never SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel would read
// the path again, after another thread changed it):
//  1. Each path is read once from the caller's memory, made absolute in the command's
//     view (its working directory or descriptor, read from /proc/TID), and split into a
//     directory and a last name. The directory is resolved beneath the command's root
//     (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS from /proc/TID/root, so its mounts,
//     read-only binds and masks apply, and a link made inside stays inside) and pinned.
//  2. The decision is on that pinned directory and that name: a refused path's directory
//     (device and inode, pinned by cordon before the run) and its name (byte for byte;
//     where the directory ignores case, ASCII case-insensitively, and any name with
//     non-ASCII bytes is refused there too, since case folding may map it); or, below
//     the top of the workspace and --writable roots (the directory's mount is one of
//     theirs, read from the sandbox's mount table), any protected name.
//  3. The call is made on the pinned directory with that name, with the caller's umask
//     and, when cordon runs as root, no effective capabilities (the command has none), on
//     the supervisor's thread (its own umask: unshare(CLONE_FS)). open() follows a last
//     symbolic link itself, one hop at a time, so the name a link leads to is decided on
//     too. The new descriptor is installed in the caller (SECCOMP_IOCTL_NOTIF_ADDFD).
//     The kernel's mount-point checks look at the caller's namespace, which is cordon's
//     here: a rename whose source or target is a mount point in the sandbox (a
//     read-only bind, a pinned directory) is refused with EBUSY by cordon first.
//  A rename of git's lock file over a protected git config (`git remote add`, `push -u`,
//  `branch --set-upstream-to`) is checked by content: both files parsed as git parses them
//  (core/git_config.hpp), and accepted only when every entry it adds or changes is on the
//  inert allowlist; then cordon writes the checked entries, serialised, into the config it
//  pinned before the run (the bind the sandbox sees is that file), and removes the lock.
//  In every git directory that exists when the run starts (the plan's: the roots' own,
//  nested repositories, linked worktrees' and submodules'), a name is made, written,
//  linked or renamed to only when it is git's everyday data (an allowlist,
//  core/git_layout.hpp); in a directory named .git made during the run, never a hook
//  (but the templates' *.sample), a config but through the checked rename of its lock
//  (checked with no entries before it, written by cordon), a commondir, config.worktree,
//  info/attributes or alternates. No symbolic link is made in either, and no directory
//  is moved in from elsewhere (its content was never checked), nor to a name `.git`.
//  4. Paths into a descriptor of the caller (/proc/self/fd/N, /dev/fd/N, /dev/stdout
//     and the like) reopen that descriptor (pidfd_getfd), never with more access than
//     it has. Nothing is created or opened on procfs (cordon is not the caller there).
//     A FIFO without a reader is waited for on a worker thread, as the kernel would
//     wait, until its writer or reader arrives or the run ends.
//
// Only in the namespace mode: there the mounts alone say what is writable (the root is
// read-only, the writable roots are bind mounts), so a call cordon makes in the
// command's view can do nothing the command could not. Landlock-only mode keeps no
// absent protected path (reported by the planner).
#pragma once

#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/paths.hpp"
#include "plan/denial_rules.hpp"
#include "platform/linux/ask.hpp"
#include "platform/linux/broker.hpp"
#include "platform/linux/denial_recorder.hpp"
#include "platform/linux/read_copy.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

// Does this notification create a name (routed to the creation broker)? open and
// openat only with O_CREAT and neither O_PATH nor O_TMPFILE; every other call that
// the creation broker is given always does.
bool creates_name(FsCall call, const seccomp_notif& req);

class CreateBroker {
 public:
  explicit CreateBroker(const DenialRules& rules) : rules_(rules) {}
  ~CreateBroker() { finish(); }
  CreateBroker(const CreateBroker&) = delete;
  CreateBroker& operator=(const CreateBroker&) = delete;

  // Parent, before clone: the directory of every refused path, pinned (O_PATH) in
  // cordon's view, which holds the same inodes as the sandbox's. Fails when one cannot
  // be pinned (the run is then refused: the path would not be protected).
  [[nodiscard]] Status pin_watched();
  // The supervisor's thread, once before the first call; `child`: the sandbox's first
  // process, whose mount table says which mounts lie in the workspace and --writable roots.
  void attach(pid_t child);
  BrokerReply handle(FsCall call, const seccomp_notif& req, int listener);
  // --ask / --learn (ask.hpp): a call the sandbox's read-only mounts refuse (EROFS) on a
  // path never_ask() allows is put to the gate, and on a grant made by cordon on the
  // host: in the same directory object, opened in cordon's view (where it is writable)
  // and checked to be the one pinned in the command's view, with the name read once.
  // Before attach(); the gate outlives the broker's calls.
  void set_ask(AskGate* gate) { ask_ = gate; }
  // --ask / --learn with files the user added to --deny-read (DenialRules::asks_reads()):
  // a plain read open (open or openat without write intent), which the filter then routes
  // here. nullopt: not a read of such a file, answered with CONTINUE (the kernel opens
  // what the caller names then, and the mask mount still refuses it). Otherwise the
  // answer: the path resolved in the command's view (its root and working directory,
  // links followed one hop at a time, each decided on) ends on the mask of one of those
  // files, identified by its mount (recorded at attach(), before the command ran), and
  // the gate was asked; on a grant the real file is opened in cordon's view (its directory
  // reopened without links and checked to be the directory pinned in the command's view,
  // the name read once, pinned O_PATH | O_NOFOLLOW, a regular file only, reopened
  // O_RDONLY), its content copied into a sealed memfd and that installed (a descriptor of
  // the host's file would let the command fchmod it). Refused: the mask itself, as
  // without --ask (an empty file, opened from the object pinned in the command's view).
  // Below a directory the user denied (its empty tmpfs mask, recorded by mount at attach()
  // with the real directory pinned in cordon's view): the path that fails in the command's
  // view is resolved there to the deepest directory that exists, links followed one hop at a
  // time; when that directory lies on the mask, the rest of the path is resolved beneath the
  // pinned real directory (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV,
  // O_PATH: nothing is opened yet), and only a regular file is asked about and, granted,
  // copied as above. Refused: the error the command's own lookup had. A descriptor of a
  // host directory is never installed (it would lead out of the sandbox's tree).
  std::optional<BrokerReply> read(FsCall call, const seccomp_notif& req, int listener);
  // Ends the FIFO waits (interrupted) and joins their threads.
  void finish();
  // Files named `.git` made (created, linked or renamed to) below a policy root outside
  // any git directory: pointers (`git worktree add`, a submodule's checkout) whose content
  // cannot be checked when they are made; checked after the run (git_guard.hpp).
  std::vector<std::string> new_git_pointers() const {
    std::lock_guard<std::mutex> lock(pointers_mutex_);
    return new_pointers_;
  }

 private:
  struct Watch {
    dev_t dev = 0;
    ino_t ino = 0;
    paths::NameFolding folding = paths::NameFolding::Exact;
    std::string name;
    std::string path;
  };
  struct Named;
  // A protected git config file: its directory (the gitdir, as the sandbox sees it too)
  // and the file itself, pinned in cordon's view (a read-only bind in the sandbox's, so
  // neither can be replaced during the run).
  struct GitConfig {
    dev_t dev = 0;
    ino_t ino = 0;
    UniqueFd file;
    std::string path;
  };
  struct Waiter {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  // A descriptor opened for the caller, or the answer instead (refused, failed, or given
  // already: a FIFO's worker, the caller gone).
  struct Opened {
    UniqueFd fd;
    std::optional<BrokerReply> reply;
  };
  Opened open_for(const seccomp_notif& req, int listener, int dirfd, uint64_t path_addr, int flags,
                  mode_t mode, bool may_wait);
  Opened reopen(const seccomp_notif& req, int listener, int fd, int flags);
  Opened own_terminal(pid_t tid, int flags);
  int copy_up(const Named& t, const struct stat& linked, UniqueFd& out);
  BrokerReply open(const seccomp_notif& req, int listener, int dirfd, uint64_t path_addr, int flags,
                   mode_t mode);
  BrokerReply truncate(const seccomp_notif& req, int listener);
  BrokerReply make(FsCall call, const seccomp_notif& req, int listener);
  BrokerReply link(const seccomp_notif& req, int listener, int olddir, uint64_t old_addr, int newdir,
                   uint64_t new_addr, int flags);
  BrokerReply rename(const seccomp_notif& req, int listener, int olddir, uint64_t old_addr, int newdir,
                     uint64_t new_addr, unsigned flags);
  BrokerReply bind(const seccomp_notif& req, int listener);
  BrokerReply remove(FsCall call, const seccomp_notif& req, int listener);
  BrokerReply read_masked(const seccomp_notif& req, int listener, const Named& t, int mask,
                          const std::string& path, int flags);
  // A read open that failed in the command's view (`err`), maybe below a denied directory.
  std::optional<BrokerReply> read_below(const seccomp_notif& req, int listener, std::string abs, int flags,
                                        int err);
  struct DirMask;
  BrokerReply read_below_mask(const seccomp_notif& req, int listener, const DirMask& m, int dir,
                              const std::string& rest, int flags, int err);
  // The granted file `pin` (O_PATH, a regular file in cordon's view), installed in the
  // caller as a sealed memfd copy; nullopt: refused (changed, too large).
  std::optional<BrokerReply> install_copy(const seccomp_notif& req, int listener, int pin, int flags);
  // The host's twins of the directories of `t` (and `to`), when the gate granted the call.
  struct HostDirs {
    UniqueFd from, to;
  };
  std::optional<HostDirs> granted_on_host(const seccomp_notif& req, int listener, Operation kind,
                                          const char* op, const Named& t, const Named* to, bool is_dir);
  std::optional<Opened> open_on_host(const seccomp_notif& req, int listener, const Named& t, int flags,
                                     mode_t mode);
  std::optional<Denial> inside_protected(const Named& n, Operation op) const;
  std::optional<Denial> refused(const Named& n, Operation op) const;
  // Where a name lies in a git directory: an existing one (the plan's), or one made
  // during the run (a directory named .git below a policy root); nullopt: in none.
  struct GitPlace {
    bool existing = false;
    std::string rel;  // the name's path relative to the git directory
  };
  std::optional<GitPlace> git_place(const Named& n) const;
  // What a call may make or write in a git directory (core/git_layout.hpp).
  enum class GitUse { Create, Write, Symlink, MoveFile, MoveDirectory };
  std::optional<Denial> git_refused(const Named& n, Operation op, GitUse use) const;
  BrokerReply write_new_git_config(const Named& lock, const Named& config);
  BrokerReply write_worktree_config(const Named& lock, const Named& config);
  // The checked config's serialised `text` written to a file cordon makes beside `config`,
  // renamed over it, and the lock removed (both config writers' last step).
  BrokerReply replace_config(const Named& lock, const Named& config, const std::string& text);
  void note_git_pointer(const Named& n);
  // Records a .git file about to be made at `path` (true), or false when the record is full.
  bool reserve_git_pointer(const std::string& path) const;
  static constexpr size_t kMaxGitPointers = 4096;  // the record of .git files made
  const GitConfig* git_config(const Named& n) const;
  BrokerReply write_git_config(const Named& lock, const GitConfig& config);
  BrokerReply install(const seccomp_notif& req, int listener, int fd, bool cloexec);
  // False, with `pin` closed, when no thread could be started.
  bool wait_for_fifo(const seccomp_notif& req, int listener, int pin, int flags);

  // A write to a file the plan guards (DenialRules::guarded_files), decided on the opened
  // file's device and inode: a hard link or a renamed name reaches the same file.
  std::optional<Denial> guarded_write(const Named& n, const struct stat& st) const;
  // A rename that would move a git directory of the plan (one not pinned: a linked
  // worktree's, which `git worktree remove` may delete) or put something in its place.
  bool moves_plan_gitdir(const Named& n) const;
  // After a directory moved from `from` to `to` (both ways with RENAME_EXCHANGE): the
  // recorded .git files below it are where they now are, so each is still checked.
  void follow_moved_pointers(const std::string& from, const std::string& to, bool exchange);

  const DenialRules& rules_;
  AskGate* ask_ = nullptr;
  std::vector<Watch> watched_;
  std::vector<GitConfig> git_configs_;
  struct Guarded {
    dev_t dev = 0;
    ino_t ino = 0;
    UniqueFd file;  // held, so that its inode number is not reused by a file made after a delete
    std::string path;
  };
  std::vector<Guarded> guarded_;
  // The mounts at or below a policy root, in the sandbox: read from mountinfo_ the first
  // time a protected name is met (most runs never do; one mount per protected path makes
  // mountinfo long). Sorted.
  const std::vector<uint64_t>& root_mounts() const;
  UniqueFd mountinfo_;  // the sandbox's /proc/PID/mountinfo (its mount namespace)
  mutable std::once_flag root_mounts_once_;
  mutable std::vector<uint64_t> root_mounts_;
  mutable bool root_mounts_known_ = false;  // false: mountinfo unreadable, refuse every hit
  bool drop_caps_ = false;            // cordon runs with capabilities: none while acting for the command
  __user_cap_data_struct caps_[2]{};  // cordon's own, when drop_caps_
  UniqueFd root_;                     // the sandbox's root (attach); invalid: each caller's
  uint64_t copies_ = 0;               // names of temporary copies (copy_up)
  mutable std::mutex pointers_mutex_;
  mutable std::vector<std::string> new_pointers_;  // bounded (kMaxGitPointers)
  std::mutex waiters_mutex_;
  std::list<Waiter> waiters_;
  // The mounts masking the user's --deny-read files in the sandbox (attach(), read()): mount
  // id -> the file's path. The command cannot mount, so an id stays that mask's.
  std::unordered_map<uint64_t, std::string> asked_masks_;
  // The tmpfs masks of the user's --deny-read directories (attach()), by mount id: the
  // mask's root in the command's view, the real directory in cordon's (pinned before the
  // command ran, without following a link), and its path.
  struct DirMask {
    UniqueFd mask;  // O_PATH, the tmpfs's root, in the sandbox
    UniqueFd real;  // O_PATH | O_DIRECTORY, the host's directory
    std::string path;
  };
  std::unordered_map<uint64_t, DirMask> dir_masks_;
  ReadCopies read_copies_;  // what granted reads get (install_copy)
};

}  // namespace cordon
