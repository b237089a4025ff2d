#include "platform/windows/setup/setup_cli.hpp"

#include <windows.h>

#include <filesystem>
#include <iostream>

#include "plan/windows/state.hpp"
#include "plan/windows/win_path.hpp"
#include "platform/windows/host_probe.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/setup/accounts.hpp"
#include "platform/windows/setup/firewall.hpp"
#include "platform/windows/setup/stage2.hpp"
#include "platform/windows/setup/wfp.hpp"
#include "platform/windows/state_io.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

using win::SetupErrorCode;

constexpr const char* kOutputFile = "setup-output.txt";

struct Args {
  bool status = false, uninstall = false, refresh = false, read_grants = false, elevated_child = false;
  std::string workspace, state_dir, real_user, profile;
  std::vector<std::string> writable, read_roots;
  std::optional<win::PortRange> proxy_ports;
};

Result<Args> parse(const std::vector<std::string>& args) {
  Args a;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string& out) -> Status {
      if (i + 1 >= args.size()) return usage_error("setup " + arg, "needs a value");
      out = args[++i];
      return Ok{};
    };
    std::string v;
    if (arg == "status") {
      a.status = true;
    } else if (arg == "uninstall" || arg == "--uninstall") {
      a.uninstall = true;
    } else if (arg == "--refresh") {
      a.refresh = true;
    } else if (arg == "--read-grants") {
      a.read_grants = true;
    } else if (arg == "--elevated-child") {
      a.elevated_child = true;
    } else if (arg == "--workspace" || arg == "--writable" || arg == "--read-root" ||
               arg == "--proxy-ports" || arg == "--state-dir" || arg == "--real-user" || arg == "--profile") {
      if (auto st = value(v); !st) return st.error();
      if (arg == "--workspace") a.workspace = v;
      if (arg == "--writable") a.writable.push_back(v);
      if (arg == "--read-root") a.read_roots.push_back(v);
      if (arg == "--state-dir") a.state_dir = v;
      if (arg == "--real-user") a.real_user = v;
      if (arg == "--profile") a.profile = v;
      if (arg == "--proxy-ports") {
        a.proxy_ports = win::parse_port_range(v);
        if (!a.proxy_ports)
          return usage_error("--proxy-ports", "invalid port range '" + v + "'", "e.g. 47800-47809");
      }
    } else {
      return usage_error("setup", "unknown argument '" + arg + "'",
                         "cordon setup [status|uninstall] [--refresh] [--workspace DIR] [--writable DIR] "
                         "[--read-root DIR] [--proxy-ports N-M]");
    }
  }
  return a;
}

// An absolute, final (links resolved) path; roots that are links are refused, as in
// stage 1: a grant there would land somewhere else.
Result<std::string> canonical_root(const WinFs& fs, const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(std::filesystem::u8path(path), ec);
  auto u8 = abs.u8string();
  std::string full = win::normalize(std::string(u8.begin(), u8.end()));
  auto entry = fs.stat(full);
  if (entry.kind != win::FsEntry::Kind::Directory) return usage_error("setup", full + " is not a directory");
  if (!win::same_path(entry.final_path, full))
    return usage_error("setup", full + " passes through a junction or link (to " + entry.final_path + ")",
                       "name the real directory");
  return entry.final_path;
}

void print_lines(const std::vector<std::string>& lines, std::ostream& out) {
  for (const auto& l : lines) out << "cordon: " << l << "\n";
}

// The elevated child has no visible console: it leaves its output for the parent.
void leave_output(const std::string& state_dir, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += "cordon: " + l + "\n";
  FileStateIo io(state_dir);
  (void)io.write_atomic(kOutputFile, text);
}

int report_error(const std::string& state_dir, const win::SetupError& e, bool child) {
  write_setup_error(state_dir, e);
  if (!child) std::cerr << win::to_text(e);
  return 1;
}

// Runs `cordon setup <args> --elevated-child ...` through UAC and relays its result.
// `original` holds absolute paths only: an elevated process starts in System32, so
// a relative root (".") would name the wrong directory there.
Result<int> elevate(const std::vector<std::string>& original, const std::string& state_dir,
                    const win::Sid& real_user, const std::string& profile) {
  clear_setup_error(state_dir);
  DeleteFileW(widen(win::join(state_dir, kOutputFile)).c_str());
  std::vector<std::string> child = {"setup"};
  child.insert(child.end(), original.begin(), original.end());
  for (const auto& extra : {std::string("--elevated-child"), std::string("--state-dir"), state_dir,
                            std::string("--real-user"), real_user.str(), std::string("--profile"), profile})
    child.push_back(extra);
  std::cout << "cordon: asking for administrator rights (one UAC prompt)\n";
  auto code = run_elevated(child);
  if (!code) return report_error(state_dir, code.error(), false);
  FileStateIo io(state_dir);
  if (auto out = io.read(kOutputFile); out && *out) std::cout << **out;
  if (*code != 0) {
    auto e = read_setup_error(state_dir);
    if (!e)
      e = win::SetupError{
          SetupErrorCode::ElevationFailed,
          "elevated cordon setup",
          static_cast<uint32_t>(*code),
          "",
          "the elevated setup exited with " + std::to_string(*code) + " and left no error file",
          ""};
    std::cerr << win::to_text(*e);
    return 1;
  }
  return 0;
}

