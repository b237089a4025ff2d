#include "plan/require.hpp"

#include <set>

namespace cordon {

std::vector<Loss> losses_of(const PlanReport& report) {
  std::vector<Loss> out;
  for (const auto& g : report.guarantees)
    if (g.state == GuaranteeState::Degraded || g.state == GuaranteeState::Missing)
      out.push_back({g.name, g.detail, g.fix});
  return out;
}

Status require_enforceable(const std::vector<Loss>& losses, bool best_effort) {
  if (losses.empty() || best_effort) return Ok{};
  std::string detail = "this host cannot enforce every guarantee of the policy:";
  std::string fixes;
  std::set<std::string> seen;
  for (const auto& l : losses) {
    detail += "\n    - " + l.name + ": " + l.detail;
    if (!l.fix.empty() && seen.insert(l.fix).second) fixes += "\n    - " + l.fix;
  }
  return usage_error("sandbox", detail + (fixes.empty() ? "" : "\n  fix:" + fixes),
                     "or pass --best-effort to run with exactly these losses (see `cordon check`)");
}

}  // namespace cordon
