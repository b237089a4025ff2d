#include "core/exec_request.hpp"

#include <nlohmann/json.hpp>

namespace cordon {
namespace {

constexpr std::string_view kMagic = "cordon-init-1";

// Fields are NUL-terminated: no argument or environment entry can hold a NUL.
void put(std::string& out, std::string_view field) {
  out.append(field);
  out.push_back('\0');
}

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  return n;
}

}  // namespace

std::string encode_init_spec(const InitSpec& spec) {
  std::string out;
  put(out, kMagic);
  put(out, std::string(spec.pid1 ? "p" : "-") + (spec.read_request ? "r" : "-") +
               (spec.ctty_fd >= 0 && spec.ctty_fd <= 2 ? static_cast<char>('0' + spec.ctty_fd) : '-'));
  put(out, std::to_string(spec.signal_mask));
  put(out, std::to_string(spec.argv.size()));
  put(out, std::to_string(spec.env.size()));
  for (const auto& a : spec.argv) put(out, a);
  for (const auto& e : spec.env) put(out, e);
  return out;
}

std::optional<InitSpec> decode_init_spec(std::string_view bytes) {
  std::vector<std::string_view> fields;
  while (!bytes.empty()) {
    const size_t nul = bytes.find('\0');
    if (nul == std::string_view::npos) return std::nullopt;  // a field without its terminator
    fields.push_back(bytes.substr(0, nul));
    bytes.remove_prefix(nul + 1);
  }
  if (fields.size() < 5 || fields[0] != kMagic || fields[1].size() != 3) return std::nullopt;
  InitSpec spec;
  spec.pid1 = fields[1][0] == 'p';
  spec.read_request = fields[1][1] == 'r';
  const char tty = fields[1][2];
  if (tty != '-' && (tty < '0' || tty > '2')) return std::nullopt;
  spec.ctty_fd = tty == '-' ? -1 : tty - '0';
  auto mask = number(fields[2]), argc = number(fields[3]), envc = number(fields[4]);
  if (!mask || !argc || !envc || fields.size() - 5 != *argc + *envc) return std::nullopt;
  spec.signal_mask = *mask;
  for (size_t i = 0; i < *argc; ++i) spec.argv.emplace_back(fields[5 + i]);
  for (size_t i = 0; i < *envc; ++i) spec.env.emplace_back(fields[5 + *argc + i]);
  // Without a request to read, there must be a command to run.
  if (spec.argv.empty() && !spec.read_request) return std::nullopt;
  return spec;
}

std::string encode_exec_request(const ExecRequest& request) {
  nlohmann::json header = {{"argv", request.argv}, {"cwd", request.cwd}, {"env", nlohmann::json::array()}};
  for (const auto& [k, v] : request.env) header["env"].push_back({k, v});
  std::string body = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return std::to_string(body.size()) + "\n" + body;
}

std::optional<ExecRequest> parse_exec_request(std::string_view json_text) {
  const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  // A NUL cannot reach exec(): refuse it rather than run a truncated argument.
  auto text = [](const nlohmann::json& v) {
    return v.is_string() && v.get_ref<const std::string&>().find('\0') == std::string::npos;
  };
  auto argv = j.find("argv"), cwd = j.find("cwd"), env = j.find("env");
  if (argv == j.end() || !argv->is_array() || argv->empty()) return std::nullopt;
  if (cwd == j.end() || !text(*cwd)) return std::nullopt;
  ExecRequest r;
  for (const auto& a : *argv) {
    if (!text(a)) return std::nullopt;
    r.argv.push_back(a.get<std::string>());
  }
  r.cwd = cwd->get<std::string>();
  if (r.cwd.empty() || r.cwd[0] != '/') return std::nullopt;
  if (env != j.end()) {
    if (!env->is_array()) return std::nullopt;
    for (const auto& kv : *env) {
      if (!kv.is_array() || kv.size() != 2 || !text(kv[0]) || !text(kv[1])) return std::nullopt;
      r.env.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
    }
  }
  return r;
}

}  // namespace cordon
