#include "apps/runner/session.hpp"

#include <windows.h>
// userenv.h needs the types from windows.h.
#include <userenv.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "plan/windows/runner_env.hpp"
#include "plan/windows/runner_protocol.hpp"
#include "platform/windows/conpty.hpp"
#include "platform/windows/launch.hpp"
#include "platform/windows/runner_pipe.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/token.hpp"

namespace cordon::runner_app {
namespace {

// The running user's name and profile directory; empty fields when either is unknown.
win::runner::SandboxProfile own_profile(HANDLE token) {
  win::runner::SandboxProfile p;
  wchar_t name[257];
  DWORD name_len = 257;
  if (GetUserNameW(name, &name_len)) p.user_name = winsys::narrow(name);
  wchar_t dir[MAX_PATH + 1];
  DWORD dir_len = MAX_PATH + 1;
  if (GetUserProfileDirectoryW(token, dir, &dir_len)) p.profile_dir = winsys::narrow(dir);
  return p;
}

using namespace win::runner;
using winsys::UniqueHandle;

constexpr DWORD kStartTimeoutMs = 30000;
constexpr size_t kStdinQueueCap = 16u << 20;  // then the reader waits for the child to read
constexpr int kExitBadArgs = 2, kExitUntrustedPeer = 3, kExitProtocol = 4, kExitCallerGone = 5;

Failure to_failure(const Error& e) {
  return {e.call, e.argument, win32_code_of(e), e.detail, e.hint};
}

// State shared by the main thread, the frame reader, the stdin writer and the two
// output pumps. Threads hold it by shared_ptr: a thread still blocked in a read when
// the session ends never sees freed memory.
struct Session {
  winsys::RunnerPipes pipes;
  std::unique_ptr<winsys::FrameSender> out;
  UniqueHandle start_event{CreateEventW(nullptr, TRUE, FALSE, nullptr)};
  UniqueHandle cancel_event{CreateEventW(nullptr, TRUE, FALSE, nullptr)};
  UniqueHandle reader_done{CreateEventW(nullptr, TRUE, FALSE, nullptr)};

  std::mutex mutex;
  std::condition_variable changed;
  std::optional<Start> start;
  bool fatal = false;  // a protocol error was reported: send nothing more
  std::deque<std::string> stdin_queue;
  size_t stdin_queued = 0;
  bool stdin_eof = false;
  bool stop = false;
  // A tty command's pseudoconsole, once made, and the size the caller last asked for.
  std::shared_ptr<winsys::PipedPseudoconsole> pty;
  Resize tty_size;

  void protocol_error(const Error& e) {
    (void)out->send(ErrorFrame{to_failure(e)});
    out->close();
    {
      std::lock_guard<std::mutex> lock(mutex);
      fatal = true;
      stop = true;
    }
    changed.notify_all();
    SetEvent(cancel_event.get());
  }

  // One message from the caller; false ends the reader.
  bool handle(Message&& m) {
    std::unique_lock<std::mutex> lock(mutex);
    if (auto* s = std::get_if<Start>(&m)) {
      if (start) {
        lock.unlock();
        protocol_error(usage_error("runner frame", "a second start frame"));
        return false;
      }
      start = std::move(*s);
      tty_size = Resize{start->rows, start->columns};
      SetEvent(start_event.get());
      return true;
    }
    if (!start) {
      lock.unlock();
      protocol_error(
          usage_error("runner frame", std::string("\"") + std::string(type_name(m)) + "\" before \"start\""));
      return false;
    }
    if (std::holds_alternative<Terminate>(m)) {
      SetEvent(cancel_event.get());
      return true;
    }
    if (auto* size = std::get_if<Resize>(&m)) {
      if (!start->tty) {
        lock.unlock();
        protocol_error(usage_error("runner frame", "\"resize\" for a command without a terminal"));
        return false;
      }
      tty_size = *size;  // the frame decoder checked 1..kMaxTtySide
      if (pty) pty->resize(size->rows, size->columns);
      return true;
    }
    auto& in = std::get<Stdin>(m);
    if (stdin_eof) {
      lock.unlock();
      protocol_error(usage_error("runner frame", "stdin after its end"));
      return false;
    }
    // Back-pressure: a command that does not read its stdin holds up further frames
    // (a terminate then waits too; the caller's last resort is to end this process,
    // which ends the job).
    changed.wait(lock, [&] { return stop || stdin_queued < kStdinQueueCap; });
    if (stop) return true;
    stdin_queued += in.data.size();
    if (!in.data.empty()) stdin_queue.push_back(std::move(in.data));
    stdin_eof = in.eof;
    changed.notify_all();
    return true;
  }

