#include "plan/windows/runner_env.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>
#include <set>

#include "plan/windows/sid.hpp"
#include "plan/windows/win_path.hpp"

namespace cordon::win::runner {
namespace {

std::string name_of(const std::string& entry) {
  // "=C:=C:\\x" style entries start with '='; their name includes it.
  auto eq = entry.find('=', 1);
  return fold_case(entry.substr(0, eq));
}

std::optional<unsigned> parse_count(const std::string& text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > 10000)
    return std::nullopt;
  return value;
}

}  // namespace

std::vector<std::string> with_git_safe_directories(std::vector<std::string> env,
                                                   const std::vector<std::string>& paths) {
  unsigned count = 0;
  auto count_it = std::find_if(env.begin(), env.end(),
                               [](const std::string& e) { return name_of(e) == "git_config_count"; });
  if (count_it != env.end()) count = parse_count(count_it->substr(count_it->find('=', 1) + 1)).value_or(0);

  // Entries that already say safe.directory=<path> need no twin.
  std::set<std::string> present;
  for (unsigned i = 0; i < count; ++i) {
    std::string key, value;
    for (const auto& e : env) {
      if (name_of(e) == "git_config_key_" + std::to_string(i)) key = e.substr(e.find('=', 1) + 1);
      if (name_of(e) == "git_config_value_" + std::to_string(i)) value = e.substr(e.find('=', 1) + 1);
    }
    if (fold_case(key) == "safe.directory") present.insert(fold_case(value));
  }

  for (const auto& path : paths) {
    std::string value = path;
    std::replace(value.begin(), value.end(), '\\', '/');
    if (value.empty() || !present.insert(fold_case(value)).second) continue;
    env.push_back("GIT_CONFIG_KEY_" + std::to_string(count) + "=safe.directory");
    env.push_back("GIT_CONFIG_VALUE_" + std::to_string(count) + "=" + value);
    ++count;
  }
  env.erase(std::remove_if(env.begin(), env.end(),
                           [](const std::string& e) { return name_of(e) == "git_config_count"; }),
            env.end());
  if (count > 0) env.push_back("GIT_CONFIG_COUNT=" + std::to_string(count));
  return env;
}

std::vector<std::string> with_sandbox_profile(std::vector<std::string> env, const SandboxProfile& profile) {
  const std::string& dir = profile.profile_dir;
  const bool drive_path = dir.size() >= 3 && std::isalpha(static_cast<unsigned char>(dir[0])) &&
                          dir[1] == ':' && (dir[2] == '\\' || dir[2] == '/');
  if (!drive_path || profile.user_name.empty()) return env;
  auto is_drive_path = [](const std::string& d) {
    return d.size() >= 3 && std::isalpha(static_cast<unsigned char>(d[0])) && d[1] == ':' &&
           (d[2] == '\\' || d[2] == '/');
  };
  // The per-run profile the caller prepared, when there is one (see the header).
  std::string writable = dir;
  const std::string run_key = fold_case(kRunProfileVariable);
  for (const auto& e : env)
    if (name_of(e) == run_key && is_drive_path(e.substr(e.find('=', 1) + 1)))
      writable = e.substr(e.find('=', 1) + 1);
  const std::vector<std::pair<std::string, std::string>> values = {
      {"USERNAME", profile.user_name},
      {"USERPROFILE", dir},
      {"HOMEDRIVE", dir.substr(0, 2)},
      {"HOMEPATH", dir.substr(2)},
      {"HOME", writable},
      {"APPDATA", writable + "\\AppData\\Roaming"},
      {"LOCALAPPDATA", writable + "\\AppData\\Local"},
  };
  for (const auto& [name, value] : values) {
    const std::string key = fold_case(name);
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return name_of(e) == key; });
    if (it != env.end())
      *it = name + "=" + value;
    else
      env.push_back(name + "=" + value);
  }
  return env;
}

