#include "apps/cli/options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "apps/cli/man_page.hpp"
#include "core/limits.hpp"
#include "core/paths.hpp"

namespace cordon::cli {
namespace {

// Policy options shared by run, explain and check; bound to plain strings first so
// that every value can be validated with its flag name in the error.
struct RawPolicyOptions {
  std::string mode, workspace, tmp, git, net;
  std::vector<std::string> writable, protect, deny_read, allow_read, env_keep, env_drop;
  std::vector<std::string> allow_domain, deny_domain, allow_localhost, allow_unix_socket;
  double timeout = 0;
  bool best_effort = false;
  std::string memory, max_output;  // sizes: "64M"
  uint64_t pids = 0;
  double cpu_time = 0;
  bool pids_given = false, cpu_time_given = false;  // set after parsing
};

void add_policy_options(CLI::App* app, RawPolicyOptions& o, CliRequest& req) {
  app->add_option("--mode", o.mode, "read-only | workspace-write (default) | full-access");
  app->add_option("--workspace", o.workspace, "workspace directory (default: current directory)");
  app->add_option("--writable", o.writable, "extra writable root (repeatable)")->allow_extra_args(false);
  app->add_option("--tmp", o.tmp, "private (default) | host | none");
  app->add_option("--git", o.git, "read-only | config-only (default) | writable");
  app->add_option("--protect", o.protect, "extra read-only path inside writable roots (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--deny-read", o.deny_read, "extra unreadable path (repeatable)")->allow_extra_args(false);
  app->add_option("--allow-read", o.allow_read, "exception to the secret list (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--net", o.net, "off (default) | proxy | on");
  app->add_option("--allow-domain", o.allow_domain,
                  "reach this name through cordon's proxy: NAME or *.SUFFIX (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--deny-domain", o.deny_domain, "never reach this name, even if allowed (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--allow-localhost", o.allow_localhost, "reach the host's 127.0.0.1:PORT (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--allow-unix-socket", o.allow_unix_socket,
                  "connect to this host unix socket, e.g. \"$SSH_AUTH_SOCK\" (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--env-keep", o.env_keep, "keep this variable even if it looks secret (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--env-drop", o.env_drop, "drop variables matching this glob (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--timeout", o.timeout, "kill the whole process tree after SEC seconds");
  app->add_option("--memory", o.memory, "memory limit for the whole sandbox, e.g. 512M");
  app->add_option("--pids", o.pids, "at most N processes in the sandbox");
  app->add_option("--cpu-time", o.cpu_time, "CPU time limit in seconds, per process");
  app->add_option("--max-output", o.max_output, "cap captured stdout/stderr at SIZE each (cordon mcp)");
  app->add_flag("--best-effort", o.best_effort, "run even where a guarantee cannot be enforced");
  app->add_option("--config", req.config_file, "user config file (default ~/.config/cordon/config.toml)");
  app->add_flag("--no-config", req.no_config, "ignore the user and project config files");
}

template <class T>
Result<std::optional<Sourced<T>>> parse_enum(const std::string& flag, const std::string& value,
                                             std::optional<T> (*parse)(const std::string&),
                                             const char* valid) {
  if (value.empty()) return std::optional<Sourced<T>>{};
  auto v = parse(value);
  if (!v) return usage_error(flag, "invalid value '" + value + "'", std::string("valid values: ") + valid);
  return std::optional<Sourced<T>>{Sourced<T>{*v, Origin{flag, 0}}};
}

std::vector<Sourced<std::string>> path_list(const std::string& flag, const std::vector<std::string>& in,
                                            const std::string& cwd) {
  std::vector<Sourced<std::string>> out;
  for (const auto& p : in) {
    // Flags may be relative (to the current directory); ~ is expanded by resolve().
    std::string v = (p.empty() || p[0] == '~' || paths::is_absolute(p)) ? p : paths::join(cwd, p);
    out.push_back({v, Origin{flag, 0}});
  }
  return out;
}

Result<PolicyLayer> to_layer(const RawPolicyOptions& o, const std::string& cwd, bool timeout_given) {
  PolicyLayer l;
  l.origin = Origin{"command line", 0};
  auto mode = parse_enum<Mode>("--mode", o.mode, parse_mode, "read-only, workspace-write, full-access");
  if (!mode) return mode.error();
  l.mode = *mode;
  auto tmp = parse_enum<TmpMode>("--tmp", o.tmp, parse_tmp, "private, host, none");
  if (!tmp) return tmp.error();
  l.tmp = *tmp;
  auto git = parse_enum<GitMode>("--git", o.git, parse_git, "read-only, config-only, writable");
  if (!git) return git.error();
  l.git = *git;
  auto net = parse_enum<NetMode>("--net", o.net, parse_net, "off, proxy, on");
  if (!net) return net.error();
  l.net = *net;
  if (!o.workspace.empty()) l.workspace = path_list("--workspace", {o.workspace}, cwd).front();
  l.writable = path_list("--writable", o.writable, cwd);
  l.protect = path_list("--protect", o.protect, cwd);
  l.deny_read = path_list("--deny-read", o.deny_read, cwd);
  l.allow_read = path_list("--allow-read", o.allow_read, cwd);
  for (const auto& d : o.allow_domain) l.allow_domains.push_back({d, Origin{"--allow-domain", 0}});
  for (const auto& d : o.deny_domain) l.deny_domains.push_back({d, Origin{"--deny-domain", 0}});
  for (const auto& p : o.allow_localhost) l.allow_localhost.push_back({p, Origin{"--allow-localhost", 0}});
  l.allow_unix_socket = path_list("--allow-unix-socket", o.allow_unix_socket, cwd);
  for (const auto& k : o.env_keep) l.env_keep.push_back({k, Origin{"--env-keep", 0}});
  for (const auto& d : o.env_drop) l.env_drop.push_back({d, Origin{"--env-drop", 0}});
  if (timeout_given) {
    if (!(o.timeout > 0)) return usage_error("--timeout", "must be a positive number of seconds");
    l.timeout = Sourced<double>{o.timeout, Origin{"--timeout", 0}};
  }
  auto size = [&](const char* flag, const std::string& v, std::optional<Sourced<uint64_t>>& out) -> Status {
    if (v.empty()) return Ok{};
    std::string why;
    auto bytes = parse_size(v, &why);
    if (!bytes) return usage_error(flag, why, "for example 512M or 2G");
    out = Sourced<uint64_t>{*bytes, Origin{flag, 0}};
    return Ok{};
  };
  if (auto st = size("--memory", o.memory, l.memory); !st) return st.error();
  if (auto st = size("--max-output", o.max_output, l.max_output); !st) return st.error();
  if (o.pids_given) l.pids = Sourced<uint64_t>{o.pids, Origin{"--pids", 0}};
  if (o.cpu_time_given) l.cpu_time = Sourced<double>{o.cpu_time, Origin{"--cpu-time", 0}};
  if (o.best_effort) l.best_effort = Sourced<bool>{true, Origin{"--best-effort", 0}};
  return l;
}

// "-c", "-lc", "-ic", "-l", "-i": the option clusters a caller of `$SHELL` may pass.
bool is_shell_option(const std::string& arg) {
  return arg.size() >= 2 && arg[0] == '-' && arg.find_first_not_of("lic", 1) == std::string::npos;
}

// The shell `cordon -c` runs inside the sandbox: /bin/sh, or CORDON_SHELL (an absolute path,
// e.g. /bin/bash for agents whose commands are written for bash). Read from cordon's own
// environment, which the caller sets; nothing inside a sandbox can change it for the next run.
Result<std::string> inner_shell() {
  const char* chosen = std::getenv("CORDON_SHELL");
  if (chosen == nullptr || *chosen == '\0') return std::string("/bin/sh");
  if (!paths::is_absolute(chosen))
    return usage_error("CORDON_SHELL", "must be an absolute path, got '" + std::string(chosen) + "'",
                       "for example CORDON_SHELL=/bin/bash");
  return std::string(chosen);
}

// True when $SHELL names this very binary (SHELL=cordon for a tool that runs `$SHELL -c`).
// The command inherits SHELL, and a tool inside that runs `$SHELL -c` would start cordon
// again inside the sandbox, where it cannot build a second one.
bool shell_variable_names_cordon() {
#ifdef _WIN32
  return false;
#else
  const char* shell = std::getenv("SHELL");
  if (shell == nullptr || *shell == '\0') return false;
  std::error_code ec;
  return std::filesystem::equivalent(shell, "/proc/self/exe", ec) && !ec;
#endif
}

// `cordon -c 'COMMAND' [NAME [ARGS...]]`: the shell convention (`$SHELL -c`, a command
// prefix, a `bash -c` wrapper), so cordon can be named wherever a tool takes a shell. It is
// `cordon run -- /bin/sh -c COMMAND [NAME [ARGS...]]` with the policy from the config files
// (workspace: the configured one, else the current directory). Only the leading option
// clusters are cordon's; COMMAND and everything after it go to the shell untouched (`--`
// included: the shell reads it as the end of its options). -l and -i are accepted and
// ignored next to -c: no profile is read and the command runs as with plain -c. Without -c
// the caller wants an interactive or login shell, which cordon is not: a usage error says so.
std::optional<Result<CliRequest>> shell_mode(const std::vector<std::string>& args) {
  size_t i = 0;
  bool dash_c = false;
  for (; i < args.size() && is_shell_option(args[i]); ++i)
    dash_c = dash_c || args[i].find('c') != std::string::npos;
  if (i == 0) return std::nullopt;
  if (!dash_c)
    return Result<CliRequest>(usage_error(
        args[0], "cordon is not an interactive or login shell; it runs one command string with -c",
        "cordon -c 'COMMAND'; for an interactive shell in the sandbox: cordon run -- bash -i"));
  if (i == args.size())
    return Result<CliRequest>(
        usage_error("-c", "needs a command string", "cordon -c 'COMMAND' [NAME [ARGS...]]"));
  auto shell = inner_shell();
  if (!shell) return Result<CliRequest>(shell.error());
  CliRequest req;
  req.command = Command::Run;
  req.flags.origin = Origin{"command line", 0};
  // Inside, SHELL then names the shell that runs the command (set by env(1), as the
  // command's environment is cordon's to build, not this front end's).
  if (shell_variable_names_cordon()) req.argv = {"/usr/bin/env", "SHELL=" + *shell};
  req.argv.insert(req.argv.end(), {*shell, "-c"});
  req.argv.insert(req.argv.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return Result<CliRequest>(std::move(req));
}

}  // namespace

Result<CliRequest> parse_cli(const std::vector<std::string>& args, const std::string& cwd) {
  if (auto shell = shell_mode(args)) return std::move(*shell);
  CliRequest req;
  CLI::App app{"cordon: run agent commands on the real machine under kernel-enforced limits", "cordon"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "cordon 0.1.0");
  app.footer(
      "As a shell: cordon -c 'COMMAND' [NAME [ARGS...]] runs /bin/sh -c COMMAND (CORDON_SHELL=/bin/bash "
      "for bash) inside `cordon run` with the policy from the config files, so cordon can be named wherever "
      "a tool takes a shell ($SHELL -c, a command prefix, a bash -c wrapper; -l and -i are ignored). "
      "Per agent: docs/agent-integration.md.");

  RawPolicyOptions run_opts, explain_opts, check_opts, mcp_opts;
  std::vector<std::string> run_cmd, explain_cmd;

  auto* run = app.add_subcommand("run", "run a command in the sandbox");
  add_policy_options(run, run_opts, req);
  run->add_flag("--json", req.json, "print a JSON result object on stderr when the command ends");
  std::string report_denials;
  run->add_option("--report-denials", report_denials,
                  "on (default) | off | full: record refused operations and the option that allows each "
                  "(full also watches reads of secrets)");
  run->add_option("--report", req.report_file, "write the JSON result object to FILE when the command ends");
  // Internal to `cordon mcp` (runner.cpp), hidden from --help: the worker's result goes
  // to a descriptor only its parent holds, and the sandbox's init reads the command from
  // stdin once the sandbox is ready (a prestarted worker has no command yet).
  run->add_option("--report-fd", req.report_fd,
                  "internal to cordon mcp: write the JSON result to this descriptor")
      ->group("")
      ->check(CLI::Range(3, 65535));
  run->add_flag("--mcp-request", req.mcp_request, "internal to cordon mcp: read the command from stdin")
      ->group("");
  run->add_option("--policy-fd", req.policy_fd,
                  "internal to cordon mcp: the resolved policy as JSON (core/policy_json.hpp), instead of "
                  "config files and policy flags")
      ->group("")
      ->check(CLI::Range(3, 65535));
  run->add_option("--plan-digest-fd", req.plan_digest_fd,
                  "internal to cordon mcp: write the digest of the sandbox's plan to this descriptor")
      ->group("")
      ->check(CLI::Range(3, 65535));
  // Required unless --mcp-request: checked in main.cpp.
  run->add_option("command", run_cmd, "the command, after --");

  auto* explain = app.add_subcommand("explain", "print the resolved plan without running anything");
  add_policy_options(explain, explain_opts, req);
  explain->add_flag("--json", req.json, "machine-readable output");
  explain->add_option("command", explain_cmd, "the command, after --");

  auto* check = app.add_subcommand("check", "probe the host and report each guarantee");
  add_policy_options(check, check_opts, req);
  check->add_flag("--json", req.json, "machine-readable output");

  auto* mcp = app.add_subcommand("mcp", "serve the Model Context Protocol on stdio (a run_command tool)");
  add_policy_options(mcp, mcp_opts, req);

  auto* setup = app.add_subcommand("setup", "one-time host setup (needs root)");
  // Everything after `setup` is passed on verbatim and in order ("--proxy-ports 1-2").
  setup->prefix_command();
#ifdef _WIN32
  // Windows: the same as `cordon setup uninstall` (platform/windows/setup/setup_cli.hpp).
  auto* uninstall = app.add_subcommand(
      "uninstall", "remove everything cordon added: sandbox users, group, profiles, firewall rules, ACEs");
  uninstall->prefix_command();
#endif

  // Hidden: the manual page, from this same option table (the build makes cordon.1 with it).
  if (args.size() == 1 && args[0] == "--help-man") {
    req.command = Command::Help;
    req.help_text = man_page(app, "cordon 0.1.0");
    return req;
  }

  // CLI11 wants argv in reverse order for the vector overload.
  std::vector<std::string> rev(args.rbegin(), args.rend());
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp& e) {
    req.command = Command::Help;
    req.help_text = app.help(e.get_name() == "--help" ? "" : "", CLI::AppFormatMode::All);
    for (auto* sub : {run, explain, check, mcp, setup})
      if (sub->parsed()) req.help_text = sub->help();
    return req;
  } catch (const CLI::CallForVersion&) {
    req.command = Command::Help;
    req.help_text = "cordon 0.1.0\n";
    return req;
  } catch (const CLI::ParseError& e) {
    return usage_error("command line", e.what(), "see cordon --help");
  }

