// cordon: the Linux backend behind src/platform/platform.hpp.
// policy -> probe -> plan (plan/linux_planner) -> apply (launcher) -> report.
#include "platform/platform.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "core/env_filter.hpp"
#include "core/paths.hpp"
#include "plan/linux_planner.hpp"
#include "platform/linux/apparmor.hpp"
#include "platform/linux/fs_probe.hpp"
#include "platform/linux/git_guard.hpp"
#include "platform/linux/launcher.hpp"
#include "platform/linux/probe.hpp"
#include "platform/linux/proxy.hpp"
#include "platform/linux/seccomp.hpp"
#include "platform/linux/state.hpp"
#include "platform/linux/supervisor.hpp"

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
  if (xdg && paths::is_absolute(xdg)) own.push_back(paths::join(xdg, "cordon"));
  else if (!home.empty()) own.push_back(paths::join(home, ".config/cordon"));
  return own;
}

Result<Prepared> prepare(const Policy& policy, LinuxHostCaps caps) {
  Prepared p;
  p.caps = std::move(caps);
  auto state = prepare_state(policy.workspace, home_of(policy), p.caps.uid);
  if (!state) return state.error();
  p.state = *state;
  auto guard = PlaceholderGuard::hold(p.state);
  if (!guard) return guard.error();
  p.placeholders = std::move(*guard);
  RealFsProbe fs;
  auto plan = plan_linux(policy, p.caps, fs, LinuxPlanInputs{p.state.private_tmp, home_of(policy), own_paths(policy, p.state)});
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
  d["landlock"] = {{"abi", plan.landlock.abi}, {"rules", plan.landlock.rules.size()},
                   {"handled_fs", plan.landlock.handled_fs}, {"handled_net", plan.landlock.handled_net},
                   {"scoped", plan.landlock.scoped}};
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
  const char* java = std::getenv("JAVA_TOOL_OPTIONS");
  for (auto& kv : proxy_environment(plan.net, java ? java : "")) env.set.push_back(std::move(kv));
  return filter_env(in, env).env;
}

// At most a screenful on stderr; the JSON result has the whole (bounded) list.
void print_denials(const DenialLog& log) {
  constexpr size_t kShown = 10;
  const auto& all = log.entries();
  for (size_t i = 0; i < all.size() && i < kShown; ++i) std::fprintf(stderr, "cordon: %s\n", to_text(all[i]).c_str());
  if (all.size() > kShown || log.truncated())
    std::fprintf(stderr, "cordon: ... and more denials (see --json)\n");
}

}  // namespace

Result<PlanReport> explain(const Policy& policy, const RunRequest& request) {
  auto prepared = prepare(policy, probe_linux_host(false));
  if (!prepared) return prepared.error();
  PlanReport report = prepared->plan.report;
  report.command = request.argv;
  report.detail = plan_detail(prepared->plan);
  return report;
}

PlanReport check(const Policy& policy) {
  LinuxHostCaps caps = probe_linux_host(true);
  PlanReport r = linux_guarantees(policy, caps);
  r.detail = {{"kernel", caps.kernel},
              {"landlock_abi", caps.landlock_abi},
              {"user_namespaces", caps.userns},
              {"user_namespaces_reason", caps.userns_reason},
              {"apparmor_restricts_userns", caps.apparmor_restricts_userns},
              {"apparmor_profile_installed", caps.apparmor_profile_installed},
              {"seccomp", caps.seccomp},
              {"cgroup2_delegated", caps.cgroup2_delegated},
              {"limits", caps.cgroup2_delegated ? "cgroup v2 (" + caps.cgroup_path + ")" : "rlimits"}};
  r.notes.push_back("kernel " + caps.kernel + ", landlock ABI " + std::to_string(caps.landlock_abi) +
                    ", user namespaces " + (caps.userns ? "available" : "unavailable: " + caps.userns_reason));
  if (caps.apparmor_restricts_userns)
    r.notes.push_back(caps.apparmor_profile_installed
                          ? "AppArmor restricts user namespaces; cordon's profile (/etc/apparmor.d/cordon) is installed"
                          : "AppArmor restricts user namespaces: run `sudo cordon setup` to install cordon's profile");
  r.notes.push_back(std::string("resource limits: ") +
                    (caps.cgroup2_delegated ? "cgroup v2 delegated at " + caps.cgroup_path : "rlimits (no delegated cgroup v2)"));
  return r;
}

