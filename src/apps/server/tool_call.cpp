#include "apps/server/tool_call.hpp"

#include <cctype>
#include <cmath>

#include "core/env_filter.hpp"
#include "core/limits.hpp"
#include "core/paths.hpp"

namespace cordon::server {
namespace {

Error refuse(const std::string& argument, const std::string& why) {
  return usage_error(argument, why);
}

bool has_nul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

bool valid_env_name(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace

bool valid_review_id_syntax(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.') return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

nlohmann::json review_changes_tool() {
  nlohmann::json schema = {
      {"type", "object"},
      {"properties",
       {{"id",
         {{"type", "string"},
          {"description", "the change set (default: the one this server's run_command calls write to)"}}},
        {"paths",
         {{"type", "array"},
          {"items", {{"type", "string"}}},
          {"description", "with diff: only these workspace paths and what is below them (default: all)"}}},
        {"diff", {{"type", "boolean"}, {"description", "also return the unified diff (bounded in size)"}}}}},
      {"additionalProperties", false}};
  return {
      {"name", "review_changes"},
      {"title", "Show the staged changes"},
      {"description",
       "The changes run_command calls staged in a change set instead of writing the workspace: a summary "
       "(added, modified, deleted, mode changes) and, with diff: true, a unified diff of the named paths. "
       "Show it to the user: only the user applies or discards it, with cordon review apply|discard ID."},
      {"inputSchema", schema},
      {"annotations", {{"readOnlyHint", true}, {"openWorldHint", false}}}};
}

Result<ReviewChangesRequest> parse_review_changes(const nlohmann::json& args) {
  if (!args.is_object()) return refuse("arguments", "must be an object");
  ReviewChangesRequest r;
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (it.key() == "id") {
      if (!it->is_string() || !valid_review_id_syntax(it->get<std::string>()))
        return refuse("id", "must be a change set id: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.'");
      r.id = it->get<std::string>();
    } else if (it.key() == "paths") {
      if (!it->is_array() || it->size() > 1000)
        return refuse("paths", "must be an array of at most 1000 strings");
      for (const auto& p : *it) {
        if (!p.is_string() || p.get<std::string>().empty() || has_nul(p.get<std::string>()))
          return refuse("paths", "must contain only non-empty strings without NUL");
        r.paths.push_back(p.get<std::string>());
      }
    } else if (it.key() == "diff") {
      if (!it->is_boolean()) return refuse("diff", "must be true or false");
      r.diff = it->get<bool>();
    } else {
      return refuse(it.key(), "unknown argument (expected id, paths, diff)");
    }
  }
  return r;
}

nlohmann::json run_command_tool(const Policy& policy, bool review) {
  std::string description =
      "Run a command in cordon's sandbox on the real machine, in the workspace " + policy.workspace +
      ". Writes land only in the workspace and the other writable roots; secrets are unreadable; network "
      "is " +
      (policy.net.mode == NetMode::Off ? "off" : "on") +
      ". Returns exit_code, stdout, stderr (capped, with truncation marks), classification "
      "(ok, failed, denied-by-sandbox, timed-out, killed, limit-exceeded, sandbox-error) and denials.";
  nlohmann::json schema = {
      {"type", "object"},
      {"properties",
       {{"argv",
         {{"type", "array"},
          {"items", {{"type", "string"}}},
          {"minItems", 1},
          {"description", "the command as an argv array, e.g. [\"make\", \"test\"] (give argv or command)"}}},
        {"command",
         {{"type", "string"},
          {"description", "a shell command line, run with /bin/sh -c (give argv or command)"}}},
        {"cwd",
         {{"type", "string"},
          {"description", "working directory inside the workspace (absolute or relative to it)"}}},
        {"timeout",
         {{"type", "number"}, {"description", "seconds; never longer than the server's own timeout"}}},
        {"stdin", {{"type", "string"}, {"description", "text given to the command on standard input"}}},
        {"env",
         {{"type", "object"},
          {"additionalProperties", {{"type", "string"}}},
          {"description", "extra environment variables; names the sandbox policy drops are refused"}}},
        {"tty",
         {{"type", "boolean"},
          {"description",
           "run on a pseudo-terminal (for commands that need one): stdout and stderr are captured as a "
           "terminal shows them, escapes and \\r\\n included; default false (pipes)"}}},
        {"rows",
         {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"description", "with tty: rows (24)"}}},
        {"columns",
         {{"type", "integer"},
          {"minimum", 1},
          {"maximum", 1000},
          {"description", "with tty: columns (80)"}}}}},
      {"additionalProperties", false}};
  if (review) {
    schema["properties"]["review"] = {{"type", "string"},
                                      {"description",
                                       "a change set id to stage this command's writes in, instead of the "
                                       "server's own (see review_changes)"}};
    description +=
        " Writes to the workspace are staged in a change set (the result's review.id), not written: "
        "review_changes shows them; the user applies or discards them.";
  }
  return {{"name", "run_command"},
          {"title", "Run a command in the cordon sandbox"},
          {"description", description},
          {"inputSchema", schema},
          {"annotations", {{"destructiveHint", true}, {"openWorldHint", policy.net.mode != NetMode::Off}}}};
}

Result<CommandRequest> parse_run_command(const nlohmann::json& args, const Policy& policy, bool review) {
  if (!args.is_object()) return refuse("arguments", "must be an object");
  static const char* known[] = {"argv", "command", "cwd",  "timeout", "stdin",
                                "env",  "tty",     "rows", "columns"};
  for (auto it = args.begin(); it != args.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (it.key() == "review") {
      if (!review) return refuse("review", "this server stages nothing: start it with cordon mcp --review");
      ok = true;
    }
    if (!ok)
      return refuse(
          it.key(),
          "unknown argument (expected argv, command, cwd, timeout, stdin, env, tty, rows, columns)");
  }
  CommandRequest r;
  const bool has_argv = args.contains("argv"), has_command = args.contains("command");
  if (has_argv == has_command)
    return refuse("argv/command", "give exactly one of argv (an array) or command (a string)");
  if (has_argv) {
    const auto& a = args["argv"];
    if (!a.is_array() || a.empty()) return refuse("argv", "must be a non-empty array of strings");
    for (const auto& s : a) {
      if (!s.is_string() || has_nul(s.get<std::string>()))
        return refuse("argv", "must contain only strings without NUL");
      r.argv.push_back(s.get<std::string>());
    }
    if (r.argv[0].empty()) return refuse("argv", "argv[0] is empty");
  } else {
    const auto& c = args["command"];
    if (!c.is_string() || c.get<std::string>().empty() || has_nul(c.get<std::string>()))
      return refuse("command", "must be a non-empty string without NUL");
    r.argv = {"/bin/sh", "-c", c.get<std::string>()};
  }

  r.cwd = policy.workspace;
  if (args.contains("cwd")) {
    const auto& c = args["cwd"];
    if (!c.is_string() || has_nul(c.get<std::string>())) return refuse("cwd", "must be a string without NUL");
    std::string cwd = c.get<std::string>();
    if (!paths::is_absolute(cwd)) cwd = paths::join(policy.workspace, cwd);
    cwd = paths::normalize(cwd);
    if (!paths::is_within(cwd, policy.workspace))
      return refuse("cwd", "'" + cwd + "' is outside the workspace " + policy.workspace);
    r.cwd = cwd;
  }

  r.timeout_seconds = policy.limits.timeout_seconds;
  if (args.contains("timeout")) {
    const auto& t = args["timeout"];
    if (!t.is_number() || !std::isfinite(t.get<double>()) || !(t.get<double>() > 0))
      return refuse("timeout", "must be a positive number of seconds");
    double v = t.get<double>();
    if (v > kMaxTimeoutSeconds) return refuse("timeout", "must be at most one year (31536000 seconds)");
    if (policy.limits.timeout_seconds && v > *policy.limits.timeout_seconds) {
      r.notes.push_back("timeout clamped to the server's " + std::to_string(*policy.limits.timeout_seconds) +
                        " s");
      v = *policy.limits.timeout_seconds;
    }
    r.timeout_seconds = v;
  }

  if (args.contains("stdin")) {
    if (!args["stdin"].is_string()) return refuse("stdin", "must be a string");
    r.stdin_data = args["stdin"].get<std::string>();
  }

  if (args.contains("env")) {
    const auto& e = args["env"];
    if (!e.is_object()) return refuse("env", "must be an object of NAME: VALUE strings");
    for (auto it = e.begin(); it != e.end(); ++it) {
      const std::string& name = it.key();
      if (!valid_env_name(name)) return refuse("env", "'" + name + "' is not a valid variable name");
      if (!it->is_string() || has_nul(it->get<std::string>()))
        return refuse("env", "the value of " + name + " must be a string without NUL");
      if (name == "CORDON_SANDBOX") return refuse("env", "CORDON_SANDBOX is set by cordon");
      // The same filter the sandbox applies to the inherited environment.
      EnvPolicy only_filter = policy.env;
      only_filter.set.clear();
      if (filter_env({name + "=x"}, only_filter).env.empty())
        return refuse("env", name +
                                 " is dropped by the sandbox policy (secret-looking or --env-drop); start "
                                 "the server with --env-keep " +
                                 name + " to allow it");
      r.env.emplace_back(name, it->get<std::string>());
    }
  }
  if (args.contains("tty")) {
    if (!args["tty"].is_boolean()) return refuse("tty", "must be true or false");
    r.tty = args["tty"].get<bool>();
  }
  for (const char* dim : {"rows", "columns"}) {
    if (!args.contains(dim)) continue;
    const auto& v = args[dim];
    if (!r.tty) return refuse(dim, "only with tty: true");
    if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 1000)
      return refuse(dim, "must be an integer from 1 to 1000");
    (std::string(dim) == "rows" ? r.rows : r.columns) = static_cast<unsigned>(v.get<long long>());
  }
  if (args.contains("review")) {
    const auto& v = args["review"];
    if (!v.is_string() || !valid_review_id_syntax(v.get<std::string>()))
      return refuse("review", "must be a change set id: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.'");
    r.review = v.get<std::string>();
  }
  return r;
}

}  // namespace cordon::server
