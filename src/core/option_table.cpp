#include "core/option_table.hpp"

#include <algorithm>

#include "core/limits.hpp"
#include "core/paths.hpp"

namespace cordon {
namespace {

Origin from_flag(const OptionSpec& o) {
  return Origin{std::string(o.flag), 0};
}

// Flags may be relative (to the current directory); ~ is expanded by resolve().
std::string flag_path(const std::string& p, const std::string& cwd) {
  return (p.empty() || p[0] == '~' || paths::is_absolute(p)) ? p : paths::join(cwd, p);
}

template <class E, std::optional<Sourced<E>> PolicyLayer::*Field,
          std::optional<E> (*Parse)(const std::string&)>
Status set_choice(const OptionSpec& o, const OptionValue& v, const std::string&, PolicyLayer& l) {
  if (v.text.empty()) return Ok{};
  auto parsed = Parse(v.text);
  if (!parsed)
    return usage_error(std::string(o.flag), "invalid value '" + v.text + "'",
                       "valid values: " + std::string(o.choices));
  l.*Field = Sourced<E>{*parsed, from_flag(o)};
  return Ok{};
}

Status set_workspace(const OptionSpec& o, const OptionValue& v, const std::string& cwd, PolicyLayer& l) {
  if (!v.text.empty()) l.workspace = Sourced<std::string>{flag_path(v.text, cwd), from_flag(o)};
  return Ok{};
}

Status set_path_list(const OptionSpec& o, const OptionValue& v, const std::string& cwd, PolicyLayer& l) {
  for (const auto& p : v.list) (l.*o.list).push_back({flag_path(p, cwd), from_flag(o)});
  return Ok{};
}

Status set_text_list(const OptionSpec& o, const OptionValue& v, const std::string&, PolicyLayer& l) {
  for (const auto& t : v.list) (l.*o.list).push_back({t, from_flag(o)});
  return Ok{};
}

Status set_timeout(const OptionSpec& o, const OptionValue& v, const std::string&, PolicyLayer& l) {
  if (!v.given) return Ok{};
  if (!(v.number > 0)) return usage_error(std::string(o.flag), "must be a positive number of seconds");
  l.timeout = Sourced<double>{v.number, from_flag(o)};
  return Ok{};
}

template <std::optional<Sourced<uint64_t>> PolicyLayer::*Field>
Status set_size(const OptionSpec& o, const OptionValue& v, const std::string&, PolicyLayer& l) {
  if (v.text.empty()) return Ok{};
  std::string why;
  auto bytes = parse_size(v.text, &why);
  if (!bytes) return usage_error(std::string(o.flag), why, "for example 512M or 2G");
  l.*Field = Sourced<uint64_t>{*bytes, from_flag(o)};
  return Ok{};
}

Status set_pids(const OptionSpec& o, const OptionValue& v, const std::string&, PolicyLayer& l) {
  if (v.given) l.pids = Sourced<uint64_t>{v.count, from_flag(o)};
  return Ok{};
}

Status set_cpu_time(const OptionSpec& o, const OptionValue& v, const std::string&, PolicyLayer& l) {
  if (v.given) l.cpu_time = Sourced<double>{v.number, from_flag(o)};
  return Ok{};
}

Status set_ask(const OptionSpec& o, const OptionValue& v, const std::string&, PolicyLayer& l) {
  if (v.given) l.ask = Sourced<bool>{true, from_flag(o)};
  return Ok{};
}

Status set_best_effort(const OptionSpec& o, const OptionValue& v, const std::string&, PolicyLayer& l) {
  if (v.given) l.best_effort = Sourced<bool>{true, from_flag(o)};
  return Ok{};
}

using K = OptionKind;
using M = OptionMerge;
constexpr McpRule kServer = McpRule::ServerOnly;

}  // namespace

// The order is the order of `cordon run --help` and of the man page.
const std::vector<OptionSpec>& policy_options() {
  static const std::vector<OptionSpec> table = {
      {"--mode", "MODE", "mode", K::Choice, M::LastWins, kServer,
       "read-only | workspace-write (default) | full-access", "read-only, workspace-write, full-access", "",
       nullptr, set_choice<Mode, &PolicyLayer::mode, parse_mode>, "read-only", "workspace-write"},
      {"--workspace", "DIR", "filesystem.workspace", K::Path, M::LastWins, kServer,
       "workspace directory (default: current directory)", "", "", nullptr, set_workspace, "/a", "/b"},
      {"--writable", "DIR", "filesystem.writable", K::PathList, M::Accumulate, kServer,
       "extra writable root (repeatable)", "", "adding writable roots", &PolicyLayer::writable, set_path_list,
       "/w1", "/w2"},
      {"--tmp", "private|host|none", "filesystem.tmp", K::Choice, M::LastWins, kServer,
       "private (default) | host | none", "private, host, none", "", nullptr,
       set_choice<TmpMode, &PolicyLayer::tmp, parse_tmp>, "none", "host"},
      {"--git", "read-only|config-only|writable", "filesystem.git", K::Choice, M::LastWins, kServer,
       "read-only | config-only (default) | writable", "read-only, config-only, writable", "", nullptr,
       set_choice<GitMode, &PolicyLayer::git, parse_git>, "read-only", "writable"},
      {"--protect", "PATH", "filesystem.protect", K::PathList, M::Accumulate, kServer,
       "extra read-only path inside writable roots (repeatable)", "", "", &PolicyLayer::protect,
       set_path_list, "/p1", "/p2"},
      {"--unprotect", "NAME", "filesystem.unprotect", K::TextList, M::Accumulate, kServer,
       "leave this built-in protected name writable (repeatable)", "", "dropping built-in protected names",
       &PolicyLayer::unprotect, set_text_list, ".vscode", ".idea"},
      {"--deny-read", "PATH", "filesystem.deny_read", K::PathList, M::Accumulate, kServer,
       "extra unreadable path (repeatable)", "", "", &PolicyLayer::deny_read, set_path_list, "/d1", "/d2"},
      {"--allow-read", "PATH", "filesystem.allow_read", K::PathList, M::Accumulate, kServer,
       "exception to the secret list (repeatable)", "", "re-allowing reads of denied paths",
       &PolicyLayer::allow_read, set_path_list, "/r1", "/r2"},
      {"--net", "off|proxy|on", "network.mode", K::Choice, M::LastWins, kServer, "off (default) | proxy | on",
       "off, proxy, on", "", nullptr, set_choice<NetMode, &PolicyLayer::net, parse_net>, "off", "on"},
      {"--allow-domain", "PATTERN", "network.allow", K::TextList, M::Accumulate, kServer,
       "reach this name through cordon's proxy: NAME or *.SUFFIX (repeatable)", "", "allowing domains",
       &PolicyLayer::allow_domains, set_text_list, "a.example", "b.example"},
      {"--deny-domain", "PATTERN", "network.deny", K::TextList, M::Accumulate, kServer,
       "never reach this name, even if allowed (repeatable)", "", "", &PolicyLayer::deny_domains,
       set_text_list, "a.example", "b.example"},
      {"--allow-private-host", "NAME", "network.allow_private_host", K::TextList, M::Accumulate, kServer,
       "reach NAME through cordon's proxy even where it resolves to a private or reserved address "
       "(repeatable)",
       "", "allowing private addresses", &PolicyLayer::allow_private_host, set_text_list, "a.example",
       "b.example"},
      {"--allow-localhost", "PORT", "network.allow_localhost", K::TextList, M::Accumulate, kServer,
       "reach the host's 127.0.0.1:PORT (repeatable)", "", "allowing host loopback ports",
       &PolicyLayer::allow_localhost, set_text_list, "5432", "8080"},
      {"--allow-unix-socket", "PATH", "network.allow_unix_socket", K::PathList, M::Accumulate, kServer,
       "connect to this host unix socket, e.g. \"$SSH_AUTH_SOCK\" (repeatable)", "",
       "allowing host unix sockets", &PolicyLayer::allow_unix_socket, set_path_list, "/s1", "/s2"},
      {"--env-keep", "NAME", "env.keep", K::TextList, M::Accumulate, kServer,
       "keep this variable even if it looks secret (repeatable)", "", "keeping secret-looking variables",
       &PolicyLayer::env_keep, set_text_list, "A_TOKEN", "B_TOKEN"},
      {"--env-drop", "PATTERN", "env.drop", K::TextList, M::Accumulate, kServer,
       "drop variables matching this glob (repeatable)", "", "", &PolicyLayer::env_drop, set_text_list, "X*",
       "Y*"},
      {"--timeout", "SEC", "limits.timeout", K::Seconds, M::LastWins, McpRule::CallMayNarrow,
       "kill the whole process tree after SEC seconds", "", "", nullptr, set_timeout, "10", "20"},
      {"--memory", "SIZE", "limits.memory", K::Size, M::LastWins, kServer,
       "memory limit for the whole sandbox, e.g. 512M", "", "", nullptr, set_size<&PolicyLayer::memory>,
       "64M", "128M"},
      {"--pids", "N", "limits.pids", K::Count, M::LastWins, kServer, "at most N processes in the sandbox", "",
       "", nullptr, set_pids, "32", "64"},
      {"--cpu-time", "SEC", "limits.cpu_time", K::Seconds, M::LastWins, kServer,
       "CPU time limit in seconds, per process", "", "", nullptr, set_cpu_time, "10", "20"},
      {"--max-output", "SIZE", "limits.max_output", K::Size, M::LastWins, kServer,
       "cap captured stdout/stderr at SIZE each (cordon mcp)", "", "", nullptr,
       set_size<&PolicyLayer::max_output>, "1M", "2M"},
      {"--tty", "auto|always|never", "tty", K::Choice, M::LastWins, McpRule::CallMayNarrow,
       "auto (default) | always | never: the command gets a terminal of its own (a new pty inside "
       "the sandbox, relayed to yours) when one of cordon's streams is a terminal, always, or never",
       "auto, always, never", "", nullptr, set_choice<TtyMode, &PolicyLayer::tty, parse_tty>, "always",
       "never"},
      {"--ask", "", "ask", K::Flag, M::LastWins, kServer,
       "ask on cordon's terminal (outside the sandbox) before refusing a write, create, delete or "
       "rename outside the writable roots (below the home or /var/tmp; never a protected path or a "
       "secret), a read of a file you added with --deny-read, a connect to a port of the host's "
       "loopback, or a host not on the allowlist (proxied mode): allow once, for this run, always (a rule in "
       "the user config), or deny (cordon run; "
       "cordon mcp asks about files through the client with MCP elicitation)",
       "", "", nullptr, set_ask, "true", "true"},
      {"--best-effort", "", "best_effort", K::Flag, M::LastWins, kServer,
       "run even where a guarantee cannot be enforced", "", "", nullptr, set_best_effort, "true", "true"},
  };
  return table;
}

const OptionSpec* option_by_config_key(std::string_view key) {
  const auto& table = policy_options();
  auto it =
      std::find_if(table.begin(), table.end(), [&](const OptionSpec& o) { return o.config_key == key; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace cordon
