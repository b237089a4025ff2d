#include "platform/linux/proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <unordered_map>

#include "core/proxy_protocol.hpp"
#include "platform/linux/relay.hpp"

namespace cordon {

// Resolver results cross threads through this queue; detached resolver threads keep
// it alive with their shared_ptr, so a slow getaddrinfo never blocks shutdown.
struct ProxyServer::Shared {
  std::mutex mu;
  struct Answer {
    uint64_t conn = 0;
    std::vector<IpAddress> addresses;
    int gai_error = 0;
    bool not_granted = false;  // asked (--ask), and not granted
    bool overridden = false;   // the addresses came from CORDON_TEST_RESOLVE
  };
  std::deque<Answer> answers;
  UniqueFd wake{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  std::vector<ProxyRefusal> refusals;
  std::atomic<int> asking{0};  // --ask: question threads waiting (bounded)
};

namespace {

constexpr size_t kMaxRefusals = 10000;
constexpr int kMaxAsking = 32;  // --ask: connections waiting for an answer at once

enum class ListenerKind { Http, Socks, Forward };

struct Handler {
  virtual ~Handler() = default;
  virtual void on_event(uint32_t events) = 0;
};

class Loop;

enum class Phase { Request, SocksRequest, Resolving, Connecting, Relaying };

struct Conn;

struct Endpoint : Handler {
  Conn* conn = nullptr;
  bool upstream = false;
  uint32_t mask = 0;
  bool registered = false;
  void on_event(uint32_t events) override;
};

struct Conn {
  Loop* loop = nullptr;
  uint64_t id = 0;
  ListenerKind kind = ListenerKind::Http;
  Phase phase = Phase::Request;
  UniqueFd client, upstream;
  Endpoint client_ep, upstream_ep;
  std::string inbuf;
  std::string host;  // normalised
  uint16_t port = 0;
  bool connect_tunnel = false;
  std::string forward_head;
  std::vector<IpAddress> addresses;
  size_t next_address = 0;
  int last_connect_error = 0;
  Relay relay;
  bool dead = false;
};

class Loop {
 public:
  Loop(const ProxyOptions& options, std::shared_ptr<ProxyServer::Shared> shared, int stop_fd)
      : options_(options), shared_(std::move(shared)), stop_fd_(stop_fd) {}

  bool init() {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) return false;
    wake_handler_.loop = this;
    stop_handler_.loop = this;
    add(shared_->wake.get(), EPOLLIN, &wake_handler_);
    add(stop_fd_, EPOLLIN, &stop_handler_);
    return true;
  }

  void add_listener(UniqueFd fd, ListenerKind kind, uint16_t port) {
    auto l = std::make_unique<Listener>();
    l->loop = this, l->kind = kind, l->port = port, l->fd = std::move(fd);
    add(l->fd.get(), EPOLLIN, l.get());
    listeners_.push_back(std::move(l));
  }

  void run() {
    epoll_event events[256];
    while (!stopping_) {
      // Connections that stopped after their share of rounds go on without an event.
      int n = ::epoll_wait(epoll_.get(), events, 256, busy_.empty() ? -1 : 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (int i = 0; i < n; ++i) static_cast<Handler*>(events[i].data.ptr)->on_event(events[i].events);
      std::vector<uint64_t> busy;
      busy.swap(busy_);
      for (uint64_t id : busy)
        if (auto it = conns_.find(id); it != conns_.end() && !it->second->dead) pump(*it->second);
      reap();
    }
    conns_.clear();
  }

  // --- connection steps ----------------------------------------------------------
  void pump(Conn& c);
  void on_client_readable(Conn& c);
  void on_upstream_event(Conn& c, uint32_t events);

 private:
  struct Listener : Handler {
    Loop* loop = nullptr;
    ListenerKind kind = ListenerKind::Http;
    uint16_t port = 0;
    UniqueFd fd;
    void on_event(uint32_t) override { loop->accept_from(*this); }
  };
  struct Wake : Handler {
    Loop* loop = nullptr;
    void on_event(uint32_t) override { loop->on_answers(); }
  };
  struct Stop : Handler {
    Loop* loop = nullptr;
    void on_event(uint32_t) override { loop->stopping_ = true; }
  };

  void add(int fd, uint32_t events, Handler* h) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = h;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  }

