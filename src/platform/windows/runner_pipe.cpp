#include "platform/windows/runner_pipe.hpp"

#include <sddl.h>

#include <chrono>
#include <memory>

#include "platform/windows/security.hpp"
#include "platform/windows/state_io.hpp"

namespace cordon::winsys {
namespace {

constexpr DWORD kPipeBuffer = 64 * 1024;

Result<UniqueHandle> create_pipe(const std::wstring& name, DWORD direction, SECURITY_ATTRIBUTES& sa) {
  UniqueHandle h(
      CreateNamedPipeW(name.c_str(), direction | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                       PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
                       kPipeBuffer, kPipeBuffer, 0, &sa));
  if (!h) return win32_error("CreateNamedPipeW", narrow(name));
  return h;
}

// Starts an overlapped ConnectNamedPipe; true when already connected.
Result<bool> begin_connect(HANDLE pipe, OVERLAPPED& ov) {
  if (ConnectNamedPipe(pipe, &ov)) return true;
  const DWORD e = GetLastError();
  if (e == ERROR_PIPE_CONNECTED) return true;
  if (e == ERROR_IO_PENDING) return false;
  return win32_error("ConnectNamedPipe", "", e);
}

Status check_pid(BOOL (*query)(HANDLE, PULONG), const char* call, HANDLE pipe, DWORD expected) {
  ULONG pid = 0;
  if (!query(pipe, &pid)) return win32_error(call, "");
  if (pid != expected)
    return win32_error(call, "process " + std::to_string(pid) + ", expected " + std::to_string(expected),
                       ERROR_ACCESS_DENIED, "another process opened the runner's pipe; nothing was sent");
  return Ok{};
}

BOOL client_pid(HANDLE pipe, PULONG pid) {
  return GetNamedPipeClientProcessId(pipe, pid);
}
BOOL server_pid(HANDLE pipe, PULONG pid) {
  return GetNamedPipeServerProcessId(pipe, pid);
}

DWORD WINAPI thread_main(void* param) {
  std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(param));
  (*body)();
  return 0;
}

}  // namespace

Result<RunnerPipes> create_runner_pipes(const std::string& allowed_sid) {
  auto sddl = win::runner::pipe_sddl(allowed_sid);
  if (!sddl) return sddl.error();
  LocalPtr<void> sd;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(widen(*sddl).c_str(), SDDL_REVISION_1, sd.out(),
                                                            nullptr))
    return win32_error("ConvertStringSecurityDescriptorToSecurityDescriptorW", *sddl);
  SECURITY_ATTRIBUTES sa{sizeof(sa), sd.get(), FALSE};
  auto random = random_u32x4();
  if (!random) return random.error();
  RunnerPipes pipes;
  pipes.base = win::runner::pipe_base_name(random->data());
  auto in = create_pipe(widen(pipes.base + "-in"), PIPE_ACCESS_OUTBOUND, sa);
  if (!in) return in.error();
  auto out = create_pipe(widen(pipes.base + "-out"), PIPE_ACCESS_INBOUND, sa);
  if (!out) return out.error();
  pipes.to_runner = std::move(*in);
  pipes.from_runner = std::move(*out);
  return pipes;
}

Status accept_runner(RunnerPipes& pipes, HANDLE runner_process, DWORD runner_pid, DWORD timeout_ms) {
  const ULONGLONG deadline = GetTickCount64() + timeout_ms;
  for (HANDLE pipe : {pipes.to_runner.get(), pipes.from_runner.get()}) {
    UniqueHandle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!event) return win32_error("CreateEventW", "");
    OVERLAPPED ov{};
    ov.hEvent = event.get();
    auto connected = begin_connect(pipe, ov);
    if (!connected) return connected.error();
    if (!*connected) {
      const ULONGLONG now = GetTickCount64();
      const DWORD left = now >= deadline ? 0 : static_cast<DWORD>(deadline - now);
      const HANDLE waits[2] = {event.get(), runner_process};
      const DWORD woke = WaitForMultipleObjects(2, waits, FALSE, left);
      if (woke != WAIT_OBJECT_0) {
        CancelIoEx(pipe, &ov);
        DWORD ignored = 0;
        GetOverlappedResult(pipe, &ov, &ignored, TRUE);
        if (woke == WAIT_OBJECT_0 + 1) {
          DWORD code = 0;
          GetExitCodeProcess(runner_process, &code);
          return win32_error("ConnectNamedPipe", pipes.base, ERROR_PIPE_NOT_CONNECTED,
                             "the runner exited with " + std::to_string(code) + " before it connected");
        }
        return win32_error("ConnectNamedPipe", pipes.base, WAIT_TIMEOUT,
                           "the runner did not connect in " + std::to_string(timeout_ms / 1000) + " s");
      }
      DWORD ignored = 0;
      if (!GetOverlappedResult(pipe, &ov, &ignored, FALSE))
        return win32_error("ConnectNamedPipe", pipes.base);
    }
    auto checked = check_pid(client_pid, "GetNamedPipeClientProcessId", pipe, runner_pid);
    if (!checked) return checked;
  }
  return Ok{};
}