Start start_from_plan(const WinPlan& plan, const std::vector<std::string>& argv, const std::string& cwd,
                      const std::vector<std::string>& env, std::optional<double> timeout_seconds, bool tty,
                      bool private_desktop) {
  Start s;
  s.argv = argv;
  s.cwd = cwd;
  s.env = env;
  for (const auto& sid : plan.token.capabilities) s.capability_sids.push_back(sid.str());
  if (!plan.token.run.empty()) s.run_sid = plan.token.run.str();
  if (timeout_seconds && *timeout_seconds >= 0)
    s.timeout_ms = static_cast<uint64_t>(std::min(*timeout_seconds, 3.0e7) * 1000.0);  // at most ~1 year
  s.tty = tty;
  s.private_desktop = private_desktop;
  s.safe_directories = plan.write_roots;
  s.memory_bytes = plan.job.memory_bytes;
  s.processes = plan.job.processes;
  if (plan.job.process_user_time && *plan.job.process_user_time > 0)
    s.process_user_time = static_cast<uint64_t>(*plan.job.process_user_time);
  return s;
}

JobLimits job_limits_of(const Start& start) {
  JobLimits job;
  job.memory_bytes = start.memory_bytes;
  job.processes = start.processes;
  if (start.process_user_time)  // the decoder caps it at INT64_MAX
    job.process_user_time = static_cast<int64_t>(std::min<uint64_t>(
        *start.process_user_time, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  return job;
}

Result<std::string> pipe_sddl(const std::string& sid) {
  auto parsed = Sid::parse(sid);
  if (!parsed || parsed->str() != sid)
    return usage_error("runner pipe", "not a SID: \"" + sid + "\"",
                       "pass the sandbox user's SID (S-1-5-21-...)");
  if (*parsed == sids::everyone() || *parsed == sids::authenticated_users() || *parsed == sids::users())
    return usage_error("runner pipe", sid + " is a group every local user is in",
                       "the pipes admit the sandbox user alone");
  return "D:P(A;;GA;;;" + sid + ")";
}

Result<RunnerArgs> parse_runner_args(const std::vector<std::string>& args) {
  RunnerArgs out;
  bool have_pid = false;
  for (const auto& a : args) {
    if (a.rfind("--pipe=", 0) == 0 && out.pipe.empty()) {
      out.pipe = a.substr(7);
      if (out.pipe.rfind("\\\\.\\pipe\\", 0) != 0 || out.pipe.size() <= 9)
        return usage_error("cordon-runner", "--pipe must name a local pipe (\\\\.\\pipe\\...)");
    } else if (a.rfind("--server-pid=", 0) == 0 && !have_pid) {
      std::string text = a.substr(13);
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out.server_pid);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty() || out.server_pid == 0)
        return usage_error("cordon-runner", "--server-pid must be a process id");
      have_pid = true;
    } else {
      return usage_error("cordon-runner", "unexpected argument \"" + a + "\"",
                         "cordon-runner is started by cordon, not by hand");
    }
  }
  if (out.pipe.empty() || !have_pid)
    return usage_error("cordon-runner", "needs --pipe=\\\\.\\pipe\\NAME and --server-pid=N");
  return out;
}

std::vector<std::string> format_runner_args(const RunnerArgs& args) {
  return {"--pipe=" + args.pipe, "--server-pid=" + std::to_string(args.server_pid)};
}

std::string pipe_base_name(const uint32_t random[4]) {
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%08x%08x%08x%08x", random[0], random[1], random[2], random[3]);
  return std::string("\\\\.\\pipe\\cordon-runner-") + hex;
}

bool should_retry_runner_launch(int attempt, uint32_t win32) {
  return attempt == 1 && win32 == kErrorNoSuchLogonSession;
}

uint32_t win32_code_of(const Error& error) {
  static constexpr std::string_view kPrefix = "Win32 error ";
  if (error.detail.rfind(kPrefix, 0) != 0) return 0;
  uint32_t code = 0;
  const char* begin = error.detail.data() + kPrefix.size();
  auto [end, ec] = std::from_chars(begin, error.detail.data() + error.detail.size(), code);
  return ec == std::errc() && end != begin ? code : 0;
}

}  // namespace cordon::win::runner
