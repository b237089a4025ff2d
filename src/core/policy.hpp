// cordon: the one policy model.
//
// Every front end (CLI flags, config files, the agent server) fills a PolicyLayer;
// resolve() merges layers in order (defaults < user config < project config < flags),
// validates them and produces the typed Policy that every platform planner consumes:
//
//   PolicyLayer flags = ...;                       // from CLI11
//   auto files = load_config_layers(...);          // from TOML (core/config.hpp)
//   Result<Policy> p = resolve({files..., flags}, ctx);
//   LinuxPlan plan = plan_linux(*p, caps, fs);     // plan/linux_planner.hpp
//
// Paths in a Policy are absolute, lexically normalised strings in the target
// platform's syntax ("/home/a/x" or "C:\\Users\\a\\x"), so the Windows planner is
// testable on Linux. Pure data: no system calls here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cordon {

enum class Mode { ReadOnly, WorkspaceWrite, FullAccess };
enum class TmpMode { Private, Host, None };
// How much of .git is writable: ReadOnly (all of it), ConfigOnly (hooks and config
// protected; objects, refs and index writable), Writable (nothing protected).
enum class GitMode { ReadOnly, ConfigOnly, Writable };
// Whether the command gets a pseudo-terminal of its own (Linux: platform/linux/pty.hpp;
// Windows: a pseudoconsole): when one of cordon's standard streams is a terminal, always,
// or never.
enum class TtyMode { Auto, Always, Never };
// Proxy: a private network namespace whose only way out is cordon's proxy, which
// enforces the domain allowlist (docs/network.md).
enum class NetMode { Off, On, Proxy };

// Where a setting came from, for error messages and `explain`.
struct Origin {
  std::string source;            // "default", "--writable", "/home/a/.config/cordon/config.toml"
  int line = 0;                  // 0 when not from a file
  std::string describe() const;  // "file:line" or "--flag"
};

template <class T>
struct Sourced {
  T value{};
  Origin origin;
};

struct NetworkPolicy {
  NetMode mode = NetMode::Off;
  std::vector<std::string> allow_domains;  // normalised patterns (core/domain_pattern.hpp)
  std::vector<std::string> deny_domains;
  std::vector<uint16_t> allow_localhost_ports;  // host loopback ports reachable from inside
  // Exact names (normalised, also in allow_domains) whose private or reserved addresses
  // pass the proxy's SSRF guard (a corporate registry); cloud metadata stays refused.
  std::vector<std::string> allow_private_hosts;
  // Pathname unix sockets made outside the run that the command may connect to (a grant:
  // the ssh agent). Absolute, as named on the host; connects are brokered by cordon.
  std::vector<std::string> allow_unix_sockets;
};

struct EnvPolicy {
  bool filter_secrets = true;                            // drop *TOKEN*, *SECRET*, ... (core/env_filter)
  std::vector<std::string> keep;                         // exact names kept even if they look secret
  std::vector<std::string> drop_patterns;                // extra glob patterns to drop
  std::vector<std::pair<std::string, std::string>> set;  // explicit NAME=VALUE
};

struct LimitsPolicy {
  std::optional<double> timeout_seconds;
  // Resource limits (core/limits.hpp); unset means no limit.
  std::optional<uint64_t> memory_bytes;
  std::optional<uint64_t> pids;
  std::optional<double> cpu_seconds;
  std::optional<uint64_t> max_output_bytes;  // captured output per stream (cordon mcp)
};

