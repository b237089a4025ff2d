#include "platform/windows/launch.hpp"

#include <sddl.h>

#include <algorithm>
#include <cwctype>

#include "plan/windows/program_path.hpp"
#include "platform/windows/conpty.hpp"
#include "platform/windows/runner_station.hpp"
#include "platform/windows/state_io.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

constexpr int kTimeoutExitCode = 124;    // as on Linux (GNU timeout)
constexpr int kCancelledExitCode = 130;  // as a shell reports Ctrl+C (128 + SIGINT)

// A regular file (or a link to one), as CreateProcess would open it.
bool is_file(const std::string& path) {
  DWORD attrs = GetFileAttributesW(widen(path).c_str());
  return attrs != INVALID_FILE_ATTRIBUTES && !(attrs & FILE_ATTRIBUTE_DIRECTORY);
}

std::wstring environment_block(std::vector<std::string> env) {
  std::vector<std::wstring> wide;
  for (const auto& e : env) wide.push_back(widen(e));
  std::sort(wide.begin(), wide.end(), [](const std::wstring& a, const std::wstring& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](wchar_t x, wchar_t y) {
      return std::towupper(x) < std::towupper(y);
    });
  });
  std::wstring block;
  for (const auto& e : wide) {
    block += e;
    block.push_back(L'\0');
  }
  block.push_back(L'\0');
  return block;
}

Result<UniqueHandle> make_job(const win::JobLimits& wanted) {
  UniqueHandle job(CreateJobObjectW(nullptr, nullptr));
  if (!job) return win32_error("CreateJobObjectW", "");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  DWORD flags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (wanted.memory_bytes) {
    flags |= JOB_OBJECT_LIMIT_JOB_MEMORY;
    limits.JobMemoryLimit = static_cast<SIZE_T>(*wanted.memory_bytes);
  }
  if (wanted.processes) {
    flags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
    limits.BasicLimitInformation.ActiveProcessLimit = *wanted.processes;
  }
  if (wanted.process_user_time) {
    flags |= JOB_OBJECT_LIMIT_PROCESS_TIME;
    limits.BasicLimitInformation.PerProcessUserTimeLimit.QuadPart = *wanted.process_user_time;
  }
  limits.BasicLimitInformation.LimitFlags = flags;
  if (!SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits, sizeof(limits)))
    return win32_error("SetInformationJobObject", "KILL_ON_JOB_CLOSE and limits");
  // Reported as enforced only if the job holds them: the requested limits are read
  // back, and a job that does not hold them refuses the launch (fail closed).
  const DWORD requested =
      flags & (JOB_OBJECT_LIMIT_JOB_MEMORY | JOB_OBJECT_LIMIT_ACTIVE_PROCESS | JOB_OBJECT_LIMIT_PROCESS_TIME);
  if (requested) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION held{};
    if (!QueryInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &held, sizeof(held),
                                   nullptr))
      return win32_error("QueryInformationJobObject", "limits");
    if ((held.BasicLimitInformation.LimitFlags & requested) != requested ||
        (wanted.memory_bytes && held.JobMemoryLimit != limits.JobMemoryLimit) ||
        (wanted.processes && held.BasicLimitInformation.ActiveProcessLimit != *wanted.processes))
      return usage_error("job object", "the limits read back differ from the ones set",
                         "drop --memory/--pids/--cpu-time, or report this host");
  }
  JOBOBJECT_BASIC_UI_RESTRICTIONS ui{};
  ui.UIRestrictionsClass = JOB_OBJECT_UILIMIT_DESKTOP | JOB_OBJECT_UILIMIT_DISPLAYSETTINGS |
                           JOB_OBJECT_UILIMIT_EXITWINDOWS | JOB_OBJECT_UILIMIT_GLOBALATOMS |
                           JOB_OBJECT_UILIMIT_HANDLES | JOB_OBJECT_UILIMIT_READCLIPBOARD |
                           JOB_OBJECT_UILIMIT_SYSTEMPARAMETERS | JOB_OBJECT_UILIMIT_WRITECLIPBOARD;
  if (!SetInformationJobObject(job.get(), JobObjectBasicUIRestrictions, &ui, sizeof(ui)))
    return win32_error("SetInformationJobObject", "UI restrictions");
  return job;
}

struct Desktop {
  HDESK handle = nullptr;
  std::wstring name;  // "Winsta0\\..."
  ~Desktop() {
    if (handle) CloseDesktop(handle);
  }
};

