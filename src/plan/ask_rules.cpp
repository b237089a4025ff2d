#include "plan/ask_rules.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/config.hpp"
#include "core/defaults.hpp"
#include "core/paths.hpp"

namespace cordon {
namespace {

bool same_name_folded(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Where a grant may lead at all: below the home (not the home itself) or /var/tmp.
bool in_askable_area(const DenialRules& rules, const std::string& path) {
  const bool below_home =
      !rules.home.empty() && rules.home != "/" && paths::is_within(path, rules.home) && path != rules.home;
  const bool below_var_tmp = paths::is_within(path, "/var/tmp") && path != "/var/tmp";
  return below_home || below_var_tmp;
}

// The first protected path strictly below `dir` (what a rename of `dir` would carry), if any.
std::optional<std::string> holds_protected(const DenialRules& rules, const std::string& dir) {
  auto below = [&](const std::string& p) { return p != dir && paths::is_within(p, dir); };
  if (!rules.home.empty()) {
    for (const auto& e : defaults::protected_home_entries())
      if (below(paths::join(rules.home, e.path))) return paths::join(rules.home, e.path);
    for (const auto& s : defaults::secret_home_paths())
      if (below(paths::join(rules.home, s))) return paths::join(rules.home, s);
    for (const char* own : {".config/cordon", ".local/bin", "bin", ".local/share/applications"})
      if (below(paths::join(rules.home, own))) return paths::join(rules.home, own);
  }
  for (const auto* list : {&rules.never_ask, &rules.write_roots, &rules.gitdirs})
    for (const auto& p : *list)
      if (below(p)) return p;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> never_ask(const DenialRules& rules, Operation op, const std::string& raw) {
  if (!paths::is_absolute(raw)) return "not an absolute path";
  const std::string path = paths::normalize(raw);
  auto refused = classify(rules, op, path);
  if (!refused) return "not refused by the policy";
  if (refused->rule != "outside the writable roots") return refused->rule;
  if (!in_askable_area(rules, path)) return "outside the home directory and /var/tmp: never asked";
  // A protected name or .git anywhere in the path (folded: a case-insensitive file
  // system would take `.Git` for `.git`).
  size_t from = 1;
  while (from < path.size()) {
    const size_t cut = std::min(path.find('/', from), path.size());
    const std::string part = path.substr(from, cut - from);
    if (same_name_folded(part, ".git")) return "a git directory: never asked";
    for (const auto& name : defaults::protected_root_names())
      if (same_name_folded(part, name)) return "protected name " + name + ": never asked";
    from = cut + 1;
  }
  if (!rules.home.empty()) {
    for (const auto& e : defaults::protected_home_entries())
      if (paths::is_within(path, paths::join(rules.home, e.path)))
        return std::string("protected path ~/") + e.path + " (" + e.why + "): never asked";
    for (const auto& s : defaults::secret_home_paths())
      if (paths::is_within(path, paths::join(rules.home, s))) return "secret ~/" + s + ": never asked";
    for (const char* own : {".config/cordon", ".local/bin", "bin", ".local/share/applications"})
      if (paths::is_within(path, paths::join(rules.home, own)))
        return std::string("~/") + own + " (cordon's configuration or a directory on PATH): never asked";
  }
  for (const auto& n : rules.never_ask)
    if (paths::is_within(path, n))
      return n + " (cordon's own, or configuration the user's tools run): never asked";
  // A rename moves what is below its ends too: a directory moved onto ~/.config/systemd
  // brings a user/ of its own (units planted below a protected path no question named),
  // one moved away from an ancestor takes the protected path, or the workspace, along.
  if (op == Operation::Rename)
    if (auto below = holds_protected(rules, path)) return *below + " lies below it: never asked";
  for (const auto& m : rules.masked)
    if (paths::is_within(path, m) || paths::is_within(m, path)) return "a masked secret: never asked";
  for (const auto& h : rules.hidden)
    if (paths::is_within(path, h) || paths::is_within(h, path)) return "cordon's own state: never asked";
  return std::nullopt;
}

std::optional<std::string> never_ask_read(const DenialRules& rules, const std::string& raw) {
  if (!paths::is_absolute(raw)) return "not an absolute path";
  const std::string path = paths::normalize(raw);
  auto listed = [](const std::vector<std::string>& list, const std::string& p) {
    return std::find(list.begin(), list.end(), p) != list.end();
  };
  const bool file = listed(rules.asked_reads, path);
  const bool below_dir =
      std::any_of(rules.asked_read_dirs.begin(), rules.asked_read_dirs.end(),
                  [&](const std::string& d) { return path != d && paths::is_within(path, d); });
  if (!file && !below_dir) return "not a --deny-read path the user added: never asked";
  for (const char* pseudo : {"/proc", "/sys", "/dev"})
    if (paths::is_within(path, pseudo)) return std::string(pseudo) + ": never asked";
  for (const auto& h : rules.hidden)
    if (paths::is_within(path, h) || paths::is_within(h, path)) return "cordon's own state: never asked";
  for (const auto& c : rules.read_only)
    if (paths::is_within(path, c.path)) return "a protected path: never asked";
  if (file) return std::nullopt;
  // Below a directory the user denied: whatever the plan would protect or keep secret
  // there, had the user not denied the directory, stays out (the user named a directory,
  // not its git data, an editor's configuration or a secret the defaults list).
  size_t from = 1;
  while (from < path.size()) {
    const size_t cut = std::min(path.find('/', from), path.size());
    const std::string part = path.substr(from, cut - from);
    if (same_name_folded(part, ".git")) return "a git directory: never asked";
    for (const auto& name : defaults::protected_root_names())
      if (same_name_folded(part, name)) return "protected name " + name + ": never asked";
    for (const auto& c : rules.refuse_names)
      if (same_name_folded(part, c.path)) return "protected name " + c.path + ": never asked";
    from = cut + 1;
  }
  if (!rules.home.empty()) {
    for (const auto& e : defaults::protected_home_entries())
      if (paths::is_within(path, paths::join(rules.home, e.path))) return "a protected path: never asked";
    for (const auto& s : defaults::secret_home_paths())
      if (paths::is_within(path, paths::join(rules.home, s))) return "secret ~/" + s + ": never asked";
    for (const char* own : {".config/cordon", ".local/bin", "bin", ".local/share/applications"})
      if (paths::is_within(path, paths::join(rules.home, own)))
        return std::string("~/") + own + " (cordon's configuration or a directory on PATH): never asked";
  }
  for (const auto& n : rules.never_ask)
    if (paths::is_within(path, n))
      return n + " (cordon's own, or configuration the user's tools run): never asked";
  // A secret masked on its own (the default list) at or above the file.
  for (const auto& m : rules.masked)
    if (paths::is_within(path, m) && !listed(rules.asked_reads, m) && !listed(rules.asked_read_dirs, m))
      return "a masked secret: never asked";
  return std::nullopt;
}

std::string grant_directory(const DenialRules& rules, const std::string& path, bool path_is_directory) {
  std::string dir = path_is_directory ? paths::normalize(path) : paths::parent(path);
  if (!in_askable_area(rules, dir)) return {};
  // A directory rule makes everything below it writable: it must hold no protected or
  // secret path of the home (~/.config would hold ~/.config/git).
  if (!rules.home.empty()) {
    for (const auto& e : defaults::protected_home_entries())
      if (paths::is_within(paths::join(rules.home, e.path), dir)) return {};
    for (const auto& s : defaults::secret_home_paths())
      if (paths::is_within(paths::join(rules.home, s), dir)) return {};
    for (const char* own : {".config/cordon", ".local/bin", "bin", ".local/share/applications"})
      if (paths::is_within(paths::join(rules.home, own), dir)) return {};
  }
  for (const auto& n : rules.never_ask)
    if (paths::is_within(n, dir)) return {};
  if (never_ask(rules, Operation::Create, dir)) return {};
  return dir;
}

std::string learn_fragment(const std::vector<Grant>& grants, const DenialRules& rules) {
  struct Group {
    size_t count = 0;
    std::vector<std::string> examples;  // at most three
  };
  std::map<std::string, Group> dirs;
  std::vector<std::string> uncovered;
  // Network grants: one rule per host name and per loopback port, with what needed it.
  std::map<std::string, Group> hosts, ports;
  std::map<std::string, Group> reads;  // files the user's --deny-read masks, granted
  for (const auto& g : grants) {
    if (!g.allowed) continue;
    if (g.operation == "read") {
      if (never_ask_read(rules, g.path)) continue;
      ++reads[g.path].count;
      continue;
    }
    if (!g.network.empty()) {
      const bool port = g.network == "localhost";
      if (g.rule.empty() || (port && g.rule.find_first_not_of("0123456789") != std::string::npos)) continue;
      Group& group = (port ? ports : hosts)[g.rule];
      ++group.count;
      if (group.examples.size() < 3) group.examples.push_back(g.operation + " " + g.address);
      continue;
    }
    std::vector<std::pair<std::string, bool>> touched = {{g.path, g.operation == "mkdir"}};
    if (!g.to.empty()) touched.emplace_back(g.to, false);
    for (const auto& [p, is_dir] : touched) {
      const std::string dir = grant_directory(rules, p, is_dir);
      if (dir.empty()) {
        uncovered.push_back(g.operation + " " + p);
        continue;
      }
      Group& group = dirs[dir];
      ++group.count;
      if (group.examples.size() < 3) group.examples.push_back(g.operation + " " + p);
    }
  }
  // Nested directories fold into the outermost (the map is sorted: a parent comes first).
  std::vector<std::pair<std::string, Group>> kept;
  for (auto& [dir, group] : dirs) {
    if (!kept.empty() && paths::is_within(dir, kept.back().first)) {
      kept.back().second.count += group.count;
      for (auto& e : group.examples)
        if (kept.back().second.examples.size() < 3) kept.back().second.examples.push_back(e);
      continue;
    }
    kept.emplace_back(dir, std::move(group));
  }
  auto one_line = [](std::string s) {
    for (char& c : s)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return s;
  };
  std::string out =
      "# Written by cordon run --learn: the writable directories the command needed outside the\n"
      "# writable roots, the --deny-read files it read, and the hosts and the host's loopback\n"
      "# ports it connected to. Use it with\n"
      "# `cordon run --policy FILE`, or copy the rules into a config.\n";
  if (!kept.empty() || !reads.empty()) out += "[filesystem]\n";
  if (!kept.empty()) {
    out += "writable = [\n";
    for (const auto& [dir, group] : kept) {
      std::string why;
      for (const auto& e : group.examples) why += (why.empty() ? "" : "; ") + e;
      if (group.count > group.examples.size())
        why += " and " + std::to_string(group.count - group.examples.size()) + " more";
      out +=
          "  # " +
          one_line(std::to_string(group.count) + " operation" + (group.count == 1 ? "" : "s") + ": " + why) +
          "\n  " + toml_string(dir) + ",\n";
    }
    out += "]\n";
  }
  auto why_of = [&](const Group& group) {
    std::string why;
    for (const auto& e : group.examples) why += (why.empty() ? "" : "; ") + e;
    if (group.count > group.examples.size())
      why += " and " + std::to_string(group.count - group.examples.size()) + " more";
    return one_line(std::to_string(group.count) + " time" + (group.count == 1 ? "" : "s") + ": " + why);
  };
  // A read of a file the user's --deny-read masks: an exception for that file only (an
  // --allow-read exception removes the denial at or below it, core/resolve.cpp).
  if (!reads.empty()) {
    out += "allow_read = [\n";
    for (const auto& [file, group] : reads)
      out += "  # read " + std::to_string(group.count) + (group.count == 1 ? " time" : " times") + "\n  " +
             toml_string(file) + ",\n";
    out += "]\n";
  }
  if (!hosts.empty() || !ports.empty()) out += "[network]\n";
  if (!hosts.empty()) {
    out += "allow = [\n";
    for (const auto& [host, group] : hosts)
      out += "  # " + why_of(group) + "\n  " + toml_string(host) + ",\n";
    out += "]\n";
  }
  if (!ports.empty()) {
    out += "allow_localhost = [\n";
    for (const auto& [port, group] : ports) out += "  # " + why_of(group) + "\n  " + port + ",\n";
    out += "]\n";
  }
  for (const auto& u : uncovered)
    out += "# not covered (no directory rule smaller than the home holds it): " + one_line(u) + "\n";
  return out;
}

}  // namespace cordon
