#include "platform/windows/conpty.hpp"

#include "platform/windows/host_probe.hpp"

namespace cordon::winsys {
namespace {

using CreateFn = HRESULT(WINAPI*)(COORD, HANDLE, HANDLE, DWORD, PseudoconsoleHandle*);
using ResizeFn = HRESULT(WINAPI*)(PseudoconsoleHandle, COORD);
using CloseFn = void(WINAPI*)(PseudoconsoleHandle);

struct Api {
  CreateFn create = nullptr;
  ResizeFn resize = nullptr;
  CloseFn close = nullptr;
};

template <class Fn>
Fn lookup(HMODULE module, const char* name) {
  // Through void(*)() so the cast is not flagged as a function-type mismatch.
  return module ? reinterpret_cast<Fn>(reinterpret_cast<void (*)()>(GetProcAddress(module, name))) : nullptr;
}

// Looked up at run time: a static import would keep cordon from starting at all on
// Windows builds older than 17763.
const Api* api() {
  static const Api a = [] {
    HMODULE kernel = GetModuleHandleW(L"kernel32.dll");
    return Api{lookup<CreateFn>(kernel, "CreatePseudoConsole"),
               lookup<ResizeFn>(kernel, "ResizePseudoConsole"),
               lookup<CloseFn>(kernel, "ClosePseudoConsole")};
  }();
  return a.create && a.resize && a.close ? &a : nullptr;
}

bool is_console(DWORD which) {
  DWORD mode = 0;
  HANDLE h = GetStdHandle(which);
  return h && h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode);
}

COORD console_size(HANDLE out) {
  CONSOLE_SCREEN_BUFFER_INFO info{};
  if (!GetConsoleScreenBufferInfo(out, &info)) return COORD{80, 25};
  return COORD{static_cast<SHORT>(info.srWindow.Right - info.srWindow.Left + 1),
               static_cast<SHORT>(info.srWindow.Bottom - info.srWindow.Top + 1)};
}

// Each pump owns its handles: one still blocked in a read when the run ends is
// abandoned (the process exits soon) without touching freed state.
struct InputPump {
  HANDLE console_in;  // cordon's stdin (not owned)
  UniqueHandle to_pty;
  UniqueHandle stop;
};

struct OutputPump {
  UniqueHandle from_pty;
  HANDLE console_out;  // cordon's stdout (not owned)
};

DWORD WINAPI pump_output(void* arg) {
  std::unique_ptr<OutputPump> pump(static_cast<OutputPump*>(arg));
  char buf[8192];
  DWORD n = 0, written = 0;
  while (ReadFile(pump->from_pty.get(), buf, sizeof(buf), &n, nullptr) && n > 0)
    if (!WriteFile(pump->console_out, buf, n, &written, nullptr)) break;
  return 0;
}

// True when the console's queue holds a key press; other events (focus, mouse,
// resize) are dropped so the blocking read below only ever waits for real input.
bool key_pending(HANDLE in) {
  INPUT_RECORD records[64];
  DWORD count = 0;
  if (!PeekConsoleInputW(in, records, 64, &count) || count == 0) return false;
  for (DWORD i = 0; i < count; ++i)
    if (records[i].EventType == KEY_EVENT && records[i].Event.KeyEvent.bKeyDown) return true;
  ReadConsoleInputW(in, records, count, &count);
  return false;
}

}  // namespace

TtyChoice choose_tty(TtyMode tty) {
  TtyChoice c;
  std::string mode = env("CORDON_WINDOWS_CONPTY");
  if (mode.empty() && tty == TtyMode::Always) mode = "on";
  if (mode.empty() && tty == TtyMode::Never) {
    c.reason = "--tty never: no pseudoconsole; console output is relayed through pipes, stdin is NUL";
    return c;
  }
  if (mode == "off") {
    c.reason =
        "CORDON_WINDOWS_CONPTY=off: no pseudoconsole; console output is relayed through pipes, stdin is NUL";
    return c;
  }
  const bool forced = mode == "on" || mode == "unavailable";
  c.simulate_missing = mode == "unavailable";
  if (!forced && !(is_console(STD_INPUT_HANDLE) && is_console(STD_OUTPUT_HANDLE))) {
    c.reason =
        "stdin and stdout are not both consoles: redirected handles pass as they are, console ones never "
        "(output relayed through pipes, stdin NUL)";
    return c;
  }
  c.conpty = true;
  c.stderr_to_pty = is_console(STD_ERROR_HANDLE);
  c.reason = "a pseudoconsole (ConPTY) pumped to cordon's console";
  return c;
}

std::string describe_tty(TtyMode mode) {
  TtyChoice c = choose_tty(mode);
  if (!c.conpty) return "tty: " + c.reason;
  if (c.simulate_missing || !api())
    return "tty: ConPTY is unavailable here (CreatePseudoConsole missing; Windows 10 1809+ has it); a tty "
           "command gets console output relayed through pipes and NUL for stdin";
  return "tty: the command runs on " + c.reason + (c.stderr_to_pty ? "" : " (stderr stays redirected)") +
         "; if it fails, console output is relayed through pipes and stdin is NUL";
}

