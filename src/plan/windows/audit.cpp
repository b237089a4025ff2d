#include "plan/windows/audit.hpp"

#include <set>

#include "plan/windows/win_path.hpp"

namespace cordon::win {

std::string world_writable_by(const std::vector<Ace>& dacl) {
  const std::pair<Sid, const char*> groups[] = {{sids::everyone(), "Everyone"}};
  for (const auto& [sid, name] : groups) {
    TokenModel probe;
    probe.user = Sid{0, {0}};  // the null SID: matches no ACE
    probe.groups.push_back({sid, true, false});
    // Creating files or subdirectories is what matters for a directory.
    for (uint32_t right : {access::kWriteData, access::kAppendData})
      if (access_allowed(probe, &dacl, Sid{0, {0}}, right, RestrictedScope::AllModifying)) return name;
  }
  return {};
}

std::vector<std::string> audit_candidates(const WinHost& host, const std::string& cwd) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) {
    if (p.empty() || !is_absolute(p)) return;
    if (seen.insert(path_key(p)).second) out.push_back(normalize(p));
  };
  if (host.fs && !cwd.empty())
    for (const auto& name : host.fs->list(cwd)) add(join(cwd, name));
  add(host.temp);
  add(host.tmp);
  add(host.user_profile);
  add(host.public_dir);
  for (const auto& p : host.path_entries) add(p);
  add(host.system_drive + "\\");
  add(host.windows_dir);
  return out;
}

namespace {

// Installer caches and the registration database: large, TrustedInstaller-owned.
bool skipped(const WinHost& host, const std::string& path) {
  static const char* const kSkip[] = {"Installer", "Registration"};
  for (const char* s : kSkip)
    if (same_path(path, join(host.windows_dir, s))) return true;
  return false;
}

}  // namespace

AuditResult audit_world_writable(const WinHost& host, const std::vector<std::string>& candidates,
                                 const std::vector<std::string>& write_roots, const AuditBudget& budget) {
  AuditResult result;
  if (!host.fs || budget.max_checks == 0) return result;
  auto now = budget.now ? budget.now : [] { return std::chrono::steady_clock::now(); };
  const auto deadline = now() + budget.time;
  std::set<std::string> seen;
  auto inside_root = [&](const std::string& path) {
    for (const auto& root : write_roots)
      if (is_within(path, root)) return true;
    return false;
  };

  // Checks one entry; returns false when the budget is exhausted. `descend` gets the
  // directories worth a look one level further down.
  auto check = [&](const std::string& path, std::vector<std::string>* descend) -> bool {
    if (result.checked >= budget.max_checks || now() > deadline) {
      result.truncated = true;
      return false;
    }
    if (!seen.insert(path_key(path)).second) return true;
    ++result.checked;
    if (skipped(host, path) || host.fs->is_link(path)) return true;
    FsEntry e = host.fs->stat(path);
    if (e.kind == FsEntry::Kind::Missing) return true;
    const bool directory = e.kind == FsEntry::Kind::Directory;
    // Inside a writable root the command may write anyway; below the Windows directory
    // (TrustedInstaller's) one level is all the budget allows.
    const bool system = !host.windows_dir.empty() && is_within(e.final_path, host.windows_dir);
    if (directory && descend && !inside_root(e.final_path) && !system) descend->push_back(path);
    // Files below the Windows directory (System32 on PATH: thousands, all
    // TrustedInstaller's) would spend the budget on reading DACLs for nothing.
    if (!directory && system) return true;
    auto dacl = host.fs->dacl(path);
    if (!dacl) return true;
    std::string who = world_writable_by(*dacl);
    if (who.empty()) return true;
    WorldWritable w{e.final_path, who, false};
    w.inside_root = inside_root(e.final_path);
    // Drive roots never get ACEs (they would be inherited by the whole volume); the
    // finding is reported instead.
    w.drive_root = is_root(e.final_path);
    if (!w.inside_root && !w.drive_root)
      (directory ? result.denied : result.denied_files).push_back(e.final_path);
    result.found.push_back(std::move(w));
    return true;
  };
  auto children_of = [&](const std::string& dir) {
    auto children = host.fs->list(dir);
    if (children.size() > budget.max_entries_per_dir) {
      children.resize(budget.max_entries_per_dir);
      result.truncated = true;
    }
    return children;
  };

  // Two levels below each candidate, breadth first, so a budget that runs out leaves
  // the deepest level unscanned rather than a whole candidate. A directory below a
  // flagged one is still checked: its own explicit Everyone allow would come before
  // the inherited deny.
  std::vector<std::string> level2;
  for (const auto& cand : candidates) {
    if (!check(cand, nullptr)) return result;
    if (host.fs->is_link(cand) || skipped(host, cand)) continue;
    for (const auto& name : children_of(cand))
      if (!check(join(cand, name), &level2)) return result;
  }
  for (const auto& dir : level2)
    for (const auto& name : children_of(dir))
      if (!check(join(dir, name), nullptr)) return result;
  return result;
}

}  // namespace cordon::win