// One partial source of settings. Unset optionals and empty vectors mean "no opinion".
struct PolicyLayer {
  Origin origin;
  // A project config (<workspace>/.cordon/config.toml, which a cloned repository can
  // ship) may only narrow what the layers before it allow: resolve() rejects a
  // scalar that is wider than the value it would replace.
  bool narrow_only = false;
  std::optional<Sourced<Mode>> mode;
  std::optional<Sourced<std::string>> workspace;
  std::vector<Sourced<std::string>> writable;
  std::optional<Sourced<TmpMode>> tmp;
  std::optional<Sourced<GitMode>> git;
  std::vector<Sourced<std::string>> protect;
  std::vector<Sourced<std::string>> unprotect;  // names dropped from the built-in protected list
  std::vector<Sourced<std::string>> deny_read;
  std::vector<Sourced<std::string>> allow_read;
  std::optional<Sourced<NetMode>> net;
  std::vector<Sourced<std::string>> allow_domains;  // patterns, validated by resolve()
  std::vector<Sourced<std::string>> deny_domains;
  std::vector<Sourced<std::string>> allow_localhost;     // port numbers as text, validated by resolve()
  std::vector<Sourced<std::string>> allow_private_host;  // exact names, validated by resolve()
  std::vector<Sourced<std::string>> allow_unix_socket;   // paths (--allow-unix-socket)
  std::vector<Sourced<std::string>> env_keep;
  std::vector<Sourced<std::string>> env_drop;
  std::optional<Sourced<double>> timeout;
  std::optional<Sourced<uint64_t>> memory;      // [limits] memory / --memory
  std::optional<Sourced<uint64_t>> pids;        // [limits] pids / --pids
  std::optional<Sourced<double>> cpu_time;      // [limits] cpu_time / --cpu-time
  std::optional<Sourced<uint64_t>> max_output;  // [limits] max_output / --max-output
  std::optional<Sourced<bool>> best_effort;
  std::optional<Sourced<TtyMode>> tty;  // tty / --tty
  std::optional<Sourced<bool>> ask;     // ask / --ask
};

struct Policy {
  Mode mode = Mode::WorkspaceWrite;
  std::string workspace;              // absolute
  std::vector<std::string> writable;  // extra writable roots, absolute (not the workspace)
  TmpMode tmp = TmpMode::Private;
  GitMode git = GitMode::ConfigOnly;
  std::vector<std::string> protect;  // extra protected paths, absolute
  // Built-in protected names (defaults::protected_name_entries) left writable, by name.
  std::vector<std::string> unprotect;
  std::vector<std::string> deny_read;   // secrets: defaults + --deny-read - --allow-read
  std::vector<std::string> allow_read;  // explicit exceptions (kept for explain)
  // The deny_read entries the user added (--deny-read, filesystem.deny_read) that neither
  // are nor lie within nor hold a default secret: the only reads --ask may ask about.
  std::vector<std::string> user_deny_read;
  NetworkPolicy net;
  EnvPolicy env;
  LimitsPolicy limits;
  bool best_effort = false;  // run even if a guarantee cannot be enforced
  // cordon run only: `cordon mcp` takes it from each call's `tty` argument (pipes unless).
  TtyMode tty = TtyMode::Auto;
  // cordon run only (--ask, or `ask = true` in the user config): ask on cordon's terminal
  // before refusing an askable operation. Never for a `cordon mcp` worker (runner.cpp).
  bool ask = false;

  // All roots the sandbox may write: workspace first, then --writable roots
  // (empty in read-only mode). Does not include temp.
  std::vector<std::string> write_roots() const;
};

// Host facts the resolver needs; filled by the front end, faked in tests.
struct ResolveContext {
  std::string cwd;   // absolute
  std::string home;  // absolute, may be empty ($HOME)
  // Returns true when the path exists and is a directory (after symlinks).
  bool (*is_dir)(const std::string& path) = nullptr;
  // The account's home from the password database, when it differs from `home`: a caller
  // (or a project's .env read by an agent) can move $HOME, and the secrets in the real
  // home must stay masked all the same.
  std::string account_home = {};
  // cordon runs as root: the files only root can read (defaults::secret_system_entries)
  // are masked too. For anyone else the kernel refuses them already, and masking them
  // would cost Landlock a rule per sibling (every entry of /etc) for nothing.
  bool as_root = false;
};

const char* to_string(Mode m);
const char* to_string(TmpMode m);
const char* to_string(GitMode m);
const char* to_string(NetMode m);
const char* to_string(TtyMode m);
std::optional<Mode> parse_mode(const std::string& s);
std::optional<TmpMode> parse_tmp(const std::string& s);
std::optional<GitMode> parse_git(const std::string& s);
std::optional<NetMode> parse_net(const std::string& s);
std::optional<TtyMode> parse_tty(const std::string& s);

}  // namespace cordon
