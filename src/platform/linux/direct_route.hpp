// cordon: the direct route of the proxied network (issue 19). With --allow-domain and a
// network namespace of the sandbox's own, the sandbox's name server (127.0.0.1:53 and
// [::1]:53 inside, whose sockets the supervisor holds) answers allowed names, and a TCP
// connect() to an address it answered is dialled by cordon in its own network namespace
// and the connected socket installed in place of the command's (dial.hpp): the data path
// is the kernel's alone, and tools that ignore HTTP_PROXY work too. The proxy stays for
// the tools that use it.
//
//   DirectRoute route(options);          // parent: the proxy's filter, private hosts, overrides
//   route.answer(dns_socket);            // supervisor thread: every query waiting there
//   auto t = route.target(sa, len);      // broker: what a connect() to `sa` reaches
//   route.drain(events);                 // the refusals so far, as denials
//
// Names: each name is decided once per run, as the proxy decides it (valid name, deny
// patterns, allow patterns, resolved outside with getaddrinfo on a thread of its own,
// the SSRF guard: guard_addresses() in proxy.hpp). A name that is not allowed, or has no
// address left, is answered "no such name" (NXDOMAIN) and reported; its lookup never
// leaves cordon. An allowed name is answered with addresses of cordon's own, one for each
// address the guard kept: 198.18.0.0/15 for IPv4 and 2001:2::/48 for IPv6 (the
// benchmarking ranges, which nothing inside routes), each standing for exactly one
// (name, address) pair for the rest of the run. Other record types of an allowed name
// get an empty answer.
//
// Connects: the broker reads the command's sockaddr once; an address in those ranges is
// looked up here (target()), and only an address this run answered names an upstream:
// the port as given, the address the name resolved to when it was answered (no later
// lookup: no DNS rebinding within a run). Anything else in the ranges is refused.
// Addresses outside the ranges are not the direct route's: inside the namespace they
// reach only its own loopback, as before.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "platform/linux/proxy.hpp"

namespace cordon {

class DirectRoute {
 public:
  explicit DirectRoute(ProxyOptions options);
  ~DirectRoute();
  DirectRoute(const DirectRoute&) = delete;
  DirectRoute& operator=(const DirectRoute&) = delete;

  // The supervisor thread, when `sock` (the sandbox's name server) is readable: at most 64
  // queries per call; a name not decided yet is resolved on a thread, which answers.
  void answer(int sock);

  struct Target {
    bool known = false;     // this run answered the address; else refuse
    std::string name;       // the allowed name it stands for
    sockaddr_storage to{};  // the upstream: the resolved address, the command's port,
    socklen_t len = 0;      // in the command's socket family (IPv4-mapped for AF_INET6)
    std::string address;    // what the command connected to, for a report
  };
  // What a connect() of a socket of `family` to `sa` reaches; nothing when `sa` is not
  // in the direct route's ranges (or not of `family`).
  std::optional<Target> target(int family, const sockaddr_storage& sa, size_t len) const;

  // --ask / --learn (ProxyOptions::ask): a name only not on the allowlist is asked about
  // on the resolver thread, before it is resolved; granted, it is answered as an allowed
  // name (resolved outside, the SSRF guard, addresses of cordon's own for the rest of the
  // run), else "no such name" as before. Before the supervisor's thread starts.
  void set_ask(std::function<bool(const std::string&, uint16_t, const char*)> ask);

  // The refusals since the last call (names refused at lookup), as denials.
  void drain(std::vector<Denial>& out);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace cordon