  void set_mask(Endpoint& ep, int fd, uint32_t mask) {
    if (ep.registered && ep.mask == mask) return;
    epoll_event ev{};
    ev.events = mask;
    ev.data.ptr = &ep;
    ::epoll_ctl(epoll_.get(), ep.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
    ep.registered = true;
    ep.mask = mask;
  }

  void accept_from(Listener& l) {
    for (int i = 0; i < 64; ++i) {
      int fd = ::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        // Out of descriptors: a level-triggered listener would wake us in a loop. Stop
        // accepting until a connection closes; the kernel keeps the rest in the backlog.
        if (errno == EMFILE || errno == ENFILE) pause_listeners(true);
        return;
      }
      int one = 1;  // relayed writes go out as they come, as the sender wrote them
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->loop = this;
      c->id = ++next_id_;
      c->kind = l.kind;
      c->client.reset(fd);
      c->client_ep.conn = c.get();
      c->upstream_ep.conn = c.get();
      c->upstream_ep.upstream = true;
      Conn& ref = *c;
      conns_.emplace(c->id, std::move(c));
      if (l.kind == ListenerKind::Forward) {
        // --allow-localhost: straight to the host's loopback, same port.
        IpAddress lo;
        lo.bytes[0] = 127, lo.bytes[3] = 1;
        ref.host = "127.0.0.1", ref.port = l.port, ref.addresses = {lo};
        ref.connect_tunnel = true;
        ref.phase = Phase::Connecting;
        start_connect(ref);
      } else {
        set_mask(ref.client_ep, fd, EPOLLIN);
      }
    }
  }

  void pause_listeners(bool pause) {
    if (listeners_paused_ == pause) return;
    listeners_paused_ = pause;
    for (auto& l : listeners_) {
      epoll_event ev{};
      ev.events = pause ? 0u : uint32_t{EPOLLIN};
      ev.data.ptr = l.get();
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, l->fd.get(), &ev);
    }
  }

  void refuse(Conn& c, const std::string& host, uint16_t port, const std::string& reason,
              const std::string& suggestion = {}) {
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      if (shared_->refusals.size() < kMaxRefusals)
        shared_->refusals.push_back({host, port, reason, suggestion});
    }
    if (c.kind == ListenerKind::Socks) {
      send_now(c, socks_reply(0x02));  // connection not allowed by ruleset
    } else if (c.kind == ListenerKind::Http) {
      const std::string body = "cordon: " + host + ":" + std::to_string(port) + " refused: " + reason +
                               (suggestion.empty() ? "" : "; allow with " + suggestion) + "\n";
      send_now(c,
               "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\nX-Cordon-Refused: " + reason + "\r\n\r\n" + body);
    }
    c.dead = true;
  }

