// cordon: the process behind a seccomp notification, seen from cordon's supervisor.
// Reading its memory and naming its paths (for the denial recorder, advisory), and
// taking a copy of one of its descriptors (for the broker, which then acts on that
// object only).
//
//   std::string path;
//   if (read_string(pid, addr, path)) path = absolute_in(pid, AT_FDCWD, path);
//   UniqueFd sock = take_fd(pid, fd, err);   // pidfd_getfd: the caller's own open file
//
// Everything read from another process's memory may change under us: a decision is
// made on bytes read once (copied here), never on a second read by the kernel.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "platform/linux/unique_fd.hpp"

namespace cordon {

// Up to PATH_MAX bytes of a NUL-terminated string at `addr` in process `pid`.
bool read_string(pid_t pid, uint64_t addr, std::string& out);
// Exactly `len` bytes at `addr` (false when fewer could be read).
bool read_bytes(pid_t pid, uint64_t addr, void* out, size_t len);
// Writes `len` bytes at `addr` (a result the call returns in the caller's memory, such
// as sendmmsg's msg_len); false when fewer could be written.
bool write_bytes(pid_t pid, uint64_t addr, const void* in, size_t len);
// Sends `sig` to thread `tid` (a thread pidfd where the kernel has them, Linux 6.9; else
// its process), as the kernel would have raised it in the call (SIGPIPE).
bool signal_thread(pid_t tid, int sig);

// `path` relative to `dirfd` of process `pid`, as the sandbox sees it (readlink of
// /proc/PID/cwd or /proc/PID/fd/N prints the path in the sandbox's mount namespace).
// Lexical: for reports, never for a decision.
std::string absolute_in(pid_t pid, int dirfd, const std::string& path);

// Does `path` exist in the sandbox's view? Through /proc/PID/root, without following
// a final symlink. Only asked when a denial is predicted.
bool exists_in(pid_t pid, const std::string& path);

// The object `path` (absolute, in the command's view) names, as an `open_flags`
// descriptor (O_PATH and the like): resolved beneath the root of thread `tid` as the
// kernel would resolve it for the command (its mounts apply; a link made inside stays
// inside; no /proc magic links). Invalid with `err` set when it cannot be.
UniqueFd resolve_in_view(pid_t tid, const std::string& path, uint64_t open_flags, int& err);
// The same beneath `root`, the sandbox's root already open (O_PATH); -1: tid's own.
UniqueFd resolve_in_view(pid_t tid, int root, const std::string& path, uint64_t open_flags, int& err);

// A copy of descriptor `fd` of process `pid` (pidfd_getfd, close-on-exec): the same open
// file, so what cordon does through it the caller sees. Invalid with `err` set when the
// process went away, the descriptor is not open, or ptrace rules refuse.
UniqueFd take_fd(pid_t pid, int fd, int& err);

// The descriptor's close-on-exec flag in process `pid` (/proc/PID/fdinfo), or false.
bool fd_cloexec_in(pid_t pid, int fd);

}  // namespace cordon
