// cordon setup (Linux): on hosts where AppArmor restricts unprivileged user
// namespaces (Ubuntu 24.04+), install a profile that lets the cordon binary create
// them, the way Ubuntu ships one for bwrap. Needs root; idempotent.
#include "platform/linux/apparmor.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace cordon {

namespace {
constexpr const char* kProfilePath = "/etc/apparmor.d/cordon";

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return buf;
}
}  // namespace

std::string apparmor_profile_text(const std::string& binary) {
  std::ostringstream p;
  p << "# Installed by `cordon setup`: lets cordon create user namespaces for its sandbox.\n"
    << "abi <abi/4.0>,\n"
    << "include <tunables/global>\n\n"
    << "profile cordon \"" << binary << "\" flags=(unconfined) {\n"
    << "  userns,\n"
    << "  include if exists <local/cordon>\n"
    << "}\n";
  return p.str();
}

Result<int> apparmor_setup(const std::vector<std::string>& args) {
  bool dry_run = false;
  for (const auto& a : args) {
    if (a == "--dry-run")
      dry_run = true;
    else
      return usage_error("setup", "unknown option '" + a + "'", "usage: sudo cordon setup [--dry-run]");
  }
  std::ifstream restrict_file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  std::string restricted;
  std::getline(restrict_file, restricted);
  const std::string binary = self_exe();
  if (binary.empty()) return os_error("readlink", "/proc/self/exe", errno);
  const std::string text = apparmor_profile_text(binary);
  if (restricted != "1") {
    std::cout
        << "cordon setup: AppArmor does not restrict unprivileged user namespaces here; nothing to do.\n";
    if (!dry_run) return 0;
  }
  if (dry_run) {
    std::cout << "would write " << kProfilePath << ":\n" << text;
    return 0;
  }
  if (::geteuid() != 0)
    return usage_error("setup", "needs root to install an AppArmor profile", "run: sudo cordon setup");
  {
    std::ofstream out(std::string(kProfilePath) + ".tmp", std::ios::trunc);
    out << text;
    if (!out) return os_error("write", std::string(kProfilePath) + ".tmp", errno);
  }
  if (::rename((std::string(kProfilePath) + ".tmp").c_str(), kProfilePath) != 0)
    return os_error("rename", kProfilePath, errno);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execlp("apparmor_parser", "apparmor_parser", "-r", kProfilePath, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return usage_error("setup", "apparmor_parser -r " + std::string(kProfilePath) + " failed",
                       "install the apparmor package (apparmor_parser) and run `sudo cordon setup` again");
  std::cout << "cordon setup: installed " << kProfilePath << " for " << binary
            << "; `cordon check` should now report user namespaces as available.\n"
            << "Re-run `sudo cordon setup` if the cordon binary moves.\n";
  return 0;
}

}  // namespace cordon
