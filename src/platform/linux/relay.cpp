#include "platform/linux/relay.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace cordon {
namespace {

// The largest pipe an unprivileged process may ask for by default (fs.pipe-max-size).
constexpr int kLargePipe = 1024 * 1024;

bool would_block(int err) {
  return err == EAGAIN || err == EINTR;
}

}  // namespace

constexpr size_t kFallbackBuffer = 64 * 1024;

bool Relay::Direction::open() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    if (errno != EMFILE && errno != ENFILE) return false;
    buffer.resize(kFallbackBuffer);
    capacity = kFallbackBuffer, grown = true;
    return true;
  }
  read_end.reset(fds[0]), write_end.reset(fds[1]);
  int size = ::fcntl(fds[1], F_GETPIPE_SZ);
  capacity = size > 0 ? static_cast<size_t>(size) : 4096;
  return true;
}

// The buffer holds the pending bytes at its start: [0, in_pipe).
ssize_t Relay::Direction::fill(int from) {
  if (write_end.valid())
    return ::splice(from, nullptr, write_end.get(), nullptr, capacity - in_pipe,
                    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  return ::recv(from, buffer.data() + in_pipe, capacity - in_pipe, MSG_DONTWAIT);
}

ssize_t Relay::Direction::drain(int to) {
  if (read_end.valid())
    return ::splice(read_end.get(), nullptr, to, nullptr, in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  ssize_t n = ::send(to, buffer.data(), in_pipe, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) std::memmove(buffer.data(), buffer.data() + n, in_pipe - static_cast<size_t>(n));
  return n;
}

bool Relay::open() {
  return c2u_.open() && u2c_.open();
}

void Relay::note(bool upstream_side, uint32_t events) {
  Side& s = upstream_side ? upstream_ : client_;
  // Errors and hang-ups make both calls return at once, with the reason.
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s.readable = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) s.writable = true;
}

bool Relay::Direction::step(int from, Side& source, int to, Side& sink, bool& failed) {
  bool progress = false;
  while (pre_off < pre.size()) {
    if (!sink.writable) return progress;
    ssize_t n = ::send(to, pre.data() + pre_off, pre.size() - pre_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      pre_off += static_cast<size_t>(n), progress = true;
      continue;
    }
    if (n < 0 && would_block(errno)) {
      sink.writable = errno == EINTR;
      return progress;
    }
    failed = true;
    return progress;
  }
  if (!eof && source.readable && in_pipe < capacity) {
    ssize_t n = fill(from);
    if (n > 0) {
      in_pipe += static_cast<size_t>(n), progress = true;
      // A stream, not a request: give it the large pipe (once; refused past the
      // user's pipe quota, which leaves the default size).
      if (!grown && in_pipe * 2 >= capacity) {
        grown = true;
        int size = ::fcntl(write_end.get(), F_SETPIPE_SZ, kLargePipe);
        if (size > 0) capacity = static_cast<size_t>(size);
      }
    } else if (n == 0) {
      eof = true, progress = true;
    } else if (would_block(errno)) {
      // With bytes in the pipe, EAGAIN may mean the pipe has no free slot rather than
      // an empty socket: keep trying after the pipe drains.
      if (errno == EAGAIN && in_pipe == 0) source.readable = false;
    } else {
      failed = true;
      return progress;
    }
  }
  if (in_pipe > 0 && sink.writable) {
    ssize_t n = drain(to);
    if (n > 0) {
      in_pipe -= static_cast<size_t>(n), progress = true;
    } else if (n < 0 && would_block(errno)) {
      if (errno == EAGAIN) sink.writable = false;
    } else {
      failed = true;
      return progress;
    }
  }
  if (eof && in_pipe == 0 && !shut) {
    ::shutdown(to, SHUT_WR);  // pass the half-close on
    shut = true, progress = true;
  }
  return progress;
}

PumpResult Relay::pump(int client, int upstream, int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    bool failed = false;
    const bool up = c2u_.step(client, client_, upstream, upstream_, failed);
    const bool down = !failed && u2c_.step(upstream, upstream_, client, client_, failed);
    if (failed) return PumpResult::Failed;
    if (c2u_.shut && u2c_.shut) return PumpResult::Done;
    if (!up && !down) return PumpResult::Waiting;
  }
  return PumpResult::Busy;
}

}  // namespace cordon
