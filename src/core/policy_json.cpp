#include "core/policy_json.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/limits.hpp"
#include "core/paths.hpp"

namespace cordon {
namespace {

using nlohmann::json;

Error bad(const std::string& key, const std::string& why) {
  return usage_error("policy " + key, why, "the policy JSON is written by cordon itself; regenerate it");
}

// Each reader checks its key's type and range, then stores the value.
class Reader {
 public:
  explicit Reader(const json& j, std::string prefix = "") : j_(j), prefix_(std::move(prefix)) {}

  Status only(std::initializer_list<const char*> keys) const {
    if (!j_.is_object()) return bad(prefix_.empty() ? "(top)" : prefix_, "must be an object");
    std::set<std::string> allowed(keys.begin(), keys.end());
    for (const auto& [k, v] : j_.items())
      if (!allowed.count(k)) return bad(name(k), "unknown key");
    for (const auto& k : keys)
      if (!j_.contains(k)) return bad(name(k), "missing");
    return Ok{};
  }
  Result<std::string> string(const char* k) const {
    const auto& v = j_.at(k);
    if (!v.is_string()) return bad(name(k), "must be a string");
    return v.get<std::string>();
  }
  Result<std::string> path(const char* k) const {
    auto s = string(k);
    if (!s) return s;
    if (!paths::is_absolute(*s)) return bad(name(k), "must be an absolute path");
    return s;
  }
  Result<std::vector<std::string>> strings(const char* k, bool absolute) const {
    const auto& v = j_.at(k);
    if (!v.is_array()) return bad(name(k), "must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : v) {
      if (!e.is_string()) return bad(name(k), "must be an array of strings");
      if (absolute && !paths::is_absolute(e.get<std::string>()))
        return bad(name(k), "must hold absolute paths");
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  Result<bool> boolean(const char* k) const {
    const auto& v = j_.at(k);
    if (!v.is_boolean()) return bad(name(k), "must be true or false");
    return v.get<bool>();
  }
  // null = unset.
  Result<std::optional<double>> number(const char* k, double min, double max) const {
    const auto& v = j_.at(k);
    if (v.is_null()) return std::optional<double>{};
    if (!v.is_number()) return bad(name(k), "must be a number or null");
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < min || d > max) return bad(name(k), "out of range");
    return std::optional<double>{d};
  }
  Result<std::optional<uint64_t>> count(const char* k, uint64_t min, uint64_t max) const {
    const auto& v = j_.at(k);
    if (v.is_null()) return std::optional<uint64_t>{};
    if (!v.is_number_unsigned()) return bad(name(k), "must be a non-negative integer or null");
    const auto n = v.get<uint64_t>();
    if (n < min || n > max) return bad(name(k), "out of range");
    return std::optional<uint64_t>{n};
  }
  template <class E>
  Result<E> choice(const char* k, std::optional<E> (*parse)(const std::string&)) const {
    auto s = string(k);
    if (!s) return s.error();
    auto e = parse(*s);
    if (!e) return bad(name(k), "unknown value '" + *s + "'");
    return *e;
  }
  Reader sub(const char* k) const { return Reader(j_.at(k), name(k)); }

 private:
  std::string name(const std::string& k) const { return prefix_.empty() ? k : prefix_ + "." + k; }
  const json& j_;
  std::string prefix_;
};

// Stores a read value, or passes its error on.
template <class T>
Status take(Result<T> r, T& out) {
  if (!r) return r.error();
  out = std::move(*r);
  return Ok{};
}

}  // namespace

json to_json(const Policy& p) {
  json env_set = json::array();
  for (const auto& [k, v] : p.env.set) env_set.push_back({k, v});
  auto opt = [](const auto& o) { return o ? json(*o) : json(nullptr); };
  return {{"mode", to_string(p.mode)},
          {"workspace", p.workspace},
          {"writable", p.writable},
          {"tmp", to_string(p.tmp)},
          {"git", to_string(p.git)},
          {"protect", p.protect},
          {"unprotect", p.unprotect},
          {"deny_read", p.deny_read},
          {"user_deny_read", p.user_deny_read},
          {"allow_read", p.allow_read},
          {"net",
           {{"mode", to_string(p.net.mode)},
            {"allow_domains", p.net.allow_domains},
            {"deny_domains", p.net.deny_domains},
            {"allow_localhost_ports", p.net.allow_localhost_ports},
            {"allow_private_hosts", p.net.allow_private_hosts},
            {"allow_unix_sockets", p.net.allow_unix_sockets}}},
          {"env",
           {{"filter_secrets", p.env.filter_secrets},
            {"keep", p.env.keep},
            {"drop_patterns", p.env.drop_patterns},
            {"set", env_set}}},
          {"limits",
           {{"timeout_seconds", opt(p.limits.timeout_seconds)},
            {"memory_bytes", opt(p.limits.memory_bytes)},
            {"pids", opt(p.limits.pids)},
            {"cpu_seconds", opt(p.limits.cpu_seconds)},
            {"max_output_bytes", opt(p.limits.max_output_bytes)}}},
          {"best_effort", p.best_effort},
          {"tty", to_string(p.tty)},
          {"ask", p.ask}};
}

Result<Policy> policy_from_json(const json& j) {
  Policy p;
  Reader top(j);
  if (auto st =
          top.only({"mode", "workspace", "writable", "tmp", "git", "protect", "unprotect", "deny_read",
                    "user_deny_read", "allow_read", "net", "env", "limits", "best_effort", "tty", "ask"});
      !st)
    return st.error();
  for (const Status& st :
       {take(top.choice<Mode>("mode", parse_mode), p.mode), take(top.path("workspace"), p.workspace),
        take(top.strings("writable", true), p.writable), take(top.choice<TmpMode>("tmp", parse_tmp), p.tmp),
        take(top.choice<GitMode>("git", parse_git), p.git), take(top.strings("protect", true), p.protect),
        take(top.strings("unprotect", false), p.unprotect), take(top.strings("deny_read", true), p.deny_read),
        take(top.strings("user_deny_read", true), p.user_deny_read),
        take(top.strings("allow_read", true), p.allow_read), take(top.boolean("best_effort"), p.best_effort),
        take(top.choice<TtyMode>("tty", parse_tty), p.tty), take(top.boolean("ask"), p.ask)})
    if (!st) return st.error();

  // The files a question may be asked about (--ask): only ones this policy denies. The
  // resolver keeps the default secrets out of the list; a document that names a path it
  // does not deny is refused rather than trusted.
  for (const auto& d : p.user_deny_read)
    if (std::find(p.deny_read.begin(), p.deny_read.end(), d) == p.deny_read.end())
      return bad("user_deny_read", "names a path that deny_read does not hold");

  Reader net = top.sub("net");
  if (auto st = net.only({"mode", "allow_domains", "deny_domains", "allow_localhost_ports",
                          "allow_private_hosts", "allow_unix_sockets"});
      !st)
    return st.error();
  for (const Status& st : {take(net.choice<NetMode>("mode", parse_net), p.net.mode),
                           take(net.strings("allow_domains", false), p.net.allow_domains),
                           take(net.strings("deny_domains", false), p.net.deny_domains),
                           take(net.strings("allow_private_hosts", false), p.net.allow_private_hosts),
                           take(net.strings("allow_unix_sockets", true), p.net.allow_unix_sockets)})
    if (!st) return st.error();
  const auto& ports = j.at("net").at("allow_localhost_ports");
  if (!ports.is_array()) return bad("net.allow_localhost_ports", "must be an array of ports");
  for (const auto& port : ports) {
    if (!port.is_number_unsigned() || port.get<uint64_t>() == 0 || port.get<uint64_t>() > 65535)
      return bad("net.allow_localhost_ports", "must hold ports 1..65535");
    p.net.allow_localhost_ports.push_back(static_cast<uint16_t>(port.get<uint64_t>()));
  }

  Reader env = top.sub("env");
  if (auto st = env.only({"filter_secrets", "keep", "drop_patterns", "set"}); !st) return st.error();
  for (const Status& st : {take(env.boolean("filter_secrets"), p.env.filter_secrets),
                           take(env.strings("keep", false), p.env.keep),
                           take(env.strings("drop_patterns", false), p.env.drop_patterns)})
    if (!st) return st.error();
  const auto& set = j.at("env").at("set");
  if (!set.is_array()) return bad("env.set", "must be an array of [name, value] pairs");
  for (const auto& kv : set) {
    if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_string() ||
        kv[0].get<std::string>().empty() || kv[0].get<std::string>().find('=') != std::string::npos)
      return bad("env.set", "must be an array of [name, value] pairs");
    p.env.set.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
  }

  Reader limits = top.sub("limits");
  if (auto st = limits.only({"timeout_seconds", "memory_bytes", "pids", "cpu_seconds", "max_output_bytes"});
      !st)
    return st.error();
  for (const Status& st :
       {take(limits.number("timeout_seconds", 1e-9, kMaxTimeoutSeconds), p.limits.timeout_seconds),
        take(limits.count("memory_bytes", kMinMemoryBytes, UINT64_MAX), p.limits.memory_bytes),
        take(limits.count("pids", 1, kMaxPids), p.limits.pids),
        take(limits.number("cpu_seconds", 1, kMaxCpuSeconds), p.limits.cpu_seconds),
        take(limits.count("max_output_bytes", 1, kMaxOutputBytes), p.limits.max_output_bytes)})
    if (!st) return st.error();
  return p;
}

}  // namespace cordon
