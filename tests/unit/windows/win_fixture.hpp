// A simulated Windows host for the planner and access-model tests: a profile with two
// workspaces, an outside directory, junctions and links out of the workspace, 8.3
// aliases, a world-writable directory on PATH, devices, and cordon's state dir.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "plan/windows/model_fs.hpp"
#include "plan/windows/planner.hpp"

namespace cordon::win::test {

inline const Sid kUser{5, {21, 100, 200, 300, 1001}};
inline const Sid kLogon{5, {5, 0, 424242}};
inline const Sid kRunSid = sids::capability({8, 8, 8, 8});  // one run's own SID

inline const char* const kProfile = "C:\\Users\\alice";
inline const char* const kWs = "C:\\Users\\alice\\src\\ws";
inline const char* const kWsB = "C:\\Users\\alice\\src\\wsb";
inline const char* const kExtra = "C:\\Users\\alice\\extra";
inline const char* const kOutside = "C:\\Users\\alice\\outside";
inline const char* const kTemp = "C:\\Users\\alice\\AppData\\Local\\Temp";
inline const char* const kState = "C:\\Users\\alice\\AppData\\Local\\cordon";
inline const char* const kTools = "C:\\Tools";  // world-writable, on PATH

inline CapabilitySids test_caps() {
  CapabilitySids caps;
  caps.readonly = sids::capability({1, 1, 1, 1});
  caps.workspace = sids::capability({2, 2, 2, 2});
  caps.by_root["c:\\users\\alice\\src\\ws"] = sids::capability({3, 3, 3, 3});
  caps.by_root["c:\\users\\alice\\src\\wsb"] = sids::capability({4, 4, 4, 4});
  caps.by_root["c:\\users\\alice\\extra"] = sids::capability({5, 5, 5, 5});
  caps.by_root["c:\\users\\alice\\src\\wt"] = sids::capability({6, 6, 6, 6});
  caps.by_root["c:\\users\\alice\\src\\bare"] = sids::capability({7, 7, 7, 7});
  return caps;
}

struct Host {
  std::unique_ptr<ModelFs> fs = std::make_unique<ModelFs>(kUser);
  WinHost host;