// The default DACL of `token` as ACL bytes (create_sandbox_token set it: token.cpp).
Result<std::vector<BYTE>> token_default_dacl(HANDLE token) {
  DWORD size = 0;
  GetTokenInformation(token, TokenDefaultDacl, nullptr, 0, &size);
  if (size == 0) return win32_error("GetTokenInformation", "TokenDefaultDacl");
  std::vector<BYTE> buffer(size);
  if (!GetTokenInformation(token, TokenDefaultDacl, buffer.data(), size, &size))
    return win32_error("GetTokenInformation", "TokenDefaultDacl");
  const ACL* acl = reinterpret_cast<const TOKEN_DEFAULT_DACL*>(buffer.data())->DefaultDacl;
  if (!acl) return win32_error("GetTokenInformation", "TokenDefaultDacl (none)", ERROR_INVALID_ACL);
  const BYTE* bytes = reinterpret_cast<const BYTE*>(acl);
  return std::vector<BYTE>(bytes, bytes + acl->AclSize);
}

Status open_desktop(const LaunchRequest& r, Desktop& d) {
  // The window station this process is on: WinSta0 for cordon.exe in a user's session,
  // the station cordon made for it for the stage-2 runner (runner_station.hpp).
  std::wstring station = current_station_name();
  if (station.empty()) station = L"Winsta0";
  if (!r.private_desktop) {
    d.name = station + L"\\Default";
    return Ok{};
  }
  auto rnd = random_u32x4();
  if (!rnd) return rnd.error();
  wchar_t suffix[40];
  swprintf(suffix, std::size(suffix), L"%08x%08x", (*rnd)[0], (*rnd)[1]);
  std::wstring name = std::wstring(L"CordonSandbox-") + suffix;
  // Who may use the desktop. With a sandbox token: exactly its default DACL (the user,
  // SYSTEM and the run SID, TokenSpec::default_dacl), so the command passes both checks
  // and another sandbox, which shares the user and the logon SID but not the run SID,
  // fails the restricted pass for the write-mapped rights input needs (JOURNALPLAYBACK,
  // WRITEOBJECTS): it could open this desktop when the DACL named the logon SID (F5).
  // Without one (full access): the logon session and SYSTEM.
  std::vector<BYTE> token_dacl;
  SECURITY_DESCRIPTOR token_sd{};
  LocalPtr<void> sddl_sd;
  void* descriptor = nullptr;
  if (r.token) {
    auto dacl = token_default_dacl(r.token);
    if (!dacl) return dacl.error();
    token_dacl = std::move(*dacl);
    if (!InitializeSecurityDescriptor(&token_sd, SECURITY_DESCRIPTOR_REVISION) ||
        !SetSecurityDescriptorDacl(&token_sd, TRUE, reinterpret_cast<ACL*>(token_dacl.data()), FALSE) ||
        !SetSecurityDescriptorControl(&token_sd, SE_DACL_PROTECTED, SE_DACL_PROTECTED))
      return win32_error("SetSecurityDescriptorDacl", "desktop");
    descriptor = &token_sd;
  } else {
    std::wstring sddl = L"D:P(A;;GA;;;SY)" +
                        (r.logon_sid.empty() ? std::wstring() : L"(A;;GA;;;" + widen(r.logon_sid) + L")");
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, sddl_sd.out(),
                                                              nullptr))
      return win32_error("ConvertStringSecurityDescriptorToSecurityDescriptorW", narrow(sddl));
    descriptor = sddl_sd.get();
  }
  SECURITY_ATTRIBUTES sa{sizeof(sa), descriptor, FALSE};
  d.handle = CreateDesktopW(name.c_str(), nullptr, nullptr, 0, GENERIC_ALL, &sa);
  if (!d.handle)
    return win32_error(
        "CreateDesktopW", narrow(name), GetLastError(),
        "set CORDON_WINDOWS_DESKTOP=default to run on the shared desktop (weaker UI isolation)");
  d.name = station + L"\\" + name;  // CreateDesktopW made it on this process's station
  return Ok{};
}

bool is_console_handle(HANDLE h) {
  DWORD mode = 0;
  return GetConsoleMode(h, &mode) != 0;
}

