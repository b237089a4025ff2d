// cordon: the command-line entry point. Portable: it parses flags and config files
// into one Policy and hands it to the platform backend (src/platform/platform.hpp).
#ifndef _WIN32
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>
#endif

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "apps/cli/options.hpp"
#ifndef _WIN32
#include "apps/server/mcp_server.hpp"
#endif
#ifdef __linux__
#include "platform/linux/init_main.hpp"
#endif
#include "core/config.hpp"
#include "core/paths.hpp"
#include "core/policy_json.hpp"
#include "core/resolve.hpp"
#include "core/terminal_text.hpp"
#include "plan/run_summary.hpp"
#include "platform/platform.hpp"

namespace {

using cordon::Error;

// Whether cordon's process has a terminal to ask on (what AskGate::open_terminal opens).
bool has_controlling_terminal() {
#ifdef _WIN32
  return false;
#else
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool tty = ::isatty(fd) == 1;
  ::close(fd);
  return tty;
#endif
}

// A report's text names paths an earlier run may have chosen (a .git/modules/<name>):
// each line escaped, the line structure kept.
std::string escaped_lines(const std::string& text) {
  std::string out;
  bool first = true;
  for (const auto& line : cordon::split_lines(text)) {
    if (!first) out += '\n';
    out += cordon::escape_for_terminal(line);
    first = false;
  }
  return out;
}

// An error can carry a name from the sandbox (a path in a post-run failure): each of
// its lines is escaped, the line structure cordon gave it is kept.
int fail(const Error& e, int code = 2) {
  std::cerr << "cordon: " << escaped_lines(e.message()) << "\n";
  return code;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool is_dir(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(std::filesystem::u8path(path), ec);
}

std::string home_dir() {
  std::string home = env_or_empty("HOME");
  if (home.empty()) home = env_or_empty("USERPROFILE");
  return home;
}

// The path with every link resolved (the path itself when that fails).
std::string canonical(const std::string& path) {
  std::error_code ec;
  auto c = std::filesystem::canonical(std::filesystem::path(path), ec);
  return ec ? path : c.string();
}

bool running_as_root() {
#ifdef _WIN32
  return false;
#else
  return ::geteuid() == 0;
#endif
}

// The account's home from the password database ("" where there is none, or on Windows).
std::string account_home() {
#ifdef _WIN32
  return {};
#else
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) != 0 || !found || !pw.pw_dir) return {};
  return pw.pw_dir;
#endif
}

std::string user_config_path(const std::string& home) {
  std::string xdg = env_or_empty("XDG_CONFIG_HOME");
  if (!xdg.empty() && cordon::paths::is_absolute(xdg)) return cordon::paths::join(xdg, "cordon/config.toml");
  if (home.empty()) return {};
  return cordon::paths::join(home, ".config/cordon/config.toml");
}

// Is one of the directories above `file` the directory `root`, by identity (the same
// inode on the same device)? A bind mount or a second mount of the file system names the
// checkout by another path, which no comparison of paths sees.
bool below_by_identity(const std::string& file, const std::string& root) {
  std::error_code ec;
  const std::filesystem::path dir(root);
  for (auto p = std::filesystem::path(file).parent_path(); !p.empty(); p = p.parent_path()) {
    if (std::filesystem::equivalent(p, dir, ec)) return true;
    if (p == p.root_path()) break;
  }
  return false;
}

// The root `file` lies in among the roots the run can write and its workspace (also in
// read-only mode: a checkout can ship it), "" when none. Compared as the kernel resolves
// them (a symlink or `..` must not hide that the file is in the checkout), as given, and
// by the identity of the directories above it.
std::string writable_root_holding(const cordon::Policy& policy, const std::string& file) {
  std::vector<std::string> roots = policy.write_roots();
  roots.push_back(policy.workspace);
  std::error_code ec;
  const auto weak = std::filesystem::weakly_canonical(std::filesystem::path(file), ec);
  const std::string real = ec ? file : weak.string();
  for (const auto& root : roots)
    if (cordon::paths::is_within(real, canonical(root)) || cordon::paths::is_within(file, root) ||
        below_by_identity(real, root))
      return root;
  return {};
}

