#include "apps/server/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/ask_message.hpp"
#include "core/exec_request.hpp"
#include "core/policy_json.hpp"
#include "platform/linux/proc_tree.hpp"
#include "platform/linux/unique_fd.hpp"

extern char** environ;

namespace cordon::server {

struct WorkerPool::Worker {
  pid_t pid = -1;
  UniqueFd in, out, err, report;
  UniqueFd digest;  // "<ns|landlock> <digest>\n" once the worker's sandbox exists
};

namespace {

constexpr double kOneYear = 365.0 * 24 * 3600;

// The worker's own options: the policy comes as JSON on descriptor 5 (the server's
// resolved policy, never an argv to parse again), the result goes back on 3, the digest of
// its plan on 4, and the command reaches the sandbox's init on stdin (--mcp-request), so
// nothing inside needs cordon's binary by its path.
std::vector<std::string> worker_argv(const RunnerConfig& c) {
  return {c.self_exe, "run",           "--policy-fd",      "5", "--report-fd",
          "3",        "--mcp-request", "--plan-digest-fd", "4"};
}

// The server enforces each call's timeout itself: a prestarted worker must not time out
// while it waits for its command. A sealed memfd: every worker reads the same bytes.
UniqueFd policy_memfd(Policy policy) {
  policy.limits.timeout_seconds = kOneYear;
  // Pipes unless a call asks for a terminal (its worker's own --tty always): the config's
  // `tty` is for cordon run, and an agent reads what the call returns.
  policy.tty = TtyMode::Never;
  // A call has no terminal: a worker asks only through the server (cordon mcp --ask
  // gives it --ask-fd), never on its own (the user config's `ask = true` is for cordon run).
  policy.ask = false;
  const std::string text = to_json(policy).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  UniqueFd fd(
      static_cast<int>(::syscall(SYS_memfd_create, "cordon-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING)));
  if (!fd.valid()) return fd;
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n <= 0) return UniqueFd();
    done += static_cast<size_t>(n);
  }
  ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

void set_nonblock(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

struct Capture {
  std::string data;
  uint64_t cap;
  bool truncated = false;
  std::atomic<uint64_t>* counter = nullptr;  // bytes seen, for progress (may be null)
  void add(const char* p, size_t n) {
    if (counter) *counter += n;
    size_t room = data.size() < cap ? static_cast<size_t>(cap - data.size()) : 0;
    if (n > room) truncated = true;
    data.append(p, n < room ? n : room);
  }
};

// With a pid namespace, killing the worker is enough (its sandbox init has
// PR_SET_PDEATHSIG). Without one (Landlock only, --best-effort) the worker is a child
// subreaper: everything the command left is still below it, so kill that first.
void kill_tree(pid_t worker) {
  for (int round = 0; round < 20; ++round) {
    auto below = descendants_of(worker);
    if (below.empty()) break;
    for (pid_t p : below) ::kill(p, SIGKILL);
  }
  ::kill(worker, SIGKILL);
}

// A worker whose call is answered: reaped off the call's path, SIGKILL (with whatever is
// below it) only if it hangs.
void reap_later(pid_t worker) {
  std::thread([worker] {
    bool reaped = false;
    for (int i = 0; i < 300 && !reaped; ++i) {
      const pid_t r = ::waitpid(worker, nullptr, WNOHANG);
      reaped = r == worker || (r < 0 && errno != EINTR);  // ECHILD: gone; never kill a reused pid
      if (!reaped) ::usleep(1000 * std::min(10, 1 + i));
    }
    if (!reaped) {
      kill_tree(worker);
      ::waitpid(worker, nullptr, 0);
    }
  }).detach();
}

// A complete result, not a failure: one JSON object with the command's exit code. Anything
// else waits for the worker's exit status as before.
bool report_is_final(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("exit_code") || !j["exit_code"].is_number_integer()) return false;
  const auto error = j.find("sandbox_error");
  return error == j.end() || (error->is_boolean() && !error->get<bool>());
}

RunResult result_from_report(const std::string& text) {
  RunResult r;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) {
    r.sandbox_error = true;
    r.error = "the sandbox ended without a result";
    return r;
  }
  return from_json(j);
}

}  // namespace

int warm_workers_from_env() {
  const char* v = std::getenv("CORDON_MCP_WORKERS");
  if (!v || !*v) return kDefaultWarmWorkers;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0) return kDefaultWarmWorkers;
  return static_cast<int>(std::min<long>(n, kMaxWarmWorkers));
}

// A worker that will not be used: end of file on its stdin ends it like any run (its
// init exits before any command; placeholders and cgroups are cleaned up), off the
// call's path. SIGKILL only if it hangs.
void WorkerPool::retire(Worker* w) {
  w->in.reset();
  std::thread([w] {
    bool reaped = false;
    for (int i = 0; i < 300 && !reaped; ++i) {
      reaped = ::waitpid(w->pid, nullptr, WNOHANG) == w->pid;
      if (!reaped) ::usleep(10000);
    }
    if (!reaped) {
      kill_tree(w->pid);
      ::waitpid(w->pid, nullptr, 0);
    }
    delete w;
  }).detach();
}

WorkerPool::WorkerPool(RunnerConfig config)
    : config_(std::move(config)),
      worker_argv_(worker_argv(config_)),
      policy_fd_(policy_memfd(config_.policy)) {
  config_.warm = std::clamp(config_.warm, 0, kMaxWarmWorkers);
  refill();
}

WorkerPool::~WorkerPool() {
  std::deque<Worker*> idle;
  {
    std::lock_guard lock(mu_);
    idle.swap(idle_);
  }
  // End of file on their stdin: each stub exits without running anything and its worker
  // ends like any `cordon run` (placeholders and cgroups cleaned up). SIGKILL only if it hangs.
  for (Worker* w : idle) w->in.reset();
  for (Worker* w : idle) {
    bool reaped = false;
    for (int i = 0; i < 300 && !reaped; ++i) {
      reaped = ::waitpid(w->pid, nullptr, WNOHANG) == w->pid;
      if (!reaped) ::usleep(10000);
    }
    if (!reaped) {
      ::kill(w->pid, SIGKILL);
      ::waitpid(w->pid, nullptr, 0);
    }
    delete w;
  }
}

WorkerPool::Worker* WorkerPool::spawn(const std::vector<std::string>& extra, int ask_end) {
  int in[2], out[2], err[2], rep[2], dig[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return nullptr;
  if (::pipe2(out, O_CLOEXEC) != 0) return ::close(in[0]), ::close(in[1]), nullptr;
  if (::pipe2(err, O_CLOEXEC) != 0)
    return ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]), nullptr;
  if (::pipe2(rep, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    return nullptr;
  }
  if (::pipe2(dig, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1], rep[0], rep[1]}) ::close(fd);
    return nullptr;
  }
  std::vector<std::string> words = worker_argv_;
  words.insert(words.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& s : words) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls: the server has other threads.
    // Out of the way first: a pipe end may itself be 3 or 4.
    const int report_end = ::fcntl(rep[1], F_DUPFD, 10), digest_end = ::fcntl(dig[1], F_DUPFD, 10);
    const int policy_end = ::fcntl(policy_fd_.get(), F_DUPFD, 10);
    const int ask_child = ask_end >= 0 ? ::fcntl(ask_end, F_DUPFD, 10) : -1;
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::dup2(report_end, 3);
    ::dup2(digest_end, 4);
    ::dup2(policy_end, 5);
    if (ask_child >= 0) ::dup2(ask_child, kWorkerAskFd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(125);
  }
  auto* w = new Worker;
  w->pid = pid;
  w->in.reset(in[1]);
  w->out.reset(out[0]);
  w->err.reset(err[0]);
  w->report.reset(rep[0]);
  w->digest.reset(dig[0]);
  for (int fd : {in[0], out[1], err[1], rep[1], dig[1]}) ::close(fd);
  if (pid < 0) {
    delete w;
    return nullptr;
  }
  return w;
}

