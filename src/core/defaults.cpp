#include "core/defaults.hpp"

namespace cordon::defaults {

const std::vector<std::string>& secret_home_paths() {
  static const std::vector<std::string> paths = {
      // keys and credentials
      ".ssh", ".gnupg", ".aws", ".azure", ".config/gcloud", ".kube", ".docker/config.json", ".netrc",
      ".git-credentials", ".config/gh", ".npmrc", ".pypirc", ".config/hub", ".cargo/credentials",
      ".cargo/credentials.toml", ".gem/credentials", ".terraform.d/credentials.tfrc.json", ".vault-token",
      ".password-store",
      // keyrings
      ".local/share/keyrings", ".gnome2/keyrings", ".pki",
      // browser profiles (cookies, saved passwords)
      ".mozilla", ".config/google-chrome", ".config/chromium", ".config/BraveSoftware",
      ".config/microsoft-edge", ".var/app/org.mozilla.firefox", ".var/app/com.google.Chrome"};
  return paths;
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
