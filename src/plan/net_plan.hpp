// cordon: the network part of the Linux plan (pure; table-tested without a kernel).
//
//   NetPlan n = plan_network(policy, LinuxSandbox::Namespaces);
//   // n.http_port / n.socks_port: where the proxies listen inside the sandbox;
//   // n.seccomp: socket() rules; n.guarantee: what `explain` and `check` print.
//
// Modes:
//  - off: with user namespaces the sandbox has its own network namespace with only
//    loopback up (test servers on 127.0.0.1/::1 work, nothing else is reachable) and
//    AF_UNIX, AF_INET, AF_INET6 and route netlink sockets; its resolver finds cordon's
//    "no such name" answer on 127.0.0.1:53 (supervisor.hpp). Without them: AF_UNIX and
//    route netlink only (seccomp), no TCP (Landlock ABI >= 4).
//  - on: the host's network.
//  - proxy: a private network namespace where only loopback is up. The child
//    creates listening sockets on 127.0.0.1 inside (HTTP proxy, SOCKS5, one per
//    --allow-localhost port) and hands them to cordon's supervisor outside, which
//    resolves names, applies the allowlist and connects (platform/linux/proxy*.cpp).
//    The sandbox's name server (127.0.0.1:53, the supervisor's) answers allowed names with
//    addresses of cordon's direct route, whose TCP connects cordon dials itself
//    (platform/linux/direct_route.hpp); the host's resolv.conf is masked as with the network off.
//    seccomp allows AF_UNIX, AF_INET and AF_INET6 sockets and route netlink; everything
//    else (AF_PACKET, other netlink protocols, ...) stays refused. Landlock's TCP rules are not used:
//    the namespace already confines TCP to its own loopback, and leaving bind and
//    connect free there keeps test servers inside the sandbox working.
//  - proxy without user namespaces ("on host", Landlock ABI >= 4 and seccomp): no
//    private namespace, so the supervisor listens on the HOST's 127.0.0.1 on ports
//    the kernel picked when cordon bound them, before planning (LinuxPlanInputs::host_proxy).
//    Landlock handles TCP connect and bind: connect only to the proxy ports and the
//    --allow-localhost ports, bind nowhere (a port bound here would be on the host's
//    interfaces, open to the network and able to squat on host services). seccomp
//    allows AF_UNIX and TCP only (AF_INET/AF_INET6 with SOCK_STREAM, protocol 0 or
//    IPPROTO_TCP): no UDP (so no DNS inside), raw, SCTP, MPTCP or other families.
//    Landlock's rules name ports, not addresses: the residual is reported as a
//    degraded guarantee (linux_guarantees). With an older Landlock this mode is
//    reported missing (refused unless --best-effort, which runs with the network off).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/policy.hpp"

namespace cordon {

struct SeccompRule;
struct LandlockPortRule;

// The proxied network without user namespaces (NetPlan::on_host): the ports the kernel
// gave the HTTP and SOCKS5 listeners cordon bound on the host's 127.0.0.1 before
// planning (platform/linux/proxy.hpp: bind_host_proxy_listeners). 0: none bound
// (explain, check, tests): no Landlock rule and no proxy environment for them.
struct HostProxyPorts {
  uint16_t http = 0;
  uint16_t socks = 0;
  bool operator==(const HostProxyPorts&) const = default;
};

struct NetPlan {
  NetMode mode = NetMode::Off;
  bool proxied = false;    // the proxy runs
  bool on_host = false;    // ... on the host's loopback (no user namespaces), not in a namespace
  bool offline = false;    // sandboxed with no way out at all (off, or proxied where it cannot run)
  uint16_t http_port = 0;  // on 127.0.0.1 (on_host: the bound listener's, 0 when none was bound)
  uint16_t socks_port = 0;
  // Namespaces: forwarded to the host's 127.0.0.1:PORT. On host: reached directly,
  // Landlock allows connecting to them.
  std::vector<uint16_t> localhost_ports;
};

// Can this host run the proxied network without user namespaces (Landlock ABI >= 4
// confines TCP connect, seccomp filters socket types)?
bool host_proxy_supported(int landlock_abi, bool seccomp);

// Ports for the proxies inside the namespace: 3128 (HTTP) and 1080 (SOCKS5) unless an
// --allow-localhost port takes them, then the next free ones. Without namespaces the
// proxy runs on the host (on_host) when `host_proxy`, else not at all (network off);
// on the host its ports are `ports`, those of the listeners cordon bound before planning.
NetPlan plan_network(const Policy& policy, bool namespaces, bool host_proxy = false,
                     HostProxyPorts ports = {});

// Landlock TCP port rules for a plan: on host, connect to the proxy ports (once known)
// and the --allow-localhost ports; nothing else, and no bind. Empty otherwise.
std::vector<LandlockPortRule> landlock_port_rules(const NetPlan& plan);

// Rules for seccomp: with namespaces (off or proxied) -> AF_UNIX, AF_INET, AF_INET6;
// off without them -> only AF_UNIX; proxy on host -> AF_UNIX and TCP only (see above);
// plus route netlink (NETLINK_ROUTE only) in each of those; on -> none.
// Socket pairs are AF_UNIX only whenever the network is not on.
std::vector<SeccompRule> network_seccomp_rules(const Policy& policy, bool namespaces,
                                               bool host_proxy = false);

// The environment that points tools at the proxies (HTTP_PROXY, ALL_PROXY, NO_PROXY
// in both cases, npm, pip, cargo, yarn, JVM ...). `existing` is consulted for
// JAVA_TOOL_OPTIONS, which is extended rather than replaced. Offline: npm is told not to
// retry (npm_config_fetch_retries=0), since no retry can succeed: it retries even "no such
// host" for over a minute.
std::vector<std::pair<std::string, std::string>> proxy_environment(
    const NetPlan& plan, const std::string& existing_java_tool_options);

}  // namespace cordon
