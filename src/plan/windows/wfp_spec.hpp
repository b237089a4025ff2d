// cordon (Windows plan): the Windows Filtering Platform filters of stage 2, as plain data.
//
//   auto f = win::wfp_filters(offline_sid, std::nullopt);       // block-all variant
//   auto diff = win::compare_filters(f[0], read_back);          // {} when it is as planned
//
// Why WFP besides the firewall rules (F14): Windows Firewall rules take effect only while
// the firewall is on for the active profile and Group Policy merges local rules; WFP
// filters of cordon's own provider and sublayer are evaluated by the filter engine
// whatever the firewall's state, and cover ICMP explicitly. They are keyed to the offline
// sandbox user through FWPM_CONDITION_ALE_USER_ID: a security descriptor
// "O:LSD:(A;;CC;;;<SID>)" that the engine access-checks against the token of the process
// that opened the socket (as the firewall's LocalUserAuthorizedList does).
//
// Everything is cordon's own: one persistent provider, one persistent sublayer, and
// filters with fixed keys (wfp_filter_keys(): every key any variant uses), so setup
// replaces exactly these and uninstall removes exactly these, never anything by name,
// never a filter of anyone else. Weights within the sublayer (highest matching wins):
//   15  block ICMP (v4) / ICMPv6 (v6) for the user           hard block
//   12  permit TCP to 127.0.0.1 / ::1 on the proxy ports      split variant only; soft
//    8  block everything else for the user                    hard block
// "Hard" = FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT: a lower-weight sublayer cannot override
// the block. The sublayer's own weight is the highest (0xFFFF), so cordon's sublayer is
// evaluated first. A permit in cordon's sublayer never overrides another sublayer's
// block (the firewall's block rules still apply to the split variant).
// Pure: the applier (platform/windows/setup/wfp.cpp) writes these with fwpuclnt and reads
// each object back; `cordon check` and every stage-2 run read them back too.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/windows/firewall_spec.hpp"
#include "plan/windows/sid.hpp"

namespace cordon::win {

struct WfpGuid {
  uint32_t data1 = 0;
  uint16_t data2 = 0;
  uint16_t data3 = 0;
  std::array<uint8_t, 8> data4{};
  std::string str() const;  // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case
  friend bool operator==(const WfpGuid&, const WfpGuid&) = default;
};

namespace wfp {
// The layers cordon filters at (FWPM_LAYER_ALE_AUTH_CONNECT_V4/_V6: outgoing TCP
// connects and the first packet of outgoing non-TCP traffic, ICMP included).
enum class Layer { ConnectV4, ConnectV6 };
WfpGuid layer_key(Layer layer);

enum class Field {
  UserId,          // FWPM_CONDITION_ALE_USER_ID, FWP_SECURITY_DESCRIPTOR_TYPE, equal
  IpProtocol,      // FWPM_CONDITION_IP_PROTOCOL, FWP_UINT8, equal
  RemoteAddress,   // FWPM_CONDITION_IP_REMOTE_ADDRESS, FWP_UINT32 (v4) / FWP_BYTE_ARRAY16_TYPE (v6), equal
  RemotePortRange  // FWPM_CONDITION_IP_REMOTE_PORT, FWP_RANGE_TYPE of FWP_UINT16
};
WfpGuid field_key(Field field);

// Filter flags (FWPM_FILTER_FLAG_*) cordon sets or must not find.
constexpr uint32_t kFlagPersistent = 0x00000001;
constexpr uint32_t kFlagClearActionRight = 0x00000008;
constexpr uint32_t kFlagDisabled = 0x00000020;
// FWPM_PROVIDER_FLAG_PERSISTENT, FWPM_SUBLAYER_FLAG_PERSISTENT.
constexpr uint32_t kObjectPersistent = 0x00000001;
// FWPM_ACTRL_READ: granted to Authenticated Users on cordon's objects, so an
// unelevated run can read them back (the engine grants only OPEN and CLASSIFY to them).
constexpr uint32_t kActrlRead = 0x00000080;
// IP protocol numbers.
constexpr uint8_t kIcmp = 1;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kIcmpV6 = 58;
constexpr uint16_t kSublayerWeight = 0xFFFF;
}  // namespace wfp

struct WfpCondition {
  wfp::Field field = wfp::Field::UserId;
  std::string user_sddl;              // UserId: "O:LSD:(A;;CC;;;<SID>)"
  uint8_t protocol = 0;               // IpProtocol
  std::array<uint8_t, 16> address{};  // RemoteAddress: v4 in the first 4 bytes (network order), v6 all 16
  PortRange ports;                    // RemotePortRange
  friend bool operator==(const WfpCondition&, const WfpCondition&) = default;
};

struct WfpFilterSpec {
  WfpGuid key;
  std::string name;
  wfp::Layer layer = wfp::Layer::ConnectV4;
  bool permit = false;  // FWP_ACTION_PERMIT, else FWP_ACTION_BLOCK
  uint8_t weight = 0;   // FWP_UINT8, within cordon's sublayer
  uint32_t flags = 0;   // FWPM_FILTER_FLAG_*
  std::vector<WfpCondition> conditions;
  friend bool operator==(const WfpFilterSpec&, const WfpFilterSpec&) = default;
};

struct WfpObjectSpec {  // the provider and the sublayer
  WfpGuid key;
  std::string name;
  uint32_t flags = wfp::kObjectPersistent;
  uint16_t weight = 0;  // sublayer only
};

WfpObjectSpec wfp_provider();
WfpObjectSpec wfp_sublayer();
// The security descriptor cordon's WFP objects get: Authenticated Users may read them
// (the engine's inherited ACEs keep administrators' full control).
std::string wfp_object_sddl();

// The filters for the offline user: block ICMP, block all, and with a proxy port range
// the loopback permits of the split variant. Ordered; keys are stable.
std::vector<WfpFilterSpec> wfp_filters(const Sid& offline_user, const std::optional<PortRange>& proxy);
// Every filter key any variant uses (setup deletes the ones it does not add; uninstall
// deletes all of them).
std::vector<WfpGuid> wfp_filter_keys();

// Differences between a filter as planned and as read back ("" entries never occur;
// an empty list = identical where it matters: layer, sublayer handled by the caller,
// action, weight, the flags cordon sets, no disabled flag, every condition, in any
// order). Flags the engine adds on its own (indexed, ...) are ignored.
std::vector<std::string> compare_filters(const WfpFilterSpec& want, const WfpFilterSpec& got);

// A model of how the filter engine arbitrates within cordon's sublayer (the documented
// rule: the matching filter of the highest weight decides; conditions of different
// fields must all match), for the tests: which traffic the plan blocks or permits.
struct WfpConnection {
  Sid user;  // the token's user (the ALE_USER_ID descriptor grants CC to one SID)
  wfp::Layer layer = wfp::Layer::ConnectV4;
  uint8_t protocol = wfp::kTcp;
  std::array<uint8_t, 16> remote{};  // as WfpCondition::address
  uint16_t remote_port = 0;
};
// true = permit, false = block, nullopt = no filter of cordon's matches.
std::optional<bool> wfp_verdict(const std::vector<WfpFilterSpec>& filters, const WfpConnection& c);

}  // namespace cordon::win
