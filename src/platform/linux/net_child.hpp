// cordon: the child's half of the proxied network (see proxy.hpp for the parent's).
//
// In the child, after the mounts and while it still holds CAP_NET_ADMIN in its own
// user namespace (before caps.cpp drops everything): bring `lo` up, create the
// listening sockets on 127.0.0.1 inside the network namespace (HTTP proxy, SOCKS5,
// one per --allow-localhost port, in that order; then the same on [::1] unless the
// namespace has no IPv6), send them to the parent over
// `sock` with SCM_RIGHTS, and close them here. Only system calls, no allocation:
// the parent may already run the proxy thread when it clones.
#pragma once

#include "plan/net_plan.hpp"
#include "platform/linux/child_report.hpp"

namespace cordon {

// `lo` comes up, and two UDP sockets are bound on the sandbox's 127.0.0.1:53 and [::1]:53
// (-1 where that fails: lookups then fail as a temporary failure): cordon's supervisor
// takes them and answers every query "no such name" with the network off (`sock` < 0),
// and allowed names with the direct route's addresses when proxied (direct_route.hpp).
// They are close-on-exec.
struct NetChildSockets {
  int dns[2] = {-1, -1};
};

bool net_child_setup(const NetPlan& plan, int sock, const ChildReporter& rep, NetChildSockets& out);

}  // namespace cordon
