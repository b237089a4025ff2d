// Capability-SID store and ACE ledger, with in-memory I/O.
#include "plan/windows/state.hpp"

#include <gtest/gtest.h>

#include <map>

namespace cordon::win {
namespace {

class MemoryIo : public StateIo {
 public:
  std::map<std::string, std::string> files;
  int writes = 0;
  bool locked = false;
  bool fail_lock = false;
  uint32_t counter = 1;

  Result<std::optional<std::string>> read(const std::string& name) override {
    EXPECT_TRUE(locked || name != kCapabilityFile);
    auto it = files.find(name);
    if (it == files.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }
  Status write_atomic(const std::string& name, const std::string& text) override {
    ++writes;
    files[name] = text;
    return Ok{};
  }
  Status lock() override {
    if (fail_lock) return os_error("CreateMutexW", "cordon-state", 5);
    locked = true;
    return Ok{};
  }
  void unlock() override { locked = false; }
  std::array<uint32_t, 4> random() override {
    uint32_t c = counter++;
    return {c, c * 7, c * 13, c * 31};
  }
};

TEST(WinCapStore, CreatesOnceThenReuses) {
  MemoryIo io;
  auto first = load_capability_sids(io, {"C:\\Work\\A"});
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(io.writes, 1);
  EXPECT_FALSE(io.locked);  // released
  const CapabilitySids& caps = first->sids;
  EXPECT_TRUE(sids::is_capability(caps.readonly));
  EXPECT_TRUE(sids::is_capability(caps.workspace));
  EXPECT_NE(caps.readonly, caps.workspace);
  ASSERT_NE(caps.for_root("c:/work/a/"), nullptr);

  auto second = load_capability_sids(io, {"c:\\WORK\\a"});
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->changed);
  EXPECT_EQ(io.writes, 1);
  EXPECT_EQ(second->sids.readonly, caps.readonly);
  EXPECT_EQ(*second->sids.for_root("C:\\Work\\A"), *caps.for_root("C:\\Work\\A"));
}

TEST(WinCapStore, EachWorkspaceGetsItsOwnSid) {
  MemoryIo io;
  auto r = load_capability_sids(io, {"C:\\A", "C:\\B"});
  ASSERT_TRUE(r);
  EXPECT_NE(*r->sids.for_root("C:\\A"), *r->sids.for_root("C:\\B"));
  auto more = load_capability_sids(io, {"C:\\C"});
  ASSERT_TRUE(more);
  EXPECT_EQ(more->sids.by_root.size(), 3u);
  EXPECT_EQ(*more->sids.for_root("C:\\A"), *r->sids.for_root("C:\\A"));
}

TEST(WinCapStore, CorruptFileIsReplacedAndReported) {
  MemoryIo io;
  io.files[kCapabilityFile] = std::string(64, '\0');
  auto r = load_capability_sids(io, {"C:\\A"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->changed);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_TRUE(parse_capability_sids(io.files[kCapabilityFile]));
}

TEST(WinCapStore, RejectsNonCapabilitySids) {
  EXPECT_FALSE(parse_capability_sids(R"({"version":1,"readonly":"S-1-1-0","workspace":"S-1-5-21-1-2-3-4"})"));
  EXPECT_FALSE(
      parse_capability_sids(R"({"version":2,"readonly":"S-1-5-21-1-2-3-4","workspace":"S-1-5-21-1-2-3-5"})"));
  EXPECT_TRUE(
      parse_capability_sids(R"({"version":1,"readonly":"S-1-5-21-1-2-3-4","workspace":"S-1-5-21-1-2-3-5"})"));
}

TEST(WinCapStore, LockFailureIsAnError) {
  MemoryIo io;
  io.fail_lock = true;
  auto r = load_capability_sids(io, {"C:\\A"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().call, "CreateMutexW");
  EXPECT_EQ(io.writes, 0);
}

TEST(WinLedger, AddIsIdempotentAndRoundTrips) {
  Ledger ledger;
  Ace ace{AceType::Deny, sids::capability({1, 2, 3, 4}), access::kModifying, ace_flags::kTree};
  EXPECT_TRUE(ledger.add("C:\\ws\\.git\\config", ace, "protected"));
  EXPECT_FALSE(ledger.add("c:\\WS\\.git\\CONFIG", ace, "protected"));
  auto parsed = parse_ledger(serialize(ledger));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->entries, ledger.entries);
  EXPECT_TRUE(parsed->remove("C:\\ws\\.git\\config", ace));
  EXPECT_TRUE(parsed->entries.empty());
}

TEST(WinLedger, PlaceholdersRoundTripAndOlderLedgersStillParse) {
  Ledger ledger;
  EXPECT_TRUE(ledger.add_placeholder({"C:\\ws\\.claude", true, "protected .claude"}));
  EXPECT_TRUE(ledger.add_placeholder({"C:\\ws\\.git\\config", false, "protected .git\\config"}));
  EXPECT_FALSE(ledger.add_placeholder({"c:\\WS\\.CLAUDE", true, "again"}));
  auto parsed = parse_ledger(serialize(ledger));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->placeholders, ledger.placeholders);
  EXPECT_FALSE(parsed->placeholders[1].directory);
  EXPECT_TRUE(parsed->remove_placeholder("c:\\ws\\.claude"));
  EXPECT_FALSE(parsed->has_placeholder("C:\\ws\\.claude"));
  // A ledger from before placeholders existed has none; a malformed list is corrupt.
  auto old = parse_ledger(R"({"version": 1, "entries": []})");
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->placeholders.empty());
  EXPECT_FALSE(parse_ledger(R"({"version": 1, "entries": [], "placeholders": [{"path": "C:\\x"}]})"));
}

TEST(WinLedger, CorruptLedgerIsAnErrorNotAGuess) {
  MemoryIo io;
  io.files[kLedgerFile] = "{not json";
  auto r = load_ledger(io);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("corrupt"), std::string::npos);
  MemoryIo empty;
  auto none = load_ledger(empty);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->entries.empty());
}

}  // namespace
}  // namespace cordon::win