Result<int> run(const Policy& policy, const RunRequest& request) {
  LinuxHostCaps caps = probe_linux_host(false);
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
    if (request.report_denials != DenialReporting::Off) {
      denial_rules_for_run = denial_rules(policy, prepared->plan, home_of(policy));
      auto w = supervisor_compile(deny_list, denial_rules_for_run, request.report_denials);
      if (!w) return w.error();
      watch = std::move(*w);
      deny_list = watch->deny_list;
    }
    auto p = seccomp_compile(deny_list);
    if (!p) return p.error();
    program = std::move(*p);
    return Ok{};
  };
  if (auto st = compile(); !st) return st.error();

  Result<LaunchResult> result = Error{};
  std::vector<std::string> notes;
  std::unique_ptr<ProxyServer> proxy;  // proxied network: runs while the command runs
  std::optional<Supervisor> supervisor;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (auto st = prepared->placeholders.create(prepared->plan.placeholders); !st) return st.error();
    LaunchSpec spec{&prepared->plan, request.argv, sandbox_env(policy, prepared->plan), request.cwd,
                    policy.limits.timeout_seconds, caps.uid, caps.gid, program ? &*program : nullptr};
    proxy.reset();
    if (prepared->plan.net.proxied) {
      auto started = start_proxy_for(policy, prepared->plan.net);
      if (!started) return started.error();
      proxy = std::move(*started);
      spec.net_child_fd = proxy->child_fd();
      spec.after_clone = [p = proxy.get()] { p->after_clone(); };
    }
    supervisor.reset();
    if (watch) {
      supervisor.emplace(denial_rules_for_run, *watch);
      if (auto st = supervisor->prepare(); !st) return st.error();
      spec.supervisor = &*supervisor;
    }
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
    notes.push_back("user namespaces unavailable (" + caps.userns_reason + "): ran with Landlock only (--best-effort)");
  }
  std::vector<ProxyRefusal> refused;
  if (proxy) refused = proxy->finish();
  if (!result) return result.error();
  if (!refused.empty()) {
    std::fprintf(stderr, "cordon: network: %zu connection%s refused by the proxy:\n", refused.size(),
                 refused.size() == 1 ? "" : "s");
    for (const auto& line : summarize_refusals(refused)) std::fprintf(stderr, "cordon:   %s\n", line.c_str());
  }

  for (const auto& root : prepared->plan.git_watch)
    for (const auto& done : neutralise_new_repository(root)) {
      std::fprintf(stderr, "cordon: %s (a repository created inside the sandbox)\n", done.c_str());
      notes.push_back(done);
    }
  if (policy.best_effort && !prepared->plan.report.complete())
    for (const auto& g : prepared->plan.report.guarantees)
      if (g.state == GuaranteeState::Degraded || g.state == GuaranteeState::Missing)
        std::fprintf(stderr, "cordon: warning: %s not enforced (%s)\n", g.name.c_str(), g.detail.c_str());
  if (supervisor) print_denials(supervisor->log());
  if (result->timed_out)
    std::fprintf(stderr, "cordon: timed out after %.3g s; the whole process tree was killed\n",
                 *policy.limits.timeout_seconds);

  if (request.report_json) {
    nlohmann::json j;
    j["exit_code"] = result->exit_code;
    j["signal"] = result->signal;
    j["timed_out"] = result->timed_out;
    j["exec_failed"] = result->exec_failed;
    j["duration_ms"] = result->duration_ms;
    j["sandbox"] = plan_detail(prepared->plan)["sandbox"];
    j["guarantees"] = to_json(prepared->plan.report)["guarantees"];
    j["notes"] = notes;
    nlohmann::json net = {{"mode", to_string(policy.net.mode)}, {"proxied", prepared->plan.net.proxied},
                          {"refused", nlohmann::json::array()}};
    for (const auto& r : refused) net["refused"].push_back({{"host", r.host}, {"port", r.port}, {"reason", r.reason}});
    j["network"] = net;
    j["denials"] = supervisor ? to_json(supervisor->log()) : nlohmann::json::array();
    j["denials_truncated"] = supervisor && supervisor->log().truncated();
    j["denials_reported"] = supervisor && supervisor->active();
    std::cerr << j.dump() << "\n";
  }
  return result->exit_code;
}

Result<int> setup(const std::vector<std::string>& args) { return apparmor_setup(args); }

}  // namespace cordon::platform
