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
      {"/etc/security/opasswd", "old password hashes"},
      {"/var/backups/shadow.bak", "password hashes (Debian's daily backup)"},
      {"/var/backups/gshadow.bak", "group password hashes (Debian's daily backup)"}};
  return entries;
}

const std::vector<std::string>& host_ipc_paths() {
  static const std::vector<std::string> paths = {
      "/run/user/{uid}",  // D-Bus session bus, systemd --user, gpg/ssh agents
      "/run/docker.sock", "/var/run/docker.sock", "/run/containerd/containerd.sock",
      "/run/podman/podman.sock"};
  return paths;
}

// The criterion: a tool on the developer's machine executes the content, or obeys it as
// configuration that runs commands or grants permissions, without a further decision by
// the user. Whole directories are listed where a tool keeps settings, hooks and MCP
// servers side by side; plain instruction files are not (excluded_name_entries()).
const std::vector<ProtectedName>& protected_name_entries() {
  static const std::vector<ProtectedName> entries = {
      // cordon itself
      {".cordon", true, "cordon", "the project config: the policy of every later run here"},
      // coding agents
      {".claude", true, "Claude Code",
       "settings.json hooks run shell commands; permission rules pre-approve commands; commands, agents"},
      {".mcp.json", false, "Claude Code",
       "starts the MCP servers it names (commands), automatically once project servers are enabled"},
      {".codex", true, "Codex", "config.toml: MCP servers (commands), sandbox and approval settings"},
      {".agents", true, "Codex and other agents", "skills: instructions and scripts the agent runs"},
      {".gemini", true, "Gemini CLI", "settings.json: MCP servers (commands), tool discovery commands"},
      {".cursor", true, "Cursor", "hooks.json runs shell commands; mcp.json starts MCP servers; rules"},
      {".windsurf", true, "Windsurf", "hooks.json runs shell commands around Cascade's actions; rules"},
      {".continue", true, "Continue", "config and mcpServers: MCP servers (commands), slash commands"},
      {".roo", true, "Roo Code", "mcp.json starts MCP servers; modes and rules"},
      {".kilocode", true, "Kilo Code", "mcp.json starts MCP servers; rules and workflows"},
      {".clinerules", true, "Cline", "hooks run shell commands; rules and workflows"},
      {".amazonq", true, "Amazon Q Developer", "mcp.json starts MCP servers; rules"},
      {".kiro", true, "Kiro", "hooks run commands on file events; settings/mcp.json starts MCP servers"},
      {".opencode", true, "opencode", "plugins/ (JavaScript loaded at start), opencode.json MCP servers"},
      {"opencode.json", false, "opencode", "MCP servers (commands) and plugins loaded at start"},
      {"opencode.jsonc", false, "opencode", "MCP servers (commands) and plugins loaded at start"},
      {".aider.conf.yml", false, "aider", "lint-cmd and test-cmd run after every edit"},
      // editors and IDEs
      {".vscode", true, "VS Code and its forks",
       "tasks.json runs on folder open; settings.json names interpreters, terminals, tools; mcp.json"},
      {".idea", true, "JetBrains IDEs", "run configurations, external tools and startup tasks"},
      {".zed", true, "Zed", "settings.json names language servers and tools; tasks.json"},
      {".devcontainer", true, "Dev Containers (VS Code, devcontainer CLI)",
       "initializeCommand runs on the host; the container's build and lifecycle commands"},
      {".devcontainer.json", false, "Dev Containers (VS Code, devcontainer CLI)",
       "initializeCommand runs on the host; the container's build and lifecycle commands"},
      // shells and environment managers
      {".envrc", false, "direnv",
       "bash code run in the user's shell on cd (without asking under a direnv.toml whitelist)"},
      {"mise.toml", false, "mise", "enter hooks, env sourcing and tasks run on cd once the path is trusted"},
      {".mise.toml", false, "mise", "enter hooks, env sourcing and tasks run on cd once the path is trusted"},
      {".tool-versions", false, "asdf, mise",
       "a path:DIR version makes the shims run binaries from DIR, without a trust prompt"},
      // git hook managers (their hooks run on the next commit, push or checkout)
      {".husky", true, "husky", "the hook scripts core.hooksPath points git at"},
      {".pre-commit-config.yaml", false, "pre-commit", "local hooks run any command on the next commit"},
      {"lefthook.yml", false, "lefthook", "commands run by the installed git hooks"},
      {".lefthook.yml", false, "lefthook", "commands run by the installed git hooks"},
  };
  return entries;
}

