// cordon (Windows, stage 2): the named pipes between cordon.exe and cordon-runner.exe.
//
//   caller (cordon.exe, the pipe server):
//     auto pipes = create_runner_pipes(sandbox_user_sid);   // BASE-in, BASE-out; DACL: that SID only
//     ... start cordon-runner.exe --pipe=BASE --server-pid=<own pid> ...
//     accept_runner(*pipes, runner_process, runner_pid, 30000); // connects both, checks the client PID
//   runner (cordon-runner.exe, the pipe client):
//     auto pipes = open_runner_pipes(args);                  // checks the server PID
//   both: FrameSender out(handle, overlapped); out.send(message); read with ReadFile + FrameDecoder.
//
// Two one-way pipes rather than one duplex pipe: a thread blocked reading one never
// holds up a writer on the other. The caller's ends are overlapped (its waits are
// bounded); the runner's are synchronous (it has a thread per direction). The pipes
// are created with FILE_FLAG_FIRST_PIPE_INSTANCE (nobody may have squatted the name),
// one instance, PIPE_REJECT_REMOTE_CLIENTS, and a protected DACL for one SID
// (plan/windows/runner_env.hpp pipe_sddl); each side then checks the other's process
// id, so a process that got hold of a handle to the name cannot stand in for either.
#pragma once

#include <windows.h>

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "plan/windows/runner_env.hpp"
#include "plan/windows/runner_protocol.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {

struct RunnerPipes {
  std::string base;          // "\\\\.\\pipe\\cordon-runner-<32 hex>"
  UniqueHandle to_runner;    // BASE-in: caller writes, runner reads
  UniqueHandle from_runner;  // BASE-out: runner writes, caller reads
};

[[nodiscard]] Result<RunnerPipes> create_runner_pipes(const std::string& allowed_sid);
// Waits (at most timeout_ms, or until the runner exits) for the runner to open both
// pipes, then requires GetNamedPipeClientProcessId == runner_pid on each.
[[nodiscard]] Status accept_runner(RunnerPipes& pipes, HANDLE runner_process, DWORD runner_pid,
                                   DWORD timeout_ms);
// The runner's side: opens BASE-in (read) and BASE-out (write) and requires
// GetNamedPipeServerProcessId == args.server_pid on each.
[[nodiscard]] Result<RunnerPipes> open_runner_pipes(const win::runner::RunnerArgs& args);

// The SID of this process's user ("S-1-5-21-..."): the pipe DACL when no logon is used.
[[nodiscard]] Result<std::string> current_user_sid();

// Writes every byte to a synchronous handle (a file, a console, an anonymous pipe),
// or, with `overlapped`, to a handle opened with FILE_FLAG_OVERLAPPED (waiting for
// completion). Never an OVERLAPPED for a synchronous file: its offset would apply.
[[nodiscard]] Status write_all(HANDLE handle, std::string_view bytes, bool overlapped = false);

// Frames from several threads onto one pipe, whole frames at a time. After close()
// (a protocol error was reported, or the peer is gone) sends are dropped.
class FrameSender {
 public:
  FrameSender(HANDLE pipe, bool overlapped) : pipe_(pipe), overlapped_(overlapped) {}
  [[nodiscard]] Status send(const win::runner::Message& message);
  [[nodiscard]] Status send_raw(std::string_view bytes);
  // As send(), but gives up when another thread's write holds the pipe for longer
  // than timeout_ms (the peer is not reading): for a terminate that must not wait
  // behind a stalled stdin chunk.
  [[nodiscard]] Status send_within(const win::runner::Message& message, DWORD timeout_ms);
  void close();

 private:
  [[nodiscard]] Status write_locked(std::string_view bytes);
  std::timed_mutex mutex_;
  HANDLE pipe_;
  bool overlapped_;
  bool closed_ = false;
};

// A native thread running `body` (which owns what it captures). The handle is for
// waits and CancelSynchronousIo; closing it does not stop the thread.
[[nodiscard]] Result<UniqueHandle> start_thread(std::function<void()> body);

}  // namespace cordon::winsys
