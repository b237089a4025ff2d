// no_landlock: run a command on a host that looks as if Landlock were not built in
// (landlock_create_ruleset, landlock_add_rule, landlock_restrict_self -> ENOSYS, as
// on a kernel without CONFIG_SECURITY_LANDLOCK). cordon then probes Landlock ABI 0, so
// the suite can test what holds without it for real, not by a flag.
//
//   no_landlock CMD [ARGS...]        (combine: no_landlock no_userns cordon run ...)
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: no_landlock CMD [ARGS...]\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return 1;
  int rc = 0;
  for (const char* name : {"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"}) {
    const int nr = seccomp_syscall_resolve_name(name);
    rc |= nr == __NR_SCMP_ERROR ? -1 : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
  }
  if (rc != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || seccomp_load(ctx) != 0) {
    std::fprintf(stderr, "no_landlock: could not install the filter: %s\n", std::strerror(errno));
    return 1;
  }
  seccomp_release(ctx);
  execvp(argv[1], argv + 1);
  std::fprintf(stderr, "no_landlock: exec %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
