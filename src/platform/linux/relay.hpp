// cordon: the byte relay of one proxied connection (used by proxy.cpp).
//
//   Relay r;
//   if (!r.open()) ...                          // two pipes, one per direction
//   r.to_client("HTTP/1.1 200 Connection established\r\n\r\n");   // optional
//   r.to_upstream(rewritten_head + body_so_far);                     // optional
//   // register both sockets once: kRelayEvents (edge-triggered), then on each event:
//   r.note(upstream_side, events);
//   switch (r.pump(client_fd, upstream_fd)) { ... }
//
// Each direction moves socket -> pipe -> socket with splice(), so the stream never
// crosses into user space. The pipe starts at the default size (64 KiB) and grows to
// 1 MiB once a stream fills half of it: short request/response connections keep the
// small pipes, which matters because every user's pipe memory is capped
// (fs.pipe-user-pages-soft).
//
// Edge-triggered epoll: the kernel reports a socket once when it becomes readable or
// writable, so the relay remembers each side's readiness and clears it only when a
// call returns EAGAIN. No epoll_ctl per chunk, and no attempt that is known to fail.
// Out of descriptors (a pipe costs two), a direction falls back to a 64 KiB buffer
// in user space (recv/send): slower, but the connection works.
//
// A half-close travels: end of stream from one side becomes shutdown(SHUT_WR) on
// the other once its pipe is empty; the relay is done when both directions are.
#pragma once

#include <sys/epoll.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "platform/linux/unique_fd.hpp"

namespace cordon {

inline constexpr uint32_t kRelayEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

enum class PumpResult {
  Waiting,  // both directions wait for the kernel (an epoll event will come)
  Busy,     // stopped after max_rounds with more to do: pump again soon (fairness)
  Done,     // both directions ended: close
  Failed,   // a socket error (reset, broken pipe): close
};

class Relay {
 public:
  [[nodiscard]] bool open();
  void to_client(std::string_view bytes) { u2c_.preload(bytes); }
  void to_upstream(std::string_view bytes) { c2u_.preload(bytes); }
  // An epoll event for one side: marks what it reports as ready.
  void note(bool upstream_side, uint32_t events);
  PumpResult pump(int client, int upstream, int max_rounds = 8);

 private:
  struct Side {
    bool readable = true, writable = true;  // until a call says EAGAIN
  };
  struct Direction {
    std::string pre;  // bytes the proxy sends before the stream (replies, request heads)
    size_t pre_off = 0;
    UniqueFd read_end, write_end;
    std::string buffer;  // only without a pipe
    size_t in_pipe = 0, capacity = 0;
    bool grown = false, eof = false, shut = false;
    void preload(std::string_view s) { pre.assign(s), pre_off = 0; }
    bool open();
    ssize_t fill(int from);  // socket -> pipe (or buffer)
    ssize_t drain(int to);   // pipe (or buffer) -> socket
    // One pass: returns true when something moved or changed; sets `failed` on errors.
    bool step(int from, Side& source, int to, Side& sink, bool& failed);
  };
  Direction c2u_, u2c_;
  Side client_, upstream_;
};

}  // namespace cordon
