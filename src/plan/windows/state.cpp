#include "plan/windows/state.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "plan/windows/json_fields.hpp"
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
  if (j.is_discarded() || !j.is_object() || int_field(j, "version", 0) != 1) return std::nullopt;
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

const char* to_string(SetupObject kind) {
  switch (kind) {
    case SetupObject::User:
      return "user";
    case SetupObject::Group:
      return "group";
    case SetupObject::FirewallRule:
      return "firewall-rule";
    case SetupObject::RegistryValue:
      return "registry-value";
    case SetupObject::Profile:
      return "profile";
  }
  return "user";
}

namespace {

std::optional<SetupObject> parse_setup_object(const std::string& text) {
  for (auto k : {SetupObject::User, SetupObject::Group, SetupObject::FirewallRule, SetupObject::RegistryValue,
                 SetupObject::Profile})
    if (text == to_string(k)) return k;
  return std::nullopt;
}

bool same_record(const SetupRecord& r, SetupObject kind, const std::string& name, const std::string& detail) {
  return r.kind == kind && fold_case(r.name) == fold_case(name) && fold_case(r.detail) == fold_case(detail);
}

// Set by PartialDom on every object still open when the text ended or broke.
constexpr const char* kPartial = "\x01partial";

// A JSON DOM built from SAX events that survives a parse error: what was complete
// before the error stays, and every object left open is marked partial.
class PartialDom : public nlohmann::json_sax<nlohmann::json> {
 public:
  nlohmann::json root;
  bool failed = false;
  std::string error;

  // json_sax's special members are noexcept; ours only default-construct the members.
  PartialDom() = default;  // NOLINT(bugprone-exception-escape)

  bool null() override { return put(nullptr); }
  bool boolean(bool v) override { return put(v); }
  bool number_integer(number_integer_t v) override { return put(v); }
  bool number_unsigned(number_unsigned_t v) override { return put(v); }
  bool number_float(number_float_t v, const string_t&) override { return put(v); }
  bool string(string_t& v) override { return put(v); }
  bool binary(binary_t&) override { return put(nullptr); }
  bool start_object(std::size_t) override { return open(nlohmann::json::object()); }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(nlohmann::json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    failed = true;
    error = "at byte " + std::to_string(position) + ": " + e.what();
    for (auto* open : stack_)
      if (open->is_object()) (*open)[kPartial] = true;
    return false;
  }

 private:
  std::vector<nlohmann::json*> stack_;
  std::string key_;

