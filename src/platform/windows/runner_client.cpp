#include "platform/windows/runner_client.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

#include "plan/windows/runner_env.hpp"
#include "platform/windows/launch.hpp"
#include "platform/windows/runner_pipe.hpp"

namespace cordon::winsys {
namespace {

using namespace win::runner;

constexpr DWORD kDrainAfterRunnerExitMs = 5000;
constexpr DWORD kTerminateSendMs = 2000;
constexpr DWORD kPollSizeMs = 200;        // how often a tty run looks at the caller's window
constexpr int kTerminatedExitCode = 130;  // as the runner reports a terminate

// Ctrl+C / Ctrl+Break in cordon's console become a terminate frame.
std::atomic<HANDLE> g_interrupt{nullptr};

BOOL WINAPI on_console_ctrl(DWORD type) {
  if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT) return FALSE;
  HANDLE event = g_interrupt.load();
  if (!event) return FALSE;
  SetEvent(event);
  return TRUE;
}

class CtrlForwarding {
 public:
  CtrlForwarding(bool on, HANDLE event) : on_(on) {
    if (!on_) return;
    g_interrupt.store(event);
    SetConsoleCtrlHandler(on_console_ctrl, TRUE);
  }
  ~CtrlForwarding() {
    if (!on_) return;
    SetConsoleCtrlHandler(on_console_ctrl, FALSE);
    g_interrupt.store(nullptr);
  }
  CtrlForwarding(const CtrlForwarding&) = delete;
  CtrlForwarding& operator=(const CtrlForwarding&) = delete;

