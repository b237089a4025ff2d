// cordon smoke-test child (Windows): small, predictable behaviours for
// scripts/windows/smoke.sh (under Wine) and scripts/windows/acceptance.ps1.
//
//   smoke_child echo TEXT            print TEXT on stdout
//   smoke_child stderr TEXT          print TEXT on stderr
//   smoke_child exit N               exit with N
//   smoke_child cat                  copy stdin to stdout
//   smoke_child sleep SECONDS
//   smoke_child touch-after FILE S   sleep S seconds, then create FILE
//   smoke_child spawn FILE S         start "touch-after FILE S" as a grandchild, then sleep
//   smoke_child write FILE           create FILE; exit 0, or 3 when denied
//   smoke_child env NAME             print the variable's value
//   smoke_child token                print "restricted=0|1"
//   smoke_child echo-w TEXT          print TEXT as UTF-8, read from the UTF-16 command line
//   smoke_child spew BYTES           print BYTES bytes: lines of 63 'x' and a newline
//   smoke_child console [TEXT]       print "console-processes=N stdio-consoles=I,O,E" (how
//                                    many processes share its console; which std handles
//                                    are consoles); with TEXT, also type TEXT and Enter into
//                                    CONIN$ and print "injected=0|1"
//   smoke_child pid-sleep FILE S     write its process id to FILE, then sleep S seconds
//   smoke_child open-process PID     print "opened-for-write=0|1" (VM_WRITE, CREATE_THREAD);
//                                    exit 3 when it could
//   smoke_child desktop-default      print "default-desktop=0|1": could it open
//                                    WinSta0\Default for input (JOURNALPLAYBACK, WRITEOBJECTS)
#include <windows.h>
// SDK headers that need <windows.h> above.
#include <shellapi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int usage() {
  std::fputs(
      "usage: smoke_child echo|echo-w|stderr|exit|cat|sleep|touch-after|spawn|spew|write|env|token ...\n",
      stderr);
  return 2;
}