  void fail(Conn& c, int http_status, uint8_t socks_code, const std::string& why) {
    if (c.kind == ListenerKind::Socks) {
      send_now(c, socks_reply(socks_code));
    } else if (c.kind == ListenerKind::Http) {
      const std::string body = "cordon: " + why + "\n";
      send_now(c, "HTTP/1.1 " + std::to_string(http_status) +
                      (http_status == 400 ? " Bad Request" : " Bad Gateway") +
                      "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
    }
    c.dead = true;
  }

  // Small replies on a fresh socket: its send buffer is empty, so this does not block.
  static void send_now(Conn& c, const std::string& s) {
    ssize_t ignored = ::send(c.client.get(), s.data(), s.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
  }

  // The policy decision for a requested host:port, before any resolution.
  void decide(Conn& c, const std::string& raw_host, uint16_t port) {
    auto host = normalize_host(raw_host);
    if (!host) return refuse(c, raw_host, port, "invalid host name");
    c.host = *host, c.port = port;
    if (auto ip = parse_ip_literal(*host)) {
      if (!options_.filter.allows_address(*ip))
        return refuse(c, *host, port, "IP address not allowed (allow it by address with --allow-domain)");
      c.addresses = {*ip};
      c.phase = Phase::Connecting;
      return start_connect(c);
    }
    switch (options_.filter.decide(*host)) {
      case DomainVerdict::Denied:
        return refuse(c, *host, port, "denied by --deny-domain");
      case DomainVerdict::NotAllowed:
        if (!options_.ask) return refuse(c, *host, port, "not in the allowlist", "--allow-domain " + *host);
        // One question is on the terminal at a time; a flood of names waits no further.
        if (shared_->asking >= kMaxAsking)
          return refuse(c, *host, port, "not in the allowlist (too many questions waiting)",
                        "--allow-domain " + *host);
        c.phase = Phase::Resolving;  // the client waits while the user is asked
        set_mask(c.client_ep, c.client.get(), 0);
        return ask_then_resolve(c.id, *host, port);
      case DomainVerdict::Allowed:
        break;
    }
    c.phase = Phase::Resolving;
    set_mask(c.client_ep, c.client.get(), 0);
    for (const auto& [name, addrs] : options_.test_resolve)
      if (name == *host) return accept_addresses(c, addrs, true);
    resolve_async(c.id, *host);
  }

  // From a resolving or asking thread: the answer queued for the event loop, which is woken.
  static void post_answer(ProxyServer::Shared& shared, ProxyServer::Shared::Answer a) {
    {
      std::lock_guard<std::mutex> lock(shared.mu);
      shared.answers.push_back(std::move(a));
    }
    uint64_t one = 1;
    ssize_t ignored = ::write(shared.wake.get(), &one, sizeof one);
    (void)ignored;
  }

  void resolve_async(uint64_t id, const std::string& host) {
    std::thread([shared = shared_, id, host] {
      ProxyServer::Shared::Answer a;
      a.conn = id;
      a.addresses = resolve_host(host, a.gai_error);
      post_answer(*shared, std::move(a));
    }).detach();
  }

  // --ask: the question on a thread of its own (the event loop goes on), then the name
  // resolved as an allowed one would be.
  void ask_then_resolve(uint64_t id, const std::string& host, uint16_t port) {
    std::vector<IpAddress> overridden;
    bool is_overridden = false;
    for (const auto& [name, addrs] : options_.test_resolve)
      if (name == host) overridden = addrs, is_overridden = true;
    ++shared_->asking;
    std::thread([shared = shared_, ask = options_.ask, id, host, port, overridden, is_overridden] {
      ProxyServer::Shared::Answer a;
      a.conn = id;
      const bool granted = ask(host, port, "proxy");
      --shared->asking;
      if (!granted) {
        a.not_granted = true;
      } else if (is_overridden) {
        a.addresses = overridden;
        a.overridden = true;
      } else {
        a.addresses = resolve_host(host, a.gai_error);
      }
      post_answer(*shared, std::move(a));
    }).detach();
  }

  void on_answers() {
    uint64_t count;
    ssize_t ignored = ::read(shared_->wake.get(), &count, sizeof count);
    (void)ignored;
    std::deque<ProxyServer::Shared::Answer> answers;
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      answers.swap(shared_->answers);
    }
    for (auto& a : answers) {
      auto it = conns_.find(a.conn);
      if (it == conns_.end() || it->second->dead) continue;
      Conn& c = *it->second;
      if (a.not_granted) {
        refuse(c, c.host, c.port, "not in the allowlist (asked: not granted)", "--allow-domain " + c.host);
        continue;
      }
      if (a.gai_error != 0 || a.addresses.empty()) {
        refuse(c, c.host, c.port, std::string("name does not resolve (") + ::gai_strerror(a.gai_error) + ")");
        continue;
      }
      accept_addresses(c, a.addresses, a.overridden);
    }
  }

  void accept_addresses(Conn& c, const std::vector<IpAddress>& all, bool overridden) {
    GuardedAddresses g = guard_addresses(options_, c.host, all, overridden);
    if (g.ok.empty()) return refuse(c, c.host, c.port, g.refusal, g.suggestion);
    c.addresses = std::move(g.ok);
    c.phase = Phase::Connecting;
    start_connect(c);
  }

  void start_connect(Conn& c) {
    while (c.next_address < c.addresses.size()) {
      const IpAddress& a = c.addresses[c.next_address++];
      sockaddr_storage ss{};
      socklen_t len;
      if (a.v6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(c.port);
        std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
        len = sizeof *s6;
      } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(c.port);
        std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
        len = sizeof *s4;
      }
      UniqueFd fd(::socket(a.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      if (!fd.valid()) {
        c.last_connect_error = errno;
        continue;
      }
      int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0 || errno == EINPROGRESS) {
        c.upstream = std::move(fd);
        c.upstream_ep.registered = false;
        set_mask(c.upstream_ep, c.upstream.get(), EPOLLOUT);
        if (c.client_ep.registered) set_mask(c.client_ep, c.client.get(), 0);
        return;
      }
      c.last_connect_error = errno;
    }
    const std::string why = "cannot connect to " + c.host + ":" + std::to_string(c.port) + ": " +
                            std::strerror(c.last_connect_error ? c.last_connect_error : ECONNREFUSED);
    fail(c, 502, c.last_connect_error == ENETUNREACH ? 0x03 : 0x05, why);
  }

  void connected(Conn& c) {
    c.phase = Phase::Relaying;
    if (!c.relay.open()) return fail(c, 502, 0x01, std::string("pipe2: ") + std::strerror(errno));
    std::string leftover = c.inbuf;
    c.inbuf.clear();
    if (c.kind == ListenerKind::Socks) {
      c.relay.to_client(socks_reply(0x00));
    } else if (c.kind == ListenerKind::Http && c.connect_tunnel) {
      c.relay.to_client("HTTP/1.1 200 Connection established\r\n\r\n");
    }
    if (c.kind == ListenerKind::Http && !c.connect_tunnel) leftover = c.forward_head + leftover;
    if (!leftover.empty()) c.relay.to_upstream(leftover);
    // Registered once for the rest of the connection (edge-triggered, see relay.hpp).
    set_mask(c.client_ep, c.client.get(), kRelayEvents);
    set_mask(c.upstream_ep, c.upstream.get(), kRelayEvents);
    pump(c);
  }

  void reap() {
    bool closed = false;
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (it->second->dead) {
        it = conns_.erase(it), closed = true;
      } else {
        ++it;
      }
    }
    if (closed) pause_listeners(false);
  }

