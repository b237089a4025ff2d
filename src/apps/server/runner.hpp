// cordon: how `cordon mcp` runs one command: a pool of prepared sandboxes.
//
//   WorkerPool pool({self_exe, policy, max_output});
//   Outcome o = pool.run(request, cancel_fd);   // blocks; any thread
//
// A worker is cordon's own binary, started as
//   cordon run --policy-fd 5 --report-fd 3 --mcp-request --plan-digest-fd 4
// with the server's resolved policy as JSON on 5 (core/policy_json.hpp: nothing is parsed
// or read from config files again), so every command gets the exact sandbox `cordon run`
// builds (the same plan, limits and lifecycle), in a process of its own: a crash or a kill never
// takes the server down, and killing the worker ends the whole tree (the sandbox's init
// has PR_SET_PDEATHSIG, so the pid namespace goes with it). The sandbox's init (a fresh
// image of cordon, platform/linux/init_main.cpp) reads the command (argv, cwd, extra
// env: core/exec_request.hpp) from its stdin once the sandbox is ready, then starts it;
// the rest of stdin is the command's. The result comes back on descriptor 3, which the
// worker holds outside the sandbox and nothing inside ever holds: a report the server
// reads is the worker's, whatever the command writes. A few workers (`warm`, default 2)
// are kept started ahead of time, so the
// policy, plan, seccomp program and namespaces of the next commands are ready before they
// are asked for, also for a burst or for concurrent calls; the pool is topped up after
// each response (a worker sets itself up in its own process, in the background).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "apps/server/tool_call.hpp"
#include "core/policy.hpp"
#include "core/result.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon::server {

inline constexpr int kDefaultWarmWorkers = 2;
inline constexpr int kMaxWarmWorkers = 8;
// CORDON_MCP_WORKERS, clamped to 0..kMaxWarmWorkers; the default when unset or malformed.
int warm_workers_from_env();

struct RunnerConfig {
  std::string self_exe;            // absolute path of cordon (started outside the sandbox)
  Policy policy;                   // the server's resolved policy, given to each worker as JSON
  uint64_t max_output = 1u << 20;  // bytes kept per stream
  int warm = kDefaultWarmWorkers;  // workers kept started ahead (0: start one per call)
  // The digest of the plan the policy gets right now (platform::plan_digest_now), planned
  // with or without user namespaces; nullopt when it cannot be made (the warm worker is
  // then not used). Unset: warm workers are used without comparing.
  std::function<std::optional<std::string>(bool userns)> digest_now = {};
};

// cordon mcp --ask: a question from the call's worker (the message as it came,
// core/ask_message.hpp) and the channel to answer it on (held as long as the answer may
// still come). Called on the call's thread; must not block.
using AskHook = std::function<void(const std::string& message, const std::shared_ptr<UniqueFd>& channel)>;
// The worker's descriptor for the channel (cordon run --ask-fd).
inline constexpr int kWorkerAskFd = 6;

struct Outcome {
  RunResult result;
  std::string out, err;
  bool cancelled = false;
};

class WorkerPool {
 public:
  explicit WorkerPool(RunnerConfig config);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs the command; returns when it and everything it started are gone. Becomes
  // readable on `cancel_fd` (any byte, or EOF) means: kill the tree now. When given,
  // `output_bytes` counts the bytes the command wrote to stdout and stderr so far (before
  // the cap), for progress notifications read from another thread.
  // `worker_options`: extra `cordon run` options for this call's worker (cordon mcp
  // --review: --review[=ID]); a call with any gets a worker of its own, never a warm one.
  // `ask`: the worker gets a question channel (--ask-fd) and its questions go to `ask`;
  // such a call, too, gets a worker of its own.
  Outcome run(const CommandRequest& request, int cancel_fd, std::atomic<uint64_t>* output_bytes = nullptr,
              const std::vector<std::string>& worker_options = {}, const AskHook* ask = nullptr);
  // Start workers until `warm` are waiting. Called after a response is sent: started
  // while a command runs, their setup would compete with it for the CPU; between
  // commands it overlaps the agent's own turn. Spawning is a fork and exec: the
  // worker's setup runs in the background, in its own process.
  void refill();

 private:
  struct Worker;
  std::optional<Worker*> take();
  bool still_current(Worker& w);
  static void retire(Worker* w);
  static constexpr int kDigestWaitMs = 5000;  // a worker still setting up its sandbox
  // `ask_end`: the worker's end of a question channel, given to it as kWorkerAskFd.
  Worker* spawn(const std::vector<std::string>& extra = {}, int ask_end = -1);

  RunnerConfig config_;
  std::vector<std::string> worker_argv_;
  UniqueFd policy_fd_;  // the policy JSON, sealed (worker_argv: --policy-fd)
  std::mutex mu_;
  std::deque<Worker*> idle_;  // oldest first: the most likely to be ready
};

}  // namespace cordon::server
