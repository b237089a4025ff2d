#include "plan/net_plan.hpp"

#include <algorithm>

#include "plan/linux_planner.hpp"

namespace cordon {
namespace {

// uapi address families (identical on every Linux architecture).
constexpr uint64_t kAfUnix = 1;
constexpr uint64_t kAfInet = 2;
constexpr uint64_t kAfInet6 = 10;
constexpr int kEperm = 1;

uint16_t free_port(uint16_t preferred, const std::vector<uint16_t>& taken) {
  uint16_t p = preferred;
  while (std::find(taken.begin(), taken.end(), p) != taken.end()) ++p;
  return p;
}

}  // namespace

NetPlan plan_network(const Policy& policy, bool namespaces) {
  NetPlan n;
  n.mode = policy.net.mode;
  if (policy.mode == Mode::FullAccess || n.mode != NetMode::Proxy || !namespaces) return n;
  n.proxied = true;
  n.localhost_ports = policy.net.allow_localhost_ports;
  std::vector<uint16_t> taken = n.localhost_ports;
  n.http_port = free_port(3128, taken);
  taken.push_back(n.http_port);
  n.socks_port = free_port(1080, taken);
  return n;
}

std::vector<SeccompRule> network_seccomp_rules(const Policy& policy, bool namespaces) {
  std::vector<SeccompRule> r;
  const bool proxied = policy.net.mode == NetMode::Proxy && namespaces;
  if (policy.net.mode == NetMode::On) return r;
  if (!proxied) {
    r.push_back({"socket", kEperm, ArgCheck::NotEq, 0, 0, kAfUnix,
                 policy.net.mode == NetMode::Off
                     ? "network off: only AF_UNIX sockets"
                     : "proxied network needs user namespaces: network off, only AF_UNIX sockets"});
    return r;
  }
  // Allowed: AF_UNIX (1), AF_INET (2), AF_INET6 (10). libseccomp cannot say "not in
  // a set" in one rule, so the rest is refused as 0, 3..9 and everything above 10.
  const char* why =
      "proxied network: TCP/IP reaches only the namespace's loopback; raw, packet and netlink "
      "families stay refused (kernel attack surface, and nothing to configure)";
  r.push_back({"socket", kEperm, ArgCheck::Eq, 0, 0, 0, why});
  for (uint64_t family = 3; family < kAfInet6; ++family)
    r.push_back({"socket", kEperm, ArgCheck::Eq, 0, 0, family, why});
  r.push_back({"socket", kEperm, ArgCheck::Gt, 0, 0, kAfInet6, why});
  (void)kAfInet;
  return r;
}

std::vector<std::pair<std::string, std::string>> proxy_environment(
    const NetPlan& plan, const std::string& existing_java_tool_options) {
  std::vector<std::pair<std::string, std::string>> env;
  if (!plan.proxied) return env;
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
