#include "plan/windows/git_guard.hpp"

#include <algorithm>
#include <cerrno>

#include "plan/windows/win_path.hpp"

namespace cordon::win {

const std::vector<std::string>& git_pointer_names() {
  static const std::vector<std::string> names = {"commondir", "config.worktree"};
  return names;
}

GitGuardResult remove_new_pointers(TreeOps& ops, const GitWatch& watch, const std::string& suffix) {
  GitGuardResult out;
  auto dir = ops.open(nullptr, watch.gitdir);
  if (!dir) {
    if (dir.error().code != ENOENT)
      out.warnings.push_back(watch.gitdir +
                             ": not checked for new commondir/config.worktree: " + dir.error().message());
    return out;
  }
  auto info = ops.info(**dir);
  if (!info || info->reparse || !info->directory) {
    out.warnings.push_back(watch.gitdir + ": " +
                           (info ? std::string("is no longer a plain directory") : info.error().message()) +
                           "; not checked for new commondir/config.worktree (left alone, check it by hand)");
    return out;
  }
  auto entries = ops.list(**dir);
  if (!entries) {
    out.warnings.push_back(watch.gitdir + ": cannot be listed: " + entries.error().message());
    return out;
  }
  auto is_pointer = [](const std::string& name) {
    const auto& names = git_pointer_names();
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return fold_case(n) == fold_case(name); });
  };
  auto was_present = [&](const std::string& name) {
    return std::any_of(watch.present.begin(), watch.present.end(),
                       [&](const std::string& p) { return fold_case(p) == fold_case(name); });
  };
  for (const auto& e : *entries) {
    if (!is_pointer(e.name) || was_present(e.name)) continue;
    const std::string where = join(watch.gitdir, e.name);
    auto entry = ops.open(dir->get(), e.name);
    if (!entry) {
      out.warnings.push_back(where +
                             ": appeared during the run and cannot be opened: " + entry.error().message());
      continue;
    }
    const std::string to = e.name + ".cordon-removed-" + suffix;
    if (auto st = ops.rename(**entry, **dir, to); !st) {
      out.warnings.push_back(where +
                             ": appeared during the run and cannot be renamed away: " + st.error().message());
      continue;
    }
    out.renamed.push_back(where + " -> " + to);
  }
  return out;
}

}  // namespace cordon::win
