#include "apps/server/mcp_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "apps/server/elicitation.hpp"
#include "apps/server/jsonrpc.hpp"
#include "apps/server/runner.hpp"
#include "apps/server/tool_call.hpp"
#include "core/ask_message.hpp"
#include "core/terminal_text.hpp"
#include "platform/platform.hpp"

namespace cordon::server {
namespace {

constexpr const char* kLatestProtocol = "2025-11-25";
constexpr const char* kSupportedProtocols[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
constexpr uint64_t kDefaultMaxOutput = 1u << 20;
// A call that names a progressToken hears from the server at least this often.
constexpr auto kProgressInterval = std::chrono::seconds(1);
// review_changes: the diff in one result is cut here (the agent can ask for fewer paths).
constexpr size_t kMaxReviewDiffBytes = 256u << 10;
// --ask: one call's command asks the user at most this often; later questions of the
// call are denied without asking (by "limit"), so a command cannot flood the user.
constexpr int kMaxQuestionsPerCall = 32;

// SIGTERM, SIGINT and SIGHUP arrive here as one byte each (the signal number), so the
// main thread sees them in the same poll as stdin. Written only by the handler.
int g_signal_write = -1;
void on_signal(int sig) {
  const int saved = errno;
  const char b = static_cast<char>(sig);
  ssize_t ignored = ::write(g_signal_write, &b, 1);
  (void)ignored;
  errno = saved;
}

// CORDON_MCP_PLAN_STATS=1: a line on stderr per check of a warm worker's plan, with the
// counts of checks answered by the record and of plans made again (tests assert on them).
bool plan_stats_from_env() {
  const char* v = std::getenv("CORDON_MCP_PLAN_STATS");
  return v && std::string(v) == "1";
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

class Server {
 public:
  Server(const Policy& policy, const McpOptions& options)
      : policy_(policy),
        review_(options.review),
        review_all_(options.review_all),
        ask_(options.ask),
        ask_timeout_seconds_(options.ask_timeout_seconds),
        ask_config_file_(options.ask_config_file),
        pool_(RunnerConfig{self_exe(), policy, policy.limits.max_output_bytes.value_or(kDefaultMaxOutput),
                           // A review call locks its change set for the whole run: a worker
                           // started ahead would hold it, so none is (runner.hpp). An ask
                           // call's worker gets a question channel of its own, and whether
                           // it may ask is known only once the client has initialized.
                           options.review || options.ask ? 0 : warm_workers_from_env(),
                           // A call runs on the plan of its moment (runner.cpp: still_current),
                           // checked by asking again what the last plan asked of the disk.
                           [memo = std::make_shared<platform::PlanDigestMemo>(policy),
                            stats = plan_stats_from_env()](bool userns) -> std::optional<std::string> {
                             auto d = memo->digest(userns);
                             if (stats) {
                               const auto st = memo->stats();
                               std::fprintf(stderr, "cordon mcp: plan check: %llu held, %llu planned\n",
                                            static_cast<unsigned long long>(st.held),
                                            static_cast<unsigned long long>(st.plans));
                             }
                             if (!d || d->empty()) return std::nullopt;
                             return *d;
                           }}) {}

  // Reads requests until stdin ends, then answers every call still running (each is
  // bounded by its timeout) and returns 0. SIGTERM, SIGINT or SIGHUP (a client that will
  // not wait, as the MCP stdio transport allows) kill what still runs: 128 + the signal.
  int serve(int signal_fd) {
    std::thread ticker([this] { progress_loop(); });
    int code = read_requests(signal_fd);
    if (code == 0) code = finish_calls(signal_fd);
    {
      std::lock_guard lock(calls_mu_);
      stopping_ = true;
    }
    calls_cv_.notify_all();
    ticker.join();
    return code;
  }

 private:
  struct Call {
    int cancel_read = -1, cancel_write = -1;
    nlohmann::json progress_token;  // null: the client asked for no progress
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_progress = start;
    std::atomic<uint64_t> output_bytes{0};
    // Held while a progress notification is written; once `done`, none is: the
    // response (or a cancellation) is the last the client hears of this call.
    std::mutex mu;
    bool done = false;
    std::atomic<int> questions{0};  // --ask: questions its command asked so far
    ~Call() {
      if (cancel_read >= 0) ::close(cancel_read);
      if (cancel_write >= 0) ::close(cancel_write);
    }
  };

  // Returns 0 at end of file, 128 + N when signal N arrived first.
  int read_requests(int signal_fd) {
    std::string line;
    bool overlong = false;
    char buf[65536];
    for (;;) {
      pollfd fds[2] = {{0, POLLIN, 0}, {signal_fd, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        std::perror("cordon mcp: poll(stdin)");
        return 0;
      }
      if (fds[1].revents & POLLIN) return 128 + kill_calls(signal_fd);
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return 0;
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] != '\n') {
          if (line.size() <= kMaxMessageBytes)
            line += buf[i];
          else
            overlong = true;
          continue;
        }
        if (overlong)
          send(error_response(nullptr, kInvalidRequest, "message larger than 4 MiB"));
        else if (line.find_first_not_of(" \t\r") != std::string::npos)
          handle(line);
        line.clear();
        overlong = false;
      }
    }
  }

  // After end of file: no new calls; wait for those in flight and send their responses.
  int finish_calls(int signal_fd) {
    draining_ = true;
    expire_asks(nullptr, true);
    for (;;) {
      {
        std::unique_lock lock(calls_mu_);
        if (calls_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return calls_.empty(); }))
          return 0;
      }
      pollfd p{signal_fd, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) return 128 + kill_calls(signal_fd);
    }
  }

