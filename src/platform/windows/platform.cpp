// cordon (Windows): the platform seam (platform/platform.hpp). run() is stage 1
// (unelevated) until `cordon setup` has run, then stage 2 (a sandbox user through the
// command runner, stage2_run.hpp); setup() and check()'s stage section are in
// platform/windows/setup/.
//
// run():  probe host -> capability SIDs (state dir, locked) -> stage-2 facts (read only)
//         -> plan_windows (final: explain stops here) -> gate -> acquire stage 2 (account,
//         refresh, runner copy) -> apply ACEs (ledgered) + NUL grant -> denybin stubs ->
//         restricted token or runner -> launch in a job -> remove per-run ACEs and the
//         private temp.
#include "platform/platform.hpp"

#include <windows.h>

#include <filesystem>
#include <iostream>

#include "core/env_filter.hpp"
#include "plan/require.hpp"
#include "plan/windows/git_guard.hpp"
#include "plan/windows/planner.hpp"
#include "plan/windows/setup_plan.hpp"
#include "plan/windows/state.hpp"
#include "plan/windows/win_path.hpp"
#include "platform/windows/acl_apply.hpp"
#include "platform/windows/conpty.hpp"
#include "platform/windows/host_probe.hpp"
#include "platform/windows/launch.hpp"
#include "platform/windows/remove_tree_win32.hpp"
#include "platform/windows/setup/setup_cli.hpp"
#include "platform/windows/setup/stage2.hpp"
#include "platform/windows/stage2_run.hpp"
#include "platform/windows/state_io.hpp"
#include "platform/windows/token.hpp"

extern "C" {
extern wchar_t** _wenviron;
}

namespace cordon::platform {
namespace {

using winsys::FileStateIo;
using winsys::WinFs;

// Reads the state but never writes it: explain and check have no side effects.
class PeekIo : public win::StateIo {
 public:
  explicit PeekIo(FileStateIo& real) : real_(real) {}
  Result<std::optional<std::string>> read(const std::string& name) override { return real_.read(name); }
  Status write_atomic(const std::string&, const std::string&) override { return Ok{}; }
  Status lock() override { return real_.lock(); }
  void unlock() override { real_.unlock(); }
  std::array<uint32_t, 4> random() override { return real_.random(); }

 private:
  FileStateIo& real_;
};

struct Prepared {
  WinFs fs;
  win::WinHost host;
  win::CapabilitySids caps;
  win::Stage2Facts stage;
  win::WinPlan plan;
  std::vector<std::string> notes;
  std::string run_id;
};

// Names the sandbox could choose reach the terminal with control characters escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string hex_id() {
  auto r = winsys::random_u32x4();
  char buf[20];
  snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(r ? (*r)[0] : GetCurrentProcessId()));
  return buf;
}

// Everything host-dependent is read before planning, so the plan is final when
// plan_windows returns: explain, check and run all come through here.
Result<std::unique_ptr<Prepared>> prepare(const Policy& policy, bool persist) {
  auto p = std::make_unique<Prepared>();
  auto host = winsys::probe_host(p->fs);
  if (!host) return host.error();
  p->host = *host;
  if (p->host.state_dir.empty())
    return usage_error("state dir", "%LOCALAPPDATA% is not set", "cordon keeps its capability SIDs there");
  FileStateIo io(p->host.state_dir);
  PeekIo peek(io);
  auto caps =
      win::load_capability_sids(persist ? static_cast<win::StateIo&>(io) : peek, policy.write_roots());
  if (!caps) return caps.error();
  p->caps = caps->sids;
  p->notes = caps->notes;
  p->stage = winsys::read_stage2_facts(p->host.state_dir);
  win::PlanOptions options;
  options.stage = p->stage;
  options.run_id = hex_id();
  p->run_id = options.run_id;
  auto run_random = winsys::random_u32x4();  // BCryptGenRandom: no weak fallback
  if (!run_random) return run_random.error();
  options.run_sid = win::sids::capability(*run_random);
  auto plan = win::plan_windows(policy, p->host, p->caps, options);
  if (!plan) return plan.error();
  p->plan = *plan;
  // Ask the kernel which rights the write-restricted pass covers, with the plan's own
  // token: the write, delete and protected-path rows rest on it (report.cpp); and
  // whether that token may send input on the user's Default desktop (process isolation).
  if (policy.mode != Mode::FullAccess)
    if (auto token = winsys::create_sandbox_token(p->plan.token)) {
      p->host.restricted_pass_rights = winsys::probe_restricted_scope(token->get());
      // Only where the first probe shows a real restricted token (not Wine's).
      if (p->host.restricted_pass_rights && !p->host.ssh_session)
        p->host.default_desktop_input = winsys::probe_default_desktop(token->get());
    }
  return p;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> out;
  if (!_wenviron) _wgetenv(L"PATH");  // materialises _wenviron
  for (wchar_t** e = _wenviron; e && *e; ++e)
    if ((*e)[0] != L'=') out.push_back(winsys::narrow(*e));
  return out;
}

