#include "plan/windows/wfp_spec.hpp"

#include <algorithm>
#include <cstdio>

namespace cordon::win {
namespace {

using wfp::Field;
using wfp::Layer;

// cordon's own keys: random, fixed forever (uninstall finds them without any state).
// The filters share the first fields and differ in the last byte.
constexpr WfpGuid kProvider{0x092628fb, 0xa014, 0x468f, {0x99, 0x62, 0x9d, 0xa6, 0xa9, 0xa7, 0x0a, 0xe4}};
constexpr WfpGuid kSublayer{0x55105e56, 0x3a90, 0x493b, {0xad, 0x3c, 0xe0, 0xda, 0x52, 0x97, 0xa1, 0xda}};
constexpr WfpGuid filter_key(uint8_t n) {
  return {0xbd7d3984, 0xf5f6, 0x4c93, {0xbe, 0x77, 0xca, 0x3e, 0x28, 0x45, 0x2a, n}};
}
constexpr uint8_t kBlockIcmpV4 = 0x01;
constexpr uint8_t kBlockIcmpV6 = 0x02;
constexpr uint8_t kPermitProxyV4 = 0x03;
constexpr uint8_t kPermitProxyV6 = 0x04;
constexpr uint8_t kBlockAllV4 = 0x05;
constexpr uint8_t kBlockAllV6 = 0x06;

constexpr uint8_t kWeightIcmp = 15;
constexpr uint8_t kWeightPermit = 12;
constexpr uint8_t kWeightBlockAll = 8;

WfpCondition user(const Sid& s) {
  WfpCondition c;
  c.field = Field::UserId;
  c.user_sddl = user_sddl(s);
  return c;
}
WfpCondition protocol(uint8_t p) {
  WfpCondition c;
  c.field = Field::IpProtocol;
  c.protocol = p;
  return c;
}
WfpCondition loopback(Layer layer) {
  WfpCondition c;
  c.field = Field::RemoteAddress;
  if (layer == Layer::ConnectV4)
    c.address = {127, 0, 0, 1};
  else
    c.address[15] = 1;  // ::1
  return c;
}
WfpCondition ports(const PortRange& r) {
  WfpCondition c;
  c.field = Field::RemotePortRange;
  c.ports = r;
  return c;
}

WfpFilterSpec filter(uint8_t key, std::string name, Layer layer, bool permit, uint8_t weight,
                     std::vector<WfpCondition> conditions) {
  WfpFilterSpec f;
  f.key = filter_key(key);
  f.name = std::move(name);
  f.layer = layer;
  f.permit = permit;
  f.weight = weight;
  f.flags = wfp::kFlagPersistent | (permit ? 0 : wfp::kFlagClearActionRight);
  f.conditions = std::move(conditions);
  return f;
}

// The DACL part of an SDDL string, upper-cased: the only part the engine's match
// uses; the owner and the spelling of flags may come back rewritten.
std::string dacl_part(const std::string& sddl) {
  std::string s;
  for (char c : sddl)
    if (c != ' ') s.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
  auto d = s.find("D:");
  return d == std::string::npos ? s : s.substr(d);
}

std::string describe(const WfpCondition& c) {
  switch (c.field) {
    case Field::UserId:
      return "user " + dacl_part(c.user_sddl);
    case Field::IpProtocol:
      return "protocol " + std::to_string(c.protocol);
    case Field::RemoteAddress: {
      std::string s = "remote address";
      for (uint8_t b : c.address) s += " " + std::to_string(b);
      return s;
    }
    case Field::RemotePortRange:
      return "remote ports " + to_string(c.ports);
  }
  return "?";
}

bool same_condition(const WfpCondition& a, const WfpCondition& b) {
  if (a.field != b.field) return false;
  switch (a.field) {
    case Field::UserId:
      return dacl_part(a.user_sddl) == dacl_part(b.user_sddl);
    case Field::IpProtocol:
      return a.protocol == b.protocol;
    case Field::RemoteAddress:
      return a.address == b.address;
    case Field::RemotePortRange:
      return a.ports == b.ports;
  }
  return false;
}

}  // namespace

std::string WfpGuid::str() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", data1, data2, data3,
                data4[0], data4[1], data4[2], data4[3], data4[4], data4[5], data4[6], data4[7]);
  return buf;
}

namespace wfp {
WfpGuid layer_key(Layer layer) {
  // FWPM_LAYER_ALE_AUTH_CONNECT_V4 / _V6 (fwpmu.h).
  if (layer == Layer::ConnectV4)
    return {0xc38d57d1, 0x05a7, 0x4c33, {0x90, 0x4f, 0x7f, 0xbc, 0xee, 0xe6, 0x0e, 0x82}};
  return {0x4a72393b, 0x319f, 0x44bc, {0x84, 0xc3, 0xba, 0x54, 0xdc, 0xb3, 0xb6, 0xb4}};
}

WfpGuid field_key(Field field) {
  switch (field) {  // FWPM_CONDITION_* (fwpmu.h)
    case Field::UserId:
      return {0xaf043a0a, 0xb34d, 0x4f86, {0x97, 0x9c, 0xc9, 0x03, 0x71, 0xaf, 0x6e, 0x66}};
    case Field::IpProtocol:
      return {0x3971ef2b, 0x623e, 0x4f9a, {0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7}};
    case Field::RemoteAddress:
      return {0xb235ae9a, 0x1d64, 0x49b8, {0xa4, 0x4c, 0x5f, 0xf3, 0xd9, 0x09, 0x50, 0x45}};
    case Field::RemotePortRange:
      return {0xc35a604d, 0xd22b, 0x4e1a, {0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b}};
  }
  return {};
}
}  // namespace wfp

