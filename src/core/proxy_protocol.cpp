#include "core/proxy_protocol.hpp"

#include <algorithm>
#include <vector>

#include "core/domain_pattern.hpp"

namespace cordon {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

bool parse_port(std::string_view s, uint16_t& out) {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

// "host", "host:port", "[v6]", "[v6]:port".
bool split_authority(std::string_view a, std::string& host, uint16_t& port, bool port_required) {
  std::string_view h = a, p;
  if (!a.empty() && a.front() == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) return false;
    h = a.substr(1, close - 1);
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      p = rest.substr(1);
      if (p.empty()) return false;
    }
  } else {
    const size_t colon = a.rfind(':');
    if (colon != std::string_view::npos) {
      if (a.find(':') != colon) return false;  // bare IPv6 needs brackets
      h = a.substr(0, colon);
      p = a.substr(colon + 1);
      if (p.empty()) return false;
    }
  }
  if (h.empty()) return false;
  host = std::string(h);
  if (p.empty()) return !port_required;
  return parse_port(p, port);
}

bool is_hop_by_hop(std::string_view name) {
  for (const char* h : {"proxy-connection", "proxy-authorization", "connection", "keep-alive"})
    if (iequals(name, h)) return true;
  return false;
}

}  // namespace

HttpProxyRequest parse_http_proxy_request(std::string_view buf) {
  HttpProxyRequest r;
  const size_t end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buf.size() > kMaxRequestHead) r.state = ParseState::Bad, r.error = "request head too large";
    return r;
  }
  if (end + 4 > kMaxRequestHead) {
    r.state = ParseState::Bad, r.error = "request head too large";
    return r;
  }
  r.consumed = end + 4;
  r.state = ParseState::Bad;
  std::string_view head = buf.substr(0, end);
  const size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  std::string_view headers =
      line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    r.error = "malformed request line";
    return r;
  }
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (method.empty() || version.substr(0, 5) != "HTTP/") {
    r.error = "malformed request line";
    return r;
  }
  if (method == "CONNECT") {
    r.connect = true;
    if (!split_authority(target, r.host, r.port, true)) {
      r.error = "CONNECT needs host:port";
      return r;
    }
    r.state = ParseState::Done;
    return r;
  }
  constexpr std::string_view scheme = "http://";
  if (target.size() < scheme.size() || !iequals(target.substr(0, scheme.size()), scheme)) {
    r.error = target.substr(0, 8) == "https://" ? "https:// URLs need CONNECT (set HTTPS_PROXY)"
                                                : "a proxy request needs an absolute http:// URL";
    return r;
  }
  std::string_view rest = target.substr(scheme.size());
  const size_t path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string path = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (path[0] != '/') path = "/" + path;
  if (const size_t hash = path.find('#'); hash != std::string::npos) path.erase(hash);
  if (authority.find('@') != std::string_view::npos) {
    r.error = "credentials in the URL are not supported";
    return r;
  }
  r.port = 80;
  if (!split_authority(authority, r.host, r.port, false)) {
    r.error = "invalid host in URL";
    return r;
  }
  std::string out = std::string(method) + " " + path + " " + std::string(version) + "\r\n";
  bool has_host = false;
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t eol = headers.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = headers.size();
    std::string_view h = headers.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      r.error = "malformed header";
      return r;
    }
    std::string_view name = h.substr(0, colon);
    if (is_hop_by_hop(name)) continue;
    if (iequals(name, "host")) has_host = true;
    out.append(h).append("\r\n");
  }
  if (!has_host) out += "Host: " + std::string(authority) + "\r\n";
  out += "Connection: close\r\n\r\n";
  r.forward_head = std::move(out);
  r.state = ParseState::Done;
  return r;
}

SocksGreeting parse_socks_greeting(std::string_view b) {
  SocksGreeting g;
  if (b.size() < 2) return g;
  if (static_cast<uint8_t>(b[0]) != 5) {
    g.state = ParseState::Bad;
    return g;
  }
  const size_t n = static_cast<uint8_t>(b[1]);
  if (b.size() < 2 + n) return g;
  for (size_t i = 0; i < n; ++i)
    if (b[2 + i] == 0) g.no_auth_offered = true;
  g.consumed = 2 + n;
  g.state = ParseState::Done;
  return g;
}

SocksRequest parse_socks_request(std::string_view b) {
  SocksRequest r;
  if (b.size() < 5) return r;
  auto bad = [&](uint8_t code, const char* why) {
    r.state = ParseState::Bad;
    r.reply_on_error = code;
    r.error = why;
    return r;
  };
  if (static_cast<uint8_t>(b[0]) != 5) return bad(0x01, "not SOCKS version 5");
  if (b[1] != 1) return bad(0x07, "only CONNECT is supported");
  const auto atyp = static_cast<uint8_t>(b[3]);
  size_t addr_len;
  size_t addr_at = 4;
  if (atyp == 1)
    addr_len = 4;
  else if (atyp == 4)
    addr_len = 16;
  else if (atyp == 3)
    addr_len = static_cast<uint8_t>(b[4]), addr_at = 5;
  else
    return bad(0x08, "unsupported address type");
  if (b.size() < addr_at + addr_len + 2) return r;
  std::string_view addr = b.substr(addr_at, addr_len);
  if (atyp == 3) {
    if (addr.empty() || addr.find('\0') != std::string_view::npos)
      return bad(0x01, "empty or invalid domain name");
    r.host = std::string(addr);
  } else {
    IpAddress a;
    a.v6 = atyp == 4;
    std::copy(addr.begin(), addr.end(), a.bytes.begin());
    r.host = a.to_string();
  }
  r.port = static_cast<uint16_t>(static_cast<uint8_t>(b[addr_at + addr_len]) << 8 |
                                 static_cast<uint8_t>(b[addr_at + addr_len + 1]));
  if (r.port == 0) return bad(0x01, "port 0");
  r.consumed = addr_at + addr_len + 2;
  r.state = ParseState::Done;
  return r;
}

std::string socks_reply(uint8_t code) {
  return std::string{'\x05', static_cast<char>(code), '\x00', '\x01', '\0', '\0', '\0', '\0', '\0', '\0'};
}

}  // namespace cordon
