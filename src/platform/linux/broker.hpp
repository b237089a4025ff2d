// cordon: the broker, the enforcing half of the supervisor. For the calls it handles,
// its answer is the decision and holds whatever the denial reporting level: a refusal
// (an errno), or the call performed by cordon on the object it checked, with the
// result handed back. Never SECCOMP_USER_NOTIF_FLAG_CONTINUE for a decision: the kernel
// would read the caller's memory and descriptors again, after the caller changed them.
//
//   Broker broker(rules);                       // parent, before clone
//   broker.pin_grants();                        //   --allow-unix-socket, pinned (O_PATH)
//   broker.attach(std::move(diag), child, subreaper);            // parent, after clone
//   BrokerReply r = broker.handle(BrokerCall::Connect, req, listener);  // supervisor thread
//   broker.finish();                            // before the listener closes
//
// Calls (each routed here by the notification filter, so no other call reaches it):
//  - socket(): only the families the network policy refuses, decided in BPF on a
//    register; always EPERM (with --net off, when the rule is moved out of the deny
//    list so that the refusal can be reported).
//  - listen(): proxied network on the host: a TCP listen is refused (EACCES). The
//    descriptor may be swapped before the kernel runs the call: defence in depth.
//  - connect(): every one, in every sandboxed run. The broker takes the caller's socket
//    (pidfd_getfd: the same open file), reads the address once, and checks
//    SECCOMP_IOCTL_NOTIF_ID_VALID before acting. Then, by the socket's family:
//      AF_UNIX, a path: resolved in the command's view (its root from /proc/TID/root,
//        its working directory for a relative path; openat2 RESOLVE_IN_ROOT |
//        RESOLVE_NO_MAGICLINKS, so a link made inside resolves inside, as the kernel
//        would resolve it for the command) to an O_PATH descriptor. Connected if the
//        socket bound to that inode was made in this run (unix_diag.hpp: listed in the
//        sandbox's own network namespace; without one, bound in cordon's namespace and
//        held open by a process of the sandbox), or if it is a granted socket; else
//        EACCES and a denial. A path the user granted (--allow-unix-socket) is connected
//        to the socket cordon pinned at the start, whatever the command's view holds
//        there. The connect goes through /proc/self/fd/N of the pin: the inode decided
//        on is the inode connected to.
//      AF_UNIX, an abstract name: looked up by the kernel in the socket's own network
//        namespace. Without a namespace of its own, where Landlock would scope abstract
//        sockets, only a socket held by a process of the sandbox is connected.
//      Other families: refused with --net off; on the proxied network on the host only
//        loopback and the plan's ports (as Landlock would); on the proxied network in a
//        namespace, a TCP connect to an address of the direct route (direct_route.hpp)
//        is dialled by cordon outside and the connected socket installed at the
//        caller's descriptor number (dial.hpp), another address in its ranges refused;
//        else connected as asked, on a worker thread, since a TCP connect may take long.
//    The server sees cordon as the peer (SO_PEERCRED: cordon's pid, the same uid).
//  - sendto() with a destination, every sendmsg() and sendmmsg() (broker_send.cpp):
//    a datagram sent to a path is a connect() for one message, so the broker performs
//    each of these calls itself, on the caller's socket (pidfd_getfd). The message (name,
//    iovecs and their bytes, control) is read once into cordon's memory (caller_message.hpp),
//    NOTIF_ID_VALID is checked, then a unix datagram's path is decided as connect() decides
//    it and the message is sent to /proc/self/fd/N of the pin. A sendmsg() without a name
//    is performed too: continuing it would let another thread set msg_name before the
//    kernel reads the header again. Sent with MSG_DONTWAIT | MSG_NOSIGNAL: a caller that
//    would block waits on a worker thread (until the socket can take it, its SO_SNDTIMEO,
//    or the notification dies); EPIPE raises the caller's SIGPIPE unless it asked
//    MSG_NOSIGNAL. The receiver sees cordon's credentials (SCM_CREDENTIALS is refused).
#pragma once

#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "plan/denial_rules.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

class AskGate;
class DirectRoute;

enum class BrokerCall { Socket, Connect, Listen, SendTo, SendMsg, SendMmsg };

struct BrokerReply {
  bool decided = false;   // false: no decision (CONTINUE; the kernel decides, as without cordon)
  bool deferred = false;  // a worker answers later (the supervisor sends nothing)
  int error = 0;          // a positive errno, or 0
  int64_t value = 0;      // the call's return value when error == 0
  int raise = 0;          // a signal the call raises in the caller (SIGPIPE), sent after the reply
  std::optional<Denial> event;
};

