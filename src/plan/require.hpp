// require: the one gate between every planner and a run. A guarantee the policy asks for
// that the host cannot enforce (a planner reports it degraded or missing, or a limit has
// no mechanism) refuses the run unless the user passed --best-effort; every platform
// (Linux, Windows stage 1 and 2) and the limits go through it, so none can grow its own
// exceptions. `cordon explain` runs it too: it is exactly the first half of `run`.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/report.hpp"

namespace cordon {

struct Loss {
  std::string name;    // the guarantee, e.g. "protected paths", "resource limits"
  std::string detail;  // what is lost
  std::string fix;     // one line for the host, or ""
};

// The degraded and missing guarantees of a report, in its order.
[[nodiscard]] std::vector<Loss> losses_of(const PlanReport& report);

// Ok when nothing is lost or best_effort is set; otherwise an error listing each loss
// and each distinct fix, ending with the --best-effort hint.
[[nodiscard]] Status require_enforceable(const std::vector<Loss>& losses, bool best_effort);

}  // namespace cordon
