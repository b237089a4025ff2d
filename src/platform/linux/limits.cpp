#include "platform/linux/limits.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "platform/linux/proc_tree.hpp"

namespace cordon {

bool apply_limits_in_child(const ChildLimits& limits, const ChildReporter& rep) {
  for (int i = 0; i < limits.count; ++i) {
    const RlimitSetting& s = limits.items[i];
    rlimit r{static_cast<rlim_t>(s.soft), static_cast<rlim_t>(s.hard)};
    // Never raise an existing hard limit (that needs CAP_SYS_RESOURCE): keep the lower one.
    rlimit cur{};
    if (::getrlimit(s.resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY) {
      if (r.rlim_max > cur.rlim_max) r.rlim_max = cur.rlim_max;
      if (r.rlim_cur > r.rlim_max) r.rlim_cur = r.rlim_max;
    }
    if (::setrlimit(s.resource, &r) != 0) {
      const char* name = s.resource == RLIMIT_DATA    ? "RLIMIT_DATA"
                         : s.resource == RLIMIT_NPROC ? "RLIMIT_NPROC"
                                                      : "RLIMIT_CPU";
      return rep.fail("limits", "setrlimit", name);
    }
  }
  return true;
}

uint64_t count_process_tree(int root) {
  return descendants_of(root).size() + 1;  // the root counts too
}

}  // namespace cordon
