// cordon: the Linux backend behind src/platform/platform.hpp.
// policy -> probe -> plan (plan/linux_planner) -> apply (launcher) -> report.
#include "platform/platform.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "core/env_filter.hpp"
#include "core/paths.hpp"
#include "core/result.hpp"
#include "plan/limits_plan.hpp"
#include "plan/linux_planner.hpp"
#include "plan/plan_digest.hpp"
#include "plan/require.hpp"
#include "plan/run_summary.hpp"
#include "platform/linux/apparmor.hpp"
#include "platform/linux/cgroup.hpp"
#include "platform/linux/fs_probe.hpp"
#include "platform/linux/git_guard.hpp"
#include "platform/linux/launcher.hpp"
#include "platform/linux/limits.hpp"
#include "platform/linux/pinned_fs.hpp"
#include "platform/linux/probe.hpp"
#include "platform/linux/proxy.hpp"
#include "platform/linux/seccomp.hpp"
#include "platform/linux/state.hpp"
#include "platform/linux/supervisor.hpp"
#include "platform/linux/unique_fd.hpp"

extern char** environ;

namespace cordon::platform {
namespace {

std::string home_of(const Policy&) {
  const char* h = std::getenv("HOME");
  return h ? h : "";
}

struct Prepared {
  LinuxHostCaps caps;
  StateDirs state;
  PlaceholderGuard placeholders;  // held from before planning until the run ends
  LinuxPlan plan;
};

// cordon's own config and state: protected (read-only) wherever a writable root
// contains them, so a command cannot widen its next policy or edit the placeholder
// ledger that cordon acts on.
std::vector<std::string> own_paths(const Policy& policy, const StateDirs& state) {
  std::vector<std::string> own = {state.root};
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string home = home_of(policy);
  if (xdg && paths::is_absolute(xdg))
    own.push_back(paths::join(xdg, "cordon"));
  else if (!home.empty())
    own.push_back(paths::join(home, ".config/cordon"));
  return own;
}

Result<Prepared> prepare(const Policy& policy, LinuxHostCaps caps) {
  Prepared p;
  p.caps = std::move(caps);
  auto state = prepare_state(policy.workspace, home_of(policy), p.caps.uid);
  if (!state) return state.error();
  p.state = *state;
  std::vector<std::string> roots = policy.write_roots();
  roots.push_back(policy.workspace);  // read-only mode has no write roots, still a workspace
  auto guard = PlaceholderGuard::hold(p.state, roots);
  if (!guard) return guard.error();
  p.placeholders = std::move(*guard);
  RealFsProbe fs;
  auto plan = plan_linux(
      policy, p.caps, fs,
      LinuxPlanInputs{p.state.private_tmp, home_of(policy), own_paths(policy, p.state), p.state.root});
  if (!plan) return plan.error();
  p.plan = std::move(*plan);
  return p;
}

nlohmann::json plan_detail(const LinuxPlan& plan) {
  nlohmann::json d;
  d["sandbox"] = plan.sandbox == LinuxSandbox::Namespaces     ? "namespaces"
                 : plan.sandbox == LinuxSandbox::LandlockOnly ? "landlock-only"
                                                              : "none";
  d["network_namespace"] = plan.new_netns;
  d["mounts"] = plan.mounts.size();
  d["placeholders"] = nlohmann::json::array();
  for (const auto& p : plan.placeholders) d["placeholders"].push_back(p.path);
  d["landlock"] = {{"abi", plan.landlock.abi},
                   {"rules", plan.landlock.rules.size()},
                   {"handled_fs", plan.landlock.handled_fs},
                   {"handled_net", plan.landlock.handled_net},
                   {"scoped", plan.landlock.scoped},
                   {"tcp_ports", plan.landlock.ports.size()}};
  d["network_proxy"] = !plan.net.proxied ? "none" : plan.net.on_host ? "host loopback" : "network namespace";
  d["seccomp_rules"] = plan.seccomp.size();
  d["tmpdir"] = plan.tmpdir;
  return d;
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

}  // namespace

Result<std::string> plan_digest_now(const Policy& policy, bool userns) {
  LinuxHostCaps caps = probe_linux_host(false, /*cgroups=*/false);
  if (!userns) caps.userns = false;
  auto prepared = prepare(policy, caps);
  if (!prepared) return prepared.error();
  return plan_digest(prepared->plan);
}

Result<PlanReport> explain(const Policy& policy, const RunRequest& request) {
  // Namespaces are tried, not assumed (as `check` does): without them the plan differs
  // (Landlock only, the proxy on the host's loopback), and explain shows that plan.
  auto prepared = prepare(policy, probe_linux_host(true, /*cgroups=*/true));
  if (!prepared) return prepared.error();
  PlanReport report = prepared->plan.report;
  report.command = request.argv;
  report.detail = plan_detail(prepared->plan);
  report.detail["private_tmp"] = prepared->state.private_tmp;  // on the host (a keyed name)
  if (prepared->plan.sandbox != LinuxSandbox::None) {
    LimitsPlan limits =
        plan_limits(policy.limits, prepared->caps, prepared->plan.sandbox == LinuxSandbox::Namespaces);
    for (const auto& [name, l] : limits.report.items()) {
      const std::string value = l["value"].is_string() ? l["value"].get<std::string>() : l["value"].dump();
      report.rules.push_back(Rule{"limit", name, value, l["mechanism"].get<std::string>(),
                                  l.contains("detail") ? l["detail"].get<std::string>() : ""});
    }
    for (const auto& loss : limits.losses) report.notes.push_back("not enforced: " + loss);
  }
  return report;
}

PlanReport check(const Policy& policy) {
  LinuxHostCaps caps = probe_linux_host(true, /*cgroups=*/true);
  PlanReport r = linux_guarantees(policy, caps);
  r.detail = {{"kernel", caps.kernel},
              {"landlock_abi", caps.landlock_abi},
              {"user_namespaces", caps.userns},
              {"user_namespaces_reason", caps.userns_reason},
              {"apparmor_restricts_userns", caps.apparmor_restricts_userns},
              {"apparmor_profile_installed", caps.apparmor_profile_installed},
              {"seccomp", caps.seccomp},
              {"cgroups",
               {{"memory",
                 {{"mechanism", to_string(caps.cgroups.memory.version)},
                  {"parent", caps.cgroups.memory.parent},
                  {"reason", caps.cgroups.memory.reason}}},
                {"pids",
                 {{"mechanism", to_string(caps.cgroups.pids.version)},
                  {"parent", caps.cgroups.pids.parent},
                  {"reason", caps.cgroups.pids.reason}}}}},
              {"limits", limits_mechanisms(caps)}};
  r.notes.push_back("kernel " + caps.kernel + ", landlock ABI " + std::to_string(caps.landlock_abi) +
                    ", user namespaces " +
                    (caps.userns ? "available" : "unavailable: " + caps.userns_reason));
  if (caps.apparmor_restricts_userns)
    r.notes.push_back(
        caps.apparmor_profile_installed
            ? "AppArmor restricts user namespaces; cordon's profile (/etc/apparmor.d/cordon) is installed"
            : "AppArmor restricts user namespaces: run `sudo cordon setup` to install cordon's profile");
  const nlohmann::json mechanisms = limits_mechanisms(caps);
  for (const auto& [name, m] : mechanisms.items())
    r.notes.push_back("limit " + name + ": " + m.get<std::string>());
  return r;
}

namespace {

// The sandbox inherits only stdin, stdout and stderr: any other descriptor the caller
// left open (a directory outside, a socket, cordon mcp's report pipe) is closed on exec.
void close_inherited_fds_on_exec() {
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  for (int fd = 3; fd < 1024; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

Result<int> run_sandboxed(const Policy& policy, const RunRequest& request, RunResult& out) {
  // The cgroup probe reads mountinfo and the hierarchies: only for the limits that use it.
  LinuxHostCaps caps = probe_linux_host(
      false, /*cgroups=*/policy.limits.memory_bytes.has_value() || policy.limits.pids.has_value());
  auto prepared = prepare(policy, caps);
  if (!prepared) return prepared.error();

  std::optional<SeccompProgram> program;
  std::optional<SupervisorPrograms> watch;  // denial reporting (supervisor.hpp)
  DenialRules denial_rules_for_run;
  auto compile = [&]() -> Status {
    program.reset();
    watch.reset();
    if (prepared->plan.sandbox == LinuxSandbox::None || !prepared->caps.seccomp) return Ok{};
    auto deny_list = prepared->plan.seccomp;
    // The supervisor: the broker's calls always, the denial recorder's when reporting.
    denial_rules_for_run = denial_rules(policy, prepared->plan, home_of(policy));
    auto w = supervisor_compile(deny_list, denial_rules_for_run, request.report_denials);
    if (!w) return w.error();
    if (w->needed()) {
      watch = std::move(*w);
      deny_list = watch->deny_list;
    }
    auto p = seccomp_compile(deny_list);
    if (!p) return p.error();
    program = std::move(*p);
    return Ok{};
  };
  if (auto st = compile(); !st) return st.error();

  LimitsPlan limits = plan_limits(policy.limits, caps, prepared->plan.sandbox == LinuxSandbox::Namespaces);
  {
    std::vector<Loss> losses;
    for (const auto& l : limits.losses) losses.push_back({"resource limits", l, ""});
    if (auto st = require_enforceable(losses, policy.best_effort); !st) return st.error();
  }
  std::vector<std::string> warnings;
  for (const auto& l : limits.losses) {
    warnings.push_back("warning: " + l);
    out.degradations.push_back({{"name", "resource limits"}, {"detail", l}});
  }
  print_lines(warnings);
  // The per-run cgroup: removed when this function returns, on every path (RAII).
  std::optional<RunCgroup> group;
  if (limits.cgroup.any() && prepared->plan.sandbox != LinuxSandbox::None) {
    auto g = RunCgroup::create(limits.cgroup);
    if (!g) return g.error();
    group.emplace(std::move(*g));
  }
  // A fork bomb stays pinned at its pids limit: kill it and say so (PidsCeiling).
  std::optional<PidsCeiling> ceiling;
  if (policy.limits.pids && prepared->plan.sandbox != LinuxSandbox::None)
    ceiling.emplace(*policy.limits.pids);
  const bool cgroup_pids = group && limits.cgroup.pids_max;
  auto watch_pids = [&](double elapsed, int child) {
    if (cgroup_pids) {
      auto current = group->pids_current();
      return current && ceiling->sample(elapsed, *current, group->events().pids_refused.value_or(0));
    }
    // RLIMIT_NPROC: refusals are invisible outside; the count in the pid namespace is not.
    // Without refusals to go by, a small limit is too easily reached by an ordinary
    // pipeline: the count alone decides only from kMinCountedPidsCeiling up.
    if (prepared->plan.sandbox != LinuxSandbox::Namespaces || *policy.limits.pids < kMinCountedPidsCeiling)
      return false;
    return ceiling->sample(elapsed, count_process_tree(child), std::nullopt);
  };

  Result<LaunchResult> result = Error{};
  std::vector<std::string>& notes = out.notes;
  std::vector<GitRootPin> git_pins;    // roots with no .git, pinned before the command starts
  std::vector<GitDirPin> gitdir_pins;  // roots with a .git: which pointer names it had
  std::unique_ptr<ProxyServer> proxy;  // proxied network: runs while the command runs
  std::optional<Supervisor> supervisor;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (auto st = prepared->placeholders.create(prepared->plan.placeholders); !st) return st.error();
    proxy.reset();
    if (prepared->plan.net.proxied) {
      auto started = start_proxy_for(policy, prepared->plan.net);
      if (!started) return started.error();
      proxy = std::move(*started);
      if (prepared->plan.net.on_host) {
        // No namespace: the listeners are on the host's loopback now; Landlock, the
        // environment and the denial rules need their ports.
        set_host_proxy_ports(prepared->plan, proxy->ports().first, proxy->ports().second);
        denial_rules_for_run = denial_rules(policy, prepared->plan, home_of(policy));
      }
    }
    LaunchSpec spec{&prepared->plan,
                    request.argv,
                    sandbox_env(policy, prepared->plan),
                    request.cwd,
                    policy.limits.timeout_seconds,
                    caps.uid,
                    caps.gid,
                    program ? &*program : nullptr,
                    limits.rlimits.count ? &limits.rlimits : nullptr};
    spec.request_on_stdin = request.mcp_request;
    if (group) {
      spec.cgroup = &group->join();
      spec.kill_tree = [&group] { group->kill(); };
    }
    if (ceiling) spec.limit_watch = watch_pids;
    if (proxy) {
      if (!prepared->plan.net.on_host) spec.net_child_fd = proxy->child_fd();
      spec.after_clone = [p = proxy.get()] { p->after_clone(); };
    }
    if (request.plan_digest_fd) {
      // cordon mcp compares this with a plan made when a call arrives (runner.cpp): the
      // plan is final once the sandbox exists, so it is written right after the clone.
      spec.after_clone = [before = spec.after_clone, fd = *request.plan_digest_fd, &prepared] {
        if (before) before();
        const std::string line =
            std::string(prepared->plan.sandbox == LinuxSandbox::Namespaces ? "ns " : "landlock ") +
            plan_digest(prepared->plan) + "\n";
        ssize_t ignored = ::write(fd, line.data(), line.size());  // a pipe: one short write
        (void)ignored;
        ::close(fd);
      };
    }
    supervisor.reset();
    if (watch) {
      supervisor.emplace(denial_rules_for_run, *watch);
      if (auto st = supervisor->prepare(); !st) return st.error();
      for (const auto& w : supervisor->warnings()) notes.push_back("warning: " + w);
      spec.supervisor = &*supervisor;
    }
    git_pins = pin_git_roots(prepared->plan.git_watch);
    if (prepared->plan.sandbox != LinuxSandbox::None && policy.git != GitMode::Writable)
      gitdir_pins = pin_existing_gitdirs(policy.write_roots());
    result = launch(spec);
    if (result || !is_userns_unavailable(result.error()) || attempt == 1) break;
    // clone() refused the namespaces: plan again without them (which refuses unless
    // --best-effort, since protected paths cannot be enforced by Landlock alone).
    caps.userns = false;
    caps.userns_reason = "clone(CLONE_NEWUSER) failed: " + errno_name(result.error().code);
    auto again = prepare(policy, caps);
    if (!again) return again.error();
    prepared = std::move(again);
    if (auto st = compile(); !st) return st.error();
    limits = plan_limits(policy.limits, caps, false);
    notes.push_back("user namespaces unavailable (" + caps.userns_reason +
                    "): ran with Landlock only (--best-effort)");
  }
  std::vector<ProxyRefusal> refused;
  if (proxy) refused = proxy->finish();
  out.sandbox = plan_detail(prepared->plan)["sandbox"];
  out.guarantees = to_json(prepared->plan.report)["guarantees"];
  out.limits = limits.report;
  if (!result) return result.error();
  // summarize: what the run found out, as data; printed once, escaped, at the end.
  RunFacts facts;
  if (result->cwd_failed)
    facts.cwd_failed = std::make_pair(result->exec_arg, result->exec_errno);
  else if (result->exec_failed)
    facts.exec_failed = std::make_pair(result->exec_arg, result->exec_errno);
  facts.proxy_refused_total = refused.size();
  facts.proxy_refusals = summarize_refusals(refused);
  for (const auto& pin : git_pins) {
    const GitRepair repair = neutralise_new_repository(pin);
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
  for (const auto& pin : gitdir_pins) {
    const GitRepair repair = remove_new_pointers(pin);
    for (const auto& done : repair.done) {
      facts.git_warnings.push_back(done);
      notes.push_back("warning: " + done);
    }
    for (const auto& warning : repair.warnings) {
      facts.git_warnings.push_back(warning);
      notes.push_back("warning: " + warning);
    }
  }
  facts.guarantees = prepared->plan.report.guarantees;
  facts.best_effort = policy.best_effort;
  for (const auto& g : prepared->plan.report.guarantees)
    if (g.state == GuaranteeState::Degraded || g.state == GuaranteeState::Missing)
      out.degradations.push_back({{"name", g.name}, {"state", to_string(g.state)}, {"detail", g.detail}});
  if (supervisor) {
    facts.denials = supervisor->log().entries();
    facts.denials_truncated = supervisor->log().truncated();
  }
  if (result->timed_out) facts.timed_out_after = *policy.limits.timeout_seconds;

  out.exit_code = result->exit_code;
  out.signal = result->signal;
  out.timed_out = result->timed_out;
  out.exec_failed = result->exec_failed;
  out.duration_ms = result->duration_ms;
  rusage usage{};  // every process of the sandbox was reaped by its init, then init by us
  const uint64_t peak_rss =
      ::getrusage(RUSAGE_CHILDREN, &usage) == 0 ? static_cast<uint64_t>(usage.ru_maxrss) * 1024 : 0;
  LimitsEvidence evidence{result->exit_code, result->signal, result->timed_out, peak_rss};
  evidence.pids_ceiling_killed = result->limit_killed;
  if (group) {
    CgroupEvents ev = group->events();
    if (limits.cgroup.memory_bytes) evidence.memory_oom_kills = ev.memory_oom_kills.value_or(0);
    if (limits.cgroup.pids_max) evidence.pids_refused = ev.pids_refused.value_or(0);
    for (const char* name : {"memory", "pids"})
      if (auto dir = group->dir_for(name); !dir.empty() && out.limits.contains(name))
        out.limits[name]["cgroup"] = dir;
    group.reset();  // the sandbox is gone: remove its groups now
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
  if (!result->timed_out) {
    reached("memory", evidence.memory_oom_kills, "OOM kills");
    reached("pids", evidence.pids_refused, "forks refused");
  }
  if (result->timed_out && policy.limits.pids)
    notes.push_back("timed out with --pids " + std::to_string(*policy.limits.pids) + " in force (" +
                    limits.report["pids"]["mechanism"].get<std::string>() + ")");
  print_lines(summarize_run(facts));
  if (supervisor) {
    out.denials = supervisor->log().entries();
    out.denials_truncated = supervisor->log().truncated();
    out.denials_reported = supervisor->active() && request.report_denials != DenialReporting::Off;
  }
  // Connections the proxy refused join the denials: operation "connect", address host:port.
  for (const auto& r : refused) {
    Denial d;
    d.operation = "connect";
    d.address = r.address();
    d.rule = "network proxy: " + r.reason;
    if (r.reason == "not in the allowlist") d.suggestion = "--allow-domain " + r.host;
    out.denials.push_back(std::move(d));
  }
  return result->exit_code;
}

// Names from the sandbox need not be UTF-8: replaced, never a throw (nlohmann's default).
std::string dump_json_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// --report FILE may name a file in a writable root, where the command can plant a
// link or a FIFO: the directory is pinned before the command starts and the file is
// opened beneath it at the end without following anything, and only a regular file
// with a single link is written.
struct ReportTarget {
  std::string path;  // as given, for messages
  std::optional<PinnedDir> dir;
  std::string name;
  std::optional<Error> error;  // pinning failed
};

ReportTarget pin_report(const std::string& path) {
  ReportTarget t;
  t.path = path;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  t.name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (t.name.empty() || t.name == "." || t.name == "..") {
    t.error = usage_error("--report", "'" + path + "' does not name a file");
    return t;
  }
  if (auto d = PinnedDir::open(dir))
    t.dir = std::move(*d);
  else
    t.error = d.error();
  return t;
}

Status write_report(const ReportTarget& target, const nlohmann::json& j) {
  if (target.error) return *target.error;
  const int dirfd = target.dir->fd();
  const char* name = target.name.c_str();
  const char* hint = "--report needs a regular file (not a link, FIFO or hard link)";
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
    return os_error("fstatat", target.path, EINVAL, hint);  // a FIFO or device is never opened
  UniqueFd fd(
      ::openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644));
  if (!fd.valid()) return os_error("openat", target.path, errno, hint);
  if (::fstat(fd.get(), &st) != 0) return os_error("fstat", target.path, errno);
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1) return os_error("openat", target.path, EINVAL, hint);
  if (::ftruncate(fd.get(), 0) != 0) return os_error("ftruncate", target.path, errno);
  const std::string text = dump_json_line(j);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("write", target.path, n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  return Ok{};
}

// The result for `cordon mcp` (--report-fd): the descriptor is the worker's own, never
// the sandbox's (launcher.cpp closes it in the child before any exec).
Status write_report_fd(int fd, const nlohmann::json& j) {
  const std::string text = dump_json_line(j);
  for (size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("write", "--report-fd " + std::to_string(fd), errno);
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return Ok{};
}

}  // namespace

Result<int> run(const Policy& policy, const RunRequest& request) {
  close_inherited_fds_on_exec();
  RunResult out;
  const auto start = std::chrono::steady_clock::now();
  std::optional<ReportTarget> report_target;  // pinned before the command runs
  if (request.report_path) report_target = pin_report(*request.report_path);
  Result<int> code = run_sandboxed(policy, request, out);
  if (!code) {
    out.sandbox_error = true;
    out.error = code.error().message();
    out.exit_code = 125;
    out.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  if (request.report_json || request.report_path || request.report_fd) {
    nlohmann::json j = to_json(out);
    if (request.report_json) std::cerr << dump_json_line(j);
    if (request.report_path)
      if (auto st = write_report(*report_target, j); !st) print_lines(split_lines(st.error().message()));
    if (request.report_fd)
      if (auto st = write_report_fd(*request.report_fd, j); !st)
        print_lines(split_lines(st.error().message()));
  }
  return code;
}

Result<int> setup(const std::vector<std::string>& args) {
  return apparmor_setup(args);
}

}  // namespace cordon::platform