  RawPolicyOptions* chosen = nullptr;
  CLI::App* chosen_app = nullptr;
  if (run->parsed()) {
    req.command = Command::Run, chosen = &run_opts, chosen_app = run;
    req.argv = run_cmd;
    if (!report_denials.empty()) {
      req.report_denials = parse_denial_reporting(report_denials);
      if (!req.report_denials)
        return usage_error("--report-denials", "invalid value '" + report_denials + "'",
                           "valid values: on, off, full");
    }
  } else if (explain->parsed()) {
    req.command = Command::Explain, chosen = &explain_opts, chosen_app = explain;
    req.argv = explain_cmd;
  } else if (check->parsed()) {
    req.command = Command::Check, chosen = &check_opts, chosen_app = check;
  } else if (mcp->parsed()) {
    req.command = Command::Mcp, chosen = &mcp_opts, chosen_app = mcp;
  } else if (setup->parsed()) {
    req.command = Command::Setup;
    for (const auto& extra : setup->remaining()) req.setup_args.push_back(extra);
    return req;
#ifdef _WIN32
  } else if (uninstall->parsed()) {
    req.command = Command::Setup;
    req.setup_args = {"uninstall"};
    for (const auto& extra : uninstall->remaining()) req.setup_args.push_back(extra);
    return req;
#endif
  } else {
    req.command = Command::Help;
    req.help_text = app.help();
    req.help_exit_code = 2;
    return req;
  }
  chosen->pids_given = chosen_app->count("--pids") > 0;
  chosen->cpu_time_given = chosen_app->count("--cpu-time") > 0;
  auto layer = to_layer(*chosen, cwd, chosen_app->count("--timeout") > 0);
  if (!layer) return layer.error();
  req.flags = std::move(*layer);
  if (req.no_config && req.config_file) return usage_error("--config", "conflicts with --no-config");
  return req;
}

}  // namespace cordon::cli
