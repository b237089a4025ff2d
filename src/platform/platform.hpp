// cordon: the seam between the portable front ends and one platform backend.
//
// src/apps/cli/main.cpp resolves a Policy, then calls exactly these functions;
// each platform (src/platform/linux/platform.cpp, src/platform/windows/platform.cpp)
// implements them with its own planner and applier: policy -> plan -> apply.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "plan/denial_rules.hpp"
#include "plan/report.hpp"

namespace cordon::platform {

using cordon::TtyMode;  // core/policy.hpp: the policy's `tty`, or an mcp call's

// cordon run --ask / --learn: a write outside the writable roots is asked about (on
// cordon's terminal) or granted for the run and recorded, instead of refused. Client:
// a `cordon mcp --ask` worker asks the server, which asks the MCP client (ask_fd).
enum class AskMode { Off, Terminal, Learn, Client };

struct RunRequest {
  std::vector<std::string> argv;  // the command; argv[0] is looked up on PATH
  std::string cwd;                // absolute; must lie inside what the policy can read
  bool report_json = false;       // print a JSON result on stderr when done
  // Record the operations the sandbox refuses (Linux: seccomp user notification).
  DenialReporting report_denials = DenialReporting::On;
  std::optional<std::string> report_path;  // also write it to this file (core/result.hpp)
  // Internal to cordon mcp (apps/server/runner.cpp): write the result to this inherited
  // descriptor, which only the worker outside the sandbox holds; and take the command
  // from the init's stdin (argv stays empty) once the sandbox is ready.
  std::optional<int> report_fd;
  bool mcp_request = false;
  // ... and write "<ns|landlock> <digest>" of the sandbox's plan to this descriptor as
  // soon as the sandbox exists, for the server to compare with the disk at call time.
  std::optional<int> plan_digest_fd;
  TtyMode tty = TtyMode::Auto;
  unsigned short tty_rows = 24, tty_columns = 80;  // the pty's size when no stream is a terminal
  // --review [ID] (docs/review.md): the workspace's writes go to a change set ("" = a new one).
  std::optional<std::string> review;
  // --review-all: the other writable roots are staged too (one layer each in the change set).
  bool review_all = false;
  AskMode ask = AskMode::Off;
  int ask_timeout_seconds = 60;  // no answer by then: deny
  std::string learn_file;        // --learn: where the config fragment goes
  std::string ask_config_file;   // "allow always" writes its rule here (the user config)
  // AskMode::Client (internal to cordon mcp --ask): the worker's end of the server's
  // question channel (a SOCK_SEQPACKET socket, core/ask_message.hpp).
  std::optional<int> ask_fd;
};

// `cordon review list|show|diff|apply|discard|gc` (docs/review.md).
struct ReviewRequest {
  std::string action;
  std::string id;
  std::vector<std::string> paths;  // diff and apply: only these paths and what is below them
  bool json = false;
  bool stat = false;                      // diff --stat
  bool force = false;                     // apply --force: write conflicting paths anyway
  std::optional<std::string> older_than;  // gc --older-than 7d
};
[[nodiscard]] Result<int> review(const ReviewRequest& request);

// `cordon gc`: removes the per-workspace state (private /tmp, records, locks) of
// workspaces that no longer exist or had no run for --older-than (docs/policy.md).
struct GcRequest {
  bool dry_run = false;  // --dry-run: say what would go, change nothing
  bool list = false;     // --list: every workspace's state, change nothing
  bool json = false;
  std::optional<std::string> older_than;  // --older-than 30d (the default)
};
[[nodiscard]] Result<int> gc(const GcRequest& request);

// The `review_changes` tool of `cordon mcp --review` (docs/review.md): the summary of the
// change set `id` (the JSON of `cordon review show --json`) and, with `diff`, the unified
// diff of `paths` (workspace-relative; empty: every change) in "diff", cut at
// `max_diff_bytes` ("diff_truncated": true). Read only: nothing is applied or discarded.
// Refused when the change set belongs to another workspace than `workspace`. A path under
// one of `deny_read` (the sandbox could not read it) is listed in "withheld", never diffed.
struct ReviewReportRequest {
  std::string id;
  std::string workspace;
  std::vector<std::string> paths;
  bool diff = false;
  size_t max_diff_bytes = 256u << 10;
  std::vector<std::string> deny_read;
};
[[nodiscard]] Result<nlohmann::json> review_report(const ReviewReportRequest& request);

// Probe the host and build the plan for `policy` without running anything.
[[nodiscard]] Result<PlanReport> explain(const Policy& policy, const RunRequest& request);

// What each guarantee can rely on here (no policy: the default one is assumed).
[[nodiscard]] PlanReport check(const Policy& policy);

// Run the command under the policy. Returns the exit code cordon should exit with:
// the command's code, or 128+signal when it was killed. An Error means nothing ran
// (or the sandbox could not be completed and the child was ended: fail closed).
[[nodiscard]] Result<int> run(const Policy& policy, const RunRequest& request);

// A digest of the plan `policy` gets on this host right now, for a command started in
// `cwd` (plan/plan_digest.hpp): equal digests, equal sandboxes. "" where the platform
// has no warm workers to compare (they are always planned per call there).
// `userns`: plan as with user namespaces (true) or as the Landlock-only fallback (false),
// the way the worker being compared was planned.
[[nodiscard]] Result<std::string> plan_digest_now(const Policy& policy, bool userns);

// plan_digest_now() for one policy, asked again and again (cordon mcp, per call), made
// cheap without being less strict. A plan is a function of the policy, the host's
// capabilities, the planner's other inputs and what it asked of the disk. The memo keeps
// the digest of its last plan with all of those, its disk questions recorded with their
// answers (plan/fs_record.hpp); digest() probes the host and the inputs again and asks
// every recorded question again (one answered "absent" too, every listing; the walk's
// listings by what the walk uses of them: linux_walk_uses()). Only when all are the same
// is the kept digest the answer; any difference plans again (and records again).
// Thread-safe.
class PlanDigestMemo {
 public:
  explicit PlanDigestMemo(Policy policy);
  ~PlanDigestMemo();
  PlanDigestMemo(const PlanDigestMemo&) = delete;
  PlanDigestMemo& operator=(const PlanDigestMemo&) = delete;
  [[nodiscard]] Result<std::string> digest(bool userns);

  // How digest() answered so far: by the record (held) or by planning again (plans).
  struct Stats {
    uint64_t held = 0, plans = 0;
  };
  [[nodiscard]] Stats stats() const { return {held_count_.load(), plan_count_.load()}; }

 private:
  struct Held;
  const Policy policy_;
  std::atomic<uint64_t> held_count_{0}, plan_count_{0};
  std::mutex mu_;
  std::shared_ptr<const Held> held_[2];  // by userns
};

// One-time host setup (Linux: AppArmor profile; Windows: sandbox users, firewall).
[[nodiscard]] Result<int> setup(const std::vector<std::string>& args);

}  // namespace cordon::platform