  // Kills every command still running, waits until their threads are done; returns the
  // signal that asked for it.
  int kill_calls(int signal_fd) {
    char sig = 0;
    if (::read(signal_fd, &sig, 1) != 1) sig = SIGTERM;
    draining_ = true;
    std::unique_lock lock(calls_mu_);
    for (auto& [key, call] : calls_) {
      char x = 'q';
      ssize_t ignored = ::write(call->cancel_write, &x, 1);
      (void)ignored;
    }
    calls_cv_.wait(lock, [&] { return calls_.empty(); });
    return sig;
  }

  // notifications/progress for the calls that asked for it (MCP "Progress"): the
  // progress value is the seconds since the call started (it only grows), the message
  // says how much output the command has written so far.
  void progress_loop() {
    std::unique_lock lock(calls_mu_);
    while (!stopping_) {
      calls_cv_.wait_for(lock, std::chrono::milliseconds(200));
      if (stopping_) break;
      std::vector<std::shared_ptr<Call>> due;
      const auto now = std::chrono::steady_clock::now();
      for (auto& [key, call] : calls_)
        if (!call->progress_token.is_null() && now - call->last_progress >= kProgressInterval)
          due.push_back(call);
      lock.unlock();
      for (auto& call : due) send_progress(*call);
      if (ask_) expire_asks();
      lock.lock();
    }
  }

