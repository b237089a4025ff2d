// cordon: the result of one sandboxed run, as an agent reads it.
//
//   RunResult r;                       // filled by the platform (and the MCP server)
//   r.exit_code = 1;
//   r.denials.push_back({"write", "/home/a/.npm/x", "", "write outside the writable roots", "--writable
//   ~/.npm"}); r.classification = classify(r);    // "denied-by-sandbox" std::cout << to_json(r).dump();
//
// `cordon run --json` prints it as the last line on stderr, `--report FILE` writes it,
// and `cordon mcp` returns it as the tool result. The classification is computed only
// from evidence (setup failure, the timeout firing, a limit the kernel reported, the
// denials the supervisor recorded, the exit status), never from the command's output.
// The schema is documented in docs/agent-integration.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cordon {

// One operation the sandbox refused. Exactly one of path or address is set.
struct Denial {
  std::string operation;   // "write", "create", "unlink", "rename", "read", "connect", "exec" ...
  std::string path;        // the file, as the command named it (absolute)
  std::string address;     // "host:port" or a unix socket path, for network denials
  std::string rule;        // what refused it: "outside the writable roots", "protected path .git/hooks"
  std::string suggestion;  // the smallest option that would allow it: "--writable ~/.npm"; may be empty
};

// One question of `cordon run --ask` / `--learn` and its answer (the run's "grants").
struct Grant {
  std::string operation;  // "create", "mkdir", "write", "delete", "rename"; "connect", "resolve"
  std::string path;       // the file, as it lies on the host (resolved, not as named)
  std::string address;    // a network question instead of a file: "127.0.0.1:5432", "api.example:443"
  std::string network;    // with address: "localhost" (a host loopback port) or "domain" (a host name)
  std::string to;         // rename: the new name
  bool allowed = false;
  std::string scope;    // allowed: "once", "run" (the path), "run-directory", "always"
  std::string rule;     // the path the scope covers (the directory for run-directory, always);
                        // network: the port ("5432") or the host name the scope covers
  std::string by;       // "user", "learn", "timeout", "earlier answer", "run grant", "config"
  std::string config;   // "always": the config file the rule was written to
  std::string at;       // when it was answered (UTC, ISO 8601)
  int pid = 0;          // the asking process (in the sandbox's pid namespace: as cordon sees it)
  std::string command;  // its argv, joined with spaces
};

enum class Classification { Ok, Failed, DeniedBySandbox, TimedOut, Killed, LimitExceeded, SandboxError };

struct RunResult {
  std::optional<int> exit_code;  // cordon's exit code (the command's, 128+signal, 124, 125)
  int signal = 0;                // the signal that ended the command, 0 if it exited
  double duration_ms = 0;
  bool timed_out = false;               // cordon's --timeout (or the tool call's) fired
  bool exec_failed = false;             // the command could not be started (127/126)
  bool sandbox_error = false;           // the sandbox could not be set up; nothing ran
  std::string error;                    // the setup error message, when sandbox_error
  std::vector<std::string> limits_hit;  // "cpu_time", "memory", "pids", with kernel evidence
  std::vector<Denial> denials;          // filled by the denial supervisor; empty without it
  bool denials_truncated = false;       // the supervisor's bounded list overflowed
  bool denials_reported = false;        // the supervisor was active for this run
  bool stdout_truncated = false;        // captured output hit --max-output (cordon mcp)
  bool stderr_truncated = false;
  std::string sandbox;                                    // "namespaces", "landlock-only", "none"
  nlohmann::json guarantees = nlohmann::json::array();    // [{name, state, mechanism, detail}]
  nlohmann::json degradations = nlohmann::json::array();  // the guarantees not fully enforced
  nlohmann::json limits = nlohmann::json::object();       // {memory: {value, mechanism}, ...}
  std::vector<std::string> notes;
  // `cordon run --review`: {"id", "counts": {"added": N, ...}} of the change set (docs/review.md);
  // null otherwise (and then absent from the JSON).
  nlohmann::json review;
  std::vector<Grant> grants;   // --ask / --learn: every question and its answer
  std::string learned_config;  // --learn: the config fragment for the file (not in the JSON)
};

const char* to_string(Classification c);
// The evidence, in order: sandbox error > timeout > limit hit > denials with a failure >
// killed by a signal > non-zero exit > ok. Denials with a zero exit still classify "ok"
// (the command coped), and stay listed.
Classification classify(const RunResult& r);

nlohmann::json to_json(const Denial& d);
nlohmann::json to_json(const Grant& g);
nlohmann::json to_json(const RunResult& r);  // includes "classification"
// The inverse of to_json (classification is recomputed); missing or mistyped fields keep their defaults.
RunResult from_json(const nlohmann::json& j);

}  // namespace cordon
