#include "platform/windows/setup/wfp.hpp"

// SDK headers that need <windows.h> (wfp.hpp) above.
#include <fwpmu.h>
#include <sddl.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

using win::SetupErrorCode;
using win::WfpCondition;
using win::WfpFilterSpec;
using win::WfpGuid;
namespace wfp = win::wfp;

GUID to_guid(const WfpGuid& g) {
  GUID out{};
  out.Data1 = g.data1;
  out.Data2 = g.data2;
  out.Data3 = g.data3;
  for (size_t i = 0; i < 8; ++i) out.Data4[i] = g.data4[i];
  return out;
}

WfpGuid from_guid(const GUID& g) {
  WfpGuid out;
  out.data1 = g.Data1;
  out.data2 = g.Data2;
  out.data3 = g.Data3;
  for (size_t i = 0; i < 8; ++i) out.data4[i] = g.Data4[i];
  return out;
}

bool same(const GUID& a, const WfpGuid& b) {
  return from_guid(a) == b;
}

// The WFP_E_* results that mean "not there" or "there already".
bool not_found(DWORD r) {
  return r == static_cast<DWORD>(FWP_E_FILTER_NOT_FOUND) ||
         r == static_cast<DWORD>(FWP_E_SUBLAYER_NOT_FOUND) ||
         r == static_cast<DWORD>(FWP_E_PROVIDER_NOT_FOUND);
}

struct LocalDeleter {
  void operator()(void* p) const { LocalFree(p); }
};
using LocalSd = std::unique_ptr<void, LocalDeleter>;

LocalSd sd_from_sddl(const std::string& sddl) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  ULONG size = 0;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(widen(sddl).c_str(), SDDL_REVISION_1, &sd, &size))
    return nullptr;
  return LocalSd(sd);
}

std::string sddl_from_sd(const FWP_BYTE_BLOB* blob) {
  if (!blob || !blob->data || blob->size == 0) return {};
  LPWSTR text = nullptr;
  if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(
          blob->data, SDDL_REVISION_1, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &text,
          nullptr))
    return {};
  std::string out = narrow(text);
  LocalFree(text);
  return out;
}

template <class T>
struct FwpmFree {
  void operator()(T* p) const {
    void* v = p;
    FwpmFreeMemory0(&v);
  }
};

// The engine's conditions for one filter; storage lives in this object while FwpmFilterAdd0 runs.
struct FilterBuffers {
  std::vector<FWPM_FILTER_CONDITION0> conditions;
  std::vector<LocalSd> sds;
  std::vector<std::unique_ptr<FWP_BYTE_BLOB>> blobs;
  std::vector<std::unique_ptr<FWP_BYTE_ARRAY16>> arrays;
  std::vector<std::unique_ptr<FWP_RANGE0>> ranges;
  std::wstring name;
  std::string failed;  // a condition that could not be encoded
};

void encode(const WfpCondition& c, FilterBuffers& b) {
  FWPM_FILTER_CONDITION0 out{};
  out.fieldKey = to_guid(wfp::field_key(c.field));
  out.matchType = FWP_MATCH_EQUAL;
  switch (c.field) {
    case wfp::Field::UserId: {
      LocalSd sd = sd_from_sddl(c.user_sddl);
      if (!sd) {
        b.failed = "ConvertStringSecurityDescriptorToSecurityDescriptorW(" + c.user_sddl + ")";
        return;
      }
      auto blob = std::make_unique<FWP_BYTE_BLOB>();
      blob->size = GetSecurityDescriptorLength(sd.get());
      blob->data = static_cast<UINT8*>(sd.get());
      out.conditionValue.type = FWP_SECURITY_DESCRIPTOR_TYPE;
      out.conditionValue.sd = blob.get();
      b.sds.push_back(std::move(sd));
      b.blobs.push_back(std::move(blob));
      break;
    }
    case wfp::Field::IpProtocol:
      out.conditionValue.type = FWP_UINT8;
      out.conditionValue.uint8 = c.protocol;
      break;
    case wfp::Field::RemoteAddress: {
      const bool v4 = std::all_of(c.address.begin() + 4, c.address.end(), [](uint8_t x) { return x == 0; }) &&
                      c.address[0] != 0;
      if (v4) {  // FWP_UINT32 in host order
        out.conditionValue.type = FWP_UINT32;
        out.conditionValue.uint32 = (static_cast<UINT32>(c.address[0]) << 24) |
                                    (static_cast<UINT32>(c.address[1]) << 16) |
                                    (static_cast<UINT32>(c.address[2]) << 8) | c.address[3];
      } else {
        auto a = std::make_unique<FWP_BYTE_ARRAY16>();
        for (size_t i = 0; i < 16; ++i) a->byteArray16[i] = c.address[i];
        out.conditionValue.type = FWP_BYTE_ARRAY16_TYPE;
        out.conditionValue.byteArray16 = a.get();
        b.arrays.push_back(std::move(a));
      }
      break;
    }
    case wfp::Field::RemotePortRange: {
      auto r = std::make_unique<FWP_RANGE0>();
      r->valueLow.type = FWP_UINT16;
      r->valueLow.uint16 = c.ports.first;
      r->valueHigh.type = FWP_UINT16;
      r->valueHigh.uint16 = c.ports.last;
      out.matchType = FWP_MATCH_RANGE;
      out.conditionValue.type = FWP_RANGE_TYPE;
      out.conditionValue.rangeValue = r.get();
      b.ranges.push_back(std::move(r));
      break;
    }
  }
  b.conditions.push_back(out);
}