// Console handles never reach the sandbox: any process holding one can write into the
// console's input queue (WriteConsoleInputW), and the agent's prompt or the user's
// shell would read and run the keystrokes outside the sandbox. Without a
// pseudoconsole, a console stdin becomes NUL and console output goes through a pipe
// that cordon copies to its console.
class ConsoleRelay {
 public:
  ConsoleRelay() = default;
  ConsoleRelay(const ConsoleRelay&) = delete;
  ConsoleRelay& operator=(const ConsoleRelay&) = delete;
  ~ConsoleRelay() { wait(); }

  // Returns the handle the child gets instead of the console handle `h` (our copy;
  // the caller duplicates it as inheritable and closes it), or null on failure.
  HANDLE substitute(HANDLE h, bool input) {
    if (input) {
      return CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, 0,
                         nullptr);
    }
    HANDLE read_end = nullptr, write_end = nullptr;
    if (!CreatePipe(&read_end, &write_end, nullptr, 0)) return nullptr;
    auto* pump = new Pump{UniqueHandle(read_end), h};
    HANDLE thread = CreateThread(nullptr, 0, &ConsoleRelay::copy, pump, 0, nullptr);
    if (!thread) {
      delete pump;
      CloseHandle(write_end);
      return nullptr;
    }
    threads_.emplace_back(thread);
    return write_end;
  }
  // After the job is gone every write end is closed, so the copies end by themselves.
  void wait() {
    for (auto& t : threads_) WaitForSingleObject(t.get(), 5000);
    threads_.clear();
  }

 private:
  struct Pump {
    UniqueHandle from;
    HANDLE to;
  };
  static DWORD WINAPI copy(void* arg) {
    std::unique_ptr<Pump> pump(static_cast<Pump*>(arg));
    char buf[8192];
    DWORD n = 0, written = 0;
    while (ReadFile(pump->from.get(), buf, sizeof(buf), &n, nullptr) && n > 0)
      if (!WriteFile(pump->to, buf, n, &written, nullptr)) break;
    return 0;
  }
  std::vector<UniqueHandle> threads_;
};

// Inheritable duplicates of the three stdio handles (cordon's own, or the hooks'),
// deduplicated; with a relay, console handles are replaced first.
std::vector<HANDLE> stdio_handles(const LaunchHooks& hooks, HANDLE out[3], ConsoleRelay* relay) {
  std::vector<HANDLE> list;
  const DWORD ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  for (int i = 0; i < 3; ++i) {
    out[i] = nullptr;
    HANDLE h = hooks.stdio ? (*hooks.stdio)[static_cast<size_t>(i)] : GetStdHandle(ids[i]);
    if (!h || h == INVALID_HANDLE_VALUE) continue;
    UniqueHandle substitute;
    if (relay && is_console_handle(h)) {
      substitute = UniqueHandle(relay->substitute(h, i == 0));
      if (!substitute) continue;  // the child gets no handle rather than the console
      h = substitute.get();
    }
    HANDLE dup = nullptr;
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, TRUE, DUPLICATE_SAME_ACCESS))
      continue;
    out[i] = dup;
    list.push_back(dup);
  }
  return list;
}

BOOL WINAPI ignore_ctrl(DWORD) {
  return TRUE;
}  // the child gets Ctrl-C; we wait for it

// The attribute list (handle list, pseudoconsole), deleted with the buffer it lives in.
class AttributeList {
 public:
  AttributeList() {
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 2, 0, &size);
    buffer_.resize(size);
    if (InitializeProcThreadAttributeList(get(), 2, 0, &size)) ok_ = true;
  }
  ~AttributeList() {
    if (ok_) DeleteProcThreadAttributeList(get());
  }
  AttributeList(const AttributeList&) = delete;
  AttributeList& operator=(const AttributeList&) = delete;
  bool ok() const { return ok_; }
  LPPROC_THREAD_ATTRIBUTE_LIST get() {
    return reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(buffer_.data());
  }

 private:
  std::vector<BYTE> buffer_;
  bool ok_ = false;
};

