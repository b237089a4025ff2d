#include "platform/windows/setup/firewall.hpp"

#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

using win::SetupErrorCode;

// From netfw.h; defined here so no GUID library has to be linked.
const CLSID kClsidNetFwPolicy2 = {
    0xe2b3c97f, 0x6ae1, 0x41ac, {0x81, 0x7a, 0xf6, 0xf9, 0x21, 0x66, 0xd7, 0xdd}};
const IID kIidNetFwPolicy2 = {0x98325047, 0xc671, 0x4174, {0x8d, 0x81, 0xde, 0xfc, 0xd3, 0xf0, 0x31, 0x86}};
const CLSID kClsidNetFwRule = {0x2c5bc43e, 0x3369, 0x4c33, {0xab, 0x0c, 0xbe, 0x94, 0x69, 0x67, 0x7a, 0xf4}};
const IID kIidNetFwRule3 = {0xb21563ff, 0xd696, 0x4222, {0xab, 0x46, 0x4e, 0x89, 0xb7, 0x3a, 0xb3, 0x4a}};

win::SetupError com_error(SetupErrorCode code, const char* call, const std::string& rule, HRESULT hr) {
  return setup_error(code, call, rule, static_cast<DWORD>(hr), "");
}

bool has_ports(int protocol) {
  return protocol == win::fw::kTcp || protocol == win::fw::kUdp;
}

// Writes every field. Protocol goes before the ports (ports are refused for ANY).
HRESULT put_all(INetFwRule3* r, const win::FirewallRuleSpec& s, const char** failed) {
  HRESULT hr = S_OK;
  auto step = [&](const char* call, HRESULT result) {
    if (SUCCEEDED(hr) && FAILED(result)) {
      hr = result;
      *failed = call;
    }
  };
  Bstr name(widen(s.name)), description(widen(s.description)), grouping(widen(s.grouping));
  Bstr local(widen(s.local_addresses)), remote(widen(s.remote_addresses));
  Bstr local_ports(widen(s.local_ports.empty() ? "*" : s.local_ports));
  Bstr remote_ports(widen(s.remote_ports.empty() ? "*" : s.remote_ports));
  Bstr users(widen(s.local_user_authorized_list));
  step("INetFwRule::put_Name", r->put_Name(name.get()));
  step("INetFwRule::put_Description", r->put_Description(description.get()));
  step("INetFwRule::put_Grouping", r->put_Grouping(grouping.get()));
  step("INetFwRule::put_Direction", r->put_Direction(static_cast<NET_FW_RULE_DIRECTION>(s.direction)));
  step("INetFwRule::put_Action", r->put_Action(static_cast<NET_FW_ACTION>(s.action)));
  step("INetFwRule::put_Protocol", r->put_Protocol(s.protocol));
  if (has_ports(s.protocol)) {
    step("INetFwRule::put_LocalPorts", r->put_LocalPorts(local_ports.get()));
    step("INetFwRule::put_RemotePorts", r->put_RemotePorts(remote_ports.get()));
  }
  step("INetFwRule::put_LocalAddresses", r->put_LocalAddresses(local.get()));
  step("INetFwRule::put_RemoteAddresses", r->put_RemoteAddresses(remote.get()));
  step("INetFwRule3::put_LocalUserAuthorizedList", r->put_LocalUserAuthorizedList(users.get()));
  step("INetFwRule::put_Profiles", r->put_Profiles(s.profiles));
  step("INetFwRule::put_Enabled", r->put_Enabled(s.enabled ? VARIANT_TRUE : VARIANT_FALSE));
  return hr;
}

}  // namespace

