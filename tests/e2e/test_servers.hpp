// Loopback test servers for the network tests (tests/e2e/network_test.cpp and
// no_userns_network_test.cpp): TCP servers on ephemeral ports of the host's 127.0.0.1
// that record what reached them, and a UDP socket to check that nothing arrives.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cordon_test {

inline int listen_loopback(int type, uint16_t& port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 64) != 0) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return -1;
  port = ntohs(a.sin_port);
  return fd;
}

// A loopback TCP server on an ephemeral port, run on its own thread: `http` answers
// one request per connection with `body` and records the request line; otherwise it
// echoes the first chunk it receives and closes.
class TestServer {
 public:
  explicit TestServer(bool http, std::string body = "hello from the test server\n")
      : http_(http), body_(std::move(body)) {
    fd_ = listen_loopback(SOCK_STREAM, port_);
    thread_ = std::thread([this] { loop(); });
  }
  ~TestServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string port_text() const { return std::to_string(port_); }
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
      while (in.find(http_ ? "\r\n\r\n" : "\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(in.substr(0, in.find("\r\n")));
      }
      std::string out = http_ ? "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_.size()) +
                                    "\r\nConnection: close\r\n\r\n" + body_
                              : in;
      ssize_t w = ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      (void)w;
      ::close(c);
    }
  }

  bool http_;
  std::string body_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

// A UDP socket on the host's loopback: did anything arrive within `ms`?
inline bool udp_received(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

}  // namespace cordon_test
