// cordon: the built-in lists (secrets, protected names, secret-looking env names).
// Data tables, so the planners and the docs share one source.
#pragma once

#include <string>
#include <vector>

namespace cordon::defaults {

// Secrets unreadable by default, relative to $HOME. Missing entries are ignored.
const std::vector<std::string>& secret_home_paths();

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
