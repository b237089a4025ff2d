// cordon: privileges. After the mounts, the child keeps no capability (not even in
// its own user namespace), cannot regain one through exec (securebits), and sets
// no_new_privs so setuid/file-capability binaries cannot escalate.
#pragma once

#include "platform/linux/child_report.hpp"

namespace cordon {

bool drop_privileges(const ChildReporter& rep);

}  // namespace cordon
