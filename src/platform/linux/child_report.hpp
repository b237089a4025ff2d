// cordon: how the sandbox child tells the parent which step failed.
//
// The child writes one fixed-size record to a CLOEXEC pipe and exits; the parent
// turns it into an Error with a fix hint. EOF without a record means the command
// was exec'd. Fixed-size and no allocation: safe right after clone().
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cordon {

struct ChildFailure {
  char step[32];  // "mount", "landlock", "seccomp", "exec" ...
  char call[48];  // "mount_setattr", "landlock_restrict_self" ...
  char arg[256];  // the path or value
  int err;        // errno
};

class ChildReporter {
 public:
  explicit ChildReporter(int fd) : fd_(fd) {}
  // Reports and returns false, so a step can `return reporter.fail(...)`.
  bool fail(const char* step, const char* call, const char* arg, int err = errno) const {
    ChildFailure f{};
    std::strncpy(f.step, step, sizeof f.step - 1);
    std::strncpy(f.call, call, sizeof f.call - 1);
    if (arg) std::strncpy(f.arg, arg, sizeof f.arg - 1);
    f.err = err;
    ssize_t ignored = ::write(fd_, &f, sizeof f);
    (void)ignored;
    return false;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace cordon