Result<std::unique_ptr<Pseudoconsole>> Pseudoconsole::open(const TtyChoice& choice) {
  if (choice.simulate_missing || !api())
    return win32_error("CreatePseudoConsole", "kernel32", ERROR_PROC_NOT_FOUND,
                       "ConPTY needs Windows 10 1809 (build 17763) or later");
  std::unique_ptr<Pseudoconsole> p(new Pseudoconsole);
  p->console_in_ = GetStdHandle(STD_INPUT_HANDLE);
  p->console_out_ = GetStdHandle(STD_OUTPUT_HANDLE);
  COORD size = console_size(p->console_out_);
  p->columns_ = size.X;
  p->rows_ = size.Y;
  UniqueHandle pty_reads, pty_writes;  // the pseudoconsole's ends; it keeps duplicates
  if (!CreatePipe(pty_reads.out(), p->to_pty_.out(), nullptr, 0))
    return win32_error("CreatePipe", "pty input");
  if (!CreatePipe(p->from_pty_.out(), pty_writes.out(), nullptr, 0))
    return win32_error("CreatePipe", "pty output");
  PseudoconsoleHandle pty = nullptr;
  HRESULT hr = api()->create(size, pty_reads.get(), pty_writes.get(), 0, &pty);
  if (FAILED(hr)) return win32_error("CreatePseudoConsole", "", static_cast<DWORD>(hr));
  p->pty_ = pty;
  return p;
}

