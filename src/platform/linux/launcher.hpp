// cordon: start the command under a LinuxPlan and see it through to the end.
//
//   LaunchSpec spec{&plan, argv, env, cwd, timeout, uid, gid, program};
//   Result<LaunchResult> r = launch(spec);
//
// Child, in this fixed order (any failure is reported over a pipe and the child
// exits: fail closed):
//   clone(user, mount, pid, ipc[, net]) -> join the per-run cgroup (cgroup.cpp) ->
//   uid/gid map -> mounts (mounts.cpp) -> with --tty, a pty pair whose master goes to
//   the parent (pty.cpp) ->
//   setsid -> drop privileges + no_new_privs (caps.cpp) -> Landlock (landlock.cpp)
//   -> seccomp (seccomp.cpp) -> supervisor -> execveat(cordon-init, else cordon) as the
//   sandbox's init (init_main.cpp): a fresh image with an empty environment that holds
//   nothing of cordon's; as pid 1 it forks the command and reaps until it exits.
// Parent: forwards SIGINT/TERM/HUP/QUIT/USR1/USR2/WINCH, enforces the timeout by
// killing the sandbox's init (the kernel then kills the whole pid namespace), and the
// same way ends a command still running kStopGraceSeconds after a SIGTERM or SIGHUP
// (at once on a second stop signal).
// Without user namespaces (LandlockOnly) the child is the command itself (or, for an
// MCP request, the init, which execs it) and the parent, a child subreaper, kills
// whatever it leaves behind. Either way the command inherits only 0, 1 and 2.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/limits_plan.hpp"
#include "plan/linux_planner.hpp"
#include "platform/linux/cgroup.hpp"
#include "platform/linux/seccomp.hpp"

namespace cordon {

class Supervisor;  // platform/linux/supervisor.hpp
struct PtyPlan;    // platform/linux/pty.hpp

// How long a command may take to end after cordon forwarded SIGTERM or SIGHUP to it.
inline constexpr double kStopGraceSeconds = 5.0;

struct LaunchSpec {
  const LinuxPlan* plan = nullptr;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  std::optional<double> timeout_seconds;
  unsigned uid = 0;
  unsigned gid = 0;
  const SeccompProgram* seccomp = nullptr;
  const ChildLimits* limits = nullptr;  // rlimits set just before seccomp (limits.cpp)
  // Proxied network: the child's end of the socketpair its listeners go through
  // (net_child.cpp), and what the parent does right after clone().
  int net_child_fd = -1;
  std::function<void()> after_clone = {};
  // Denial reporting (optional): installed after the deny-list filter, runs in the parent.
  Supervisor* supervisor = nullptr;
  // A per-run cgroup (optional): the child joins it first thing, before any other step.
  const ChildCgroupJoin* cgroup = nullptr;
  // Kills the whole tree besides killing the sandbox's init (cgroup.kill), on a timeout or a limit.
  std::function<void()> kill_tree = {};
  // Polled about every 100 ms with the seconds since clone() and the child's pid: true when
  // the tree must be killed for exceeding a limit (the pids ceiling: a fork bomb).
  std::function<bool(double, int)> limit_watch = {};
  // cordon mcp workers: argv is empty, and the init reads the command (argv, extra
  // environment, working directory) from stdin, after the sandbox is set up.
  bool request_on_stdin = false;
  // --tty (pty.hpp): the command's terminal is a new pty in the sandbox's devpts, whose
  // master only this process holds and relays to the caller's terminal.
  const PtyPlan* pty = nullptr;
  // SIGTERM or SIGHUP (cordon told to stop) is forwarded; whatever still runs this long
  // after is killed, the whole tree, and at once on a second such signal (or SIGINT/SIGQUIT).
  double stop_grace_seconds = kStopGraceSeconds;
};

struct LaunchResult {
  int exit_code = 0;  // what cordon exits with
  int signal = 0;     // the signal that ended the command, if any
  bool timed_out = false;
  bool limit_killed = false;  // limit_watch fired and the tree was killed
  bool exec_failed = false;
  bool cwd_failed = false;  // the MCP request's cwd could not be entered (exec_arg, exec_errno)
  std::string exec_arg;     // argv[0] as given, when exec_failed (printed escaped by the caller)
  int exec_errno = 0;
  double duration_ms = 0;
  int leftovers_killed = 0;
  // Killed because it was still running after a SIGTERM/SIGHUP: the signal that asked, and
  // whether a second signal ended the grace period early (else it expired).
  int stop_signal = 0;
  bool stop_killed = false;
  bool stop_second_signal = false;
};

// Error code ENOSYS-like marker: clone() refused the namespaces (caller may re-plan
// without them). Checked with is_userns_unavailable().
[[nodiscard]] Result<LaunchResult> launch(const LaunchSpec& spec);
bool is_userns_unavailable(const Error& e);

}  // namespace cordon
