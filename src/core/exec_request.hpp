// cordon: the two formats that carry a command into the sandbox's init.
//
//   // launcher.cpp, in the parent before clone(): written to a memfd the init reads
//   std::string bytes = encode_init_spec(InitSpec{true, false, mask, argv, env});
//   // init_main.cpp, a fresh image of cordon inside the sandbox:
//   std::optional<InitSpec> spec = decode_init_spec(bytes);
//
//   // cordon mcp (runner.cpp): the worker's stdin starts with "<length>\n<json>"
//   std::string header = encode_exec_request(ExecRequest{argv, cwd, env});
//   std::optional<ExecRequest> req = parse_exec_request(json_text);  // in the init
//
// Both are pure and total (no exceptions, nothing trusted): the init decodes them with
// no help from cordon's own process, whose memory and environment it never sees.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cordon {

struct InitSpec {
  // Pid 1 of a pid namespace: fork the command, reap, forward signals. Otherwise the
  // init only prepares the command (reads the request) and becomes it with exec.
  bool pid1 = true;
  // Read an ExecRequest from stdin before starting the command (cordon mcp workers).
  bool read_request = false;
  uint64_t signal_mask = 0;       // signals the caller blocked (bit n-1 = signal n), restored for the command
  std::vector<std::string> argv;  // the command, argv[0] looked up on its PATH
  std::vector<std::string> env;   // "NAME=VALUE": the command's (already filtered) environment
  // --tty: the standard stream (0, 1, 2) that is the sandbox's pty, made the command's
  // controlling terminal (command_exec.hpp); -1: none (the session has no terminal).
  int ctty_fd = -1;
};

std::string encode_init_spec(const InitSpec& spec);
std::optional<InitSpec> decode_init_spec(std::string_view bytes);

// One command of `cordon mcp`, sent to a prepared worker.
struct ExecRequest {
  std::vector<std::string> argv;
  std::string cwd;                                       // absolute
  std::vector<std::pair<std::string, std::string>> env;  // set on top of the sandbox's environment
};

inline constexpr size_t kMaxExecRequestBytes = 16u << 20;

// "<decimal length>\n<json>": the rest of the stream is the command's stdin.
std::string encode_exec_request(const ExecRequest& request);
// The JSON part; nullopt when it is not an object with a non-empty argv of strings, a
// string cwd and an env of [name, value] string pairs.
std::optional<ExecRequest> parse_exec_request(std::string_view json_text);

}  // namespace cordon
