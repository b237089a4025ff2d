#include "platform/linux/state_gc.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <set>

#include "core/paths.hpp"
#include "core/terminal_text.hpp"
#include "platform/linux/pinned_fs.hpp"
#include "platform/linux/state.hpp"
#include "platform/platform.hpp"

namespace cordon {
namespace {

constexpr size_t kMaxWorkspaces = 1'000'000;  // names listed in tmp/ or workspaces/
constexpr size_t kMaxRecord = 65536;          // a workspace path, with room
constexpr int kTrashRounds = 10000;           // each round a tree of its own (deep ones spill)

bool is_state_name(const std::string& name) {
  return name.size() == 32 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string nonce() {
  uint64_t n = 0;
  if (::getrandom(&n, sizeof n, 0) != static_cast<ssize_t>(sizeof n)) n = static_cast<uint64_t>(::getpid());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(n));
  return hex;
}

// The directories of the state directory, each pinned beneath the root.
struct StateTree {
  PinnedDir root, tmp, workspaces, locks, placeholders, trash;
};

// Pins `name` beneath the root, making it when missing (a state directory from before
// cordon had it).
Result<PinnedDir> pin_sub(const PinnedDir& root, const std::string& name, bool make) {
  if (make && ::mkdirat(root.fd(), name.c_str(), 0700) != 0 && errno != EEXIST)
    return os_error("mkdirat", root.path() + "/" + name, errno);
  auto d = root.subdir(name);
  if (!d && !make && d.error().code == ENOENT) return PinnedDir{};  // a dry run makes nothing
  return d;
}

Result<StateTree> pin_tree(const std::string& root_path, bool make) {
  StateTree t;
  auto root = PinnedDir::open_without_links(root_path);
  if (!root) return root.error();
  struct stat st {};
  if (::fstat(root->fd(), &st) != 0) return os_error("fstat", root_path, errno);
  if (st.st_uid != ::geteuid())
    return usage_error("gc", "'" + root_path + "' is not owned by uid " + std::to_string(::geteuid()),
                       "run cordon gc as the user whose state it is");
  t.root = std::move(*root);
  for (auto [field, name] :
       {std::pair{&t.tmp, "tmp"}, std::pair{&t.workspaces, "workspaces"}, std::pair{&t.locks, "locks"},
        std::pair{&t.placeholders, "placeholders"}, std::pair{&t.trash, "trash"}}) {
    auto d = pin_sub(t.root, name, make);
    if (!d) return d.error();
    *field = std::move(*d);
  }
  return t;
}

// The names in `dir`; none when it does not exist.
Result<std::vector<std::string>> names_in(const PinnedDir& dir) {
  if (!dir.valid()) return std::vector<std::string>{};
  return list_entries(dir, kMaxWorkspaces);
}

int64_t mtime_of(const PinnedDir& dir, const std::string& name) {
  auto st = stat_entry(dir, name);
  return st ? static_cast<int64_t>(st->st_mtim.tv_sec) : 0;
}

std::string days(int64_t seconds) {
  seconds = std::max<int64_t>(0, seconds);
  if (seconds < 2 * 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

// What the record says of `name`, and the verdict for it now.
void decide(const StateTree& t, const std::string& secret, const GcOptions& options, GcItem& item) {
  item.workspace.clear();
  item.workspace_gone = false;
  auto record = read_regular(t.workspaces, item.name, kMaxRecord);
  if (record && !record->empty() && record->back() == '\n') {
    const std::string ws = record->substr(0, record->size() - 1);
    // The name is the keyed hash of the path: a record that does not match it is not believed.
    if (!secret.empty() && paths::is_absolute(ws) && state_name(secret, ws) == item.name) item.workspace = ws;
  }
  item.last_used = record ? mtime_of(t.workspaces, item.name) : mtime_of(t.tmp, item.name);
  if (!item.workspace.empty()) {
    struct stat st {};
    // Only "no such path" counts as gone: EACCES, EIO or a slow mount keep the state.
    item.workspace_gone = ::lstat(item.workspace.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
  }
  const int64_t idle = static_cast<int64_t>(::time(nullptr)) - item.last_used;
  if (item.workspace_gone) {
    item.verdict = GcItem::Verdict::Remove;
    item.why = "the workspace no longer exists";
  } else if (idle >= options.older_than) {
    item.verdict = GcItem::Verdict::Remove;
    item.why = "no run for " + days(idle);
  } else {
    item.verdict = GcItem::Verdict::Keep;
    item.why = "used " + days(idle) + " ago";
  }
}

// Unlinks `name` beneath `dir` if it is there; anything but ENOENT is the item's error.
void unlink_if_there(const PinnedDir& dir, const std::string& name, GcItem& item) {
  if (::unlinkat(dir.fd(), name.c_str(), 0) != 0 && errno != ENOENT && !item.error)
    item.error = os_error("unlinkat", dir.path() + "/" + name, errno);
}

// Takes one workspace's state out of use under its lock; returns the name its private
// /tmp got in trash/ ("" when it had none).
std::string take_out_of_use(const StateTree& t, const std::string& secret, const GcOptions& options,
                            GcItem& item) {
  const std::string lock_name = item.name + ".lock";
  // A dry run makes nothing: no lock file means no run holds it.
  UniqueFd lock(openat2_beneath(t.locks.fd(), lock_name, options.dry_run ? O_RDWR : O_RDWR | O_CREAT, 0600));
  if (!lock.valid() && options.dry_run && errno == ENOENT) return "";
  if (!lock.valid()) {
    item.error = os_error("openat2", t.locks.path() + "/" + lock_name, errno);
    return "";
  }
  struct stat held {};
  auto named = stat_entry(t.locks, lock_name);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0 || ::fstat(lock.get(), &held) != 0 || !named ||
      named->st_ino != held.st_ino || named->st_dev != held.st_dev) {
    item.verdict = GcItem::Verdict::InUse;
    item.why = "in use by a running cordon";
    return "";
  }
  decide(t, secret, options, item);  // a run may have started since the scan
  if (item.verdict != GcItem::Verdict::Remove || options.dry_run) return "";
  std::string moved;
  if (stat_entry(t.tmp, item.name)) {
    moved = item.name + "." + nonce();
    if (::renameat2(t.tmp.fd(), item.name.c_str(), t.trash.fd(), moved.c_str(), RENAME_NOREPLACE) != 0) {
      item.error = os_error("renameat2", t.tmp.path() + "/" + item.name, errno);
      return "";
    }
  }
  item.removed = true;
  unlink_if_there(t.workspaces, item.name, item);
  // A ledger names placeholders still to remove: kept while the workspace exists.
  auto ledger = stat_entry(t.placeholders, item.name);
  if (ledger && (item.workspace_gone || ledger->st_size == 0))
    unlink_if_there(t.placeholders, item.name, item);
  unlink_if_there(t.locks, item.name + ".create", item);
  // Last, while held: a run waiting for it finds the name gone and takes a new one (state.cpp).
  unlink_if_there(t.locks, lock_name, item);
  return moved;
}

const RemoveLimits kLimits{};

// Removes every tree in trash/ (also those an earlier gc left, and the deep parts
// remove_tree() moved aside); what fails is left there and reported.
std::vector<Error> empty_trash(const StateTree& t) {
  std::vector<Error> errors;
  std::set<std::string> failed;
  for (int round = 0; round < kTrashRounds; ++round) {
    auto names = names_in(t.trash);
    if (!names) {
      errors.push_back(names.error());
      return errors;
    }
    bool any = false;
    for (const auto& n : *names) {
      if (failed.count(n) != 0) continue;
      any = true;
      size_t removed = 0;
      if (auto st = remove_tree(t.trash, n, t.trash, kLimits, removed); !st) {
        errors.push_back(st.error());
        failed.insert(n);
      }
    }
    if (!any) return errors;
  }
  errors.push_back(usage_error("gc",
                               "trash/ still has trees after " + std::to_string(kTrashRounds) + " rounds",
                               "run cordon gc again"));
  return errors;
}

}  // namespace

Result<int64_t> parse_age(const std::string& text) {
  if (text.empty()) return usage_error("--older-than", "needs a duration", "e.g. 7d, 12h, 30m");
  const char unit = text.back();
  std::string digits = text;
  int64_t mult = 1;
  if (unit == 'd' || unit == 'h' || unit == 'm' || unit == 's') {
    digits.pop_back();
    mult = unit == 'd' ? 86400 : unit == 'h' ? 3600 : unit == 'm' ? 60 : 1;
  }
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
    return usage_error("--older-than", "invalid duration '" + text + "'", "e.g. 7d, 12h, 30m");
  return std::stoll(digits) * mult;
}

Result<GcReport> collect_garbage(const std::string& root_path, const GcOptions& options) {
  GcReport report;
  char real[PATH_MAX];
  if (::realpath(root_path.c_str(), real) == nullptr) {
    if (errno == ENOENT) return report;  // no run ever: nothing to collect
    return os_error("realpath", root_path, errno);
  }
  report.root = real;
  auto tree = pin_tree(report.root, !options.dry_run);
  if (!tree) return tree.error();
  std::string secret;
  if (auto key = read_state_key(report.root); key)
    secret = *key;
  else if (key.error().code != ENOENT)
    return key.error();
  // Every workspace with a private /tmp or a record.
  std::set<std::string> names;
  for (const PinnedDir* dir : {&tree->tmp, &tree->workspaces}) {
    auto listed = names_in(*dir);
    if (!listed) return listed.error();
    for (const auto& n : *listed)
      if (is_state_name(n)) names.insert(n);
  }
  std::vector<std::string> moved;
  for (const auto& name : names) {
    GcItem item;
    item.name = name;
    decide(*tree, secret, options, item);
    if (item.verdict == GcItem::Verdict::Remove) {
      const std::string to = take_out_of_use(*tree, secret, options, item);
      if (!to.empty()) {
        // Removed now, so the names it took are counted for it.
        if (auto st = remove_tree(tree->trash, to, tree->trash, kLimits, item.names_removed); !st)
          item.error = st.error();
      }
    }
    report.items.push_back(std::move(item));
  }
  if (!options.dry_run) report.errors = empty_trash(*tree);
  return report;
}

namespace platform {
namespace {

std::string esc(const std::string& s) {
  return escape_for_terminal(s);
}

nlohmann::json item_json(const GcItem& i) {
  nlohmann::json j{{"name", i.name},
                   {"workspace", i.workspace.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.workspace)},
                   {"workspace_exists", !i.workspace_gone},
                   {"last_used", i.last_used},
                   {"reason", i.why}};
  if (i.removed) j["names_removed"] = i.names_removed;
  if (i.error) j["error"] = i.error->message();
  return j;
}

}  // namespace

Result<int> gc(const GcRequest& req) {
  GcOptions options;
  options.dry_run = req.dry_run || req.list;
  if (req.older_than) {
    auto age = parse_age(*req.older_than);
    if (!age) return age.error();
    options.older_than = *age;
  }
  const char* home = std::getenv("HOME");
  auto report = collect_garbage(state_root_path(home ? home : "", ::getuid()), options);
  if (!report) return report.error();
  size_t removed = 0, in_use = 0, kept = 0, failed = report->errors.size();
  nlohmann::json j{{"state_dir", report->root},         {"dry_run", options.dry_run},
                   {"older_than", options.older_than},  {"removed", nlohmann::json::array()},
                   {"in_use", nlohmann::json::array()}, {"kept", nlohmann::json::array()},
                   {"errors", nlohmann::json::array()}};
  for (const auto& i : report->items) {
    const std::string who = i.workspace.empty() ? "an unknown workspace (no record)" : esc(i.workspace);
    const std::string where = "tmp/" + i.name;
    if (i.error) ++failed;
    if (i.verdict == GcItem::Verdict::Remove) {
      ++removed;
      j["removed"].push_back(item_json(i));
      if (req.json) continue;
      if (options.dry_run)
        std::cout << "would remove " << who << " (" << where << "): " << i.why << "\n";
      else if (i.error)
        std::cout << "FAILED to remove " << who << " (" << where << "): " << i.why << ": "
                  << esc(i.error->message()) << "\n";
      else
        std::cout << "removed " << who << " (" << where << ", " << i.names_removed << " names): " << i.why
                  << "\n";
    } else if (i.verdict == GcItem::Verdict::InUse) {
      ++in_use;
      j["in_use"].push_back(item_json(i));
      if (!req.json) std::cout << "kept " << who << " (" << where << "): " << i.why << "\n";
    } else {
      ++kept;
      j["kept"].push_back(item_json(i));
      if (!req.json && req.list) std::cout << "kept " << who << " (" << where << "): " << i.why << "\n";
    }
  }
  for (const auto& e : report->errors) {
    j["errors"].push_back(e.message());
    if (!req.json) std::cout << "FAILED: " << esc(e.message()) << "\n";
  }
  if (req.json) {
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (report->root.empty()) {
    std::cout << "no state directory: nothing to remove\n";
  } else {
    std::cout << (options.dry_run ? "would remove " : "removed ") << removed << ", in use " << in_use
              << ", kept " << kept << " (used in the last " << days(options.older_than) << ")";
    if (failed > 0) std::cout << ", " << failed << " FAILED (left in " << esc(report->root) << "/trash)";
    std::cout << "; state directory " << esc(report->root) << "\n";
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace platform
}  // namespace cordon
