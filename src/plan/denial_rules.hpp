// cordon: which operations the sandbox will refuse, why, and the smallest option
// that would allow each one. Pure (no system calls), so it is table-tested.
//
//   DenialRules rules = denial_rules(policy, plan, home);           // once, before the run
//   if (auto d = classify(rules, Operation::Create, "/home/u/.npm/x"))
//     log.add(*d);   // {"create", "/home/u/.npm/x", "outside the writable roots", "--writable ~/.npm"}
//
// The supervisor (platform/linux/supervisor.cpp) sees a call before the kernel runs
// it and asks this classifier whether the kernel layers (mounts, Landlock, seccomp)
// will refuse it; only predicted refusals are recorded. Paths are as the sandbox sees
// them, lexically normalised; symbolic links are not followed, so a write through a
// link that leaves (or enters) a writable root is classified by the link's own path.
// The record is advisory: it never decides enforcement.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "core/result.hpp"
#include "plan/linux_planner.hpp"

namespace cordon {

// How much the run watches (`cordon run --report-denials`).
enum class DenialReporting {
  Off,
  On,    // writes, creates, deletes, renames, links; sockets refused by --net off
  Full,  // also reads of masked secrets: every open() is watched (slower)
};
std::optional<DenialReporting> parse_denial_reporting(const std::string& s);

enum class Operation {
  Write,    // open an existing file for writing, truncate
  Create,   // create a file, directory, device, symlink or hard link
  Delete,   // unlink, rmdir
  Rename,   // either end of a rename
  Read,     // read a masked secret
  Network,  // a socket the network policy refuses
  Connect,  // a TCP connect the network policy refuses (proxied network on the host)
  Listen,   // a TCP listen (proxied network on the host)
  Send,     // a datagram sent to a unix socket path the broker refuses
};

const char* to_string(Operation op);

// One refused operation: cordon::Denial from core/result.hpp (network denials fill
// `address` instead of `path`).

// "denied write /x (outside the writable roots) — allow with --writable /"
std::string to_text(const Denial& d);

// The plan, reduced to what classification needs (paths as the sandbox sees them).
struct DenialRules {
  Mode mode = Mode::WorkspaceWrite;
  bool network_off = true;
  // Proxied network without user namespaces: TCP connects reach only these ports on
  // loopback (the proxy's, once bound, and --allow-localhost); other addresses are refused.
  bool proxy_on_host = false;
  std::vector<uint16_t> loopback_ports;
  std::string home;  // for "~/..." in suggestions; may be empty
  std::string workspace;
  std::vector<std::string> write_roots;   // policy roots, then temp, /dev/shm, private runtime dirs
  std::vector<std::string> policy_roots;  // the workspace and --writable roots only
  std::string host_tmp_note;              // why /tmp is not writable ("" when it is)
  struct Carve {
    std::string path;
    std::string rule;
    std::string suggestion;
  };
  std::vector<Carve> read_only;              // protected paths: the path and everything below
  std::vector<Carve> pinned;                 // cannot be renamed or removed (the path itself)
  std::vector<std::string> masked;           // secrets (deny-read)
  std::vector<std::string> hidden;           // cordon's own state (no option reopens it)
  std::vector<std::string> read_exceptions;  // --allow-read inside a masked directory
  // Unix sockets (platform/linux/broker.hpp): every connect() is brokered when the run is
  // sandboxed; a pathname socket is reached only if it was made in this run or granted.
  bool broker_connect = false;
  bool own_netns = false;        // the sandbox's own network namespace (abstract names are its own)
  bool abstract_scoped = false;  // without one: Landlock scopes abstract sockets (ABI >= 6)
  bool best_effort = false;      // run unbrokered where the listener cannot be installed
  std::vector<std::string> allowed_unix_sockets;  // --allow-unix-socket, as named on the host
  // Absent protected paths the creation broker refuses to make (platform/linux/create_broker.hpp).
  std::vector<std::string> refuse_create;
  // Protected names the creation broker refuses below the top of the policy roots (the
  // workspace and --writable roots): path is the name, rule and suggestion as reported.
  std::vector<Carve> refuse_names;
  // Protected git config files (read-only binds): a rename of git's lock file over one
  // is checked by content and written by the creation broker (platform/linux/create_broker.hpp).
  std::vector<std::string> git_configs;
  // Every git directory that existed at the start in a writable root: names made or
  // written in them are held to git's everyday data (core/git_layout.hpp).
  std::vector<std::string> gitdirs;
  // `.git` pointer files the creation broker keeps from being written (LinuxPlan::
  // guarded_pointers): by the file's inode, whatever name reaches it.
  std::vector<std::string> guarded_files;
  // The creation broker holds names in git directories to core/git_layout.hpp (namespace
  // mode with the broker, and --git other than writable).
  bool git_checks = false;
  // cordon run --ask / --learn: the creation broker runs (namespace mode) and also takes
  // unlink, unlinkat and rmdir, so that a refused write, create, delete or rename can be
  // asked about (platform/linux/ask.hpp).
  bool ask = false;
  // --ask / --learn: paths never asked about besides the fixed lists of plan/ask_rules.cpp,
  // where the environment put them: cordon's own config (`$XDG_CONFIG_HOME/cordon`,
  // `--config FILE`), binaries and state, and the user's git and session configuration
  // under $XDG_CONFIG_HOME or GIT_CONFIG_GLOBAL. The path and everything below it.
  std::vector<std::string> never_ask;
  // The files the user added to --deny-read (not a default secret, cordon's state, a host
  // IPC mask), each masked by a mount of its own: with --ask or --learn a plain read open
  // is routed to the creation broker, and one that lands on such a mask may be asked
  // about (platform/linux/create_broker.hpp).
  std::vector<std::string> asked_reads;
  // The directories the user added to --deny-read, each masked by an empty tmpfs: a read of
  // a regular file below one may be asked about likewise (the file copied from the real
  // directory, never the directory itself).
  std::vector<std::string> asked_read_dirs;
  bool asks_reads() const { return ask && (!asked_reads.empty() || !asked_read_dirs.empty()); }
};

// Namespaces and LandlockOnly plans; an unsandboxed plan gives rules that refuse nothing.
// `home` only shortens suggestions ("~/.npm").
DenialRules denial_rules(const Policy& policy, const LinuxPlan& plan, const std::string& home);

// A filesystem operation on `path` (absolute; others are not classified). Paths under
// /proc, /sys and /dev are not classified: refusals there are the kernel's, not the
// policy's, and no option changes them. `creates_directory`: mkdir (a suggested
// writable root must exist, so creating it is named as a step).
std::optional<Denial> classify(const DenialRules& rules, Operation op, const std::string& path,
                               bool creates_directory = false);

// A network operation the policy refuses: `what` is the address, or the socket
// ("socket(AF_INET, SOCK_STREAM)") when it is refused before any address is known.
std::optional<Denial> classify_network(const DenialRules& rules, const std::string& what);

// A TCP/IP connect to `address` ("1.2.3.4" or "::1") port `port` in the proxied network
// on the host: refused (with the rule and a suggestion) unless it is loopback and the
// port is one the plan allows. Nothing when the plan is not proxy_on_host.
std::optional<Denial> classify_connect(const DenialRules& rules, const std::string& address, bool loopback,
                                       uint16_t port);

// listen() on a TCP socket in the proxied network on the host (it would open a port on
// the host's interfaces); nothing in other modes.
std::optional<Denial> classify_listen(const DenialRules& rules);

// A unix socket address as connect() reads it: `len` bytes of a sockaddr_un.
struct UnixAddress {
  enum class Kind { Invalid, Unnamed, Abstract, Path };
  Kind kind = Kind::Invalid;
  std::string name;  // the path, or the abstract name without its leading NUL
};
// As the kernel does (unix_validate_addr, unix_mkname_bsd): the path ends at the first
// NUL or at `len`; Invalid when the family is not AF_UNIX or `len` is out of range.
UnixAddress parse_unix_address(const void* bytes, size_t len);

// The --allow-unix-socket grant that `path` (absolute, as the sandbox named it, before
// any link is followed) names lexically, or -1.
int unix_socket_grant(const DenialRules& rules, const std::string& path);

// connect() (or, with Operation::Send, a datagram sent) to the pathname socket `path`
// that is neither granted nor made in this run.
Denial unix_socket_denial(const std::string& path, Operation op = Operation::Connect);

// A bounded, de-duplicated list of denials (first seen first).
class DenialLog {
 public:
  explicit DenialLog(size_t limit = 64) : limit_(limit) {}
  void add(Denial d);
  const std::vector<Denial>& entries() const { return entries_; }
  bool truncated() const { return truncated_; }
  // Called with each new entry as it is added (the live report on a terminal).
  void on_new(std::function<void(const Denial&)> f) { on_new_ = std::move(f); }

 private:
  std::function<void(const Denial&)> on_new_;
  size_t limit_;
  std::vector<Denial> entries_;
  bool truncated_ = false;
};

// [{"operation", "path", "rule", "suggestion"}, ...]
nlohmann::json to_json(const DenialLog& log);

}  // namespace cordon
