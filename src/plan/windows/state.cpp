#include "plan/windows/state.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "plan/windows/win_path.hpp"

namespace cordon::win {
namespace {

std::optional<Sid> sid_field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto sid = Sid::parse(j[key].get<std::string>());
  if (!sid || !sids::is_capability(*sid)) return std::nullopt;
  return sid;
}

Sid fresh(StateIo& io) {
  return sids::capability(io.random());
}

}  // namespace

std::string serialize(const CapabilitySids& caps) {
  nlohmann::json j;
  j["version"] = 1;
  j["readonly"] = caps.readonly.str();
  j["workspace"] = caps.workspace.str();
  j["roots"] = nlohmann::json::object();
  for (const auto& [key, sid] : caps.by_root) j["roots"][key] = sid.str();
  return j.dump(2) + "\n";
}

std::optional<CapabilitySids> parse_capability_sids(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1) return std::nullopt;
  CapabilitySids caps;
  auto ro = sid_field(j, "readonly");
  auto ws = sid_field(j, "workspace");
  if (!ro || !ws) return std::nullopt;
  caps.readonly = *ro;
  caps.workspace = *ws;
  if (j.contains("roots")) {
    if (!j["roots"].is_object()) return std::nullopt;
    for (const auto& [key, value] : j["roots"].items()) {
      auto sid = value.is_string() ? Sid::parse(value.get<std::string>()) : std::nullopt;
      if (!sid || !sids::is_capability(*sid)) return std::nullopt;
      caps.by_root[path_key(key)] = *sid;
    }
  }
  return caps;
}

Result<CapabilityLoad> load_capability_sids(StateIo& io, const std::vector<std::string>& roots) {
  StateLock lock(io);
  if (!lock.status()) return lock.status().error();
  CapabilityLoad out;
  auto text = io.read(kCapabilityFile);
  if (!text) return text.error();
  std::optional<CapabilitySids> parsed;
  if (*text) {
    parsed = parse_capability_sids(**text);
    if (!parsed)
      out.notes.push_back(std::string(kCapabilityFile) + " was unreadable or corrupt; new SIDs were issued");
  }
  if (parsed) {
    out.sids = *parsed;
  } else {
    out.sids.readonly = fresh(io);
    out.sids.workspace = fresh(io);
    out.changed = true;
  }
  for (const auto& root : roots) {
    std::string key = path_key(root);
    if (out.sids.by_root.count(key)) continue;
    Sid sid = fresh(io);
    // A collision is astronomically unlikely; still, a SID must never be shared.
    auto taken = [&](const Sid& s) {
      if (s == out.sids.readonly || s == out.sids.workspace) return true;
      return std::any_of(out.sids.by_root.begin(), out.sids.by_root.end(),
                         [&](const auto& kv) { return kv.second == s; });
    };
    while (taken(sid)) sid = fresh(io);
    out.sids.by_root[key] = sid;
    out.changed = true;
  }
  if (out.changed) {
    auto w = io.write_atomic(kCapabilityFile, serialize(out.sids));
    if (!w) return w.error();
  }
  return out;
}

bool Ledger::contains(const std::string& path, const Ace& ace) const {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const LedgerEntry& e) { return same_path(e.path, path) && e.ace == ace; });
}

bool Ledger::add(const std::string& path, const Ace& ace, const std::string& reason) {
  if (contains(path, ace)) return false;
  entries.push_back({path, ace, reason});
  return true;
}

bool Ledger::remove(const std::string& path, const Ace& ace) {
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const LedgerEntry& e) { return same_path(e.path, path) && e.ace == ace; });
  if (it == entries.end()) return false;
  entries.erase(it);
  return true;
}

bool Ledger::has_placeholder(const std::string& path) const {
  return std::any_of(placeholders.begin(), placeholders.end(),
                     [&](const PlaceholderEntry& p) { return same_path(p.path, path); });
}

bool Ledger::add_placeholder(const Placeholder& placeholder) {
  if (has_placeholder(placeholder.path)) return false;
  placeholders.push_back({placeholder.path, placeholder.directory, placeholder.reason});
  return true;
}

bool Ledger::remove_placeholder(const std::string& path) {
  auto it = std::find_if(placeholders.begin(), placeholders.end(),
                         [&](const PlaceholderEntry& p) { return same_path(p.path, path); });
  if (it == placeholders.end()) return false;
  placeholders.erase(it);
  return true;
}

std::string serialize(const Ledger& ledger) {
  nlohmann::json j;
  j["version"] = 1;
  j["entries"] = nlohmann::json::array();
  for (const auto& e : ledger.entries)
    j["entries"].push_back({{"path", e.path},
                            {"type", e.ace.type == AceType::Allow ? "allow" : "deny"},
                            {"sid", e.ace.sid.str()},
                            {"mask", e.ace.mask},
                            {"flags", e.ace.flags},
                            {"reason", e.reason}});
  j["placeholders"] = nlohmann::json::array();
  for (const auto& p : ledger.placeholders)
    j["placeholders"].push_back(
        {{"path", p.path}, {"kind", p.directory ? "directory" : "file"}, {"reason", p.reason}});
  return j.dump(2) + "\n";
}

std::optional<Ledger> parse_ledger(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1 || !j.contains("entries") ||
      !j["entries"].is_array())
    return std::nullopt;
  Ledger ledger;
  for (const auto& e : j["entries"]) {
    if (!e.is_object() || !e.contains("path") || !e.contains("sid") || !e.contains("mask"))
      return std::nullopt;
    auto sid = Sid::parse(e.value("sid", ""));
    if (!sid) return std::nullopt;
    Ace ace{e.value("type", "") == "deny" ? AceType::Deny : AceType::Allow, *sid, e.value("mask", 0u),
            static_cast<uint8_t>(e.value("flags", 0u))};
    ledger.entries.push_back({e.value("path", ""), ace, e.value("reason", "")});
  }
  // Optional: ledgers written before placeholders existed have none.
  if (j.contains("placeholders")) {
    if (!j["placeholders"].is_array()) return std::nullopt;
    for (const auto& p : j["placeholders"]) {
      if (!p.is_object() || !p.contains("path") || !p["path"].is_string()) return std::nullopt;
      std::string kind = p.value("kind", "");
      if (kind != "directory" && kind != "file") return std::nullopt;
      ledger.placeholders.push_back(
          {p["path"].get<std::string>(), kind == "directory", p.value("reason", "")});
    }
  }
  return ledger;
}

Result<Ledger> load_ledger(StateIo& io) {
  auto text = io.read(kLedgerFile);
  if (!text) return text.error();
  if (!*text) return Ledger{};
  auto ledger = parse_ledger(**text);
  if (!ledger)
    return usage_error(
        kLedgerFile, "corrupt ACE ledger; refusing to guess which ACEs cordon added",
        "inspect the file in cordon's state dir; delete it only after removing cordon's ACEs by hand");
  return *ledger;
}

Status save_ledger(StateIo& io, const Ledger& ledger) {
  return io.write_atomic(kLedgerFile, serialize(ledger));
}

}  // namespace cordon::win