std::vector<std::string> child_environment(const Policy& policy, const win::WinPlan& plan) {
  EnvResult filtered = filter_env(current_environment(), policy.env);
  std::vector<std::string> env = filtered.env;
  auto set = [&](const std::string& name, const std::string& value) {
    std::string key = win::fold_case(name) + "=";
    env.erase(
        std::remove_if(env.begin(), env.end(),
                       [&](const std::string& e) { return win::fold_case(e.substr(0, key.size())) == key; }),
        env.end());
    env.push_back(name + "=" + value);
  };
  for (const auto& [k, v] : plan.env) set(k, v);
  if (!plan.stub_dir.empty()) {
    std::string path = winsys::env("PATH");
    set("PATH", plan.stub_dir + ";" + path);
    set("PATHEXT", ".CMD;.BAT;.COM;.EXE;.VBS;.JS;.WS;.MSC");
  }
  return env;
}

Status write_stubs(const win::WinPlan& plan) {
  if (plan.stub_dir.empty()) return Ok{};
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::u8path(plan.stub_dir), ec);
  for (const auto& stub : plan.stubs) {
    std::string path = win::join(plan.stub_dir, stub.name);
    FILE* f = _wfopen(winsys::widen(path).c_str(), L"wb");
    if (!f) return winsys::win32_error("_wfopen", path);
    fwrite(stub.content.data(), 1, stub.content.size(), f);
    fclose(f);
  }
  return Ok{};
}

}  // namespace

Result<PlanReport> explain(const Policy& policy, const RunRequest& request) {
  auto p = prepare(policy, /*persist=*/false);
  if (!p) return p.error();
  // explain is the first half of run: the same stage choice and the same gate
  // (plan/require.hpp), on the same plan.
  if (auto stage = win::run_stage((*p)->stage.status, policy.best_effort); !stage) return stage.error();
  PlanReport report = win::to_report((*p)->plan, policy, (*p)->host);
  if (auto st = require_enforceable(losses_of(report), policy.best_effort); !st) return st.error();
  report.command = request.argv;
  for (const auto& n : (*p)->notes) report.notes.push_back(n);
  report.notes.push_back(winsys::describe_tty(request.tty));
  return report;
}

PlanReport check(const Policy& policy) {
  auto p = prepare(policy, false);
  if (!p) {
    PlanReport r;
    r.platform = "windows";
    r.guarantees.push_back({"write confinement", GuaranteeState::Missing, "", p.error().message(), ""});
    return r;
  }
  // Which stage is active comes with the plan (win::add_stage_rows).
  return win::to_report((*p)->plan, policy, (*p)->host);
}