  friend struct Endpoint;
  const ProxyOptions& options_;
  std::shared_ptr<ProxyServer::Shared> shared_;
  int stop_fd_;
  UniqueFd epoll_;
  Wake wake_handler_;
  Stop stop_handler_;
  bool stopping_ = false;
  bool listeners_paused_ = false;
  uint64_t next_id_ = 0;
  std::vector<uint64_t> busy_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;

 public:
  void handle(Endpoint& ep, uint32_t events) {
    Conn& c = *ep.conn;
    if (c.dead) return;
    if (c.phase == Phase::Relaying) {
      c.relay.note(ep.upstream, events);
      return pump(c);
    }
    if (ep.upstream) return on_upstream_event(c, events);
    if (c.phase == Phase::Resolving || c.phase == Phase::Connecting) {
      if (events & (EPOLLHUP | EPOLLERR)) c.dead = true;  // gave up while we were busy
      return;
    }
    on_client_readable(c);
  }
};

void Endpoint::on_event(uint32_t events) {
  conn->loop->handle(*this, events);
}

void Loop::on_client_readable(Conn& c) {
  char buf[16 * 1024];
  ssize_t n = ::recv(c.client.get(), buf, sizeof buf, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    c.dead = true;
    return;
  }
  if (n < 0) return;
  c.inbuf.append(buf, static_cast<size_t>(n));
  if (c.kind == ListenerKind::Http) {
    auto r = parse_http_proxy_request(c.inbuf);
    if (r.state == ParseState::NeedMore) return;
    if (r.state == ParseState::Bad) return fail(c, 400, 0x01, r.error);
    c.inbuf.erase(0, r.consumed);
    c.connect_tunnel = r.connect;
    c.forward_head = std::move(r.forward_head);
    return decide(c, r.host, r.port);
  }
  // SOCKS5: greeting, our method choice, then the request.
  if (c.phase == Phase::Request) {
    auto g = parse_socks_greeting(c.inbuf);
    if (g.state == ParseState::NeedMore) return;
    if (g.state == ParseState::Bad) {
      c.dead = true;
      return;
    }
    c.inbuf.erase(0, g.consumed);
    if (!g.no_auth_offered) {
      send_now(c, std::string("\x05\xff", 2));
      c.dead = true;
      return;
    }
    send_now(c, std::string("\x05\x00", 2));
    c.phase = Phase::SocksRequest;
  }
  auto r = parse_socks_request(c.inbuf);
  if (r.state == ParseState::NeedMore) return;
  if (r.state == ParseState::Bad) return fail(c, 400, r.reply_on_error, r.error);
  c.inbuf.erase(0, r.consumed);
  c.connect_tunnel = true;
  decide(c, r.host, r.port);
}

