#include "platform/windows/stage2_run.hpp"

#include <windows.h>

#include <algorithm>
#include <filesystem>

#include "plan/windows/planner.hpp"
#include "plan/windows/runner_env.hpp"
#include "plan/windows/win_path.hpp"
#include "platform/windows/conpty.hpp"
#include "platform/windows/host_probe.hpp"
#include "platform/windows/runner_station.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/setup/sandbox_user.hpp"
#include "platform/windows/setup/stage2.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

Error from_setup(const win::SetupError& e) {
  return Error{
      e.call.empty() ? "stage 2" : e.call, e.path, static_cast<int>(e.win32),
      "Win32 error " + std::to_string(e.win32) + ": " + e.message,
      e.hint.empty() ? "run `cordon setup` again, or `cordon uninstall` to go back to stage 1" : e.hint};
}

// The sandbox users cannot be assumed to read where cordon is installed (a per-user
// install lives in the real user's profile): the runner is copied to the runner
// directory, which the plan grants read+execute to the sandbox group (ledgered, removed
// by uninstall; win::add_stage2_aces). The copy is refreshed when the installed runner
// changes (size or write time).
Result<std::wstring> materialise_runner(const std::string& runner_dir) {
  namespace fs = std::filesystem;
  const fs::path source(runner_next_to_self());
  const fs::path dir = fs::u8path(runner_dir);
  const fs::path target = dir / source.filename();
  std::error_code ec;
  if (!fs::exists(source, ec))
    return Error{"stage 2", narrow(source.wstring()), 0, "cordon-runner.exe is not next to cordon.exe",
                 "reinstall cordon: the runner ships with it"};
  fs::create_directories(dir, ec);
  if (ec) return Error{"CreateDirectory", narrow(dir.wstring()), ec.value(), ec.message(), ""};
  const bool current = fs::exists(target, ec) && fs::file_size(target, ec) == fs::file_size(source, ec) &&
                       fs::last_write_time(target, ec) >= fs::last_write_time(source, ec);
  if (!current) {
    fs::copy_file(source, target, fs::copy_options::overwrite_existing, ec);
    if (ec) return Error{"CopyFile", narrow(target.wstring()), ec.value(), ec.message(), ""};
  }
  return target.wstring();
}

}  // namespace

bool stage2_active(const std::string& state_dir) {
  return read_stage(state_dir).stage2;
}

Result<Stage2> acquire_stage2(const Policy& policy, const win::Stage2Facts& facts,
                              const std::string& state_dir) {
  if (!facts.active())
    return usage_error("stage 2", facts.status.reason, "run `cordon setup` (one administrator prompt)");
  const win::SetupMarker& marker = *facts.status.marker;

  Stage2 s;
  s.state_dir = state_dir;
  switch (policy.net.mode) {
    case NetMode::Off:
      break;
    case NetMode::On:
      s.online = true;
      break;
    case NetMode::Proxy:
      if (!policy.best_effort)
        return usage_error("network allowlist", "cordon's proxy is not built for Windows yet",
                           "use --net off or --net on, or --best-effort to run with the network off");
      break;  // the offline user: the firewall blocks everything
  }
  auto account = sandbox_account(state_dir, s.online);
  if (!account) return from_setup(account.error());
  s.user_sid = account->sid.str();

  // Roots setup has not granted to the sandbox group yet: an unelevated refresh.
  std::vector<std::string> missing;
  for (const auto& root : policy.write_roots()) {
    const bool granted =
        std::any_of(marker.write_roots.begin(), marker.write_roots.end(),
                    [&](const std::string& g) { return win::path_key(g) == win::path_key(root); });
    if (!granted) missing.push_back(root);
  }
  if (!missing.empty()) {
    HANDLE raw = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw)) return win32_error("OpenProcessToken", "");
    UniqueHandle token(raw);
    auto me = token_user(token.get());
    if (!me) return me.error();
    SetupRequest refresh;
    refresh.state_dir = state_dir;
    refresh.real_user = *me;
    refresh.user_profile = env("USERPROFILE");
    refresh.write_roots = missing;
    refresh.proxy_ports = marker.proxy_ports;
    refresh.refresh = true;
    auto done = run_setup(refresh);
    if (!done) return from_setup(done.error());
  }

  auto runner = materialise_runner(facts.runner_dir);
  if (!runner) return runner.error();
  s.runner_exe = *runner;
  return s;
}

