#include "platform/linux/direct_route.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "core/dns_message.hpp"
#include "core/domain_pattern.hpp"
#include "core/ip_address.hpp"

namespace cordon {
namespace {

constexpr uint32_t kV4Base = 0xC6120000;                                // 198.18.0.0/15 (RFC 2544)
constexpr uint32_t kV4Count = (1u << 17) - 2;                           // .0 and the last address left out
constexpr uint8_t kV6Prefix[6] = {0x20, 0x01, 0x00, 0x02, 0x00, 0x00};  // 2001:2::/48 (RFC 5180)
constexpr uint32_t kV6Count = 1u << 20;
constexpr size_t kMaxNames = 4096;      // names decided per run
constexpr int kMaxResolving = 32;       // lookups outside at once
constexpr size_t kMaxPending = 16;      // queries waiting per name
constexpr size_t kMaxRefusals = 10000;  // as the proxy
constexpr uint32_t kTtl = 60;           // the answer stands for the whole run anyway
constexpr int kRcodeServfail = 2;
constexpr int kRcodeNxdomain = 3;

std::array<uint8_t, 16> v4_synthetic(uint32_t index) {
  std::array<uint8_t, 16> b{};
  const uint32_t a = kV4Base + 1 + index;
  b[0] = static_cast<uint8_t>(a >> 24), b[1] = static_cast<uint8_t>(a >> 16);
  b[2] = static_cast<uint8_t>(a >> 8), b[3] = static_cast<uint8_t>(a);
  return b;
}

std::array<uint8_t, 16> v6_synthetic(uint32_t index) {
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), kV6Prefix, sizeof kV6Prefix);
  const uint32_t a = index + 1;
  b[12] = static_cast<uint8_t>(a >> 24), b[13] = static_cast<uint8_t>(a >> 16);
  b[14] = static_cast<uint8_t>(a >> 8), b[15] = static_cast<uint8_t>(a);
  return b;
}

}  // namespace

struct DirectRoute::State {
  explicit State(ProxyOptions o) : options(std::move(o)) {}
  ProxyOptions options;  // options.ask is set before the supervisor's thread starts, then only read
  std::mutex mu;
  struct Pending {
    std::shared_ptr<UniqueFd> sock;
    sockaddr_storage from{};
    socklen_t from_len = 0;
    std::string query;
  };
  struct Name {
    bool decided = false;
    bool refused = false;
    int rcode = 0;
    std::vector<uint32_t> v4, v6;  // indexes into the tables below
    std::vector<Pending> pending;
  };
  std::map<std::string, Name> names;
  struct Synthetic {
    std::string name;
    IpAddress real;
  };
  std::vector<Synthetic> v4, v6;
  std::vector<Denial> refusals;
  size_t refusals_total = 0;
  int resolving = 0;
  std::map<int, std::shared_ptr<UniqueFd>>
      socks;  // copies of the name server's sockets, for resolver threads

  void refuse(const std::string& name, const std::string& why, const std::string& suggestion) {
    if (refusals_total++ < kMaxRefusals)
      refusals.push_back(
          Denial{"resolve", "", name, "network: " + why + " (looked up inside the sandbox)", suggestion});
  }

  // The reply for a decided name (under mu).
  std::string reply_for(const Name& n, const std::string& query) const {
    std::string out;
    std::vector<std::array<uint8_t, 16>> addrs;
    const auto q = dns_question(query);
    if (q && q->klass == 1 && !n.refused) {
      if (q->type == 1)
        for (uint32_t i : n.v4) addrs.push_back(v4_synthetic(i));
      if (q->type == 28)
        for (uint32_t i : n.v6) addrs.push_back(v6_synthetic(i));
    }
    (void)address_reply(query, n.refused ? n.rcode : 0, addrs, kTtl, out);
    return out;
  }