Result<int> run(const Policy& policy, const RunRequest& request) {
  // Linux-only features refuse here rather than run without them: a --review run that wrote
  // the workspace directly, or an --ask run that never asked, would be a silent downgrade.
  if (request.review)
    return usage_error("--review",
                       "change sets are Linux only for now; the workspace would be written directly",
                       "docs/review.md has the Windows design");
  if (request.ask != AskMode::Off)
    return usage_error(request.ask == AskMode::Learn ? "--learn" : "--ask",
                       "asking for a refused operation is Linux only for now");
  if (policy.mode == Mode::FullAccess) {
    winsys::LaunchRequest full{nullptr,
                               request.argv,
                               request.cwd,
                               current_environment(),
                               policy.limits.timeout_seconds,
                               false,
                               {},
                               win::job_limits(policy.limits)};
    auto r = winsys::launch(full);
    if (!r) return r.error();
    return r->exit_code;
  }
  auto p = prepare(policy, /*persist=*/true);
  if (!p) return p.error();
  auto& prep = **p;
  FileStateIo io(prep.host.state_dir);

  // Stage 2 (after `cordon setup`): the same plan, whose stage-2 grants the planner
  // added from the facts, run as a sandbox user through the command runner.
  auto stage = win::run_stage(prep.stage.status, policy.best_effort);
  if (!stage) return stage.error();
  // The one gate shared with Linux (plan/require.hpp): a guarantee this host cannot give
  // (by the rows of win::to_report, each from a probe or from documentation) refuses the
  // run unless --best-effort, before any ACE is applied or anything stage 2 needs is made.
  {
    PlanReport report = win::to_report(prep.plan, policy, prep.host);
    if (auto st = require_enforceable(losses_of(report), policy.best_effort); !st) return st.error();
  }
  // What stage 2 needs on the host (the account, a refresh for new roots, the runner
  // copy): side effects only, the plan stays as planned.
  std::optional<winsys::Stage2> stage2;
  if (*stage == 2) {
    auto s = winsys::acquire_stage2(policy, prep.stage, prep.host.state_dir);
    if (!s) return s.error();
    stage2 = std::move(*s);
  }

  // Apply the ACEs under the state lock, recording each in the ledger first.
  std::vector<win::LedgerEntry> per_run;
  {
    win::StateLock lock(io);
    if (!lock.status()) return lock.status().error();
    auto ledger = win::load_ledger(io);
    if (!ledger) return ledger.error();
    auto made = winsys::create_placeholders(prep.plan.placeholders, *ledger, io);
    if (!made) return made.error();
    auto applied = winsys::apply_aces(prep.plan.aces, *ledger, io);
    if (!applied) return applied.error();
    for (const auto& s : applied->skipped)
      std::cerr << "cordon: not applied (the run goes on without it): " << printable(s) << "\n";
    for (const auto& a : prep.plan.aces)
      if (a.lifetime == win::AceLifetime::PerRun) per_run.push_back({a.path, a.ace, a.reason});
  }
  auto stubs = write_stubs(prep.plan);
  if (!stubs) return stubs.error();

  std::string desktop = winsys::env("CORDON_WINDOWS_DESKTOP");
  const bool private_desktop = !prep.host.ssh_session && desktop != "default";
  Result<winsys::LaunchResult> result = Error{};
  if (stage2) {
    auto r = winsys::run_stage2(*stage2, prep.plan, request.argv, request.cwd,
                                child_environment(policy, prep.plan), policy.limits.timeout_seconds,
                                private_desktop, {request.tty, request.tty_rows, request.tty_columns});
    const bool tty = winsys::stage2_tty(request.tty);
    if (r)
      result = winsys::LaunchResult{r->exit_code, r->timed_out, r->terminated,
                                    tty ? "conpty (stage 2 runner)" : "pipes (stage 2 runner)", ""};
    else
      result = r.error();
  } else {
    auto token = winsys::create_sandbox_token(prep.plan.token);
    if (!token) return token.error();
    winsys::LaunchRequest launch{token->get(),
                                 request.argv,
                                 request.cwd,
                                 child_environment(policy, prep.plan),
                                 policy.limits.timeout_seconds,
                                 private_desktop,
                                 prep.plan.token.logon.str(),
                                 prep.plan.job,
                                 request.tty};
    result = winsys::launch(launch);
  }

  // Per-run grants go away whatever happened; so does the private temp. One that stays
  // (the lock, the ledger or an ACL edit failed) is said, loudly: in stage 2 it names the
  // sandbox group, which every later stage-2 run carries.
  {
    win::StateLock lock(io);
    std::string failed;
    if (!lock.status()) {
      failed = lock.status().error().message();
    } else if (auto ledger = win::load_ledger(io); !ledger) {
      failed = ledger.error().message();
    } else if (auto removed = winsys::remove_aces(per_run, *ledger, io); !removed) {
      failed = removed.error().message();
    }
    if (!failed.empty())
      std::cerr << "cordon: the run's grants were not all removed (" << printable(failed)
                << "); `cordon setup uninstall` removes what the ledger holds\n";
  }
  // The sandbox could write there: links it planted are deleted as links, never
  // followed (plan/windows/remove_tree.hpp); what cannot be deleted is said, loudly.
  for (const std::string* dir : {&prep.plan.child_temp, &prep.plan.run_home}) {
    if (dir->empty()) continue;
    winsys::WinTreeOps ops;
    win::RemoveStats removed;
    auto gone = win::remove_tree(ops, *dir, removed);
    if (!gone)
      std::cerr << "cordon: could not remove the run's directory " << printable(*dir) << " ("
                << removed.failed.size() << " entr" << (removed.failed.size() == 1 ? "y" : "ies")
                << " left): " << printable(gone.error().message()) << "\n";
  }
  // A commondir or config.worktree the command created in a protected gitdir would send
  // git, run by the user later, to config and hooks of the command's choosing: renamed
  // away (plan/windows/git_guard.hpp), through handles, never following a link.
  for (const auto& watch : prep.plan.git_watch) {
    winsys::WinTreeOps ops;
    auto guarded = win::remove_new_pointers(ops, watch, prep.run_id);
    for (const auto& r : guarded.renamed)
      std::cerr << "cordon: renamed away a git pointer the command created: " << printable(r) << "\n";
    for (const auto& w : guarded.warnings) std::cerr << "cordon: git guard: " << printable(w) << "\n";
  }
  // A repository the command created (git init/clone in a root that had none) keeps no
  // hooks, pointers or code-running config for the user's next git outside.
  for (const auto& root : prep.plan.new_repo_roots) {
    winsys::WinTreeOps ops;
    auto guarded = win::neutralise_new_repository(ops, root, prep.run_id);
    for (const auto& r : guarded.renamed)
      std::cerr << "cordon: new repository neutralised: " << printable(r) << "\n";
    for (const auto& w : guarded.warnings) std::cerr << "cordon: git guard: " << printable(w) << "\n";
  }
  if (!result) return result.error();
  if (request.report_json) {
    nlohmann::json j{{"exit_code", result->exit_code},
                     {"timed_out", result->timed_out},
                     {"platform", "windows"},
                     {"stage", stage2 ? 2 : 1},
                     {"tty", result->tty}};
    if (!result->tty_note.empty()) j["tty_note"] = result->tty_note;
    std::cerr << j.dump() << "\n";
  }
  return result->exit_code;
}

// cordon mcp is POSIX-only for now: no warm workers to compare.
Result<std::string> plan_digest_now(const Policy&, bool) {
  return std::string();
}

struct PlanDigestMemo::Held {};
PlanDigestMemo::PlanDigestMemo(Policy policy) : policy_(std::move(policy)) {}
PlanDigestMemo::~PlanDigestMemo() = default;
Result<std::string> PlanDigestMemo::digest(bool) {
  return std::string();
}

// `cordon setup [status|uninstall|--refresh ...]`: stage 2 (platform/windows/setup/).
Result<nlohmann::json> review_report(const ReviewReportRequest&) {
  return usage_error("review_changes", "change sets are Linux only for now (docs/review.md)");
}

Result<int> gc(const GcRequest&) {
  return usage_error("gc", "is Linux only for now (docs/policy.md)");
}

Result<int> review(const ReviewRequest&) {
  return usage_error("review", "change sets are Linux only for now (docs/review.md has the Windows design)");
}

Result<int> setup(const std::vector<std::string>& args) {
  return winsys::setup_command(args);
}

}  // namespace cordon::platform
