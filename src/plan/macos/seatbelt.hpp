// cordon (macOS plan): Policy + host facts -> a Seatbelt profile and its parameters.
//
//   MacHost host = ...;                           // probed on macOS, simulated in tests
//   Result<MacPlan> plan = plan_macos(policy, host);
//   argv = plan->sandbox_exec_argv(command);      // /usr/bin/sandbox-exec -p ... -D... -- cmd
//
// The profile follows the same guarantees as the Linux and Windows planners:
//  - (deny default), then a small base that normal tools need (process creation, signals
//    and process info only inside the sandbox, ptys, /dev/null, POSIX semaphores for
//    Python multiprocessing, the directory-service lookups libc needs);
//  - reads everywhere except the secret paths (policy.deny_read, plus macOS keychains,
//    cookies and browser profiles under the home directory);
//  - writes only under the write roots and the private temp, never under a protected path
//    (.git parts per GitMode, agent and editor config dirs, --protect, cordon's own state);
//    because Seatbelt matches paths, a protected path that does not exist yet cannot be
//    created either (no placeholder needed, unlike Linux and Windows). The directories
//    between a root and a protected path are pinned as literals, so `mv .git .git2` cannot
//    move a protected path out from under its rule;
//  - network: off (deny default covers sockets), on, or only cordon's proxy ports and the
//    --allow-localhost ports on loopback.
// Every path reaches the profile as a -D parameter, never spliced into the Scheme text, so
// quotes, spaces or parentheses in a path cannot change the profile. Paths are canonical
// (the caller resolves /var -> /private/var, /tmp -> /private/tmp): Seatbelt matches the
// resolved path.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"

namespace cordon::mac {

enum class PathKind { Missing, File, Dir };

struct MacHost {
  std::string home;                   // absolute, canonical; may be empty
  std::string state_dir;              // cordon's state (~/Library/Application Support/cordon), protected
  std::string private_tmp;            // per-run temp cordon creates (TmpMode::Private), canonical
  std::string host_tmp;               // $TMPDIR of the caller (TmpMode::Host), canonical
  std::string cache_dir;              // DARWIN_USER_CACHE_DIR, writable when the network is on (TLS caches)
  std::vector<uint16_t> proxy_ports;  // cordon's HTTP then SOCKS5 proxy on loopback (NetMode::Proxy)
  // Canonical form of a path (realpath of the longest existing prefix); identity in tests.
  std::function<std::string(const std::string&)> canonical;
  // What is at a path (lstat); tells a .git directory from a worktree's .git file.
  std::function<PathKind(const std::string&)> kind;
};

struct MacPlan {
  bool unsandboxed = false;                                 // full-access mode: run the command directly
  std::string profile;                                      // SBPL; paths only as (param "...")
  std::vector<std::pair<std::string, std::string>> params;  // -DKEY=VALUE, in order
  std::vector<std::pair<std::string, std::string>> env;     // set in the child
  std::vector<std::string> notes;                           // what explain prints

  // /usr/bin/sandbox-exec (absolute: no PATH lookup) -p PROFILE -DK=V ... -- command...
  std::vector<std::string> sandbox_exec_argv(const std::vector<std::string>& command) const;
  // The value of a parameter, or "" (for tests and explain).
  std::string param(const std::string& key) const;
};

// Secrets specific to macOS, relative to $HOME (added to policy.deny_read).
const std::vector<std::string>& macos_secret_home_paths();

[[nodiscard]] Result<MacPlan> plan_macos(const Policy& policy, const MacHost& host);

}  // namespace cordon::mac