Status Pseudoconsole::start() {
  DWORD mode = 0;
  if (GetConsoleMode(console_in_, &mode)) {
    saved_in_mode_ = mode;
    in_mode_saved_ = true;
    // Raw VT input: keys (Ctrl-C included) reach the pseudoconsole as bytes.
    SetConsoleMode(console_in_, ENABLE_VIRTUAL_TERMINAL_INPUT | (mode & ENABLE_EXTENDED_FLAGS));
  }
  if (GetConsoleMode(console_out_, &mode)) {
    saved_out_mode_ = mode;
    out_mode_saved_ = true;
    SetConsoleMode(console_out_, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING | DISABLE_NEWLINE_AUTO_RETURN);
  }
  auto out = std::make_unique<OutputPump>();
  out->from_pty = std::move(from_pty_);
  out->console_out = console_out_;
  output_thread_ = UniqueHandle(CreateThread(nullptr, 0, pump_output, out.get(), 0, nullptr));
  if (!output_thread_) return win32_error("CreateThread", "pty output pump");
  out.release();  // the thread frees it
  auto pump = std::make_unique<InputPump>();
  pump->console_in = console_in_;
  HANDLE self = GetCurrentProcess();
  HANDLE dup = nullptr;
  if (!DuplicateHandle(self, to_pty_.get(), self, &dup, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return win32_error("DuplicateHandle", "pty input");
  pump->to_pty = UniqueHandle(dup);
  stop_input_ = UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!stop_input_ || !DuplicateHandle(self, stop_input_.get(), self, &dup, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return win32_error("CreateEventW", "pty input stop");
  pump->stop = UniqueHandle(dup);
  to_pty_.reset();  // the pump holds the only write end
  input_thread_ = UniqueHandle(CreateThread(nullptr, 0, pump_input, pump.get(), 0, nullptr));
  if (!input_thread_) return win32_error("CreateThread", "pty input pump");
  pump.release();  // the thread frees it
  return Ok{};
}

DWORD WINAPI Pseudoconsole::pump_input(void* arg) {
  std::unique_ptr<InputPump> pump(static_cast<InputPump*>(arg));
  DWORD mode = 0;
  const bool console = GetConsoleMode(pump->console_in, &mode);
  char buf[4096];
  DWORD n = 0, written = 0;
  for (;;) {
    if (console) {
      HANDLE waits[2] = {pump->stop.get(), pump->console_in};
      if (WaitForMultipleObjects(2, waits, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) break;
      if (!key_pending(pump->console_in)) continue;
    } else if (WaitForSingleObject(pump->stop.get(), 0) == WAIT_OBJECT_0) {
      break;
    }
    if (!ReadFile(pump->console_in, buf, sizeof(buf), &n, nullptr) || n == 0) break;
    if (!WriteFile(pump->to_pty.get(), buf, n, &written, nullptr)) break;
  }
  return 0;
}

void Pseudoconsole::poll_resize() {
  if (!pty_ || !api()) return;
  COORD size = console_size(console_out_);
  if (size.X == columns_ && size.Y == rows_) return;
  columns_ = size.X;
  rows_ = size.Y;
  api()->resize(pty_, size);
}

void Pseudoconsole::finish() {
  if (finished_) return;
  finished_ = true;
  // Closing the pseudoconsole ends its host; its output pipe then reaches EOF once the
  // last frame is drained by the pump (which must keep running meanwhile).
  if (pty_ && api()) api()->close(pty_);
  pty_ = nullptr;
  if (output_thread_ && WaitForSingleObject(output_thread_.get(), 5000) == WAIT_TIMEOUT) {
    CancelSynchronousIo(output_thread_.get());
    WaitForSingleObject(output_thread_.get(), 1000);  // else abandoned: it owns its state
  }
  if (stop_input_) SetEvent(stop_input_.get());
  if (input_thread_) {
    CancelSynchronousIo(input_thread_.get());
    WaitForSingleObject(input_thread_.get(), 500);  // else abandoned: it owns its state
  }
  // What is left in the console's input (answers the terminal gave to queries the
  // command printed, e.g. a cursor position report) is discarded, not read by the
  // caller's shell as if typed.
  if (in_mode_saved_) {
    FlushConsoleInputBuffer(console_in_);
    SetConsoleMode(console_in_, saved_in_mode_);
  }
  if (out_mode_saved_) SetConsoleMode(console_out_, saved_out_mode_);
}

Pseudoconsole::~Pseudoconsole() {
  finish();
}

namespace {
COORD clamped(uint16_t rows, uint16_t columns) {
  auto side = [](uint16_t v) { return static_cast<SHORT>(v < 1 ? 1 : v > 1000 ? 1000 : v); };
  return COORD{side(columns), side(rows)};
}
}  // namespace

Result<std::unique_ptr<PipedPseudoconsole>> PipedPseudoconsole::open(uint16_t rows, uint16_t columns) {
  if (!api())
    return win32_error("CreatePseudoConsole", "kernel32", ERROR_PROC_NOT_FOUND,
                       "ConPTY needs Windows 10 1809 (build 17763) or later; --tty never runs on pipes");
  std::unique_ptr<PipedPseudoconsole> p(new PipedPseudoconsole);
  UniqueHandle pty_reads, pty_writes;  // the pseudoconsole's ends; it keeps duplicates
  if (!CreatePipe(pty_reads.out(), p->to_pty_.out(), nullptr, 0))
    return win32_error("CreatePipe", "pty input");
  if (!CreatePipe(p->from_pty_.out(), pty_writes.out(), nullptr, 0))
    return win32_error("CreatePipe", "pty output");
  PseudoconsoleHandle pty = nullptr;
  const HRESULT hr = api()->create(clamped(rows, columns), pty_reads.get(), pty_writes.get(), 0, &pty);
  if (FAILED(hr)) return win32_error("CreatePseudoConsole", "", static_cast<DWORD>(hr));
  p->pty_ = pty;
  return p;
}

void PipedPseudoconsole::resize(uint16_t rows, uint16_t columns) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pty_) api()->resize(pty_, clamped(rows, columns));
}

void PipedPseudoconsole::close() {
  PseudoconsoleHandle pty = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pty = pty_;
    pty_ = nullptr;
  }
  // Outside the lock: before Windows 11 it waits until the output is drained.
  if (pty) api()->close(pty);
}

PipedPseudoconsole::~PipedPseudoconsole() {
  close();
}

bool stage2_tty(TtyMode mode) {
  if (mode != TtyMode::Auto) return mode == TtyMode::Always;
  return is_console(STD_INPUT_HANDLE) && is_console(STD_OUTPUT_HANDLE);
}

std::optional<std::pair<uint16_t, uint16_t>> console_window_size() {
  CONSOLE_SCREEN_BUFFER_INFO info{};
  if (!GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &info)) return std::nullopt;
  auto side = [](int v) { return static_cast<uint16_t>(v < 1 ? 1 : v > 1000 ? 1000 : v); };
  return std::pair{side(info.srWindow.Bottom - info.srWindow.Top + 1),
                   side(info.srWindow.Right - info.srWindow.Left + 1)};
}

RawConsole::RawConsole() : in_(GetStdHandle(STD_INPUT_HANDLE)), out_(GetStdHandle(STD_OUTPUT_HANDLE)) {
  if (GetConsoleMode(in_, &in_mode_)) {
    in_saved_ = true;
    SetConsoleMode(in_, ENABLE_VIRTUAL_TERMINAL_INPUT | (in_mode_ & ENABLE_EXTENDED_FLAGS));
  }
  if (GetConsoleMode(out_, &out_mode_)) {
    out_saved_ = true;
    SetConsoleMode(out_, out_mode_ | ENABLE_VIRTUAL_TERMINAL_PROCESSING | DISABLE_NEWLINE_AUTO_RETURN);
  }
}

RawConsole::~RawConsole() {
  // Answers the terminal gave to queries the command printed are not the caller's
  // shell's to read.
  if (in_saved_) {
    FlushConsoleInputBuffer(in_);
    SetConsoleMode(in_, in_mode_);
  }
  if (out_saved_) SetConsoleMode(out_, out_mode_);
}

}  // namespace cordon::winsys
