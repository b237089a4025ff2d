// cordon (Windows setup): cordon's WFP provider, sublayer and filters (F14), through fwpuclnt.
//
//   auto wfp = Wfp::open();                      // FwpmEngineOpen0, a non-dynamic session
//   wfp->apply(win::wfp_filters(sid, proxy));    // one transaction, then every object read back
//   std::string why = wfp->why_not_verified(win::wfp_filters(sid, proxy));  // "" = as planned
//   wfp->remove();                               // cordon's keys only (uninstall)
//
// Everything goes by cordon's fixed keys (plan/windows/wfp_spec.hpp): apply deletes and
// re-adds exactly those in one transaction (the filters never disappear for a moment:
// the transaction commits as a whole), remove deletes exactly those. A filter engine that
// is a stub (Wine's fwpuclnt returns an error from FwpmEngineOpen0) fails open(), so
// setup stops with wfp_engine and a run reports the filters as not verified.
#pragma once

#include <windows.h>

#include <optional>
#include <string>
#include <vector>

#include "plan/windows/wfp_spec.hpp"
#include "platform/windows/setup/outcome.hpp"

namespace cordon::winsys {

class Wfp {
 public:
  Wfp(const Wfp&) = delete;
  Wfp& operator=(const Wfp&) = delete;
  Wfp(Wfp&& other) noexcept : engine_(other.engine_) { other.engine_ = nullptr; }
  Wfp& operator=(Wfp&&) = delete;
  ~Wfp();

  [[nodiscard]] static SetupResult<Wfp> open();
  // Provider, sublayer and `filters` (and no other filter key of cordon's), then read back.
  [[nodiscard]] SetupStatus apply(const std::vector<win::WfpFilterSpec>& filters);
  // "" when the provider, the sublayer and every filter read back as planned; else why not
  // (read access for an unelevated caller comes from the objects' own descriptor).
  [[nodiscard]] std::string why_not_verified(const std::vector<win::WfpFilterSpec>& filters);
  // Every object of cordon's keys; `removed` counts what was there.
  [[nodiscard]] SetupStatus remove(int* removed = nullptr);

 private:
  explicit Wfp(HANDLE engine) : engine_(engine) {}
  HANDLE engine_ = nullptr;
};

// The run-time probe for `check` and every stage-2 run: opens the engine (no side
// effects) and reads cordon's objects back. "" = verified.
std::string wfp_not_verified(const win::Sid& offline_user, const std::optional<win::PortRange>& proxy);

}  // namespace cordon::winsys
