#include "core/result.hpp"

namespace cordon {

const char* to_string(Classification c) {
  switch (c) {
    case Classification::Ok: return "ok";
    case Classification::Failed: return "failed";
    case Classification::DeniedBySandbox: return "denied-by-sandbox";
    case Classification::TimedOut: return "timed-out";
    case Classification::Killed: return "killed";
    case Classification::LimitExceeded: return "limit-exceeded";
    case Classification::SandboxError: return "sandbox-error";
  }
  return "failed";
}

Classification classify(const RunResult& r) {
  if (r.sandbox_error) return Classification::SandboxError;
  if (r.timed_out) return Classification::TimedOut;
  if (!r.limits_hit.empty()) return Classification::LimitExceeded;
  const bool success = r.exit_code && *r.exit_code == 0 && r.signal == 0;
  if (success) return Classification::Ok;
  if (!r.denials.empty()) return Classification::DeniedBySandbox;
  if (r.signal != 0) return Classification::Killed;
  return Classification::Failed;
}

nlohmann::json to_json(const Denial& d) {
  nlohmann::json j;
  j["operation"] = d.operation;
  if (!d.address.empty()) j["address"] = d.address;
  else j["path"] = d.path;
  j["rule"] = d.rule;
  j["suggestion"] = d.suggestion;
  return j;
}

nlohmann::json to_json(const RunResult& r) {
  nlohmann::json j;
  j["classification"] = to_string(classify(r));
  j["exit_code"] = r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json(nullptr);
  j["signal"] = r.signal;
  j["duration_ms"] = r.duration_ms;
  j["timed_out"] = r.timed_out;
  j["exec_failed"] = r.exec_failed;
  j["sandbox_error"] = r.sandbox_error;
  if (r.sandbox_error) j["error"] = r.error;
  j["limits_hit"] = r.limits_hit;
  j["denials"] = nlohmann::json::array();
  for (const auto& d : r.denials) j["denials"].push_back(to_json(d));
  j["truncated"] = {{"stdout", r.stdout_truncated}, {"stderr", r.stderr_truncated}};
  j["sandbox"] = r.sandbox;
  j["guarantees"] = r.guarantees;
  j["degradations"] = r.degradations;
  j["limits"] = r.limits;
  j["notes"] = r.notes;
  return j;
}

}  // namespace cordon
