// cordon: the request side of the two proxy protocols, as pure parsers.
//
//   auto h = parse_http_proxy_request(buffer);  // NeedMore until "\r\n\r\n" arrives
//   if (h.state == ParseState::Done) connect(h.host, h.port), send(h.forward_head) ...
//
// HTTP: "CONNECT host:port HTTP/1.1" (a tunnel) or a plain request with an
// absolute http:// URI, which is rewritten to origin form with "Connection: close"
// and without Proxy-* headers (one request per connection). SOCKS5 (RFC 1928):
// no authentication, CONNECT only; address types IPv4, domain name and IPv6.
// Pure: no system calls; unit-tested and portable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cordon {

enum class ParseState { NeedMore, Done, Bad };

inline constexpr size_t kMaxRequestHead = size_t{64} * 1024;

struct HttpProxyRequest {
  ParseState state = ParseState::NeedMore;
  size_t consumed = 0;   // bytes of the head (the rest of the buffer is body)
  bool connect = false;  // CONNECT tunnel
  std::string host;      // as written (brackets removed from IPv6)
  uint16_t port = 0;
  std::string forward_head;  // plain requests: the head to send upstream
  std::string error;         // Bad: why (sent back as 400)
};
HttpProxyRequest parse_http_proxy_request(std::string_view buffer);

struct SocksGreeting {
  ParseState state = ParseState::NeedMore;
  size_t consumed = 0;
  bool no_auth_offered = false;
};
SocksGreeting parse_socks_greeting(std::string_view buffer);

struct SocksRequest {
  ParseState state = ParseState::NeedMore;
  size_t consumed = 0;
  uint8_t reply_on_error = 0x01;  // Bad: the SOCKS reply code to send
  std::string host;               // domain, or IP text for address types 1 and 4
  uint16_t port = 0;
  std::string error;
};
SocksRequest parse_socks_request(std::string_view buffer);

// SOCKS5 reply with BND.ADDR 0.0.0.0:0.
std::string socks_reply(uint8_t code);

}  // namespace cordon