  void read_frames() {
    FrameDecoder decoder(Direction::ToRunner);
    std::string buffer(kMaxChunk, '\0');
    for (;;) {
      DWORD n = 0;
      if (!ReadFile(pipes.to_runner.get(), buffer.data(), static_cast<DWORD>(buffer.size()), &n, nullptr) ||
          n == 0) {
        // The caller closed its end (or died, maybe mid-frame): nobody is left to
        // receive output or decide anything, so the job ends.
        SetEvent(cancel_event.get());
        return;
      }
      decoder.feed(std::string_view(buffer.data(), n));
      while (auto m = decoder.next()) {
        if (!*m) {
          protocol_error(m->error());
          return;
        }
        if (!handle(std::move(**m))) return;
      }
    }
  }

  void write_stdin(HANDLE child_stdin) {
    bool broken = false;  // the command closed its stdin: discard the rest
    for (;;) {
      std::string chunk;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return stop || !stdin_queue.empty() || stdin_eof; });
        if (stop) return;
        if (stdin_queue.empty()) return;  // eof, everything written
        chunk = std::move(stdin_queue.front());
        stdin_queue.pop_front();
        stdin_queued -= chunk.size();
      }
      changed.notify_all();
      if (!broken && !winsys::write_all(child_stdin, chunk)) broken = true;
    }
  }

  void pump(HANDLE from_child, Stream stream) {
    std::string buffer(kMaxChunk, '\0');
    for (;;) {
      DWORD n = 0;
      if (!ReadFile(from_child, buffer.data(), static_cast<DWORD>(buffer.size()), &n, nullptr) || n == 0)
        return;
      if (!out->send(Output{stream, buffer.substr(0, n)})) SetEvent(cancel_event.get());  // caller gone
    }
  }
};

// Waits for worker threads, then cancels the reads of the stragglers.
void join(std::vector<UniqueHandle>& threads, DWORD timeout_ms) {
  std::vector<HANDLE> raw;
  for (auto& t : threads) raw.push_back(t.get());
  if (raw.empty()) return;
  if (WaitForMultipleObjects(static_cast<DWORD>(raw.size()), raw.data(), TRUE, timeout_ms) == WAIT_OBJECT_0)
    return;
  for (HANDLE t : raw) CancelSynchronousIo(t);
  WaitForMultipleObjects(static_cast<DWORD>(raw.size()), raw.data(), TRUE, 2000);
}

struct ChildPipes {
  UniqueHandle stdin_read, stdin_write, stdout_read, stdout_write, stderr_read, stderr_write;
  void close_child_ends() {
    stdin_read.reset();
    stdout_write.reset();
    stderr_write.reset();
  }
};

Status make_pipes(ChildPipes& p) {
  if (!CreatePipe(p.stdin_read.out(), p.stdin_write.out(), nullptr, 0) ||
      !CreatePipe(p.stdout_read.out(), p.stdout_write.out(), nullptr, 0) ||
      !CreatePipe(p.stderr_read.out(), p.stderr_write.out(), nullptr, 0))
    return winsys::win32_error("CreatePipe", "stdio");
  return Ok{};
}