  void send_progress(Call& call) {
    std::lock_guard lock(call.mu);
    if (call.done) return;
    const auto now = std::chrono::steady_clock::now();
    call.last_progress = now;
    const double seconds = std::chrono::duration<double>(now - call.start).count();
    const uint64_t bytes = call.output_bytes.load();
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.0f", seconds);
    // Whole milliseconds, without std::round: cordon links no libm, one shared library
    // fewer to load on every start.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - call.start).count();
    nlohmann::json params = {{"progressToken", call.progress_token},
                             {"progress", static_cast<double>(ms) / 1000},
                             {"message", std::string("running for ") + elapsed + " s; " +
                                             std::to_string(bytes) + " bytes of output so far"}};
    send(nlohmann::json{{"jsonrpc", "2.0"}, {"method", "notifications/progress"}, {"params", params}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  void send(const std::string& text) {
    std::lock_guard lock(out_mu_);
    std::string line = text + "\n";
    size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(1, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the client is gone
      off += static_cast<size_t>(n);
    }
  }

  void handle(const std::string& line) {
    Message m = parse_message(line);
    switch (m.kind) {
      case MessageKind::Invalid:
        return send(error_response(m.id, m.error_code, m.error_message));
      case MessageKind::Response:
        return response(m);
      case MessageKind::Notification:
        return notification(m);
      case MessageKind::Request:
        return request(m);
    }
  }

  void notification(const Message& m) {
    if (m.method != "notifications/cancelled" || !m.params.is_object())
      return;  // initialized, others: nothing to do
    auto id = m.params.find("requestId");
    if (id == m.params.end()) return;
    std::lock_guard lock(calls_mu_);
    auto it = calls_.find(id->dump());
    if (it != calls_.end()) {
      {
        std::lock_guard call_lock(it->second->mu);
        it->second->done = true;  // a cancelled request gets no more messages
      }
      char x = 'c';
      ssize_t ignored = ::write(it->second->cancel_write, &x, 1);
      (void)ignored;
    }
  }

  // --ask: a question of the call's worker (core/ask_message.hpp) goes to the client as
  // elicitation/create; its answer (response()) or the timeout (expire_asks()) goes back.
  void on_question(Call& call, const std::string& message, const std::shared_ptr<UniqueFd>& channel) {
    auto q = decode_ask_question(message);
    if (!q) {
      std::cerr << "cordon mcp: a worker sent a malformed question (ignored: it is denied at its timeout)\n";
      return;
    }
    if (draining_) return answer(*channel, *q, AskAnswer::Deny, "no-client");
    if (++call.questions > kMaxQuestionsPerCall) return answer(*channel, *q, AskAnswer::Deny, "limit");
    q->timeout_seconds = ask_timeout_seconds_;
    nlohmann::json id;
    {
      std::lock_guard lock(asks_mu_);
      id = "cordon-ask-" + std::to_string(++next_ask_);
      asks_[id.dump()] = PendingAsk{
          &call, channel, *q, std::chrono::steady_clock::now() + std::chrono::seconds(ask_timeout_seconds_)};
    }
    send(nlohmann::json{
        {"jsonrpc", "2.0"}, {"id", id}, {"method", "elicitation/create"}, {"params", elicitation_params(*q)}}
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  static void answer(UniqueFd& channel, const AskChannelQuestion& q, AskAnswer a, const std::string& by) {
    const std::string text = encode_ask_answer({q.id, a, by});
    // A worker that is gone, or no longer waiting: nothing to do (it denied by itself).
    (void)::send(channel.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }

  // A response from the client: the answer to one question still waiting, or dropped (a
  // question never asked, answered already, or given up at its timeout).
  void response(const Message& m) {
    std::optional<PendingAsk> p;
    {
      std::lock_guard lock(asks_mu_);
      if (auto it = asks_.find(m.id.dump()); it != asks_.end()) {
        p = std::move(it->second);
        asks_.erase(it);
      }
    }
    if (!p) {
      std::cerr << "cordon mcp: a response to no question waiting (id "
                << escape_for_terminal(m.id.dump().substr(0, 100)) << "): ignored\n";
      return;
    }
    answer(*p->channel, p->question, answer_from_elicitation(m.result, p->question), "mcp-client");
  }

  // Questions whose time is up are denied and their requests cancelled; with `call`, the
  // questions of that call (its command ended); with `all`, every one (stdin ended: no
  // answer can come).
  void expire_asks(const Call* call = nullptr, bool all = false) {
    std::vector<std::pair<std::string, PendingAsk>> gone;
    {
      std::lock_guard lock(asks_mu_);
      const auto now = std::chrono::steady_clock::now();
      for (auto it = asks_.begin(); it != asks_.end();) {
        if (all || it->second.call == call || (!call && now >= it->second.deadline)) {
          gone.emplace_back(it->first, std::move(it->second));
          it = asks_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& [id, p] : gone) {
      const bool timeout = !all && !call;
      answer(*p.channel, p.question, AskAnswer::Deny, timeout ? "timeout" : "no-client");
      if (all) continue;
      const std::string reason =
          timeout ? "no answer within " + std::to_string(ask_timeout_seconds_) + " s: denied"
                  : "the command no longer waits for the answer";
      send(nlohmann::json{{"jsonrpc", "2.0"},
                          {"method", "notifications/cancelled"},
                          {"params", {{"requestId", nlohmann::json::parse(id)}, {"reason", reason}}}}
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }

  void request(const Message& m) {
    if (m.method == "initialize") return send(result_response(m.id, initialize(m.params)));
    if (m.method == "ping") return send(result_response(m.id, nlohmann::json::object()));
    if (m.method == "tools/list") {
      nlohmann::json tools = nlohmann::json::array({run_command_tool(policy_, review_)});
      if (review_) tools.push_back(review_changes_tool());
      return send(result_response(m.id, {{"tools", tools}}));
    }
    if (m.method == "tools/call") return tools_call(m);
    send(error_response(m.id, kMethodNotFound, "method not found: " + m.method));
  }

  nlohmann::json initialize(const nlohmann::json& params) {
    std::string version = kLatestProtocol;
    if (params.is_object())
      if (auto v = params.find("protocolVersion"); v != params.end() && v->is_string())
        for (const char* s : kSupportedProtocols)
          if (*v == s) version = s;
    // Elicitation exists from 2025-06-18 on.
    can_elicit_ = client_can_elicit(params) && version != "2025-03-26" && version != "2024-11-05";
    if (ask_ && !can_elicit_)
      std::cerr << "cordon mcp: --ask: the client did not declare the elicitation capability: nothing "
                   "is asked, and what --ask would ask about is refused as without --ask\n";
    return {
        {"protocolVersion", version},
        {"capabilities", {{"tools", {{"listChanged", false}}}}},
        {"serverInfo", {{"name", "cordon"}, {"title", "cordon sandbox"}, {"version", "0.1.0"}}},
        {"instructions",
         "run_command runs shell commands in a kernel-enforced sandbox rooted at " + policy_.workspace +
             ". When a result is classified denied-by-sandbox, its denials name the "
             "option that would allow the "
             "operation: ask the user instead of working around the sandbox." +
             (ask_ && can_elicit_ ? std::string(" A write outside the writable roots, or a host or loopback "
                                                "port not allowed, is asked of the user while the "
                                                "command waits (elicitation).")
                                  : std::string()) +
             (review_ ? std::string(" Writes to the workspace are staged in a change set, "
                                    "not written: call review_changes to show the user "
                                    "what changed; the user applies or discards it.")
                      : std::string())}};
  }

  static nlohmann::json tool_error(const std::string& text) {
    return {{"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}};
  }

  void tools_call(const Message& m) {
    if (!m.params.is_object() || !m.params.contains("name") || !m.params["name"].is_string())
      return send(error_response(m.id, kInvalidParams, "tools/call needs params.name"));
    nlohmann::json args = m.params.contains("arguments") ? m.params["arguments"] : nlohmann::json::object();
    if (review_ && m.params["name"] == "review_changes")
      return send(result_response(m.id, review_changes(args)));
    if (m.params["name"] != "run_command")
      return send(
          error_response(m.id, kInvalidParams, "unknown tool: " + m.params["name"].get<std::string>()));
    auto req = parse_run_command(args, policy_, review_);
    if (!req) return send(result_response(m.id, tool_error("refused: " + req.error().message())));

    auto call = std::make_shared<Call>();
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return send(error_response(m.id, kInternalError, "pipe2 failed"));
    call->cancel_read = p[0];
    call->cancel_write = p[1];
    if (auto meta = m.params.find("_meta"); meta != m.params.end() && meta->is_object())
      if (auto token = meta->find("progressToken");
          token != meta->end() && (token->is_string() || token->is_number_integer()))
        call->progress_token = *token;
    const std::string key = m.id.dump();
    {
      std::lock_guard lock(calls_mu_);
      if (static_cast<int>(calls_.size()) >= kMaxConcurrentCalls)
        return send(
            result_response(m.id, tool_error("refused: " + std::to_string(kMaxConcurrentCalls) +
                                             " commands are already running; wait for one to finish")));
      if (calls_.count(key))
        return send(error_response(m.id, kInvalidRequest, "a request with this id is still running"));
      calls_[key] = call;
    }
    nlohmann::json id = m.id;
    std::thread([this, call, key, id, r = std::move(*req)] {
      Outcome o = review_ ? run_in_review(r, *call) : run_asking(r, call);
      {
        std::lock_guard call_lock(call->mu);
        call->done = true;
      }
      if (!o.cancelled) send(result_response(id, tool_result(o)));
      if (!draining_) pool_.refill();
      std::lock_guard lock(calls_mu_);
      calls_.erase(key);
      calls_cv_.notify_all();
    }).detach();
  }

  // A call of a --ask server whose client can answer: its worker asks through it. One
  // whose client cannot: run as without --ask, and the result says so when it was refused.
  Outcome run_asking(const CommandRequest& r, const std::shared_ptr<Call>& call) {
    if (!ask_) return pool_.run(r, call->cancel_read, &call->output_bytes);
    if (!can_elicit_) {
      Outcome o = pool_.run(r, call->cancel_read, &call->output_bytes);
      if (!o.result.denials.empty())
        o.result.notes.push_back(
            "cordon mcp --ask could not ask: the client did not declare the elicitation capability, so "
            "operations outside the writable roots, and hosts and loopback ports not allowed, are refused as "
            "without --ask");
      return o;
    }
    std::vector<std::string> options = {"--ask-timeout", std::to_string(ask_timeout_seconds_)};
    if (!ask_config_file_.empty()) options.push_back("--ask-config=" + ask_config_file_);
    const AskHook hook = [this, c = call.get()](const std::string& message,
                                                const std::shared_ptr<UniqueFd>& ch) {
      on_question(*c, message, ch);
    };
    Outcome o = pool_.run(r, call->cancel_read, &call->output_bytes, options, &hook);
    expire_asks(call.get());
    return o;
  }

  std::string server_review_id() {
    std::lock_guard lock(ids_mu_);
    return review_id_;
  }

  std::shared_ptr<std::mutex> set_lock(const std::string& id) {
    std::lock_guard lock(ids_mu_);
    auto& m = set_locks_[id];
    if (!m) m = std::make_shared<std::mutex>();
    return m;
  }

  // One call at a time per change set (a run holds its lock: a second would be refused).
  // The server's own set is made by the first call; the calls after it wait for its id.
  Outcome run_in_review(const CommandRequest& r, Call& call) {
    if (r.review) {
      auto m = set_lock(*r.review);
      std::lock_guard one(*m);
      return pool_.run(r, call.cancel_read, &call.output_bytes, review_args("--review=" + *r.review));
    }
    std::unique_lock first(first_mu_);
    const std::string id = server_review_id();
    if (id.empty()) {
      Outcome o = pool_.run(r, call.cancel_read, &call.output_bytes, review_args("--review"));
      if (o.result.review.is_object())
        if (auto made = o.result.review.find("id"); made != o.result.review.end() && made->is_string()) {
          std::lock_guard lock(ids_mu_);
          review_id_ = made->get<std::string>();
        }
      return o;
    }
    first.unlock();
    auto m = set_lock(id);
    std::lock_guard one(*m);
    return pool_.run(r, call.cancel_read, &call.output_bytes, review_args("--review=" + id));
  }

  // The run's --review argument, and --review-all when the server stages every root.
  std::vector<std::string> review_args(std::string review) const {
    std::vector<std::string> args{std::move(review)};
    if (review_all_) args.emplace_back("--review-all");
    return args;
  }

  nlohmann::json review_changes(const nlohmann::json& args) {
    auto req = parse_review_changes(args);
    if (!req) return tool_error("refused: " + req.error().message());
    const std::string id = req->id ? *req->id : server_review_id();
    if (id.empty())
      return tool_error("no change set yet: no run_command call of this server has run (or give id)");
    auto j = platform::review_report(
        {id, policy_.workspace, req->paths, req->diff, kMaxReviewDiffBytes, policy_.deny_read});
    if (!j) return tool_error("refused: " + j.error().message());
    std::string text =
        "change set " + id + " (not applied; the user runs cordon review apply|discard " + id + ")";
    if (j->contains("changes"))
      for (const auto& c : (*j)["changes"])
        text += "\n" + c.value("change", std::string("?")) + " " + c.value("path", std::string("?"));
    if (j->value("truncated", false)) text += "\n(more changes than the scan lists)";
    if (j->contains("diff")) text += "\n--- diff ---\n" + (*j)["diff"].get<std::string>();
    if (j->contains("diff_note")) text += "\n[cordon: " + (*j)["diff_note"].get<std::string>() + "]";
    if (j->contains("withheld"))
      for (const auto& p : (*j)["withheld"])
        text += "\nwithheld (the sandbox cannot read it): " + p.get<std::string>();
    return {{"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})},
            {"structuredContent", *j},
            {"isError", false}};
  }

  static nlohmann::json tool_result(const Outcome& o) {
    nlohmann::json structured = to_json(o.result);
    structured["stdout"] = o.out;
    structured["stderr"] = o.err;
    const std::string cls = structured["classification"];
    std::string text = "exit " +
                       (o.result.exit_code ? std::to_string(*o.result.exit_code) : std::string("?")) + " (" +
                       cls + ")";
    if (o.result.sandbox_error) text += ": " + o.result.error;
    for (const auto& d : o.result.denials)
      text += "\ndenied: " + d.operation + " " + (d.path.empty() ? d.address : d.path) + " (" + d.rule + ")" +
              (d.suggestion.empty() ? "" : "; to allow: " + d.suggestion);
    for (const auto& g : o.result.grants)
      text += "\nasked: " + g.operation + " " + (g.path.empty() ? g.address : g.path) +
              (g.to.empty() ? "" : " -> " + g.to) + ": " +
              (g.allowed ? "allowed (" + g.scope + (g.rule.empty() ? "" : " " + g.rule) + ")"
                         : std::string("denied")) +
              " by " + g.by;
    for (const auto& n : o.result.notes) text += "\nnote: " + n;
    text += "\n--- stdout ---\n" + o.out + "\n--- stderr ---\n" + o.err;
    return {{"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})},
            {"structuredContent", structured},
            {"isError", o.result.sandbox_error}};
  }

  const Policy& policy_;
  const bool review_;
  const bool review_all_;
  const bool ask_;
  const int ask_timeout_seconds_;
  const std::string ask_config_file_;
  std::atomic<bool> can_elicit_ = false;  // set at initialize
  // --ask: the questions sent to the client and not answered yet, by request id (JSON).
  struct PendingAsk {
    const Call* call = nullptr;
    std::shared_ptr<UniqueFd> channel;
    AskChannelQuestion question;
    std::chrono::steady_clock::time_point deadline;
  };
  std::mutex asks_mu_;
  std::map<std::string, PendingAsk> asks_;
  uint64_t next_ask_ = 0;
  // --review: the server's own change set ("" until the first call made it) and one lock
  // per change set id, both under ids_mu_; first_mu_ is held by the call that makes it.
  std::mutex ids_mu_, first_mu_;
  std::string review_id_;
  std::map<std::string, std::shared_ptr<std::mutex>> set_locks_;
  WorkerPool pool_;
  std::mutex out_mu_, calls_mu_;
  std::condition_variable calls_cv_;
  std::map<std::string, std::shared_ptr<Call>> calls_;
  bool stopping_ = false;               // under calls_mu_: the progress thread ends
  std::atomic<bool> draining_ = false;  // stdin ended: no new workers are started
};

}  // namespace

int serve_mcp(const Policy& policy, const McpOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("cordon mcp: pipe2");
    return 125;
  }
  g_signal_write = p[1];
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  int code = 0;
  {
    Server server(policy, options);
    code = server.serve(p[0]);
  }
  return code;
}

}  // namespace cordon::server
