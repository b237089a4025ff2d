// Test servers for the proxied network mode: TCP servers on the host's loopback
// (127.0.0.1 or ::1, ephemeral ports) that record what reached them, and NetBox, a
// sandbox whose cordon maps fake names to them (CORDON_TEST_RESOLVE). Loopback only.
//
//   TestServer http(true);                           // answers every request with a body
//   TestServer registry(true, "", TestServer::V6);   // on ::1
//   registry.route("/tiny-pkg", packument_json);     // per-path answers, 404 otherwise
//   NetBox box;
//   box.run("curl http://good.test:" + http.port_text() + "/", {"--allow-domain", "good.test"});
//   http.requests();                                 // request lines seen, e.g. "GET / HTTP/1.1"
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "e2e/harness.hpp"

namespace cordon_test {

// A socket bound to 127.0.0.1 (or ::1, or another IPv4 loopback address `v4`) on an
// ephemeral port; -1 when that fails.
inline int listen_loopback(int type, uint16_t& port, bool v6 = false, uint32_t v4 = INADDR_LOOPBACK) {
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(v4);
    len = sizeof *a;
  }
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 64) != 0) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

// True when this host can listen on ::1 (IPv6 may be disabled).
inline bool host_has_ipv6_loopback() {
  uint16_t port = 0;
  int fd = listen_loopback(SOCK_STREAM, port, true);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// A loopback TCP server on an ephemeral port, run on its own thread: `http` answers
// one request per connection (with `body`, or by path once routes are added) and
// records the request line; otherwise it echoes the first line it receives and closes
// (or, after reply_at_eof(), everything it receives once the client has shut down its
// sending side: a half-close must reach the server).
class TestServer {
 public:
  // V4Second: 127.0.0.2, a loopback address the proxy's SSRF guard refuses even for
  // names mapped by CORDON_TEST_RESOLVE (a private host: --allow-private-host).
  enum Family { V4, V6, V4Second };
  explicit TestServer(bool http, std::string body = "hello from the test server\n", Family family = V4)
      : http_(http), body_(std::move(body)) {
    fd_ =
        listen_loopback(SOCK_STREAM, port_, family == V6, family == V4Second ? 0x7f000002 : INADDR_LOOPBACK);
    if (fd_ >= 0) thread_ = std::thread([this] { loop(); });
  }
  ~TestServer() {
    stop_ = true;
    if (fd_ < 0) return;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  uint16_t port() const { return port_; }
  std::string port_text() const { return std::to_string(port_); }
  // Answers GET `path` (query string ignored) with `body`; other paths get 404.
  void route(const std::string& path, std::string body,
             std::string content_type = "application/octet-stream") {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[path] = {std::move(body), std::move(content_type)};
  }
  void reply_at_eof() { until_eof_ = true; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void loop() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string in;
      char buf[4096];
      timeval tv{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      bool end_of_stream = false;
      while (until_eof_ || in.find(http_ ? "\r\n\r\n" : "\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        end_of_stream = n == 0;
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      const std::string line = in.substr(0, in.find("\r\n"));
      // Waiting for the end of the stream: a timeout means the half-close was lost.
      std::string out = until_eof_ && !end_of_stream ? "no end of stream after 5 s\n" : in;
      if (http_) {
        std::string status = "200 OK", body = body_, type = "text/plain";
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(line);
          if (!routes_.empty()) {
            const size_t start = line.find(' ') + 1;
            std::string path = line.substr(start, line.find(' ', start) - start);
            path = path.substr(0, path.find('?'));
            auto it = routes_.find(path);
            if (it == routes_.end()) {
              status = "404 Not Found", body = "not found\n";
            } else {
              body = it->second.first, type = it->second.second;
            }
          }
        }
        out = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
              "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(line);
      }
      for (size_t sent = 0; sent < out.size();) {
        ssize_t w = ::send(c, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (w <= 0) break;
        sent += static_cast<size_t>(w);
      }
      ::close(c);
    }
  }

  bool http_;
  std::string body_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false}, until_eof_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> routes_;  // path -> body, type
  std::vector<std::string> requests_;
};

// A UDP socket on the host's loopback: did anything arrive within `ms`?
inline bool udp_received(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

struct NetBox : Sandbox {
  // cordon run with the fake names mapped to the host's loopback (and one to a
  // private address); `extra_env` adds variables for cordon itself.
  Outcome run(const std::string& script, std::vector<std::string> opts,
              std::vector<std::string> extra_env = {}) const {
    extra_env.insert(
        extra_env.begin(),
        "CORDON_TEST_RESOLVE=good.test=127.0.0.1,bad.test=127.0.0.1,git.test=127.0.0.1,"
        "private.test=10.0.0.5,a.x.test=127.0.0.1,bad.x.test=127.0.0.1,"
        "v6.test=::1,ula.test=fd00::5,mapped.test=::ffff:10.0.0.5,"
        "npm.test=127.0.0.1,pypi.test=127.0.0.1,cargo.test=127.0.0.1,evil-registry.test=127.0.0.1,"
        "corp.test=127.0.0.2,other-corp.test=127.0.0.3,metadata.test=169.254.169.254");
    return sh(script, opts, "", std::move(extra_env));
  }
};

#define SKIP_WITHOUT(tool) \
  if (!have_tool(tool)) GTEST_SKIP() << tool " is not installed"

// `--allow-localhost PORT` reaches that port, by 127.0.0.1 and by localhost, and no other
// port: checked from the servers' side. The same test for every network mode's box (NetBox,
// the no-user-namespace one), each with a `run(script, options)`.
template <class Box>
void expect_allow_localhost_reaches_exactly_that_port() {
  TestServer allowed(true, "allowed\n"), other(true, "other\n");
  Box box;
  auto o = box.run("curl -sS -m 10 http://127.0.0.1:" + allowed.port_text() +
                       "/ && curl -sS -m 10 http://localhost:" + allowed.port_text() +
                       "/; curl -sS -m 10 --noproxy '*' http://127.0.0.1:" + other.port_text() +
                       "/; echo other=$?",
                   {"--allow-localhost", allowed.port_text()});
  EXPECT_TRUE(contains(o.out, "allowed\nallowed\n")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "other=7")) << o.out << o.err;
  EXPECT_EQ(allowed.requests().size(), 2u);
  EXPECT_TRUE(other.requests().empty());
}

}  // namespace cordon_test