WfpObjectSpec wfp_provider() {
  return {kProvider, "cordon sandbox", wfp::kObjectPersistent, 0};
}

WfpObjectSpec wfp_sublayer() {
  return {kSublayer, "cordon sandbox: offline user", wfp::kObjectPersistent, wfp::kSublayerWeight};
}

std::string wfp_object_sddl() {
  return "D:(A;;0x80;;;AU)";  // FWPM_ACTRL_READ for Authenticated Users
}

std::vector<WfpFilterSpec> wfp_filters(const Sid& offline, const std::optional<PortRange>& proxy) {
  std::vector<WfpFilterSpec> out;
  out.push_back(filter(kBlockIcmpV4, "cordon-offline-block-icmp-v4", Layer::ConnectV4, false, kWeightIcmp,
                       {user(offline), protocol(wfp::kIcmp)}));
  out.push_back(filter(kBlockIcmpV6, "cordon-offline-block-icmp-v6", Layer::ConnectV6, false, kWeightIcmp,
                       {user(offline), protocol(wfp::kIcmpV6)}));
  if (proxy && proxy->valid()) {
    for (Layer l : {Layer::ConnectV4, Layer::ConnectV6})
      out.push_back(
          filter(l == Layer::ConnectV4 ? kPermitProxyV4 : kPermitProxyV6,
                 l == Layer::ConnectV4 ? "cordon-offline-permit-proxy-v4" : "cordon-offline-permit-proxy-v6",
                 l, true, kWeightPermit, {user(offline), protocol(wfp::kTcp), loopback(l), ports(*proxy)}));
  }
  out.push_back(filter(kBlockAllV4, "cordon-offline-block-all-v4", Layer::ConnectV4, false, kWeightBlockAll,
                       {user(offline)}));
  out.push_back(filter(kBlockAllV6, "cordon-offline-block-all-v6", Layer::ConnectV6, false, kWeightBlockAll,
                       {user(offline)}));
  return out;
}

std::vector<WfpGuid> wfp_filter_keys() {
  return {filter_key(kBlockIcmpV4),   filter_key(kBlockIcmpV6), filter_key(kPermitProxyV4),
          filter_key(kPermitProxyV6), filter_key(kBlockAllV4),  filter_key(kBlockAllV6)};
}

std::vector<std::string> compare_filters(const WfpFilterSpec& want, const WfpFilterSpec& got) {
  std::vector<std::string> diff;
  if (!(want.key == got.key)) diff.push_back("key");
  if (want.layer != got.layer) diff.push_back("layer");
  if (want.permit != got.permit) diff.push_back("action");
  if (want.weight != got.weight) diff.push_back("weight");
  const uint32_t mine = wfp::kFlagPersistent | wfp::kFlagClearActionRight | wfp::kFlagDisabled;
  if ((want.flags & mine) != (got.flags & mine)) diff.push_back("flags");
  // Every wanted condition once, nothing more (a condition added would narrow the filter).
  std::vector<bool> used(got.conditions.size(), false);
  for (const auto& c : want.conditions) {
    bool found = false;
    for (size_t i = 0; i < got.conditions.size() && !found; ++i)
      if (!used[i] && same_condition(c, got.conditions[i])) used[i] = found = true;
    if (!found) diff.push_back("condition missing: " + describe(c));
  }
  for (size_t i = 0; i < got.conditions.size(); ++i)
    if (!used[i]) diff.push_back("condition added: " + describe(got.conditions[i]));
  return diff;
}

namespace {

bool matches(const WfpCondition& cond, const WfpFilterSpec& f, const WfpConnection& c) {
  switch (cond.field) {
    case Field::UserId:
      // The descriptor "O:LSD:(A;;CC;;;<SID>)" grants the match right to that SID only.
      return dacl_part(cond.user_sddl) == dacl_part(user_sddl(c.user));
    case Field::IpProtocol:
      return cond.protocol == c.protocol;
    case Field::RemoteAddress:
      return f.layer == c.layer && cond.address == c.remote;
    case Field::RemotePortRange:
      return c.remote_port >= cond.ports.first && c.remote_port <= cond.ports.last;
  }
  return false;
}

}  // namespace

std::optional<bool> wfp_verdict(const std::vector<WfpFilterSpec>& filters, const WfpConnection& c) {
  const WfpFilterSpec* best = nullptr;
  for (const auto& f : filters) {
    if (f.layer != c.layer || (f.flags & wfp::kFlagDisabled)) continue;
    if (!std::all_of(f.conditions.begin(), f.conditions.end(),
                     [&](const WfpCondition& cond) { return matches(cond, f, c); }))
      continue;
    if (!best || f.weight > best->weight) best = &f;
  }
  if (!best) return std::nullopt;
  return best->permit;
}

}  // namespace cordon::win