  // The replies to a decided name's waiting queries (under mu); sent after mu is let go.
  using Replies = std::vector<std::pair<Pending, std::string>>;
  Replies take_replies(Name& n) const {
    Replies out;
    for (auto& p : n.pending) {
      std::string reply = reply_for(n, p.query);
      out.emplace_back(std::move(p), std::move(reply));
    }
    n.pending.clear();
    return out;
  }
  static void send_replies(const Replies& replies) {
    for (const auto& [p, reply] : replies)
      if (!reply.empty())
        (void)::sendto(p.sock->get(), reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&p.from), p.from_len);
  }

  // --ask: the name was not granted: "no such name" for the run, as without --ask.
  static void not_granted(const std::shared_ptr<State>& st, const std::string& host) {
    Replies replies;
    {
      std::lock_guard<std::mutex> lock(st->mu);
      Name& n = st->names[host];
      n.decided = n.refused = true;
      n.rcode = kRcodeNxdomain;
      --st->resolving;
      st->refuse(host, "not in the allowlist (asked: not granted)", "--allow-domain " + host);
      replies = st->take_replies(n);
    }
    send_replies(replies);
  }

  // A name's addresses arrived (a thread, or at once for a test override): decide,
  // give each kept address its own, answer the waiting queries.
  static void decided(const std::shared_ptr<State>& st, const std::string& host,
                      const std::vector<IpAddress>& all, bool overridden, int gai_error) {
    GuardedAddresses g = guard_addresses(st->options, host, all, overridden);
    Replies replies;
    {
      std::lock_guard<std::mutex> lock(st->mu);
      Name& n = st->names[host];
      n.decided = true;
      --st->resolving;
      for (const auto& a : g.ok) {
        auto& table = a.v6 ? st->v6 : st->v4;
        if (table.size() >= (a.v6 ? kV6Count : kV4Count)) break;
        (a.v6 ? n.v6 : n.v4).push_back(static_cast<uint32_t>(table.size()));
        table.push_back({host, a});
      }
      if (n.v4.empty() && n.v6.empty()) {
        n.refused = true;
        n.rcode = g.ok.empty() ? kRcodeNxdomain : kRcodeServfail;
        std::string why = g.ok.empty() ? g.refusal : "too many addresses in this run";
        if (g.ok.empty() && gai_error != 0)
          why = std::string("name does not resolve (") + ::gai_strerror(gai_error) + ")";
        st->refuse(host, why, g.suggestion);
      }
      replies = st->take_replies(n);
    }
    send_replies(replies);
  }
};

void DirectRoute::set_ask(std::function<bool(const std::string&, uint16_t, const char*)> ask) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->options.ask = std::move(ask);
}

DirectRoute::DirectRoute(ProxyOptions options) : state_(std::make_shared<State>(std::move(options))) {}

DirectRoute::~DirectRoute() = default;  // resolver threads hold the state until they end

void DirectRoute::answer(int sock) {
  const std::shared_ptr<State>& st = state_;
  std::shared_ptr<UniqueFd> own;
  {
    std::lock_guard<std::mutex> lock(st->mu);
    auto& s = st->socks[sock];
    if (!s) s = std::make_shared<UniqueFd>(::fcntl(sock, F_DUPFD_CLOEXEC, 0));
    own = s;
  }
  if (!own->valid()) return;
  char buf[1500];
  for (int i = 0; i < 64; ++i) {
    State::Pending p;
    p.sock = own;
    p.from_len = sizeof p.from;
    const ssize_t got = ::recvfrom(sock, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC,
                                   reinterpret_cast<sockaddr*>(&p.from), &p.from_len);
    if (got < 0) return;
    p.query.assign(buf, std::min(static_cast<size_t>(got), sizeof buf));
    const auto q = dns_question(p.query);
    if (!q) continue;  // not a standard query: no answer, as with the network off
    auto host = normalize_host(q->name);
    std::string reply;
    bool resolve = false, overridden = false, ask_first = false;
    std::vector<IpAddress> addrs;
    {
      std::lock_guard<std::mutex> lock(st->mu);
      DomainVerdict verdict = DomainVerdict::NotAllowed;
      // An IP literal is never looked up by name (and an address as a name is not one).
      if (host && !parse_ip_literal(*host)) verdict = st->options.filter.decide(*host);
      auto it = host ? st->names.find(*host) : st->names.end();
      // --ask: a name only not on the allowlist is asked about first (on its resolver thread).
      const bool askable = verdict == DomainVerdict::NotAllowed && st->options.ask && host &&
                           !parse_ip_literal(*host) && it == st->names.end();
      if (verdict != DomainVerdict::Allowed && !askable && it == st->names.end()) {
        if (host && it == st->names.end() && st->names.size() < kMaxNames) {
          State::Name& n = st->names[*host];
          n.decided = n.refused = true;
          n.rcode = kRcodeNxdomain;
          st->refuse(*host,
                     verdict == DomainVerdict::Denied ? "denied by --deny-domain" : "not in the allowlist",
                     verdict == DomainVerdict::Denied ? "" : "--allow-domain " + *host);
        }
        (void)address_reply(p.query, kRcodeNxdomain, {}, kTtl, reply);
      } else if (verdict == DomainVerdict::Denied) {  // an earlier answer never outweighs --deny-domain
        (void)address_reply(p.query, kRcodeNxdomain, {}, kTtl, reply);
      } else if (it != st->names.end() && it->second.decided) {
        reply = st->reply_for(it->second, p.query);
      } else if (it != st->names.end()) {  // being resolved: answered when it is
        if (it->second.pending.size() < kMaxPending) it->second.pending.push_back(std::move(p));
      } else if (st->names.size() >= kMaxNames || st->resolving >= kMaxResolving) {
        (void)address_reply(p.query, kRcodeServfail, {}, kTtl, reply);
      } else {
        State::Name& n = st->names[*host];
        n.pending.push_back(std::move(p));
        ++st->resolving;
        resolve = true;
        ask_first = askable;
        for (const auto& [name, a] : st->options.test_resolve)
          if (name == *host) overridden = true, addrs = a;
      }
    }
    if (!reply.empty())
      (void)::sendto(sock, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&p.from), p.from_len);
    if (!resolve) continue;
    if (ask_first) {
      std::thread([st, name = *host, overridden, addrs] {
        if (!st->options.ask(name, 0, "name server")) return State::not_granted(st, name);
        int gai = 0;
        const auto all = overridden ? addrs : resolve_host(name, gai);
        State::decided(st, name, all, overridden, gai);
      }).detach();
    } else if (overridden) {
      State::decided(st, *host, addrs, true, 0);
    } else {
      std::thread([st, name = *host] {
        int gai = 0;
        const auto all = resolve_host(name, gai);
        State::decided(st, name, all, false, gai);
      }).detach();
    }
  }
}

