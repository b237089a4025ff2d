// cordon (Windows setup): the `cordon setup` / `cordon uninstall` command line and the
// stage section of `cordon check`.
//
//   cordon setup [--workspace DIR] [--writable DIR]... [--read-root DIR]... [--proxy-ports N[-M]]
//   cordon setup --refresh [--writable DIR]...   unelevated: grants for new roots only
//   cordon setup status                          stage, accounts, rules, ledger
//   cordon setup uninstall | cordon uninstall    everything cordon added, from the ledger
// Internal: --elevated-child --state-dir D --real-user SID --profile P (the UAC child,
// which writes setup-output.txt and setup-error.json for its parent), --read-grants.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "plan/report.hpp"
#include "plan/windows/planner.hpp"

namespace cordon::winsys {

[[nodiscard]] Result<int> setup_command(const std::vector<std::string>& args);

// Stage 2 as it is on this host, read without side effects (the marker, the runner
// directory, whether the firewall rules take effect): the planner's input
// (win::PlanOptions::stage) for explain, check and run alike.
win::Stage2Facts read_stage2_facts(const std::string& state_dir);

}  // namespace cordon::winsys
