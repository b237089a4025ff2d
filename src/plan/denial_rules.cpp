#include "plan/denial_rules.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_set>

#include "core/defaults.hpp"
#include "core/paths.hpp"
#include "plan/landlock_abi.hpp"

namespace cordon {
namespace {

bool within_any(const std::string& p, const std::vector<std::string>& roots) {
  return std::any_of(roots.begin(), roots.end(),
                     [&](const std::string& r) { return paths::is_within(p, r); });
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// "~/.npm" for a path under home, the path itself otherwise.
std::string tilde(const std::string& p, const std::string& home) {
  if (home.empty() || home == "/" || !paths::is_within(p, home)) return p;
  return p == home ? "~" : "~/" + p.substr(home.size() + 1);
}

std::vector<std::string> components(const std::string& rel) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    if (end > start) out.push_back(rel.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The directory to name in `--writable`: under home, the tool's own directory
// (~/.npm, ~/.cache/pip, ~/.local/share/x), since tools write many files below it;
// elsewhere the directory holding the path. Writable roots are directories that exist,
// so a directory being created is named with "create it first".
std::string writable_suggestion(const std::string& path, bool creates_directory, const std::string& home) {
  std::string dir = paths::parent(path);
  if (!home.empty() && home != "/" && path != home && paths::is_within(path, home)) {
    auto parts = components(path.substr(home.size() + 1));
    size_t depth = 1;
    if (parts[0] == ".cache" || parts[0] == ".config") depth = 2;
    if (parts[0] == ".local")
      depth = parts.size() > 1 && (parts[1] == "share" || parts[1] == "state" || parts[1] == "lib") ? 3 : 2;
    std::string candidate = home;
    for (size_t i = 0; i < std::min(depth, parts.size()); ++i) candidate += "/" + parts[i];
    if (candidate != path || creates_directory) dir = candidate;
  }
  std::string s = "--writable " + tilde(dir, home);
  if (creates_directory && dir == path) s += " (create the directory first)";
  return s;
}

}  // namespace

std::optional<DenialReporting> parse_denial_reporting(const std::string& s) {
  if (s == "off") return DenialReporting::Off;
  if (s == "on") return DenialReporting::On;
  if (s == "full") return DenialReporting::Full;
  return std::nullopt;
}

const char* to_string(Operation op) {
  switch (op) {
    case Operation::Write:
      return "write";
    case Operation::Create:
      return "create";
    case Operation::Delete:
      return "delete";
    case Operation::Rename:
      return "rename";
    case Operation::Read:
      return "read";
    case Operation::Network:
      return "network";
    case Operation::Connect:
      return "connect";
    case Operation::Listen:
      return "listen";
    case Operation::Send:
      return "send";
  }
  return "?";
}

std::string to_text(const Denial& d) {
  std::string s = "denied " + d.operation + " " + (d.path.empty() ? d.address : d.path) + " (" + d.rule + ")";
  if (d.suggestion.rfind("--", 0) == 0) return s + "; allow with " + d.suggestion;
  return d.suggestion.empty() ? s : s + "; " + d.suggestion;
}

DenialRules denial_rules(const Policy& policy, const LinuxPlan& plan, const std::string& home) {
  DenialRules r;
  r.mode = plan.sandbox == LinuxSandbox::None ? Mode::FullAccess : policy.mode;
  // No network at all: without a private namespace (with one, the sandbox's own loopback
  // is its to use).
  r.network_off = policy.net.mode == NetMode::Off && plan.sandbox != LinuxSandbox::None && !plan.new_netns;
  r.proxy_on_host = plan.net.on_host;
  for (const auto& p : plan.landlock.ports) r.loopback_ports.push_back(p.port);
  r.workspace = policy.workspace;
  r.home = home;
  if (plan.sandbox == LinuxSandbox::None) return r;
  r.broker_connect = true;
  r.own_netns = plan.new_netns;
  r.abstract_scoped = (plan.landlock.scoped & landlock::kScopeAbstractUnix) != 0;
  r.best_effort = policy.best_effort;
  r.allowed_unix_sockets = policy.net.allow_unix_sockets;
  r.policy_roots = policy.write_roots();
  r.write_roots = r.policy_roots;
  const bool ns = plan.sandbox == LinuxSandbox::Namespaces;
  if (!plan.tmpdir.empty()) r.write_roots.push_back(plan.tmpdir);
  r.write_roots.push_back("/dev/shm");
  if (policy.tmp == TmpMode::None)
    r.host_tmp_note = "no temp directory (--tmp none)";
  else if (!ns && plan.tmpdir != "/tmp")
    r.host_tmp_note = "/tmp is the host's and read-only without user namespaces; use $TMPDIR";

  // A protected path, kept read-only or (when absent) from being created. The --protect
  // paths as a set: with thousands of them, a search per mount step was quadratic (views
  // of the policy's strings, which outlive it: no copy per path).
  const std::unordered_set<std::string_view> user_protected(policy.protect.begin(), policy.protect.end());
  auto protected_carve = [&](const MountStep& m) {
    DenialRules::Carve c{m.target, "protected path: " + m.reason, ""};
    const auto& names = defaults::protected_root_names();
    if (m.reason.rfind(kHomeEntryReason, 0) == 0)
      c.suggestion =
          "none: the home's startup files, PATH directories and git, editor and tool configuration stay "
          "read-only in the sandbox; change them outside";
    else if (m.reason.rfind(kOwnPathReason, 0) == 0)
      c.suggestion =
          "none: cordon's own configuration and state stay read-only in the sandbox; change "
          "them outside";
    else if (user_protected.count(m.target) != 0)
      c.suggestion = "none: drop --protect " + m.target + " (or its `protect` config entry)";
    else if (std::find(names.begin(), names.end(), paths::basename(m.target)) != names.end() &&
             paths::basename(m.target) == ".cordon" && contains(r.policy_roots, paths::parent(m.target)))
      c.suggestion = "none: cordon's project configuration stays read-only in the sandbox; change it outside";
    else if (std::find(names.begin(), names.end(), paths::basename(m.target)) != names.end())
      c.suggestion = "--unprotect " + paths::basename(m.target);
    else if (policy.git == GitMode::ReadOnly)
      c.suggestion = "--git config-only";  // refined per path in classify()
    else
      c.suggestion = "--git writable";
    r.read_only.push_back(std::move(c));
  };
  if (plan.creation_broker)
    for (const auto& e : defaults::protected_names_except(policy.unprotect))
      r.refuse_names.push_back({e.name,
                                std::string("protected name, at any depth: ") + e.read_by + ": " + e.why,
                                std::string("--unprotect ") + e.name});
  r.git_checks = plan.creation_broker && policy.git != GitMode::Writable;
  if (r.git_checks) r.gitdirs = plan.gitdirs;
  if (r.git_checks) r.guarded_files = plan.guarded_pointers;
  for (const auto& a : plan.refused_creations) {
    protected_carve(MountStep{MountKind::BindReadOnly, a.path, a.path, a.reason});
    r.refuse_create.push_back(a.path);
  }
  const std::unordered_set<std::string> user_denied(policy.user_deny_read.begin(),
                                                    policy.user_deny_read.end());
  for (const auto& m : plan.mounts) {
    switch (m.kind) {
      case MountKind::BindReadOnly:
        protected_carve(m);
        if (plan.creation_broker && paths::basename(m.target) == "config" &&
            m.reason.rfind("git config", 0) == 0)
          r.git_configs.push_back(m.target);
        break;
      case MountKind::Pin:
        r.pinned.push_back({m.target, "cannot be renamed or removed: " + m.reason,
                            m.reason == kPinAboveProtectedReason
                                ? "none: a protected path lies below it; rename it outside the sandbox"
                                : "--git writable"});
        break;
      case MountKind::EmptyWritableDir:
        if (policy.mode != Mode::ReadOnly) r.write_roots.push_back(m.target);
        break;
      case MountKind::MaskFile:
        if (plan.creation_broker && user_denied.count(m.target)) r.asked_reads.push_back(m.target);
        break;
      case MountKind::MaskDir:
        if (plan.creation_broker && user_denied.count(m.target)) r.asked_read_dirs.push_back(m.target);
        break;
      default:
        break;
    }
  }
  for (const auto& rule : plan.report.rules) {
    if (rule.category == "deny-read") r.masked.push_back(rule.subject);
    if (rule.category == "hide") r.hidden.push_back(rule.subject);
    if (rule.category == "allow-read") r.read_exceptions.push_back(rule.subject);
    if (rule.category == "filter-read")  // ~/.npmrc without its secrets: readable, never writable
      r.read_only.push_back({rule.subject, "a read-only copy of a secret's settings (secret entries removed)",
                             "none: it is shown read-only in the sandbox; change it outside"});
  }
  return r;
}

std::optional<Denial> classify(const DenialRules& rules, Operation op, const std::string& raw_path,
                               bool creates_directory) {
  if (rules.mode == Mode::FullAccess || !paths::is_absolute(raw_path)) return std::nullopt;
  const std::string path = paths::normalize(raw_path);
  if (op == Operation::Network || op == Operation::Connect || op == Operation::Listen ||
      op == Operation::Send)
    return std::nullopt;
  for (const char* pseudo : {"/proc", "/sys", "/dev"})
    if (paths::is_within(path, pseudo) && !paths::is_within(path, "/dev/shm")) return std::nullopt;
  const std::string home = rules.home;
  auto denial = [&](std::string rule, std::string suggestion) {
    return Denial{to_string(op), path, "", std::move(rule), std::move(suggestion)};
  };

  if (within_any(path, rules.hidden))
    return denial("cordon's own state (hidden in the sandbox)",
                  "none: cordon's state directory is never visible to a sandboxed command");
  const bool in_exception = within_any(path, rules.read_exceptions);
  const bool in_secret = within_any(path, rules.masked);
  if (op == Operation::Read) {
    if (!in_secret || in_exception) return std::nullopt;
    return denial("masked secret", "--allow-read " + tilde(path, home));
  }
  if (in_secret && !in_exception)
    return denial("masked secret", "none: secrets are never writable in the sandbox; change it outside");

  for (const auto& c : rules.read_only) {
    if (!paths::is_within(path, c.path)) continue;
    std::string suggestion = c.suggestion;
    // --git read-only: config-only frees objects and refs; hooks and config need writable.
    if (suggestion == "--git config-only") {
      const std::string rel = path.size() > c.path.size() ? path.substr(c.path.size() + 1) : "";
      if (rel.empty() || rel == "config" || rel == "config.worktree" || paths::is_within(rel, "hooks") ||
          paths::is_within(rel, "worktrees") || paths::is_within(rel, "modules"))
        suggestion = "--git writable";
    }
    return denial(c.rule, suggestion);
  }
  if (op == Operation::Delete || op == Operation::Rename) {
    for (const auto& p : rules.pinned)
      if (p.path == path) return denial(p.rule, p.suggestion);
    if (contains(rules.policy_roots, path))
      return denial("a writable root cannot be renamed or removed (it is a mount point)",
                    "none: run the command from the directory above, with that as the workspace");
  }
  if (rules.mode == Mode::ReadOnly && paths::is_within(path, rules.workspace))
    return denial("read-only mode", "--mode workspace-write");
  if (within_any(path, rules.write_roots)) return std::nullopt;
  if (!rules.host_tmp_note.empty() && paths::is_within(path, "/tmp"))
    return denial(rules.host_tmp_note,
                  rules.host_tmp_note.rfind("no temp", 0) == 0 ? "--tmp private" : "none: use $TMPDIR");
  std::string suggestion = writable_suggestion(path, creates_directory, home);
  if (rules.mode == Mode::ReadOnly)
    return denial("outside the writable roots (read-only mode)", "--mode workspace-write " + suggestion);
  return denial("outside the writable roots", suggestion);
}

std::optional<Denial> classify_network(const DenialRules& rules, const std::string& what) {
  if (!rules.network_off) return std::nullopt;
  // Only without a network namespace of the sandbox's own (with one, TCP/IP reaches its
  // own loopback and nothing else, so nothing is refused here).
  return Denial{to_string(Operation::Network), "", what,
                "network off: without user namespaces there is no loopback of the sandbox's own (only unix "
                "sockets)",
                "--net on"};
}

std::optional<Denial> classify_connect(const DenialRules& rules, const std::string& address, bool loopback,
                                       uint16_t port) {
  if (!rules.proxy_on_host) return std::nullopt;
  const std::string where =
      (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" + std::to_string(port);
  const std::string op = to_string(Operation::Connect);
  if (!loopback)
    return Denial{op, "", where, "network: only cordon's proxy on 127.0.0.1 is reachable",
                  "go through the proxy (HTTP_PROXY, ALL_PROXY) and allow the name with --allow-domain"};
  if (std::find(rules.loopback_ports.begin(), rules.loopback_ports.end(), port) != rules.loopback_ports.end())
    return std::nullopt;
  return Denial{op, "", where, "network: loopback port not allowed (landlock)",
                "--allow-localhost " + std::to_string(port)};
}

std::optional<Denial> classify_listen(const DenialRules& rules) {
  if (!rules.proxy_on_host) return std::nullopt;
  return Denial{to_string(Operation::Listen), "", "TCP socket",
                "network: no TCP servers without user namespaces (the port would be open on the host)",
                "none in this mode: serve on a unix socket, or run where user namespaces work"};
}

UnixAddress parse_unix_address(const void* bytes, size_t len) {
  constexpr size_t kFamily = 2;     // offsetof(sockaddr_un, sun_path)
  constexpr size_t kMax = 2 + 108;  // sizeof(sockaddr_un)
  UnixAddress out;
  if (len < kFamily || len > kMax) return out;
  const auto* b = static_cast<const unsigned char*>(bytes);
  uint16_t family = 0;  // sa_family_t, in host byte order
  std::memcpy(&family, b, sizeof family);
  if (family != 1) return out;  // AF_UNIX
  const char* path = reinterpret_cast<const char*>(b + kFamily);
  const size_t n = len - kFamily;
  if (n == 0) {
    out.kind = UnixAddress::Kind::Unnamed;
  } else if (path[0] == '\0') {
    out.kind = UnixAddress::Kind::Abstract;
    out.name.assign(path + 1, n - 1);
  } else {
    out.kind = UnixAddress::Kind::Path;
    out.name.assign(path, ::strnlen(path, n));
  }
  return out;
}

int unix_socket_grant(const DenialRules& rules, const std::string& path) {
  if (!paths::is_absolute(path)) return -1;
  const std::string p = paths::normalize(path);
  for (size_t i = 0; i < rules.allowed_unix_sockets.size(); ++i)
    if (rules.allowed_unix_sockets[i] == p) return static_cast<int>(i);
  return -1;
}

Denial unix_socket_denial(const std::string& path, Operation op) {
  return Denial{to_string(op), path, "", "a host service outside the sandbox", "--allow-unix-socket " + path};
}

void DenialLog::add(Denial d) {
  for (const auto& e : entries_)
    if (e.operation == d.operation && e.path == d.path && e.address == d.address) return;
  if (entries_.size() >= limit_) {
    truncated_ = true;
    return;
  }
  entries_.push_back(std::move(d));
  if (on_new_) on_new_(entries_.back());
}

}  // namespace cordon

namespace cordon {

nlohmann::json to_json(const DenialLog& log) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : log.entries()) out.push_back(to_json(d));
  return out;
}

}  // namespace cordon
