#include "apps/cli/options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "apps/cli/arg_check.hpp"
#include "apps/cli/man_page.hpp"
#include "core/option_table.hpp"
#include "core/paths.hpp"

namespace cordon::cli {
namespace {

// The policy options of run, explain, check and mcp come from the one option table
// (core/option_table.hpp): one CLI11 option per row, bound to plain values first so that
// every value is validated with its flag name in the error. The storage is sized once,
// when the options are added (CLI11 keeps references to it); a subcommand that is not
// being run gets none. Each row's option is kept, so that whether it was given is asked
// of it rather than looked up by name among all of them.
struct PolicyOptionValues {
  std::vector<OptionValue> values;
  std::vector<const CLI::Option*> options;
};

void add_policy_options(CLI::App* app, PolicyOptionValues& o, CliRequest& req) {
  const auto& table = policy_options();
  o.values.resize(table.size());
  o.options.resize(table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    const OptionSpec& spec = table[i];
    OptionValue& v = o.values[i];
    const std::string flag(spec.flag), help(spec.help);
    switch (spec.kind) {
      case OptionKind::Choice:
      case OptionKind::Path:
      case OptionKind::Size:
        o.options[i] = app->add_option(flag, v.text, help);
        break;
      case OptionKind::PathList:
      case OptionKind::TextList:
        o.options[i] = app->add_option(flag, v.list, help)->allow_extra_args(false);
        break;
      case OptionKind::Seconds:
        o.options[i] = app->add_option(flag, v.number, help);
        break;
      case OptionKind::Count:
        o.options[i] = app->add_option(flag, v.count, help);
        break;
      case OptionKind::Flag:
        o.options[i] = app->add_flag(flag, v.given, help);
        break;
    }
  }
  app->add_option("--config", req.config_file, "user config file (default ~/.config/cordon/config.toml)");
  app->add_flag("--no-config", req.no_config, "ignore the user and project config files");
}

Result<PolicyLayer> to_layer(PolicyOptionValues& o, const std::string& cwd) {
  PolicyLayer l;
  l.origin = Origin{"command line", 0};
  const auto& table = policy_options();
  if (o.options.size() != table.size())
    return usage_error("command line", "internal error: the policy options were not added");
  for (size_t i = 0; i < table.size(); ++i) {
    o.values[i].given = o.options[i]->count() > 0;
    if (auto st = table[i].set(table[i], o.values[i], cwd, l); !st) return st.error();
  }
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

// A change set id (review_store.hpp says the same): 1 to 64 of [A-Za-z0-9._-], no leading '.'.
bool valid_review_id_syntax(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// What check_command_args() needs of a subcommand: its option names, and which take a value.
CommandSyntax syntax_of(const CLI::App& sub, bool takes_command) {
  CommandSyntax syntax{sub.get_name(), {}, takes_command};
  for (const CLI::Option* opt : sub.get_options()) {
    if (opt->get_positional()) continue;
    const bool takes_value =
        opt->get_expected_max() != 0 && opt->get_type_size_max() != 0;  // a flag expects 0
    for (const auto& l : opt->get_lnames()) syntax.options.push_back({"--" + l, takes_value});
    for (const auto& s : opt->get_snames()) syntax.options.push_back({"-" + s, takes_value});
  }
  return syntax;
}

// `cordon --help`: what cordon is, the common tasks, the exit codes. Each command's
// --help lists its options (the policy options are the same for run, explain and mcp).
std::string overview_help() {
  return R"(cordon: run agent commands on the real machine under kernel-enforced limits

Usage:
  cordon run [OPTIONS] -- CMD [ARGS...]   run a command in the sandbox
  cordon explain [OPTIONS] -- CMD         print what a run would enforce, run nothing
  cordon check [--json]                   probe this host: which guarantees hold
  cordon mcp [--review] [OPTIONS]         serve MCP on stdio (a run_command tool)
  cordon run --review [ID] -- CMD         stage the workspace's writes in a change set
  cordon review list|show|diff|apply|discard|gc [ID] [PATH...]   review a change set
  cordon gc [--dry-run|--list] [--older-than 30d]   remove the private /tmp (and other
                                          state) of deleted or unused workspaces
  cordon setup                            one-time host setup (needs root)
  cordon -c 'COMMAND'                     as a shell ($SHELL -c): cordon run -- /bin/sh -c COMMAND

By default the command can write only the current directory (the workspace) and a private
/tmp, reads everything but secrets (~/.ssh, ~/.aws, tokens in the environment), keeps git
hooks and agent settings read-only, and has no network.

Examples:
  cordon run -- make test                        build and test in the current directory
  cordon run --mode read-only -- git status      look, change nothing
  cordon run --writable ~/.cache/pip -- pip install -e .   one more writable directory
  cordon run --allow-domain registry.npmjs.org -- npm install   the network, for one host
  cordon run --net on -- ./fetch.sh              the whole network
  cordon run --timeout 600 --memory 4G -- ./build.sh   limits
  cordon run --json -- pytest                    a JSON result (refusals, guarantees) on stderr
  cordon explain -- npm test                     what would be enforced, and how

After a run, each refused operation is listed with the option that allows it
(--report-denials off|on|full; when the command succeeds, one summary line).

Exit codes:
  the command's own     the command ran (128+N when a signal N ended it)
  2                     usage error (an unknown option, no command given)
  124                   --timeout expired; the whole process tree was killed
  125                   cordon could not set up the sandbox (the message names the call)
  126, 127              the command could not be run / was not found
  cordon check: 0 when every guarantee holds on this host, 1 otherwise

More: cordon run --help (every option), man cordon, docs/policy.md.
)";
}

// The value `--review` gets when no id follows it (a new change set): not a valid id.
constexpr const char* kNewReview = ".new";

// `cordon run --review -- CMD`: --review's id is optional. Without one (the next argument is
// `--`, an option or nothing), it is given the value that means "a new change set", so
// neither CLI11 nor check_command_args() takes the next argument as its value.
std::vector<std::string> with_review_value(std::vector<std::string> args) {
  if (args.empty() || args[0] != "run") return args;
  for (size_t i = 1; i < args.size() && args[i] != "--"; ++i)
    if (args[i] == "--review" && (i + 1 == args.size() || args[i + 1].rfind("-", 0) == 0))
      args[i] = std::string("--review=") + kNewReview;
  return args;
}

}  // namespace

Result<CliRequest> parse_cli(const std::vector<std::string>& given, const std::string& cwd) {
  if (auto shell = shell_mode(given)) return std::move(*shell);
  const std::vector<std::string> args = with_review_value(given);
  CliRequest req;
  CLI::App app{"cordon: run agent commands on the real machine under kernel-enforced limits", "cordon"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "cordon 0.1.0");
  app.footer(
      "As a shell: cordon -c 'COMMAND' [NAME [ARGS...]] runs /bin/sh -c COMMAND (CORDON_SHELL=/bin/bash "
      "for bash) inside `cordon run` with the policy from the config files, so cordon can be named wherever "
      "a tool takes a shell ($SHELL -c, a command prefix, a bash -c wrapper; -l and -i are ignored). "
      "Per agent: docs/agent-integration.md.");

  PolicyOptionValues run_opts, explain_opts, check_opts, mcp_opts;
  // Only the subcommand being run gets its policy options: CLI11 builds each option when it
  // is added, and three of the four tables would never be read. --help, --help-man and
  // anything unexpected get all four.
  const std::string first = args.empty() ? "" : args[0];
  const bool one = first == "run" || first == "explain" || first == "check" || first == "mcp" ||
                   first == "review" || first == "gc";
  auto wants = [&](const char* name) { return !one || first == name; };
  std::vector<std::string> run_cmd, explain_cmd;

  // Each CLI11 Range formats its description when made: made once, copied where used.
  const CLI::Range descriptor(3, 65535), ask_seconds(1, 3600);
  auto* run = app.add_subcommand("run", "run a command in the sandbox");
  if (wants("run")) add_policy_options(run, run_opts, req);
  run->add_flag("--json", req.json, "print a JSON result object on stderr when the command ends");
  std::string report_denials;
  run->add_option("--report-denials", report_denials,
                  "on (default) | off | full: record refused operations and the option that allows each "
                  "(full also watches reads of secrets)");
  std::string tty_size;
  run->add_option("--tty-size", tty_size,
                  "ROWSxCOLUMNS: the pty's size when none of cordon's streams is a terminal (default 24x80)");
  run->add_option("--report", req.report_file, "write the JSON result object to FILE when the command ends");
  run->add_option("--ask-timeout", req.ask_timeout_seconds,
                  "SECONDS without an answer to --ask: deny (default 60)")
      ->check(ask_seconds);
  run->add_option(
      "--learn", req.learn_file,
      "FILE: grant every operation --ask would ask about WITHOUT ASKING (writes outside the "
      "writable roots, reads of files added with --deny-read, hosts not on the allowlist, the "
      "host's loopback ports; each grant is printed), and write a config fragment with the rules "
      "that allow them to FILE, outside the workspace and the writable roots (use with --policy)");
  run->add_option("--policy", req.policy_files,
                  "FILE: a cordon config fragment (such as --learn wrote) read after the config files "
                  "(repeatable; refused inside the workspace or a writable root)")
      ->allow_extra_args(false);
  // Internal to `cordon mcp` (runner.cpp), hidden from --help: the worker's result goes
  // to a descriptor only its parent holds, and the sandbox's init reads the command from
  // stdin once the sandbox is ready (a prestarted worker has no command yet).
  run->add_option("--report-fd", req.report_fd,
                  "internal to cordon mcp: write the JSON result to this descriptor")
      ->group("")
      ->check(descriptor);
  run->add_flag("--mcp-request", req.mcp_request, "internal to cordon mcp: read the command from stdin")
      ->group("");
  run->add_option("--policy-fd", req.policy_fd,
                  "internal to cordon mcp: the resolved policy as JSON (core/policy_json.hpp), instead of "
                  "config files and policy flags")
      ->group("")
      ->check(descriptor);
  run->add_option("--ask-fd", req.ask_fd,
                  "internal to cordon mcp --ask: ask the server on this descriptor (a question channel)")
      ->group("")
      ->check(descriptor);
  run->add_option("--ask-config", req.ask_config,
                  "internal to cordon mcp --ask: the file \"allow always\" writes to (\"\": not offered)")
      ->group("");
  run->add_option("--plan-digest-fd", req.plan_digest_fd,
                  "internal to cordon mcp: write the digest of the sandbox's plan to this descriptor")
      ->group("")
      ->check(descriptor);
  std::string review_id;
  auto* review_opt = run->add_option(
      "--review", review_id,
      "[ID] stage the workspace's writes in a change set (a new one, or ID's) instead of writing the "
      "workspace; then cordon review show|diff|apply|discard ID (docs/review.md)");
  bool review_all = false;
  run->add_flag("--review-all", review_all,
                "with --review (implied): stage the other writable roots' writes (--writable DIR, caches) "
                "in the change set too, instead of writing them directly (docs/review.md)");
  // Required unless --mcp-request: checked in main.cpp.
  run->add_option("command", run_cmd, "the command, after --");

  // The other subcommands' own options likewise: only one subcommand is ever parsed
  // (require_subcommand(0, 1)), so the others are names without options.
  auto* explain = app.add_subcommand("explain", "print the resolved plan without running anything");
  if (wants("explain")) {
    add_policy_options(explain, explain_opts, req);
    explain->add_flag("--json", req.json, "machine-readable output");
    explain->add_option("command", explain_cmd, "the command, after --");
  }

  auto* check = app.add_subcommand("check", "probe the host and report each guarantee");
  if (wants("check")) {
    add_policy_options(check, check_opts, req);
    check->add_flag("--json", req.json, "machine-readable output");
  }

  auto* mcp = app.add_subcommand("mcp", "serve the Model Context Protocol on stdio (a run_command tool)");
  if (wants("mcp")) {
    add_policy_options(mcp, mcp_opts, req);
    mcp->add_option("--ask-timeout", req.ask_timeout_seconds,
                    "SECONDS without the client's answer to --ask: deny (default 60)")
        ->check(ask_seconds);
    mcp->add_flag("--review", req.mcp_review,
                  "stage every call's workspace writes in one change set (a tool review_changes shows it; "
                  "docs/review.md)");
    mcp->add_flag("--review-all", req.mcp_review_all,
                  "with --review (implied): stage the other writable roots' writes too (docs/review.md)");
  }

  auto* review = app.add_subcommand(
      "review",
      "change sets of `cordon run --review`: list, show ID, diff ID [PATH...], apply ID [PATH...], "
      "discard ID, gc --older-than AGE");
  std::vector<std::string> review_args;
  std::string older_than;
  if (wants("review")) {
    review->add_flag("--json", req.json, "machine-readable output");
    review->add_flag("--stat", req.review_request.stat,
                     "diff: a line per file with its insertions and deletions");
    review->add_flag("--force", req.review_request.force,
                     "apply: write paths the workspace changed since the change set touched them");
    review->add_option("--older-than", older_than, "gc: remove change sets older than AGE (7d, 12h, 30m)");
    review->add_option("args", review_args, "ACTION [ID] [PATH...]");
  }

  auto* gc = app.add_subcommand(
      "gc",
      "remove the per-workspace state (private /tmp, records, locks) of workspaces that no longer exist or "
      "had no run for --older-than; never of one in use (docs/policy.md)");
  std::string gc_older_than;
  if (wants("gc")) {
    gc->add_flag("--dry-run", req.gc_request.dry_run, "say what would be removed, remove nothing");
    gc->add_flag("--list", req.gc_request.list,
                 "list every workspace's state and its verdict, remove nothing");
    gc->add_option(
        "--older-than", gc_older_than,
        "AGE (30d, 12h, 0s): also remove the state of workspaces with no run for AGE (default 30d)");
    gc->add_flag("--json", req.gc_request.json, "machine-readable output");
  }

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

  // Name a mistake in the user's terms before CLI11 sees it (apps/cli/arg_check.hpp).
  if (!args.empty()) {
    std::vector<std::string> commands, policy_flags;
    for (const auto* sub : app.get_subcommands({})) commands.push_back(sub->get_name());
    for (const auto& spec : policy_options()) policy_flags.emplace_back(spec.flag);
    if (auto e = check_first_arg(args[0], commands, {"--help", "-h", "--version"}, policy_flags)) return *e;
    for (auto* sub : {run, explain, check, mcp})
      if (args[0] == sub->get_name())
        if (auto e = check_command_args(syntax_of(*sub, sub == run || sub == explain),
                                        std::vector<std::string>(args.begin() + 1, args.end())))
          return *e;
  }

  // CLI11 wants argv in reverse order for the vector overload.
  std::vector<std::string> rev(args.rbegin(), args.rend());
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    req.command = Command::Help;
    req.help_text = overview_help();
    for (auto* sub : {run, explain, check, mcp, review, gc, setup})
      if (sub->parsed()) req.help_text = sub->help();
    return req;
  } catch (const CLI::CallForVersion&) {
    req.command = Command::Help;
    req.help_text = "cordon 0.1.0\n";
    return req;
  } catch (const CLI::ParseError& e) {
    return usage_error("command line", e.what(), "see cordon --help");
  }

