// cordon: every question a plan asked of the disk, with its answer, to ask again later.
//
// The planner is pure: a plan is a function of the policy, the host's capabilities, the
// planner's inputs and the answers of its FsProbe. So when every question a plan asked
// gets the same answer again, a plan made now is the same plan, and need not be made.
// `cordon mcp` uses this per call (platform.hpp: PlanMemo): a warm worker's plan is the plan
// of the call's moment when its recorded questions all answer as before, which is much
// cheaper than planning again. Every question is asked again, exactly as it was asked:
// one answered "absent" too (a new .git must be seen), every directory listing in full
// (names and kinds; a listing in another order counts as different: fail closed).
//
//   FsRecorder rec(real);                  // lives as long as one plan
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
  };

  // Asks every recorded question of `now` again, in order; true only when each answer is
  // the one recorded (false at the first difference) and the record itself is sound.
  [[nodiscard]] bool holds(const FsProbe& now) const;
  [[nodiscard]] size_t size() const { return entries_.size(); }
  [[nodiscard]] bool sound() const { return sound_; }

 private:
  friend class FsRecorder;
  std::vector<Entry> entries_;
  // False when one question got two different answers while the plan was made (the disk
  // changed under it): such a record never holds.
  bool sound_ = true;
};

// An FsProbe that asks `inner` and records each question with its answer. Not thread-safe
// (one plan at a time, as the planner asks).
class FsRecorder final : public FsProbe {
 public:
  explicit FsRecorder(const FsProbe& inner) : inner_(inner) {}

  FileKind lkind(const std::string& path) const override;
  FileKind kind(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;
  std::vector<DirEntry> list_typed(const std::string& dir) const override;
  std::optional<std::vector<DirEntry>> list_typed_upto(const std::string& dir,
                                                       size_t max_entries) const override;
  std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const override;
  std::optional<std::string> realpath(const std::string& path) const override;

  // The record so far; the recorder starts a new one.
  [[nodiscard]] FsRecord take();

 private:
  void add(FsRecord::Entry e) const;

  const FsProbe& inner_;
  mutable FsRecord record_;
  mutable std::unordered_map<std::string, size_t> asked_;  // a question -> its entry
};

}  // namespace cordon