const std::vector<ExcludedName>& excluded_name_entries() {
  static const std::vector<ExcludedName> entries = {
      {"AGENTS.md, CLAUDE.md, GEMINI.md, .cursorrules, .github/copilot-instructions.md",
       "instructions in prose: the agent still asks before acting, under the settings protected above; "
       "agents are routinely asked to write them (/init)"},
      {".github/workflows, .gitlab-ci.yml",
       "run on a CI service, not on the developer's machine, and only after the user pushes"},
      {".nvmrc, .node-version, .python-version, .ruby-version",
       "a version name, installed from the tool's own source; pyenv refuses paths since 2.3.3 "
       "(CVE-2022-35861)"},
      {".env", "data, loaded by the project's own code; direnv loads it only from a protected .envrc"},
      {".npmrc, .cargo/config.toml, Makefile, package.json",
       "configure a build that the user chooses to run, and which runs project code anyway"},
      {".venv, node_modules", "the project's environment, which the command legitimately builds"},
      {".exrc, .vimrc, .nvim.lua",
       "Vim's 'exrc' is off by default; Neovim asks before running a new or changed file"},
      {".dir-locals.el", "Emacs asks before applying unsafe local variables"},
      {".githooks and other core.hooksPath directories",
       "not a fixed name: protected under **Git** below wherever core.hooksPath points (husky's "
       "conventional .husky is listed here too)"},
  };
  return entries;
}

const std::vector<std::string>& protected_root_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& e : protected_name_entries()) out.emplace_back(e.name);
    return out;
  }();
  return names;
}

const std::vector<std::string>& depth_walk_skipped_names() {
  static const std::vector<std::string> names = {
      ".git",        ".cache",        "node_modules", "__pycache__", ".venv",   ".tox", ".nox",
      ".mypy_cache", ".pytest_cache", ".ruff_cache",  ".gradle",     ".direnv", ".npm", ".pnpm-store",
      ".yarn",       ".cargo",        ".rustup",      ".m2",         ".bun",    ".deno"};
  return names;
}

bool in_depth_walk_skipped(const std::string& path) {
  const auto& names = depth_walk_skipped_names();
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string component = path.substr(start, end - start);
    for (const auto& n : names)
      if (component == n) return true;
    start = end + 1;
  }
  return false;
}

std::vector<ProtectedName> protected_names_except(const std::vector<std::string>& removed) {
  std::vector<ProtectedName> out;
  for (const auto& e : protected_name_entries()) {
    bool gone = false;
    for (const auto& r : removed) gone = gone || r == e.name;
    if (!gone) out.push_back(e);
  }
  return out;
}

// Code the user's login shell, desktop session or git runs later with the user's rights.
const std::vector<HomeEntry>& protected_home_entries() {
  static const std::vector<HomeEntry> entries = {
      {".profile", false, "login shells (sh, bash, dash)"},
      {".bash_profile", false, "bash login shells"},
      {".bash_login", false, "bash login shells"},
      {".bashrc", false, "interactive bash"},
      {".bash_aliases", false, "interactive bash (Debian's and Ubuntu's ~/.bashrc sources it)"},
      {".bashrc.d", true, "interactive bash (Fedora's ~/.bashrc sources every file in it)"},
      {".bash_logout", false, "bash on logout"},
      {".zshenv", false, "every zsh"},
      {".zprofile", false, "zsh login shells"},
      {".zshrc", false, "interactive zsh"},
      {".zlogin", false, "zsh login shells"},
      {".zlogout", false, "zsh on logout"},
      {".config/fish", true, "fish (config.fish, conf.d, functions)"},
      {".inputrc", false, "readline key bindings (can type commands)"},
      {".xprofile", false, "X session start"},
      {".xsessionrc", false, "X session start (Debian)"},
      {".pam_environment", false, "login environment (LD_PRELOAD, PATH)"},
      {".config/environment.d", true, "systemd user environment (LD_PRELOAD, PATH)"},
      {".config/autostart", true, "desktop session autostart entries"},
      {".config/systemd/user", true, "systemd user units"},
      {".local/share/systemd/user", true, "systemd user units (the $XDG_DATA_HOME location)"},
      {".gitconfig", false, "git config (core.fsmonitor, hooksPath, aliases, filters run code)"},
      {".config/git", true, "git config, attributes and ignore (XDG location)"},
      // On PATH ahead of the system's directories (Debian's ~/.profile puts them first when
      // they exist): a `git` or `ls` planted there runs instead of the real one.
      {".local/bin", true, "on PATH before /usr/bin (a planted program runs instead of the system's)"},
      {"bin", true, "on PATH before /usr/bin (a planted program runs instead of the system's)"},
      // Editors: their user configuration and plugins are code they run at start.
      {".vimrc", false, "Vim at start"},
      {".vim", true, "Vim plugins and ftplugins"},
      {".config/nvim", true, "Neovim at start (init.lua, plugins)"},
      {".emacs", false, "Emacs at start"},
      {".emacs.d", true, "Emacs at start (init.el, packages)"},
      {".config/emacs", true, "Emacs at start (XDG location)"},
      {".config/Code/User", true, "VS Code user settings and tasks (terminal profiles run programs)"},
      {".config/VSCodium/User", true, "VSCodium user settings and tasks"},
      {".config/Cursor/User", true, "Cursor user settings and tasks"},
      // Tools that run commands from their configuration on their own.
      {".tmux.conf", false, "tmux at start (run-shell, if-shell)"},
      {".config/tmux", true, "tmux at start (XDG location)"},
      {".direnvrc", false, "direnv, before every .envrc"},
      {".config/direnv", true, "direnv, before every .envrc (direnvrc, lib)"},
      {".npmrc", false, "npm (script-shell, node-options --require run programs)"},
      {".ipython", true, "IPython startup scripts and config (Python code)"},
      {".jupyter", true, "Jupyter config (Python code)"},
      {".irbrc", false, "irb at start (Ruby code)"},
      {".pryrc", false, "pry at start (Ruby code)"},
      {".Rprofile", false, "R at start (R code)"},
  };
  return entries;
}

