#include "platform/linux/landlock.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <string>
#include <string_view>

#include "plan/landlock_abi.hpp"
#include "platform/linux/syscalls.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

namespace {

// The directories of rules already opened, held while the rules that follow lie beneath
// them, so that a rule's path is opened relative to its nearest held ancestor: the
// planner lists the rules as a depth-first walk (the /etc complement as root: some 150
// entries of /etc, each then one lookup instead of the walk from /). The same object as
// the absolute path: the held descriptor is what that ancestor's absolute path resolved
// to (links followed, as open() follows them) a moment before, in this process, and the
// remainder is looked up the same way. A remainder with "." or ".." (the planner's paths
// are normal, but a lexical ".." and a resolved one differ) takes the absolute path.
// Fixed size, no allocation: this runs in the child after clone().
class Ancestors {
 public:
  int open(const std::string& path) {
    while (count_ > 0 && !beneath(path, held_[count_ - 1].path)) held_[--count_].fd.reset();
    if (count_ > 0) {
      const Held& top = held_[count_ - 1];
      const char* rest = path.c_str() + (top.path.size() == 1 ? 1 : top.path.size() + 1);
      if (plain(rest)) return ::openat(top.fd.get(), rest, O_PATH | O_CLOEXEC);
    }
    return ::open(path.c_str(), O_PATH | O_CLOEXEC);
  }
  // `path` (a directory, opened by open() above) becomes the nearest ancestor; a full
  // stack drops it (its descendants are then opened from further up or from /).
  void hold(const std::string& path, UniqueFd fd) {
    if (count_ < kMax && path.size() > 0 && path[0] == '/') held_[count_++] = Held{path, std::move(fd)};
  }

 private:
  struct Held {
    std::string_view path;
    UniqueFd fd;
  };
  static constexpr int kMax = 16;
  // Strictly beneath `dir`: "/" holds every other absolute path.
  static bool beneath(std::string_view path, std::string_view dir) {
    if (dir == "/") return path.size() > 1 && path[0] == '/';
    return path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
  }
  // Non-empty, relative, and no "", "." or ".." component.
  static bool plain(std::string_view rest) {
    if (rest.empty() || rest.front() == '/' || rest.back() == '/') return false;
    for (size_t start = 0; start <= rest.size();) {
      size_t end = rest.find('/', start);
      if (end == std::string_view::npos) end = rest.size();
      const std::string_view part = rest.substr(start, end - start);
      if (part.empty() || part == "." || part == "..") return false;
      start = end + 1;
    }
    return true;
  }
  Held held_[kMax];
  int count_ = 0;
};

}  // namespace

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
  Ancestors held;
  for (const auto& rule : plan.rules) {
    const uint64_t access = rule.access & plan.handled_fs;
    if (access == 0) continue;
    UniqueFd fd(held.open(rule.path));
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
    const bool is_dir = rc == 0 && dir_rights;  // held only when known to be a directory
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
    if (is_dir) held.hold(rule.path, std::move(fd));
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