// CreateProcess(AsUser)W, suspended, inheriting exactly the handles it is given: the
// three stdio handles, or on a pseudoconsole none (the console supplies them) except
// a redirected stderr. NULL standard handles with STARTF_USESTDHANDLES keep the
// child from being handed cordon's own handles instead of the pseudoconsole's.
Result<PROCESS_INFORMATION> create_suspended(const LaunchRequest& r, const LaunchHooks& hooks,
                                             std::wstring& cmdline, std::wstring& env,
                                             const std::wstring& cwd, std::wstring& desktop,
                                             PseudoconsoleHandle pty, bool stderr_to_pty,
                                             ConsoleRelay& relay) {
  HANDLE stdio[3] = {nullptr, nullptr, nullptr};
  // The runner's pseudoconsole carries all three streams: none of the runner's own
  // handles is even duplicated.
  std::vector<HANDLE> handles =
      hooks.pseudoconsole ? std::vector<HANDLE>{} : stdio_handles(hooks, stdio, pty ? nullptr : &relay);
  std::vector<UniqueHandle> owned;  // our copies; the child has its own once created
  for (HANDLE h : handles) owned.emplace_back(h);
  if (pty) {
    handles.clear();
    stdio[0] = stdio[1] = nullptr;
    if (stderr_to_pty)
      stdio[2] = nullptr;
    else if (stdio[2])
      handles.push_back(stdio[2]);
  }
  std::sort(handles.begin(), handles.end());
  handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
  AttributeList attrs;
  if (!attrs.ok()) return win32_error("InitializeProcThreadAttributeList", "");
  if (!handles.empty() &&
      !UpdateProcThreadAttribute(attrs.get(), 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles.data(),
                                 handles.size() * sizeof(HANDLE), nullptr, nullptr))
    return win32_error("UpdateProcThreadAttribute", "PROC_THREAD_ATTRIBUTE_HANDLE_LIST");
  if (pty && !UpdateProcThreadAttribute(attrs.get(), 0, PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE, pty,
                                        sizeof(PseudoconsoleHandle), nullptr, nullptr))
    return win32_error("UpdateProcThreadAttribute", "PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE");
  STARTUPINFOEXW si{};
  si.StartupInfo.cb = sizeof(si);
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = stdio[0];
  si.StartupInfo.hStdOutput = stdio[1];
  si.StartupInfo.hStdError = stdio[2];
  si.StartupInfo.lpDesktop = desktop.data();
  si.lpAttributeList = attrs.get();
  PROCESS_INFORMATION pi{};
  // Without a pseudoconsole the child gets a console of its own, hidden, never
  // cordon's (CREATE_NO_WINDOW); with one, the pseudoconsole is its console.
  const DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT |
                      (pty ? 0 : CREATE_NO_WINDOW);
  const BOOL inherit = !handles.empty();
  BOOL created =
      r.token ? CreateProcessAsUserW(r.token, nullptr, cmdline.data(), nullptr, nullptr, inherit, flags,
                                     env.data(), cwd.empty() ? nullptr : cwd.c_str(), &si.StartupInfo, &pi)
              : CreateProcessW(nullptr, cmdline.data(), nullptr, nullptr, inherit, flags, env.data(),
                               cwd.empty() ? nullptr : cwd.c_str(), &si.StartupInfo, &pi);
  if (!created) {
    DWORD code = GetLastError();
    return win32_error(r.token ? "CreateProcessAsUserW" : "CreateProcessW", r.argv[0], code,
                       code == ERROR_FILE_NOT_FOUND ? "is the command on PATH?" : "");
  }
  return pi;
}

}  // namespace

std::wstring quote_argument(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) return arg;
  std::wstring out = L"\"";
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
    } else if (c == L'"') {
      out.append(backslashes * 2 + 1, L'\\');
      out.push_back(c);
      backslashes = 0;
    } else {
      out.append(backslashes, L'\\');
      out.push_back(c);
      backslashes = 0;
    }
  }
  out.append(backslashes * 2, L'\\');
  out.push_back(L'"');
  return out;
}

