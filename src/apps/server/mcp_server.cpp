#include "apps/server/mcp_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "apps/server/jsonrpc.hpp"
#include "apps/server/runner.hpp"
#include "apps/server/tool_call.hpp"

namespace cordon::server {
namespace {

constexpr const char* kLatestProtocol = "2025-11-25";
constexpr const char* kSupportedProtocols[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
constexpr uint64_t kDefaultMaxOutput = 1u << 20;

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

class Server {
 public:
  Server(const Policy& policy, const std::vector<std::string>& policy_args)
      : policy_(policy),
        pool_(RunnerConfig{self_exe(), policy_args,
                           policy.limits.max_output_bytes.value_or(kDefaultMaxOutput),
                           warm_workers_from_env()}) {}

  int serve() {
    std::string line;
    bool overlong = false;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
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
    shutdown();
    return 0;
  }

 private:
  struct Call {
    int cancel_read = -1, cancel_write = -1;
    ~Call() {
      if (cancel_read >= 0) ::close(cancel_read);
      if (cancel_write >= 0) ::close(cancel_write);
    }
  };

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
        return;  // cordon sends no requests
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
      char x = 'c';
      ssize_t ignored = ::write(it->second->cancel_write, &x, 1);
      (void)ignored;
    }
  }

  void request(const Message& m) {
    if (m.method == "initialize") return send(result_response(m.id, initialize(m.params)));
    if (m.method == "ping") return send(result_response(m.id, nlohmann::json::object()));
    if (m.method == "tools/list")
      return send(result_response(m.id, {{"tools", nlohmann::json::array({run_command_tool(policy_)})}}));
    if (m.method == "tools/call") return tools_call(m);
    send(error_response(m.id, kMethodNotFound, "method not found: " + m.method));
  }

  nlohmann::json initialize(const nlohmann::json& params) {
    std::string version = kLatestProtocol;
    if (params.is_object())
      if (auto v = params.find("protocolVersion"); v != params.end() && v->is_string())
        for (const char* s : kSupportedProtocols)
          if (*v == s) version = s;
    return {{"protocolVersion", version},
            {"capabilities", {{"tools", {{"listChanged", false}}}}},
            {"serverInfo", {{"name", "cordon"}, {"title", "cordon sandbox"}, {"version", "0.1.0"}}},
            {"instructions", "run_command runs shell commands in a kernel-enforced sandbox rooted at " +
                                 policy_.workspace +
                                 ". When a result is classified denied-by-sandbox, its denials name the "
                                 "option that would allow the "
                                 "operation: ask the user instead of working around the sandbox."}};
  }

  static nlohmann::json tool_error(const std::string& text) {
    return {{"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}};
  }

  void tools_call(const Message& m) {
    if (!m.params.is_object() || !m.params.contains("name") || !m.params["name"].is_string())
      return send(error_response(m.id, kInvalidParams, "tools/call needs params.name"));
    if (m.params["name"] != "run_command")
      return send(
          error_response(m.id, kInvalidParams, "unknown tool: " + m.params["name"].get<std::string>()));
    nlohmann::json args = m.params.contains("arguments") ? m.params["arguments"] : nlohmann::json::object();
    auto req = parse_run_command(args, policy_);
    if (!req) return send(result_response(m.id, tool_error("refused: " + req.error().message())));

    auto call = std::make_shared<Call>();
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return send(error_response(m.id, kInternalError, "pipe2 failed"));
    call->cancel_read = p[0];
    call->cancel_write = p[1];
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
      Outcome o = pool_.run(r, call->cancel_read);
      if (!o.cancelled) send(result_response(id, tool_result(o)));
      pool_.refill();
      std::lock_guard lock(calls_mu_);
      calls_.erase(key);
      calls_cv_.notify_all();
    }).detach();
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
    for (const auto& n : o.result.notes) text += "\nnote: " + n;
    text += "\n--- stdout ---\n" + o.out + "\n--- stderr ---\n" + o.err;
    return {{"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})},
            {"structuredContent", structured},
            {"isError", o.result.sandbox_error}};
  }

  void shutdown() {
    std::unique_lock lock(calls_mu_);
    for (auto& [key, call] : calls_) {
      char x = 'q';
      ssize_t ignored = ::write(call->cancel_write, &x, 1);
      (void)ignored;
    }
    calls_cv_.wait(lock, [&] { return calls_.empty(); });
  }

  const Policy& policy_;
  WorkerPool pool_;
  std::mutex out_mu_, calls_mu_;
  std::condition_variable calls_cv_;
  std::map<std::string, std::shared_ptr<Call>> calls_;
};

}  // namespace

int serve_mcp(const Policy& policy, const std::vector<std::string>& policy_args) {
  ::signal(SIGPIPE, SIG_IGN);
  Server server(policy, policy_args);
  return server.serve();
}

}  // namespace cordon::server