bool create_file(const char* path) {
  HANDLE h = CreateFileA(path, GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  DWORD wrote = 0;
  WriteFile(h, "x", 1, &wrote, nullptr);
  CloseHandle(h);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  if (cmd == "echo" && argc >= 3) {
    std::printf("%s\n", argv[2]);
    return 0;
  }
  if (cmd == "stderr" && argc >= 3) {
    std::fprintf(stderr, "%s\n", argv[2]);
    return 0;
  }
  if (cmd == "exit" && argc >= 3) return std::atoi(argv[2]);
  if (cmd == "cat") {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), stdin)) > 0) std::fwrite(buf, 1, n, stdout);
    return 0;
  }
  if (cmd == "sleep" && argc >= 3) {
    Sleep(static_cast<DWORD>(std::atof(argv[2]) * 1000));
    return 0;
  }
  if (cmd == "touch-after" && argc >= 4) {
    Sleep(static_cast<DWORD>(std::atof(argv[3]) * 1000));
    return create_file(argv[2]) ? 0 : 3;
  }
  if (cmd == "spawn" && argc >= 4) {
    char self[MAX_PATH];
    GetModuleFileNameA(nullptr, self, MAX_PATH);
    std::string line = std::string("\"") + self + "\" touch-after \"" + argv[2] + "\" " + argv[3];
    STARTUPINFOA si{};
    si.cb = sizeof(si);
    PROCESS_INFORMATION pi{};
    if (!CreateProcessA(nullptr, line.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi))
      return 4;
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    std::printf("spawned %lu\n", static_cast<unsigned long>(pi.dwProcessId));
    std::fflush(stdout);
    Sleep(INFINITE);
    return 0;
  }
  if (cmd == "spew" && argc >= 3) {
    long long left = std::atoll(argv[2]);
    std::string line(63, 'x');
    line += '\n';
    while (left > 0) {
      const size_t n = left < static_cast<long long>(line.size()) ? static_cast<size_t>(left) : line.size();
      std::fwrite(line.data(), 1, n, stdout);
      left -= static_cast<long long>(n);
    }
    return 0;
  }
  if (cmd == "write" && argc >= 3) return create_file(argv[2]) ? 0 : 3;
  if (cmd == "env" && argc >= 3) {
    const char* v = std::getenv(argv[2]);
    std::printf("%s\n", v ? v : "<unset>");
    return v ? 0 : 1;
  }
  if (cmd == "echo-w") {
    // The narrow argv went through the ANSI code page; the wide command line did not.
    int wargc = 0;
    wchar_t** wargv = CommandLineToArgvW(GetCommandLineW(), &wargc);
    if (!wargv || wargc < 3) return 2;
    int n = WideCharToMultiByte(CP_UTF8, 0, wargv[2], -1, nullptr, 0, nullptr, nullptr);
    std::string text(static_cast<size_t>(n > 0 ? n - 1 : 0), '\0');
    if (n > 1) WideCharToMultiByte(CP_UTF8, 0, wargv[2], -1, text.data(), n, nullptr, nullptr);
    LocalFree(wargv);
    text += "\n";
    DWORD wrote = 0;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text.data(), static_cast<DWORD>(text.size()), &wrote, nullptr);
    return 0;
  }
  if (cmd == "console") {
    DWORD pids[16];
    DWORD count = GetConsoleProcessList(pids, 16);
    DWORD mode = 0;
    int in = GetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), &mode) ? 1 : 0;
    int out = GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &mode) ? 1 : 0;
    int err = GetConsoleMode(GetStdHandle(STD_ERROR_HANDLE), &mode) ? 1 : 0;
    std::printf("console-processes=%lu stdio-consoles=%d,%d,%d\n", static_cast<unsigned long>(count), in, out,
                err);
    // The window of the console this process is attached to (CONOUT$, whatever its
    // stdio are): the pseudoconsole's size on a tty run.
    HANDLE conout = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                nullptr, OPEN_EXISTING, 0, nullptr);
    CONSOLE_SCREEN_BUFFER_INFO info{};
    if (conout != INVALID_HANDLE_VALUE && GetConsoleScreenBufferInfo(conout, &info))
      std::printf("console-size=%dx%d\n", info.srWindow.Bottom - info.srWindow.Top + 1,
                  info.srWindow.Right - info.srWindow.Left + 1);
    if (conout != INVALID_HANDLE_VALUE) CloseHandle(conout);
    std::fflush(stdout);
    if (argc >= 3) {
      HANDLE conin = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 nullptr, OPEN_EXISTING, 0, nullptr);
      int injected = 0;
      if (conin != INVALID_HANDLE_VALUE) {
        std::string text = std::string(argv[2]) + "\r";
        std::vector<INPUT_RECORD> records;
        for (char c : text) {
          INPUT_RECORD r{};
          r.EventType = KEY_EVENT;
          r.Event.KeyEvent.bKeyDown = TRUE;
          r.Event.KeyEvent.wRepeatCount = 1;
          r.Event.KeyEvent.uChar.UnicodeChar = static_cast<WCHAR>(c);
          records.push_back(r);
          r.Event.KeyEvent.bKeyDown = FALSE;
          records.push_back(r);
        }
        DWORD wrote = 0;
        injected =
            WriteConsoleInputW(conin, records.data(), static_cast<DWORD>(records.size()), &wrote) ? 1 : 0;
        CloseHandle(conin);
      }
      std::printf("injected=%d\n", injected);
    }
    return 0;
  }
  if (cmd == "pid-sleep" && argc >= 4) {
    FILE* f = std::fopen(argv[2], "w");
    if (!f) return 3;
    std::fprintf(f, "%lu\n", static_cast<unsigned long>(GetCurrentProcessId()));
    std::fclose(f);
    Sleep(static_cast<DWORD>(std::atoi(argv[3])) * 1000);
    return 0;
  }
  if (cmd == "open-process" && argc >= 3) {
    HANDLE p = OpenProcess(PROCESS_VM_WRITE | PROCESS_VM_OPERATION | PROCESS_CREATE_THREAD, FALSE,
                           static_cast<DWORD>(std::strtoul(argv[2], nullptr, 10)));
    std::printf("opened-for-write=%d\n", p ? 1 : 0);
    if (p) CloseHandle(p);
    return p ? 3 : 0;
  }
  if (cmd == "station") {  // the window station and desktop this process runs on
    wchar_t station[256] = L"", desktop[256] = L"";
    DWORD n = 0;
    GetUserObjectInformationW(GetProcessWindowStation(), UOI_NAME, station, sizeof(station), &n);
    GetUserObjectInformationW(GetThreadDesktop(GetCurrentThreadId()), UOI_NAME, desktop, sizeof(desktop), &n);
    std::printf("station=%ls desktop=%ls\n", station, desktop);
    return 0;
  }
  if (cmd == "desktop-default") {
    HDESK d = OpenDesktopW(L"Default", 0, FALSE, DESKTOP_JOURNALPLAYBACK | DESKTOP_WRITEOBJECTS);
    std::printf("default-desktop=%d\n", d ? 1 : 0);
    if (d) CloseDesktop(d);
    return 0;
  }
  if (cmd == "token") {
    HANDLE token = nullptr;
    OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token);
    std::printf("restricted=%d\n", token && IsTokenRestricted(token) ? 1 : 0);
    if (token) CloseHandle(token);
    return 0;
  }
  return usage();
}
