// cordon (Windows): a pseudoconsole (ConPTY) for tty commands.
//
//   TtyChoice tty = choose_tty();                 // ConPTY when stdin and stdout are consoles
//   auto pty = tty.conpty ? Pseudoconsole::open(tty) : ...;   // failure: fall back, keep the reason
//   attributes: PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE = pty->handle()
//   pty->start();                                 // raw console modes, pumps in both directions
//   ... wait, calling pty->poll_resize() ...
//   pty->finish();                                // ClosePseudoConsole, drain, restore the modes
//
// The child talks to a pseudoconsole whose host (conhost) cordon creates; cordon pumps
// its own console's input (in VT input mode) to it and the rendered VT output back.
// Resizes are polled while waiting. CreatePseudoConsole is looked up at run time: it
// exists from Windows 10 1809 (build 17763); Wine may lack it or fail. Any failure
// falls back to a hidden console of the child's own (CREATE_NO_WINDOW), with console
// output relayed through pipes and NUL for stdin: a console handle of cordon's never
// reaches the sandbox (it could type into the caller's console, launch.cpp).
//
// CORDON_WINDOWS_CONPTY: "auto" (default), "off" (never a pseudoconsole), "on" (use ConPTY
// even when stdio is not a console: output is pumped to cordon's stdout), and, for
// the smoke tests, "unavailable" (act as if CreatePseudoConsole did not exist).
#pragma once

#include <windows.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "platform/windows/win32.hpp"

// The SDK declares the ConPTY names only when targeting Windows 10 1809 (RS5) and
// later; cordon targets older builds too and looks the functions up at run time.
#ifndef PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE
#define PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE 0x00020016  // ProcThreadAttributePseudoConsole (22), input
#endif

namespace cordon::winsys {

using PseudoconsoleHandle = void*;  // HPCON

struct TtyChoice {
  bool conpty = false;
  bool stderr_to_pty = false;  // cordon's stderr is a console too; else it stays redirected
  bool simulate_missing = false;
  std::string reason;  // why ConPTY is or is not used: for explain and the run report
};

// `mode` is --tty (the config's `tty`): never, always (as CORDON_WINDOWS_CONPTY=on), or
// auto; CORDON_WINDOWS_CONPTY, when set, decides instead.
TtyChoice choose_tty(TtyMode mode = TtyMode::Auto);
// One line for `cordon explain`: what a run from this console would get.
std::string describe_tty(TtyMode mode = TtyMode::Auto);

class Pseudoconsole {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Pseudoconsole>> open(const TtyChoice& choice);
  ~Pseudoconsole();
  Pseudoconsole(const Pseudoconsole&) = delete;
  Pseudoconsole& operator=(const Pseudoconsole&) = delete;

  PseudoconsoleHandle handle() const { return pty_; }
  // Sets cordon's console to raw VT input / VT output and starts the pumps.
  [[nodiscard]] Status start();
  // Resizes the pseudoconsole when cordon's console window changed size.
  void poll_resize();
  // Closes the pseudoconsole (the child has exited), drains its output, stops the
  // input pump and restores the console modes. Idempotent.
  void finish();

 private:
  Pseudoconsole() = default;
  static DWORD WINAPI pump_input(void* pump);

  PseudoconsoleHandle pty_ = nullptr;
  UniqueHandle to_pty_;    // we write the user's input here
  UniqueHandle from_pty_;  // we read the rendered output here (handed to the output pump)
  UniqueHandle output_thread_, input_thread_, stop_input_;
  HANDLE console_in_ = nullptr, console_out_ = nullptr;
  DWORD saved_in_mode_ = 0, saved_out_mode_ = 0;
  bool in_mode_saved_ = false, out_mode_saved_ = false;
  short columns_ = 80, rows_ = 25;
  bool finished_ = false;
};

// A pseudoconsole whose two ends are pipes this process pumps, with no console of its
// own involved: the stage-2 runner's (apps/runner/session.cpp), relayed in frames to
// cordon.exe, which relays them to the caller's console.
//
//   auto pty = PipedPseudoconsole::open(24, 80);     // 1..1000 each (runner_protocol.hpp)
//   hooks.pseudoconsole = (*pty)->handle();           // launch.hpp: the command's console
//   write keys to input(), read the rendered output from output(); resize() from any thread
//   (*pty)->close();                                  // the command is gone: output then ends
class PipedPseudoconsole {
 public:
  [[nodiscard]] static Result<std::unique_ptr<PipedPseudoconsole>> open(uint16_t rows, uint16_t columns);
  ~PipedPseudoconsole();
  PipedPseudoconsole(const PipedPseudoconsole&) = delete;
  PipedPseudoconsole& operator=(const PipedPseudoconsole&) = delete;

  PseudoconsoleHandle handle() const { return pty_; }
  HANDLE input() const { return to_pty_.get(); }
  HANDLE output() const { return from_pty_.get(); }
  // Sizes outside 1..1000 are clamped (the frames refuse them before this).
  void resize(uint16_t rows, uint16_t columns);
  // ClosePseudoConsole: its host ends, and output() reaches EOF after the last of what
  // it rendered (which a pump must keep reading meanwhile). Idempotent.
  void close();

 private:
  PipedPseudoconsole() = default;
  std::mutex mutex_;  // resize() and close() from different threads
  PseudoconsoleHandle pty_ = nullptr;
  UniqueHandle to_pty_, from_pty_;
};

// cordon.exe's side of a stage-2 tty run (stage2_run.cpp): whether the runner makes a
// pseudoconsole (--tty always; auto: cordon's stdin and stdout are both consoles), the
// caller's window size (clamped to 1..1000; nullopt when stdout is no console), and the
// console in raw VT input / VT output mode for the run: keys (Ctrl-C too) go to the
// command as bytes. At the end, what is left in the console's input is discarded and
// the modes are restored.
bool stage2_tty(TtyMode mode);
std::optional<std::pair<uint16_t, uint16_t>> console_window_size();  // rows, columns
class RawConsole {
 public:
  RawConsole();
  ~RawConsole();
  RawConsole(const RawConsole&) = delete;
  RawConsole& operator=(const RawConsole&) = delete;

 private:
  HANDLE in_ = nullptr, out_ = nullptr;
  DWORD in_mode_ = 0, out_mode_ = 0;
  bool in_saved_ = false, out_saved_ = false;
};

}  // namespace cordon::winsys