SetupResult<Firewall> Firewall::open() {
  Firewall f;
  HRESULT hr = CoCreateInstance(kClsidNetFwPolicy2, nullptr, CLSCTX_INPROC_SERVER, kIidNetFwPolicy2,
                                f.policy_.out_void());
  if (FAILED(hr) || !f.policy_)
    return com_error(SetupErrorCode::FirewallCom, "CoCreateInstance", "NetFwPolicy2", hr);
  hr = f.policy_->get_Rules(f.rules_.out());
  if (FAILED(hr) || !f.rules_)
    return com_error(SetupErrorCode::FirewallCom, "INetFwPolicy2::get_Rules", "", hr);
  // A lookup that cannot succeed tells a working firewall API (not found) from a stub
  // (E_NOTIMPL, e.g. Wine): one clear error instead of one per rule.
  ComPtr<INetFwRule> none;
  Bstr probe(L"cordon-probe-no-such-rule");
  hr = f.rules_->Item(probe.get(), none.out());
  if (hr == E_NOTIMPL)
    return setup_error(SetupErrorCode::FirewallCom, "INetFwRules::Item", "", static_cast<DWORD>(hr),
                       "the Windows Firewall API is not implemented on this system");
  return f;
}

std::string Firewall::why_rules_are_not_effective() {
  long profiles = 0;
  if (FAILED(policy_->get_CurrentProfileTypes(&profiles)) || profiles == 0)
    return "the active firewall profile cannot be read";
  for (long p : {NET_FW_PROFILE2_DOMAIN, NET_FW_PROFILE2_PRIVATE, NET_FW_PROFILE2_PUBLIC}) {
    if (!(profiles & p)) continue;
    VARIANT_BOOL on = VARIANT_FALSE;
    if (FAILED(policy_->get_FirewallEnabled(static_cast<NET_FW_PROFILE_TYPE2>(p), &on)))
      return "the firewall state of an active profile cannot be read";
    if (on != VARIANT_TRUE) return "Windows Firewall is off for an active profile";
  }
  NET_FW_MODIFY_STATE state = NET_FW_MODIFY_STATE_OK;
  if (FAILED(policy_->get_LocalPolicyModifyState(&state))) return "the local policy state cannot be read";
  if (state == NET_FW_MODIFY_STATE_GP_OVERRIDE)
    return "Group Policy overrides local firewall rules (cordon's rules are not merged)";
  return "";
}

SetupResult<std::optional<win::FirewallRuleSpec>> Firewall::read(const std::string& name) {
  ComPtr<INetFwRule> rule;
  Bstr bname(widen(name));
  HRESULT hr = rules_->Item(bname.get(), rule.out());
  if (hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)) return std::optional<win::FirewallRuleSpec>{};
  if (FAILED(hr)) return com_error(SetupErrorCode::FirewallRuleVerify, "INetFwRules::Item", name, hr);
  if (!rule) return std::optional<win::FirewallRuleSpec>{};
  ComPtr<INetFwRule3> r3;
  hr = rule->QueryInterface(kIidNetFwRule3, r3.out_void());
  if (FAILED(hr))
    return com_error(SetupErrorCode::FirewallRuleVerify, "QueryInterface(INetFwRule3)", name, hr);
  win::FirewallRuleSpec s;
  const char* failed = nullptr;
  auto text = [&](const char* call, HRESULT (STDMETHODCALLTYPE INetFwRule3::*get)(BSTR*), std::string& out) {
    Bstr b;
    HRESULT h = (r3.get()->*get)(b.out());
    if (FAILED(h) && !failed) failed = call;
    out = narrow(b.str());
    if (SUCCEEDED(h)) return;
    hr = h;
  };
  text("INetFwRule::get_Name", &INetFwRule3::get_Name, s.name);
  text("INetFwRule::get_Description", &INetFwRule3::get_Description, s.description);
  text("INetFwRule::get_Grouping", &INetFwRule3::get_Grouping, s.grouping);
  text("INetFwRule::get_LocalAddresses", &INetFwRule3::get_LocalAddresses, s.local_addresses);
  text("INetFwRule::get_RemoteAddresses", &INetFwRule3::get_RemoteAddresses, s.remote_addresses);
  text("INetFwRule3::get_LocalUserAuthorizedList", &INetFwRule3::get_LocalUserAuthorizedList,
       s.local_user_authorized_list);
  LONG protocol = 0, profiles = 0;
  NET_FW_RULE_DIRECTION direction{};
  NET_FW_ACTION action{};
  VARIANT_BOOL enabled = VARIANT_FALSE;
  if (FAILED(r3->get_Protocol(&protocol)) || FAILED(r3->get_Profiles(&profiles)) ||
      FAILED(r3->get_Direction(&direction)) || FAILED(r3->get_Action(&action)) ||
      FAILED(r3->get_Enabled(&enabled)))
    failed = failed ? failed : "INetFwRule::get_Protocol/Profiles/Direction/Action/Enabled";
  s.protocol = protocol;
  s.profiles = profiles;
  s.direction = direction;
  s.action = action;
  s.enabled = enabled != VARIANT_FALSE;
  if (has_ports(s.protocol)) {
    text("INetFwRule::get_LocalPorts", &INetFwRule3::get_LocalPorts, s.local_ports);
    text("INetFwRule::get_RemotePorts", &INetFwRule3::get_RemotePorts, s.remote_ports);
  }
  if (failed) return com_error(SetupErrorCode::FirewallRuleVerify, failed, name, hr);
  return std::optional<win::FirewallRuleSpec>{s};
}

