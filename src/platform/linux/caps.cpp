#include "platform/linux/caps.hpp"

#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace cordon {

bool drop_privileges(const ChildReporter& rep) {
  // Securebits first (needs CAP_SETPCAP): uid 0 gains nothing on exec, and the bits
  // cannot be undone. Without CAP_SETPCAP we hold no capabilities to lose.
  const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                             SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                             SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  // Without an effective CAP_SETPCAP (an unprivileged user with no user namespace)
  // there is no capability to lose, and the bounding set cannot be changed.
  __user_cap_header_struct get_header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct current[2] = {};
  if (::syscall(SYS_capget, &get_header, current) != 0) return rep.fail("privileges", "capget", "");
  const bool have_setpcap = (current[0].effective & (1U << CAP_SETPCAP)) != 0;
  if (::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0 && errno != EPERM)
    return rep.fail("privileges", "prctl(PR_SET_SECUREBITS)", "");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return rep.fail("privileges", "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", "");
  for (int cap = 0; have_setpcap && cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;  // past the last capability this kernel knows
      if (errno == EPERM && !have_setpcap) break;
      return rep.fail("privileges", "prctl(PR_CAPBSET_DROP)", "");
    }
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) return rep.fail("privileges", "capset", "");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return rep.fail("privileges", "prctl(PR_SET_NO_NEW_PRIVS)", "");
  return true;
}

}  // namespace cordon