// The upstream socket while connecting: connected, or try the next address.
void Loop::on_upstream_event(Conn& c, uint32_t events) {
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(c.upstream.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err == 0 && (events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLOUT)) err = ECONNREFUSED;
  if (err != 0) {
    c.last_connect_error = err;
    c.upstream.reset();  // closing removes it from epoll
    c.upstream_ep.registered = false;
    return start_connect(c);
  }
  connected(c);
}

void Loop::pump(Conn& c) {
  switch (c.relay.pump(c.client.get(), c.upstream.get())) {
    case PumpResult::Waiting:
      break;
    case PumpResult::Busy:
      busy_.push_back(c.id);
      break;
    case PumpResult::Done:
    case PumpResult::Failed:
      c.dead = true;
      break;
  }
}

// Receives the listeners from the child: HTTP, SOCKS5, then the forwarded ports, on
// 127.0.0.1 and then, when the sandbox has IPv6, the same again on [::1].
bool receive_listeners(int sock, std::vector<UniqueFd>& out, size_t expected) {
  char byte;
  iovec iov{&byte, 1};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * 2 * expected));
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
      out.emplace_back(fd);
    }
  }
  return (out.size() == expected || out.size() == 2 * expected) && !(msg.msg_flags & MSG_CTRUNC);
}

// A listener on the host's 127.0.0.1, on a port the kernel picks (no namespace).
Result<UniqueFd> listen_on_host_loopback(uint16_t& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return os_error("socket", "proxy listener", errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return os_error("bind", "127.0.0.1:0 (proxy)", errno);
  if (::listen(fd.get(), 1024) != 0) return os_error("listen", "127.0.0.1 (proxy)", errno);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return os_error("getsockname", "proxy listener", errno);
  port = ntohs(a.sin_port);
  return fd;
}

}  // namespace

