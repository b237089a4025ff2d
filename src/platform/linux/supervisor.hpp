// cordon: the supervisor. One seccomp user-notification filter (the kernel allows one
// listener per filter tree) and one thread that answers it, dispatching each call to
// one of two halves:
//  - enforce (platform/linux/broker.hpp, and platform/linux/create_broker.hpp for the
//    calls that make a name): the answer is the decision, whatever the denial reporting
//    level; the broker refuses, or performs the call itself on the object it checked.
//    Never SECCOMP_USER_NOTIF_FLAG_CONTINUE for a decision.
//  - observe (platform/linux/denial_recorder.hpp): file-system calls the kernel layers
//    may refuse; answered with CONTINUE, and the predicted refusal is recorded. Only
//    with --report-denials on or full.
//
//   auto programs = supervisor_compile(plan.seccomp, rules, DenialReporting::On);  // parent, before clone
//   if (programs->needed()) { Supervisor sup(rules, *programs); sup.prepare(); }
//   // launcher.cpp: child, before seccomp: sup.open_in_child(reporter);
//   //               after the deny-list filter: sup.install_in_child(reporter)
//   //               parent, after clone: sup.start(pid, subreaper); after the command ends: sup.stop()
//   const DenialLog& log = sup.log();   // the broker's refusals and the recorder's predictions
//
// seccomp runs every filter and an ERRNO verdict outranks a notification, so a socket
// the deny list refuses could never be seen. While observing, that rule (socket
// families other than AF_UNIX when the network is off) moves from the deny list into
// the notification filter, and the broker answers it with the same EPERM. The decision
// is made in BPF on a register (the family), so nothing can race it; if the supervisor
// dies the kernel fails the call with ENOSYS. If the filter cannot be installed (EBUSY:
// an outer supervisor), the child loads the moved rule as a plain deny-list filter.
#pragma once

#include <linux/filter.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "plan/denial_rules.hpp"
#include "platform/linux/ask.hpp"
#include "platform/linux/broker.hpp"
#include "platform/linux/child_report.hpp"
#include "platform/linux/create_broker.hpp"
#include "platform/linux/direct_route.hpp"
#include "platform/linux/seccomp.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

struct SupervisorPrograms {
  SeccompProgram notify;               // loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER
  SeccompProgram fallback;             // the moved deny-list rules, if the listener fails
  std::vector<SeccompRule> deny_list;  // the deny list without the moved rules
  struct Route {
    int nr;         // system call number
    bool enforce;   // the broker's (true) or the denial recorder's
    unsigned call;  // BrokerCall or FsCall
    bool create;    // enforce: the creation broker's (call is an FsCall)
  };
  std::vector<Route> calls;
  bool observing = false;        // the denial recorder explains file-system refusals
  bool observing_reads = false;  // and plain read opens (DenialReporting::Full)
  bool needed() const { return !calls.empty(); }
};

// `deny_list` is the plan's seccomp rule list; the result's deny_list replaces it.
// DenialReporting::Off compiles the enforcing calls only (maybe none: needed() false).
[[nodiscard]] Result<SupervisorPrograms> supervisor_compile(const std::vector<SeccompRule>& deny_list,
                                                            const DenialRules& rules, DenialReporting level);

class Supervisor {
 public:
  Supervisor(DenialRules rules, const SupervisorPrograms& programs);  // programs.needed()
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  [[nodiscard]] Status prepare();  // the socketpair; call before clone
  // Child, after the deny-list filter and before exec: install the notification filter
  // and hand its listener to the parent (which takes it with pidfd_getfd). No allocation. False after
  // reporting a failure (the child then exits: fail closed).
  bool install_in_child(const ChildReporter& rep) const;
  // Child, in its namespaces and before any seccomp filter: the socket-diagnostics socket
  // the broker asks which unix sockets were made inside (only with a network namespace
  // of its own). `dns`: the sockets on the sandbox's 127.0.0.1:53 and [::1]:53 (net_child.hpp,
  // -1 for none), handed over with the listener; the supervisor answers each query there
  // "no such name" (core/dns_message.hpp), or with a direct route its answers. No allocation;
  // false after reporting a failure.
  bool open_in_child(const ChildReporter& rep, const int (&dns)[2]);
  // Parent, right after clone: the supervisor thread. `child`: the sandbox's first
  // process; `subreaper`: its processes are found below cordon (no pid namespace).
  void start(pid_t child, bool subreaper);
  const std::vector<std::string>& warnings() const { return warnings_; }  // after prepare()
  void stop();  // parent, after the command and its leftovers are gone

  // Before start(): with the proxied network in a namespace, the name server answers
  // allowed names and the broker dials their connects (direct_route.hpp). Outlives the run.
  void set_direct_route(DirectRoute* route) {
    direct_ = route;
    broker_.set_direct_route(route);
  }

  const DenialLog& log() const { return log_; }
  // Before start(): `f` sees each new denial while the command runs (on the supervisor's thread).
  void on_denial(std::function<void(const Denial&)> f) { log_.on_new(std::move(f)); }
  bool active() const { return active_; }  // a listener arrived (after stop())
  uint64_t notifications() const { return notifications_; }
  // --ask / --learn, before start(): the gate the creation broker puts refused writes to
  // (--ask: cordon's terminal is opened here, or the error says why there is none).
  [[nodiscard]] Status enable_ask(const AskSettings& settings);
  // The questions and answers (after stop()).
  std::vector<Grant> grants() const { return ask_ ? ask_->grants() : std::vector<Grant>{}; }
  // The gate enable_ask() made (null before): the proxy and the name server ask through it.
  std::shared_ptr<AskGate> ask_gate() const { return ask_; }
  // `.git` pointer files the command made below a policy root (after stop()).
  std::vector<std::string> new_git_pointers() const { return creator_.new_git_pointers(); }

 private:
  void run();
  void handle(int listener);
  void process(int listener, seccomp_notif& req);
  void queue_after_once_answer(int listener);
  void answer_decided(int listener, const seccomp_notif& req, BrokerReply r);
  void answer_dns(int sock);
  void drain_direct_route();

  DenialRules rules_;
  DirectRoute* direct_ = nullptr;
  std::shared_ptr<AskGate> ask_;  // shared with the proxy's and the name server's question threads
  Broker broker_{rules_};
  CreateBroker creator_{rules_};
  const SupervisorPrograms& programs_;
  UniqueFd parent_end_, child_end_;
  UniqueFd stop_read_, stop_write_;
  std::thread thread_;
  DenialLog log_;
  bool active_ = false;
  bool brokers_connect_ = false;  // the filter routes connect() to the broker
  int child_diag_ = -1;           // the child's copy only (open_in_child)
  int child_dns_[2] = {-1, -1};   // the child's copies only (open_in_child)
  pid_t child_ = -1;
  bool subreaper_ = false;
  std::vector<std::string> warnings_;
  uint64_t notifications_ = 0;
  // Calls received from the listener right after a question was answered "once" (they
  // queued while it was on the terminal), each with the keys of the "once" answers given
  // while it waited; handled before the listener is read again. Bounded by kMaxWaiting.
  struct Waiting {
    seccomp_notif req;
    std::set<std::string> once_keys;
  };
  std::deque<Waiting> waiting_;
};

}  // namespace cordon