// defaults < user config < project config < flags. The project file lives in the
// workspace, which is only known after the flags and user config are read.
cordon::Result<cordon::Policy> build_policy(const cordon::cli::CliRequest& req, const std::string& cwd,
                                            const std::string& home) {
  std::vector<cordon::PolicyLayer> layers;
  cordon::ResolveContext ctx{cwd, home, &is_dir, account_home(), running_as_root()};
  std::string user_config;  // the user config that was read, if any
  if (!req.no_config) {
    std::string user = req.config_file ? *req.config_file : user_config_path(home);
    if (req.config_file && !cordon::paths::is_absolute(user)) user = cordon::paths::join(cwd, user);
    if (!user.empty()) {
      auto layer = cordon::load_config_file(user, cordon::ConfigScope::User);
      if (!layer) return layer.error();
      if (req.config_file && !*layer) return cordon::usage_error("--config", "'" + user + "' does not exist");
      if (*layer) {
        layers.push_back(std::move(**layer));
        if (!req.config_file) user_config = user;
      }
    }
    // Find the workspace from what we have so far, then read its project config.
    std::vector<cordon::PolicyLayer> so_far = layers;
    so_far.push_back(req.flags);
    auto prelim = cordon::resolve(so_far, ctx);
    if (!prelim) return prelim.error();
    auto project = cordon::load_config_file(cordon::paths::join(prelim->workspace, ".cordon/config.toml"),
                                            cordon::ConfigScope::Project);
    if (!project) return project.error();
    if (*project) layers.push_back(std::move(**project));
  }
  // --policy FILE (a fragment --learn wrote): named on purpose, read as the user's own.
  for (const auto& file : req.policy_files) {
    const std::string path = cordon::paths::is_absolute(file) ? file : cordon::paths::join(cwd, file);
    auto layer = cordon::load_config_file(path, cordon::ConfigScope::User);
    if (!layer) return layer.error();
    if (!*layer) return cordon::usage_error("--policy", "'" + path + "' does not exist");
    layers.push_back(std::move(**layer));
  }
  layers.push_back(req.flags);
  auto policy = cordon::resolve(layers, ctx);
  if (!policy) return policy;
  // --config FILE and --policy FILE are read as the user's own layer, which may widen: a
  // file an earlier sandboxed run could have edited (or a checkout ships) is not the
  // user's word, however it was named.
  std::vector<std::pair<std::string, std::string>> named;  // option, file
  if (req.config_file && !req.no_config)
    named.emplace_back("--config", cordon::paths::is_absolute(*req.config_file)
                                       ? *req.config_file
                                       : cordon::paths::join(cwd, *req.config_file));
  for (const auto& file : req.policy_files)
    named.emplace_back("--policy", cordon::paths::is_absolute(file) ? file : cordon::paths::join(cwd, file));
  for (const auto& [option, file] : named)
    if (const std::string root = writable_root_holding(*policy, file); !root.empty())
      return cordon::usage_error(
          option, "'" + file + "' lies inside the writable root '" + root + "'",
          "a sandboxed command or the repository could have written it: move it outside "
          "the workspace and the writable roots, and read it before passing it");
  if (user_config.empty()) return policy;
  // The user config may widen (full access, the network on): found through $HOME or
  // $XDG_CONFIG_HOME, it must not be a file the sandbox could write, nor one a repository
  // ships (a project's .env that an agent loads can point either variable into the
  // checkout). --config is checked above.
  if (const std::string root = writable_root_holding(*policy, user_config); !root.empty())
    return cordon::usage_error(
        "config", "the user config '" + user_config + "' lies inside the writable root '" + root + "'",
        "a repository or a sandboxed command could have written it: check $HOME and $XDG_CONFIG_HOME, or "
        "pass --config FILE from outside them (or --no-config) to choose on purpose");
  return policy;
}