Result<RunnerPipes> open_runner_pipes(const win::runner::RunnerArgs& args) {
  RunnerPipes pipes;
  pipes.base = args.pipe;
  // Identification only: the caller may learn who we are, not act as us.
  const DWORD flags = SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION;
  pipes.to_runner = UniqueHandle(
      CreateFileW(widen(args.pipe + "-in").c_str(), GENERIC_READ, 0, nullptr, OPEN_EXISTING, flags, nullptr));
  if (!pipes.to_runner) return win32_error("CreateFileW", args.pipe + "-in");
  pipes.from_runner = UniqueHandle(CreateFileW(widen(args.pipe + "-out").c_str(), GENERIC_WRITE, 0, nullptr,
                                               OPEN_EXISTING, flags, nullptr));
  if (!pipes.from_runner) return win32_error("CreateFileW", args.pipe + "-out");
  for (HANDLE pipe : {pipes.to_runner.get(), pipes.from_runner.get()}) {
    auto checked = check_pid(server_pid, "GetNamedPipeServerProcessId", pipe, args.server_pid);
    if (!checked) return checked.error();
  }
  return pipes;
}

Result<std::string> current_user_sid() {
  UniqueHandle token;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, token.out()))
    return win32_error("OpenProcessToken", "self");
  auto user = token_user(token.get());
  if (!user) return user.error();
  return user->str();
}

Status write_all(HANDLE handle, std::string_view bytes, bool overlapped) {
  UniqueHandle event;
  if (overlapped) {
    event = UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!event) return win32_error("CreateEventW", "");
  }
  while (!bytes.empty()) {
    const DWORD n = static_cast<DWORD>(std::min<size_t>(bytes.size(), 1u << 20));
    DWORD wrote = 0;
    if (overlapped) {
      OVERLAPPED ov{};
      ov.hEvent = event.get();
      if (!WriteFile(handle, bytes.data(), n, &wrote, &ov) &&
          (GetLastError() != ERROR_IO_PENDING || !GetOverlappedResult(handle, &ov, &wrote, TRUE)))
        return win32_error("WriteFile", "pipe");
    } else if (!WriteFile(handle, bytes.data(), n, &wrote, nullptr)) {
      return win32_error("WriteFile", "pipe");
    }
    if (wrote == 0) return win32_error("WriteFile", "pipe", ERROR_BROKEN_PIPE);
    bytes.remove_prefix(wrote);
  }
  return Ok{};
}

Status FrameSender::send(const win::runner::Message& message) {
  auto wire = win::runner::encode(message);
  if (!wire) return wire.error();
  return send_raw(*wire);
}

Status FrameSender::send_raw(std::string_view bytes) {
  std::lock_guard<std::timed_mutex> lock(mutex_);
  return write_locked(bytes);
}

Status FrameSender::send_within(const win::runner::Message& message, DWORD timeout_ms) {
  auto wire = win::runner::encode(message);
  if (!wire) return wire.error();
  std::unique_lock<std::timed_mutex> lock(mutex_, std::chrono::milliseconds(timeout_ms));
  if (!lock.owns_lock()) return win32_error("WriteFile", "pipe", WAIT_TIMEOUT, "the peer is not reading");
  return write_locked(*wire);
}

Status FrameSender::write_locked(std::string_view bytes) {
  if (closed_) return win32_error("WriteFile", "pipe", ERROR_BROKEN_PIPE);
  auto sent = write_all(pipe_, bytes, overlapped_);
  if (!sent) closed_ = true;
  return sent;
}

void FrameSender::close() {
  std::lock_guard<std::timed_mutex> lock(mutex_);
  closed_ = true;
}

Result<UniqueHandle> start_thread(std::function<void()> body) {
  auto* owned = new std::function<void()>(std::move(body));
  UniqueHandle thread(CreateThread(nullptr, 0, thread_main, owned, 0, nullptr));
  if (!thread) {
    delete owned;
    return win32_error("CreateThread", "");
  }
  return thread;
}

}  // namespace cordon::winsys
