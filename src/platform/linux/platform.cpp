// cordon: the Linux backend behind src/platform/platform.hpp. run() and explain() compose
// the stages of platform/linux/run_stages.hpp:
//   probe -> plan -> require -> compile [explain stops here] -> acquire -> launch ->
//   collect -> summarize -> print -> cleanup
#include "platform/platform.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <set>

#include "core/result.hpp"
#include "core/terminal_text.hpp"
#include "plan/ask_rules.hpp"
#include "plan/fs_record.hpp"
#include "plan/limits_plan.hpp"
#include "plan/linux_planner.hpp"
#include "plan/plan_digest.hpp"
#include "plan/run_summary.hpp"
#include "platform/linux/apparmor.hpp"
#include "platform/linux/fs_probe.hpp"
#include "platform/linux/pinned_fs.hpp"
#include "platform/linux/probe.hpp"
#include "platform/linux/run_stages.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon::platform {
namespace {

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

// The host as a digest's plan sees it: no namespaces tried (the worker being compared
// says how it was planned), no cgroups (not part of the digest).
LinuxHostCaps digest_caps(bool userns) {
  LinuxHostCaps caps = probe_linux_host(false, /*cgroups=*/false);
  if (!userns) caps.userns = false;
  return caps;
}

}  // namespace

Result<std::string> plan_digest_now(const Policy& policy, bool userns) {
  auto planned = plan_stage(policy, digest_caps(userns), HostListeners::None);
  if (!planned) return planned.error();
  const std::string digest = plan_digest(planned->plan);
  print_lines(cleanup_stage(std::move(*planned)));
  return digest;
}

struct PlanDigestMemo::Held {
  LinuxHostCaps caps;
  LinuxPlanInputs inputs;
  FsRecord disk;
  std::string digest;
};

PlanDigestMemo::PlanDigestMemo(Policy policy) : policy_(std::move(policy)) {}
PlanDigestMemo::~PlanDigestMemo() = default;

Result<std::string> PlanDigestMemo::digest(bool userns) {
  std::shared_ptr<const Held> held;
  {
    std::lock_guard lock(mu_);
    held = held_[userns ? 1 : 0];
  }
  const LinuxHostCaps caps = digest_caps(userns);
  const RealFsProbe real;
  if (held && held->caps == caps) {
    // Cheapest first: the host, the inputs, then every question the plan asked the disk.
    auto inputs = plan_inputs_now(policy_, caps.uid);
    if (inputs && *inputs == held->inputs && held->disk.holds(real)) {
      ++held_count_;
      return held->digest;
    }
  }
  ++plan_count_;
  // Typed listings compared by what the walk uses of them: a build writing files keeps the
  // record holding; a new directory, .git or protected name does not.
  FsRecorder recorder(real, ListingUse{linux_walk_uses, kLinuxWalkBudget});
  auto planned = plan_stage(policy_, caps, HostListeners::None, std::nullopt, false, 0, &recorder);
  if (!planned) return planned.error();
  auto fresh = std::make_shared<Held>(
      Held{planned->caps, planned->inputs, recorder.take(), plan_digest(planned->plan)});
  print_lines(cleanup_stage(std::move(*planned)));
  std::lock_guard lock(mu_);
  held_[userns ? 1 : 0] = fresh;
  return fresh->digest;
}

