#include "platform/linux/landlock.hpp"

#include <fcntl.h>

#include "plan/landlock_abi.hpp"
#include "platform/linux/syscalls.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

int landlock_probe_abi() {
  long abi = sys::landlock_create_ruleset(nullptr, 0, sys::kLandlockCreateRulesetVersion);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

bool landlock_apply(const LandlockPlan& plan, const ChildReporter& rep, int exec_fd) {
  if (!plan.enabled()) return true;
  sys::LandlockRulesetAttr attr{plan.handled_fs, plan.handled_net, plan.scoped};
  // Older ABIs know a shorter struct: pass only the fields they understand.
  size_t size = plan.abi >= 6 ? sizeof attr : plan.abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
  UniqueFd ruleset(static_cast<int>(sys::landlock_create_ruleset(&attr, size, 0)));
  if (!ruleset.valid()) return rep.fail("landlock", "landlock_create_ruleset", "");

  // Rights that make sense on a non-directory; others are rejected with EINVAL.
  const uint64_t file_rights = landlock::kExecute | landlock::kWriteFile | landlock::kReadFile |
                               landlock::kTruncate | landlock::kIoctlDev;
  for (const auto& rule : plan.rules) {
    const uint64_t access = rule.access & plan.handled_fs;
    if (access == 0) continue;
    UniqueFd fd(::open(rule.path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == EACCES) continue;
      return rep.fail("landlock", "open(O_PATH)", rule.path.c_str());
    }
    // The kind without fstat: a directory takes every right, anything else refuses the
    // rights that only apply to directories with EINVAL (landlock_add_rule(2); `access`
    // is within handled_fs, so that is the only EINVAL) and gets those for a file. The
    // same rules as fstat-then-add, one call fewer for each directory.
    sys::LandlockPathBeneathAttr beneath{access, fd.get()};
    const bool dir_rights = (access & file_rights) != access;
    int rc = sys::landlock_add_rule(ruleset.get(), sys::kLandlockRulePathBeneath, &beneath, 0);
    if (rc != 0 && errno == EINVAL && dir_rights) {
      beneath.allowed_access = access & file_rights;
      rc = beneath.allowed_access == 0
               ? 0
               : sys::landlock_add_rule(ruleset.get(), sys::kLandlockRulePathBeneath, &beneath, 0);
    }
    if (rc != 0) {
      // A path that leads out of the file system (/dev/stderr in the sandbox's /dev is a
      // link to a pipe): nothing there to grant, and a grant left out only narrows.
      if (errno == EBADFD) continue;
      return rep.fail("landlock", "landlock_add_rule", rule.path.c_str());
    }
  }
  // The init's image (cordon-init, or cordon's own binary), by the descriptor the parent
  // opened before clone(): the init is exec'd from it after this ruleset is in force, and
  // its directory may be one the sandbox cannot see or read (a private /tmp, a --deny-read
  // path, a build tree outside the readable roots). A rule on the file itself grants that
  // one file and nothing beside it; the command may then read or run that image too, which
  // holds no secret.
  if (exec_fd >= 0) {
    sys::LandlockPathBeneathAttr self{(landlock::kExecute | landlock::kReadFile) & plan.handled_fs, exec_fd};
    if (self.allowed_access != 0 &&
        sys::landlock_add_rule(ruleset.get(), sys::kLandlockRulePathBeneath, &self, 0) != 0)
      return rep.fail("landlock", "landlock_add_rule", "the init's image");
  }
  // TCP ports (ABI 4): the proxied network without user namespaces connects only to these.
  for (const auto& rule : plan.ports) {
    sys::LandlockNetPortAttr port{rule.access & plan.handled_net, rule.port};
    if (port.allowed_access == 0) continue;
    if (sys::landlock_add_rule(ruleset.get(), sys::kLandlockRuleNetPort, &port, 0) != 0)
      return rep.fail("landlock", "landlock_add_rule", "net port");
  }
  if (sys::landlock_restrict_self(ruleset.get(), 0) != 0)
    return rep.fail("landlock", "landlock_restrict_self", "");
  return true;
}

}  // namespace cordon