Result<RunnerOutcome> run_stage2(const Stage2& stage, const win::WinPlan& plan,
                                 const std::vector<std::string>& argv, const std::string& cwd,
                                 const std::vector<std::string>& env, std::optional<double> timeout_seconds,
                                 bool private_desktop, const Stage2Tty& tty) {
  // The runner's own window station and desktop, granted to the sandbox user (F16):
  // never the user's WinSta0\\Default. Held until the run has ended.
  auto sandbox_sid = win::Sid::parse(stage.user_sid);
  if (!sandbox_sid)
    return usage_error("stage 2", "the sandbox user's SID '" + stage.user_sid + "' is malformed");
  auto station = RunnerStation::create({*sandbox_sid});
  if (!station) return station.error();
  RunnerRequest req;
  req.runner_exe = stage.runner_exe;
  req.allowed_sid = stage.user_sid;
  // One CreateProcessWithLogonW per attempt; run_via_runner owns the single retry on a
  // stale logon session (1312), so this launcher never retries by itself.
  req.launcher = [state_dir = stage.state_dir, online = stage.online, desktop = (*station)->desktop_path()](
                     const std::wstring& command_line, int) -> Result<RunnerProcess> {
    SandboxLaunch launch;
    launch.state_dir = state_dir;
    launch.online = online;
    launch.command_line = command_line;
    launch.desktop = desktop;
    launch.retry_stale_logon = false;
    auto p = start_as_sandbox_user(launch);
    if (!p) return from_setup(p.error());
    return RunnerProcess{std::move(p->process), p->pid};
  };
  // The per-run profile (win::add_stage2_aces): made here, inside the private temp cordon just
  // created, before the command can run; it inherits the temp's grants.
  // With --tmp host the profile is a directory of its own (plan.run_home), which the
  // applier created new; only its subdirectories are made here.
  if (!plan.child_temp.empty() || !plan.run_home.empty()) {
    const bool own = plan.child_temp.empty();
    const std::string base = own ? plan.run_home : win::join(plan.child_temp, "profile");
    std::vector<std::string> dirs = {win::join(base, "AppData"), win::join(base, "AppData\\Roaming"),
                                     win::join(base, "AppData\\Local")};
    if (!own) dirs.insert(dirs.begin(), base);
    for (const std::string& d : dirs)
      if (!CreateDirectoryW(widen(d).c_str(), nullptr))  // new, or someone else made it: refused
        return win32_error("CreateDirectoryW", d, GetLastError(), "the command's per-run profile");
  }
  req.start =
      win::runner::start_from_plan(plan, argv, cwd, env, timeout_seconds, /*tty=*/false, private_desktop);
  req.stdin_source = GetStdHandle(STD_INPUT_HANDLE);
  // A terminal of the command's own: the runner's pseudoconsole, relayed in frames; the
  // caller's console is never handed to the runner, only its keys and size.
  std::optional<RawConsole> raw;
  if (stage2_tty(tty.mode)) {
    const auto size = console_window_size();
    req.start.tty = true;
    req.start.rows = size ? size->first : tty.rows;
    req.start.columns = size ? size->second : tty.columns;
    if (size)
      req.poll_size = []() -> std::optional<win::runner::Resize> {
        auto now = console_window_size();
        if (!now) return std::nullopt;
        return win::runner::Resize{now->first, now->second};
      };
    raw.emplace();
  }
  return run_via_runner(req);
}

}  // namespace cordon::winsys
