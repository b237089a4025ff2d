#include <sstream>

#include "plan/report.hpp"

namespace cordon {

bool PlanReport::complete() const {
  for (const auto& g : guarantees)
    if (g.state == GuaranteeState::Degraded || g.state == GuaranteeState::Missing) return false;
  return true;
}

const char* to_string(GuaranteeState s) {
  switch (s) {
    case GuaranteeState::Enforced:
      return "enforced";
    case GuaranteeState::Degraded:
      return "degraded";
    case GuaranteeState::Missing:
      return "missing";
    case GuaranteeState::NotRequested:
      return "not requested";
  }
  return "?";
}

std::string to_text(const PlanReport& report) {
  std::ostringstream out;
  if (!report.command.empty()) {
    out << "command:";
    for (const auto& a : report.command) out << ' ' << a;
    out << "\n\n";
  }
  if (!report.rules.empty()) {
    out << "rules (" << report.platform << "):\n";
    std::string last;
    for (const auto& r : report.rules) {
      if (r.category != last) out << "  [" << r.category << "]\n";
      last = r.category;
      out << "    " << r.subject << ": " << r.effect << "  <- " << r.mechanism;
      if (!r.reason.empty()) out << "  (" << r.reason << ")";
      out << "\n";
    }
    out << "\n";
  }
  out << "guarantees (" << report.platform << "):\n";
  for (const auto& g : report.guarantees) {
    const char* mark = g.state == GuaranteeState::Enforced       ? "ok  "
                       : g.state == GuaranteeState::NotRequested ? "--  "
                       : g.state == GuaranteeState::Degraded     ? "WEAK"
                                                                 : "NO  ";
    out << "  " << mark << " " << g.name << ": " << g.mechanism << "\n";
    if (!g.detail.empty()) out << "         lost: " << g.detail << "\n";
    if (!g.fix.empty()) out << "         fix:  " << g.fix << "\n";
  }
  for (const auto& n : report.notes) out << "note: " << n << "\n";
  return out.str();
}

nlohmann::json guarantees_json(const PlanReport& report) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : report.guarantees) {
    nlohmann::json gj = {{"name", g.name}, {"state", to_string(g.state)}, {"mechanism", g.mechanism}};
    if (!g.detail.empty()) gj["lost"] = g.detail;
    if (!g.fix.empty()) gj["fix"] = g.fix;
    out.push_back(gj);
  }
  return out;
}

nlohmann::json to_json(const PlanReport& report) {
  nlohmann::json j;
  j["platform"] = report.platform;
  if (!report.command.empty()) j["command"] = report.command;
  j["rules"] = nlohmann::json::array();
  for (const auto& r : report.rules)
    j["rules"].push_back({{"category", r.category},
                          {"subject", r.subject},
                          {"effect", r.effect},
                          {"mechanism", r.mechanism},
                          {"reason", r.reason}});
  j["guarantees"] = guarantees_json(report);
  j["complete"] = report.complete();
  j["notes"] = report.notes;
  j["detail"] = report.detail;
  return j;
}

}  // namespace cordon
