#include "core/result.hpp"

#include <type_traits>

namespace cordon {

const char* to_string(Classification c) {
  switch (c) {
    case Classification::Ok:
      return "ok";
    case Classification::Failed:
      return "failed";
    case Classification::DeniedBySandbox:
      return "denied-by-sandbox";
    case Classification::TimedOut:
      return "timed-out";
    case Classification::Killed:
      return "killed";
    case Classification::LimitExceeded:
      return "limit-exceeded";
    case Classification::SandboxError:
      return "sandbox-error";
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
  if (!d.address.empty())
    j["address"] = d.address;
  else
    j["path"] = d.path;
  j["rule"] = d.rule;
  j["suggestion"] = d.suggestion;
  return j;
}

nlohmann::json to_json(const Grant& g) {
  nlohmann::json j;
  j["operation"] = g.operation;
  if (!g.address.empty()) {
    j["address"] = g.address;
    j["network"] = g.network;
  } else {
    j["path"] = g.path;
  }
  if (!g.to.empty()) j["to"] = g.to;
  j["answer"] = g.allowed ? "allow" : "deny";
  if (g.allowed) j["scope"] = g.scope;
  if (!g.rule.empty()) j["rule"] = g.rule;
  j["by"] = g.by;
  if (!g.config.empty()) j["config"] = g.config;
  j["at"] = g.at;
  j["pid"] = g.pid;
  j["command"] = g.command;
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
  j["denials_truncated"] = r.denials_truncated;
  j["denials_reported"] = r.denials_reported;
  if (!r.grants.empty()) {
    j["grants"] = nlohmann::json::array();
    for (const auto& g : r.grants) j["grants"].push_back(to_json(g));
  }
  j["truncated"] = {{"stdout", r.stdout_truncated}, {"stderr", r.stderr_truncated}};
  j["sandbox"] = r.sandbox;
  j["guarantees"] = r.guarantees;
  j["degradations"] = r.degradations;
  j["limits"] = r.limits;
  j["notes"] = r.notes;
  if (!r.review.is_null()) j["review"] = r.review;
  return j;
}

RunResult from_json(const nlohmann::json& j) {
  RunResult r;
  if (!j.is_object()) return r;
  auto get = [&](const char* key, auto& into) {
    auto it = j.find(key);
    if (it == j.end()) return;
    using T = std::decay_t<decltype(into)>;
    if constexpr (std::is_same_v<T, bool>) {
      if (it->is_boolean()) into = it->template get<bool>();
    } else if constexpr (std::is_same_v<T, int>) {
      if (it->is_number_integer()) into = it->template get<int>();
    } else if constexpr (std::is_same_v<T, double>) {
      if (it->is_number()) into = it->template get<double>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (it->is_string()) into = it->template get<std::string>();
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
      into = *it;
    }
  };
  if (auto it = j.find("exit_code"); it != j.end() && it->is_number_integer()) r.exit_code = it->get<int>();
  get("signal", r.signal);
  get("duration_ms", r.duration_ms);
  get("timed_out", r.timed_out);
  get("exec_failed", r.exec_failed);
  get("sandbox_error", r.sandbox_error);
  get("denials_truncated", r.denials_truncated);
  get("denials_reported", r.denials_reported);
  get("error", r.error);
  get("sandbox", r.sandbox);
  get("guarantees", r.guarantees);
  get("degradations", r.degradations);
  get("limits", r.limits);
  get("review", r.review);
  auto strings = [&](const char* key, std::vector<std::string>& into) {
    if (auto it = j.find(key); it != j.end() && it->is_array())
      for (const auto& s : *it)
        if (s.is_string()) into.push_back(s.get<std::string>());
  };
  strings("limits_hit", r.limits_hit);
  strings("notes", r.notes);
  if (auto it = j.find("denials"); it != j.end() && it->is_array())
    for (const auto& d : *it) {
      if (!d.is_object()) continue;
      Denial x;
      auto field = [&](const char* key, std::string& into) {
        if (auto f = d.find(key); f != d.end() && f->is_string()) into = f->get<std::string>();
      };
      field("operation", x.operation);
      field("path", x.path);
      field("address", x.address);
      field("rule", x.rule);
      field("suggestion", x.suggestion);
      r.denials.push_back(std::move(x));
    }
  if (auto it = j.find("grants"); it != j.end() && it->is_array())
    for (const auto& g : *it) {
      if (!g.is_object()) continue;
      Grant x;
      auto field = [&](const char* key, std::string& into) {
        if (auto f = g.find(key); f != g.end() && f->is_string()) into = f->get<std::string>();
      };
      std::string answer;
      field("operation", x.operation);
      field("path", x.path);
      field("address", x.address);
      field("network", x.network);
      field("to", x.to);
      field("answer", answer);
      x.allowed = answer == "allow";
      field("scope", x.scope);
      field("rule", x.rule);
      field("by", x.by);
      field("config", x.config);
      field("at", x.at);
      field("command", x.command);
      if (auto f = g.find("pid"); f != g.end() && f->is_number_integer()) x.pid = f->get<int>();
      r.grants.push_back(std::move(x));
    }
  if (auto it = j.find("truncated"); it != j.end() && it->is_object()) {
    if (it->contains("stdout") && (*it)["stdout"].is_boolean())
      r.stdout_truncated = (*it)["stdout"].get<bool>();
    if (it->contains("stderr") && (*it)["stderr"].is_boolean())
      r.stderr_truncated = (*it)["stderr"].get<bool>();
  }
  return r;
}

}  // namespace cordon