class Broker {
 public:
  explicit Broker(const DenialRules& rules) : rules_(rules) {}
  ~Broker() { finish(); }
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Parent, before clone: an O_PATH pin of each granted socket, in cordon's view.
  // Returns a warning for each grant that is not a socket (it then grants nothing).
  std::vector<std::string> pin_grants();
  // Parent, once the listener arrived: the diag socket made inside the sandbox's own
  // network namespace (invalid without one: cordon's own is used), the sandbox's first
  // process, and whether its processes are found below cordon (a subreaper) or below it.
  void attach(UniqueFd diag, pid_t child, bool subreaper);
  BrokerReply handle(BrokerCall call, const seccomp_notif& req, int listener);
  // The proxied network's direct route (direct_route.hpp): a TCP connect to an address
  // its name server answered is dialled by cordon and installed in place of the socket.
  void set_direct_route(DirectRoute* route) { direct_ = route; }
  // --ask / --learn (ask.hpp): a TCP connect to the host's loopback address (127.0.0.1,
  // ::1, ::ffff:127.0.0.1) on a port nothing inside the sandbox's own network namespace
  // listens on is put to the gate; on a grant cordon dials exactly that port on its own
  // loopback (the host's) and installs the connected socket (dial.hpp), as for the
  // direct route. Denied, the connect is made inside as before (refused: nothing listens).
  void set_ask(AskGate* gate) { ask_ = gate; }
  // Ends the workers (their sockets shut down) and joins them.
  void finish();

 private:
  struct Grant {
    UniqueFd pin;
    dev_t dev = 0;
    ino_t ino = 0;
  };
  struct Worker {
    std::thread thread;
    std::mutex sock_mutex;
    int sock = -1;  // owned by the thread, closed when it ends (the caller's peer then sees the close)
    std::atomic<bool> done{false};
  };
  // Where an AF_UNIX address leads, decided as connect() decides: refused (error, and
  // an event for a policy refusal), the inode to use instead of the path (pin: owned,
  // or a grant's), or the address as given (pin -1: unnamed, abstract, invalid).
  struct UnixTarget {
    int error = 0;
    std::optional<Denial> event;
    int pin = -1;
    UniqueFd owned;
  };
  struct Outgoing;
  BrokerReply connect(const seccomp_notif& req, int listener);
  // The socket a connect or send names (its first argument), taken from the caller; invalid,
  // with `r` decided and its error set, when it cannot be.
  static UniqueFd call_socket(const seccomp_notif& req, BrokerReply& r);
  BrokerReply connect_unix(pid_t tid, int sock, const void* addr, size_t len);
  // A TCP connect to an address of the direct route: dialled and installed (dial.hpp).
  BrokerReply connect_direct(const seccomp_notif& req, int listener, int theirs, int family,
                             const sockaddr_storage& sa, size_t len);
  // A loopback port asked about (set_ask); undecided when it is not one to ask.
  BrokerReply connect_asked_port(const seccomp_notif& req, int listener, int theirs, int family,
                                 const sockaddr_storage& sa, size_t len);
  // Dials `to` from cordon's network namespace and installs the socket at the caller's
  // number (inline for a non-blocking socket, else on a worker).
  BrokerReply dial_and_install(const seccomp_notif& req, int listener, int theirs, int family,
                               const sockaddr_storage& to, socklen_t to_len);
  UnixTarget unix_target(pid_t tid, const void* addr, size_t len, Operation op);
  BrokerReply send(BrokerCall call, const seccomp_notif& req, int listener);
  int prepare_send(pid_t tid, int family, int type, Outgoing& out, std::optional<Denial>& event);
  BrokerReply perform_send(const seccomp_notif& req, int listener, UniqueFd& sock,
                           std::shared_ptr<Outgoing> out, uint64_t msg_len_addr);
  void start_send_worker(int listener, const seccomp_notif& req, UniqueFd sock, std::shared_ptr<Outgoing> out,
                         uint64_t msg_len_addr);
  bool made_in_run(dev_t dev, ino_t ino, pid_t caller);
  bool made_in_run_abstract(const std::string& name, pid_t caller);
  bool held_by_sandbox(uint32_t socket_inode, pid_t caller) const;
  // A thread that answers notification `id` itself; `body` gets the socket, which is
  // shut down when the broker finishes (a connect or a send waiting is then aborted).
  void start_worker(UniqueFd sock, std::function<void(int)> body);

  const DenialRules& rules_;
  DirectRoute* direct_ = nullptr;
  AskGate* ask_ = nullptr;
  std::vector<Grant> grants_;  // in the order of rules_.allowed_unix_sockets
  static constexpr size_t kMadeRemembered = 64;
  std::vector<Grant> made_;  // sockets found made in this run, pinned (the supervisor thread's)
  UniqueFd diag_;
  bool own_diag_ = false;  // diag_ lists the sandbox's own namespace
  // The sandbox's own network namespace (from diag_, when own_diag_): an IP socket the broker
  // connects or sends on must belong to it, not be one passed in from outside.
  dev_t netns_dev_ = 0;
  ino_t netns_ino_ = 0;
  bool in_own_netns(int sock) const;
  pid_t child_ = -1;
  bool subreaper_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int> send_waiting_{0};  // send workers waiting for room
  std::mutex workers_mutex_;
  std::list<Worker> workers_;
};

}  // namespace cordon
