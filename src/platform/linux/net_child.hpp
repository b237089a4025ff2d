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

bool net_child_setup(const NetPlan& plan, int sock, const ChildReporter& rep);

}  // namespace cordon
