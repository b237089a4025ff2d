#include "plan/net_plan.hpp"

#include <algorithm>

#include "plan/landlock_abi.hpp"
#include "plan/linux_planner.hpp"

namespace cordon {
namespace {

// uapi values (identical on every Linux architecture).
constexpr uint64_t kAfUnix = 1;
constexpr uint64_t kAfInet = 2;
constexpr uint64_t kAfInet6 = 10;
constexpr uint64_t kAfNetlink = 16;
constexpr uint64_t kNetlinkRoute = 0;
constexpr uint64_t kSockTypeMask = 0xf;  // the type without SOCK_NONBLOCK, SOCK_CLOEXEC
constexpr uint64_t kIpprotoTcp = 6;
constexpr uint64_t kMsgFastOpen = 0x20000000;
constexpr int kEperm = 1;
constexpr int kEacces = 13;

uint16_t free_port(uint16_t preferred, const std::vector<uint16_t>& taken) {
  uint16_t p = preferred;
  while (std::find(taken.begin(), taken.end(), p) != taken.end()) ++p;
  return p;
}

}  // namespace

bool host_proxy_supported(int landlock_abi, bool seccomp) {
  return landlock_abi >= 4 && seccomp;
}

NetPlan plan_network(const Policy& policy, bool namespaces, bool host_proxy, HostProxyPorts ports) {
  NetPlan n;
  n.mode = policy.net.mode;
  n.offline = policy.mode != Mode::FullAccess &&
              (n.mode == NetMode::Off || (n.mode == NetMode::Proxy && !namespaces && !host_proxy));
  if (policy.mode == Mode::FullAccess || n.mode != NetMode::Proxy || (!namespaces && !host_proxy)) return n;
  n.proxied = true;
  n.localhost_ports = policy.net.allow_localhost_ports;
  if (!namespaces) {
    n.on_host = true;  // ports: chosen by the kernel when cordon bound the listeners
    n.http_port = ports.http;
    n.socks_port = ports.socks;
    return n;
  }
  std::vector<uint16_t> taken = n.localhost_ports;
  n.http_port = free_port(3128, taken);
  taken.push_back(n.http_port);
  n.socks_port = free_port(1080, taken);
  return n;
}

std::vector<LandlockPortRule> landlock_port_rules(const NetPlan& plan) {
  std::vector<LandlockPortRule> r;
  if (!plan.on_host) return r;
  auto connect_to = [&](uint16_t port) {
    if (port == 0) return;  // not bound yet (explain, check): no rule, so no connect
    if (std::none_of(r.begin(), r.end(), [&](const LandlockPortRule& e) { return e.port == port; }))
      r.push_back({port, landlock::kNetConnectTcp});
  };
  connect_to(plan.http_port);
  connect_to(plan.socks_port);
  for (auto port : plan.localhost_ports) connect_to(port);
  return r;
}

std::vector<SeccompRule> network_seccomp_rules(const Policy& policy, bool namespaces, bool host_proxy) {
  std::vector<SeccompRule> r;
  const bool proxy = policy.net.mode == NetMode::Proxy;
  const bool proxied = proxy && (namespaces || host_proxy);
  if (policy.net.mode == NetMode::On) return r;
  // socketpair() creates sockets without socket(): AF_UNIX is the only family that needs it.
  r.push_back({"socketpair", kEperm, ArgCheck::NotEq, 0, 0, kAfUnix, "socket pairs: AF_UNIX only"});
  // The families allowed: AF_UNIX always; AF_INET and AF_INET6 where TCP/IP is confined
  // (a private namespace, whose loopback is the sandbox's own, or Landlock on the host);
  // AF_NETLINK with NETLINK_ROUTE only, so listing interfaces works (getifaddrs,
  // if_nameindex): without CAP_NET_ADMIN it reads the sandbox's namespace and changes
  // nothing. libseccomp cannot say "not in a set" in one rule (two comparisons of one
  // argument are EINVAL), so the rest is refused as ranges.
  const bool inet = namespaces || proxied;
  const char* why = namespaces
                        ? "own network namespace: TCP/IP reaches only its loopback; raw, packet and other "
                          "families stay refused (kernel attack surface)"
                    : proxied ? "proxied network on the host: only AF_UNIX, TCP and route netlink (reading "
                                "interfaces); raw, packet and other families are refused"
                    : proxy ? "proxied network needs user namespaces or Landlock ABI >= 4: network off, only "
                              "AF_UNIX sockets (and route netlink, read-only)"
                            : "network off without a private namespace: only AF_UNIX sockets (and route "
                              "netlink, read-only)";
  auto refuse_range = [&](uint64_t from, uint64_t to_excl) {
    for (uint64_t family = from; family < to_excl; ++family)
      r.push_back({"socket", kEperm, ArgCheck::Eq, 0, 0, family, why});
  };
  r.push_back({"socket", kEperm, ArgCheck::Eq, 0, 0, 0, why});
  if (inet) {
    refuse_range(3, kAfInet6);
    refuse_range(kAfInet6 + 1, kAfNetlink);
  } else {
    refuse_range(2, kAfNetlink);
  }
  // Route netlink only: NETLINK_SOCK_DIAG would list the host's sockets without a
  // namespace, audit, xfrm, netfilter and the rest are kernel attack surface.
  r.push_back({"socket", kEperm, ArgCheck::NotEq, 2, 0, kNetlinkRoute,
               "netlink: NETLINK_ROUTE only (reading interfaces and addresses)",
               SeccompArg{ArgCheck::Eq, 0, 0, kAfNetlink}});
  r.push_back({"socket", kEperm, ArgCheck::Gt, 0, 0, kAfNetlink, why});
  if (namespaces || !proxied) return r;

  // On the host's network, Landlock confines TCP only: every other IP socket is refused
  // by its type (anything but SOCK_STREAM: UDP, so no DNS inside, raw, SCTP's
  // SOCK_SEQPACKET) and its protocol (0 or IPPROTO_TCP; not MPTCP, SCTP, UDP-lite).
  // "type & 0xf != SOCK_STREAM (1)" is "type & 0xf == 0, or any of bits 1..3 set".
  const char* why_type = "proxied network on the host: IP sockets are TCP only (no UDP, so no DNS inside)";
  const char* why_proto =
      "proxied network on the host: protocol 0 or IPPROTO_TCP only (Landlock confines TCP)";
  for (uint64_t family : {kAfInet, kAfInet6}) {
    const SeccompArg is_family{ArgCheck::Eq, 0, 0, family};
    r.push_back({"socket", kEacces, ArgCheck::MaskedEq, 1, kSockTypeMask, 0, why_type, is_family});
    for (uint64_t bit : {2, 4, 8})
      r.push_back({"socket", kEacces, ArgCheck::MaskedEq, 1, bit, bit, why_type, is_family});
    for (uint64_t protocol = 1; protocol < kIpprotoTcp; ++protocol)
      r.push_back({"socket", kEacces, ArgCheck::Eq, 2, 0, protocol, why_proto, is_family});
    r.push_back({"socket", kEacces, ArgCheck::Gt, 2, 0, kIpprotoTcp, why_proto, is_family});
  }
  // TCP Fast Open connects from sendto()/sendmsg(), where no LSM connect hook runs
  // (landlock-lsm/linux issue 41): every connection must go through connect(), where
  // Landlock checks the port.
  const char* why_fastopen = "TCP Fast Open (MSG_FASTOPEN) would connect without connect()";
  r.push_back({"sendto", kEacces, ArgCheck::MaskedEq, 3, kMsgFastOpen, kMsgFastOpen, why_fastopen});
  r.push_back({"sendmsg", kEacces, ArgCheck::MaskedEq, 2, kMsgFastOpen, kMsgFastOpen, why_fastopen});
  r.push_back({"sendmmsg", kEacces, ArgCheck::MaskedEq, 3, kMsgFastOpen, kMsgFastOpen, why_fastopen});
  return r;
}

std::vector<std::pair<std::string, std::string>> proxy_environment(
    const NetPlan& plan, const std::string& existing_java_tool_options) {
  std::vector<std::pair<std::string, std::string>> env;
  if (plan.offline) env.emplace_back("npm_config_fetch_retries", "0");
  if (!plan.proxied || plan.http_port == 0) return env;  // on host: not bound yet
  const std::string host = "127.0.0.1";
  const std::string http = "http://" + host + ":" + std::to_string(plan.http_port);
  const std::string socks = "socks5h://" + host + ":" + std::to_string(plan.socks_port);
  const std::string no_proxy = "localhost,127.0.0.1,::1";
  // The common convention (curl reads only the lower-case http_proxy; Go, Python,
  // git, npm, pip and cargo read either case).
  for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"})
    env.emplace_back(name, http);
  for (const char* name : {"ALL_PROXY", "all_proxy"}) env.emplace_back(name, socks);
  for (const char* name : {"NO_PROXY", "no_proxy"}) env.emplace_back(name, no_proxy);
  // Tool-specific settings that win over their config files.
  for (const char* name : {"npm_config_proxy", "npm_config_https_proxy", "YARN_HTTP_PROXY",
                           "YARN_HTTPS_PROXY", "PIP_PROXY", "CARGO_HTTP_PROXY"})
    env.emplace_back(name, http);
  env.emplace_back("npm_config_noproxy", no_proxy);
  env.emplace_back("RSYNC_PROXY", host + ":" + std::to_string(plan.http_port));
  // The JVM ignores the variables above; system properties through JAVA_TOOL_OPTIONS.
  const std::string port = std::to_string(plan.http_port);
  std::string java = "-Dhttp.proxyHost=" + host + " -Dhttp.proxyPort=" + port + " -Dhttps.proxyHost=" + host +
                     " -Dhttps.proxyPort=" + port + " -Dhttp.nonProxyHosts=localhost|127.0.0.1";
  env.emplace_back("JAVA_TOOL_OPTIONS",
                   existing_java_tool_options.empty() ? java : existing_java_tool_options + " " + java);
  return env;
}

}  // namespace cordon
