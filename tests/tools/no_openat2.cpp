// no_openat2: run a command as on a kernel older than 5.6, where openat2 does not
// exist (ENOSYS). Used to test that cordon's post-run repair, which never falls back to
// following links, says loudly that it could not check the repository.
//
//   no_openat2 CMD [ARGS...]
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: no_openat2 CMD [ARGS...]\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return 1;
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) != 0 ||
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || seccomp_load(ctx) != 0) {
    std::fprintf(stderr, "no_openat2: could not install the filter: %s\n", std::strerror(errno));
    return 1;
  }
  seccomp_release(ctx);
  execvp(argv[1], argv + 1);
  std::fprintf(stderr, "no_openat2: exec %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
