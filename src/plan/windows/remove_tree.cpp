#include "plan/windows/remove_tree.hpp"

#include <cerrno>
#include <optional>

namespace cordon::win {
namespace {

struct Walk {
  TreeOps& ops;
  RemoveStats& stats;
  const RemoveLimits& limits;
  size_t seen = 0;
  std::optional<Error> first;

  void failed(const std::string& path, const Error& e) {
    stats.failed.push_back(path);
    if (!first) first = e;
  }

  // Deletes the contents of the open real directory `dir` (named `path` in messages).
  void empty(TreeOps::Object& dir, const std::string& path, int depth) {
    if (depth > limits.max_depth) {
      failed(path, usage_error("remove_tree", path + ": deeper than " + std::to_string(limits.max_depth)));
      return;
    }
    auto entries = ops.list(dir);
    if (!entries) {
      failed(path, entries.error());
      return;
    }
    for (const auto& e : *entries) {
      if (e.name.empty() || e.name == "." || e.name == "..") continue;
      if (++seen > limits.max_entries) {
        failed(path, usage_error("remove_tree",
                                 path + ": more than " + std::to_string(limits.max_entries) + " entries"));
        return;
      }
      std::string child_path = path + "\\" + e.name;
      auto child = ops.open(&dir, e.name);
      if (!child) {
        failed(child_path, child.error());
        continue;
      }
      remove_object(**child, child_path, e.reparse, depth + 1);
    }
  }

  // `listed_reparse`: what the parent's listing said; the handle is asked as well, and
  // either one is enough to treat the object as a link.
  void remove_object(TreeOps::Object& object, const std::string& path, bool listed_reparse, int depth) {
    auto info = ops.info(object);
    if (!info) {
      failed(path, info.error());
      return;
    }
    const bool link = listed_reparse || info->reparse;
    if (info->directory && !link) empty(object, path, depth);
    auto removed = ops.remove(object);
    if (!removed) {
      failed(path, removed.error());
      return;
    }
    if (link)
      ++stats.links;
    else if (info->directory)
      ++stats.directories;
    else
      ++stats.files;
  }
};

}  // namespace

Status remove_tree(TreeOps& ops, const std::string& top, RemoveStats& stats, const RemoveLimits& limits) {
  auto object = ops.open(nullptr, top);
  if (!object) {
    if (object.error().code == ENOENT) return Ok{};
    stats.failed.push_back(top);
    return object.error();
  }
  Walk walk{ops, stats, limits, 0, std::nullopt};
  walk.remove_object(**object, top, false, 0);
  if (walk.first) return *walk.first;
  return Ok{};
}

}  // namespace cordon::win
