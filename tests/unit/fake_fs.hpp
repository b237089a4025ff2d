// cordon unit tests: a file system in a map, for the planner and its recorder
// (plan/fs_probe.hpp). Paths are absolute and normalised; parents are made as needed.
// `asked` counts the questions put to it (kind() counts through lkind()).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "plan/fs_probe.hpp"

namespace cordon {

class FakeFs : public FsProbe {
 public:
  FakeFs& dir(const std::string& p) {
    add_parents(p);
    kinds_[p] = FileKind::Dir;
    return *this;
  }
  FakeFs& file(const std::string& p, std::string text = "") {
    add_parents(p);
    kinds_[p] = FileKind::File;
    text_[p] = std::move(text);
    return *this;
  }
  FakeFs& link(const std::string& p, const std::string& target) {
    add_parents(p);
    kinds_[p] = FileKind::Symlink;
    links_[p] = target;
    return *this;
  }
  FakeFs& remove(const std::string& p) {
    kinds_.erase(p);
    text_.erase(p);
    links_.erase(p);
    return *this;
  }
  FileKind lkind(const std::string& p) const override {
    ++asked;
    auto it = kinds_.find(p);
    return it == kinds_.end() ? FileKind::Missing : it->second;
  }
  FileKind kind(const std::string& p) const override {
    auto k = lkind(p);
    if (k == FileKind::Symlink) return lkind(links_.at(p));
    return k;
  }
  std::vector<std::string> list(const std::string& d) const override {
    ++asked;
    std::vector<std::string> out;
    for (const auto& [p, k] : kinds_)
      if (p != d && paths::parent(p) == d) out.push_back(paths::basename(p));
    return out;
  }
  std::optional<std::string> read_small(const std::string& p, size_t max) const override {
    ++asked;
    auto it = text_.find(p);
    if (it == text_.end()) return std::nullopt;
    return it->second.substr(0, max);
  }
  std::optional<std::string> realpath(const std::string& path) const override {
    ++asked;
    const std::string p = paths::normalize(path);
    if (lkind(p) == FileKind::Missing) return std::nullopt;
    auto it = links_.find(p);
    return it == links_.end() ? p : it->second;
  }

  mutable int asked = 0;

 private:
  void add_parents(const std::string& p) {
    for (const auto& a : paths::ancestors(p)) kinds_.emplace(a, FileKind::Dir);
  }
  std::map<std::string, FileKind> kinds_;
  std::map<std::string, std::string> text_, links_;
};

}  // namespace cordon