// The first half of `run`: probe -> plan -> require -> compile, then the plan as a report.
// Only the probe differs: namespaces are tried now, not assumed (as `check` does), since
// without them the plan differs (Landlock only, the proxy on the host's loopback); and no
// host listener is bound (their ports are "chosen at run time").
Result<PlanReport> explain(const Policy& policy, const RunRequest& request) {
  auto planned = plan_stage(policy, probe_stage(policy, ProbeFor::Explain), HostListeners::None);
  if (!planned) return planned.error();
  auto required = require_stage(policy, planned->plan);
  if (!required) return required.error();
  auto compiled = compile_stage(policy, request, *planned);
  if (!compiled) return compiled.error();
  const LinuxPlan& plan = planned->plan;
  PlanReport report = plan.report;
  report.command = request.argv;
  report.detail = plan_detail(plan);
  report.detail["private_tmp"] = planned->state.private_tmp;  // on the host (a keyed name)
  if (plan.sandbox != LinuxSandbox::None) {
    const LimitsPlan& limits = plan.limits;
    for (const auto& [name, l] : limits.report.items()) {
      const std::string value = l["value"].is_string() ? l["value"].get<std::string>() : l["value"].dump();
      report.rules.push_back(Rule{"limit", name, value, l["mechanism"].get<std::string>(),
                                  l.contains("detail") ? l["detail"].get<std::string>() : ""});
    }
    for (const auto& loss : limits.losses) report.notes.push_back("not enforced: " + loss);
  }
  print_lines(cleanup_stage(std::move(*planned)));
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

// One pass of the stages from plan to cleanup, on a probed host. `first`: the pass that
// prints and records the limits' warnings (a re-run after clone() refused user
// namespaces plans the same limits again). `note`: recorded once the plan stands.
Result<int> run_stages(const Policy& policy, const RunRequest& request, const LinuxHostCaps& caps, bool first,
                       const std::optional<std::string>& note, RunResult& out) {
  // --learn answers at once; only a question (on the terminal, or through the MCP client)
  // keeps a lookup waiting.
  const bool asks = request.ask == AskMode::Terminal || request.ask == AskMode::Client;
  auto planned = plan_stage(policy, caps, HostListeners::Bind, request.review, request.review_all,
                            asks ? request.ask_timeout_seconds : 0);
  if (!planned) return planned.error();
  if (note) out.notes.push_back(*note);
  // Every way out of here after this point goes through cleanup_stage, explicitly.
  auto fail = [&](const Error& e) -> Result<int> {
    print_lines(cleanup_stage(std::move(*planned)));
    return e;
  };
  auto required = require_stage(policy, planned->plan);
  if (!required) return fail(required.error());
  if (first) {
    for (const auto& d : required->degradations) out.degradations.push_back(d);
    print_lines(required->warnings);
  }
  auto compiled = compile_stage(policy, request, *planned);
  if (!compiled) return fail(compiled.error());
  auto acquired = acquire_stage(policy, *planned, *compiled);
  if (!acquired) return fail(acquired.error());
  print_lines(acquired->warnings);
  auto launched = launch_stage(policy, request, *planned, *compiled, *acquired);
  // The result names the plan that ran, or the one that failed for good; not one that
  // clone() refused and the next pass replans.
  if (launched || !first || !is_userns_unavailable(launched.error())) describe_plan(planned->plan, out);
  if (!launched) {
    print_lines(cleanup_stage(std::move(*acquired), std::move(*planned)));
    return launched.error();
  }
  const Collected collected = collect_stage(*acquired, *planned, request.report_denials);
  const Summary summary = summarize_stage(policy, *planned, *launched, collected, out);
  if (request.ask == AskMode::Learn) {
    // A host granted, then refused by the proxy's private-address guard (localhost,
    // metadata.google.internal), was granted for nothing: a rule for it would be dead and
    // would read as if the command had reached it. Left out of the fragment.
    std::set<std::string> guarded;
    for (const auto& r : collected.refused)
      if (r.reason.rfind(kGuardRefusalPrefix, 0) == 0) guarded.insert(r.host);
    std::vector<Grant> reached;
    for (const auto& g : collected.grants)
      if (g.network != "domain" || !guarded.count(g.rule)) reached.push_back(g);
    out.learned_config = learn_fragment(reached, compiled->denial_rules);
  }
  print_lines(summary.lines);
  print_lines(cleanup_stage(std::move(*acquired), std::move(*planned)));
  release_at_exit(std::move(*compiled));  // the supervisor that referred to it is stopped
  return launched->exit_code;
}

// probe -> (plan -> require -> compile -> acquire -> launch -> collect -> summarize ->
// print -> cleanup). When clone() refuses user namespaces, the stages run again on the
// host as it turned out to be: planned without them (which refuses unless --best-effort,
// since protected paths cannot be enforced by Landlock alone).
Result<int> run_sandboxed(const Policy& policy, const RunRequest& request, RunResult& out) {
  LinuxHostCaps caps = probe_stage(policy, ProbeFor::Run);
  Result<int> code = run_stages(policy, request, caps, true, std::nullopt, out);
  if (code || !is_userns_unavailable(code.error())) return code;
  caps.userns = false;
  caps.userns_reason = "clone(CLONE_NEWUSER) failed: " + errno_name(code.error().code);
  return run_stages(
      policy, request, caps, false,
      "user namespaces unavailable (" + caps.userns_reason + "): ran with Landlock only (--best-effort)",
      out);
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

Status write_text(const ReportTarget& target, const std::string& text);

Status write_report(const ReportTarget& target, const nlohmann::json& j) {
  return write_text(target, dump_json_line(j));
}

Status write_text(const ReportTarget& target, const std::string& text) {
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
  // --learn FILE: pinned like --report (it may name a file in a writable root).
  std::optional<ReportTarget> learn_target;
  if (request.ask == AskMode::Learn) {
    learn_target = pin_report(request.learn_file);
    if (learn_target->error) return *learn_target->error;
  }
  Result<int> code = run_sandboxed(policy, request, out);
  if (code && learn_target) {
    if (auto st = write_text(*learn_target, out.learned_config); !st)
      print_lines(split_lines(st.error().message()));
    else
      print_lines({"learn: " + std::to_string(out.grants.size()) + " grant" +
                   (out.grants.size() == 1 ? "" : "s") + "; the rules that allow them are in " +
                   escape_for_terminal(request.learn_file)});
  }
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
