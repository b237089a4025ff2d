// cordon (Windows, stage 2): the frames cordon.exe and cordon-runner.exe exchange.
//
//   std::string wire = runner::encode(runner::Stdin{"abc", false}).value();
//   runner::FrameDecoder in(runner::Direction::ToRunner);
//   in.feed(bytes_from_pipe);                          // any chunking
//   while (auto m = in.next()) {                       // std::optional<Result<Message>>
//     if (!*m) { send Error frame; close; }            // malformed: never resynchronise
//     std::visit(handler, **m);
//   }
//
// A frame is a 4-byte little-endian body length, then a JSON object of that length:
// {"version": 1, "type": "...", ...fields}. The length is checked against the cap
// before a byte of the body is buffered. Every field is required unless noted, has an
// exact JSON type, and an unknown type, field or version is an error (a newer peer
// must not be half-understood). Binary data (stdin, output) travels as base64.
//
//   caller -> runner: start, stdin, terminate, resize
//   runner -> caller: started, stdout, stderr, exit, error
//
// With `tty` in start, the runner runs the command on a pseudoconsole of that size
// (rows, columns): stdin frames are the keys typed into it, stdout frames what it
// renders (stderr is on it too), resize frames follow the caller's window.
//
// Pure C++ (no <windows.h>): unit-tested on Linux and fuzzed (fuzz/runner_frame_fuzz.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace cordon::win::runner {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxFrameBody = 8u << 20;  // 8 MiB, as in the Codex runner
inline constexpr size_t kHeaderSize = 4;
// Output and stdin are cut into chunks of at most this many bytes (base64 grows them
// by a third, far below the cap).
inline constexpr size_t kMaxChunk = 64u << 10;
// A pseudoconsole's rows and columns: 1..1000 each, as `--tty-size` takes them (the
// caller clamps its window to this). A COORD holds a SHORT: 0 or 65535 never reach it.
inline constexpr uint16_t kMaxTtySide = 1000;

// caller -> runner: what to run and how to build the write-restricted token.
struct Start {
  std::vector<std::string> argv;  // argv[0] resolved on PATH by the runner
  std::string cwd;
  std::vector<std::string> env;              // "NAME=VALUE", complete (before safe.directory)
  std::vector<std::string> capability_sids;  // restricting SIDs; the runner adds its logon SID and Everyone
  std::string run_sid;                 // TokenSpec::run (planner.hpp): restricting, and the default DACL
  std::optional<uint64_t> timeout_ms;  // the runner ends the job after this; exit reports timed_out
  bool tty = false;                    // a pseudoconsole of rows x columns instead of pipes
  uint16_t rows = 24, columns = 80;    // sent only with tty; each 1..kMaxTtySide
  bool private_desktop = true;
  std::vector<std::string> safe_directories;  // git safe.directory entries (plan/windows/runner_env.hpp)
  // The job's limits (JobLimits, planner.hpp; each absent when not asked for, never 0):
  // the runner sets them on its job and reads them back before the command runs, else
  // refuses to run it (F10). A runner that predates them refuses the unknown field.
  std::optional<uint64_t> memory_bytes;       // --memory: the job's committed memory
  std::optional<uint32_t> processes;          // --pids: active processes
  std::optional<uint64_t> process_user_time;  // --cpu-time: each process's user time, 100 ns units
  friend bool operator==(const Start&, const Start&) = default;
};

// caller -> runner: a chunk of the command's stdin; eof closes it after the chunk.
struct Stdin {
  std::string data;
  bool eof = false;
  friend bool operator==(const Stdin&, const Stdin&) = default;
};

// caller -> runner: end the job (the whole tree); an exit frame follows.
struct Terminate {
  friend bool operator==(const Terminate&, const Terminate&) = default;
};

// runner -> caller: the command runs (inside the job) with this process id.
struct Started {
  uint32_t pid = 0;
  friend bool operator==(const Started&, const Started&) = default;
};

enum class Stream { Stdout, Stderr };

// runner -> caller: a chunk of the command's stdout or stderr (frame type "stdout"/"stderr").
struct Output {
  Stream stream = Stream::Stdout;
  std::string data;
  friend bool operator==(const Output&, const Output&) = default;
};

// A failed call on the runner's side, with the Win32 code unchanged.
struct Failure {
  std::string call;  // "CreateRestrictedToken", "frame", ...
  std::string argument;
  uint32_t win32 = 0;   // 0: not an OS error
  std::string message;  // Error::detail ("Win32 error 5 (Access is denied.)")
  std::string hint;     // Error::hint, may be empty
  friend bool operator==(const Failure&, const Failure&) = default;
};

// runner -> caller: the end of the run. Either the command's exit code (timed_out:
// the runner's timeout ended the job; terminated: a terminate frame or a lost caller
// did), or the step that failed to start or wait for it.
struct Exit {
  uint32_t exit_code = 0;
  bool timed_out = false;
  bool terminated = false;
  std::optional<Failure> error;
  friend bool operator==(const Exit&, const Exit&) = default;
};

// runner -> caller: a protocol error (malformed frame, unexpected message); the
// runner closes the pipes after sending it.
struct ErrorFrame {
  Failure error;
  friend bool operator==(const ErrorFrame&, const ErrorFrame&) = default;
};

// caller -> runner: the caller's window changed size (tty runs only; 1..kMaxTtySide each).
struct Resize {
  uint16_t rows = 24, columns = 80;
  friend bool operator==(const Resize&, const Resize&) = default;
};

using Message = std::variant<Start, Stdin, Terminate, Started, Output, Exit, ErrorFrame, Resize>;

enum class Direction { ToRunner, ToCaller };

// The frame type name ("start", "stdout" ...) and who may send it.
std::string_view type_name(const Message& m);
Direction direction_of(const Message& m);

// Length prefix + JSON body. Fails on a body over the cap or a string that is not UTF-8.
[[nodiscard]] Result<std::string> encode(const Message& m, size_t max_body = kMaxFrameBody);
// One JSON body (no length prefix) -> a message travelling in `direction`.
[[nodiscard]] Result<Message> decode_body(std::string_view body, Direction direction);

// Incremental decoder: feed bytes as they arrive, take complete messages with next().
// A framing error (oversize length) poisons the stream: next() reports it, and every
// later call returns that error again; bytes fed afterwards are ignored.
class FrameDecoder {
 public:
  explicit FrameDecoder(Direction direction, size_t max_body = kMaxFrameBody)
      : direction_(direction), max_body_(max_body) {}
  void feed(std::string_view bytes);
  // nullopt: no complete frame yet.
  std::optional<Result<Message>> next();
  // True when a frame has started but not finished (a close now truncates it).
  bool mid_frame() const { return header_fill_ > 0 || body_.has_value(); }
  bool failed() const { return failure_.has_value(); }

 private:
  Direction direction_;
  size_t max_body_;
  unsigned char header_[kHeaderSize] = {};
  size_t header_fill_ = 0;
  std::optional<std::string> body_;  // being filled; reserved only after the cap check
  size_t body_size_ = 0;
  std::deque<std::string> ready_;  // complete bodies, decoded lazily by next()
  std::optional<Error> failure_;
};

// Strict RFC 4648 base64 (padding required, no whitespace).
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace cordon::win::runner