SetupStatus Firewall::apply(const win::FirewallRuleSpec& spec) {
  auto existing = read(spec.name);
  if (!existing) return existing.error();
  const char* failed = nullptr;
  HRESULT hr = S_OK;
  if (*existing && (*existing)->protocol == spec.protocol) {
    // Same protocol: every field is overwritten in place, so the rule never disappears
    // (a sandboxed process might be running while setup repeats).
    ComPtr<INetFwRule> rule;
    Bstr name(widen(spec.name));
    hr = rules_->Item(name.get(), rule.out());
    ComPtr<INetFwRule3> r3;
    if (SUCCEEDED(hr)) hr = rule->QueryInterface(kIidNetFwRule3, r3.out_void());
    if (FAILED(hr)) return com_error(SetupErrorCode::FirewallRuleApply, "INetFwRules::Item", spec.name, hr);
    hr = put_all(r3.get(), spec, &failed);
  } else {
    // New, or the protocol changed (ports cannot be rewritten across protocols; rule
    // names are per protocol, so only tampering gets here): replaced.
    if (*existing)
      if (auto st = remove(spec.name); !st) return st;
    ComPtr<INetFwRule3> r3;
    hr = CoCreateInstance(kClsidNetFwRule, nullptr, CLSCTX_INPROC_SERVER, kIidNetFwRule3, r3.out_void());
    if (FAILED(hr)) return com_error(SetupErrorCode::FirewallCom, "CoCreateInstance", "NetFwRule", hr);
    hr = put_all(r3.get(), spec, &failed);
    if (SUCCEEDED(hr)) {
      hr = rules_->Add(r3.get());
      if (FAILED(hr)) failed = "INetFwRules::Add";
    }
  }
  if (FAILED(hr)) return com_error(SetupErrorCode::FirewallRuleApply, failed ? failed : "?", spec.name, hr);
  // Read back every field.
  auto got = read(spec.name);
  if (!got) return got.error();
  if (!*got)
    return setup_error(SetupErrorCode::FirewallRuleVerify, "INetFwRules::Item", spec.name, ERROR_NOT_FOUND,
                       "the rule is missing after it was written");
  auto diff = win::compare_rules(spec, **got);
  if (!diff.empty()) {
    std::string fields;
    for (const auto& f : diff) fields += (fields.empty() ? "" : ", ") + f;
    return setup_error(SetupErrorCode::FirewallRuleVerify, "INetFwRule3 (read back)", spec.name, 0,
                       "differs from what setup wrote: " + fields);
  }
  return Done{};
}

SetupStatus Firewall::remove(const std::string& name, int* removed) {
  int count = 0;
  Bstr bname(widen(name));
  // Windows allows several rules with one name; Remove takes one at a time.
  for (int i = 0; i < 64; ++i) {
    auto there = read(name);
    if (!there) return there.error();
    if (!*there) break;
    HRESULT hr = rules_->Remove(bname.get());
    if (FAILED(hr)) return com_error(SetupErrorCode::FirewallRuleRemove, "INetFwRules::Remove", name, hr);
    ++count;
  }
  if (removed) *removed = count;
  return Done{};
}

}  // namespace cordon::winsys