 private:
  bool on_;
};

// The caller -> runner direction, shared with the stdin thread (which may outlive a
// session while blocked in a read; it then owns these until it returns).
struct Outbound {
  UniqueHandle pipe;
  std::unique_ptr<FrameSender> sender;
  std::atomic<bool> done{false};
};

Error from_failure(const Failure& f, const std::string& prefix) {
  Error e;
  e.call = f.call;
  e.argument = f.argument;
  e.detail = prefix + f.message;
  e.hint = f.hint;
  return e;
}

Error runner_error(const std::string& detail, std::string hint = {}) {
  return usage_error("cordon-runner", detail, std::move(hint));
}

void default_output(Stream stream, std::string_view bytes) {
  HANDLE h = GetStdHandle(stream == Stream::Stdout ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
  if (h && h != INVALID_HANDLE_VALUE) (void)write_all(h, bytes);
}

Result<RunnerProcess> start_runner(const RunnerRequest& r, const std::wstring& command_line, int& attempts) {
  attempts = 1;
  auto started = r.launcher(command_line, 1);
  if (!started && should_retry_runner_launch(1, win32_code_of(started.error()))) {
    attempts = 2;  // a stale logon session: once more, unchanged
    started = r.launcher(command_line, 2);
  }
  return started;
}

// The frame loop: from `start` sent to the exit frame (or an error).
Result<RunnerOutcome> converse(const RunnerRequest& r, RunnerPipes& pipes, Outbound& out,
                               RunnerProcess& runner, RunnerOutcome outcome) {
  auto on_output = r.on_output ? r.on_output : default_output;
  UniqueHandle interrupt(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  UniqueHandle read_event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!interrupt || !read_event) return win32_error("CreateEventW", "");
  CtrlForwarding ctrl(r.forward_ctrl_c, interrupt.get());

  ULONGLONG deadline = 0;  // 0: none
  auto tighten = [&](ULONGLONG ms) {
    const ULONGLONG at = GetTickCount64() + ms;
    deadline = deadline == 0 ? at : std::min(deadline, at);
  };
  if (r.start.timeout_ms) tighten(*r.start.timeout_ms + r.exit_grace_ms);

  FrameDecoder decoder(Direction::ToCaller);
  std::string buffer(kMaxChunk, '\0');
  OVERLAPPED ov{};
  bool pending = false, runner_gone = false, terminate_sent = false;
  HANDLE cancel = r.cancel_event;
  // The pending read must finish before `buffer` and `ov` go away, whatever happens.
  struct CancelRead {
    HANDLE pipe;
    OVERLAPPED* ov;
    bool* pending;
    ~CancelRead() {
      if (!*pending) return;
      CancelIoEx(pipe, ov);
      DWORD ignored = 0;
      GetOverlappedResult(pipe, ov, &ignored, TRUE);
    }
  } cancel_read{pipes.from_runner.get(), &ov, &pending};

  bool forced = false;  // the runner was ended because a terminate could not reach it
  Resize sent_size{r.start.rows, r.start.columns};
  auto send_terminate = [&] {
    if (terminate_sent) return;
    terminate_sent = true;
    tighten(r.exit_grace_ms);
    // A stdin write stalled behind a command that does not read holds the pipe; the
    // terminate then cannot get through, so the runner goes, and its job with it.
    if (!out.sender->send_within(Terminate{}, kTerminateSendMs) && !runner_gone) {
      forced = true;
      TerminateProcess(runner.process.get(), kTerminatedExitCode);
    }
  };

  for (;;) {
    if (!pending) {
      ov = OVERLAPPED{};
      ov.hEvent = read_event.get();
      ResetEvent(read_event.get());
      if (!ReadFile(pipes.from_runner.get(), buffer.data(), static_cast<DWORD>(buffer.size()), nullptr,
                    &ov) &&
          GetLastError() != ERROR_IO_PENDING) {
        const DWORD e = GetLastError();
        if (e == ERROR_BROKEN_PIPE) break;
        return win32_error("ReadFile", pipes.base + "-out", e);
      }
      pending = true;
    }
    HANDLE waits[4] = {read_event.get(), interrupt.get(), nullptr, nullptr};
    DWORD count = 2;
    const DWORD runner_index = runner_gone ? MAXDWORD : count;
    if (!runner_gone) waits[count++] = runner.process.get();
    const DWORD cancel_index = cancel ? count : MAXDWORD;
    if (cancel) waits[count++] = cancel;
    DWORD wait_ms = INFINITE;
    if (deadline != 0) {
      const ULONGLONG now = GetTickCount64();
      wait_ms = now >= deadline ? 0 : static_cast<DWORD>(std::min<ULONGLONG>(deadline - now, MAXDWORD - 1));
    }
    const bool polling = r.poll_size && !terminate_sent && wait_ms > kPollSizeMs;
    const DWORD woke = WaitForMultipleObjects(count, waits, FALSE, polling ? kPollSizeMs : wait_ms);
    if (woke == WAIT_TIMEOUT && polling) {
      // Not behind a stalled stdin write for long: a size that did not go out now is
      // sent at the next poll.
      if (auto size = r.poll_size();
          size && !(*size == sent_size) && out.sender->send_within(*size, kPollSizeMs))
        sent_size = *size;
      continue;
    }
    if (woke == WAIT_TIMEOUT) {
      TerminateProcess(runner.process.get(), 1);  // its job is kill-on-close: the tree goes too
      return runner_error(terminate_sent ? "no exit frame after terminate; ended the runner and its job"
                                         : "no exit frame after the timeout; ended the runner and its job");
    }
    if (woke == WAIT_FAILED) return win32_error("WaitForMultipleObjects", "runner");
    const DWORD index = woke - WAIT_OBJECT_0;
    if (index == 1) {
      ResetEvent(interrupt.get());
      send_terminate();
      continue;
    }
    if (index == runner_index) {
      runner_gone = true;  // drain what it sent before it exited, briefly
      tighten(kDrainAfterRunnerExitMs);
      continue;
    }
    if (index == cancel_index) {
      cancel = nullptr;
      send_terminate();
      continue;
    }
    // index 0: the read finished.
    DWORD n = 0;
    pending = false;
    if (!GetOverlappedResult(pipes.from_runner.get(), &ov, &n, FALSE)) {
      const DWORD e = GetLastError();
      if (e == ERROR_BROKEN_PIPE) break;
      return win32_error("ReadFile", pipes.base + "-out", e);
    }
    decoder.feed(std::string_view(buffer.data(), n));
    while (auto m = decoder.next()) {
      if (!*m) {
        TerminateProcess(runner.process.get(), 1);
        return runner_error("malformed frame: " + m->error().detail);
      }
      Message& message = **m;
      if (auto* started = std::get_if<Started>(&message)) {
        outcome.command_pid = started->pid;
      } else if (auto* output = std::get_if<Output>(&message)) {
        on_output(output->stream, output->data);
      } else if (auto* exit = std::get_if<Exit>(&message)) {
        if (exit->error) return from_failure(*exit->error, "in the runner: ");
        outcome.exit_code = static_cast<int>(exit->exit_code);
        outcome.timed_out = exit->timed_out;
        outcome.terminated = exit->terminated;
        return outcome;
      } else if (auto* error = std::get_if<ErrorFrame>(&message)) {
        return from_failure(error->error, "the runner refused a frame: ");
      }
    }
  }
  if (forced) {
    outcome.exit_code = kTerminatedExitCode;
    outcome.terminated = true;
    return outcome;
  }
  DWORD code = 0;
  WaitForSingleObject(runner.process.get(), kDrainAfterRunnerExitMs);
  GetExitCodeProcess(runner.process.get(), &code);
  return runner_error("the runner closed its pipe without an exit frame (runner exit code " +
                      std::to_string(code) + ")");
}

}  // namespace

RunnerLauncher plain_launcher(std::wstring desktop) {
  return [desktop = std::move(desktop)](const std::wstring& command_line, int) -> Result<RunnerProcess> {
    std::wstring line = command_line;
    std::wstring where = desktop;
    STARTUPINFOW si{};
    si.cb = sizeof(si);
    if (!where.empty()) si.lpDesktop = where.data();
    PROCESS_INFORMATION pi{};
    if (!CreateProcessW(nullptr, line.data(), nullptr, nullptr, FALSE, CREATE_NO_WINDOW, nullptr, nullptr,
                        &si, &pi))
      return win32_error("CreateProcessW", narrow(command_line));
    CloseHandle(pi.hThread);
    RunnerProcess p;
    p.process = UniqueHandle(pi.hProcess);
    p.pid = pi.dwProcessId;
    return p;
  };
}

std::wstring runner_next_to_self() {
  std::wstring path(32768, L'\0');
  const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(n);
  return path.substr(0, path.find_last_of(L"\\/") + 1) + L"cordon-runner.exe";
}

std::wstring runner_command_line(const std::wstring& runner_exe, const std::string& pipe_base) {
  std::wstring line = quote_argument(runner_exe);
  for (const auto& arg : format_runner_args({pipe_base, GetCurrentProcessId()}))
    line += L" " + quote_argument(widen(arg));
  return line;
}

Result<RunnerOutcome> run_via_runner(const RunnerRequest& r) {
  if (!r.launcher) return runner_error("no launcher given");
  // 1. The pipes, for the one SID.
  auto pipes = create_runner_pipes(r.allowed_sid);
  if (!pipes) return pipes.error();
  // 2. The runner (a stale logon session is retried once).
  RunnerOutcome outcome;
  auto runner = start_runner(r, runner_command_line(r.runner_exe, pipes->base), outcome.launch_attempts);
  if (!runner) return runner.error();
  outcome.runner_pid = runner->pid;
  // 3. Its connection, from its process id only.
  if (auto accepted = accept_runner(*pipes, runner->process.get(), runner->pid, r.connect_timeout_ms);
      !accepted) {
    TerminateProcess(runner->process.get(), 1);
    return accepted.error();
  }
  // 4. start, then stdin from a thread.
  auto out = std::make_shared<Outbound>();
  out->pipe = std::move(pipes->to_runner);
  out->sender = std::make_unique<FrameSender>(out->pipe.get(), /*overlapped=*/true);
  if (auto sent = out->sender->send(r.start); !sent) {
    TerminateProcess(runner->process.get(), 1);
    return sent.error();
  }
  UniqueHandle stdin_thread;
  if (r.stdin_source) {
    HANDLE source = r.stdin_source;
    auto t = start_thread([out, source] {
      std::string buffer(kMaxChunk, '\0');
      for (;;) {
        DWORD n = 0;
        const BOOL ok = ReadFile(source, buffer.data(), static_cast<DWORD>(buffer.size()), &n, nullptr);
        if (out->done) return;
        if (!ok || n == 0) {
          (void)out->sender->send(Stdin{"", true});
          return;
        }
        if (!out->sender->send(Stdin{buffer.substr(0, n), false})) return;
      }
    });
    if (t) stdin_thread = std::move(*t);
  }
  if (!stdin_thread) (void)out->sender->send(Stdin{"", true});

  // 5. Output until the exit frame.
  auto result = converse(r, *pipes, *out, *runner, outcome);

  // The stdin thread may sit in a read of the user's console: cancel it, and leave
  // it the shared state if it does not stop at once.
  out->done = true;
  if (stdin_thread) {
    CancelSynchronousIo(stdin_thread.get());
    WaitForSingleObject(stdin_thread.get(), 500);
  }
  if (WaitForSingleObject(runner->process.get(), 5000) != WAIT_OBJECT_0)
    TerminateProcess(runner->process.get(), 1);
  return result;
}

}  // namespace cordon::winsys
