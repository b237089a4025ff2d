// cordon-runner.exe: the entry point (UTF-16 arguments -> UTF-8, as cordon.exe does).
// See session.hpp for what the runner does.
#include <string>
#include <vector>

#include "apps/runner/session.hpp"
#include "platform/windows/win32.hpp"

int wmain(int argc, wchar_t** wargv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.push_back(cordon::winsys::narrow(wargv[i]));
  return cordon::runner_app::run_session(args);
}
