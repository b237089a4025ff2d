#include "plan/windows/setup_plan.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "plan/windows/json_fields.hpp"
#include "plan/windows/win_path.hpp"

namespace cordon::win {
namespace {

bool contains_path(const std::vector<std::string>& list, const std::string& p) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& q) { return same_path(q, p); });
}

void add_unique(std::vector<std::string>& list, const std::string& p) {
  if (!contains_path(list, p)) list.push_back(p);
}

// Would a fresh local user already read (and traverse) this directory through the
// groups every user has? Then no grant is needed: nothing to add, nothing to undo.
bool readable_by_users(const FsView* fs, const std::string& path) {
  if (!fs) return false;
  auto dacl = fs->dacl(path);
  if (!dacl) return false;
  TokenModel someone;
  someone.user = Sid{5, {21, 0, 0, 0, 4242}};
  someone.groups = {{sids::everyone()}, {sids::authenticated_users()}, {sids::users()}};
  const uint32_t rx = access::kFileGenericRead | access::kFileGenericExecute;
  return access_allowed(someone, &*dacl, Sid{}, rx, RestrictedScope::GenericWrite);
}

nlohmann::json account_json(const SandboxAccount& a) {
  return {{"name", a.name}, {"sid", a.sid.str()}};
}

std::optional<SandboxAccount> account_from(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_object()) return std::nullopt;
  const auto& a = j[key];
  if (!a.contains("name") || !a["name"].is_string() || !a.contains("sid") || !a["sid"].is_string())
    return std::nullopt;
  auto sid = Sid::parse(a["sid"].get<std::string>());
  if (!sid) return std::nullopt;
  return SandboxAccount{a["name"].get<std::string>(), *sid};
}

std::optional<std::vector<std::string>> string_list(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) return std::nullopt;
  for (const auto& v : j[key]) {
    if (!v.is_string()) return std::nullopt;
    out.push_back(v.get<std::string>());
  }
  return out;
}

// A root the grants must never touch: a drive or share root, the profile or one of
// its ancestors (hives, AppData and OneDrive would inherit the ACE, see Codex issues
// #23912 and #31140).
std::string refusal(const SetupFacts& facts, const std::string& root) {
  if (is_root(root)) return "a drive or share root";
  if (!facts.user_profile.empty() && is_within(facts.user_profile, root))
    return "the user profile or one of its ancestors";
  // The sandbox users must never write the ledger, the capability SIDs or the secrets.
  if (!facts.state_dir.empty() && (is_within(facts.state_dir, root) || is_within(root, facts.state_dir)))
    return "cordon's state directory, or a directory containing it";
  // As stage 1's check_root: an elevated setup must not hand the sandbox group
  // `C:\Program Files\X` because an approving administrator clicked through (F19).
  for (const auto& d : facts.system_dirs)
    if (!d.empty() && (is_within(root, d) || is_within(d, root))) return "a system directory ('" + d + "')";
  return {};
}

void add_grants(const SetupFacts& facts, const std::vector<std::string>& write_roots,
                const std::vector<std::string>& read_roots, bool elevated, SetupPlan& plan) {
  std::vector<std::string> traversed;
  auto traverse = [&](const std::string& root) {
    for (const auto& a : ancestors(root)) {
      if (is_root(a) || contains_path(traversed, a) || readable_by_users(facts.fs, a)) continue;
      traversed.push_back(a);
      plan.steps.push_back({SetupStepKind::GrantTraverse, a, false, std::nullopt, elevated, false,
                            "ancestor of " + root + ": stat and traverse, no listing"});
    }
  };
  std::vector<std::string> granted;  // write roots actually granted (refused ones are not)
  for (const auto& root : write_roots) {
    if (auto why = refusal(facts, root); !why.empty()) {
      plan.notes.push_back("not granted to the sandbox users: " + root + " (" + why + ")");
      continue;
    }
    granted.push_back(root);
    traverse(root);
    plan.steps.push_back(
        {SetupStepKind::GrantWrite, root, false, std::nullopt, elevated, false, "writable root"});
  }
  for (const auto& root : read_roots) {
    if (std::any_of(granted.begin(), granted.end(), [&](const std::string& w) { return is_within(root, w); }))
      continue;  // the write grant includes read
    if (auto why = refusal(facts, root); !why.empty()) {
      plan.notes.push_back("not granted to the sandbox users: " + root + " (" + why + ")");
      continue;
    }
    if (readable_by_users(facts.fs, root)) {
      plan.notes.push_back("already readable by Users: " + root + " (no grant needed)");
      continue;
    }
    traverse(root);
    plan.steps.push_back(
        {SetupStepKind::GrantRead, root, false, std::nullopt, elevated, true, "read root (inheritable)"});
  }
}

}  // namespace

