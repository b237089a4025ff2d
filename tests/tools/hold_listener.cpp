// hold_listener: run a command under a seccomp filter that has a user-notification
// listener (held by this process, never answered: the filter notifies only `acct`), as an
// outer supervisor would. The kernel allows one listener per filter tree, so cordon's own
// cannot be installed below it: the test that cordon then fails closed.
//
//   hold_listener CMD [ARGS...]
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: hold_listener CMD [ARGS...]\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(acct), 0) != 0 ||
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || seccomp_load(ctx) != 0) {
    std::fprintf(stderr, "hold_listener: could not install the filter: %s\n", std::strerror(errno));
    return 1;
  }
  const int listener = seccomp_notify_fd(ctx);
  if (listener < 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    close(listener);
    execvp(argv[1], argv + 1);
    std::fprintf(stderr, "hold_listener: exec %s: %s\n", argv[1], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  seccomp_release(ctx);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
