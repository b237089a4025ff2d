// cordon: the denial supervisor. It watches, through a seccomp user-notification
// filter, the calls that create, write, delete or rename files (and sockets the
// network policy refuses), asks the pure classifier (plan/denial_rules) whether the
// kernel layers will refuse each one, and records those that will.
//
//   auto programs = supervisor_compile(plan.seccomp, rules, DenialReporting::On);  // parent, before clone
//   Supervisor sup(rules, *programs);   // socketpair
//   // launcher.cpp: child, after the deny-list filter: sup.install_in_child(reporter)
//   //               parent, after clone: sup.start(); after the command ends: sup.stop()
//   const DenialLog& log = sup.log();
//
// Observation only: every file-system notification is answered with
// SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the kernel then runs the call and the mounts,
// Landlock and the seccomp deny list decide, as without the supervisor. One exception:
// seccomp runs every filter and an ERRNO verdict outranks a notification, so a socket
// the deny list refuses could never be seen. With the supervisor, that rule (socket
// families other than AF_UNIX when the network is off) moves from the deny list into
// the notification filter, and the supervisor answers it with the same EPERM. The
// decision is made in BPF on a register (the family), so nothing can race it; the
// supervisor has no path that lets such a socket through, and if it dies the kernel
// fails the call with ENOSYS. If the filter cannot be installed (EBUSY: an outer
// supervisor), the child loads the moved rule as a plain deny-list filter instead.
// A second exception, for the proxied network without user namespaces: every
// connect() and listen() is notified; a connect to an IPv4/IPv6 address that is not
// loopback (Landlock's TCP rules name ports, not addresses) and a listen on a TCP
// socket (Landlock has no listen right; an unbound socket would get a port on every
// interface) are refused with EACCES. The address is read from the caller's memory and
// the socket is looked up by descriptor, both of which the caller can change before
// the kernel runs the call: defence in depth, not the guarantee.
//
// Paths are read from the caller's memory, which another thread may change under us,
// so the record is advisory: it explains a failure, it never decides one.
#pragma once

#include <linux/filter.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "plan/denial_rules.hpp"
#include "platform/linux/child_report.hpp"
#include "platform/linux/seccomp.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

struct SupervisorPrograms {
  SeccompProgram notify;                        // loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER
  SeccompProgram fallback;                      // the moved deny-list rules, if the listener fails
  std::vector<SeccompRule> deny_list;           // the deny list without the moved rules
  std::vector<std::pair<int, unsigned>> calls;  // syscall number -> watched call (supervisor.cpp)
};

// `deny_list` is the plan's seccomp rule list; the result's deny_list replaces it.
[[nodiscard]] Result<SupervisorPrograms> supervisor_compile(const std::vector<SeccompRule>& deny_list,
                                                            const DenialRules& rules, DenialReporting level);

class Supervisor {
 public:
  Supervisor(DenialRules rules, const SupervisorPrograms& programs);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  [[nodiscard]] Status prepare();  // the socketpair; call before clone
  // Child, after the deny-list filter and before exec: install the notification filter
  // and send its listener to the parent (SCM_RIGHTS). No allocation. False after
  // reporting a failure (the child then exits: fail closed).
  bool install_in_child(const ChildReporter& rep) const;
  void start();  // parent, right after clone: the supervisor thread
  void stop();   // parent, after the command and its leftovers are gone

  const DenialLog& log() const { return log_; }
  bool active() const { return active_; }  // a listener arrived (after stop())
  uint64_t notifications() const { return notifications_; }

 private:
  void run();
  void handle(int listener);

  DenialRules rules_;
  const SupervisorPrograms& programs_;
  UniqueFd parent_end_, child_end_;
  UniqueFd stop_read_, stop_write_;
  std::thread thread_;
  DenialLog log_;
  bool active_ = false;
  uint64_t notifications_ = 0;
};

}  // namespace cordon