const char* to_string(SetupStepKind kind) {
  switch (kind) {
    case SetupStepKind::CreateGroup:
      return "create group";
    case SetupStepKind::CreateUser:
      return "create user";
    case SetupStepKind::AddToGroup:
      return "add to group";
    case SetupStepKind::HideUser:
      return "hide from logon screen";
    case SetupStepKind::LogonRights:
      return "deny remote, batch and service logon";
    case SetupStepKind::StoreSecrets:
      return "store DPAPI-protected passwords";
    case SetupStepKind::LockSetupDir:
      return "lock the setup directory";
    case SetupStepKind::ApplyWfpFilters:
      return "apply WFP filters";
    case SetupStepKind::ApplyFirewallRule:
      return "apply firewall rule";
    case SetupStepKind::RemoveFirewallRule:
      return "remove firewall rule";
    case SetupStepKind::GrantWrite:
      return "grant read/write";
    case SetupStepKind::GrantRead:
      return "grant read";
    case SetupStepKind::GrantTraverse:
      return "grant traverse";
    case SetupStepKind::WriteMarker:
      return "write marker";
  }
  return "?";
}

nlohmann::json to_json(const SetupMarker& m) {
  nlohmann::json j{{"version", m.version},
                   {"offline", account_json(m.offline)},
                   {"online", account_json(m.online)},
                   {"group", account_json(m.group)},
                   {"write_roots", m.write_roots},
                   {"read_roots", m.read_roots},
                   {"real_user", m.real_user},
                   {"read_grants_pending", m.read_grants_pending}};
  j["firewall"] = m.proxy_ports ? "proxy-split" : "block-all";
  if (m.proxy_ports) j["proxy_ports"] = to_string(*m.proxy_ports);
  return j;
}

std::optional<SetupMarker> parse_marker(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("version") || !j["version"].is_number_integer())
    return std::nullopt;
  SetupMarker m;
  m.version = j["version"].get<int>();
  if (m.version != kSetupFormatVersion) return m;  // stale: only the version is meaningful
  auto offline = account_from(j, "offline");
  auto online = account_from(j, "online");
  auto group = account_from(j, "group");
  auto writes = string_list(j, "write_roots");
  auto reads = string_list(j, "read_roots");
  if (!offline || !online || !group || !writes || !reads) return std::nullopt;
  m.offline = *offline;
  m.online = *online;
  m.group = *group;
  m.write_roots = *writes;
  m.read_roots = *reads;
  m.real_user = text_field(j, "real_user");
  m.read_grants_pending = bool_field(j, "read_grants_pending", false);
  if (j.contains("proxy_ports")) {
    if (!j["proxy_ports"].is_string()) return std::nullopt;
    m.proxy_ports = parse_port_range(j["proxy_ports"].get<std::string>());
    if (!m.proxy_ports) return std::nullopt;
  }
  return m;
}

StageStatus stage_status(const std::optional<std::string>& marker_text) {
  StageStatus s;
  if (!marker_text) {
    s.reason = "no setup marker: `cordon setup` has not run";
    return s;
  }
  s.traces = true;
  auto m = parse_marker(*marker_text);
  if (!m) {
    s.reason = "the setup marker is unreadable; run `cordon setup` again";
    return s;
  }
  if (m->version != kSetupFormatVersion) {
    s.reason = "setup format " + std::to_string(m->version) + ", this cordon needs " +
               std::to_string(kSetupFormatVersion) + "; run `cordon setup` again";
    return s;
  }
  if (m->offline.sid.empty() || m->online.sid.empty() || m->group.sid.empty()) {
    s.reason = "the setup marker names no sandbox accounts; run `cordon setup` again";
    return s;
  }
  s.stage2 = true;
  s.marker = m;
  return s;
}

Result<int> run_stage(const StageStatus& status, bool best_effort) {
  if (status.stage2) return 2;
  if (!status.traces || best_effort) return 1;
  return usage_error("stage 2", "was set up on this machine but cannot be used: " + status.reason,
                     "run `cordon setup` again, or pass --best-effort to run in stage 1 (no firewall, reads "
                     "as the user)");
}

