#include "platform/linux/launcher.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "core/exec_request.hpp"
#include "platform/linux/caps.hpp"
#include "platform/linux/child_report.hpp"
#include "platform/linux/command_exec.hpp"
#include "platform/linux/init_main.hpp"
#include "platform/linux/landlock.hpp"
#include "platform/linux/limits.hpp"
#include "platform/linux/mounts.hpp"
#include "platform/linux/net_child.hpp"
#include "platform/linux/proc_tree.hpp"
#include "platform/linux/pty.hpp"
#include "platform/linux/supervisor.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {
namespace {

constexpr const char* kUsernsUnavailable = "clone(CLONE_NEWUSER)";

bool write_file(const char* path, const char* text) {
  UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  const size_t length = std::strlen(text);
  return ::write(fd.get(), text, length) == static_cast<ssize_t>(length);
}

// In the child right after clone(): map the invoking uid/gid onto themselves. The map
// lines were written before clone() (IdMaps): the child only makes system calls.
bool map_ids(const char* uid_map, const char* gid_map, const ChildReporter& rep) {
  if (!write_file("/proc/self/setgroups", "deny") && errno != ENOENT)
    return rep.fail("user-namespace", "write", "/proc/self/setgroups");
  if (!write_file("/proc/self/uid_map", uid_map))
    return rep.fail("user-namespace", "write", "/proc/self/uid_map");
  if (!write_file("/proc/self/gid_map", gid_map))
    return rep.fail("user-namespace", "write", "/proc/self/gid_map");
  return true;
}

// "uid uid 1\n" and "gid gid 1\n", formatted in the parent.
struct IdMaps {
  std::string uid, gid;
};

struct ChildArgs {
  const LaunchSpec* spec;
  char* const* argv;
  char* const* envp;
  sigset_t original_mask;
  int report_fd;
  bool namespaces;
  // The sandbox's init (init_main.cpp): its image (cordon-init or cordon's own binary),
  // opened before clone(), the argv that makes it run the init, and the memfd holding its
  // InitSpec. exe_fd < 0: no init, the child becomes the command itself.
  int exe_fd;
  char* const* init_argv;
  int spec_fd;
  const IdMaps* id_maps;
  int pty_sock;  // --tty: the child's end of the socketpair the pty's master goes through
};

// The last step in the child: only 0, 1 and 2 cross the exec, plus, to the init, the two
// descriptors its argv names. Everything else of cordon's (the caller's descriptors, the
// workspace lock, an MCP worker's report pipe, the binary itself) is closed by the exec.
[[noreturn]] void start_command(const ChildArgs& a) {
  ChildReporter rep(a.report_fd);
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (a.exe_fd < 0)
    exec_command(a.argv, a.envp, a.original_mask, a.report_fd, a.spec->pty ? a.spec->pty->ctty_fd() : -1);
  if (::fcntl(a.report_fd, F_SETFD, 0) != 0 || ::fcntl(a.spec_fd, F_SETFD, 0) != 0) {
    rep.fail("init", "fcntl(F_SETFD)", "");
    ::_exit(125);
  }
  // A fresh image with an empty environment, by descriptor: the image's path may be
  // hidden inside (a private /tmp, --deny-read), and Landlock allows this one file.
  char* const no_env[] = {nullptr};
  ::syscall(SYS_execveat, a.exe_fd, "", a.init_argv, no_env, AT_EMPTY_PATH);
  rep.fail("init", "execveat", a.init_argv[0]);
  ::_exit(125);
}

[[noreturn]] void child_main(const ChildArgs& a) {
  ChildReporter rep(a.report_fd);
  const LinuxPlan& plan = *a.spec->plan;
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    rep.fail("lifecycle", "prctl(PR_SET_PDEATHSIG)", "");
    ::_exit(125);
  }
  // Into the per-run cgroup before anything else runs: "0" is the writer itself.
  if (const ChildCgroupJoin* cg = a.spec->cgroup) {
    for (int i = 0; i < cg->count; ++i) {
      if (::write(cg->fds[i], "0", 1) != 1) {
        rep.fail("cgroup", "write", "cgroup.procs");
        ::_exit(125);
      }
      ::close(cg->fds[i]);
    }
  }
  bool ok = true;
  NetChildSockets net{};
  if (a.namespaces) {
    ok = map_ids(a.id_maps->uid.c_str(), a.id_maps->gid.c_str(), rep) &&
         linux_mounts::apply(plan, a.spec->cwd, rep);
    // Own network namespace: loopback up, and the proxy's listeners when proxied; we
    // still hold CAP_NET_ADMIN in our namespaces (dropped just below).
    if (ok && plan.new_netns) ok = net_child_setup(plan.net, a.spec->net_child_fd, rep, net);
  } else if (::chdir(a.spec->cwd.c_str()) != 0) {
    ok = rep.fail("chdir", "chdir", a.spec->cwd.c_str());
  }
  // --tty: a pair in the sandbox's own devpts instance (mounts.cpp); the master leaves
  // for the parent before any filter exists. The host's ptmx without namespaces.
  if (ok && a.spec->pty)
    ok = pty_open_in_child(*a.spec->pty, a.namespaces ? "/dev/pts/ptmx" : "/dev/ptmx", a.pty_sock, rep);
  // A new session: no controlling terminal, so no TIOCSTI into the caller's tty.
  if (ok && ::setsid() < 0) ok = rep.fail("session", "setsid", "");
  if (ok) ok = drop_privileges(rep);
  if (ok) ok = landlock_apply(plan.landlock, rep, a.exe_fd);
  if (ok && a.spec->limits) ok = apply_limits_in_child(*a.spec->limits, rep);
  if (ok && a.spec->supervisor) ok = a.spec->supervisor->open_in_child(rep, net.dns);
  if (ok && a.spec->seccomp && seccomp_load(*a.spec->seccomp) != 0)
    ok = rep.fail("seccomp", "prctl(PR_SET_SECCOMP)", "");
  if (ok && a.spec->supervisor) ok = a.spec->supervisor->install_in_child(rep);
  if (!ok) ::_exit(125);
  start_command(a);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Kill everything below us (we are a child subreaper): every descendant is stopped first,
// so none can fork or exit in between, then all are killed, until a scan finds none.
// Bounded; returns how many it killed.
int kill_leftovers() {
  int killed = 0;
  for (int round = 0; round < 200; ++round) {
    const auto below = descendants_of(::getpid());
    if (below.empty()) break;
    for (pid_t p : below) ::kill(p, SIGSTOP);
    for (pid_t p : descendants_of(::getpid())) ::kill(p, SIGSTOP);  // forked before the stop
    for (pid_t p : descendants_of(::getpid()))
      if (::kill(p, SIGKILL) == 0) ++killed;
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return killed;
}

struct InitLaunch {
  UniqueFd exe;   // the init's image (open_init_image), for execveat in the child
  UniqueFd spec;  // a memfd with the encoded InitSpec
  std::vector<std::string> argv;
};

uint64_t mask_bits(const sigset_t& set) {
  uint64_t bits = 0;
  for (int s = 1; s <= 64 && s < NSIG; ++s)
    if (sigismember(&set, s) == 1) bits |= uint64_t{1} << (s - 1);
  return bits;
}

// The init's image, opened O_PATH (enough for execveat and a Landlock rule; nothing can be
// read or written through it), with its argv[0]. Preferred: cordon-init, the same init
// linked alone and statically (it starts without a dynamic loader, about a millisecond
// sooner), next to cordon's own binary (the build tree, a staged copy) or in
// ../libexec/cordon (the install). Its directory is cordon's: whoever can replace the file
// could replace cordon. A name that is a link, or anything but an executable regular
// file, is not taken. Without it, cordon's own binary runs the same init_main().
struct InitImage {
  UniqueFd fd;
  const char* argv0;
};

Result<InitImage> open_init_image() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0 && static_cast<size_t>(n) < sizeof self - 1) {
    const std::string path(self, static_cast<size_t>(n));
    const std::string dir = path.substr(0, path.rfind('/') + 1);
    for (const char* rel : {"cordon-init", "../libexec/cordon/cordon-init"}) {
      UniqueFd fd(::open((dir + rel).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      struct stat st {};
      if (fd.valid() && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0)
        return InitImage{std::move(fd), "cordon-init"};
    }
  }
  UniqueFd self_fd(::open("/proc/self/exe", O_PATH | O_CLOEXEC));
  if (!self_fd.valid()) return os_error("open", "/proc/self/exe", errno);
  return InitImage{std::move(self_fd), "cordon"};
}

// Before clone(): everything the init needs, so the child only makes system calls.
Result<InitLaunch> prepare_init(const LaunchSpec& spec, bool pid1, const sigset_t& original_mask,
                                int report_fd) {
  InitLaunch init;
  auto image = open_init_image();
  if (!image) return image.error();
  init.exe = std::move(image->fd);
  init.spec.reset(::memfd_create("cordon-init-spec", MFD_CLOEXEC));
  if (!init.spec.valid()) return os_error("memfd_create", "cordon-init-spec", errno);
  const std::string bytes =
      encode_init_spec(InitSpec{pid1, spec.request_on_stdin, mask_bits(original_mask), spec.argv, spec.env,
                                spec.pty ? spec.pty->ctty_fd() : -1});
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(init.spec.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("write", "cordon-init-spec", errno);
    done += static_cast<size_t>(n);
  }
  init.argv = {image->argv0, kInitArg, std::to_string(report_fd), std::to_string(init.spec.get())};
  return init;
}

std::string hint_for(const ChildFailure& f) {
  std::string step = f.step, call = f.call;
  if (step == "user-namespace" ||
      ((step == "mounts" || step == "read-only-root" || step == "writable-root") && f.err == EPERM))
    return "user namespaces are restricted on this host (Ubuntu 24.04+: run `sudo cordon setup`, or "
           "sysctl kernel.apparmor_restrict_unprivileged_userns=0); in a container, allow user namespaces "
           "or pass --best-effort to use Landlock only";
  if (step == "review")
    return "the change set's overlay could not be mounted: it needs Linux >= 5.11 (overlayfs in a user "
           "namespace) and a state directory on a file system overlay accepts as its upper layer (ext4, xfs, "
           "btrfs; tmpfs from Linux 6.6); set XDG_STATE_HOME to one, or run without --review";
  if (f.err == ENOSYS && call.find("mount_setattr") != std::string::npos)
    return "cordon needs Linux >= 5.12 (mount_setattr)";
  if (step == "proc")
    return "a fresh /proc cannot be mounted (the host's /proc has masked entries, as in containers); run "
           "cordon on the host";
  if (step == "landlock")
    return "Landlock failed: check `cordon check`; boot with lsm=landlock,... to enable it";
  if (step == "init" && call == "execveat")
    return "cordon could not start its own binary as the sandbox's init: is the file on a noexec mount?";
  if (step == "mcp-request") return "the MCP server sent a malformed request to its worker (a bug in cordon)";
  if (step == "seccomp") return "seccomp is unavailable: use a kernel with CONFIG_SECCOMP_FILTER=y";
  if (step == "broker")
    return "cordon's broker could not take the seccomp listener (another supervisor holds it: cordon "
           "inside cordon?), so connects to unix sockets outside the run would not be checked; pass "
           "--best-effort to rely on the outer sandbox";
  if (step == "cgroup")
    return "the sandbox could not join its per-run cgroup (--memory/--pids); `cordon check` shows which "
           "cgroup "
           "cordon uses and why";
  return "";
}

}  // namespace

bool is_userns_unavailable(const Error& e) {
  return e.call == kUsernsUnavailable;
}

Result<LaunchResult> launch(const LaunchSpec& spec) {
  const bool namespaces = spec.plan->sandbox == LinuxSandbox::Namespaces;
  const bool sandboxed = spec.plan->sandbox != LinuxSandbox::None;
  auto argv = c_strings(spec.argv);
  auto envp = c_strings(spec.env);
  if (spec.argv.empty() && !spec.request_on_stdin) return os_error("launch", "", EINVAL, "no command given");

  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) return os_error("pipe2", "", errno);
  UniqueFd report_read(report_pipe[0]), report_write(report_pipe[1]);

