// cordon: what a plan enforces, in one platform-neutral shape.
//
// Every planner (Linux, Windows, macOS) turns its plan into a PlanReport; `cordon
// explain` prints it (text or --json) and `cordon check` prints its guarantees.
// A guarantee is never silently dropped: it is Enforced (with the mechanism),
// Degraded (weaker mechanism, with what is lost), Missing (with a one-line fix), or
// NotRequested (the policy did not ask for it, e.g. network in --net on).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cordon {

struct Rule {
  std::string category;   // "write", "protect", "deny-read", "network", "process", "env" ...
  std::string subject;    // path, syscall, variable ...
  std::string effect;     // "read-write", "read-only", "masked", "denied (EPERM)" ...
  std::string mechanism;  // "bind mount", "landlock", "seccomp", "token", "ACE" ...
  std::string reason;     // why the rule exists (optional)
};

enum class GuaranteeState { Enforced, Degraded, Missing, NotRequested };

struct Guarantee {
  std::string name;  // "write confinement", "protected paths", ...
  GuaranteeState state = GuaranteeState::Missing;
  std::string mechanism;  // what provides it here
  std::string detail;     // what is lost when degraded/missing
  std::string fix;        // one-line fix for the host
};

struct PlanReport {
  std::string platform;              // "linux", "windows", "macos"
  std::vector<std::string> command;  // the command, when explaining a run
  std::vector<Rule> rules;
  std::vector<Guarantee> guarantees;
  std::vector<std::string> notes;
  nlohmann::json detail = nlohmann::json::object();  // platform plan (mounts, SIDs, ACEs ...)

  // True when every requested guarantee is Enforced.
  bool complete() const;
};

const char* to_string(GuaranteeState s);
std::string to_text(const PlanReport& report);
nlohmann::json to_json(const PlanReport& report);
// The guarantees alone: every run reports them, and the whole report (a rule per protected
// path) costs time proportional to the policy.
nlohmann::json guarantees_json(const PlanReport& report);

}  // namespace cordon
