#include "plan/fs_record.hpp"

#include <algorithm>
#include <utility>

namespace cordon {
namespace {

bool same_entries(const std::vector<DirEntry>& a, const std::vector<DirEntry>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const DirEntry& x, const DirEntry& y) {
    return x.kind == y.kind && x.name == y.name;
  });
}

bool same_entries(const std::optional<std::vector<DirEntry>>& a,
                  const std::optional<std::vector<DirEntry>>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || same_entries(*a, *b);
}

bool same_answer(const FsRecord::Entry& a, const FsRecord::Entry& b) {
  return a.kind == b.kind && a.names == b.names && same_entries(a.entries, b.entries) && a.text == b.text;
}

// The entries of a listing the plan uses, in their order.
std::vector<DirEntry> used_entries(const std::vector<DirEntry>& all, const ListingUse& use) {
  std::vector<DirEntry> out;
  for (const auto& e : all)
    if (use.uses(e)) out.push_back(e);
  return out;
}

// The recorded question asked of `fs` again, its answer in an entry like the recorded one
// (a typed listing narrowed as the record's are, when `use` is given).
FsRecord::Entry ask(const FsProbe& fs, const FsRecord::Entry& q, const ListingUse& use) {
  FsRecord::Entry a{q.question, q.path, q.limit};
  switch (q.question) {
    case FsRecord::Question::Lkind:
      a.kind = fs.lkind(q.path);
      break;
    case FsRecord::Question::Kind:
      a.kind = fs.kind(q.path);
      break;
    case FsRecord::Question::List:
      a.names = fs.list(q.path);
      break;
    case FsRecord::Question::ListTyped: {
      std::vector<DirEntry> all = fs.list_typed(q.path);
      a.count = all.size();
      a.entries = use.uses ? used_entries(all, use) : std::move(all);
      break;
    }
    case FsRecord::Question::ListTypedUpto:
      a.entries = fs.list_typed_upto(q.path, q.limit);
      break;
    case FsRecord::Question::ReadSmall:
      a.text = fs.read_small(q.path, q.limit);
      break;
    case FsRecord::Question::Realpath:
      a.text = fs.realpath(q.path);
      break;
  }
  return a;
}

}  // namespace

bool FsRecord::holds(const FsProbe& now) const {
  if (!sound_) return false;
  // Narrowed: the entries the plan did not use are only counted, and the walk that made
  // it stays within its budget only while all of them, as often as listed, fit in it.
  size_t listed = 0;
  for (const Entry& e : entries_) {
    const Entry answer = ask(now, e, use_);
    if (!same_answer(e, answer)) return false;
    if (narrowed() && e.question == Question::ListTyped) {
      listed += e.times * answer.count;
      if (listed > use_.budget) return false;
    }
  }
  return true;
}

void FsRecorder::add(FsRecord::Entry e) const {
  // The same question twice (the planner's memo forgets listings and reads): kept once,
  // unless the disk answered differently the second time.
  std::string key =
      std::to_string(static_cast<int>(e.question)) + ' ' + std::to_string(e.limit) + ' ' + e.path;
  auto& entries = record_.entries_;
  const auto [it, added] = asked_.try_emplace(std::move(key), entries.size());
  if (!added) {
    if (!same_answer(entries[it->second], e)) record_.sound_ = false;
    ++entries[it->second].times;
    return;
  }
  entries.push_back(std::move(e));
}

FileKind FsRecorder::lkind(const std::string& path) const {
  FsRecord::Entry e{FsRecord::Question::Lkind, path};
  e.kind = inner_.lkind(path);
  const FileKind k = e.kind;
  add(std::move(e));
  return k;
}

FileKind FsRecorder::kind(const std::string& path) const {
  FsRecord::Entry e{FsRecord::Question::Kind, path};
  e.kind = inner_.kind(path);
  const FileKind k = e.kind;
  add(std::move(e));
  return k;
}

std::vector<std::string> FsRecorder::list(const std::string& dir) const {
  FsRecord::Entry e{FsRecord::Question::List, dir};
  e.names = inner_.list(dir);
  std::vector<std::string> out = e.names;
  add(std::move(e));
  return out;
}

std::vector<DirEntry> FsRecorder::list_typed(const std::string& dir) const {
  FsRecord::Entry e{FsRecord::Question::ListTyped, dir};
  e.entries = inner_.list_typed(dir);
  std::vector<DirEntry> out = *e.entries;
  add(std::move(e));
  return out;
}

std::optional<std::vector<DirEntry>> FsRecorder::list_typed_upto(const std::string& dir,
                                                                 size_t max_entries) const {
  // Narrowing: declined, as for a directory too large to list (its only caller, the
  // planner's memo, then asks lkind() of each entry it needs: each recorded on its own,
  // where the listing would make any new name in the directory a difference).
  if (use_.uses) return std::nullopt;
  FsRecord::Entry e{FsRecord::Question::ListTypedUpto, dir, max_entries};
  e.entries = inner_.list_typed_upto(dir, max_entries);
  std::optional<std::vector<DirEntry>> out = e.entries;
  add(std::move(e));
  return out;
}

std::optional<std::string> FsRecorder::read_small(const std::string& path, size_t max_bytes) const {
  FsRecord::Entry e{FsRecord::Question::ReadSmall, path, max_bytes};
  e.text = inner_.read_small(path, max_bytes);
  std::optional<std::string> out = e.text;
  add(std::move(e));
  return out;
}

std::optional<std::string> FsRecorder::realpath(const std::string& path) const {
  FsRecord::Entry e{FsRecord::Question::Realpath, path};
  e.text = inner_.realpath(path);
  std::optional<std::string> out = e.text;
  add(std::move(e));
  return out;
}

FsRecord FsRecorder::take() {
  asked_.clear();
  FsRecord record = std::exchange(record_, FsRecord{});
  if (!use_.uses) return record;
  size_t listed = 0;
  for (const auto& e : record.entries_)
    if (e.question == FsRecord::Question::ListTyped) listed += e.times * e.entries->size();
  // Past the budget the walk stopped early, at a point that depends on every entry before
  // it: the listings are kept whole.
  if (listed > use_.budget) return record;
  for (auto& e : record.entries_) {
    if (e.question != FsRecord::Question::ListTyped) continue;
    e.count = e.entries->size();
    e.entries = used_entries(*e.entries, use_);
  }
  record.use_ = use_;
  return record;
}

}  // namespace cordon