// A warm worker was planned before the call: its sandbox is used only when its plan is
// the plan of this moment (a `git init`, a new protected directory, a removed secret
// since then change it). The worker's own digest line is compared with a plan made now.
bool WorkerPool::still_current(Worker& w) {
  if (!config_.digest_now) return true;
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDigestWaitMs);
  char buf[128];
  while (line.find('\n') == std::string::npos && line.size() < sizeof buf) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{w.digest.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t n = ::read(w.digest.get(), buf, sizeof buf);
    if (n <= 0) return false;  // the worker failed before its sandbox existed
    line.append(buf, static_cast<size_t>(n));
  }
  const size_t space = line.find(' '), nl = line.find('\n');
  if (space == std::string::npos || nl == std::string::npos || nl < space) return false;
  const std::string kind = line.substr(0, space), digest = line.substr(space + 1, nl - space - 1);
  if (kind != "ns" && kind != "landlock") return false;
  const auto now = config_.digest_now(kind == "ns");
  return now && *now == digest;
}

std::optional<WorkerPool::Worker*> WorkerPool::take() {
  for (;;) {
    Worker* w = nullptr;
    {
      std::lock_guard lock(mu_);
      if (idle_.empty()) break;
      w = idle_.front();
      idle_.pop_front();
    }
    if (still_current(*w)) return w;
    retire(w);
  }
  Worker* w = spawn();
  if (!w) return std::nullopt;
  return w;
}