SetupPlan plan_setup(const SetupFacts& facts) {
  SetupPlan plan;
  const bool current = facts.marker && facts.marker->version == kSetupFormatVersion;
  if (facts.refresh && current && facts.accounts_present) {
    plan.full = false;
    std::vector<std::string> new_writes, new_reads;
    for (const auto& r : facts.write_roots)
      if (!contains_path(facts.marker->write_roots, r)) new_writes.push_back(r);
    for (const auto& r : facts.read_roots)
      if (!contains_path(facts.marker->read_roots, r) && !contains_path(facts.marker->write_roots, r))
        new_reads.push_back(r);
    add_grants(facts, new_writes, new_reads, /*elevated=*/false, plan);
    if (!new_writes.empty() || !new_reads.empty())
      plan.steps.push_back({SetupStepKind::WriteMarker, kMarkerFile, false, std::nullopt, false, false,
                            "record the new roots"});
    return plan;
  }
  if (facts.refresh)
    plan.notes.push_back(!facts.marker ? "no setup yet: a full (elevated) setup is needed"
                         : !current    ? "setup format changed: a full (elevated) setup is needed"
                                    : "the sandbox accounts are missing: a full (elevated) setup is needed");
  plan.needs_elevation = true;
  auto step = [&](SetupStepKind kind, std::string target, bool online, std::string reason) {
    plan.steps.push_back({kind, std::move(target), online, std::nullopt, true, false, std::move(reason)});
  };
  step(SetupStepKind::CreateGroup, kSandboxGroup, false, "holds the file grants for both users");
  step(SetupStepKind::CreateUser, kOfflineUser, false, "runs commands when the network is off");
  step(SetupStepKind::CreateUser, kOnlineUser, true, "runs commands when the policy allows the network");
  step(SetupStepKind::AddToGroup, kOfflineUser, false, kSandboxGroup);
  step(SetupStepKind::AddToGroup, kOnlineUser, true, kSandboxGroup);
  step(SetupStepKind::HideUser, kOfflineUser, false, "not on the logon screen");
  step(SetupStepKind::HideUser, kOnlineUser, true, "not on the logon screen");
  step(SetupStepKind::LogonRights, kSandboxGroup, false,
       "no logon from the network, Remote Desktop, a scheduled task or a service; local logon checked");
  step(SetupStepKind::LockSetupDir, kSetupDirName, false, "the sandbox users must not read the secrets");
  step(SetupStepKind::StoreSecrets, kSecretsFile, false, "CryptProtectData, machine scope");
  // The WFP filters (F14) before the firewall rules: they hold whatever the firewall's
  // state, and a host whose filter engine refuses them fails here, loudly, before
  // anything claims stage 2.
  step(SetupStepKind::ApplyWfpFilters, "cordon sandbox", false,
       facts.proxy_ports ? "offline user: ICMP and all but cordon's proxy on loopback blocked, by WFP"
                         : "offline user: ICMP and all outbound blocked, by WFP");
  // Rules of the other variant go first, so a switch never leaves both in place.
  auto wanted = firewall_rules(Sid{}, facts.proxy_ports);
  for (const auto& name : known_rule_names())
    if (std::none_of(wanted.begin(), wanted.end(), [&](const FirewallRuleSpec& r) { return r.name == name; }))
      step(SetupStepKind::RemoveFirewallRule, name, false, "not part of this firewall variant");
  for (const auto& rule : wanted) {
    plan.steps.push_back(
        {SetupStepKind::ApplyFirewallRule, rule.name, false, rule, true, false,
         facts.proxy_ports ? "offline user: only cordon's proxy on loopback" : "offline user: no network"});
  }
  std::vector<std::string> writes = facts.write_roots, reads = facts.read_roots;
  if (facts.marker && current) {
    for (const auto& r : facts.marker->write_roots) add_unique(writes, r);
    for (const auto& r : facts.marker->read_roots) add_unique(reads, r);
  }
  add_grants(facts, writes, reads, /*elevated=*/true, plan);
  step(SetupStepKind::WriteMarker, kMarkerFile, false, "format " + std::to_string(kSetupFormatVersion));
  return plan;
}

Ace grant_ace(SetupStepKind kind, const Sid& group) {
  using namespace access;
  switch (kind) {
    case SetupStepKind::GrantWrite:
      return {AceType::Allow, group,
              kFileGenericRead | kFileGenericWrite | kFileGenericExecute | kDelete | kDeleteChild,
              ace_flags::kTree};
    case SetupStepKind::GrantRead:
      return {AceType::Allow, group, kFileGenericRead | kFileGenericExecute, ace_flags::kTree};
    default:  // GrantTraverse: stat and cd through, never list; not inherited
      return {AceType::Allow, group, kReadAttributes | kExecute | kSynchronize, 0};
  }
}

SetupMarker marker_after(const SetupFacts& facts, const SandboxAccount& offline, const SandboxAccount& online,
                         const SandboxAccount& group, bool read_grants_pending) {
  SetupMarker m;
  const bool current = facts.marker && facts.marker->version == kSetupFormatVersion;
  if (current) m = *facts.marker;
  m.version = kSetupFormatVersion;
  m.offline = offline;
  m.online = online;
  m.group = group;
  if (!facts.refresh || !current) m.proxy_ports = facts.proxy_ports;
  m.real_user = facts.real_user.str();
  for (const auto& r : facts.write_roots)
    if (refusal(facts, r).empty()) add_unique(m.write_roots, r);
  for (const auto& r : facts.read_roots)
    if (refusal(facts, r).empty()) add_unique(m.read_roots, r);
  m.read_grants_pending = read_grants_pending;
  return m;
}

