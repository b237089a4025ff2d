// cordon: thin wrappers for system calls glibc 2.36 does not wrap, with uapi
// constants defined here so the build does not depend on new kernel headers.
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace cordon::sys {

#ifndef SYS_open_tree
#define SYS_open_tree 428
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

inline constexpr unsigned kOpenTreeClone = 1;           // OPEN_TREE_CLONE
inline constexpr unsigned kOpenTreeCloexec = 02000000;  // O_CLOEXEC
inline constexpr unsigned kAtRecursive = 0x8000;
inline constexpr unsigned kAtEmptyPath = 0x1000;
inline constexpr unsigned kAtSymlinkNofollow = 0x100;
inline constexpr unsigned kMoveMountFEmptyPath = 0x00000004;
inline constexpr uint64_t kMountAttrRdonly = 0x00000001;
inline constexpr uint64_t kMountAttrNosuid = 0x00000002;
inline constexpr uint64_t kMountAttrNodev = 0x00000004;

struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

inline int open_tree(int dfd, const char* path, unsigned flags) {
  return static_cast<int>(::syscall(SYS_open_tree, dfd, path, flags));
}
inline int move_mount(int from_dfd, const char* from, int to_dfd, const char* to, unsigned flags) {
  return static_cast<int>(::syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags));
}
inline int mount_setattr(int dfd, const char* path, unsigned flags, MountAttr* attr) {
  return static_cast<int>(::syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(MountAttr)));
}

// Landlock uapi structs (stable ABI).
struct LandlockRulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
struct __attribute__((packed)) LandlockPathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};
struct LandlockNetPortAttr {
  uint64_t allowed_access;
  uint64_t port;
};
inline constexpr int kLandlockRulePathBeneath = 1;
inline constexpr int kLandlockRuleNetPort = 2;  // ABI 4
inline constexpr unsigned kLandlockCreateRulesetVersion = 1U << 0;

inline long landlock_create_ruleset(const LandlockRulesetAttr* attr, size_t size, unsigned flags) {
  return ::syscall(SYS_landlock_create_ruleset, attr, size, flags);
}
inline long landlock_add_rule(int fd, int type, const void* attr, unsigned flags) {
  return ::syscall(SYS_landlock_add_rule, fd, type, attr, flags);
}
inline long landlock_restrict_self(int fd, unsigned flags) {
  return ::syscall(SYS_landlock_restrict_self, fd, flags);
}

}  // namespace cordon::sys
