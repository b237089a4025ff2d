#include "plan/plan_digest.hpp"

#include <cstdio>

namespace cordon {
namespace {

// Length-prefixed fields: no separator inside a path can make two plans read the same.
void field(std::string& out, const std::string& s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

}  // namespace

std::string plan_digest(const LinuxPlan& plan) {
  std::string text;
  field(text, std::to_string(static_cast<int>(plan.sandbox)));
  for (const auto& m : plan.mounts) {
    field(text, std::to_string(static_cast<int>(m.kind)));
    field(text, m.target);
    field(text, m.source);
    for (const auto& r : m.reexpose) field(text, r);
    field(text, m.text);  // a filtered copy (~/.npmrc) edited since: a worker must not serve the old one
  }
  // Not the placeholders: whether cordon's own empty placeholder exists yet (another
  // worker made it) changes nothing inside; the read-only mount on that path is the same.
  text += '|';
  for (const auto& r : plan.landlock.rules) field(text, r.path + "=" + std::to_string(r.access));
  text += '|';
  for (const auto& g : plan.git_watch) field(text, g);
  // The review overlays (their options name the change set's directories): a worker
  // planned without --review, or for another change set or another set of staged roots,
  // must never serve a review call. `cordon mcp --review` prestarts no worker today; this
  // keeps that true of any later one.
  text += '|';
  if (plan.review) field(text, plan.review->target + "=" + plan.review->options);
  for (const auto& r : plan.review_roots) field(text, r.target + "=" + r.options);
  // FNV-1a, 64 bits twice with different offsets: not a security boundary (both plans
  // are cordon's own), only a change detector.
  uint64_t a = 1469598103934665603ULL, b = 0x9E3779B97F4A7C15ULL;
  for (unsigned char c : text) {
    a = (a ^ c) * 1099511628211ULL;
    b = (b ^ c) * 1099511628211ULL;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf;
}

}  // namespace cordon
