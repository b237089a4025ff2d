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

// Names protected (read-only, creation blocked) at the top of every writable root,
// besides the git entries that depend on GitMode.
const std::vector<std::string>& protected_root_names();

// Environment variable name patterns dropped by default (glob, case-insensitive).
const std::vector<std::string>& secret_env_patterns();

}  // namespace cordon::defaults