// Runs the command the start frame describes; every failure becomes the exit frame's error.
Exit execute(const std::shared_ptr<Session>& s, const Start& start) {
  Exit exit;
  auto fail = [&](const Error& e) {
    exit.error = to_failure(e);
    return exit;
  };
  if (start.argv.empty()) return fail(usage_error("start", "no command given"));

  // The token: the caller's capability SIDs, this process's own logon SID, Everyone.
  win::TokenSpec spec;
  for (const auto& text : start.capability_sids) {
    auto sid = win::Sid::parse(text);
    if (!sid) return fail(usage_error("start", "not a SID: \"" + text + "\""));
    spec.capabilities.push_back(*sid);
  }
  if (!start.run_sid.empty()) {
    auto run = win::Sid::parse(start.run_sid);
    if (!run) return fail(usage_error("start", "not a SID: \"" + start.run_sid + "\""));
    spec.run = *run;
  }
  UniqueHandle own;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, own.out()))
    return fail(winsys::win32_error("OpenProcessToken", "self"));
  auto logon = winsys::token_logon_sid(own.get());
  if (!logon) return fail(logon.error());
  spec.logon = *logon;
  auto token = winsys::create_sandbox_token(spec);
  if (!token) return fail(token.error());

  ChildPipes pipes;
  std::shared_ptr<winsys::PipedPseudoconsole> pty;
  if (start.tty) {
    // The command's console is a pseudoconsole of the caller's size: its keys arrive in
    // stdin frames, all it renders (stderr too) leaves in stdout frames.
    std::lock_guard<std::mutex> lock(s->mutex);
    auto opened = winsys::PipedPseudoconsole::open(s->tty_size.rows, s->tty_size.columns);
    if (!opened) return fail(opened.error());
    pty = s->pty = std::shared_ptr<winsys::PipedPseudoconsole>(std::move(*opened));
  } else if (auto made = make_pipes(pipes); !made) {
    return fail(made.error());
  }
  std::vector<UniqueHandle> pumps;
  std::vector<std::pair<HANDLE, Stream>> sources = {{pipes.stdout_read.get(), Stream::Stdout},
                                                    {pipes.stderr_read.get(), Stream::Stderr}};
  if (pty) sources = {{pty->output(), Stream::Stdout}};
  for (auto [handle, stream] : sources) {
    // Each pump holds the pseudoconsole, whose pipe it reads, until it returns.
    auto t = winsys::start_thread([s, pty, handle = handle, stream = stream] { s->pump(handle, stream); });
    if (!t) return fail(t.error());
    pumps.push_back(std::move(*t));
  }
  auto stdin_handle = std::make_shared<UniqueHandle>(std::move(pipes.stdin_write));
  auto writer = winsys::start_thread([s, stdin_handle, pty] {
    // A console has no end of input: at the end of the caller's stdin the pty's input
    // stays open (closing it would end the pseudoconsole's host, and the command with it).
    s->write_stdin(pty ? pty->input() : stdin_handle->get());
    stdin_handle->reset();  // EOF for a command on pipes
  });
  if (!writer) return fail(writer.error());

  // The command gets this (sandbox) user's profile, not the caller's: caches and settings
  // must land where the sandbox user may write (runner_env.hpp).
  const auto env = win::runner::with_sandbox_profile(
      with_git_safe_directories(start.env, start.safe_directories), own_profile(own.get()));
  winsys::LaunchRequest request{token->get(),          start.argv,      start.cwd, env, std::nullopt,
                                start.private_desktop, spec.logon.str()};
  if (start.timeout_ms) request.timeout_seconds = static_cast<double>(*start.timeout_ms) / 1000.0;
  // --memory, --pids, --cpu-time (F10): launch sets them on the job and reads them back
  // before the command runs; a job that does not hold them refuses the launch.
  request.limits = win::runner::job_limits_of(start);
  winsys::LaunchHooks hooks;
  if (pty)
    hooks.pseudoconsole = pty->handle();
  else
    hooks.stdio =
        std::array<HANDLE, 3>{pipes.stdin_read.get(), pipes.stdout_write.get(), pipes.stderr_write.get()};
  hooks.cancel_event = s->cancel_event.get();
  hooks.on_started = [&](DWORD pid) {
    (void)s->out->send(Started{pid});
    pipes.close_child_ends();  // the command holds its own copies now
  };
  auto result = winsys::launch(request, hooks);
  pipes.close_child_ends();
  // The job is gone; closing the pseudoconsole ends its host, so the pump reaches EOF
  // after the last of its output.
  if (pty) pty->close();

  // The job is gone, so every write end is closed: the pumps reach EOF.
  join(pumps, 10000);
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->pty.reset();  // resize frames from now on find nothing to resize
  }
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->stop = true;
  }
  s->changed.notify_all();
  std::vector<UniqueHandle> writers;
  writers.push_back(std::move(*writer));
  join(writers, 2000);

  if (!result) return fail(result.error());
  exit.exit_code = static_cast<uint32_t>(result->exit_code);
  exit.timed_out = result->timed_out;
  exit.terminated = result->cancelled;
  return exit;
}

}  // namespace

int run_session(const std::vector<std::string>& args) {
  // No error dialogs from this process or the command: nobody would see them.
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  auto parsed = parse_runner_args(args);
  if (!parsed) {
    std::fprintf(stderr, "cordon-runner: %s\n", parsed.error().message().c_str());
    return kExitBadArgs;
  }
  auto pipes = winsys::open_runner_pipes(*parsed);
  if (!pipes) {
    std::fprintf(stderr, "cordon-runner: %s\n", pipes.error().message().c_str());
    return kExitUntrustedPeer;
  }
  auto s = std::make_shared<Session>();
  s->pipes = std::move(*pipes);
  s->out = std::make_unique<winsys::FrameSender>(s->pipes.from_runner.get(), /*overlapped=*/false);
  auto reader = winsys::start_thread([s] {
    s->read_frames();
    SetEvent(s->reader_done.get());
  });
  if (!reader) {
    (void)s->out->send(ErrorFrame{to_failure(reader.error())});
    return kExitProtocol;
  }

  const HANDLE waits[2] = {s->start_event.get(), s->reader_done.get()};
  const DWORD woke = WaitForMultipleObjects(2, waits, FALSE, kStartTimeoutMs);
  if (woke == WAIT_TIMEOUT) {
    s->protocol_error(usage_error("runner frame", "no start frame within 30 s"));
    return kExitProtocol;
  }
  Start start;
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    if (s->fatal) return kExitProtocol;
    if (!s->start) return kExitCallerGone;
    start = *s->start;
  }

  Exit exit = execute(s, start);
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    if (s->fatal) return kExitProtocol;
  }
  if (!s->out->send(exit)) return kExitCallerGone;
  // Let the caller read the last frame before our end of the pipe goes away.
  FlushFileBuffers(s->pipes.from_runner.get());
  return 0;
}

}  // namespace cordon::runner_app
