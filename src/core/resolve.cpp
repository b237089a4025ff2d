#include "core/resolve.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_set>

#include "core/defaults.hpp"
#include "core/domain_pattern.hpp"
#include "core/ip_address.hpp"
#include "core/limits.hpp"
#include "core/paths.hpp"

namespace cordon {
namespace {

Error setting_error(const std::string& key, const Origin& origin, const std::string& detail,
                    const std::string& hint = {}) {
  return usage_error(key + " (" + origin.describe() + ")", detail, hint);
}

// Validates one path setting: "~" expanded, must be absolute, normalised.
Result<std::string> absolute_path(const std::string& key, const Sourced<std::string>& v,
                                  const ResolveContext& ctx) {
  if (v.value.empty()) return setting_error(key, v.origin, "empty path");
  // A path reaches system calls as a C string: an embedded NUL would cut it short.
  if (v.value.find('\0') != std::string::npos)
    return setting_error(key, v.origin, "path contains a NUL character");
  // Without a known home, "~/x" would expand to "/x": a different, absolute path.
  const bool home_relative = paths::expand_home(v.value, "h") != v.value;
  if (home_relative && !paths::is_absolute(ctx.home))
    return setting_error(key, v.origin, "cannot expand '" + v.value + "': the home directory is unknown");
  std::string p = paths::expand_home(v.value, ctx.home);
  if (!paths::is_absolute(p))
    return setting_error(key, v.origin, "'" + v.value + "' is a relative path; an absolute path is required",
                         "write it as an absolute path or start it with ~/");
  return paths::normalize(p);
}

// Appends p unless already present; `seen` makes it linear for thousands of paths.
// Whether it was appended.
bool push_unique(std::vector<std::string>& list, std::unordered_set<std::string>& seen,
                 const std::string& p) {
  if (!seen.insert(p).second) return false;
  list.push_back(p);
  return true;
}

// Network from narrowest to widest: off < proxy (allowlist) < on.
int net_width(NetMode m) {
  return m == NetMode::Off ? 0 : m == NetMode::Proxy ? 1 : 2;
}

// The network part of the policy: allow/deny patterns, localhost ports, the mode they
// imply, and conflicts with an explicit --net off / on.
Status resolve_network(const std::optional<Sourced<NetMode>>& net,
                       const std::vector<Sourced<std::string>>& allow,
                       const std::vector<Sourced<std::string>>& deny,
                       const std::vector<Sourced<std::string>>& ports,
                       const std::vector<Sourced<std::string>>& private_hosts, NetworkPolicy& out) {
  auto patterns = [](const char* key, const std::vector<Sourced<std::string>>& in,
                     std::vector<std::string>& list) -> Status {
    for (const auto& v : in) {
      auto p = parse_domain_pattern(v.value);
      if (!p)
        return setting_error(key, v.origin, "invalid pattern '" + v.value + "': " + p.error().detail,
                             p.error().hint);
      if (std::find(list.begin(), list.end(), p->text) == list.end()) list.push_back(p->text);
    }
    return Ok{};
  };
  if (auto st = patterns("allow-domain", allow, out.allow_domains); !st) return st;
  if (auto st = patterns("deny-domain", deny, out.deny_domains); !st) return st;
  // --allow-private-host: one exact name (no wildcard, no address: an address is allowed
  // by naming it with --allow-domain), which it also allows.
  for (const auto& v : private_hosts) {
    auto p = parse_domain_pattern(v.value);
    if (!p)
      return setting_error("allow-private-host", v.origin,
                           "invalid name '" + v.value + "': " + p.error().detail, p.error().hint);
    if (p->text.rfind("*.", 0) == 0 || parse_ip_literal(p->text))
      return setting_error("allow-private-host", v.origin, "'" + v.value + "' is not one host name",
                           "name exactly one host (an IP address is allowed with --allow-domain ADDRESS)");
    if (std::find(out.allow_private_hosts.begin(), out.allow_private_hosts.end(), p->text) ==
        out.allow_private_hosts.end())
      out.allow_private_hosts.push_back(p->text);
    if (std::find(out.allow_domains.begin(), out.allow_domains.end(), p->text) == out.allow_domains.end())
      out.allow_domains.push_back(p->text);
  }
  for (const auto& v : ports) {
    const std::string& s = v.value;
    unsigned long port = 0;
    bool digits = !s.empty() && s.size() <= 5 && s.find_first_not_of("0123456789") == std::string::npos;
    if (digits) port = std::stoul(s);
    if (!digits || port == 0 || port > 65535)
      return setting_error("allow-localhost", v.origin, "invalid port '" + s + "'; a TCP port is 1..65535");
    if (std::find(out.allow_localhost_ports.begin(), out.allow_localhost_ports.end(), port) ==
        out.allow_localhost_ports.end())
      out.allow_localhost_ports.push_back(static_cast<uint16_t>(port));
  }
  const bool lists = !allow.empty() || !ports.empty() || !private_hosts.empty();
  const Sourced<std::string>* first = !allow.empty()           ? &allow.front()
                                      : !ports.empty()         ? &ports.front()
                                      : !private_hosts.empty() ? &private_hosts.front()
                                                               : nullptr;
  const char* first_key = !allow.empty()   ? "allow-domain"
                          : !ports.empty() ? "allow-localhost"
                                           : "allow-private-host";
  if (net && net->value != NetMode::Proxy && lists)
    return setting_error(
        "net", net->origin,
        std::string("--net ") + to_string(net->value) + " conflicts with " + first_key + " (" +
            first->origin.describe() + ")",
        net->value == NetMode::Off
            ? "drop --net off: an allowlist implies the proxied network"
            : "drop --net on to confine the network to the allowlist, or drop the allowlist");
  out.mode = net ? net->value : lists ? NetMode::Proxy : NetMode::Off;
  return Ok{};
}

// --unprotect takes a name of the built-in list, exactly: a typo must not silently keep
// (or a path silently drop) a protection.
Status check_unprotect(const Sourced<std::string>& v) {
  const auto& names = defaults::protected_root_names();
  if (std::find(names.begin(), names.end(), v.value) != names.end()) return Ok{};
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return setting_error("unprotect", v.origin, "'" + v.value + "' is not a built-in protected name",
                       "one of: " + list + " (to keep a path read-only instead, use --protect)");
}

// /tmp from narrowest to widest.
int tmp_width(TmpMode m) {
  return m == TmpMode::None ? 0 : m == TmpMode::Private ? 1 : 2;
}

// The workspace: the last layer's that names one, else the current directory; it must
// be a directory.
Result<std::string> workspace_of(const std::optional<Sourced<std::string>>& workspace,
                                 const ResolveContext& ctx) {
  std::string out;
  if (workspace) {
    auto w = absolute_path("workspace", *workspace, ctx);
    if (!w) return w.error();
    out = *w;
  } else {
    if (!paths::is_absolute(ctx.cwd))
      return usage_error("workspace", "cannot determine the current directory");
    out = paths::normalize(ctx.cwd);
  }
  if (ctx.is_dir && !ctx.is_dir(out))
    return setting_error("workspace", workspace ? workspace->origin : Origin{"current directory"},
                         "'" + out + "' does not exist or is not a directory");
  return out;
}

}  // namespace

Result<std::string> resolve_workspace(const std::vector<const PolicyLayer*>& layers,
                                      const ResolveContext& ctx) {
  std::optional<Sourced<std::string>> workspace;
  for (const auto* layer : layers)
    if (layer->workspace) workspace = layer->workspace;
  return workspace_of(workspace, ctx);
}

Result<Policy> resolve(const std::vector<PolicyLayer>& layers, const ResolveContext& ctx) {
  Policy p;
  std::unordered_set<std::string> seen_writable, seen_protect, seen_allow, seen_deny;
  std::optional<Sourced<Mode>> mode;
  std::optional<Sourced<std::string>> workspace;
  std::optional<Sourced<NetMode>> net;
  // The path lists of every layer, in order: pointers into the layers, which outlive this
  // call (thousands of --protect or --deny-read paths are not copied on the way).
  using PathRefs = std::vector<const Sourced<std::string>*>;
  PathRefs writable, protect, unprotect, deny_read, allow_read;
  auto append = [](PathRefs& to, const std::vector<Sourced<std::string>>& from) {
    to.reserve(to.size() + from.size());
    for (const auto& v : from) to.push_back(&v);
  };
  std::vector<Sourced<std::string>> allow_domains, deny_domains, allow_localhost, allow_private_host;
  bool net_narrowed = false;  // the last network.mode came from a project config

  for (const auto& layer : layers) {
    if (layer.narrow_only) {
      // Wider means: more writable, more shared, more network, longer, best effort.
      auto widens = [&](const char* key, const Origin& o, bool wider) -> std::optional<Error> {
        if (!wider) return std::nullopt;
        return setting_error(key, o, "a project config can only narrow the policy; this would widen it",
                             "put it in ~/.config/cordon/config.toml or pass it as a flag");
      };
      const Mode cur_mode = mode ? mode->value : Mode::WorkspaceWrite;
      const NetMode cur_net =
          net ? net->value
          : (!allow_domains.empty() || !allow_localhost.empty() || !allow_private_host.empty())
              ? NetMode::Proxy
              : NetMode::Off;
      std::optional<Error> e;
      if (layer.mode && !e)
        e = widens("mode", layer.mode->origin,
                   static_cast<int>(layer.mode->value) > static_cast<int>(cur_mode));
      if (layer.tmp && !e)
        e = widens("filesystem.tmp", layer.tmp->origin, tmp_width(layer.tmp->value) > tmp_width(p.tmp));
      if (layer.git && !e)
        e = widens("filesystem.git", layer.git->origin,
                   static_cast<int>(layer.git->value) > static_cast<int>(p.git));
      if (layer.net && !e)
        e = widens("network.mode", layer.net->origin, net_width(layer.net->value) > net_width(cur_net));
      if (!layer.allow_domains.empty() && !e)
        e = widens("network.allow", layer.allow_domains.front().origin, true);
      if (!layer.unprotect.empty() && !e)
        e = widens("filesystem.unprotect", layer.unprotect.front().origin, true);
      if (!layer.allow_localhost.empty() && !e)
        e = widens("network.allow_localhost", layer.allow_localhost.front().origin, true);
      if (!layer.allow_private_host.empty() && !e)
        e = widens("network.allow_private_host", layer.allow_private_host.front().origin, true);
      if (!layer.allow_unix_socket.empty() && !e)
        e = widens("network.allow_unix_socket", layer.allow_unix_socket.front().origin, true);
      if (layer.timeout && !e)
        e = widens("limits.timeout", layer.timeout->origin,
                   p.limits.timeout_seconds && layer.timeout->value > *p.limits.timeout_seconds);
      if (!e) e = limits_widen(layer, p.limits);
      if (layer.best_effort && !e)
        e = widens("best_effort", layer.best_effort->origin, layer.best_effort->value && !p.best_effort);
      if (e) return *e;
    }
    if (layer.mode) mode = layer.mode;
    if (layer.workspace) workspace = layer.workspace;
    if (layer.tmp) p.tmp = layer.tmp->value;
    if (layer.git) p.git = layer.git->value;
    if (layer.net) net = layer.net, net_narrowed = layer.narrow_only;
    if (layer.timeout) p.limits.timeout_seconds = layer.timeout->value;
    if (auto st = merge_limits(layer, p.limits); !st) return st.error();
    if (layer.best_effort) p.best_effort = layer.best_effort->value;
    if (layer.tty) p.tty = layer.tty->value;
    if (layer.ask) p.ask = layer.ask->value;
    append(writable, layer.writable);
    append(protect, layer.protect);
    append(unprotect, layer.unprotect);
    append(deny_read, layer.deny_read);
    append(allow_read, layer.allow_read);
    allow_domains.insert(allow_domains.end(), layer.allow_domains.begin(), layer.allow_domains.end());
    deny_domains.insert(deny_domains.end(), layer.deny_domains.begin(), layer.deny_domains.end());
    allow_localhost.insert(allow_localhost.end(), layer.allow_localhost.begin(), layer.allow_localhost.end());
    allow_private_host.insert(allow_private_host.end(), layer.allow_private_host.begin(),
                              layer.allow_private_host.end());
    for (const auto& u : layer.allow_unix_socket) {
      auto r = absolute_path("allow-unix-socket", u, ctx);
      if (!r) return r.error();
      if (std::find(p.net.allow_unix_sockets.begin(), p.net.allow_unix_sockets.end(), *r) ==
          p.net.allow_unix_sockets.end())
        p.net.allow_unix_sockets.push_back(*r);
    }
    for (const auto& k : layer.env_keep) p.env.keep.push_back(k.value);
    for (const auto& d : layer.env_drop) p.env.drop_patterns.push_back(d.value);
    if (layer.timeout && !(layer.timeout->value > 0 && layer.timeout->value <= kMaxTimeoutSeconds))
      return setting_error("timeout", layer.timeout->origin,
                           "must be a positive number of seconds, at most " +
                               std::to_string(static_cast<long>(kMaxTimeoutSeconds)));
  }

  if (mode) p.mode = mode->value;
  // A project config's network.mode = "off" narrows an allowlist from the user config away.
  if (net && net_narrowed && net->value == NetMode::Off)
    allow_domains.clear(), allow_localhost.clear(), allow_private_host.clear();
  if (auto st = resolve_network(net, allow_domains, deny_domains, allow_localhost, allow_private_host, p.net);
      !st)
    return st.error();

  // Workspace: explicit, else the current directory.
  auto chosen = workspace_of(workspace, ctx);
  if (!chosen) return chosen.error();
  p.workspace = std::move(*chosen);

  for (const auto* w : writable) {
    auto r = absolute_path("writable", *w, ctx);
    if (!r) return r.error();
    if (*r == "/")
      return setting_error("writable", w->origin,
                           "'/' cannot be a writable root; use --mode full-access to run unsandboxed");
    if (ctx.is_dir && !ctx.is_dir(*r))
      return setting_error("writable", w->origin, "'" + *r + "' does not exist or is not a directory",
                           "create it first, or remove it from the policy");
    push_unique(p.writable, seen_writable, *r);
  }
  for (const auto* v : protect) {
    auto r = absolute_path("protect", *v, ctx);
    if (!r) return r.error();
    push_unique(p.protect, seen_protect, *r);
  }
  for (const auto* v : unprotect) {
    if (auto st = check_unprotect(*v); !st) return st.error();
    if (std::find(p.unprotect.begin(), p.unprotect.end(), v->value) == p.unprotect.end())
      p.unprotect.push_back(v->value);
  }
  for (const auto* v : allow_read) {
    auto r = absolute_path("allow-read", *v, ctx);
    if (!r) return r.error();
    push_unique(p.allow_read, seen_allow, *r);
  }
  std::vector<std::string> denied;
  for (const std::string* h : {&ctx.home, &ctx.account_home})
    if (paths::is_absolute(*h) && (h == &ctx.home || *h != ctx.home))
      for (const auto& rel : defaults::secret_home_paths()) denied.push_back(paths::join(*h, rel));
  // POSIX hosts only (the resolver also serves the Windows planner, tested on Linux).
  if (ctx.as_root && !ctx.cwd.empty() && ctx.cwd.front() == '/')
    for (const auto& e : defaults::secret_system_entries()) denied.emplace_back(e.path);
  const size_t defaults_end = denied.size();
  for (const auto* v : deny_read) {
    auto r = absolute_path("deny-read", *v, ctx);
    if (!r) return r.error();
    if (*r == "/")
      return setting_error("deny-read", v->origin,
                           "'/' cannot be denied; use --mode full-access or narrower paths");
    denied.push_back(*r);
  }
  // An --allow-read exception removes every denial at or below it; one below a
  // denial stays in allow_read and is re-exposed by the planner.
  for (size_t i = 0; i < denied.size(); ++i) {
    const std::string& d = denied[i];
    bool allowed = std::any_of(p.allow_read.begin(), p.allow_read.end(),
                               [&](const std::string& a) { return paths::is_within(d, a); });
    if (allowed) continue;
    // A path seen before was judged then: the same path, the same answer below.
    if (!push_unique(p.deny_read, seen_deny, d)) continue;
    // Only the user's entries can be askable: no need to compare each default with
    // every default (that was most of this function's time).
    if (i < defaults_end) continue;
    // A user's entry that touches a default secret stays never askable (issue 21).
    const bool near_default =
        std::any_of(denied.begin(), denied.begin() + static_cast<long>(defaults_end),
                    [&](const std::string& s) { return paths::is_within(d, s) || paths::is_within(s, d); });
    if (!near_default) p.user_deny_read.push_back(d);
  }

  // Conflicts.
  if (p.mode == Mode::ReadOnly && !writable.empty())
    return setting_error(
        "writable", writable.front()->origin,
        "conflicts with mode read-only (" + (mode ? mode->origin.describe() : std::string("default")) + ")",
        "drop --writable, or use --mode workspace-write");
  if (p.mode == Mode::FullAccess) {
    auto restricting = !writable.empty()    ? writable.front()
                       : !protect.empty()   ? protect.front()
                       : !deny_read.empty() ? deny_read.front()
                                            : nullptr;
    if (restricting)
      return setting_error("mode", mode->origin,
                           "full-access runs without a sandbox, but a restriction was also given at " +
                               restricting->origin.describe(),
                           "remove the restriction, or choose read-only / workspace-write");
  }
  for (const auto& w : p.write_roots())
    for (const auto& d : p.deny_read)
      if (paths::is_within(w, d))
        return usage_error("writable",
                           "writable root '" + w + "' lies inside the read-denied path '" + d + "'",
                           "pass --allow-read " + d + " if the sandbox may read it");
  return p;
}

}  // namespace cordon
