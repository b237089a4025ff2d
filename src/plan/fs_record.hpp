// cordon: every question a plan asked of the disk, with its answer, to ask again later.
//
// The planner is pure: a plan is a function of the policy, the host's capabilities, the
// planner's inputs and the answers of its FsProbe. So when every question a plan asked
// gets the same answer again, a plan made now is the same plan, and need not be made.
// `cordon mcp` uses this per call (platform.hpp: PlanMemo): a warm worker's plan is the plan
// of the call's moment when its recorded questions all answer as before, which is much
// cheaper than planning again. Every question is asked again, exactly as it was asked:
// one answered "absent" too (a new .git must be seen), every directory listing (names and
// kinds; a listing in another order counts as different: fail closed).
//
// A typed listing (list_typed: the walk for protected names at depth) can be compared by
// what the plan uses of it (ListingUse, given by the planner): the entries the walk acts
// on (protected names, .git, HEAD, every directory), in order, and the number of the
// others, which the walk only counts against its budget. So a build that writes ordinary
// files keeps the record holding, and a new .vscode, a new directory or a link in place of
// one does not. A bounded listing (list_typed_upto, plan/fs_memo.hpp: many lstat() asked
// of one directory answered by one readdir) is declined in that mode: its answer is used
// for names the recorder never sees asked, so each lstat() is recorded on its own instead.
//
//   FsRecorder rec(real, use);             // lives as long as one plan
//   plan_linux(policy, caps, rec, inputs);
//   FsRecord record = rec.take();
//   record.holds(real);                    // later: true when every answer is the same
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "plan/fs_probe.hpp"

namespace cordon {

// What a plan uses of a typed listing (FsProbe::list_typed), as its planner says.
struct ListingUse {
  // An entry the plan acts on (by its name or its kind): asked again with its kind, in
  // order. The others are only counted.
  bool (*uses)(const DirEntry& e) = nullptr;
  // The plan counted the entries of its typed listings against this budget (the walk
  // stops past it, and which entries it read then depends on every one of them). A record
  // narrows listings only when every typed listing, counted once for each time it was
  // made, stays within it, when recorded and when asked again.
  size_t budget = 0;
};

class FsRecord {
 public:
  enum class Question { Lkind, Kind, List, ListTyped, ListTypedUpto, ReadSmall, Realpath };
  struct Entry {
    Question question = Question::Lkind;
    std::string path = {};
    size_t limit = 0;  // max_entries or max_bytes, for the questions that take one
    // The answer, in the field its question uses.
    FileKind kind = FileKind::Missing;
    std::vector<std::string> names = {};
    std::optional<std::vector<DirEntry>> entries = {};
    std::optional<std::string> text = {};
    size_t times = 1;  // how often the plan asked it
    size_t count = 0;  // ListTyped: all the entries, when `entries` holds only those used
  };

  // Asks every recorded question of `now` again, in order; true only when each answer is
  // the one recorded (false at the first difference) and the record itself is sound.
  [[nodiscard]] bool holds(const FsProbe& now) const;
  [[nodiscard]] size_t size() const { return entries_.size(); }
  [[nodiscard]] bool sound() const { return sound_; }
  // True when typed listings are compared by what the plan uses of them (ListingUse).
  [[nodiscard]] bool narrowed() const { return use_.uses != nullptr; }

 private:
  friend class FsRecorder;
  std::vector<Entry> entries_;
  ListingUse use_;  // uses == nullptr: every listing compared whole
  // False when one question got two different answers while the plan was made (the disk
  // changed under it): such a record never holds.
  bool sound_ = true;
};

// An FsProbe that asks `inner` and records each question with its answer. Not thread-safe
// (one plan at a time, as the planner asks).
class FsRecorder final : public FsProbe {
 public:
  explicit FsRecorder(const FsProbe& inner, ListingUse use = {}) : inner_(inner), use_(use) {}

  FileKind lkind(const std::string& path) const override;
  FileKind kind(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;
  std::vector<DirEntry> list_typed(const std::string& dir) const override;
  std::optional<std::vector<DirEntry>> list_typed_upto(const std::string& dir,
                                                       size_t max_entries) const override;
  std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const override;
  std::optional<std::string> realpath(const std::string& path) const override;

  // The record so far; the recorder starts a new one. Its typed listings are narrowed to
  // what the plan uses of them when a ListingUse was given and the plan stayed within its
  // budget; else they are kept whole.
  [[nodiscard]] FsRecord take();

 private:
  void add(FsRecord::Entry e) const;

  const FsProbe& inner_;
  const ListingUse use_;
  mutable FsRecord record_;
  mutable std::unordered_map<std::string, size_t> asked_;  // a question -> its entry
};

}  // namespace cordon