  PolicyOptionValues* chosen = nullptr;
  if (run->parsed()) {
    req.command = Command::Run, chosen = &run_opts;
    req.argv = run_cmd;
    if (!report_denials.empty()) {
      req.report_denials = parse_denial_reporting(report_denials);
      if (!req.report_denials)
        return usage_error("--report-denials", "invalid value '" + report_denials + "'",
                           "valid values: on, off, full");
    }
    if (req.learn_file && req.learn_file->empty()) return usage_error("--learn", "needs a file name");
    if (!tty_size.empty()) {
      unsigned rows = 0, columns = 0;
      char x = 0, extra = 0;
      if (std::sscanf(tty_size.c_str(), "%u%c%u%c", &rows, &x, &columns, &extra) != 3 || x != 'x' ||
          rows < 1 || rows > 1000 || columns < 1 || columns > 1000 ||
          tty_size.find_first_not_of("0123456789x") != std::string::npos)
        return usage_error("--tty-size", "invalid value '" + tty_size + "'",
                           "ROWSxCOLUMNS, each from 1 to 1000, e.g. 24x80");
      req.tty_rows = static_cast<unsigned short>(rows);
      req.tty_columns = static_cast<unsigned short>(columns);
    }
    if (review_opt->count() > 0) {
      if (review_id != kNewReview && !valid_review_id_syntax(review_id))
        return usage_error("--review", "invalid change set id '" + review_id + "'",
                           "1 to 64 letters, digits, '.', '_' or '-', not starting with '.'");
      req.review = review_id == kNewReview ? "" : review_id;
    }
    if (review_all) {
      if (!req.review) req.review = "";
      req.review_all = true;
    }
  } else if (review->parsed()) {
    req.command = Command::Review;
    if (review_args.empty())
      return usage_error("review", "needs an action", "list, show ID, diff ID, apply ID, discard ID, gc");
    static const char* kActions[] = {"list", "show", "diff", "apply", "discard", "gc"};
    if (std::find(std::begin(kActions), std::end(kActions), review_args[0]) == std::end(kActions))
      return usage_error(
          "review", "unknown action '" + review_args[0] + "'",
          "list, show ID, diff ID [PATH...], apply ID [PATH...], discard ID, gc --older-than AGE");
    req.review_request.action = review_args[0];
    if (review_args.size() > 1) req.review_request.id = review_args[1];
    for (size_t i = 2; i < review_args.size(); ++i) req.review_request.paths.push_back(review_args[i]);
    const bool takes_id = review_args[0] != "list" && review_args[0] != "gc";
    if (takes_id && review_args.size() < 2)
      return usage_error("review " + review_args[0], "needs a change set id",
                         "cordon review list shows them");
    if (!takes_id && review_args.size() > 1)
      return usage_error("review " + review_args[0], "takes no id", "");
    if (review_args.size() > 2 && review_args[0] != "diff" && review_args[0] != "apply")
      return usage_error("review " + review_args[0], "takes no paths", "");
    if (takes_id && !valid_review_id_syntax(req.review_request.id))
      return usage_error("review", "invalid change set id '" + req.review_request.id + "'",
                         "cordon review list shows them");
    if (!older_than.empty()) req.review_request.older_than = older_than;
    req.review_request.json = req.json;
    return req;
  } else if (gc->parsed()) {
    req.command = Command::Gc;
    if (!gc_older_than.empty()) req.gc_request.older_than = gc_older_than;
    return req;
  } else if (explain->parsed()) {
    req.command = Command::Explain, chosen = &explain_opts;
    req.argv = explain_cmd;
  } else if (check->parsed()) {
    req.command = Command::Check, chosen = &check_opts;
  } else if (mcp->parsed()) {
    req.command = Command::Mcp, chosen = &mcp_opts;
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
    req.help_text = overview_help();
    req.help_exit_code = 2;
    return req;
  }
  auto layer = to_layer(*chosen, cwd);
  if (!layer) return layer.error();
  req.flags = std::move(*layer);
  if (req.command == Command::Run && req.flags.ask && req.learn_file)
    return usage_error("--ask", "conflicts with --learn");
  // cordon mcp --ask asks through the client (MCP elicitation); a change set is reviewed
  // as a whole afterwards, not asked about one write at a time.
  if (req.command == Command::Mcp && req.flags.ask && (req.mcp_review || req.mcp_review_all))
    return usage_error("--ask", "conflicts with --review");
  if (req.no_config && req.config_file) return usage_error("--config", "conflicts with --no-config");
  return req;
}

}  // namespace cordon::cli
