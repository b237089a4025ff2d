// cordon: the supervisor's network proxy for the proxied network mode.
//
//   auto proxy = ProxyServer::start(options).value();   // before clone(): sockets only
//   LaunchSpec spec{...}; spec.net_child_fd = proxy->child_fd();
//   spec.after_clone = [&] { proxy->after_clone(); };  // starts the proxy's thread
//   launch(spec);                                       // the child sends its listeners
//   for (auto& r : proxy->finish()) ...                 // refused connections
//
// The sandbox's child creates listening sockets on 127.0.0.1 inside its network
// namespace (net_child.cpp) and sends them over a unix socketpair (SCM_RIGHTS).
// Without user namespaces (ProxyOptions::host_listeners) there is no namespace:
// bind_host_proxy_listeners() binds the HTTP and SOCKS5 listeners on the host's
// 127.0.0.1 before planning, on ports the kernel picks; the ports are planner inputs
// (LinuxPlanInputs::host_proxy) and the sandbox reaches them directly, Landlock
// allowing TCP connect to those ports only. One thread here serves them with epoll: an HTTP proxy (CONNECT
// and absolute-URI requests), a SOCKS5 proxy (CONNECT; domain, IPv4 and IPv6 targets) and plain forwarders
// for --allow-localhost ports (to the host's 127.0.0.1:PORT). Names are resolved here, outside the sandbox
// (getaddrinfo on a separate thread, never on the event loop). Every refused connection is recorded.
//
// Checks, in order: a valid host name or IP literal; deny patterns; allow patterns
// (an IP literal must be allowed by name); then every resolved address must be an
// ordinary public address unless an allow pattern names that address exactly
// (loopback, private, link-local, CGNAT, multicast, unspecified and cloud metadata
// are refused: the DNS rebinding and SSRF guard).
//
// Test-only: CORDON_TEST_RESOLVE="name=addr,name2=addr2" (parsed by
// parse_test_resolve) replaces getaddrinfo for those names. For such names a
// loopback address counts as allowed, so tests can reach servers they started on
// the host's loopback; every other special-use address is still refused.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/domain_pattern.hpp"
#include "core/error.hpp"
#include "core/policy.hpp"
#include "plan/net_plan.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon {

// How a refusal by the private-address guard begins (its reason; --learn leaves the
// host out of the fragment).
inline constexpr const char* kGuardRefusalPrefix = "resolves to a ";

struct ProxyRefusal {
  std::string host;
  uint16_t port = 0;
  std::string reason;
  std::string suggestion;  // the option that would allow it ("--allow-domain NAME"), or empty
  // "host:port", "[::1]:port" for IPv6 addresses.
  std::string address() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
};

// The proxied network without user namespaces: listeners on the host's 127.0.0.1, bound
// before planning so that the plan is final (their ports go into Landlock's rules, the
// environment and the denial rules).
struct HostProxyListeners {
  UniqueFd http, socks;
  HostProxyPorts ports;
};
[[nodiscard]] Result<HostProxyListeners> bind_host_proxy_listeners();

struct ProxyOptions {
  DomainFilter filter;
  std::vector<std::pair<std::string, std::vector<IpAddress>>> test_resolve;  // normalised names
  // --allow-private-host: names whose special-use addresses pass the SSRF guard
  // (cloud metadata excepted); normalised, exact.
  std::vector<std::string> private_hosts;
  // Listener order in the SCM_RIGHTS message: HTTP, SOCKS5, then one per forwarded port.
  std::vector<uint16_t> forward_ports;
  // No namespace: serve these listeners on the host's 127.0.0.1, nothing forwarded.
  std::optional<HostProxyListeners> host_listeners;
  // --ask / --learn: a valid host name that is only not on the allowlist (not denied, not an
  // IP literal) is put to this (host, port or 0 for a lookup, "proxy" or "name server") on
  // a thread of its own, which it blocks until answered; true: as if allowed, the name
  // still resolved outside and the SSRF guard still applied. Empty: refused as before.
  std::function<bool(const std::string&, uint16_t, const char*)> ask;
};

// "a.test=127.0.0.1,b.test=10.0.0.5" -> pairs; an error names the bad entry.
[[nodiscard]] Result<std::vector<std::pair<std::string, std::vector<IpAddress>>>> parse_test_resolve(
    const std::string& text);

// getaddrinfo (outside the sandbox, blocking: call it on a thread of its own): the
// distinct IPv4 and IPv6 addresses of `host`, in its order; gai_error as getaddrinfo's.
std::vector<IpAddress> resolve_host(const std::string& host, int& gai_error);

// What the SSRF guard leaves of a name's addresses (ok), or why it left none (refusal,
// and the option that would allow it, or empty). Shared by the proxy and the direct
// route (direct_route.hpp), so both decide a name's addresses the same way.
struct GuardedAddresses {
  std::vector<IpAddress> ok;
  std::string refusal;
  std::string suggestion;
};
// `overridden`: the addresses came from CORDON_TEST_RESOLVE (127.0.0.1 and ::1 pass).
GuardedAddresses guard_addresses(const ProxyOptions& options, const std::string& host,
                                 const std::vector<IpAddress>& all, bool overridden);

// The allow/deny filter, --allow-private-host and CORDON_TEST_RESOLVE of a run (`warnings`
// gets a line when the override is set); no listeners.
[[nodiscard]] Result<ProxyOptions> proxy_options_for(const Policy& policy,
                                                     std::vector<std::string>& warnings);

class ProxyServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<ProxyServer>> start(ProxyOptions options);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  int child_fd() const { return child_end_.get(); }
  // --ask / --learn (ProxyOptions::ask): before after_clone(), which starts the thread.
  void set_ask(std::function<bool(const std::string&, uint16_t, const char*)> ask) {
    options_.ask = std::move(ask);
  }
  // In the parent right after clone(): our copy of the child's end is closed, so a
  // child that dies before sending its listeners ends the receive with EOF. The
  // supervisor's descriptor limit is raised to the hard limit (a connection holds six
  // descriptors); the command keeps the limit it inherited at clone(). Then the proxy's
  // thread starts: no thread of cordon's exists while clone() copies the process.
  void after_clone();
  // Stops the event loop, closes every connection, returns the refusals.
  std::vector<ProxyRefusal> finish();

  struct Shared;  // state shared with resolver threads

 private:
  explicit ProxyServer(ProxyOptions options);
  void thread_main();

  ProxyOptions options_;
  UniqueFd parent_end_, child_end_, stop_fd_;
  std::vector<UniqueFd> host_fds_;  // host_listeners: HTTP, SOCKS5
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
  bool finished_ = false;
};

// The proxy for a run: the policy's allow/deny lists, the plan's forwarded ports (or
// the host listeners bound before planning when plan.on_host), and CORDON_TEST_RESOLVE
// when set (`warnings` then gets a line saying so).
[[nodiscard]] Result<std::unique_ptr<ProxyServer>> start_proxy_for(
    const Policy& policy, const NetPlan& plan, std::optional<HostProxyListeners> listeners,
    std::vector<std::string>& warnings);

// One line per distinct refusal: "evil.test:80 (denied by --deny-domain) x2".
std::vector<std::string> summarize_refusals(const std::vector<ProxyRefusal>& refusals);

}  // namespace cordon