// A condition as the engine holds it, in the plan's terms; nullopt for any other shape
// (which then shows up as a condition added).
std::optional<WfpCondition> decode(const FWPM_FILTER_CONDITION0& c) {
  WfpCondition out;
  for (auto f :
       {wfp::Field::UserId, wfp::Field::IpProtocol, wfp::Field::RemoteAddress, wfp::Field::RemotePortRange})
    if (same(c.fieldKey, wfp::field_key(f))) out.field = f;
  if (!same(c.fieldKey, wfp::field_key(out.field))) return std::nullopt;
  const FWP_CONDITION_VALUE0& v = c.conditionValue;
  switch (out.field) {
    case wfp::Field::UserId:
      if (c.matchType != FWP_MATCH_EQUAL || v.type != FWP_SECURITY_DESCRIPTOR_TYPE) return std::nullopt;
      out.user_sddl = sddl_from_sd(v.sd);
      return out;
    case wfp::Field::IpProtocol:
      if (c.matchType != FWP_MATCH_EQUAL || v.type != FWP_UINT8) return std::nullopt;
      out.protocol = v.uint8;
      return out;
    case wfp::Field::RemoteAddress:
      if (c.matchType != FWP_MATCH_EQUAL) return std::nullopt;
      if (v.type == FWP_UINT32) {
        out.address[0] = static_cast<uint8_t>(v.uint32 >> 24);
        out.address[1] = static_cast<uint8_t>(v.uint32 >> 16);
        out.address[2] = static_cast<uint8_t>(v.uint32 >> 8);
        out.address[3] = static_cast<uint8_t>(v.uint32);
        return out;
      }
      if (v.type == FWP_BYTE_ARRAY16_TYPE && v.byteArray16) {
        for (size_t i = 0; i < 16; ++i) out.address[i] = v.byteArray16->byteArray16[i];
        return out;
      }
      return std::nullopt;
    case wfp::Field::RemotePortRange:
      if (c.matchType != FWP_MATCH_RANGE || v.type != FWP_RANGE_TYPE || !v.rangeValue ||
          v.rangeValue->valueLow.type != FWP_UINT16 || v.rangeValue->valueHigh.type != FWP_UINT16)
        return std::nullopt;
      out.ports = {v.rangeValue->valueLow.uint16, v.rangeValue->valueHigh.uint16};
      return out;
  }
  return std::nullopt;
}

std::string hex(DWORD r) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lx", static_cast<unsigned long>(r));
  return buf;
}

}  // namespace

Wfp::~Wfp() {
  if (engine_) FwpmEngineClose0(engine_);
}

SetupResult<Wfp> Wfp::open() {
  FWPM_SESSION0 session{};  // not dynamic: cordon's objects are persistent
  // A bounded wait for the engine's transaction lock (another writer, e.g. the
  // firewall service, may hold it): FWP_E_TIMEOUT then, never a hang.
  session.txnWaitTimeoutInMSec = 10000;
  HANDLE engine = nullptr;
  DWORD r = FwpmEngineOpen0(nullptr, RPC_C_AUTHN_WINNT, nullptr, &session, &engine);
  if (r != ERROR_SUCCESS || !engine)
    return setup_error(SetupErrorCode::WfpEngine, "FwpmEngineOpen0", "", r,
                       "the Windows Filtering Platform engine cannot be opened");
  return Wfp(engine);
}