Result<LaunchResult> launch(const LaunchRequest& r, const LaunchHooks& hooks) {
  if (r.argv.empty()) return usage_error("run", "no command given");
  // 1. Program and command line.
  // Looked up in the child's PATH, never cordon's, its directory or the cwd (F20).
  auto resolved = win::resolve_program(r.argv[0], r.cwd, r.env, is_file);
  if (!resolved) return resolved.error();
  std::wstring program = widen(*resolved);
  std::wstring cmdline = quote_argument(program);
  for (size_t i = 1; i < r.argv.size(); ++i) cmdline += L" " + quote_argument(widen(r.argv[i]));
  // 2. Environment.
  std::wstring env = environment_block(r.env);
  // 3. Job.
  auto job = make_job(r.limits);
  if (!job) return job.error();
  // 4. Desktop.
  Desktop desktop;
  auto d = open_desktop(r, desktop);
  if (!d) return d.error();
  // 5. A pseudoconsole for a tty command (falls back to the console handles).
  LaunchResult result;
  // The runner's pipes or pseudoconsole: never a console of the runner's.
  TtyChoice tty = hooks.stdio || hooks.pseudoconsole ? TtyChoice{} : choose_tty(r.tty);
  std::unique_ptr<Pseudoconsole> pty;
  if (tty.conpty) {
    auto opened = Pseudoconsole::open(tty);
    if (opened)
      pty = std::move(*opened);
    else
      result.tty_note =
          "ConPTY unavailable (" + opened.error().message() + "); console output relayed, stdin NUL";
  }
  // 6. STARTUPINFOEX with an explicit handle list, created suspended; if the process
  //    cannot start on the pseudoconsole, it is started once more without it.
  std::wstring cwd = widen(r.cwd);
  ConsoleRelay relay;
  auto created =
      hooks.pseudoconsole
          ? create_suspended(r, hooks, cmdline, env, cwd, desktop.name, hooks.pseudoconsole, true, relay)
          : create_suspended(r, hooks, cmdline, env, cwd, desktop.name, pty ? pty->handle() : nullptr,
                             tty.stderr_to_pty, relay);
  if (!created && pty) {
    result.tty_note = "ConPTY failed (" + created.error().message() + "); console output relayed, stdin NUL";
    pty.reset();
    created = create_suspended(r, hooks, cmdline, env, cwd, desktop.name, nullptr, false, relay);
  }
  if (!created) return created.error();
  PROCESS_INFORMATION pi = *created;
  result.tty = pty || hooks.pseudoconsole ? "conpty" : "redirected";
  UniqueHandle process(pi.hProcess), thread(pi.hThread);
  if (!AssignProcessToJobObject(job->get(), process.get())) {
    Error e = win32_error("AssignProcessToJobObject", r.argv[0]);
    TerminateProcess(process.get(), 1);  // fail closed: it never ran a single instruction
    return e;
  }
  SetConsoleCtrlHandler(ignore_ctrl, TRUE);
  if (pty) {
    auto started = pty->start();
    if (!started) {
      TerminateProcess(process.get(), 1);  // fail closed: it never ran
      SetConsoleCtrlHandler(ignore_ctrl, FALSE);
      return started.error();
    }
  }
  if (hooks.on_started) hooks.on_started(pi.dwProcessId);  // in the job, not yet running
  if (ResumeThread(thread.get()) == static_cast<DWORD>(-1)) {
    Error e = win32_error("ResumeThread", r.argv[0]);
    TerminateJobObject(job->get(), 1);
    return e;
  }

  // 7. Wait, with the timeout applied to the whole job; a pseudoconsole follows the
  //    size of cordon's console meanwhile.
  const ULONGLONG start = GetTickCount64();
  const ULONGLONG limit_ms =
      r.timeout_seconds ? static_cast<ULONGLONG>(std::min(*r.timeout_seconds * 1000.0, 3.2e10)) : 0;
  for (;;) {
    DWORD slice = pty ? 200 : INFINITE;
    if (r.timeout_seconds) {
      ULONGLONG elapsed = GetTickCount64() - start;
      if (elapsed >= limit_ms) {
        result.timed_out = true;
        break;
      }
      slice = static_cast<DWORD>(std::min<ULONGLONG>(slice, limit_ms - elapsed));
    }
    const HANDLE waits[2] = {process.get(), hooks.cancel_event};
    const DWORD woke = WaitForMultipleObjects(hooks.cancel_event ? 2 : 1, waits, FALSE, slice);
    if (woke == WAIT_OBJECT_0 + 1) {
      result.cancelled = true;
      break;
    }
    if (woke != WAIT_TIMEOUT) break;
    if (pty) pty->poll_resize();
  }
  if (result.timed_out || result.cancelled) {
    TerminateJobObject(job->get(), result.timed_out ? kTimeoutExitCode : kCancelledExitCode);
    WaitForSingleObject(process.get(), 5000);
  }
  DWORD code = 0;
  GetExitCodeProcess(process.get(), &code);
  result.exit_code = result.timed_out   ? kTimeoutExitCode
                     : result.cancelled ? kCancelledExitCode
                                        : static_cast<int>(code);
  // Closing the job (KILL_ON_JOB_CLOSE) ends any descendant that outlived the main process.
  TerminateJobObject(job->get(), result.exit_code);
  if (pty) pty->finish();  // no client is left: drain the last output, restore the console
  relay.wait();            // the last relayed console output
  SetConsoleCtrlHandler(ignore_ctrl, FALSE);
  return result;
}

}  // namespace cordon::winsys
