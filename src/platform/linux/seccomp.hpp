// cordon: the seccomp filter, compiled by libseccomp in the parent (where it may
// allocate and fail loudly) and loaded by the child as the last step before exec.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "core/error.hpp"
#include "plan/linux_planner.hpp"

namespace cordon {

struct SeccompProgram {
  std::vector<sock_filter> instructions;
};

[[nodiscard]] Result<SeccompProgram> seccomp_compile(const std::vector<SeccompRule>& rules);
// Child side: requires no_new_privs (or CAP_SYS_ADMIN). Returns -1 with errno.
int seccomp_load(const SeccompProgram& program);

}  // namespace cordon