std::string serialize(const SecretsFile& s) {
  nlohmann::json j{{"version", 1},
                   {"offline", {{"name", s.offline_name}, {"password_dpapi", base64_encode(s.offline_blob)}}},
                   {"online", {{"name", s.online_name}, {"password_dpapi", base64_encode(s.online_blob)}}}};
  return j.dump(2) + "\n";
}

std::optional<SecretsFile> parse_secrets(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || int_field(j, "version", 0) != 1) return std::nullopt;
  SecretsFile s;
  for (const char* key : {"offline", "online"}) {
    if (!j.contains(key) || !j[key].is_object()) return std::nullopt;
    const auto& a = j[key];
    if (!a.contains("name") || !a["name"].is_string() || !a.contains("password_dpapi") ||
        !a["password_dpapi"].is_string())
      return std::nullopt;
    auto blob = base64_decode(a["password_dpapi"].get<std::string>());
    if (!blob || blob->empty()) return std::nullopt;
    (std::string(key) == "offline" ? s.offline_name : s.online_name) = a["name"].get<std::string>();
    (std::string(key) == "offline" ? s.offline_blob : s.online_blob) = *blob;
  }
  return s;
}

namespace {
constexpr const char* kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(const std::string& bytes) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                 (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) | static_cast<uint8_t>(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kBase64[(v >> k) & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += rest == 2 ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      uint32_t d = 0;
      if (c == '=') {
        if (i + 4 != text.size() || k < 2) return std::nullopt;
        ++pad;
      } else {
        if (pad) return std::nullopt;
        const char* at = std::strchr(kBase64, c);
        if (!at || c == '\0') return std::nullopt;
        d = static_cast<uint32_t>(at - kBase64);
      }
      v = (v << 6) | d;
    }
    // Canonical only: the bits a padded group drops must be zero ("Zm9=" is not "Zm8=").
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) return std::nullopt;
    out += static_cast<char>((v >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

std::string password_from_bytes(const std::string& random, size_t length) {
  static constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
  static constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  static constexpr std::string_view kDigits = "0123456789";
  static constexpr std::string_view kPunct = "!@#$%^&*()-_=+";
  static const std::string alphabet =
      std::string(kLower) + std::string(kUpper) + std::string(kDigits) + std::string(kPunct);
  const unsigned limit = 256 - 256 % alphabet.size();  // reject bytes that would bias the modulo
  std::string out;
  for (char c : random) {
    if (out.size() == length) break;
    unsigned b = static_cast<uint8_t>(c);
    if (b < limit) out += alphabet[b % alphabet.size()];
  }
  auto has = [&](std::string_view set) { return out.find_first_of(set) != std::string::npos; };
  if (out.size() < length || !has(kLower) || !has(kUpper) || !has(kDigits) || !has(kPunct)) return {};
  return out;
}

std::vector<Sid> unexpected_groups(const std::vector<Sid>& groups, const std::optional<Sid>& sandbox_group) {
  std::vector<Sid> out;
  for (const auto& g : groups)
    if (g != sids::users() && !(sandbox_group && g == *sandbox_group)) out.push_back(g);
  return out;
}

const std::vector<std::string>& denied_logon_rights() {
  static const std::vector<std::string> rights = {"SeDenyNetworkLogonRight",
                                                  "SeDenyRemoteInteractiveLogonRight",
                                                  "SeDenyBatchLogonRight", "SeDenyServiceLogonRight"};
  return rights;
}

std::vector<std::string> missing_rights(const std::vector<std::string>& wanted,
                                        const std::vector<std::string>& read_back) {
  std::vector<std::string> out;
  for (const auto& w : wanted)  // user right names are case-insensitive to the LSA
    if (std::none_of(read_back.begin(), read_back.end(),
                     [&](const std::string& r) { return fold_case(r) == fold_case(w); }))
      out.push_back(w);
  return out;
}

std::string interactive_logon_problem(const std::vector<Sid>& principals, const std::vector<Sid>& allowed,
                                      const std::vector<Sid>& denied) {
  auto held = [&](const Sid& s) {
    return std::find(principals.begin(), principals.end(), s) != principals.end();
  };
  for (const auto& d : denied)
    if (held(d))
      return "'Deny log on locally' (SeDenyInteractiveLogonRight) names " + d.str() +
             ", which the sandbox users hold";
  if (std::none_of(allowed.begin(), allowed.end(), held))
    return "no SID the sandbox users hold has 'Allow log on locally' (SeInteractiveLogonRight)";
  return {};
}

}  // namespace cordon::win
