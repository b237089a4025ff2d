// cordon (Windows plan): persistent state - capability SIDs and the ACE ledger.
//
//   StateLock lock(io);                        // cross-process lock (a named mutex/file lock)
//   auto caps = load_capability_sids(io, {"C:\\ws"});   // creates missing SIDs, saves
//   Ledger ledger = load_ledger(io);           // every ACE cordon ever added
//
// The state lives in cordon's state dir (%LOCALAPPDATA%\cordon), never inside a
// workspace: a sandbox able to rewrite it could pick its own SIDs. Files are written
// atomically (temp file + rename) under the lock; SIDs come from a CSPRNG; root keys
// are canonical, case-folded paths, so "C:\\Work" and "c:/work/" share one SID.
// The I/O is an interface so the logic is tested without Windows.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/windows/access.hpp"
#include "plan/windows/planner.hpp"

namespace cordon::win {

class StateIo {
 public:
  virtual ~StateIo() = default;
  // nullopt when the file does not exist.
  virtual Result<std::optional<std::string>> read(const std::string& name) = 0;
  virtual Status write_atomic(const std::string& name, const std::string& text) = 0;
  virtual Status lock() = 0;
  virtual void unlock() = 0;
  virtual std::array<uint32_t, 4> random() = 0;  // from a CSPRNG
};

class StateLock {
 public:
  explicit StateLock(StateIo& io) : io_(io), status_(io.lock()) {}
  ~StateLock() {
    if (status_) io_.unlock();
  }
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  const Status& status() const { return status_; }

 private:
  StateIo& io_;
  Status status_;
};

inline constexpr const char* kCapabilityFile = "capability-sids.json";
inline constexpr const char* kLedgerFile = "acl-ledger.json";

struct CapabilityLoad {
  CapabilitySids sids;
  bool changed = false;            // written back
  std::vector<std::string> notes;  // "capability-sids.json was corrupt; new SIDs issued"
};

std::string serialize(const CapabilitySids& caps);
std::optional<CapabilitySids> parse_capability_sids(const std::string& text);
// Takes the lock, reads, adds SIDs for new roots, writes back when changed.
[[nodiscard]] Result<CapabilityLoad> load_capability_sids(StateIo& io, const std::vector<std::string>& roots);

struct LedgerEntry {
  std::string path;
  Ace ace;
  std::string reason;
  friend bool operator==(const LedgerEntry&, const LedgerEntry&) = default;
};

// A placeholder cordon created (plan/windows/planner.hpp); recorded before creation,
// removed by `cordon setup uninstall` while still empty.
struct PlaceholderEntry {
  std::string path;
  bool directory = true;
  std::string reason;
  friend bool operator==(const PlaceholderEntry&, const PlaceholderEntry&) = default;
};

// An object stage-2 setup created outside the file system (plan/windows/setup_plan.hpp):
// recorded *before* it is created, so uninstall can undo a crashed setup too.
enum class SetupObject { User, Group, FirewallRule, RegistryValue, Profile };
const char* to_string(SetupObject kind);

struct SetupRecord {
  SetupObject kind = SetupObject::User;
  std::string name;    // user/group/rule name; the registry key for RegistryValue
  std::string sid;     // users and groups, once known; the owner for Profile
  std::string detail;  // the registry value name
  friend bool operator==(const SetupRecord&, const SetupRecord&) = default;
};

struct Ledger {
  std::vector<LedgerEntry> entries;
  std::vector<PlaceholderEntry> placeholders;
  std::vector<SetupRecord> setup;  // format version 2; absent in version 1 ledgers
  bool contains(const std::string& path, const Ace& ace) const;
  bool add(const std::string& path, const Ace& ace, const std::string& reason);  // false if present
  bool remove(const std::string& path, const Ace& ace);
  bool has_placeholder(const std::string& path) const;
  bool add_placeholder(const Placeholder& placeholder);  // false if present
  bool remove_placeholder(const std::string& path);
  // Adds or updates (a SID learned later) the record of kind+name(+detail).
  bool record_setup(const SetupRecord& record);  // true when the ledger changed
  bool remove_setup(SetupObject kind, const std::string& name, const std::string& detail = {});
};

// Version 2 adds "setup"; version 1 ledgers (stage 1 only) are read as before.
inline constexpr int kLedgerVersion = 2;

std::string serialize(const Ledger& ledger);
std::optional<Ledger> parse_ledger(const std::string& text);
[[nodiscard]] Result<Ledger> load_ledger(StateIo& io);  // call with the lock held

// For uninstall: whatever can be recovered from a damaged ledger. A truncated file
// keeps every record that was complete; a malformed record is skipped and named in
// `problems`. Never throws, never guesses an ACE: a record missing a field is dropped.
struct LedgerSalvage {
  Ledger ledger;
  std::vector<std::string> problems;  // empty when the file parsed cleanly
  bool intact() const { return problems.empty(); }
};
LedgerSalvage salvage_ledger(const std::string& text);
[[nodiscard]] Status save_ledger(StateIo& io, const Ledger& ledger);

}  // namespace cordon::win