// cordon mcp's workers get the policy the server resolved, as JSON in a sealed memfd
// (read with pread: every worker shares the one open file), never an argv to parse again.
cordon::Result<cordon::Policy> policy_from_fd(int fd) {
#ifdef _WIN32
  (void)fd;
  return cordon::usage_error("--policy-fd", "is POSIX only (internal to cordon mcp)");
#else
  constexpr size_t kMax = 4u << 20;
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return cordon::os_error("pread", "--policy-fd", errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMax) return cordon::usage_error("--policy-fd", "policy larger than 4 MiB");
  }
  ::close(fd);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return cordon::usage_error("--policy-fd", "not JSON (internal to cordon mcp)");
  return cordon::policy_from_json(j);
#endif
}

}  // namespace

#ifdef _WIN32
// Windows enters through wmain (main_windows.cpp), which passes the arguments as UTF-8.
int cordon_main(int argc, char** argv) {
#else
int main(int argc, char** argv) {
#endif
#ifdef __linux__
  // The sandbox's init (platform/linux/init_main.hpp): a fresh image of this binary,
  // dispatched before anything else runs (no option table, no config, no environment).
  if (cordon::is_init_invocation(argc, argv)) cordon::init_main(argc, argv);
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  std::error_code ec;
  const auto cwd_u8 = std::filesystem::current_path(ec).u8string();
  std::string cwd(cwd_u8.begin(), cwd_u8.end());
  if (ec) return fail(cordon::os_error("getcwd", "", ec.value()));

  auto parsed = cordon::cli::parse_cli(args, cwd);
  if (!parsed) return fail(parsed.error());
  const auto& req = *parsed;
  if (req.command == cordon::cli::Command::Help) {
    (req.help_exit_code ? std::cerr : std::cout) << req.help_text;
    return req.help_exit_code;
  }
  if (req.command == cordon::cli::Command::Setup) {
    auto r = cordon::platform::setup(req.setup_args);
    if (!r) return fail(r.error(), 1);
    return *r;
  }

  if (req.command == cordon::cli::Command::Gc) {
    auto r = cordon::platform::gc(req.gc_request);
    if (!r) return fail(r.error(), 1);
    return *r;
  }

  if (req.command == cordon::cli::Command::Review) {
    auto r = cordon::platform::review(req.review_request);
    if (!r) return fail(r.error(), 1);
    return *r;
  }

  const std::string home = home_dir();
  if (req.policy_fd && req.command != cordon::cli::Command::Run)
    return fail(cordon::usage_error("--policy-fd", "is for cordon run only (internal to cordon mcp)"));
  auto policy = req.policy_fd ? policy_from_fd(*req.policy_fd) : build_policy(req, cwd, home);
  if (!policy) return fail(policy.error());

  cordon::platform::RunRequest run;
  run.argv = req.argv;
  run.cwd = cwd;
  run.report_json = req.json;
  run.report_path = req.report_file;
  run.report_fd = req.report_fd;
  run.mcp_request = req.mcp_request;
  // A cordon mcp worker starts where the server was started, which the sandbox may not
  // show (a checkout under a private /tmp): it starts in the workspace instead, and the
  // request's own cwd (inside the workspace) applies once it arrives.
  if (req.mcp_request) run.cwd = policy->workspace;
  run.plan_digest_fd = req.plan_digest_fd;
  if (req.report_denials) run.report_denials = *req.report_denials;
  run.tty = policy->tty;
  // A cordon mcp worker's policy is the server's (runner.cpp, tty never); its own --tty is
  // the one per-call choice it takes from its argv, for a call that asked for a terminal.
  if (req.policy_fd && req.flags.tty) run.tty = req.flags.tty->value;
  // --ask insists (no terminal: the run is refused, platform/linux/ask.cpp); `ask = true`
  // in the user config asks where cordon has a terminal and refuses as without it where it
  // has none (an agent's `cordon -c` without one still runs). Never in a cordon mcp worker:
  // its policy is the server's (runner.cpp clears `ask`) and its calls have no terminal.
  if (policy->ask && !req.policy_fd && !req.mcp_request && (req.flags.ask || has_controlling_terminal()))
    run.ask = cordon::platform::AskMode::Terminal;
  // A cordon mcp --ask worker asks the server on the channel it was given (runner.cpp).
  if (req.ask_fd) {
    if (!req.policy_fd || !req.mcp_request)
      return fail(cordon::usage_error("--ask-fd", "is internal to cordon mcp --ask"));
    run.ask = cordon::platform::AskMode::Client;
    run.ask_fd = *req.ask_fd;
  }
  if (req.learn_file) {
    run.ask = cordon::platform::AskMode::Learn;
    run.learn_file = cordon::paths::is_absolute(*req.learn_file) ? *req.learn_file
                                                                 : cordon::paths::join(cwd, *req.learn_file);
    // What it writes is read back with --policy as the user's own layer, which refuses a
    // file the sandbox could edit: refused here, before the run, rather than after it.
    if (const std::string root = writable_root_holding(*policy, run.learn_file); !root.empty())
      return fail(cordon::usage_error(
          "--learn", "'" + run.learn_file + "' lies inside the writable root '" + root + "'",
          "the command could edit it before cordon writes it, and --policy refuses "
          "it: write it outside the workspace and the writable roots"));
  }
  run.ask_timeout_seconds = req.ask_timeout_seconds;
  // "allow always" writes into the user config that was (or would be) read.
  if (!req.no_config) {
    run.ask_config_file = req.config_file ? *req.config_file : user_config_path(home);
    if (!run.ask_config_file.empty() && !cordon::paths::is_absolute(run.ask_config_file))
      run.ask_config_file = cordon::paths::join(cwd, run.ask_config_file);
  }
  // A worker's is the server's (its own argv has no config options).
  if (req.ask_fd) run.ask_config_file = req.ask_config.value_or("");
  run.tty_rows = req.tty_rows;
  run.tty_columns = req.tty_columns;
  run.review = req.review;
  run.review_all = req.review_all;
  switch (req.command) {
    case cordon::cli::Command::Check: {
      auto report = cordon::platform::check(*policy);
      if (req.json)
        std::cout << cordon::to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
      else
        std::cout << escaped_lines(cordon::to_text(report));
      return report.complete() ? 0 : 1;
    }
    case cordon::cli::Command::Explain: {
      auto report = cordon::platform::explain(*policy, run);
      if (!report) return fail(report.error(), 1);
      if (req.json)
        std::cout << cordon::to_json(*report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
      else
        std::cout << escaped_lines(cordon::to_text(*report));
      return 0;
    }
    case cordon::cli::Command::Run: {
      if (run.argv.empty() && !run.mcp_request)
        return fail(cordon::usage_error("run", "no command given", "cordon run -- CMD [ARGS...]"));
#ifndef __linux__
      if (run.mcp_request)
        return fail(cordon::usage_error("--mcp-request", "is Linux only (internal to cordon mcp)"));
#endif
      if (!run.argv.empty() && run.mcp_request)
        return fail(cordon::usage_error("--mcp-request", "takes no command (internal to cordon mcp)"));
      auto code = cordon::platform::run(*policy, run);
      if (!code) return fail(code.error(), 125);
      // Ends here, without destroying this function's objects: with thousands of
      // --protect or --deny-read paths, the arguments, config layers and policy hold
      // several strings per path, which the exit drops at once (streams are flushed).
      std::exit(*code);
    }
    case cordon::cli::Command::Mcp:
#ifndef _WIN32
      // Only --ask on the server's own command line (the client's config) asks: the user
      // config's `ask = true` is for cordon run's terminal.
      return cordon::server::serve_mcp(
          *policy, {req.mcp_review || req.mcp_review_all, req.mcp_review_all,
                    req.flags.ask && req.flags.ask->value, req.ask_timeout_seconds, run.ask_config_file});
#else
      // The MCP server runs each command through the POSIX runner; Windows needs its own.
      return fail(cordon::usage_error("mcp", "cordon mcp is not available on Windows yet"));
#endif
    default:
      return 2;
  }
}
