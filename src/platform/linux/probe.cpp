#include "platform/linux/probe.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "platform/linux/cgroup.hpp"
#include "platform/linux/landlock.hpp"

namespace cordon {
namespace {

std::string read_first_line(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// A child that does what the sandbox will do first: new namespaces, id maps, a mount.
// Returns "" on success, else the failed step.
std::string try_userns() {
  // Read before clone(): inside the new namespace, ids are unmapped until the maps exist.
  const std::string u = std::to_string(::getuid()), g = std::to_string(::getgid());
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | SIGCHLD,
                                           nullptr, nullptr, nullptr, 0));
  if (pid < 0) return "clone(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID): " + errno_name(errno);
  if (pid == 0) {
    auto w = [](const char* p, const std::string& s) {
      int fd = ::open(p, O_WRONLY);
      bool ok = fd >= 0 && ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
      if (fd >= 0) ::close(fd);
      return ok;
    };
    w("/proc/self/setgroups", "deny");
    if (!w("/proc/self/uid_map", u + " " + u + " 1\n")) ::_exit(10);
    if (!w("/proc/self/gid_map", g + " " + g + " 1\n")) ::_exit(11);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(12);
    if (::mount("tmpfs", "/tmp", "tmpfs", 0, "size=4k") != 0) ::_exit(13);
    if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  switch (WIFEXITED(status) ? WEXITSTATUS(status) : -1) {
    case 10:
      return "writing uid_map was refused";
    case 11:
      return "writing gid_map was refused";
    case 12:
    case 13:
      return "mount inside a new user namespace was refused (AppArmor or LSM restriction)";
    case 14:
      return "mounting a fresh /proc was refused (masked /proc, as in containers)";
    default:
      return "the namespace probe child failed";
  }
}

}  // namespace

LinuxHostCaps probe_linux_host(bool try_namespaces, bool cgroups) {
  LinuxHostCaps caps;
  caps.uid = ::getuid();
  caps.gid = ::getgid();
  caps.landlock_abi = landlock_probe_abi();
  caps.seccomp = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
  // A null how: EFAULT where the call exists, ENOSYS where it does not (or a filter says so).
  caps.openat2 = !(::syscall(437 /* SYS_openat2 */, AT_FDCWD, "/", nullptr, 0) < 0 && errno == ENOSYS);
  utsname u{};
  if (::uname(&u) == 0) caps.kernel = u.release;

  caps.apparmor_restricts_userns =
      read_first_line("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1";
  caps.apparmor_profile_installed = ::access("/etc/apparmor.d/cordon", F_OK) == 0;
  if (read_first_line("/proc/sys/kernel/unprivileged_userns_clone") == "0" && caps.uid != 0) {
    caps.userns = false;
    caps.userns_reason = "kernel.unprivileged_userns_clone=0";
  } else if (read_first_line("/proc/sys/user/max_user_namespaces") == "0") {
    caps.userns = false;
    caps.userns_reason = "user.max_user_namespaces=0";
  } else if (caps.apparmor_restricts_userns && !caps.apparmor_profile_installed && caps.uid != 0) {
    caps.userns = false;
    caps.userns_reason =
        "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1)";
  }
  if (try_namespaces && caps.userns) {
    std::string why = try_userns();
    if (!why.empty()) {
      caps.userns = false;
      caps.userns_reason = why;
    }
  }

  // Where a per-run cgroup can hold the sandbox (v2, else v1 per controller).
  if (cgroups) caps.cgroups = probe_cgroups();

  // Host IPC sockets named in the caller's environment.
  if (const char* ssh = std::getenv("SSH_AUTH_SOCK"); ssh && ssh[0] == '/') caps.ipc_sockets.push_back(ssh);
  if (const char* dbus = std::getenv("DBUS_SESSION_BUS_ADDRESS")) {
    std::string a = dbus;
    const std::string key = "unix:path=";
    if (a.rfind(key, 0) == 0)
      caps.ipc_sockets.push_back(a.substr(key.size(), a.find_first_of(",;") - key.size()));
  }
  return caps;
}

}  // namespace cordon