  sigset_t original_mask, block = forwarded_signals(true);
  ::sigprocmask(SIG_BLOCK, &block, &original_mask);
  struct MaskRestore {
    sigset_t m;
    ~MaskRestore() { ::sigprocmask(SIG_SETMASK, &m, nullptr); }
  } restore{original_mask};

  // The init: pid 1 of a pid namespace, or the reader of an MCP request.
  InitLaunch init;
  if (namespaces || spec.request_on_stdin) {
    auto prepared = prepare_init(spec, namespaces, original_mask, report_write.get());
    if (!prepared) return prepared.error();
    init = std::move(*prepared);
  }
  auto init_argv = c_strings(init.argv);
  // --tty: declared before the loop's early returns, so the caller's terminal is restored
  // on every way out of launch() (the destructor), and on a fatal signal (its handler).
  std::optional<PtyRelay> relay;
  if (spec.pty) {
    relay.emplace(*spec.pty);
    if (auto opened = relay->open(); !opened) return opened.error();
  }
  const IdMaps id_maps{std::to_string(spec.uid) + " " + std::to_string(spec.uid) + " 1\n",
                       std::to_string(spec.gid) + " " + std::to_string(spec.gid) + " 1\n"};
  UniqueFd sfd(::signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd.valid()) return os_error("signalfd", "", errno);
  if (!namespaces && sandboxed && ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    return os_error("prctl(PR_SET_CHILD_SUBREAPER)", "", errno);

  const auto start = std::chrono::steady_clock::now();
  unsigned long flags = SIGCHLD;
  if (namespaces)
    flags |=
        CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (spec.plan->new_netns ? CLONE_NEWNET : 0);
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, 0));
  if (pid < 0) {
    int err = errno;
    if (namespaces && (err == EPERM || err == EINVAL || err == ENOSPC || err == EUSERS || err == ENOSYS))
      return os_error(kUsernsUnavailable, "", err);
    return os_error("clone", "", err);
  }
  if (pid == 0) {
    report_read.reset();
    const ChildArgs args{&spec,
                         argv.data(),
                         envp.data(),
                         original_mask,
                         report_write.get(),
                         namespaces,
                         init.exe.get(),
                         init_argv.data(),
                         init.spec.get(),
                         &id_maps,
                         relay ? relay->child_socket() : -1};
    if (!sandboxed) {
      if (spec.pty &&
          !pty_open_in_child(*spec.pty, "/dev/ptmx", args.pty_sock, ChildReporter(args.report_fd)))
        ::_exit(125);
      start_command(args);
    }
    child_main(args);
  }
  init.exe.reset();  // the parent needs neither: the child holds its own copies
  init.spec.reset();
  report_write.reset();
  if (relay) relay->close_child_socket();
  if (spec.after_clone) spec.after_clone();
  // Who gets forwarded signals: the namespace's init (it relays them to every process
  // inside), the sandboxed command's own session/group without namespaces, or the
  // plain child in full-access mode (no new session there).
  const pid_t signal_target = namespaces ? pid : sandboxed ? -pid : pid;
  if (spec.supervisor) spec.supervisor->start(pid, !namespaces);
  // Stopped on every way out of launch(), so no thread outlives it (the placeholder cleaner forks).
  struct StopSupervisor {
    Supervisor* s;
    ~StopSupervisor() {
      if (s) s->stop();
    }
  } stop_supervisor{spec.supervisor};

  LaunchResult result;
  // Killing pid 1 of the namespace ends every process in it; the cgroup, if any, too.
  auto kill_all = [&] {
    ::kill(signal_target, SIGKILL);
    ::kill(pid, SIGKILL);
    if (spec.kill_tree) spec.kill_tree();
  };
  constexpr int kWatchMs = 100;
  const bool watching = static_cast<bool>(spec.limit_watch);
  auto next_watch = start;
  std::optional<ChildFailure> failure;
  // The init's last record (step "exit"): the command's own wait status, so a command
  // killed by a signal is told apart from one that exited with 128+n.
  std::optional<int> command_status;
  auto take_record = [&](const ChildFailure& f) {
    if (std::strcmp(f.step, "exit") == 0)
      command_status = f.err;
    else if (!failure)
      failure = f;
  };
  int status = 0;
  bool exited = false;
  const bool has_deadline = spec.timeout_seconds.has_value();
  const auto deadline =
      start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(has_deadline ? *spec.timeout_seconds : 0.0));
  // Set when SIGTERM or SIGHUP was forwarded: the end of the command's grace period.
  std::optional<std::chrono::steady_clock::time_point> stop_deadline;
  while (!exited) {
    // Not the report pipe: it is read once the child has been reaped (below). Every record
    // is written by a process that exits right after it (a failed step, a failed exec, the
    // init's last word), so SIGCHLD ends this wait all the same, with one wake-up rather
    // than one per record plus one for the pipe's end.
    pollfd fds[1 + PtyRelay::kMaxFds] = {{sfd.get(), POLLIN, 0}};
    const int relayed = relay ? relay->fill(fds + 1) : 0;
    int wait_ms = -1;
    if (has_deadline) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::max<long long>(0, left.count()));
    }
    if (stop_deadline && !result.stop_killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*stop_deadline -
                                                                        std::chrono::steady_clock::now());
      const int stop_ms = static_cast<int>(std::max<long long>(0, left.count()));
      wait_ms = wait_ms < 0 ? stop_ms : std::min(wait_ms, stop_ms);
    }
    if (watching) wait_ms = wait_ms < 0 ? kWatchMs : std::min(wait_ms, kWatchMs);
    if (relay && pty_relay_pausable())
      wait_ms = wait_ms < 0 ? 250 : std::min(wait_ms, 250);  // resume after a question
    int n = ::poll(fds, static_cast<nfds_t>(1 + relayed), wait_ms);
    if (n < 0 && errno != EINTR) return os_error("poll", "", errno);
    const auto now = std::chrono::steady_clock::now();
    // (a relayed pty keeps poll busy: its command's deadline holds all the same)
    if ((n == 0 || relay) && has_deadline && now >= deadline && !result.timed_out && !result.limit_killed) {
      result.timed_out = true;
      kill_all();
    }
    if (stop_deadline && now >= *stop_deadline && !result.stop_killed && !result.timed_out) {
      result.stop_killed = true;
      kill_all();
    }
    if (watching && !result.timed_out && !result.limit_killed && now >= next_watch) {
      next_watch = now + std::chrono::milliseconds(kWatchMs);
      if (spec.limit_watch(std::chrono::duration<double>(now - start).count(), pid)) {
        result.limit_killed = true;
        kill_all();
      }
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si{};
      while (::read(sfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        if (si.ssi_signo == SIGCHLD) continue;
        // With a pty, the window size goes onto its master: the kernel signals the
        // terminal's foreground job, and only it, as a terminal emulator would.
        if (si.ssi_signo == SIGWINCH && relay) {
          relay->resize();
          continue;
        }
        const int sig = static_cast<int>(si.ssi_signo);
        ::kill(signal_target, sig);
        // Told to stop: the command gets a grace period to end on its own. SIGINT alone
        // starts none (an interactive program inside may handle it and go on), but once a
        // stop is under way any stop signal ends everything at once.
        const bool stop_signal = sig == SIGTERM || sig == SIGHUP;
        const bool any_stop = stop_signal || sig == SIGINT || sig == SIGQUIT;
        if (stop_deadline && any_stop && !result.stop_killed) {
          result.stop_killed = true;
          result.stop_second_signal = true;
          kill_all();
        } else if (!stop_deadline && stop_signal) {
          result.stop_signal = sig;
          stop_deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(spec.stop_grace_seconds));
        }
      }
    }
    if (relay && n > 0) relay->service(fds + 1, relayed);
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) exited = true;
  }
  // The records, written before their writers exited (every writer is gone: this ends at EOF).
  for (ChildFailure f{}; ::read(report_read.get(), &f, sizeof f) == static_cast<ssize_t>(sizeof f);)
    take_record(f);
  // Without a pid namespace, whatever the command left behind was reparented to us.
  // (full-access runs unsandboxed by request: nothing to clean up.)
  if (!namespaces && sandboxed) result.leftovers_killed = kill_leftovers();
  // The command's last output, then the caller's terminal as it was: before anything
  // of cordon's report is printed. (After the leftovers: none of them holds the pty.)
  if (relay) relay->drain();
  result.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  if (failure) {
    const std::string step = failure->step;
    if (step == "exec") {
      result.exec_failed = true;
      result.exit_code = failure->err == ENOENT ? 127 : 126;
      result.exec_arg = std::string(failure->arg, ::strnlen(failure->arg, sizeof failure->arg));
      result.exec_errno = failure->err;
      return result;
    }
    if (step == "cwd") {  // the working directory an MCP request named
      result.exec_failed = true;
      result.cwd_failed = true;
      result.exit_code = 126;
      result.exec_arg = std::string(failure->arg, ::strnlen(failure->arg, sizeof failure->arg));
      result.exec_errno = failure->err;
      return result;
    }
    Error e = os_error(failure->call, failure->arg, failure->err, hint_for(*failure));
    e.detail = std::string("sandbox setup failed at step '") + failure->step + "'; the command did not run";
    return e;
  }
  if (result.timed_out) {
    result.signal = SIGKILL;
    result.exit_code = 124;
    return result;
  }
  if (result.limit_killed) {
    result.signal = SIGKILL;
    result.exit_code = 128 + SIGKILL;
    return result;
  }
  result.exit_code = status_to_code(status);
  if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  else if (command_status && WIFSIGNALED(*command_status))
    result.signal = WTERMSIG(*command_status);  // pid 1's record: a plain `exit 137` is no signal
  return result;
}

}  // namespace cordon
