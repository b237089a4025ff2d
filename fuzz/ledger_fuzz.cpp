// libFuzzer target: the Windows ACE/setup ledger and the files `cordon uninstall`
// reads (plan/windows/state.hpp, uninstall_plan.hpp, setup_plan.hpp, setup_error.hpp)
// on arbitrary bytes. Checks invariants, not just crashes:
//  - salvage never fails; a ledger the strict parser accepts salvages intact to the
//    same records, and serialising it parses back to the same ledger;
//  - the uninstall replay of anything salvaged is well formed: each ACE step carries
//    its ACE, the setup files go last, and a stage-1-only plan has no account steps;
//  - the marker, secrets and setup-error parsers never crash, and round-trip.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plan/windows/setup_error.hpp"
#include "plan/windows/setup_plan.hpp"
#include "plan/windows/state.hpp"
#include "plan/windows/uninstall_plan.hpp"

using namespace cordon::win;

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  LedgerSalvage salvage = salvage_ledger(text);
  if (auto strict = parse_ledger(text)) {
    require(salvage.intact());
    require(salvage.ledger.entries == strict->entries);
    require(salvage.ledger.placeholders == strict->placeholders);
    require(salvage.ledger.setup == strict->setup);
    auto again = parse_ledger(serialize(*strict));
    require(again && again->entries == strict->entries && again->setup == strict->setup);
  }

  auto marker = parse_marker(text);
  if (marker && marker->version == kSetupFormatVersion) {
    auto back = parse_marker(to_json(*marker).dump());
    require(back && *back == *marker);
  }
  (void)stage_status(text);
  for (bool traces : {false, true}) {
    UninstallPlan plan = plan_uninstall(salvage, marker, traces);
    require(plan.problems.size() == salvage.problems.size());
    for (const auto& step : plan.steps) {
      require((step.kind == UninstallStepKind::RemoveAce) == step.ace.has_value());
      if (!traces)
        require(step.kind == UninstallStepKind::RemoveAce || step.kind == UninstallStepKind::SweepSids ||
                step.kind == UninstallStepKind::RemovePlaceholder);
    }
    if (traces) require(!plan.steps.empty() && plan.steps.back().kind == UninstallStepKind::RemoveSetupFiles);
  }

  if (auto secrets = parse_secrets(text)) {
    auto back = parse_secrets(serialize(*secrets));
    require(back && back->offline_blob == secrets->offline_blob && back->online_blob == secrets->online_blob);
  }
  if (auto error = parse_setup_error(text)) {
    auto back = parse_setup_error(to_json(*error).dump());
    require(back && *back == *error);
  }
  if (auto decoded = base64_decode(text)) require(base64_encode(*decoded) == text);
  return 0;
}