  nlohmann::json* insert(nlohmann::json v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    nlohmann::json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    top[key_] = std::move(v);
    return &top[key_];
  }
  bool put(nlohmann::json v) {
    insert(std::move(v));
    return true;
  }
  bool open(nlohmann::json v) {
    stack_.push_back(insert(std::move(v)));
    return true;
  }
  bool close() {
    if (!stack_.empty()) stack_.pop_back();
    return true;
  }
};

bool is_string(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string();
}

// Reads a ledger document. strict: the first problem fails the whole parse (the normal
// load); lenient: each bad record is skipped and described (uninstall's salvage).
bool read_ledger(const nlohmann::json& j, bool strict, Ledger& out, std::vector<std::string>& problems) {
  auto problem = [&](std::string what) {
    problems.push_back(std::move(what));
    return !strict;
  };
  if (!j.is_object()) {
    problem("not a JSON object");
    return false;
  }
  int version = j.contains("version") && j["version"].is_number_integer() ? j["version"].get<int>() : 0;
  if (version != 1 && version != kLedgerVersion) {
    if (!problem("unknown ledger version " + std::to_string(version))) return false;
  }
  if (!j.contains("entries") || !j["entries"].is_array()) {
    if (!problem("no \"entries\" array")) return false;
  } else {
    size_t index = 0;
    for (const auto& e : j["entries"]) {
      ++index;
      const bool partial = e.is_object() && e.contains(kPartial);
      // Flags may be absent (0), never of another type; a truncated entry is partial.
      const bool flags_ok = e.is_object() && (!e.contains("flags") || e["flags"].is_number_unsigned());
      const bool complete = e.is_object() && !partial && is_string(e, "path") && is_string(e, "sid") &&
                            e.contains("mask") && e["mask"].is_number_unsigned() && flags_ok;
      auto sid = complete ? Sid::parse(e["sid"].get<std::string>()) : std::nullopt;
      if (!sid) {
        if (!problem("ACE entry " + std::to_string(index) + (partial ? " is truncated" : " is malformed")))
          return false;
        continue;
      }
      Ace ace{text_field(e, "type") == "deny" ? AceType::Deny : AceType::Allow, *sid,
              e["mask"].get<uint32_t>(),
              static_cast<uint8_t>(e.contains("flags") ? e["flags"].get<uint32_t>() : 0u)};
      out.entries.push_back({e["path"].get<std::string>(), ace, text_field(e, "reason")});
    }
  }
  // Optional: ledgers written before placeholders existed have none.
  if (j.contains("placeholders")) {
    if (!j["placeholders"].is_array()) {
      if (!problem("\"placeholders\" is not an array")) return false;
    } else {
      for (const auto& p : j["placeholders"]) {
        std::string kind = text_field(p, "kind");
        if (!p.is_object() || p.contains(kPartial) || !is_string(p, "path") ||
            (kind != "directory" && kind != "file")) {
          if (!problem("a placeholder record is malformed or truncated")) return false;
          continue;
        }
        out.placeholders.push_back(
            {p["path"].get<std::string>(), kind == "directory", text_field(p, "reason")});
      }
    }
  }
  // Version 2: objects stage-2 setup created.
  if (j.contains("setup")) {
    if (!j["setup"].is_array()) {
      if (!problem("\"setup\" is not an array")) return false;
    } else {
      for (const auto& r : j["setup"]) {
        auto kind = r.is_object() && is_string(r, "kind") ? parse_setup_object(r["kind"].get<std::string>())
                                                          : std::nullopt;
        if (!kind || r.contains(kPartial) || !is_string(r, "name")) {
          if (!problem("a setup record is malformed or truncated")) return false;
          continue;
        }
        out.setup.push_back(
            {*kind, r["name"].get<std::string>(), text_field(r, "sid"), text_field(r, "detail")});
      }
    }
  }
  return true;
}

}  // namespace

bool Ledger::record_setup(const SetupRecord& record) {
  for (auto& r : setup)
    if (same_record(r, record.kind, record.name, record.detail)) {
      if (record.sid.empty() || r.sid == record.sid) return false;
      r.sid = record.sid;
      return true;
    }
  setup.push_back(record);
  return true;
}

bool Ledger::remove_setup(SetupObject kind, const std::string& name, const std::string& detail) {
  auto it = std::find_if(setup.begin(), setup.end(),
                         [&](const SetupRecord& r) { return same_record(r, kind, name, detail); });
  if (it == setup.end()) return false;
  setup.erase(it);
  return true;
}

std::string serialize(const Ledger& ledger) {
  nlohmann::json j;
  j["version"] = kLedgerVersion;
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
  j["setup"] = nlohmann::json::array();
  for (const auto& r : ledger.setup)
    j["setup"].push_back(
        {{"kind", to_string(r.kind)}, {"name", r.name}, {"sid", r.sid}, {"detail", r.detail}});
  return j.dump(2) + "\n";
}

std::optional<Ledger> parse_ledger(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  Ledger ledger;
  std::vector<std::string> problems;
  if (!read_ledger(j, /*strict=*/true, ledger, problems) || !problems.empty()) return std::nullopt;
  return ledger;
}

LedgerSalvage salvage_ledger(const std::string& text) {
  LedgerSalvage out;
  PartialDom dom;
  nlohmann::json::sax_parse(text, &dom, nlohmann::json::input_format_t::json, /*strict=*/true,
                            /*ignore_comments=*/false);
  if (dom.failed) out.problems.push_back("the ledger is truncated or not valid JSON (" + dom.error + ")");
  if (dom.root.is_null()) {
    if (!dom.failed) out.problems.emplace_back("the ledger is empty");
    return out;
  }
  read_ledger(dom.root, /*strict=*/false, out.ledger, out.problems);
  return out;
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