std::optional<DirectRoute::Target> DirectRoute::target(int family, const sockaddr_storage& sa,
                                                       size_t len) const {
  if (sa.ss_family != family) return std::nullopt;
  bool v6 = false;
  uint32_t index = 0;
  bool in_range = false, well_formed = false;
  uint16_t port = 0;
  char text[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in s{};
    std::memcpy(&s, &sa, sizeof s);
    const uint32_t a = ntohl(s.sin_addr.s_addr);
    in_range = (a >> 17) == (kV4Base >> 17);
    well_formed = a > kV4Base && a - kV4Base - 1 < kV4Count;
    index = a - kV4Base - 1;
    port = ntohs(s.sin_port);
    ::inet_ntop(AF_INET, &s.sin_addr, text, sizeof text);
  } else if (family == AF_INET6 && len >= 24) {  // the kernel takes RFC 2133's 24 bytes
    sockaddr_in6 s{};
    std::memcpy(&s, &sa, std::min(len, sizeof s));
    const uint8_t* b = s.sin6_addr.s6_addr;
    port = ntohs(s.sin6_port);
    ::inet_ntop(AF_INET6, &s.sin6_addr, text, sizeof text);
    if (IN6_IS_ADDR_V4MAPPED(&s.sin6_addr)) {
      const uint32_t a = static_cast<uint32_t>(b[12]) << 24 | b[13] << 16 | b[14] << 8 | b[15];
      in_range = (a >> 17) == (kV4Base >> 17);
      well_formed = a > kV4Base && a - kV4Base - 1 < kV4Count;
      index = a - kV4Base - 1;
    } else {
      v6 = true;
      in_range = std::memcmp(b, kV6Prefix, sizeof kV6Prefix) == 0;
      const uint32_t a = static_cast<uint32_t>(b[12]) << 24 | b[13] << 16 | b[14] << 8 | b[15];
      bool middle_zero = true;
      for (int i = 6; i < 12; ++i) middle_zero = middle_zero && b[i] == 0;
      well_formed = middle_zero && a > 0 && a - 1 < kV6Count;
      index = a - 1;
    }
  } else {
    return std::nullopt;
  }
  if (!in_range) return std::nullopt;
  Target t;
  t.address =
      (family == AF_INET6 ? "[" + std::string(text) + "]" : std::string(text)) + ":" + std::to_string(port);
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto& table = v6 ? state_->v6 : state_->v4;
  if (!well_formed || index >= table.size()) return t;  // in the range, never answered
  const State::Synthetic& s = table[index];
  t.known = true;
  t.name = s.name;
  if (family == AF_INET) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    std::memcpy(&to.sin_addr, s.real.bytes.data(), 4);
    std::memcpy(&t.to, &to, sizeof to);
    t.len = sizeof to;
  } else {
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    to.sin6_port = htons(port);
    if (s.real.v6) {
      std::memcpy(&to.sin6_addr, s.real.bytes.data(), 16);
    } else {  // an IPv4 upstream for an AF_INET6 socket: IPv4-mapped, as the command asked
      to.sin6_addr.s6_addr[10] = to.sin6_addr.s6_addr[11] = 0xFF;
      std::memcpy(&to.sin6_addr.s6_addr[12], s.real.bytes.data(), 4);
    }
    std::memcpy(&t.to, &to, sizeof to);
    t.len = sizeof to;
  }
  return t;
}

void DirectRoute::drain(std::vector<Denial>& out) {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (auto& d : state_->refusals) out.push_back(std::move(d));
  state_->refusals.clear();
}

}  // namespace cordon
