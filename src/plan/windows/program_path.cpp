#include "plan/windows/program_path.hpp"

#include <algorithm>

#include "plan/windows/win_path.hpp"

namespace cordon::win {
namespace {

std::string env_value(const std::vector<std::string>& env, const std::string& name) {
  const std::string key = fold_case(name) + "=";
  for (const auto& e : env)
    if (fold_case(e.substr(0, key.size())) == key) return e.substr(key.size());
  return {};
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(';', pos);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(pos, end - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.pop_back();
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"') item = item.substr(1, item.size() - 2);
    if (!item.empty()) out.push_back(item);
    pos = end + 1;
  }
  return out;
}

// The extensions CreateProcess can start, in PATHEXT's order (its default without one).
std::vector<std::string> launchable(const std::string& pathext) {
  static const std::vector<std::string> kStartable = {".com", ".exe", ".bat", ".cmd"};
  std::vector<std::string> out;
  for (const auto& e : split(pathext.empty() ? ".COM;.EXE;.BAT;.CMD" : pathext)) {
    std::string ext = fold_case(e);
    if (std::find(kStartable.begin(), kStartable.end(), ext) != kStartable.end() &&
        std::find(out.begin(), out.end(), ext) == out.end())
      out.push_back(ext);
  }
  return out;
}

bool has_startable_extension(const std::string& name, const std::vector<std::string>& exts) {
  std::string n = fold_case(name);
  return std::any_of(exts.begin(), exts.end(), [&](const std::string& e) {
    return n.size() > e.size() && n.compare(n.size() - e.size(), e.size(), e) == 0;
  });
}

}  // namespace

Result<std::string> resolve_program(const std::string& name, const std::string& cwd,
                                    const std::vector<std::string>& env,
                                    const std::function<bool(const std::string&)>& is_file) {
  if (name.empty()) return usage_error("command", "empty program name");
  const std::vector<std::string> exts = launchable(env_value(env, "PATHEXT"));
  auto candidates = [&](const std::string& base) {
    std::vector<std::string> out;
    if (has_startable_extension(base, exts)) out.push_back(base);
    for (const auto& e : exts) out.push_back(base + e);
    return out;
  };
  if (name.find_first_of("\\/:") != std::string::npos) {
    // A path: the user chose the file. Relative to the command's working directory; one
    // rooted on the current drive ("\\tools\\x") is CreateProcess's to interpret.
    const bool rooted = name[0] == '\\' || name[0] == '/';
    std::string base = is_absolute(name) || rooted || cwd.empty() ? name : normalize(join(cwd, name));
    for (const auto& c : candidates(base))
      if (is_file(c)) return c;
    return base;  // CreateProcess reports a missing file itself, with this exact path
  }
  for (const auto& dir : split(env_value(env, "PATH"))) {
    // A relative entry ("." or "bin") would resolve against the current directory.
    auto parsed = parse_path(dir);
    if (!parsed || parsed->kind == PathKind::Relative || parsed->kind == PathKind::Device) continue;
    for (const auto& c : candidates(join(parsed->object(), name)))
      if (is_file(c)) return c;
  }
  return usage_error("command '" + name + "'", "not found on the sandbox's PATH",
                     "give its full path; cordon never runs a program from the current directory "
                     "or from its own directory by a bare name");
}

}  // namespace cordon::win