SetupStatus Wfp::apply(const std::vector<WfpFilterSpec>& filters) {
  const win::WfpObjectSpec provider = win::wfp_provider();
  const win::WfpObjectSpec sublayer = win::wfp_sublayer();
  LocalSd object_sd = sd_from_sddl(win::wfp_object_sddl());
  if (!object_sd)
    return setup_error(SetupErrorCode::WfpApply, "ConvertStringSecurityDescriptorToSecurityDescriptorW",
                       win::wfp_object_sddl());
  DWORD r = FwpmTransactionBegin0(engine_, 0);
  if (r != ERROR_SUCCESS) return setup_error(SetupErrorCode::WfpEngine, "FwpmTransactionBegin0", "", r);
  auto fail = [&](const char* call, const std::string& what, DWORD code) {
    FwpmTransactionAbort0(engine_);
    return setup_error(SetupErrorCode::WfpApply, call, what, code);
  };
  // Everything of cordon's keys goes first, in the same transaction: a variant switch
  // or an older setup's objects never stay beside the new ones, and nothing is ever
  // absent outside the transaction.
  for (const WfpGuid& key : win::wfp_filter_keys()) {
    GUID k = to_guid(key);
    r = FwpmFilterDeleteByKey0(engine_, &k);
    if (r != ERROR_SUCCESS && !not_found(r)) return fail("FwpmFilterDeleteByKey0", key.str(), r);
  }
  GUID provider_key = to_guid(provider.key);
  GUID sublayer_key = to_guid(sublayer.key);
  r = FwpmSubLayerDeleteByKey0(engine_, &sublayer_key);
  if (r != ERROR_SUCCESS && !not_found(r)) return fail("FwpmSubLayerDeleteByKey0", sublayer.key.str(), r);
  r = FwpmProviderDeleteByKey0(engine_, &provider_key);
  if (r != ERROR_SUCCESS && !not_found(r)) return fail("FwpmProviderDeleteByKey0", provider.key.str(), r);

  std::wstring provider_name = widen(provider.name);
  FWPM_PROVIDER0 p{};
  p.providerKey = provider_key;
  p.displayData.name = provider_name.data();
  p.flags = provider.flags;
  r = FwpmProviderAdd0(engine_, &p, object_sd.get());
  if (r != ERROR_SUCCESS) return fail("FwpmProviderAdd0", provider.key.str(), r);
  std::wstring sublayer_name = widen(sublayer.name);
  FWPM_SUBLAYER0 s{};
  s.subLayerKey = sublayer_key;
  s.displayData.name = sublayer_name.data();
  s.flags = static_cast<UINT16>(sublayer.flags);
  s.providerKey = &provider_key;
  s.weight = sublayer.weight;
  r = FwpmSubLayerAdd0(engine_, &s, object_sd.get());
  if (r != ERROR_SUCCESS) return fail("FwpmSubLayerAdd0", sublayer.key.str(), r);
  for (const auto& spec : filters) {
    FilterBuffers b;
    for (const auto& c : spec.conditions) encode(c, b);
    if (!b.failed.empty())
      return fail("FwpmFilterAdd0", spec.name + ": " + b.failed, ERROR_INVALID_PARAMETER);
    b.name = widen(spec.name);
    FWPM_FILTER0 f{};
    f.filterKey = to_guid(spec.key);
    f.displayData.name = b.name.data();
    f.flags = spec.flags;
    f.providerKey = &provider_key;
    f.layerKey = to_guid(wfp::layer_key(spec.layer));
    f.subLayerKey = sublayer_key;
    f.weight.type = FWP_UINT8;
    f.weight.uint8 = spec.weight;
    f.numFilterConditions = static_cast<UINT32>(b.conditions.size());
    f.filterCondition = b.conditions.data();
    f.action.type = spec.permit ? FWP_ACTION_PERMIT : FWP_ACTION_BLOCK;
    UINT64 id = 0;
    r = FwpmFilterAdd0(engine_, &f, object_sd.get(), &id);
    if (r != ERROR_SUCCESS) return fail("FwpmFilterAdd0", spec.name, r);
  }
  r = FwpmTransactionCommit0(engine_);
  if (r != ERROR_SUCCESS) return fail("FwpmTransactionCommit0", "", r);
  if (std::string why = why_not_verified(filters); !why.empty())
    return setup_error(SetupErrorCode::WfpVerify, "FwpmFilterGetByKey0 (read back)", "", 0, why);
  return Done{};
}

