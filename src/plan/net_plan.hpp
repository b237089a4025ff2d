// cordon: the network part of the Linux plan (pure; table-tested without a kernel).
//
//   NetPlan n = plan_network(policy, LinuxSandbox::Namespaces);
//   // n.http_port / n.socks_port: where the proxies listen inside the sandbox;
//   // n.seccomp: socket() rules; n.guarantee: what `explain` and `check` print.
//
// Modes:
//  - off: the sandbox has its own network namespace with nothing in it (not even
//    loopback up) and only AF_UNIX sockets (seccomp), no TCP (Landlock ABI >= 4).
//  - on: the host's network.
//  - proxy: a private network namespace where only loopback is up. The child
//    creates listening sockets on 127.0.0.1 inside (HTTP proxy, SOCKS5, one per
//    --allow-localhost port) and hands them to cordon's supervisor outside, which
//    resolves names, applies the allowlist and connects (platform/linux/proxy*.cpp).
//    seccomp allows AF_UNIX, AF_INET and AF_INET6 sockets; everything else
//    (AF_PACKET, AF_NETLINK, ...) stays refused. Landlock's TCP rules are not used:
//    the namespace already confines TCP to its own loopback, and leaving bind and
//    connect free there keeps test servers inside the sandbox working.
//    Without user namespaces there is no private namespace; this mode is then
//    reported missing (the run is refused unless --best-effort, which runs it with
//    the network off).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/policy.hpp"

namespace cordon {

struct SeccompRule;

struct NetPlan {
  NetMode mode = NetMode::Off;
  bool proxied = false;    // the proxy runs (namespaces + proxy mode)
  uint16_t http_port = 0;  // inside the sandbox, on 127.0.0.1
  uint16_t socks_port = 0;
  std::vector<uint16_t> localhost_ports;  // forwarded to the host's 127.0.0.1:PORT
};

// Ports for the proxies inside the namespace: 3128 (HTTP) and 1080 (SOCKS5) unless an
// --allow-localhost port takes them, then the next free ones.
NetPlan plan_network(const Policy& policy, bool namespaces);

// socket() rules for seccomp: off -> only AF_UNIX; proxy (with namespaces) ->
// AF_UNIX, AF_INET, AF_INET6; on -> none.
std::vector<SeccompRule> network_seccomp_rules(const Policy& policy, bool namespaces);

// The environment that points tools at the proxies (HTTP_PROXY, ALL_PROXY, NO_PROXY
// in both cases, npm, pip, cargo, yarn, JVM ...). `existing` is consulted for
// JAVA_TOOL_OPTIONS, which is extended rather than replaced.
std::vector<std::pair<std::string, std::string>> proxy_environment(
    const NetPlan& plan, const std::string& existing_java_tool_options);

}  // namespace cordon