Result<HostProxyListeners> bind_host_proxy_listeners() {
  HostProxyListeners l;
  auto http = listen_on_host_loopback(l.ports.http);
  if (!http) return http.error();
  auto socks = listen_on_host_loopback(l.ports.socks);
  if (!socks) return socks.error();
  l.http = std::move(*http);
  l.socks = std::move(*socks);
  return l;
}

std::vector<IpAddress> resolve_host(const std::string& host, int& gai_error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::vector<IpAddress> out;
  gai_error = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  for (addrinfo* p = res; p; p = p->ai_next) {
    IpAddress ip;
    if (p->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(p->ai_addr);
      std::memcpy(ip.bytes.data(), &sin->sin_addr, 4);
    } else if (p->ai_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(p->ai_addr);
      ip.v6 = true;
      std::memcpy(ip.bytes.data(), &sin6->sin6_addr, 16);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), ip) == out.end()) out.push_back(ip);
  }
  if (res) ::freeaddrinfo(res);
  return out;
}

// The SSRF guard: keep the ordinary addresses, and special-use ones only when an
// allow pattern names them, or the name is an --allow-private-host (but never cloud
// metadata), or for test overrides, 127.0.0.1 and ::1 (where the test servers listen;
// every other loopback address is guarded as usual, so the tests can prove the guard).
GuardedAddresses guard_addresses(const ProxyOptions& options, const std::string& host,
                                 const std::vector<IpAddress>& all, bool overridden) {
  GuardedAddresses g;
  std::string first_reason, first_address;
  const bool private_host = std::find(options.private_hosts.begin(), options.private_hosts.end(), host) !=
                            options.private_hosts.end();
  IpAddress lo4, lo6;
  lo4.bytes[0] = 127, lo4.bytes[3] = 1;
  lo6.v6 = true, lo6.bytes[15] = 1;
  for (const auto& a : all) {
    const std::string why = special_use_reason(a);
    if (why.empty() || options.filter.allows_address(a) || (private_host && why != "cloud metadata") ||
        (overridden && (a == lo4 || a == lo6))) {
      g.ok.push_back(a);
    } else if (first_reason.empty()) {
      first_reason = why, first_address = a.to_string();
    }
  }
  if (!g.ok.empty()) return g;
  if (first_reason.empty()) {
    g.refusal = "name does not resolve";
  } else {
    g.refusal = kGuardRefusalPrefix + first_reason + " address (" + first_address + ")";
    if (!private_host && first_reason != "cloud metadata") g.suggestion = "--allow-private-host " + host;
  }
  return g;
}

Result<std::vector<std::pair<std::string, std::vector<IpAddress>>>> parse_test_resolve(
    const std::string& text) {
  std::vector<std::pair<std::string, std::vector<IpAddress>>> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string entry = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (entry.empty()) continue;
    const size_t eq = entry.find('=');
    auto name = eq == std::string::npos ? Result<std::string>(Error{}) : normalize_host(entry.substr(0, eq));
    auto ip = eq == std::string::npos ? std::nullopt : parse_ip_literal(entry.substr(eq + 1));
    if (!name || !ip)
      return usage_error("CORDON_TEST_RESOLVE", "invalid entry '" + entry + "'",
                         "write name=address[,name=address]");
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == *name; });
    if (it == out.end())
      out.push_back({*name, {*ip}});
    else
      it->second.push_back(*ip);
  }
  return out;
}

ProxyServer::ProxyServer(ProxyOptions options)
    : options_(std::move(options)), shared_(std::make_shared<Shared>()) {}

Result<std::unique_ptr<ProxyServer>> ProxyServer::start(ProxyOptions options) {
  std::unique_ptr<ProxyServer> p(new ProxyServer(std::move(options)));
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return os_error("socketpair", "proxy", errno);
  p->parent_end_.reset(sv[0]);
  p->child_end_.reset(sv[1]);
  p->stop_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!p->stop_fd_.valid() || !p->shared_->wake.valid()) return os_error("eventfd", "proxy", errno);
  if (p->options_.host_listeners) {
    p->host_fds_.push_back(std::move(p->options_.host_listeners->http));
    p->host_fds_.push_back(std::move(p->options_.host_listeners->socks));
    p->options_.host_listeners.reset();
  }
  return p;
}