std::string Wfp::why_not_verified(const std::vector<WfpFilterSpec>& filters) {
  const win::WfpObjectSpec provider = win::wfp_provider();
  const win::WfpObjectSpec sublayer = win::wfp_sublayer();
  GUID provider_key = to_guid(provider.key);
  GUID sublayer_key = to_guid(sublayer.key);
  {
    FWPM_PROVIDER0* raw = nullptr;
    DWORD r = FwpmProviderGetByKey0(engine_, &provider_key, &raw);
    std::unique_ptr<FWPM_PROVIDER0, FwpmFree<FWPM_PROVIDER0>> got(raw);
    if (r != ERROR_SUCCESS || !got)
      return not_found(r) ? "cordon's WFP provider is missing"
                          : "FwpmProviderGetByKey0: error " + hex(r) + " (run `cordon setup` again)";
    if (!(got->flags & provider.flags)) return "cordon's WFP provider is not persistent";
  }
  {
    FWPM_SUBLAYER0* raw = nullptr;
    DWORD r = FwpmSubLayerGetByKey0(engine_, &sublayer_key, &raw);
    std::unique_ptr<FWPM_SUBLAYER0, FwpmFree<FWPM_SUBLAYER0>> got(raw);
    if (r != ERROR_SUCCESS || !got)
      return not_found(r) ? "cordon's WFP sublayer is missing" : "FwpmSubLayerGetByKey0: error " + hex(r);
    if (got->weight != sublayer.weight || !(got->flags & sublayer.flags) || !got->providerKey ||
        !same(*got->providerKey, provider.key))
      return "cordon's WFP sublayer differs (weight, flags or provider)";
  }
  for (const auto& want : filters) {
    GUID key = to_guid(want.key);
    FWPM_FILTER0* raw = nullptr;
    DWORD r = FwpmFilterGetByKey0(engine_, &key, &raw);
    std::unique_ptr<FWPM_FILTER0, FwpmFree<FWPM_FILTER0>> got(raw);
    if (r != ERROR_SUCCESS || !got)
      return not_found(r) ? "the WFP filter " + want.name + " is missing"
                          : "FwpmFilterGetByKey0(" + want.name + "): error " + hex(r);
    if (!same(got->subLayerKey, sublayer.key) || !got->providerKey || !same(*got->providerKey, provider.key))
      return "the WFP filter " + want.name + " is not in cordon's sublayer";
    WfpFilterSpec seen;
    seen.key = from_guid(got->filterKey);
    seen.layer = same(got->layerKey, wfp::layer_key(wfp::Layer::ConnectV4))   ? wfp::Layer::ConnectV4
                 : same(got->layerKey, wfp::layer_key(wfp::Layer::ConnectV6)) ? wfp::Layer::ConnectV6
                                                                              : want.layer;
    if (!same(got->layerKey, wfp::layer_key(seen.layer)))
      return "the WFP filter " + want.name + ": other layer";
    seen.permit = got->action.type == FWP_ACTION_PERMIT;
    if (got->action.type != FWP_ACTION_PERMIT && got->action.type != FWP_ACTION_BLOCK)
      return "the WFP filter " + want.name + ": neither permit nor block";
    seen.weight = got->weight.type == FWP_UINT8 ? got->weight.uint8 : 0;
    if (got->weight.type != FWP_UINT8) return "the WFP filter " + want.name + ": weight is not the one set";
    seen.flags = got->flags;
    for (UINT32 i = 0; i < got->numFilterConditions; ++i) {
      auto c = decode(got->filterCondition[i]);
      if (!c) return "the WFP filter " + want.name + ": a condition of another kind";
      seen.conditions.push_back(*c);
    }
    auto diff = win::compare_filters(want, seen);
    if (!diff.empty()) {
      std::string fields;
      for (const auto& d : diff) fields += (fields.empty() ? "" : ", ") + d;
      return "the WFP filter " + want.name + " differs: " + fields;
    }
  }
  return "";
}

SetupStatus Wfp::remove(int* removed) {
  int count = 0;
  auto one = [&](DWORD r, const char* call, const std::string& key) -> std::optional<win::SetupError> {
    if (r == ERROR_SUCCESS) {
      ++count;
      return std::nullopt;
    }
    if (not_found(r)) return std::nullopt;
    return setup_error(SetupErrorCode::WfpRemove, call, key, r);
  };
  // Filters, then the sublayer they sit in, then the provider: each delete is refused
  // while something still refers to the object (FWP_E_IN_USE), which is then reported.
  for (const WfpGuid& key : win::wfp_filter_keys()) {
    GUID k = to_guid(key);
    if (auto e = one(FwpmFilterDeleteByKey0(engine_, &k), "FwpmFilterDeleteByKey0", key.str())) return *e;
  }
  GUID sublayer = to_guid(win::wfp_sublayer().key);
  if (auto e = one(FwpmSubLayerDeleteByKey0(engine_, &sublayer), "FwpmSubLayerDeleteByKey0",
                   win::wfp_sublayer().key.str()))
    return *e;
  GUID provider = to_guid(win::wfp_provider().key);
  if (auto e = one(FwpmProviderDeleteByKey0(engine_, &provider), "FwpmProviderDeleteByKey0",
                   win::wfp_provider().key.str()))
    return *e;
  if (removed) *removed = count;
  return Done{};
}

std::string wfp_not_verified(const win::Sid& offline_user, const std::optional<win::PortRange>& proxy) {
  auto engine = Wfp::open();
  if (!engine)
    return "FwpmEngineOpen0: error " + hex(engine.error().win32) + " (no Windows Filtering Platform engine)";
  return engine->why_not_verified(win::wfp_filters(offline_user, proxy));
}

}  // namespace cordon::winsys
