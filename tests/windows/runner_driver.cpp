// cordon runner test driver (Windows): drives cordon-runner.exe (next to this .exe)
// the way cordon.exe will, but started without a logon (plain CreateProcessW), so it
// runs under Wine, which has no users. Used by scripts/windows/smoke.sh.
//
//   runner_driver run [--timeout-ms N] [--terminate-after-ms N] [--kill-runner-after-ms N] [--stdin]
//                     [--safe-dir P] [--set NAME=VALUE] [--pids N] [--memory-bytes N] -- CMD...
//       runs CMD through the runner; output passes through; exit code = the command's;
//       last stderr line "runner-result exit_code=N timed_out=0|1 terminated=0|1 attempts=N command_pid=N"
//   runner_driver stale-logon once|twice|other -- CMD...
//       the launcher fails first with ERROR_NO_SUCH_LOGON_SESSION (once), every time
//       (twice), or with ERROR_ACCESS_DENIED (other)
//   runner_driver impostor -- CMD...   the launcher reports a wrong process id
//   runner_driver wrong-server-pid     the runner is told another server pid
//   runner_driver raw CASE             sends malformed bytes instead of a start frame;
//       prints "frames: TYPE..." and "runner-exit=N"; exit 0 when the runner answered
//       with an error frame or closed cleanly, and exited without crashing, in time
// Errors print "runner-error: MESSAGE" and exit 70.
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "plan/windows/runner_protocol.hpp"
#include "plan/windows/win_path.hpp"
#include "platform/windows/launch.hpp"
#include "platform/windows/runner_client.hpp"
#include "platform/windows/runner_pipe.hpp"
#include "platform/windows/runner_station.hpp"

extern "C" {
extern wchar_t** _wenviron;
}