void WorkerPool::refill() {
  std::lock_guard lock(mu_);
  while (static_cast<int>(idle_.size()) < config_.warm) {
    Worker* w = spawn();
    if (!w) break;
    idle_.push_back(w);
  }
}

Outcome WorkerPool::run(const CommandRequest& request, int cancel_fd, std::atomic<uint64_t>* output_bytes,
                        const std::vector<std::string>& worker_options, const AskHook* ask) {
  Outcome o;
  const auto start = std::chrono::steady_clock::now();
  // tty: a worker of its own, started for this call on a pty of the asked size (the warm
  // ones have none); the request still arrives on its stdin, which stays a pipe. Other
  // worker options (--review) likewise: a warm worker was started without them.
  std::vector<std::string> extra;
  if (request.tty)
    extra = {"--tty", "always", "--tty-size",
             std::to_string(request.rows) + "x" + std::to_string(request.columns)};
  extra.insert(extra.end(), worker_options.begin(), worker_options.end());
  // --ask: a channel of the call's own (a SOCK_SEQPACKET pair: one message per question
  // or answer), its other end given to this call's worker only.
  std::shared_ptr<UniqueFd> channel;
  UniqueFd worker_end;
  if (ask) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      o.result.sandbox_error = true;
      o.result.error = std::string("socketpair(): ") + std::strerror(errno);
      o.result.exit_code = 125;
      return o;
    }
    channel = std::make_shared<UniqueFd>(pair[0]);
    worker_end.reset(pair[1]);
    extra.insert(extra.end(), {"--ask-fd", std::to_string(kWorkerAskFd)});
  }
  auto taken = extra.empty() ? take() : std::optional<Worker*>(spawn(extra, worker_end.get()));
  worker_end.reset();
  if (!taken || !*taken) {
    o.result.sandbox_error = true;
    o.result.error = std::string("fork(): ") + std::strerror(errno);
    o.result.exit_code = 125;
    return o;
  }
  std::unique_ptr<Worker> w(*taken);

  std::string input =
      encode_exec_request(ExecRequest{request.argv, request.cwd, request.env}) + request.stdin_data;
  size_t written = 0;

  Capture out{{}, config_.max_output}, err{{}, config_.max_output};
  out.counter = err.counter = output_bytes;
  std::string report;
  set_nonblock(w->in.get());
  const bool has_deadline = request.timeout_seconds.has_value();
  const auto deadline =
      start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(has_deadline ? *request.timeout_seconds : 0.0));
  bool killed = false, exited = false, reaped_later = false;
  int status = 0;
  char buf[65536];
  // Readable when the worker exits (its pipes may stay open a little longer, see below).
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, w->pid, 0)));
  bool channel_open = channel != nullptr;
  for (;;) {
    if (!exited) {
      pid_t r = ::waitpid(w->pid, &status, WNOHANG);
      if (r == w->pid) exited = true;
    }
    if (exited) {
      // Everything the command wrote is in the pipes now. Read it without waiting for
      // end of file: cordon run's detached placeholder cleaner holds the pipes a little longer.
      for (UniqueFd* fd : {&w->out, &w->err, &w->report}) {
        if (!fd->valid()) continue;
        set_nonblock(fd->get());
        for (ssize_t n; (n = ::read(fd->get(), buf, sizeof buf)) > 0;) {
          if (fd == &w->out)
            out.add(buf, static_cast<size_t>(n));
          else if (fd == &w->err)
            err.add(buf, static_cast<size_t>(n));
          else if (report.size() < (1u << 20))
            report.append(buf, static_cast<size_t>(n));
        }
      }
      break;
    }
    pollfd fds[7] = {{w->out.get(), POLLIN, 0},
                     {w->err.get(), POLLIN, 0},
                     {w->report.get(), POLLIN, 0},
                     {written < input.size() ? w->in.get() : -1, POLLOUT, 0},
                     {killed ? -1 : cancel_fd, POLLIN, 0},
                     {pidfd.get(), POLLIN, 0},
                     {channel_open ? channel->get() : -1, POLLIN, 0}};
    int wait_ms = 100;
    if (has_deadline && !killed) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
              .count();
      if (left < wait_ms) wait_ms = left < 0 ? 0 : static_cast<int>(left);
    }
    ::poll(fds, 7, wait_ms);
    auto drain = [&](UniqueFd& fd, short revents, auto&& sink) {
      if (!fd.valid() || !(revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n > 0)
        sink(buf, static_cast<size_t>(n));
      else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        fd.reset();
    };
    drain(w->out, fds[0].revents, [&](const char* p, size_t n) { out.add(p, n); });
    drain(w->err, fds[1].revents, [&](const char* p, size_t n) { err.add(p, n); });
    drain(w->report, fds[2].revents, [&](const char* p, size_t n) {
      if (report.size() < (1u << 20)) report.append(p, n);
    });
    if (channel_open && fds[6].revents) {
      // One question per message; a larger one is cut (MSG_TRUNC says so) and dropped.
      const ssize_t n = ::recv(channel->get(), buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
      if (n > 0 && static_cast<size_t>(n) <= std::min(sizeof buf, kMaxAskMessageBytes))
        (*ask)(std::string(buf, static_cast<size_t>(n)), channel);
      else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        channel_open = false;  // the worker is gone
    }
    if (!w->report.valid() && !killed && !exited && report_is_final(report)) {
      // The worker wrote its result and closed it: its sandbox is gone by then (the
      // init reaped with every process of its pid namespace, or, without one, the
      // leftovers killed by the worker, a child subreaper). What remains is the
      // worker's own exit (the namespaces' teardown, about a millisecond), which this
      // call need not wait for: the output the command wrote is in the pipes already.
      for (UniqueFd* fd : {&w->out, &w->err}) {
        if (!fd->valid()) continue;
        set_nonblock(fd->get());
        for (ssize_t n; (n = ::read(fd->get(), buf, sizeof buf)) > 0;)
          (fd == &w->out ? out : err).add(buf, static_cast<size_t>(n));
      }
      reaped_later = true;
      break;
    }
    if (fds[3].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t n = ::write(w->in.get(), input.data() + written, input.size() - written);
      if (n > 0)
        written += static_cast<size_t>(n);
      else if (errno != EAGAIN && errno != EINTR)
        written = input.size();                    // the command stopped reading
      if (written >= input.size()) w->in.reset();  // end of file for the command's stdin
    }
    if (!killed && !exited) {
      const bool cancel = fds[4].revents != 0;
      const bool late = has_deadline && std::chrono::steady_clock::now() >= deadline;
      if (cancel || late) {
        kill_tree(w->pid);
        killed = true;
        o.cancelled = cancel;
        o.result.timed_out = !cancel;
      }
    }
  }
  if (reaped_later)
    reap_later(w->pid);
  else if (!exited)
    ::waitpid(w->pid, &status, 0);

  if (killed) {
    RunResult r = report.empty() ? RunResult{} : result_from_report(report);
    r.timed_out = o.result.timed_out;
    r.sandbox_error = false;
    r.exit_code = 124;
    r.signal = SIGKILL;
    if (r.timed_out)
      r.notes.push_back("timed out after " + std::to_string(*request.timeout_seconds) +
                        " s; the whole process tree was killed");
    o.result = std::move(r);
  } else {
    o.result = result_from_report(report);
    if (o.result.sandbox_error && o.result.error.empty())
      o.result.error = "the sandbox ended without a result (status " + std::to_string(status) + ")";
    if (!o.result.exit_code)
      o.result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  o.result.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  o.result.stdout_truncated = out.truncated;
  o.result.stderr_truncated = err.truncated;
  for (auto& n : request.notes) o.result.notes.push_back(n);
  o.out = std::move(out.data);
  o.err = std::move(err.data);
  if (o.result.stdout_truncated)
    o.out += "\n[cordon: stdout truncated at " + std::to_string(config_.max_output) + " bytes]";
  if (o.result.stderr_truncated)
    o.err += "\n[cordon: stderr truncated at " + std::to_string(config_.max_output) + " bytes]";
  return o;
}

}  // namespace cordon::server
