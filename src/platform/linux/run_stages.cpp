#include "platform/linux/run_stages.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>

#include "core/defaults.hpp"
#include "core/env_filter.hpp"
#include "core/paths.hpp"
#include "core/secret_filter.hpp"
#include "plan/git_hooks_path.hpp"
#include "plan/plan_digest.hpp"
#include "plan/require.hpp"
#include "platform/linux/fs_probe.hpp"
#include "platform/linux/limits.hpp"
#include "platform/linux/probe.hpp"
#include "platform/linux/proc_tree.hpp"
#include "platform/linux/pty.hpp"
#include "platform/linux/unique_fd.hpp"

extern char** environ;

namespace cordon {
namespace {

std::string home() {
  const char* h = std::getenv("HOME");
  return h ? h : "";
}

// cordon's own config and state: protected (read-only) wherever a writable root
// contains them, so a command cannot widen its next policy or edit the placeholder
// ledger that cordon acts on. So are cordon's own binaries (a build tree or a staged
// copy inside the workspace): a command that replaced them would run outside the
// sandbox the next time cordon starts, or at once as a `cordon mcp` server's next
// worker, which is started by path. Only images that exist now (launcher.cpp looks for
// the init at these same names).
std::vector<std::string> own_paths(const StateDirs& state) {
  std::vector<std::string> own = {state.root};
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string h = home();
  if (xdg && paths::is_absolute(xdg))
    own.push_back(paths::join(xdg, "cordon"));
  else if (!h.empty())
    own.push_back(paths::join(h, ".config/cordon"));
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0 && static_cast<size_t>(n) < sizeof self - 1 && self[0] == '/') {
    const std::string exe(self, static_cast<size_t>(n));
    own.push_back(exe);
    const std::string dir = paths::parent(exe);
    for (const char* rel : {"cordon-init", "../libexec/cordon/cordon-init"}) {
      const std::string init = paths::normalize(paths::join(dir, rel));
      struct stat st {};
      if (::lstat(init.c_str(), &st) == 0 && S_ISREG(st.st_mode)) own.push_back(init);
    }
  }
  return own;
}

// --ask / --learn: the paths never asked about that the home alone does not name
// (DenialRules::never_ask): cordon's own (state, config, binaries), the config "always"
// writes to, and what the user's git and session read where the environment moves it.
std::vector<std::string> never_asked_paths(const Policy& policy, const StateDirs& state,
                                           const platform::RunRequest& request) {
  std::vector<std::string> out = own_paths(state);
  if (paths::is_absolute(request.ask_config_file)) out.push_back(request.ask_config_file);
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string xdg_home = xdg && paths::is_absolute(xdg) ? paths::normalize(xdg) : "";
  const std::string config_prefix = ".config/";
  if (!xdg_home.empty())
    for (const auto& e : defaults::protected_home_entries())
      if (std::string rel = e.path; rel.rfind(config_prefix, 0) == 0)
        out.push_back(paths::join(xdg_home, rel.substr(config_prefix.size())));
  auto env_of = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const git_hooks::ConfigEnv git_env{env_of("GIT_CONFIG_GLOBAL"), env_of("GIT_CONFIG_SYSTEM"),
                                     env_of("GIT_CONFIG_NOSYSTEM")};
  for (const auto& f : git_hooks::base_config_files({"", policy.workspace, home(), xdg_home, git_env}))
    out.push_back(f);
  // A question names the path the object has (links resolved): a ~/.bashrc or ~/.config
  // that links into a dotfiles checkout is asked about, and written, there. So each path
  // of the home's lists is also taken where its links lead (as far as it exists).
  if (const std::string h = home(); paths::is_absolute(h)) {
    std::vector<std::string> rel;
    for (const auto& e : defaults::protected_home_entries()) rel.emplace_back(e.path);
    for (const auto& s : defaults::secret_home_paths()) rel.push_back(s);
    for (const auto& n : defaults::protected_root_names()) rel.push_back(n);
    for (const char* own : {".config/cordon", ".local/bin", "bin", ".local/share/applications"})
      rel.emplace_back(own);
    for (const auto& r : rel) out.push_back(paths::join(h, r));
  }
  // Every directory on the user's PATH: a program written there runs later by its name, in
  // the user's own shells, outside the sandbox (~/.cargo/bin, ~/go/bin, a node prefix).
  if (const char* path = std::getenv("PATH"))
    for (std::string_view rest = path; !rest.empty();) {
      const size_t colon = rest.find(':');
      const std::string dir(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
      if (paths::is_absolute(dir) && paths::normalize(dir) != "/") out.push_back(dir);
    }
  const size_t listed = out.size();
  for (size_t i = 0; i < listed; ++i) {
    const std::string p = paths::normalize(out[i]);
    char real[PATH_MAX];
    std::string existing = p, rest;
    while (existing != "/" && !::realpath(existing.c_str(), real)) {
      rest = rest.empty() ? paths::basename(existing) : paths::join(paths::basename(existing), rest);
      existing = paths::parent(existing);
    }
    if (existing == "/") continue;
    const std::string resolved = rest.empty() ? std::string(real) : paths::join(real, rest);
    if (resolved != p) out.push_back(resolved);
  }
  for (auto& p : out) p = paths::normalize(p);
  return out;
}

// The walk after the run (platform/linux/protected_scan.hpp), pinned before it starts.
DepthScan pin_depth_scan(const Policy& policy, const LinuxPlan& plan) {
  std::vector<std::string> names;
  for (const auto& e : defaults::protected_names_except(policy.unprotect)) names.emplace_back(e.name);
  // The repositories the plan protects: their config (or, --git read-only, all of them).
  std::vector<std::string> gitdirs = plan.gitdirs;
  for (const auto& m : plan.mounts)
    if (m.kind == MountKind::BindReadOnly && m.reason == "--git read-only") gitdirs.push_back(m.target);
  // With the creation broker, every .git file made is recorded and checked by
  // check_new_pointers(); the walk checks them only without it.
  return DepthScan::pin(policy.write_roots(), std::move(names), policy.git != GitMode::Writable,
                        plan.creation_broker ? std::nullopt : std::optional(std::move(gitdirs)));
}

// What the plan protected (or reported as unprotected) before the run.
std::set<std::string> protected_before(const LinuxPlan& plan) {
  std::set<std::string> known;
  for (const auto& m : plan.mounts) known.insert(m.target);
  for (const auto& r : plan.report.rules)
    if (r.category == "protect") known.insert(r.subject);
  return known;
}

std::vector<std::string> sandbox_env(const Policy& policy, const LinuxPlan& plan) {
  std::vector<std::string> in;
  for (char** e = environ; e && *e; ++e) in.emplace_back(*e);
  EnvPolicy env = policy.env;
  if (plan.sandbox != LinuxSandbox::None) {
    if (!plan.tmpdir.empty()) env.set.emplace_back("TMPDIR", plan.tmpdir);
    env.set.emplace_back("CORDON_SANDBOX", "1");
  }
  // The ssh agent, granted by name: the variable that names it is passed through.
  const char* agent = std::getenv("SSH_AUTH_SOCK");
  const auto& granted = policy.net.allow_unix_sockets;
  if (agent && paths::is_absolute(agent) && plan.sandbox != LinuxSandbox::None &&
      std::find(granted.begin(), granted.end(), paths::normalize(agent)) != granted.end())
    env.keep.emplace_back("SSH_AUTH_SOCK");
  const char* java = std::getenv("JAVA_TOOL_OPTIONS");
  for (auto& kv : proxy_environment(plan.net, java ? java : "")) env.set.push_back(std::move(kv));
  return filter_env(in, env).env;
}

std::string sandbox_name(LinuxSandbox s) {
  return s == LinuxSandbox::Namespaces     ? "namespaces"
         : s == LinuxSandbox::LandlockOnly ? "landlock-only"
                                           : "none";
}

}  // namespace

LinuxHostCaps probe_stage(const Policy& policy, ProbeFor purpose) {
  if (purpose == ProbeFor::Explain) return probe_linux_host(true, /*cgroups=*/true);
  return probe_linux_host(
      false, /*cgroups=*/policy.limits.memory_bytes.has_value() || policy.limits.pids.has_value());
}

namespace {

// The masked files that also hold settings (core/secret_filter.hpp), read on the host and
// filtered for the planner. A file that is not a plain regular file (a link, a FIFO), too
// large or unreadable is left out: it stays masked, the safe default.
std::vector<LinuxPlanInputs::FilteredSecret> read_filtered_secrets(const Policy& policy,
                                                                   const std::string& home_dir) {
  std::vector<LinuxPlanInputs::FilteredSecret> out;
  if (home_dir.empty() || home_dir == "/") return out;
  for (const auto& entry : filtered_entries()) {
    const std::string path = paths::join(home_dir, entry.path);
    if (std::find(policy.deny_read.begin(), policy.deny_read.end(), path) == policy.deny_read.end()) continue;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<size_t>(st.st_size) > kMaxFilteredBytes)
      continue;
    std::string text(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::pread(fd.get(), text.data() + got, text.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != text.size()) continue;
    FilteredText filtered = entry.filter(text);
    out.push_back({path, std::move(filtered.text), std::move(filtered.removed)});
  }
  return out;
}

}  // namespace

namespace {

// --review's refusals that need no plan: the kernel (overlayfs in a user namespace, 5.11)
// and the state directory's file system (overlay's upper layer).
Status review_host_check(const LinuxHostCaps& caps, const std::string& state_root) {
  int major = 0, minor = 0;
  if (std::sscanf(caps.kernel.c_str(), "%d.%d", &major, &minor) == 2 &&
      (major < 5 || (major == 5 && minor < 11)))
    return usage_error("--review",
                       "overlayfs in a user namespace needs Linux 5.11 (this kernel: " + caps.kernel + ")",
                       "run without --review");
  struct statfs fs {};
  if (::statfs(state_root.c_str(), &fs) != 0) return os_error("statfs", state_root, errno);
  constexpr long kOverlayMagic = 0x794c7630, kTmpfsMagic = 0x01021994, kNfsMagic = 0x6969,
                 kFuseMagic = 0x65735546;
  const bool old_tmpfs = fs.f_type == kTmpfsMagic && (major < 6 || (major == 6 && minor < 6));
  if (fs.f_type == kOverlayMagic || fs.f_type == kNfsMagic || fs.f_type == kFuseMagic || old_tmpfs)
    return usage_error("--review",
                       "cordon's state directory '" + state_root +
                           "' is on a file system overlay does not accept as an upper layer",
                       "set XDG_STATE_HOME to a directory on ext4, xfs or btrfs (tmpfs from Linux 6.6)");
  return Ok{};
}

// --review-all's refusals, before a change set is made or used: each root other than the
// workspace must be a directory overlay can take as its lower layer, not nested in or
// holding another staged root (two overlays, one the other's lower layer), and must not
// hold cordon's state directory (the upper layer would lie inside the lower one).
Status review_roots_check(const std::string& workspace, const std::vector<std::string>& roots,
                          const std::string& state_root) {
  constexpr long kOverlayMagic = 0x794c7630, kNfsMagic = 0x6969, kFuseMagic = 0x65735546, kSmbMagic = 0x517b,
                 kCifsMagic = static_cast<long>(0xFF534D42), kSmb2Magic = static_cast<long>(0xFE534D42);
  const std::string hint =
      "drop it from --writable, or run without --review-all (it is then written directly)";
  for (const auto& r : roots) {
    struct stat st {};
    if (::stat(r.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return usage_error("--review-all", "cannot stage '" + r + "': not an existing directory", hint);
    // apply pins the root along its whole recorded path without following a link: a path
    // through a link now could never be applied.
    char real[PATH_MAX];
    if (!::realpath(r.c_str(), real) || r != real)
      return usage_error(
          "--review-all", "cannot stage '" + r + "': its path goes through a symbolic link",
          std::string("give it as --writable ") + (::realpath(r.c_str(), real) ? real : "its real path"));
    struct statfs fs {};
    if (::statfs(r.c_str(), &fs) != 0) return os_error("statfs", r, errno);
    const long type = static_cast<long>(fs.f_type);
    if (type == kOverlayMagic || type == kNfsMagic || type == kFuseMagic || type == kSmbMagic ||
        type == kCifsMagic || type == kSmb2Magic)
      return usage_error(
          "--review-all",
          "cannot stage '" + r +
              "': it is on overlayfs, NFS, SMB or FUSE, which overlay cannot use as a lower layer "
              "reliably",
          hint);
    if (paths::is_within(state_root, r))
      return usage_error("--review-all",
                         "cannot stage '" + r + "': it holds cordon's state directory '" + state_root +
                             "', where the change set would be written",
                         hint + "; or set XDG_STATE_HOME outside it");
    std::vector<std::string> others = roots;
    others.push_back(workspace);
    for (const auto& o : others)
      if (o != r && (paths::is_within(o, r) || paths::is_within(r, o)))
        return usage_error("--review-all",
                           "cannot stage '" + r + "': it is nested with '" + o +
                               "' (one overlay would be the other's lower layer)",
                           hint);
  }
  return Ok{};
}

std::string roots_text(const std::vector<std::string>& roots) {
  if (roots.empty()) return "none";
  std::string out;
  for (const auto& r : roots) out += (out.empty() ? "" : ", ") + r;
  return out;
}

// The plan's refusals: only the namespace mode can stage writes, and only with the
// creation broker (the placeholders of the older mechanism are made in the workspace).
Status review_plan_check(const Policy& policy, const LinuxPlan& plan) {
  if (plan.sandbox != LinuxSandbox::Namespaces)
    return usage_error("--review",
                       "needs user and mount namespaces, which this host refuses (Landlock alone cannot "
                       "redirect writes); nothing ran, nothing was written",
                       "see cordon check; run without --review");
  if (!plan.review)
    return usage_error("--review", "needs a writable workspace (--mode read-only writes nothing)", "");
  if (!plan.creation_broker)
    return usage_error("--review",
                       "needs cordon's creation broker (seccomp user notification and openat2, Linux 5.6): "
                       "without it placeholders would be made in the real workspace",
                       "run without --review");
  (void)policy;
  return Ok{};
}

}  // namespace

LinuxPlanInputs plan_inputs(const Policy& policy, const StateDirs& state) {
  LinuxPlanInputs inputs{state.private_tmp, home(), own_paths(state), state.root};
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && paths::is_absolute(xdg))
    inputs.xdg_config_home = paths::normalize(xdg);
  // The caller's own (git outside reads these files), not the sandbox's filtered environment.
  auto env_of = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  inputs.git_config_env = {env_of("GIT_CONFIG_GLOBAL"), env_of("GIT_CONFIG_SYSTEM"),
                           env_of("GIT_CONFIG_NOSYSTEM")};
  if (auto count = env_of("GIT_CONFIG_COUNT")) {
    constexpr long kMaxParameters = 1000;  // bounded; git itself takes any count
    char* end = nullptr;
    const long n = std::strtol(count->c_str(), &end, 10);
    for (long i = 0; end && *end == '\0' && i < std::min(n, kMaxParameters); ++i) {
      auto key = env_of(("GIT_CONFIG_KEY_" + std::to_string(i)).c_str());
      auto value = env_of(("GIT_CONFIG_VALUE_" + std::to_string(i)).c_str());
      if (key && value) inputs.git_config_env.parameters.emplace_back(*key, *value);
    }
  }
  inputs.filtered_secrets = read_filtered_secrets(policy, home());
  return inputs;
}

Result<LinuxPlanInputs> plan_inputs_now(const Policy& policy, unsigned uid) {
  auto state = prepare_state(policy.workspace, home(), uid);
  if (!state) return state.error();
  return plan_inputs(policy, *state);
}

Result<Planned> plan_stage(const Policy& policy, LinuxHostCaps caps, HostListeners listeners,
                           const std::optional<std::string>& review, bool review_all, int ask_timeout_seconds,
                           const FsProbe* disk) {
  Planned p;
  p.caps = std::move(caps);
  auto state = prepare_state(policy.workspace, home(), p.caps.uid);
  if (!state) return state.error();
  p.state = *state;
  if (review) {
    if (auto st = review_host_check(p.caps, p.state.root); !st) return st.error();
    std::vector<std::string> others;  // the writable roots besides the workspace
    for (const auto& r : policy.write_roots())
      if (r != policy.workspace) others.push_back(r);
    std::vector<std::string> staged;
    if (review_all) {
      if (auto st = review_roots_check(policy.workspace, others, p.state.root); !st) return st.error();
      staged = others;
    } else {
      // A root inside the workspace is cloned from the workspace's overlay (mounts.cpp):
      // its writes are staged with the workspace's. The others are written directly.
      for (const auto& r : others)
        if (!paths::is_within(r, policy.workspace)) p.review_direct.push_back(r);
    }
    auto store = ReviewStore::open(p.state.root);
    if (!store) return store.error();
    if (!review->empty() && store->exists(*review)) {
      auto set = store->open_set(*review, ReviewLock::Exclusive);
      if (!set) return set.error();
      if (set->meta.workspace != policy.workspace)
        return usage_error(
            "--review", "change set '" + *review + "' belongs to the workspace '" + set->meta.workspace + "'",
            "run it there, or start a new change set");
      // Chained runs keep one set of staged roots: a root staged before and written
      // directly now (or the reverse) would split one review across the two.
      if (set->meta.roots != staged)
        return usage_error("--review",
                           "change set '" + *review + "' stages the other writable roots: " +
                               roots_text(set->meta.roots) + "; this run would stage: " + roots_text(staged),
                           "run with the same --writable roots and --review-all as before (or without "
                           "--review-all when it staged none), or start a new change set");
      struct stat journal {};
      if (::fstatat(set->pin.fd(), "journal", &journal, AT_SYMLINK_NOFOLLOW) == 0)
        return usage_error("--review", "an apply of change set '" + *review + "' was interrupted",
                           "finish it first: cordon review apply " + *review);
      p.review = std::move(*set);
    } else {
      auto set = store->create(policy.workspace, *review, staged, home());
      if (!set) return set.error();
      p.review = std::move(*set);
      p.review_created = true;
    }
  }
  std::vector<std::string> roots = policy.write_roots();
  roots.push_back(policy.workspace);  // read-only mode has no write roots, still a workspace
  // Before planning: the plan decides which placeholders exist, and no cleaner may
  // remove one between planning and mounting.
  auto guard = PlaceholderGuard::hold(p.state, roots);
  if (!guard) return guard.error();
  p.placeholders = std::move(*guard);
  LinuxPlanInputs inputs = plan_inputs(policy, p.state);
  if (listeners == HostListeners::Bind && plan_needs_host_proxy_ports(policy, p.caps)) {
    auto bound = bind_host_proxy_listeners();
    if (!bound) return bound.error();
    inputs.host_proxy = bound->ports;
    p.host_listeners = std::move(*bound);
  }
  inputs.ask_timeout_seconds = ask_timeout_seconds;
  if (p.review) {
    inputs.review_upper = p.review->upper;
    inputs.review_work = p.review->work;
    for (size_t i = 0; i < p.review->meta.roots.size(); ++i) {
      const std::string layer = p.review->dir + "/roots/" + std::to_string(i + 1);
      inputs.review_roots.push_back({p.review->meta.roots[i], layer + "/upper", layer + "/work"});
    }
  }
  const RealFsProbe real;
  auto plan = plan_linux(policy, p.caps, disk ? *disk : real, inputs);
  if (!plan) {
    if (p.review) print_lines(cleanup_stage(std::move(p)));
    return plan.error();
  }
  p.plan = std::move(*plan);
  p.inputs = std::move(inputs);
  if (p.review)
    if (auto st = review_plan_check(policy, p.plan); !st) {
      print_lines(cleanup_stage(std::move(p)));
      return st.error();
    }
  return p;
}

Result<Required> require_stage(const Policy& policy, const LinuxPlan& plan) {
  std::vector<Loss> losses;
  for (const auto& l : plan.limits.losses) losses.push_back({"resource limits", l, ""});
  if (auto st = require_enforceable(losses, policy.best_effort); !st) return st.error();
  Required r;
  for (const auto& l : plan.limits.losses) {
    r.warnings.push_back("warning: " + l);
    r.degradations.push_back({{"name", "resource limits"}, {"detail", l}});
  }
  return r;
}

Result<Compiled> compile_stage(const Policy& policy, const platform::RunRequest& request,
                               const Planned& planned) {
  Compiled c;
  const LinuxPlan& plan = planned.plan;
  c.env = sandbox_env(policy, plan);
  // --ask and --learn act through the creation broker: the namespace mode with seccomp
  // user notification and openat2. Anywhere else they would change nothing: refused.
  if (request.ask != platform::AskMode::Off && !plan.creation_broker) {
    const char* opt = request.ask == platform::AskMode::Learn ? "--learn" : "--ask";
    std::string why = plan.sandbox != LinuxSandbox::Namespaces ? "the sandbox runs without namespaces here"
                      : !planned.caps.seccomp                  ? "seccomp is unavailable"
                      : !planned.caps.openat2                  ? "openat2 is unavailable (Linux < 5.6)"
                                                               : "the creation broker is off for this mode";
    return usage_error(opt, "cannot work on this host: " + why,
                       "it needs user namespaces, seccomp user notification and openat2 (Linux >= 5.6)");
  }
  // With --tty never a standard stream may be the user's terminal itself, inside: the
  // command could then write to the prompt's terminal and make it answer (TIOCSTI, a
  // query whose reply is typed into the input). Only the command's own pty keeps it out.
  if (request.ask == platform::AskMode::Terminal && request.tty == platform::TtyMode::Never &&
      (::isatty(STDIN_FILENO) == 1 || ::isatty(STDOUT_FILENO) == 1 || ::isatty(STDERR_FILENO) == 1))
    return usage_error("--ask", "cannot ask with --tty never while a standard stream is a terminal",
                       "the command would hold the terminal the question is asked on: drop --tty never");
  c.ask.mode = request.ask;
  c.ask.timeout_seconds = request.ask_timeout_seconds;
  c.ask.config_file = request.ask_config_file;
  c.ask.channel_fd = request.ask_fd.value_or(-1);
  if (plan.sandbox == LinuxSandbox::None || !planned.caps.seccomp) return c;
  auto deny_list = plan.seccomp;
  // The supervisor: the broker's calls always, the denial recorder's when reporting.
  c.denial_rules = denial_rules(policy, plan, home());
  c.denial_rules.ask = request.ask != platform::AskMode::Off;
  if (c.denial_rules.ask) c.denial_rules.never_ask = never_asked_paths(policy, planned.state, request);
  auto w = supervisor_compile(deny_list, c.denial_rules, request.report_denials);
  if (!w) return w.error();
  if (w->needed()) {
    c.supervisor = std::move(*w);
    deny_list = c.supervisor->deny_list;
  }
  auto p = seccomp_compile(deny_list);
  if (!p) return p.error();
  c.seccomp = std::move(*p);
  return c;
}

Result<Acquired> acquire_stage(const Policy& policy, Planned& planned, const Compiled& compiled) {
  Acquired a;
  const LinuxPlan& plan = planned.plan;
  const bool sandboxed = plan.sandbox != LinuxSandbox::None;
  // The per-run cgroup: removed by cleanup_stage().
  if (plan.limits.cgroup.any() && sandboxed) {
    auto g = RunCgroup::create(plan.limits.cgroup);
    if (!g) return g.error();
    a.cgroup.emplace(std::move(*g));
  }
  if (policy.limits.pids && sandboxed) a.ceiling.emplace(*policy.limits.pids);
  if (auto st = planned.placeholders.create(plan.placeholders); !st) return st.error();
  if (plan.net.proxied) {
    auto started = start_proxy_for(policy, plan.net, std::move(planned.host_listeners), a.warnings);
    if (!started) return started.error();
    a.proxy = std::move(*started);
  }
  if (compiled.supervisor) {
    a.supervisor = std::make_unique<Supervisor>(compiled.denial_rules, *compiled.supervisor);
    if (auto st = a.supervisor->prepare(); !st) return st.error();
    if (plan.net.proxied && !plan.net.on_host && plan.new_netns) {
      std::vector<std::string> said;  // the proxy said them already
      auto options = proxy_options_for(policy, said);
      if (!options) return options.error();
      a.direct = std::make_unique<DirectRoute>(std::move(*options));
      a.supervisor->set_direct_route(a.direct.get());
    }
    if (compiled.ask.mode != platform::AskMode::Off) {
      if (auto st = a.supervisor->enable_ask(compiled.ask); !st) return st.error();
      if (compiled.ask.mode == platform::AskMode::Terminal) pty_relay_may_pause();
      // Hosts not on the allowlist are asked about by the proxy and the name server, on
      // threads of theirs (the gate holds one question at a time). Their threads may
      // outlive the supervisor: the gate is shared, and cancelled when the run ends.
      auto ask_host = [gate = a.supervisor->ask_gate()](const std::string& host, uint16_t port,
                                                        const char* via) {
        AskQuestion q;
        q.kind = AskKind::Host;
        q.operation = port ? "connect" : "resolve";
        q.path = host;
        q.port = port;
        q.via = via;
        return gate->decide(q, [] { return true; });  // bounded by the timeout and the run's end
      };
      if (a.proxy) a.proxy->set_ask(ask_host);
      if (a.direct) a.direct->set_ask(ask_host);
    }
    for (const auto& w : a.supervisor->warnings()) a.warnings.push_back("warning: " + w);
    // On a terminal the first refusal of each kind is said at once (a command that
    // retries for minutes shows why now, not at the end); the end still summarises.
    // With a pty the line joins the relayed output, so it never overtakes what the
    // command wrote before the refused call.
    if (::isatty(STDERR_FILENO) == 1)
      a.supervisor->on_denial([said = std::set<std::string>()](const Denial& d) mutable {
        if (expected_refusal(d) || !said.insert(d.operation + "\n" + d.rule).second) return;
        const std::string line = to_text(d) + " (while running; the first of its kind)";
        if (!pty_relay_say(line)) print_lines({line});
      });
  }
  a.git_pins = pin_git_roots(plan.git_watch);
  if (sandboxed && policy.git != GitMode::Writable)
    a.gitdir_pins = pin_existing_gitdirs(plan.gitdirs, plan.creation_broker);
  if (plan.creation_broker && policy.git != GitMode::Writable)
    a.pointer_roots = pin_git_roots(policy.write_roots());
  if (sandboxed) a.depth_scan = pin_depth_scan(policy, plan);
  return a;
}

Result<LaunchResult> launch_stage(const Policy& policy, const platform::RunRequest& request,
                                  const Planned& planned, const Compiled& compiled, Acquired& acquired) {
  const LinuxPlan& plan = planned.plan;
  LaunchSpec spec{&plan,
                  request.argv,
                  compiled.env,
                  request.cwd,
                  policy.limits.timeout_seconds,
                  planned.caps.uid,
                  planned.caps.gid,
                  compiled.seccomp ? &*compiled.seccomp : nullptr,
                  plan.limits.rlimits.count ? &plan.limits.rlimits : nullptr};
  spec.request_on_stdin = request.mcp_request;
  if (acquired.cgroup) {
    RunCgroup* group = &*acquired.cgroup;
    spec.cgroup = &group->join();
    spec.kill_tree = [group] { group->kill(); };
  }
  if (acquired.ceiling) {
    const bool cgroup_pids = acquired.cgroup && plan.limits.cgroup.pids_max;
    const bool counted =
        plan.sandbox == LinuxSandbox::Namespaces && *policy.limits.pids >= kMinCountedPidsCeiling;
    spec.limit_watch = [&acquired, cgroup_pids, counted](double elapsed, int child) {
      if (cgroup_pids) {
        auto current = acquired.cgroup->pids_current();
        return current && acquired.ceiling->sample(elapsed, *current,
                                                   acquired.cgroup->events().pids_refused.value_or(0));
      }
      // RLIMIT_NPROC: refusals are invisible outside; the count in the pid namespace is not.
      // Without refusals to go by, a small limit is too easily reached by an ordinary
      // pipeline: the count alone decides only from kMinCountedPidsCeiling up.
      if (!counted) return false;
      return acquired.ceiling->sample(elapsed, count_process_tree(child), std::nullopt);
    };
  }
  if (acquired.proxy) {
    if (!plan.net.on_host) spec.net_child_fd = acquired.proxy->child_fd();
    spec.after_clone = [p = acquired.proxy.get()] { p->after_clone(); };
  }
  if (request.plan_digest_fd) {
    // cordon mcp compares this with a plan made when a call arrives (runner.cpp): the
    // plan is final once it leaves the planner; written right after the clone, when the
    // sandbox exists. Formatted before the clone.
    const std::string line = std::string(plan.sandbox == LinuxSandbox::Namespaces ? "ns " : "landlock ") +
                             plan_digest(plan) + "\n";
    spec.after_clone = [before = spec.after_clone, fd = *request.plan_digest_fd, line] {
      if (before) before();
      ssize_t ignored = ::write(fd, line.data(), line.size());  // a pipe: one short write
      (void)ignored;
      ::close(fd);
    };
  }
  if (acquired.supervisor) spec.supervisor = acquired.supervisor.get();
  // --tty (pty.hpp). An MCP worker's stdin carries its request: never the pty's.
  std::optional<PtyPlan> pty = plan_pty(request.tty, winsize{request.tty_rows, request.tty_columns, 0, 0});
  if (pty && request.mcp_request) {
    pty->on[0] = false;
    pty->input_fd = -1;
    pty->raw = pty->input_is_terminal = false;
    if (pty->ctty_fd() < 0) pty.reset();
  }
  if (pty) spec.pty = &*pty;
  return launch(spec);
}

Collected collect_stage(Acquired& acquired, const Planned& planned, DenialReporting report_denials) {
  Collected c;
  if (acquired.proxy) c.refused = acquired.proxy->finish();
  for (const auto& pin : acquired.git_pins) c.new_repositories.push_back(neutralise_new_repository(pin));
  // The broker's record of .git files first: a worktree's is judged with the commondir it
  // was made with, before a changed commondir is moved away below.
  if (acquired.supervisor && !acquired.pointer_roots.empty())
    c.existing_repositories.push_back(check_new_pointers(
        acquired.pointer_roots, acquired.supervisor->new_git_pointers(), planned.plan.gitdirs));
  for (const auto& pin : acquired.gitdir_pins)
    c.existing_repositories.push_back(remove_new_pointers(pin, planned.plan.gitdirs));
  if (planned.review) {
    // The change set as the command left it (the sandbox is gone: nothing writes it now),
    // and the base of every path it touched first in this run, root by staged root.
    if (auto layers = read_layers(*planned.review); !layers) {
      c.review_errors.push_back("the change set could not be read: " + layers.error().message());
    } else {
      for (const auto& l : *layers)
        if (auto st = record_base(l.layer.dir, l.changes, l.lower.get()); !st)
          c.review_errors.push_back("the change set's base was not recorded: " + st.error().message());
      c.review = shown_changes(*layers);
    }
  }
  auto found = acquired.depth_scan.scan(protected_before(planned.plan));
  c.appeared_at_depth = std::move(found.appeared);
  for (auto& repair : found.gitdirs) c.new_repositories.push_back(std::move(repair));
  if (acquired.supervisor) {
    c.grants = acquired.supervisor->grants();
    c.denials = acquired.supervisor->log().entries();
    c.denials_truncated = acquired.supervisor->log().truncated();
    c.denials_reported = acquired.supervisor->active() && report_denials != DenialReporting::Off;
    c.every_denial = report_denials == DenialReporting::Full;
    c.supervisor_absent = !acquired.supervisor->active();
  }
  rusage usage{};  // every process of the sandbox was reaped by its init, then init by us
  if (::getrusage(RUSAGE_CHILDREN, &usage) == 0)
    c.peak_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  if (acquired.cgroup) {
    c.cgroup_events = acquired.cgroup->events();
    for (const char* name : {"memory", "pids"})
      if (auto dir = acquired.cgroup->dir_for(name); !dir.empty()) c.cgroup_dirs[name] = dir;
  }
  return c;
}

void describe_plan(const LinuxPlan& plan, RunResult& out) {
  out.sandbox = sandbox_name(plan.sandbox);
  out.guarantees = guarantees_json(plan.report);
  out.limits = plan.limits.report;
}

namespace {

// The guarantees the supervisor's brokers provide, reported as degraded when it had no
// listener (the run went on only under --best-effort): never as held.
void without_supervisor(const LinuxPlan& plan, std::vector<Guarantee>& guarantees, RunResult& out) {
  const std::string why = "no seccomp listener (another supervisor holds the only one): ";
  for (auto& g : guarantees) {
    std::string lost;
    if (g.name == "protected paths" && !plan.refused_creations.empty())
      lost = why + "the absent protected paths could be created";
    else if (g.name == "host services (unix sockets)")
      lost = why + "connect() reached every unix socket the sandbox can see";
    if (lost.empty() || g.state != GuaranteeState::Enforced) continue;
    g.state = GuaranteeState::Degraded;
    g.detail = lost;
    g.fix = "run cordon outside the other supervisor";
    for (auto& j : out.guarantees)
      if (j.is_object() && j.value("name", "") == g.name) {
        j["state"] = to_string(g.state);
        j["detail"] = g.detail;
        j["fix"] = g.fix;
      }
  }
}

}  // namespace

Summary summarize_stage(const Policy& policy, const Planned& planned, const LaunchResult& result,
                        const Collected& collected, RunResult& out) {
  const LinuxPlan& plan = planned.plan;
  std::vector<std::string>& notes = out.notes;
  RunFacts facts;
  if (result.cwd_failed)
    facts.cwd_failed = std::make_pair(result.exec_arg, result.exec_errno);
  else if (result.exec_failed)
    facts.exec_failed = std::make_pair(result.exec_arg, result.exec_errno);
  facts.proxy_refused_total = collected.refused.size();
  facts.proxy_refusals = summarize_refusals(collected.refused);
  for (const auto& repair : collected.new_repositories) {
    for (const auto& done : repair.done) {
      facts.git_notes.push_back(done);
      notes.push_back(done);
    }
    for (const auto& warning : repair.warnings) {
      facts.git_warnings.push_back(warning);
      notes.push_back("warning: " + warning);
    }
  }
  // In a repository that existed before: something the command did on purpose, said loudly.
  for (const auto& repair : collected.existing_repositories) {
    for (const auto& done : repair.done) {
      facts.git_warnings.push_back(done);
      notes.push_back("warning: " + done);
    }
    for (const auto& warning : repair.warnings) {
      facts.git_warnings.push_back(warning);
      notes.push_back("warning: " + warning);
    }
  }
  for (const auto& path : collected.appeared_at_depth) {
    const std::string w =
        std::string("a protected name appeared below the top of a writable root during the run (") +
        (plan.creation_broker ? "past cordon's creation broker" : "not prevented there") +
        "): review it before opening a tool in that directory: " + path;
    facts.git_warnings.push_back(w);
    notes.push_back("warning: " + w);
  }
  facts.guarantees = plan.report.guarantees;
  if (collected.supervisor_absent) without_supervisor(plan, facts.guarantees, out);
  facts.best_effort = policy.best_effort;
  for (const auto& g : facts.guarantees)
    if (g.state == GuaranteeState::Degraded || g.state == GuaranteeState::Missing)
      out.degradations.push_back({{"name", g.name}, {"state", to_string(g.state)}, {"detail", g.detail}});
  facts.denials = collected.denials;
  facts.denials_truncated = collected.denials_truncated;
  if (result.timed_out) facts.timed_out_after = *policy.limits.timeout_seconds;
  for (const auto& r : plan.report.rules)
    if (r.category == "filter-read")
      notes.push_back(r.subject + ": the command sees its settings without the secret entries (" + r.reason +
                      ")");
  facts.command_succeeded = result.exit_code == 0 && !result.exec_failed && !result.timed_out;
  facts.every_denial = collected.every_denial;
  if (result.stop_killed) {
    const std::string asked = result.stop_signal == SIGHUP ? "SIGHUP" : "SIGTERM";
    char grace[32];
    std::snprintf(grace, sizeof grace, "%.3g", kStopGraceSeconds);
    facts.stop_killed = result.stop_second_signal
                            ? "a second signal after " + asked + ": the whole process tree was killed at once"
                            : "still running " + std::string(grace) + " s after " + asked +
                                  ": the whole process tree was killed";
    notes.push_back(*facts.stop_killed);
  }

  out.exit_code = result.exit_code;
  out.signal = result.signal;
  out.timed_out = result.timed_out;
  out.exec_failed = result.exec_failed;
  out.duration_ms = result.duration_ms;
  LimitsEvidence evidence{result.exit_code, result.signal, result.timed_out, collected.peak_rss_bytes};
  evidence.pids_ceiling_killed = result.limit_killed;
  if (collected.cgroup_events) {
    const CgroupEvents& ev = *collected.cgroup_events;
    if (plan.limits.cgroup.memory_bytes) evidence.memory_oom_kills = ev.memory_oom_kills.value_or(0);
    if (plan.limits.cgroup.pids_max) evidence.pids_refused = ev.pids_refused.value_or(0);
    for (const auto& [name, dir] : collected.cgroup_dirs.items())
      if (out.limits.contains(name)) out.limits[name]["cgroup"] = dir;
  }
  out.limits_hit = limits_hit(policy.limits, evidence);
  for (const auto& name : out.limits_hit) {
    const std::string text = limit_hit_text(name, evidence);
    facts.limits_exceeded.push_back(text);
    if (out.limits.contains(name)) {
      out.limits[name]["hit"] = true;
      out.limits[name]["evidence"] = text;
    }
  }
  // The kernel refused something, but the command coped (a shell whose fork failed, a
  // build that retried): not the classification, but the report says the limit was reached.
  auto reached = [&](const char* name, std::optional<uint64_t> count, const char* what) {
    if (!count || *count == 0 || !out.limits.contains(name) || out.limits[name].contains("hit")) return;
    const std::string text =
        std::string(name) + " (" + std::to_string(*count) + " " + what + "; the command carried on)";
    facts.limits_reached.push_back(text);
    out.limits[name]["hit"] = true;
    out.limits[name]["evidence"] = text;
  };
  if (!result.timed_out) {
    reached("memory", evidence.memory_oom_kills, "OOM kills");
    reached("pids", evidence.pids_refused, "forks refused");
  }
  if (result.timed_out && policy.limits.pids)
    notes.push_back("timed out with --pids " + std::to_string(*policy.limits.pids) + " in force (" +
                    plan.limits.report["pids"]["mechanism"].get<std::string>() + ")");
  Summary s;
  s.lines = summarize_run(facts);
  if (planned.review) {
    for (const auto& e : collected.review_errors) s.lines.push_back("warning: review: " + e);
    if (collected.review) {
      for (auto& l : summary_lines(planned.review->meta.id, *collected.review, planned.review->meta.roots,
                                   planned.review_direct))
        s.lines.push_back(std::move(l));
      nlohmann::json counts = nlohmann::json::object();
      for (const auto& c : collected.review->changes) {
        const char* k = to_string(c.kind);
        counts[k] = counts.value(k, 0) + 1;
      }
      nlohmann::json staged = nlohmann::json::array({planned.review->meta.workspace});
      for (const auto& r : planned.review->meta.roots) staged.push_back(r);
      out.review = {{"id", planned.review->meta.id},
                    {"workspace", planned.review->meta.workspace},
                    {"staged_roots", staged},
                    {"direct_roots", planned.review_direct},
                    {"counts", counts},
                    {"truncated", collected.review->truncated}};
      out.notes.push_back("review " + planned.review->meta.id + ": " +
                          std::to_string(collected.review->changes.size()) + " changes staged");
    }
  }
  out.denials = collected.denials;
  out.grants = collected.grants;
  out.denials_truncated = collected.denials_truncated;
  out.denials_reported = collected.denials_reported;
  // Connections the proxy refused join the denials: operation "connect", address host:port.
  for (const auto& r : collected.refused) {
    Denial d;
    d.operation = "connect";
    d.address = r.address();
    d.rule = "network proxy: " + r.reason;
    d.suggestion = r.suggestion;
    out.denials.push_back(std::move(d));
  }
  return s;
}

namespace {

// Supervisors stopped by cleanup_stage(), released by the process's exit (see there). A
// stopped one touches nothing else of the run's (its direct route, its programs) again.
// Never destroyed: the kernel closes their descriptors at exit as their destructors
// would, and their memory (the denial rules: a few strings per protected path, thousands
// with many --protect paths) goes with the process instead of one allocation at a time.
std::vector<std::unique_ptr<Supervisor>>& supervisors_released_at_exit() {
  static auto* held = new std::vector<std::unique_ptr<Supervisor>>();
  return *held;
}

// release_at_exit(): never destroyed either.
struct ReleasedAtExit {
  std::vector<LinuxPlan> plans;
  std::vector<Compiled> compiled;
};
ReleasedAtExit& released_at_exit() {
  static auto* held = new ReleasedAtExit();
  return *held;
}

}  // namespace

std::vector<std::string> cleanup_stage(Acquired acquired, Planned planned) {
  std::vector<std::string> failures;
  acquired.git_pins.clear();
  acquired.gitdir_pins.clear();
  acquired.pointer_roots.clear();
  if (acquired.proxy) acquired.proxy->finish();  // joined (collect_stage stopped it already, if it ran)
  acquired.proxy.reset();
  if (acquired.supervisor) {
    // Stopped (by launch(); again here, a no-op then), but released only by the exit: its
    // descriptors (the broker's pins, the sandbox's mount table) are the last references
    // to the sandbox's mount namespace, and releasing them tears it down (an RCU grace
    // period: 0.3 to 8 ms measured under load). Done after the result is out, cordon mcp's
    // worker answers its call first (the server does not wait for the worker's exit).
    acquired.supervisor->stop();
    supervisors_released_at_exit().push_back(std::move(acquired.supervisor));
  }
  if (acquired.cgroup) {
    if (auto st = acquired.cgroup->remove(); !st)
      for (auto& line : split_lines("warning: " + st.error().message())) failures.push_back(std::move(line));
    acquired.cgroup.reset();
  }
  // Nothing of the run's reads the plan any more (proxy joined, supervisor stopped).
  released_at_exit().plans.push_back(std::move(planned.plan));
  for (auto& line : cleanup_stage(std::move(planned))) failures.push_back(std::move(line));
  return failures;
}

void release_at_exit(Compiled compiled) {
  released_at_exit().compiled.push_back(std::move(compiled));
}

std::vector<std::string> cleanup_stage(Planned planned) {
  std::vector<std::string> failures;
  if (planned.review && planned.review_created) {
    // A change set this run made and left empty (nothing ran, or nothing was written) is
    // not kept: `cordon review list` shows only sets with something to review.
    bool empty = true;
    if (auto layers = review_layers(*planned.review)) {
      for (const auto& l : *layers) {
        UniqueFd upper(openat2_beneath(l.dir.fd(), "upper", O_RDONLY | O_DIRECTORY, 0));
        empty = empty && upper.valid() && tree_is_empty(upper.get());
      }
    } else {
      empty = false;
    }
    auto store = ReviewStore::open(planned.state.root);
    if (empty && store)
      if (auto st = store->remove(*planned.review); !st)
        failures.push_back("warning: " + st.error().message());
  }
  planned.review.reset();          // its lock released
  planned.host_listeners.reset();  // never handed to a proxy: closed
  planned.placeholders.release();  // no run may mount them once every hold is gone
  return failures;
}

}  // namespace cordon