// Names that the vendor prefixes above (AWS_*, AZURE_*, GH_*, GITHUB_*, GITLAB_*, OPENAI_*,
// ANTHROPIC_*, VAULT_*) would drop, documented by those tools as settings, not secrets:
// regions, endpoints, profile names, CA bundles, file paths, CI run facts. Exact names
// only, so a new credential variable under a prefix stays dropped until it is known. A
// path (AWS_SHARED_CREDENTIALS_FILE) names a file the mounts mask when it is a secret.
const std::vector<std::string>& non_secret_env_names() {
  static const std::vector<std::string> names = {
      // AWS CLI and SDKs
      "AWS_CA_BUNDLE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
      "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_DEFAULT_OUTPUT", "AWS_PAGER",
      "AWS_CLI_AUTO_PROMPT", "AWS_ENDPOINT_URL", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
      "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_SDK_LOAD_CONFIG", "AWS_STS_REGIONAL_ENDPOINTS",
      "AWS_EC2_METADATA_DISABLED", "AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV",
      "AWS_NODEJS_CONNECTION_REUSE_ENABLED",
      // Azure CLI
      "AZURE_CONFIG_DIR", "AZURE_CORE_OUTPUT", "AZURE_CORE_COLLECT_TELEMETRY", "AZURE_DEFAULTS_LOCATION",
      "AZURE_DEFAULTS_GROUP", "AZURE_EXTENSION_DIR",
      // GitHub CLI and GitHub Actions' run facts (the job's token is GITHUB_TOKEN, still dropped)
      "GH_HOST", "GH_REPO", "GH_PAGER", "GH_EDITOR", "GH_BROWSER", "GH_PROMPT_DISABLED",
      "GH_NO_UPDATE_NOTIFIER", "GH_CONFIG_DIR", "GH_DEBUG", "GITHUB_ACTIONS", "GITHUB_WORKSPACE",
      "GITHUB_REPOSITORY", "GITHUB_REPOSITORY_OWNER", "GITHUB_SHA", "GITHUB_REF", "GITHUB_REF_NAME",
      "GITHUB_REF_TYPE", "GITHUB_HEAD_REF", "GITHUB_BASE_REF", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH",
      "GITHUB_RUN_ID", "GITHUB_RUN_NUMBER", "GITHUB_RUN_ATTEMPT", "GITHUB_JOB", "GITHUB_WORKFLOW",
      "GITHUB_ACTION", "GITHUB_ACTOR", "GITHUB_SERVER_URL", "GITHUB_API_URL", "GITHUB_GRAPHQL_URL",
      "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_STATE",
      // GitLab CI run facts (CI_JOB_TOKEN is not under these prefixes and matches *TOKEN*)
      "GITLAB_CI", "GITLAB_USER_LOGIN", "GITLAB_USER_NAME", "GITLAB_FEATURES",
      // OpenAI and Anthropic SDKs: where to connect, not what to send
      "OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_ORG_ID", "OPENAI_ORGANIZATION", "OPENAI_PROJECT_ID",
      "OPENAI_API_TYPE", "OPENAI_API_VERSION", "OPENAI_LOG", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL",
      "ANTHROPIC_LOG",
      // HashiCorp Vault: where it is, not how to log in (VAULT_TOKEN stays dropped)
      "VAULT_ADDR", "VAULT_CACERT", "VAULT_CAPATH", "VAULT_NAMESPACE", "VAULT_SKIP_VERIFY", "VAULT_FORMAT",
      // matched by a word pattern, yet a setting
      "TOKENIZERS_PARALLELISM", "PASSWORD_STORE_DIR", "GCM_CREDENTIAL_STORE"};
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