int status(const std::string& state_dir) {
  FileStateIo io(state_dir);
  auto text = io.read(win::kLedgerFile);
  auto salvage = text && *text ? win::salvage_ledger(**text) : win::LedgerSalvage{};
  const auto& ledger = salvage.ledger;
  std::cout << "cordon: " << ledger.entries.size() << " ACE(s) in the ledger\n";
  for (const auto& e : ledger.entries) std::cout << "  " << e.path << ": " << win::to_string(e.ace) << "\n";
  std::cout << "cordon: " << ledger.placeholders.size() << " placeholder(s) in the ledger\n";
  for (const auto& ph : ledger.placeholders)
    std::cout << "  " << ph.path << " (" << (ph.directory ? "directory" : "file") << ")\n";
  std::cout << "cordon: " << ledger.setup.size() << " setup object(s) in the ledger\n";
  for (const auto& r : ledger.setup)
    std::cout << "  " << win::to_string(r.kind) << " " << r.name << (r.detail.empty() ? "" : "\\" + r.detail)
              << (r.sid.empty() ? "" : " (" + r.sid + ")") << "\n";
  for (const auto& p : salvage.problems) std::cout << "cordon: ledger problem: " << p << "\n";
  auto stage = read_stage(state_dir);
  if (stage.stage2) {
    const auto& m = *stage.marker;
    std::cout << "cordon: stage 2 (elevated sandbox) is set up, format " << m.version << "\n"
              << "  offline user " << m.offline.name << " (" << m.offline.sid.str() << "), firewall "
              << (m.proxy_ports ? "blocks all but loopback TCP " + win::to_string(*m.proxy_ports)
                                : "blocks all outbound")
              << "\n  online user " << m.online.name << " (" << m.online.sid.str() << ")\n  group "
              << m.group.name << " (" << m.group.sid.str() << "): " << m.write_roots.size() << " writable, "
              << m.read_roots.size() << " read root(s)\n";
    // F14: cordon's WFP objects, read back now (a stub engine, as Wine's, says so).
    const std::string wfp = wfp_not_verified(m.offline.sid, m.proxy_ports);
    std::cout << "  WFP filters (ICMP and outbound for the offline user): "
              << (wfp.empty() ? "read back, as set up" : "NOT verified: " + wfp) << "\n";
    if (m.read_grants_pending)
      std::cout << "  read grants: "
                << (read_grants_running() ? "in progress" : "pending (run `cordon setup` again)") << "\n";
  } else {
    std::cout << "cordon: stage 1 (unelevated sandbox); stage 2 not active: " << stage.reason << "\n";
  }
  if (auto e = read_setup_error(state_dir))
    std::cout << "cordon: the last setup failed:\n" << win::to_text(*e);
  return 0;
}

// CORDON_WINDOWS_ELEVATION=decline: behave as an unelevated user who declines the UAC
// prompt (the Wine smoke tests; Wine runs everything as an administrator).
bool elevated() {
  return env("CORDON_WINDOWS_ELEVATION") != "decline" && is_elevated();
}

}  // namespace

