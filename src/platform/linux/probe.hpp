// cordon: probe the Linux host (parent side, before planning).
#pragma once

#include "plan/host_caps.hpp"

namespace cordon {

// Cheap probe from /proc and sysctls, used on every run; when `try_namespaces` is
// set, also creates a throwaway user+mount+pid namespace (used by `cordon check`).
// `cgroups`: also find where a per-run cgroup could live (mountinfo, /proc/self/cgroup
// and the hierarchies); a run needs that only for --memory or --pids.
LinuxHostCaps probe_linux_host(bool try_namespaces, bool cgroups);

}  // namespace cordon
