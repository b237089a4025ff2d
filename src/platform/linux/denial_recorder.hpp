// cordon: the denial recorder, the observing half of the supervisor. For a file-system
// call that creates, writes, deletes or renames (or, with --report-denials full, reads),
// it asks the pure classifier (plan/denial_rules) whether the kernel layers will refuse
// it, and returns the predicted refusal. The supervisor answers every such notification
// with SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel then runs the call and the mounts,
// Landlock and the seccomp deny list decide, as without the recorder.
//
//   if (auto d = observe(rules, FsCall::OpenAt, req)) log.add(*d);   // then CONTINUE
//
// Paths are read from the caller's memory, which another thread may change under us,
// so the record is advisory: it explains a failure, it never decides one.
#pragma once

#include <linux/seccomp.h>

#include <optional>

#include "core/result.hpp"
#include "plan/denial_rules.hpp"

namespace cordon {

enum class FsCall {
  Open,
  OpenAt,
  OpenAt2,
  Creat,
  Mkdir,
  MkdirAt,
  Mknod,
  MknodAt,
  Unlink,
  UnlinkAt,
  Rmdir,
  Rename,
  RenameAt,
  RenameAt2,
  Link,
  LinkAt,
  Symlink,
  SymlinkAt,
  Truncate,
  Bind,  // not observed: routed only to the creation broker (a socket file is a name)
};

struct ObservedCall {
  const char* name;
  FsCall call;
  int flags_arg;  // open flags in a register (filtered in BPF); -1: always notified
};

// The write-intent calls. open/openat are filtered on their flags in BPF, so plain
// reads never reach the supervisor (unless DenialReporting::Full). openat2 keeps its
// flags in memory, where BPF cannot look: it is always notified (glibc does not use it).
inline constexpr ObservedCall kObservedCalls[] = {
    {"open", FsCall::Open, 1},          {"openat", FsCall::OpenAt, 2},
    {"openat2", FsCall::OpenAt2, -1},   {"creat", FsCall::Creat, -1},
    {"mkdir", FsCall::Mkdir, -1},       {"mkdirat", FsCall::MkdirAt, -1},
    {"mknod", FsCall::Mknod, -1},       {"mknodat", FsCall::MknodAt, -1},
    {"unlink", FsCall::Unlink, -1},     {"unlinkat", FsCall::UnlinkAt, -1},
    {"rmdir", FsCall::Rmdir, -1},       {"rename", FsCall::Rename, -1},
    {"renameat", FsCall::RenameAt, -1}, {"renameat2", FsCall::RenameAt2, -1},
    {"link", FsCall::Link, -1},         {"linkat", FsCall::LinkAt, -1},
    {"symlink", FsCall::Symlink, -1},   {"symlinkat", FsCall::SymlinkAt, -1},
    {"truncate", FsCall::Truncate, -1},
};

// The refusal the kernel layers will most likely give `req`, if any. Advisory.
std::optional<Denial> observe(const DenialRules& rules, FsCall call, const seccomp_notif& req);

}  // namespace cordon