namespace {

using namespace cordon;
using namespace cordon::winsys;
namespace proto = cordon::win::runner;

constexpr int kDriverError = 70;

std::wstring runner_exe() {
  return runner_next_to_self();  // the driver sits next to cordon-runner.exe
}

std::vector<std::string> environment() {
  std::vector<std::string> out;
  if (!_wenviron) _wgetenv(L"PATH");
  for (wchar_t** e = _wenviron; e && *e; ++e)
    if ((*e)[0] != L'=') out.push_back(narrow(*e));
  return out;
}

std::string cwd() {
  wchar_t buf[MAX_PATH * 2];
  DWORD n = GetCurrentDirectoryW(static_cast<DWORD>(std::size(buf)), buf);
  return narrow(std::wstring(buf, n));
}

int fail(const Error& e) {
  std::fprintf(stderr, "runner-error: %s\n", e.message().c_str());
  return kDriverError;
}

RunnerRequest base_request(const std::vector<std::string>& argv) {
  RunnerRequest r;
  r.runner_exe = runner_exe();
  auto sid = current_user_sid();
  r.allowed_sid = sid ? *sid : std::string();
  r.launcher = plain_launcher();
  r.start.argv = argv;
  r.start.cwd = cwd();
  r.start.env = environment();
  r.start.capability_sids = {"S-1-5-21-1111-2222-3333-4444"};
  r.start.private_desktop = false;
  r.connect_timeout_ms = 20000;
  r.exit_grace_ms = 10000;
  return r;
}

int report(const Result<RunnerOutcome>& r) {
  if (!r) return fail(r.error());
  std::fflush(stdout);
  std::fprintf(stderr, "runner-result exit_code=%d timed_out=%d terminated=%d attempts=%d command_pid=%lu\n",
               r->exit_code, r->timed_out ? 1 : 0, r->terminated ? 1 : 0, r->launch_attempts,
               static_cast<unsigned long>(r->command_pid));
  return r->exit_code;
}

int run(std::vector<std::string> args) {
  std::vector<std::string> command;
  RunnerRequest r = base_request({});
  DWORD terminate_after = 0, kill_runner_after = 0;
  std::unique_ptr<RunnerStation> station;  // outlives the run
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (args[i] == "--timeout-ms" && i + 1 < args.size()) r.start.timeout_ms = std::stoull(args[++i]);
    if (args[i] == "--terminate-after-ms" && i + 1 < args.size())
      terminate_after = static_cast<DWORD>(std::stoul(args[++i]));
    if (args[i] == "--kill-runner-after-ms" && i + 1 < args.size())
      kill_runner_after = static_cast<DWORD>(std::stoul(args[++i]));
    if (args[i] == "--stdin") r.stdin_source = GetStdHandle(STD_INPUT_HANDLE);
    if (args[i] == "--private-desktop") r.start.private_desktop = true;
    if (args[i] == "--station") {
      // As stage 2 does (F16): a window station of the runner's own, granted to the user
      // the runner runs as (here the current one: Wine has no other users).
      auto me = current_user_sid();
      auto sid = me ? win::Sid::parse(*me) : std::nullopt;
      if (!sid) return fail(usage_error("driver", "no user SID"));
      auto made = RunnerStation::create({*sid});
      if (!made) return fail(made.error());
      station = std::move(*made);
      r.launcher = plain_launcher(station->desktop_path());
    }
    if (args[i] == "--safe-dir" && i + 1 < args.size()) r.start.safe_directories.push_back(args[++i]);
    // F10: job limits in the start frame, as start_from_plan puts them there.
    if (args[i] == "--pids" && i + 1 < args.size())
      r.start.processes = static_cast<uint32_t>(std::stoul(args[++i]));
    if (args[i] == "--memory-bytes" && i + 1 < args.size()) r.start.memory_bytes = std::stoull(args[++i]);
    if (args[i] == "--tty" && i + 1 < args.size()) {  // ROWSxCOLUMNS: the runner's pseudoconsole
      const std::string size = args[++i];
      r.start.tty = true;
      r.start.rows = static_cast<uint16_t>(std::stoul(size));
      r.start.columns = static_cast<uint16_t>(std::stoul(size.substr(size.find('x') + 1)));
    }
    if (args[i] == "--resize" && i + 1 < args.size()) {  // ROWSxCOLUMNS, as if the window changed
      const std::string size = args[++i];
      proto::Resize to{static_cast<uint16_t>(std::stoul(size)),
                       static_cast<uint16_t>(std::stoul(size.substr(size.find('x') + 1)))};
      r.poll_size = [to] { return std::optional<proto::Resize>(to); };
    }
    if (args[i] == "--set" && i + 1 < args.size()) {  // NAME=VALUE, replacing NAME (any case)
      const std::string entry = args[++i];
      const std::string name = win::fold_case(entry.substr(0, entry.find('=')) + "=");
      auto& env = r.start.env;
      env.erase(std::remove_if(
                    env.begin(), env.end(),
                    [&](const std::string& e) { return win::fold_case(e.substr(0, name.size())) == name; }),
                env.end());
      env.push_back(entry);
    }
  }
  r.start.argv = command;
  UniqueHandle cancel(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (terminate_after > 0) {
    r.cancel_event = cancel.get();
    HANDLE event = cancel.get();
    (void)start_thread([event, terminate_after] {
      Sleep(terminate_after);
      SetEvent(event);
    });
  }
  if (kill_runner_after > 0) {
    // The runner dies mid-run (as if killed by the user): its job must take the tree.
    auto plain = plain_launcher();
    r.launcher = [plain, kill_runner_after](const std::wstring& line, int attempt) -> Result<RunnerProcess> {
      auto p = plain(line, attempt);
      HANDLE copy = nullptr;
      if (p && DuplicateHandle(GetCurrentProcess(), p->process.get(), GetCurrentProcess(), &copy, 0, FALSE,
                               DUPLICATE_SAME_ACCESS))
        (void)start_thread([copy, kill_runner_after] {
          Sleep(kill_runner_after);
          TerminateProcess(copy, 9);
          CloseHandle(copy);
        });
      return p;
    };
  }
  return report(run_via_runner(r));
}

int stale_logon(const std::string& mode, const std::vector<std::string>& command) {
  RunnerRequest r = base_request(command);
  auto plain = plain_launcher();
  auto calls = std::make_shared<int>(0);
  r.launcher = [plain, mode, calls](const std::wstring& line, int attempt) -> Result<RunnerProcess> {
    ++*calls;
    if (mode == "other") return win32_error("CreateProcessWithLogonW", "sandbox", ERROR_ACCESS_DENIED);
    if (attempt == 1 || mode == "twice")
      return win32_error("CreateProcessWithLogonW", "sandbox", ERROR_NO_SUCH_LOGON_SESSION);
    return plain(line, attempt);
  };
  auto result = run_via_runner(r);
  std::fprintf(stderr, "launcher-calls: %d\n", *calls);
  return report(result);
}

int impostor(const std::vector<std::string>& command) {
  RunnerRequest r = base_request(command);
  auto plain = plain_launcher();
  r.launcher = [plain](const std::wstring& line, int attempt) -> Result<RunnerProcess> {
    auto p = plain(line, attempt);
    if (p) p->pid += 4;  // the process that connects is not the one we started
    return p;
  };
  return report(run_via_runner(r));
}

std::string frame(const std::string& body) {
  std::string out(4, '\0');
  const auto n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + body;
}

std::string raw_bytes(const std::string& name, bool& close_after) {
  close_after = false;
  if (name == "oversize") return std::string("\xff\xff\xff\xff", 4) + "xxxx";
  if (name == "not-json") return frame("{\"version\":1,");
  if (name == "unknown-type") return frame(R"({"version":1,"type":"exec"})");
  if (name == "unknown-field") return frame(R"({"version":1,"type":"terminate","force":true})");
  if (name == "wrong-version") return frame(R"({"version":9,"type":"terminate"})");
  if (name == "stdin-before-start") return frame(R"({"version":1,"type":"stdin","data":"","eof":true})");
  if (name == "wrong-direction") return frame(R"({"version":1,"type":"started","pid":1})");
  if (name == "binary")
    return std::string("\x10\x00\x00\x00\x00\x01\x02\xff\xfe\x80{{{{[[[[\"\"\\u",
                       22);  // the literal's 22 bytes (24 read past its end)
  if (name == "truncated") {
    close_after = true;  // a header announcing 100 bytes, 10 of them, then our end closes
    return std::string("\x64\x00\x00\x00", 4) + "{\"version\"";
  }
  if (name == "resize-before-start") return frame(R"({"version":1,"type":"resize","rows":24,"columns":80})");
  if (name == "resize-zero") return frame(R"({"version":1,"type":"resize","rows":0,"columns":65535})");
  if (name == "tty-start-size-zero")
    return frame(R"({"version":1,"type":"start","argv":["cmd.exe"],"cwd":"","env":[],"capability_sids":[],)"
                 R"("tty":true,"rows":0,"columns":80,"private_desktop":false,"safe_directories":[]})");
  if (name == "resize-without-tty" || name == "tty-then-huge-resize") {
    proto::Start s;
    s.argv = {"cmd.exe", "/c", "ping -n 30 127.0.0.1 >NUL"};
    s.cwd = cwd();
    s.env = environment();
    s.capability_sids = {"S-1-5-21-1111-2222-3333-4444"};
    s.private_desktop = false;
    s.tty = name == "tty-then-huge-resize";
    return proto::encode(s).value() + frame(s.tty
                                                ? R"({"version":1,"type":"resize","rows":24,"columns":65535})"
                                                : R"({"version":1,"type":"resize","rows":24,"columns":80})");
  }
  if (name == "start-then-garbage") {
    proto::Start s;
    s.argv = {"cmd.exe", "/c", "ping -n 30 127.0.0.1 >NUL"};
    s.cwd = cwd();
    s.env = environment();
    s.capability_sids = {"S-1-5-21-1111-2222-3333-4444"};
    s.private_desktop = false;
    return proto::encode(s).value() + frame("[]");
  }
  return {};
}

// Reads frames until the runner closes its end or `timeout_ms` passes.
std::vector<std::string> read_until_close(RunnerPipes& pipes, DWORD timeout_ms, bool& closed) {
  std::vector<std::string> types;
  proto::FrameDecoder decoder(proto::Direction::ToCaller);
  UniqueHandle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  std::string buffer(64 * 1024, '\0');
  const ULONGLONG deadline = GetTickCount64() + timeout_ms;
  closed = false;
  for (;;) {
    OVERLAPPED ov{};
    ov.hEvent = event.get();
    ResetEvent(event.get());
    if (!ReadFile(pipes.from_runner.get(), buffer.data(), static_cast<DWORD>(buffer.size()), nullptr, &ov) &&
        GetLastError() != ERROR_IO_PENDING) {
      closed = true;
      return types;
    }
    const ULONGLONG now = GetTickCount64();
    if (WaitForSingleObject(event.get(), now >= deadline ? 0 : static_cast<DWORD>(deadline - now)) !=
        WAIT_OBJECT_0) {
      CancelIoEx(pipes.from_runner.get(), &ov);
      DWORD ignored = 0;
      GetOverlappedResult(pipes.from_runner.get(), &ov, &ignored, TRUE);
      return types;
    }
    DWORD n = 0;
    if (!GetOverlappedResult(pipes.from_runner.get(), &ov, &n, FALSE)) {
      closed = true;
      return types;
    }
    decoder.feed(std::string_view(buffer.data(), n));
    while (auto m = decoder.next()) {
      if (!*m) {
        types.push_back("malformed");
        continue;
      }
      types.emplace_back(proto::type_name(**m));
      if (auto* e = std::get_if<proto::ErrorFrame>(&**m))
        std::fprintf(stderr, "error frame: %s: %s\n", e->error.call.c_str(), e->error.message.c_str());
    }
  }
}

// Starts the runner by hand (as run_via_runner does) and returns its process.
Result<RunnerProcess> start_raw(RunnerPipes& pipes, DWORD server_pid) {
  std::wstring line = quote_argument(runner_exe());
  for (const auto& arg : proto::format_runner_args({pipes.base, server_pid}))
    line += L" " + quote_argument(widen(arg));
  return plain_launcher()(line, 1);
}

int raw(const std::string& name) {
  bool close_after = false;
  std::string bytes = raw_bytes(name, close_after);
  if (bytes.empty()) return fail(usage_error("raw", "unknown case " + name));
  auto sid = current_user_sid();
  if (!sid) return fail(sid.error());
  auto pipes = create_runner_pipes(*sid);
  if (!pipes) return fail(pipes.error());
  auto runner = start_raw(*pipes, GetCurrentProcessId());
  if (!runner) return fail(runner.error());
  if (auto ok = accept_runner(*pipes, runner->process.get(), runner->pid, 20000); !ok)
    return fail(ok.error());
  FrameSender sender(pipes->to_runner.get(), /*overlapped=*/true);
  (void)sender.send_raw(bytes);
  if (close_after) pipes->to_runner.reset();
  bool closed = false;
  auto types = read_until_close(*pipes, 20000, closed);
  std::string joined;
  for (const auto& t : types) joined += " " + t;
  std::printf("frames:%s\n", joined.c_str());
  pipes->to_runner.reset();
  const bool exited = WaitForSingleObject(runner->process.get(), 20000) == WAIT_OBJECT_0;
  DWORD code = STILL_ACTIVE;
  GetExitCodeProcess(runner->process.get(), &code);
  if (!exited) TerminateProcess(runner->process.get(), 1);
  std::printf("runner-exit=%lu closed=%d\n", static_cast<unsigned long>(code), closed ? 1 : 0);
  const bool answered = (types.size() == 1 && types[0] == "error") || (types.empty() && closed);
  const bool started_then_error = types.size() == 2 && types[0] == "started" && types[1] == "error";
  return exited && closed && code < 0xC0000000u && (answered || started_then_error) ? 0 : 1;
}

int wrong_server_pid() {
  auto sid = current_user_sid();
  if (!sid) return fail(sid.error());
  auto pipes = create_runner_pipes(*sid);
  if (!pipes) return fail(pipes.error());
  auto runner = start_raw(*pipes, GetCurrentProcessId() + 4);
  if (!runner) return fail(runner.error());
  // The runner connects, sees another server pid, and leaves without a word.
  (void)accept_runner(*pipes, runner->process.get(), runner->pid, 20000);
  bool closed = false;
  auto types = read_until_close(*pipes, 20000, closed);
  const bool exited = WaitForSingleObject(runner->process.get(), 20000) == WAIT_OBJECT_0;
  DWORD code = 0;
  GetExitCodeProcess(runner->process.get(), &code);
  std::printf("frames:%zu runner-exit=%lu\n", types.size(), static_cast<unsigned long>(code));
  return exited && types.empty() && code == 3 ? 0 : 1;
}

}  // namespace

int wmain(int argc, wchar_t** wargv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.push_back(narrow(wargv[i]));
  if (args.empty()) return 2;
  const std::string mode = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  auto command_after_dashes = [&] {
    auto it = std::find(rest.begin(), rest.end(), "--");
    return it == rest.end() ? std::vector<std::string>{} : std::vector<std::string>(it + 1, rest.end());
  };
  if (mode == "run") return run(rest);
  if (mode == "stale-logon" && !rest.empty()) return stale_logon(rest[0], command_after_dashes());
  if (mode == "impostor") return impostor(command_after_dashes());
  if (mode == "wrong-server-pid") return wrong_server_pid();
  if (mode == "raw" && !rest.empty()) return raw(rest[0]);
  std::fputs("usage: runner_driver run|stale-logon|impostor|wrong-server-pid|raw ...\n", stderr);
  return 2;
}
