// cordon: starting the command itself, shared by the launcher (no pid namespace: the
// sandboxed child becomes the command) and the sandbox's init (init_main.cpp).
//
//   exec_command(argv, envp, original_mask, report_fd);  // never returns
//
// An exec failure is written to `report_fd` as a ChildFailure with step "exec"; the
// exit status is 127 when the command was not found, 126 otherwise (as a shell does).
#pragma once

#include <signal.h>

namespace cordon {

// The signals cordon relays to the sandbox (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
// SIGUSR2, SIGWINCH), and SIGCHLD when asked.
sigset_t forwarded_signals(bool with_chld);

// Resets every signal to its default, restores `original_mask`, and execs argv[0],
// searched on the PATH of `envp`. Async-signal-safe: runs in a vfork child.
// `ctty_fd` >= 0 (--tty, pty.hpp): that standard stream is the sandbox's pty, made the
// controlling terminal of a new session led by the command (setsid + TIOCSCTTY), as
// `ssh -t` and `script` do; its process group is then the terminal's foreground job.
[[noreturn]] void exec_command(char* const* argv, char* const* envp, const sigset_t& original_mask,
                               int report_fd, int ctty_fd = -1);

// What a shell would report for a wait status: the exit code, or 128 + the signal.
int status_to_code(int status);

}  // namespace cordon
