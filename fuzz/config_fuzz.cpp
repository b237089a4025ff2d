// Fuzzes the config parser in both scopes and, when a file parses, the resolver.
//
// Besides the sanitizers, it checks the promises the parser makes: a project config
// never widens the policy, paths in a layer are absolute or ~/, every value knows its
// file and line, and messages carry no terminal control characters.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/paths.hpp"
#include "core/resolve.hpp"

namespace {

using namespace cordon;

const std::string kFile = "/home/fuzz/.config/cordon/config.toml";

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

// The fake host: every absolute directory exists except those named "missing".
bool fake_is_dir(const std::string& p) {
  return p.find("missing") == std::string::npos;
}

void check_message(const Error& e) {
  const std::string msg = e.message();
  for (char c : msg)
    require(c == '\n' || static_cast<unsigned char>(c) >= 0x20, "control character in message");
}

void check_sourced(const Origin& o) {
  require(o.source == kFile && o.line > 0, "value without file:line");
}

void check_paths(const std::vector<Sourced<std::string>>& list) {
  for (const auto& p : list) {
    check_sourced(p.origin);
    require(!p.value.empty() && (p.value[0] == '/' || p.value == "~" || p.value.rfind("~/", 0) == 0),
            "relative path accepted");
    require(p.value.find('\0') == std::string::npos, "NUL in path");
  }
}

void check_layer(const PolicyLayer& l, ConfigScope scope) {
  if (l.mode) check_sourced(l.mode->origin);
  if (l.workspace) check_paths({*l.workspace});
  check_paths(l.writable);
  check_paths(l.protect);
  check_paths(l.deny_read);
  check_paths(l.allow_read);
  if (l.timeout) require(l.timeout->value > 0, "non-positive timeout");
  if (scope != ConfigScope::Project) return;
  require(!l.workspace && l.writable.empty() && l.allow_read.empty() && l.env_keep.empty(),
          "project widened lists");
  require(!l.mode || l.mode->value != Mode::FullAccess, "project set full-access");
  require(!l.best_effort || !l.best_effort->value, "project set best_effort");
  require(!l.net || l.net->value != NetMode::On, "project turned the network on");
  require(l.allow_domains.empty() && l.allow_localhost.empty(), "project allowed network destinations");
  require(!l.tmp || l.tmp->value != TmpMode::Host, "project shared /tmp");
  require(!l.git || l.git->value != GitMode::Writable, "project made .git writable");
}

void check_policy(const Policy& p) {
  auto normal = [](const std::string& s) { return paths::is_absolute(s) && paths::normalize(s) == s; };
  require(normal(p.workspace), "workspace not normalised");
  for (const auto* list : {&p.writable, &p.protect, &p.deny_read, &p.allow_read})
    for (const auto& s : *list) require(normal(s), "path not normalised");
  for (const auto& w : p.writable) require(w != "/", "writable root /");
  if (p.limits.timeout_seconds) require(*p.limits.timeout_seconds > 0, "non-positive timeout");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ResolveContext ctx{"/home/fuzz/proj", "/home/fuzz", fake_is_dir};

  std::vector<PolicyLayer> layers;
  for (ConfigScope scope : {ConfigScope::User, ConfigScope::Project}) {
    auto layer = parse_config(text, kFile, scope);
    if (!layer) {
      check_message(layer.error());
      continue;
    }
    check_layer(*layer, scope);
    auto policy = resolve({*layer}, ctx);
    if (policy) check_policy(*policy);
    layers.push_back(std::move(*layer));
  }
  // "allow always" (cordon run --ask) edits the user's config in place: what it writes must
  // parse and hold the new entry (add_writable_rule checks both and says so), or be refused.
  if (auto edited = add_writable_rule(std::string(text), "/home/fuzz/.npm", "fuzz")) {
    auto again = parse_config(*edited, kFile, ConfigScope::User);
    require(static_cast<bool>(again), "edited config does not parse");
    if (again)
      require(std::any_of(again->writable.begin(), again->writable.end(),
                          [](const auto& w) { return w.value == "/home/fuzz/.npm"; }),
              "edited config lost the entry");
  }
  // Both scopes accepted it: resolve them stacked, as the CLI would.
  if (layers.size() == 2) {
    auto policy = resolve(layers, ctx);
    if (policy) check_policy(*policy);
  }
  return 0;
}