  Host() {
    using namespace access;
    const uint8_t tree = ace_flags::kTree;
    Ace admins{AceType::Allow, sids::administrators(), kFileAllAccess, tree};
    Ace system{AceType::Allow, sids::local_system(), kFileAllAccess, tree};
    Ace users_rx{AceType::Allow, sids::users(), kFileGenericRead | kFileGenericExecute, tree};
    Ace user_full{AceType::Allow, kUser, kFileAllAccess, tree};
    // C:\ - Authenticated Users may create folders at the root (the Windows default).
    fs->mkdir("C:\\",
              {admins, system, users_rx, {AceType::Allow, sids::authenticated_users(), kAppendData, 0}});
    fs->mkdir("C:\\Windows\\System32", {});
    fs->add_file("C:\\Windows\\System32\\kernel32.dll");
    fs->mkdir(kProfile, {admins, system, user_full}, /*protect_dacl=*/true);
    fs->mkdir(std::string(kProfile) + "\\src");
    // Workspace A: a git repository with hooks, agent config, ordinary files.
    fs->mkdir(std::string(kWs) + "\\.git\\hooks");
    fs->mkdir(std::string(kWs) + "\\.git\\objects");
    fs->add_file(std::string(kWs) + "\\.git\\config", {}, "[core]\n");
    fs->add_file(std::string(kWs) + "\\.git\\HEAD");
    fs->add_file(std::string(kWs) + "\\.git\\index");
    fs->add_file(std::string(kWs) + "\\.git\\index.lock");
    fs->add_file(std::string(kWs) + "\\.git\\hooks\\pre-commit");
    fs->set_short_name(std::string(kWs) + "\\.git", "GIT~1");
    fs->mkdir(std::string(kWs) + "\\.vscode");
    fs->add_file(std::string(kWs) + "\\.vscode\\settings.json");
    fs->mkdir(std::string(kWs) + "\\src");
    fs->add_file(std::string(kWs) + "\\src\\main.c");
    fs->add_file(std::string(kWs) + "\\evil");
    // Escapes planted in the workspace.
    fs->add_link(std::string(kWs) + "\\out", kOutside);
    fs->add_link(std::string(kWs) + "\\sys_link", "C:\\Windows");
    fs->add_link(std::string(kWs) + "\\drive", "C:\\");
    // Workspace B still carries the ACE an earlier sandbox run left for its own SID.
    fs->mkdir(kWsB, {{AceType::Allow, sids::capability({4, 4, 4, 4}),
                      kFileGenericRead | kFileGenericWrite | kFileGenericExecute | kDelete, tree}});
    fs->add_file(std::string(kWsB) + "\\file");
    fs->mkdir(kExtra);
    fs->mkdir(kOutside);
    fs->add_file(std::string(kOutside) + "\\secret.txt");
    fs->set_short_name(kOutside, "OUTSID~1");
    fs->add_link(std::string(kProfile) + "\\src\\ws_link", kOutside);
    fs->mkdir(kTemp);
    fs->mkdir(kState);
    fs->add_file(std::string(kState) + "\\capability-sids.json");
    fs->mkdir(kTools, {{AceType::Allow, sids::everyone(), kFileAllAccess, tree}});
    fs->mkdir("C:\\Users\\Public", {});
    // Devices.
    fs->add_device("\\\\.\\PhysicalDrive0", {admins, system});
    fs->add_device("\\\\.\\NUL",
                   {{AceType::Allow, sids::everyone(), kFileGenericRead | kFileGenericWrite, 0}});

    host.user = kUser;
    host.logon = kLogon;
    host.user_profile = kProfile;
    host.local_app_data = std::string(kProfile) + "\\AppData\\Local";
    host.public_dir = "C:\\Users\\Public";
    host.temp = kTemp;
    host.tmp = kTemp;
    host.state_dir = kState;
    host.path_entries = {"C:\\Windows\\System32", kTools};
    host.program_dirs = {"C:\\Program Files", "C:\\ProgramData"};
    host.fs = fs.get();
  }
};

inline Policy ws_policy(const std::string& workspace = kWs) {
  Policy p;
  p.mode = Mode::WorkspaceWrite;
  p.workspace = workspace;
  return p;
}

inline PlanOptions with_audit() {
  PlanOptions o;
  o.run_id = "t1";
  o.run_sid = kRunSid;
  o.audit.max_checks = 1000;
  o.audit.time = std::chrono::hours(1);
  return o;
}

// Applies a plan to the simulated volume the way the Win32 applier does.
inline void apply(ModelFs& fs, const WinPlan& plan) {
  for (const auto& ph : plan.placeholders) {
    if (fs.stat(ph.path).kind != FsEntry::Kind::Missing) continue;
    if (ph.directory)
      fs.mkdir(ph.path);
    else
      fs.add_file(ph.path);
  }
  for (const auto& a : plan.aces) {
    if (a.create_dir && fs.stat(a.path).kind == FsEntry::Kind::Missing) fs.mkdir(a.path);
    fs.add_ace(a.path, a.ace);
  }
}

// A path in the workspace, `rel` in Windows form.
inline std::string ws(const std::string& rel) {
  return std::string(kWs) + "\\" + rel;
}

// One access checked against the model: `op` on `path` (a rename: to `to`) is `allowed`.
struct Case {
  Op op;
  std::string path;
  bool allowed;
  std::string to = {};
};

inline void expect_cases(const ModelFs& fs, const TokenModel& token, const std::vector<Case>& cases) {
  for (const auto& c : cases)
    EXPECT_EQ(fs.can(token, c.op, c.path, RestrictedScope::AllModifying, c.to), c.allowed)
        << to_string(c.op) << " " << c.path << (c.to.empty() ? "" : " -> " + c.to) << " should be "
        << (c.allowed ? "allowed" : "denied");
}

}  // namespace cordon::win::test
