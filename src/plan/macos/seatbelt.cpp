#include "plan/macos/seatbelt.hpp"

#include <algorithm>
#include <map>

#include "core/defaults.hpp"
#include "core/paths.hpp"
#include "plan/net_plan.hpp"

namespace cordon::mac {
namespace {

// What every run allows, whatever the policy: what a shell, a compiler, git, Python and
// Node need on macOS. Nothing here names a user path or a network destination.
constexpr const char* kBase = R"SBPL((version 1)
(deny default)

; processes: create them; see and signal only those inside this sandbox
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

; what libc and common runtimes ask the system for
(allow sysctl-read)
(allow user-preference-read)
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.system.notification_center")
  (global-name "com.apple.PowerManagement.control"))
(allow iokit-open (iokit-registry-entry-class "RootDomainUserClient"))
(allow ipc-posix-sem)
(allow ipc-posix-shm-read-data ipc-posix-shm-write-data ipc-posix-shm-read-metadata)

; devices: /dev/null, the controlling terminal, new ptys, and /dev/fd
(allow file-write-data (require-all (literal "/dev/null") (vnode-type CHARACTER-DEVICE)))
(allow file-read* file-write-data file-ioctl (literal "/dev/tty"))
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl (literal "/dev/ptmx"))
(allow file-read* file-write* (require-all (regex #"^/dev/ttys[0-9]+$") (extension "com.apple.sandbox.pty")))
(allow file-ioctl (regex #"^/dev/ttys[0-9]+$"))
(allow file-write-data (regex #"^/dev/fd/[0-9]+$"))
)SBPL";

// With the network on, TLS and name resolution go through these system services.
constexpr const char* kNetworkServices = R"SBPL(
(allow mach-lookup
  (global-name "com.apple.SecurityServer")
  (global-name "com.apple.trustd.agent")
  (global-name "com.apple.ocspd")
  (global-name "com.apple.networkd")
  (global-name "com.apple.dnssd.service")
  (global-name "com.apple.SystemConfiguration.configd")
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.bsd.dirhelper"))
(allow sysctl-read (sysctl-name "net.routetable"))
)SBPL";

class Builder {
 public:
  explicit Builder(MacPlan& plan) : plan_(plan) {}

  // Registers a path parameter and returns its (param "...") reference.
  std::string param(const std::string& prefix, const std::string& value) {
    const std::string key = prefix + "_" + std::to_string(counts_[prefix]++);
    plan_.params.emplace_back(key, value);
    return "(param \"" + key + "\")";
  }

  // One (filter (param "PREFIX_n")) per value: (subpath ...) or (literal ...).
  std::vector<std::string> filters(const char* filter, const std::string& prefix,
                                   const std::vector<std::string>& values) {
    std::vector<std::string> out;
    out.reserve(values.size());
    for (const auto& v : values) out.push_back(std::string("(") + filter + " " + param(prefix, v) + ")");
    return out;
  }

 private:
  MacPlan& plan_;
  std::map<std::string, int> counts_;
};

std::string any_of(const std::vector<std::string>& filters) {
  if (filters.size() == 1) return filters.front();
  std::string out = "(require-any";
  for (const auto& f : filters) out += "\n    " + f;
  return out + ")";
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

struct Protected {
  std::vector<std::string> subpaths;  // no write of any kind at or below
  std::vector<std::string> pins;      // the node itself: no delete, rename, chmod (create is fine)
  std::vector<std::string> notes;
};

// The same names the Linux and Windows planners protect at the top of each write root.
Protected collect_protected(const Policy& policy, const MacHost& host,
                            const std::vector<std::string>& roots) {
  Protected p;
  auto canon = [&](const std::string& s) { return host.canonical ? host.canonical(s) : s; };
  auto kind = [&](const std::string& s) { return host.kind ? host.kind(s) : PathKind::Missing; };
  for (const auto& root : roots) {
    for (const auto& e : defaults::protected_names_except(policy.unprotect))
      add_unique(p.subpaths, paths::join(root, e.name));
    if (policy.git == GitMode::Writable) continue;
    const std::string dotgit = paths::join(root, ".git");
    switch (kind(dotgit)) {
      case PathKind::Dir:
        if (policy.git == GitMode::ReadOnly) {
          add_unique(p.subpaths, dotgit);
          break;
        }
        add_unique(p.pins, dotgit);
        for (const char* name : {"hooks", "config", "config.worktree"})
          add_unique(p.subpaths, paths::join(dotgit, name));
        break;
      case PathKind::File:
        // A linked worktree or submodule: the pointer names where hooks and config live.
        add_unique(p.subpaths, dotgit);
        p.notes.push_back(dotgit +
                          " is a .git file (worktree or submodule): it is protected; the gitdir it "
                          "points to is protected only if it lies inside a write root under its own .git");
        break;
      case PathKind::Missing:
        // No repository yet: `git init` must keep working (as on Linux).
        break;
    }
  }
  for (const auto& extra : policy.protect) add_unique(p.subpaths, canon(extra));
  if (!host.state_dir.empty()) add_unique(p.subpaths, canon(host.state_dir));
  // A secret inside a write root is neither readable nor writable (Linux masks it).
  for (const auto& secret : policy.deny_read) add_unique(p.subpaths, canon(secret));
  // Pin every directory between a root and a protected path, so none can be renamed away.
  for (const auto& root : roots) {
    for (const auto& prot : std::vector<std::string>(p.subpaths)) {
      if (!paths::is_within(prot, root) || prot == root) continue;
      for (const auto& a : paths::ancestors(prot))
        if (paths::is_within(a, root) && a != root) add_unique(p.pins, a);
      add_unique(p.pins, prot);
    }
  }
  return p;
}

}  // namespace

const std::vector<std::string>& macos_secret_home_paths() {
  static const std::vector<std::string> paths = {
      "Library/Keychains",
      "Library/Cookies",
      "Library/Application Support/Google/Chrome",
      "Library/Application Support/Firefox",
      "Library/Application Support/BraveSoftware",
      "Library/Application Support/Microsoft Edge",
      "Library/Safari",
      "Library/Messages",
      "Library/Mail",
      "Library/Group Containers/group.com.apple.notes",
  };
  return paths;
}

std::vector<std::string> MacPlan::sandbox_exec_argv(const std::vector<std::string>& command) const {
  if (unsandboxed) return command;
  std::vector<std::string> argv = {"/usr/bin/sandbox-exec", "-p", profile};
  for (const auto& [k, v] : params) argv.push_back("-D" + k + "=" + v);
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::string MacPlan::param(const std::string& key) const {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return {};
}

Result<MacPlan> plan_macos(const Policy& policy, const MacHost& host) {
  MacPlan plan;
  if (policy.mode == Mode::FullAccess) {
    plan.unsandboxed = true;
    plan.notes.push_back("full-access mode: the command runs without a Seatbelt profile");
    return plan;
  }
  auto canon = [&](const std::string& s) { return host.canonical ? host.canonical(s) : s; };
  for (const auto& p : {host.home, host.private_tmp, host.host_tmp, host.cache_dir})
    if (!p.empty() && !paths::is_absolute(p))
      return usage_error("macOS host", "'" + p + "' is not an absolute path");
  if (policy.tmp == TmpMode::Private && host.private_tmp.empty())
    return usage_error("macOS host", "no private temp directory was prepared", "this is a bug in cordon");
  if (policy.net.mode == NetMode::Proxy && host.proxy_ports.size() < 2)
    return usage_error("macOS host", "the proxied network needs cordon's HTTP and SOCKS proxy ports",
                       "this is a bug in cordon");

  Builder b(plan);
  std::string profile = kBase;

  // --- reads: everything but the secrets ------------------------------------------
  std::vector<std::string> secrets;
  for (const auto& s : policy.deny_read) add_unique(secrets, canon(s));
  if (!host.home.empty())
    for (const auto& rel : macos_secret_home_paths()) {
      const std::string path = canon(paths::join(host.home, rel));
      const bool allowed =
          std::any_of(policy.allow_read.begin(), policy.allow_read.end(),
                      [&](const std::string& a) { return paths::is_within(path, canon(a)); });
      if (!allowed) add_unique(secrets, path);
    }
  profile += "\n; reads: everywhere except the secrets\n";
  if (secrets.empty()) {
    profile += "(allow file-read*)\n";
  } else {
    profile +=
        "(allow file-read* (require-not " + any_of(b.filters("subpath", "DENY_READ", secrets)) + "))\n";
  }

  // --- writes: the roots and temp, minus protected paths ----------------------------
  std::vector<std::string> roots;
  for (const auto& r : policy.write_roots()) add_unique(roots, canon(r));
  std::vector<std::string> writable = roots;
  switch (policy.tmp) {
    case TmpMode::Private:
      add_unique(writable, canon(host.private_tmp));
      plan.env.emplace_back("TMPDIR", canon(host.private_tmp) + "/");
      break;
    case TmpMode::Host:
      if (!host.host_tmp.empty()) add_unique(writable, canon(host.host_tmp));
      add_unique(writable, "/private/tmp");
      add_unique(writable, "/private/var/tmp");
      break;
    case TmpMode::None:
      plan.notes.push_back("no writable temp (--tmp none)");
      break;
  }
  if (policy.net.mode == NetMode::On && !host.cache_dir.empty()) add_unique(writable, canon(host.cache_dir));

  const Protected prot = collect_protected(policy, host, roots);
  for (const auto& n : prot.notes) plan.notes.push_back(n);
  if (!writable.empty()) {
    const std::vector<std::string> root_refs = b.filters("subpath", "WRITE_ROOT", writable);
    const std::vector<std::string> prot_refs = b.filters("subpath", "PROTECT", prot.subpaths);
    const std::vector<std::string> pin_refs = b.filters("literal", "PIN", prot.pins);
    std::vector<std::string> refused = prot_refs;
    refused.insert(refused.end(), pin_refs.begin(), pin_refs.end());
    profile += "\n; writes: the write roots and temp, never a protected path or the directories above one\n";
    profile += "(allow file-write*\n  (require-all\n    " + any_of(root_refs);
    if (!refused.empty()) profile += "\n    (require-not " + any_of(refused) + ")";
    profile += "))\n";
    if (!pin_refs.empty()) {
      // A pinned directory may still be created (`git init` makes .git), only not moved or removed.
      profile +=
          "(allow file-write-create\n  (require-all\n    " + any_of(root_refs) + "\n    " + any_of(pin_refs);
      if (!prot_refs.empty()) profile += "\n    (require-not " + any_of(prot_refs) + ")";
      profile += "))\n";
    }
  } else {
    plan.notes.push_back("read-only: no path is writable");
  }

  // --- network -------------------------------------------------------------------------
  // Seatbelt filters remote addresses only as "localhost" or "*": exactly what is needed to
  // reach cordon's proxy and the --allow-localhost ports on loopback, and nothing else. The
  // ports are numbers, spliced as text; no path or name is.
  auto allow_loopback_ports = [&](std::vector<uint16_t> ports) {
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    if (ports.empty()) return;
    profile += "(allow network-outbound";
    for (uint16_t port : ports) profile += "\n  (remote tcp \"localhost:" + std::to_string(port) + "\")";
    profile += ")\n(allow system-socket)\n";
  };
  switch (policy.net.mode) {
    case NetMode::Off:
      profile += "\n; network: off (deny default covers sockets and name lookups)\n";
      allow_loopback_ports(policy.net.allow_localhost_ports);
      plan.env.emplace_back("CORDON_SANDBOX_NETWORK_DISABLED", "1");
      break;
    case NetMode::On:
      profile +=
          "\n; network: the host's\n(allow network-outbound)\n(allow network-inbound)\n(allow "
          "system-socket)\n";
      profile += kNetworkServices;
      break;
    case NetMode::Proxy: {
      profile += "\n; network: only cordon's proxy (and --allow-localhost ports) on loopback\n";
      std::vector<uint16_t> ports = host.proxy_ports;
      ports.insert(ports.end(), policy.net.allow_localhost_ports.begin(),
                   policy.net.allow_localhost_ports.end());
      allow_loopback_ports(ports);
      // The same variables as on Linux (HTTP_PROXY, ALL_PROXY, npm, pip, cargo, JVM ...).
      NetPlan net;
      net.mode = NetMode::Proxy;
      net.proxied = true;
      net.http_port = host.proxy_ports.front();
      net.socks_port = host.proxy_ports[1];
      for (auto& kv : proxy_environment(net, "")) plan.env.push_back(std::move(kv));
      break;
    }
  }
  plan.env.emplace_back("CORDON_SANDBOX", "seatbelt");
  plan.profile = std::move(profile);
  return plan;
}

}  // namespace cordon::mac
