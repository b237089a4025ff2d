// no_userns: run a command the way Docker's default seccomp profile would, with
// unprivileged user namespaces refused (clone/unshare with CLONE_NEWUSER -> EPERM,
// clone3 -> ENOSYS so libc falls back to clone). Used to test cordon's
// no-user-namespace mode for real, not by a flag.
//
//   no_userns CMD [ARGS...]
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: no_userns CMD [ARGS...]\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return 1;
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                            SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || seccomp_load(ctx) != 0) {
    std::fprintf(stderr, "no_userns: could not install the filter: %s\n", std::strerror(errno));
    return 1;
  }
  seccomp_release(ctx);
  execvp(argv[1], argv + 1);
  std::fprintf(stderr, "no_userns: exec %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
