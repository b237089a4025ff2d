// cordon: `cordon review list|show|diff|apply|discard|gc` on Linux (platform.hpp),
// over the change sets in cordon's state directory (review_store.hpp). Everything that
// came from a sandbox (names, contents) reaches the terminal escaped.
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "core/paths.hpp"
#include "core/terminal_text.hpp"
#include "platform/linux/pinned_fs.hpp"
#include "platform/linux/review_apply.hpp"
#include "platform/linux/review_changes.hpp"
#include "platform/linux/review_diff.hpp"
#include "platform/linux/review_store.hpp"
#include "platform/linux/state_gc.hpp"
#include "platform/platform.hpp"

namespace cordon::platform {
namespace {

// cordon's state directory, as state.cpp chooses it, resolved by the kernel; "" when
// it does not exist yet (no change set was ever made).
std::string state_root() {
  std::string root;
  const char* xdg = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && paths::is_absolute(xdg))
    root = paths::join(xdg, "cordon");
  else if (home && *home)
    root = paths::join(home, ".local/state/cordon");
  else
    root = "/tmp/cordon-" + std::to_string(::getuid());
  char real[PATH_MAX];
  return ::realpath(root.c_str(), real) ? std::string(real) : "";
}

std::string age_text(int64_t created) {
  const int64_t s = std::max<int64_t>(0, static_cast<int64_t>(::time(nullptr)) - created);
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

void print_json(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::string esc(const std::string& s) {
  return escape_for_terminal(s);
}

bool selected(const std::string& path, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  for (auto w : wanted) {
    while (w.rfind("./", 0) == 0) w = w.substr(2);
    while (!w.empty() && w.back() == '/') w.pop_back();
    // "." (the workspace) selects its paths, not another staged root's (absolute ones).
    if (w.empty() || w == ".") {
      if (path.rfind('/', 0) != 0) return true;
      continue;
    }
    if (path == w || (path.size() > w.size() && path.compare(0, w.size(), w) == 0 && path[w.size()] == '/'))
      return true;
  }
  return false;
}

// A PATH argument as the changes are shown: workspace-relative (a leading ./ and trailing
// slashes dropped), or absolute: inside the workspace made relative, inside another staged
// root kept absolute (that root's paths are shown so).
std::string wanted_path(std::string w, const std::string& workspace) {
  if (paths::is_absolute(w)) {
    w = paths::normalize(w);
    if (paths::is_within(w, workspace)) return w == workspace ? "." : w.substr(workspace.size() + 1);
    return w;
  }
  while (w.rfind("./", 0) == 0) w = w.substr(2);
  while (!w.empty() && w.back() == '/') w.pop_back();
  return w;
}

std::vector<std::string> wanted_paths(const std::vector<std::string>& given, const std::string& workspace) {
  std::vector<std::string> out;
  for (const auto& g : given) out.push_back(wanted_path(g, workspace));
  return out;
}

nlohmann::json roots_json(const ReviewMeta& meta) {
  nlohmann::json roots = nlohmann::json::array({meta.workspace});
  for (const auto& r : meta.roots) roots.push_back(r);
  return roots;
}

Result<int> list(const ReviewStore& store, const ReviewRequest& req) {
  auto sets = store.list();
  if (!sets) return sets.error();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : *sets) {
    TreeSize size;
    if (auto set = store.open_set(m.id, ReviewLock::None))
      if (auto layers = review_layers(*set))
        for (const auto& layer : *layers) {
          UniqueFd upper(openat2_beneath(layer.dir.fd(), "upper", O_RDONLY | O_DIRECTORY, 0));
          if (!upper.valid()) continue;
          const TreeSize t = tree_size(upper.get());
          size.bytes += t.bytes;
          size.files += t.files;
        }
    if (req.json) {
      out.push_back({{"id", m.id},
                     {"workspace", m.workspace},
                     {"created", m.created},
                     {"age_seconds", static_cast<int64_t>(::time(nullptr)) - m.created},
                     {"bytes", size.bytes},
                     {"files", size.files},
                     {"staged_roots", roots_json(m)}});
    } else {
      std::cout << esc(m.id) << "  " << age_text(m.created) << "  " << size.files << " files, " << size.bytes
                << " bytes  " << esc(m.workspace) << "\n";
    }
  }
  if (req.json)
    print_json(out);
  else if (sets->empty())
    std::cout << "no change sets\n";
  return 0;
}

Result<int> show(const ReviewSet& set, const ReviewRequest& req) {
  auto layers = read_layers(set);
  if (!layers) return layers.error();
  const ChangeSet all = shown_changes(*layers);
  if (req.json) {
    nlohmann::json j = to_json(all);
    j["id"] = set.meta.id;
    j["workspace"] = set.meta.workspace;
    j["created"] = set.meta.created;
    j["staged_roots"] = roots_json(set.meta);
    print_json(j);
    return 0;
  }
  for (const auto& l : summary_lines(set.meta.id, all, set.meta.roots)) std::cout << esc(l) << "\n";
  for (const auto& c : all.changes) {
    const char* mark = c.kind == ChangeKind::Added      ? "A"
                       : c.kind == ChangeKind::Modified ? "M"
                       : c.kind == ChangeKind::Deleted  ? "D"
                       : c.kind == ChangeKind::Mode     ? "m"
                                                        : "?";
    std::cout << "  " << mark << " " << esc(c.path) << (c.type == EntryType::Dir ? "/" : "") << "\n";
  }
  return 0;
}

Result<int> diff(const ReviewSet& set, const ReviewRequest& req) {
  auto layers = read_layers(set);
  if (!layers) return layers.error();
  const auto wanted = wanted_paths(req.paths, set.meta.workspace);
  std::vector<std::vector<Change>> chosen(layers->size());
  std::vector<DiffLayer> diff_layers;
  ChangeSet shown;
  for (size_t i = 0; i < layers->size(); ++i) {
    const auto& l = (*layers)[i];
    for (const auto& c : l.changes.changes)
      if (selected(shown_path(l.layer.prefix, c.path), wanted)) {
        chosen[i].push_back(c);
        shown.changes.push_back(c);
        shown.changes.back().path = shown_path(l.layer.prefix, c.path);
      }
    shown.truncated = shown.truncated || l.changes.truncated;
    diff_layers.push_back({&chosen[i], l.upper.get(), l.lower.get(), l.layer.prefix});
  }
  DiffOptions options;
  options.stat = req.stat;
  options.escape_content = ::isatty(STDOUT_FILENO) == 1;
  const std::string text = review_diff(diff_layers, options);
  if (req.json) {
    nlohmann::json j = to_json(shown);
    j["id"] = set.meta.id;
    j[req.stat ? "stat" : "diff"] = text;
    print_json(j);
  } else {
    std::cout << text;
  }
  return 0;
}

Result<int> apply(const ReviewStore& store, ReviewSet& set, const ReviewRequest& req) {
  ApplyOptions options{wanted_paths(req.paths, set.meta.workspace), req.force};
  auto r = apply_review(store, set, options);
  if (!r) return r.error();
  const bool clean = r->refused.empty() && r->conflicts.empty();
  if (req.json) {
    nlohmann::json refused = nlohmann::json::array(), conflicts = nlohmann::json::array();
    for (const auto& [p, why] : r->refused) refused.push_back({{"path", p}, {"reason", why}});
    for (const auto& [p, why] : r->conflicts) conflicts.push_back({{"path", p}, {"reason", why}});
    print_json({{"id", set.meta.id},
                {"applied", r->applied},
                {"refused", refused},
                {"conflicts", conflicts},
                {"change_set_removed", r->everything}});
    return clean ? 0 : 1;
  }
  std::cout << "review " << esc(set.meta.id) << ": applied " << r->applied.size() << " change"
            << (r->applied.size() == 1 ? "" : "s") << " to " << esc(set.meta.workspace);
  for (const auto& root : set.meta.roots) std::cout << ", " << esc(root);
  std::cout << "\n";
  for (const auto& [p, why] : r->conflicts) std::cerr << "conflict: " << esc(p) << ": " << esc(why) << "\n";
  for (const auto& [p, why] : r->refused) std::cerr << "not applied: " << esc(p) << ": " << esc(why) << "\n";
  if (!r->conflicts.empty())
    std::cerr << "conflicts are left in the change set: review them, then cordon review apply --force "
              << esc(set.meta.id) << " PATH to write them anyway\n";
  if (r->everything) std::cout << "the change set is empty now and was removed\n";
  return clean ? 0 : 1;
}

Result<int> gc(const ReviewStore& store, const ReviewRequest& req) {
  if (!req.older_than)
    return usage_error("review gc", "needs --older-than", "cordon review gc --older-than 7d");
  auto age = parse_age(*req.older_than);
  if (!age) return age.error();
  auto sets = store.list();
  if (!sets) return sets.error();
  const int64_t now = ::time(nullptr);
  nlohmann::json removed = nlohmann::json::array();
  for (const auto& m : *sets) {
    if (now - m.created < *age) continue;
    auto set = store.open_set(m.id, ReviewLock::Exclusive);
    if (!set) continue;  // in use, or unreadable: left alone
    if (auto st = store.remove(*set); !st) return st.error();
    removed.push_back(m.id);
    if (!req.json) std::cout << "removed " << esc(m.id) << " (" << age_text(m.created) << " old)\n";
  }
  if (req.json) print_json({{"removed", removed}});
  return 0;
}

// A `paths` entry of review_changes, made workspace-relative: absolute inside the
// workspace, or relative without a `..` component; anything else is refused. The result
// is only ever compared with the names the scan found, never opened.
Result<std::string> relative_wanted(const std::string& given, const std::string& workspace,
                                    const std::vector<std::string>& staged_roots) {
  if (given.empty() || given.find('\0') != std::string::npos)
    return usage_error("paths", "each path must be a non-empty string without NUL");
  std::string p = given;
  if (paths::is_absolute(p)) {
    const std::string n = paths::normalize(p);
    if (n != p && n + "/" != p)
      return usage_error("paths", "'" + given + "' is not a normalized path (no . or .. components)");
    if (!paths::is_within(n, workspace)) {
      // Another staged root's path (--review-all) is kept absolute, as its changes are shown.
      for (const auto& r : staged_roots)
        if (paths::is_within(n, r)) return n;
      return usage_error(
          "paths", "'" + given + "' is outside the workspace " + workspace + " and every other staged root");
    }
    p = n == workspace ? std::string(".") : n.substr(workspace.size() + 1);
  }
  for (size_t from = 0; from <= p.size();) {
    size_t slash = p.find('/', from);
    if (slash == std::string::npos) slash = p.size();
    if (p.compare(from, slash - from, "..") == 0 && slash - from == 2)
      return usage_error("paths", "'" + given + "' has a .. component");
    from = slash + 1;
  }
  return p;
}

}  // namespace

Result<nlohmann::json> review_report(const ReviewReportRequest& req) {
  // Checked before any change set is opened, then against the set's staged roots.
  for (const auto& p : req.paths)
    if (auto rel = relative_wanted(p, req.workspace, {"/"}); !rel) return rel.error();
  const std::string root = state_root();
  if (root.empty()) return usage_error("review_changes", "no change set '" + req.id + "'");
  auto store = ReviewStore::open(root);
  if (!store) return store.error();
  auto set = store->open_set(req.id, ReviewLock::None);
  if (!set) return set.error();
  // The agent sees only the change sets of its own workspace.
  if (set->meta.workspace != req.workspace)
    return usage_error("review_changes", "change set '" + req.id + "' belongs to another workspace");
  std::vector<std::string> wanted;
  for (const auto& p : req.paths) {
    auto rel = relative_wanted(p, req.workspace, set->meta.roots);
    if (!rel) return rel.error();
    wanted.push_back(*rel);
  }
  auto layers = read_layers(*set);
  if (!layers) return layers.error();
  nlohmann::json j = to_json(shown_changes(*layers));
  j["id"] = set->meta.id;
  j["workspace"] = set->meta.workspace;
  j["created"] = set->meta.created;
  j["staged_roots"] = roots_json(set->meta);
  if (!req.diff) return j;
  std::string text;
  bool cut = false;
  nlohmann::json withheld = nlohmann::json::array();
  for (const auto& l : *layers)
    for (const auto& c : l.changes.changes) {
      const std::string shown = shown_path(l.layer.prefix, c.path);
      if (!selected(shown, wanted)) continue;
      const std::string abs = paths::join(l.layer.root, c.path);
      bool denied = false;
      for (const auto& d : req.deny_read)
        denied = denied || paths::is_within(abs, d) || paths::is_within(d, abs);
      if (denied) {
        withheld.push_back(shown);
        continue;
      }
      if (cut) continue;
      // One change at a time: the text never grows far past the bound.
      const std::vector<Change> just{c};
      std::string one =
          review_diff({DiffLayer{&just, l.upper.get(), l.lower.get(), l.layer.prefix}}, DiffOptions{});
      if (text.size() + one.size() > req.max_diff_bytes) {
        one.resize(req.max_diff_bytes - text.size());
        cut = true;
      }
      text += one;
    }
  j["diff"] = text;
  j["diff_truncated"] = cut;
  if (cut)
    j["diff_note"] = "the diff was cut at " + std::to_string(req.max_diff_bytes) +
                     " bytes; ask for fewer paths, or run cordon review diff " + set->meta.id;
  if (!withheld.empty()) j["withheld"] = withheld;
  return j;
}

Result<int> review(const ReviewRequest& req) {
  const std::string root = state_root();
  if (root.empty()) {
    if (req.action == "list" || req.action == "gc") {
      if (req.json)
        print_json(req.action == "list" ? nlohmann::json::array()
                                        : nlohmann::json{{"removed", nlohmann::json::array()}});
      else if (req.action == "list")
        std::cout << "no change sets\n";
      return 0;
    }
    return usage_error("review", "no change set '" + req.id + "'", "cordon review list shows them");
  }
  auto store = ReviewStore::open(root);
  if (!store) return store.error();
  if (req.action == "list") return list(*store, req);
  if (req.action == "gc") return gc(*store, req);
  if (req.id.empty())
    return usage_error("review " + req.action, "needs a change set id", "cordon review list shows them");
  const bool exclusive = req.action == "apply" || req.action == "discard";
  auto set = store->open_set(req.id, exclusive ? ReviewLock::Exclusive : ReviewLock::None);
  if (!set) return set.error();
  if (req.action == "show") return show(*set, req);
  if (req.action == "diff") return diff(*set, req);
  if (req.action == "apply") return apply(*store, *set, req);
  if (req.action == "discard") {
    if (auto st = store->remove(*set); !st) return st.error();
    if (req.json)
      print_json({{"id", req.id}, {"discarded", true}});
    else
      std::cout << "review " << esc(req.id) << ": discarded\n";
    return 0;
  }
  return usage_error("review", "unknown action '" + req.action + "'",
                     "list, show, diff, apply, discard or gc");
}

}  // namespace cordon::platform