void ProxyServer::after_clone() {
  child_end_.reset();
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  // The thread must not take process-directed signals: launch() reads SIGCHLD and the
  // forwarded signals from a signalfd, which only sees them while every thread blocks them.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  thread_ = std::thread([this] { thread_main(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void ProxyServer::thread_main() {
  std::vector<UniqueFd> fds = std::move(host_fds_);
  const size_t expected = 2 + options_.forward_ports.size();
  // Blocks until the child sends its listeners, or EOF when it died first. finish()
  // shuts the socket down to end the wait when the child never got that far.
  if (fds.empty() && !receive_listeners(parent_end_.get(), fds, expected)) return;
  Loop loop(options_, shared_, stop_fd_.get());
  if (!loop.init()) return;
  for (size_t i = 0; i < fds.size(); ++i) {
    const size_t slot = i % expected;
    if (slot < 2)
      loop.add_listener(std::move(fds[i]), slot == 0 ? ListenerKind::Http : ListenerKind::Socks, 0);
    else
      loop.add_listener(std::move(fds[i]), ListenerKind::Forward, options_.forward_ports[slot - 2]);
  }
  loop.run();
}

std::vector<ProxyRefusal> ProxyServer::finish() {
  if (!finished_) {
    finished_ = true;
    uint64_t one = 1;
    ssize_t ignored = ::write(stop_fd_.get(), &one, sizeof one);
    (void)ignored;
    ::shutdown(parent_end_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->refusals;
}

ProxyServer::~ProxyServer() {
  finish();
}

std::vector<std::string> summarize_refusals(const std::vector<ProxyRefusal>& refusals) {
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  std::map<std::string, std::string> suggestions;
  for (const auto& r : refusals) {
    std::string line = r.address() + " (" + r.reason + ")";
    if (counts[line]++ == 0) order.push_back(line), suggestions[line] = r.suggestion;
  }
  std::vector<std::string> out;
  for (const auto& line : order) {
    const std::string& s = suggestions[line];
    out.push_back((counts[line] > 1 ? line + " x" + std::to_string(counts[line]) : line) +
                  (s.empty() ? "" : "; allow with " + s));
  }
  return out;
}

}  // namespace cordon

namespace cordon {

Result<ProxyOptions> proxy_options_for(const Policy& policy, std::vector<std::string>& warnings) {
  ProxyOptions o;
  auto filter = DomainFilter::build(policy.net.allow_domains, policy.net.deny_domains);
  if (!filter) return filter.error();
  o.filter = std::move(*filter);
  o.private_hosts = policy.net.allow_private_hosts;
  if (const char* t = std::getenv("CORDON_TEST_RESOLVE"); t && *t) {
    auto r = parse_test_resolve(t);
    if (!r) return r.error();
    o.test_resolve = std::move(*r);
    warnings.push_back(
        "warning: CORDON_TEST_RESOLVE overrides name resolution in the proxy (for tests only)");
  }
  return o;
}

Result<std::unique_ptr<ProxyServer>> start_proxy_for(const Policy& policy, const NetPlan& plan,
                                                     std::optional<HostProxyListeners> listeners,
                                                     std::vector<std::string>& warnings) {
  auto options = proxy_options_for(policy, warnings);
  if (!options) return options.error();
  ProxyOptions o = std::move(*options);
  if (plan.on_host) {
    if (!listeners) return os_error("proxy", "host listeners", EINVAL, "none were bound before planning");
    o.host_listeners = std::move(listeners);
  } else {
    o.forward_ports = plan.localhost_ports;  // on host: reached directly
  }
  return ProxyServer::start(std::move(o));
}

}  // namespace cordon
