// cordon: the built-in lists (secrets, protected names, secret-looking env names).
// Data tables, so the planners and the docs share one source.
#pragma once

#include <string>
#include <vector>

namespace cordon::defaults {

struct SecretEntry {
  const char* path;  // relative to $HOME, or absolute for the system list
  const char* why;   // what it holds (docs/policy.md lists the same table)
};

// Secrets unreadable by default, relative to $HOME. Missing entries are ignored.
const std::vector<SecretEntry>& secret_home_entries();
const std::vector<std::string>& secret_home_paths();  // the paths of secret_home_entries()

// Files outside the home that only root can read (password hashes, sudo policy, host
// keys): unreadable inside even when cordon runs as root. Absolute; missing ignored.
const std::vector<SecretEntry>& secret_system_entries();

// Host IPC endpoints that would let a sandboxed process act outside the sandbox
// (systemd --user, the D-Bus session bus, ssh-agent, docker). Masked like secrets.
// Absolute; "{uid}" is replaced with the invoking uid.
const std::vector<std::string>& host_ipc_paths();

// A name whose content a tool on the developer's machine executes or obeys without a
// further decision by the user (on opening the folder, on `cd`, on the next commit, on
// the agent's next start). Protected read-only at the top of every writable root (absent:
// creation blocked) and, where it exists when a run starts, at any depth.
struct ProtectedName {
  const char* name;
  bool directory;       // an absent one is blocked with an empty directory (else an empty file)
  const char* read_by;  // which tool reads it
  const char* why;      // what it executes or obeys (docs/policy.md lists the same table)
};

// Names considered and left out on purpose, with the reason (documented beside the list).
struct ExcludedName {
  const char* name;
  const char* why;
};

const std::vector<ProtectedName>& protected_name_entries();
const std::vector<ExcludedName>& excluded_name_entries();

// The names of protected_name_entries() (besides the git entries that depend on GitMode).
const std::vector<std::string>& protected_root_names();

// Directories the search for protected names at depth does not enter: git's own (its
// protection is separate) and tool-managed caches and environments nobody opens a tool in.
const std::vector<std::string>& depth_walk_skipped_names();
// True when a component of the absolute `path` is one of those names: a writable root
// inside a tool cache (--writable ~/.cache/go-build, ~/.npm) is not searched either.
bool in_depth_walk_skipped(const std::string& path);

// protected_name_entries() without the names in `removed` (--unprotect).
std::vector<ProtectedName> protected_names_except(const std::vector<std::string>& removed);

// Paths relative to $HOME that stay read-only (absent: creation blocked) whenever a
// writable root contains them (--writable ~, --writable ~/.config): code the user's
// shell, session or git runs later. cordon's own config is added by the platform.
struct HomeEntry {
  const char* path;  // relative to $HOME
  bool directory;    // an absent one is blocked with an empty directory (else an empty file)
  const char* why;   // what runs it (docs/policy.md lists the same table)
};
const std::vector<HomeEntry>& protected_home_entries();

// Environment variable name patterns dropped by default (glob, case-insensitive).
const std::vector<std::string>& secret_env_patterns();
// Exact names (case-insensitive) that those patterns match but that hold settings, not
// secrets (AWS_CA_BUNDLE, AWS_REGION, GITHUB_ACTIONS, VAULT_ADDR): kept.
const std::vector<std::string>& non_secret_env_names();

}  // namespace cordon::defaults