Result<int> setup_command(const std::vector<std::string>& args) {
  auto a = parse(args);
  if (!a) return a.error();
  std::string state_dir = a->state_dir;
  if (state_dir.empty()) {
    std::string local = env("LOCALAPPDATA");
    if (local.empty()) return usage_error("setup", "%LOCALAPPDATA% is not set");
    state_dir = win::join(local, "cordon");
  }
  CreateDirectoryW(widen(state_dir).c_str(), nullptr);
  if (a->status) return status(state_dir);
  if (a->read_grants) {
    auto st = run_read_grants(state_dir);
    return st ? 0 : report_error(state_dir, st.error(), true);
  }

  // The real user: the one who asked, even when an administrator approves the prompt.
  win::Sid real_user;
  if (!a->real_user.empty()) {
    auto sid = win::Sid::parse(a->real_user);
    if (!sid) return usage_error("--real-user", "not a SID: " + a->real_user);
    real_user = *sid;
  } else {
    HANDLE token = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
      return win32_error("OpenProcessToken", "");
    UniqueHandle owned(token);
    auto sid = token_user(token);
    if (!sid) return sid.error();
    real_user = *sid;
  }
  std::string profile = a->profile.empty() ? env("USERPROFILE") : a->profile;
  if (a->elevated_child) set_state_lock_user(real_user);

  if (a->uninstall) {
    // The elevated child removes only cordon's own objects; this process then undoes
    // the user's own ACEs and placeholders with the user's rights (F19).
    UninstallScope scope = a->elevated_child ? UninstallScope::Elevated : UninstallScope::All;
    int elevated_rc = 0;
    if (!a->elevated_child && setup_traces(state_dir) && !elevated()) {
      auto code = elevate({"uninstall"}, state_dir, real_user, profile);
      elevated_rc = code ? *code : 1;
      scope = UninstallScope::Unelevated;
    }
    auto r = run_uninstall(state_dir, scope);
    if (!r) return report_error(state_dir, r.error(), a->elevated_child);
    if (a->elevated_child)
      leave_output(state_dir, r->lines);
    else
      print_lines(r->lines, std::cout);
    for (const auto& e : r->errors) {
      if (!a->elevated_child) std::cerr << win::to_text(e);
    }
    if (!r->errors.empty()) return report_error(state_dir, r->errors.front(), true);
    if (elevated_rc != 0) return elevated_rc;  // the elevated part's error is printed and kept
    clear_setup_error(state_dir);
    return 0;
  }

  SetupRequest req;
  req.state_dir = state_dir;
  req.real_user = real_user;
  req.user_profile = profile;
  req.proxy_ports = a->proxy_ports;
  req.refresh = a->refresh;
  WinFs fs;
  std::vector<std::string> writes = a->writable;
  if (!a->workspace.empty())
    writes.insert(writes.begin(), a->workspace);
  else if (!a->refresh || writes.empty())
    writes.insert(writes.begin(), ".");  // the current directory
  for (const auto& w : writes) {
    auto root = canonical_root(fs, w);
    if (!root) return root.error();
    req.write_roots.push_back(*root);
  }
  for (const auto& r : a->read_roots) {
    auto root = canonical_root(fs, r);
    if (!root) return root.error();
    req.read_roots.push_back(*root);
  }
  if (!a->refresh && !a->elevated_child && !elevated()) {
    std::vector<std::string> child;
    for (size_t i = 0; i < req.write_roots.size(); ++i) {
      child.emplace_back(i == 0 ? "--workspace" : "--writable");
      child.push_back(req.write_roots[i]);
    }
    for (const auto& r : req.read_roots) {
      child.emplace_back("--read-root");
      child.push_back(r);
    }
    if (req.proxy_ports) {
      child.emplace_back("--proxy-ports");
      child.push_back(win::to_string(*req.proxy_ports));
    }
    return elevate(child, state_dir, real_user, profile);
  }
  auto report = run_setup(req);
  if (!report) return report_error(state_dir, report.error(), a->elevated_child);
  std::vector<std::string> lines = report->lines;
  for (const auto& n : report->plan.notes) lines.push_back("note: " + n);
  lines.push_back(report->plan.full
                      ? "stage 2 is set up (format " + std::to_string(win::kSetupFormatVersion) + ")"
                      : "refreshed: " + std::to_string(report->plan.steps.size()) + " step(s)");
  if (a->elevated_child)
    leave_output(state_dir, lines);
  else
    print_lines(lines, std::cout);
  clear_setup_error(state_dir);
  return 0;
}

win::Stage2Facts read_stage2_facts(const std::string& state_dir) {
  win::Stage2Facts facts;
  facts.status =
      state_dir.empty() ? win::StageStatus{false, "no state dir", std::nullopt} : read_stage(state_dir);
  facts.runner_dir = win::join(state_dir, "runner");
  if (!facts.active()) return facts;
  // Both network layers are read back at every run (F14): the firewall (rules as
  // planned, on for every active profile, local rules merged) and cordon's WFP objects.
  // Read only; an unelevated caller may read both.
  const win::SetupMarker& m = *facts.status.marker;
  ComScope com;
  auto fw = Firewall::open();
  facts.firewall_not_effective =
      fw ? fw->why_rules_are_not_effective() : "the firewall API failed: " + fw.error().message;
  if (fw && facts.firewall_not_effective.empty()) {
    for (const auto& want : win::firewall_rules(m.offline.sid, m.proxy_ports)) {
      auto got = fw->read(want.name);
      if (!got) {
        facts.firewall_not_effective = "the rule " + want.name + " cannot be read: " + got.error().call;
        break;
      }
      if (!*got || !win::compare_rules(want, **got).empty()) {
        facts.firewall_not_effective =
            "the rule " + want.name + (*got ? " differs from what setup wrote" : " is missing");
        break;
      }
    }
  }
  facts.wfp_not_verified = wfp_not_verified(m.offline.sid, m.proxy_ports);
  return facts;
}

}  // namespace cordon::winsys
