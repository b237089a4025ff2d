#include "core/defaults.hpp"

namespace cordon::defaults {

// Each entry: a path relative to the home directory, and why it is a secret. Credentials
// only: a file that mixes ordinary settings with a token is listed when the token is its
// usual content (composer's auth.json), not when settings are (pip.conf, .m2/settings.xml).
const std::vector<SecretEntry>& secret_home_entries() {
  static const std::vector<SecretEntry> entries = {
      // keys and signing
      {".ssh", "ssh private keys"},
      {".gnupg", "gpg private keys"},
      {".password-store", "pass, the password manager"},
      {".config/sops/age", "age keys used by sops"},
      // cloud command-line tools
      {".aws", "AWS CLI credentials"},
      {".azure", "Azure CLI tokens"},
      {".config/gcloud", "Google Cloud CLI credentials"},
      {".kube", "Kubernetes cluster credentials"},
      {".oci", "Oracle Cloud CLI keys"},
      {".config/doctl", "DigitalOcean CLI token"},
      {".config/hcloud", "Hetzner Cloud CLI token"},
      {".config/linode-cli", "Linode CLI token"},
      {".fly", "fly.io access token"},
      {".config/vercel", "Vercel CLI token"},
      {".local/share/com.vercel.cli", "Vercel CLI token"},
      {".config/netlify", "Netlify CLI token"},
      {".wrangler", "Cloudflare wrangler token"},
      {".config/.wrangler", "Cloudflare wrangler token"},
      {".terraform.d/credentials.tfrc.json", "Terraform Cloud token"},
      {".terraformrc", "Terraform CLI credentials blocks"},
      {".vault-token", "HashiCorp Vault token"},
      {".s3cfg", "s3cmd keys"},
      {".boto", "boto / gsutil keys"},
      {".config/rclone/rclone.conf", "rclone remotes' keys"},
      {".databrickscfg", "Databricks tokens"},
      // git hosts and git's own credential stores
      {".git-credentials", "git credential store"},
      {".config/git/credentials", "git credential store (XDG location)"},
      {".netrc", "logins for git, curl and ftp"},
      {".config/gh", "GitHub CLI token"},
      {".config/hub", "hub token"},
      {".config/glab-cli", "GitLab CLI token"},
      {".config/tea", "Gitea CLI token"},
      // package registries
      {".npmrc", "npm registry tokens"},
      {".pypirc", "PyPI upload tokens"},
      {".cargo/credentials", "crates.io token"},
      {".cargo/credentials.toml", "crates.io token"},
      {".gem/credentials", "RubyGems API key"},
      {".composer/auth.json", "Composer registry tokens"},
      {".config/composer/auth.json", "Composer registry tokens"},
      {".docker/config.json", "container registry logins"},
      {".config/containers/auth.json", "podman/buildah registry logins"},
      {".config/jfrog", "JFrog CLI tokens"},
      // databases
      {".pgpass", "PostgreSQL passwords"},
      {".my.cnf", "MySQL client password"},
      {".mylogin.cnf", "MySQL login paths"},
      // the coding agents' own logins
      {".claude/.credentials.json", "Claude Code login"},
      {".codex/auth.json", "Codex login"},
      {".gemini/oauth_creds.json", "Gemini CLI login"},
      {".config/github-copilot", "GitHub Copilot tokens"},
      {".config/op", "1Password CLI sessions"},
      {".config/Bitwarden CLI", "Bitwarden CLI vault"},
      // keyrings
      {".local/share/keyrings", "GNOME keyring"},
      {".gnome2/keyrings", "GNOME keyring (old location)"},
      {".pki", "NSS certificate and key databases"},
      // shell and REPL histories (commands typed with passwords and tokens)
      {".bash_history", "shell history"},
      {".zsh_history", "shell history"},
      {".local/share/fish/fish_history", "shell history"},
      {".psql_history", "psql history"},
      {".mysql_history", "mysql history"},
      // browser profiles (cookies, saved passwords)
      {".mozilla", "Firefox profiles"},
      {".config/google-chrome", "Chrome profiles"},
      {".config/chromium", "Chromium profiles"},
      {".config/BraveSoftware", "Brave profiles"},
      {".config/microsoft-edge", "Edge profiles"},
      {".var/app/org.mozilla.firefox", "Firefox (Flatpak) profiles"},
      {".var/app/com.google.Chrome", "Chrome (Flatpak) profiles"}};
  return entries;
}

const std::vector<std::string>& secret_home_paths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> out;
    for (const auto& e : secret_home_entries()) out.emplace_back(e.path);
    return out;
  }();
  return paths;
}

// Readable only by root: a user's cordon cannot read them anyway, and a root cordon
// must not hand them to the command. Masked whenever they exist.
const std::vector<SecretEntry>& secret_system_entries() {
  static const std::vector<SecretEntry> entries = {
      {"/etc/shadow", "password hashes"},
      {"/etc/shadow-", "password hashes (backup)"},
      {"/etc/gshadow", "group password hashes"},
      {"/etc/gshadow-", "group password hashes (backup)"},
      {"/etc/sudoers", "sudo policy"},
      {"/etc/sudoers.d", "sudo policy"},
      {"/etc/ssh/ssh_host_rsa_key", "the host's ssh identity"},
      {"/etc/ssh/ssh_host_ecdsa_key", "the host's ssh identity"},
      {"/etc/ssh/ssh_host_ed25519_key", "the host's ssh identity"},
      {"/etc/ssl/private", "TLS private keys"},
      {"/etc/security/opasswd", "old password hashes"}};
  return entries;
}

const std::vector<std::string>& host_ipc_paths() {
  static const std::vector<std::string> paths = {
      "/run/user/{uid}",  // D-Bus session bus, systemd --user, gpg/ssh agents
      "/run/docker.sock", "/var/run/docker.sock", "/run/containerd/containerd.sock",
      "/run/podman/podman.sock"};
  return paths;
}

const std::vector<std::string>& protected_root_names() {
  static const std::vector<std::string> names = {".cordon", ".codex",  ".claude", ".agents",
                                                 ".cursor", ".vscode", ".idea"};
  return names;
}

const std::vector<std::string>& secret_env_patterns() {
  static const std::vector<std::string> patterns = {"*TOKEN*",
                                                    "*SECRET*",
                                                    "*PASSWORD*",
                                                    "*PASSWD*",
                                                    "*_KEY",
                                                    "*_KEY_*",
                                                    "*APIKEY*",
                                                    "*API_KEY*",
                                                    "*CREDENTIAL*",
                                                    "*PRIVATE*",
                                                    "AWS_*",
                                                    "AZURE_*",
                                                    "GOOGLE_APPLICATION_CREDENTIALS",
                                                    "GH_*",
                                                    "GITHUB_*",
                                                    "GITLAB_*",
                                                    "NPM_*AUTH*",
                                                    "OPENAI_*",
                                                    "ANTHROPIC_*",
                                                    "SSH_AUTH_SOCK",
                                                    "GPG_AGENT_INFO",
                                                    "DBUS_SESSION_BUS_ADDRESS",
                                                    "KUBECONFIG",
                                                    "VAULT_*",
                                                    "DOCKER_AUTH_CONFIG"};
  return patterns;
}

}  // namespace cordon::defaults
