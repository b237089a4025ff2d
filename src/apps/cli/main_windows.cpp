// cordon (Windows): the process entry point. The CRT's narrow argv is converted
// through the ANSI code page, which loses most non-ASCII text ('?'); wmain receives
// the UTF-16 command line, and the shared CLI (main.cpp) gets it as UTF-8, the
// encoding every string in cordon uses. Linked with -municode (cmake/windows.cmake).
#include <string>
#include <vector>

#include "platform/windows/win32.hpp"

int cordon_main(int argc, char** argv);

int wmain(int argc, wchar_t** wargv) {
  std::vector<std::string> utf8;
  utf8.reserve(static_cast<size_t>(argc));
  for (int i = 0; i < argc; ++i) utf8.push_back(cordon::winsys::narrow(wargv[i]));
  std::vector<char*> argv;
  for (auto& arg : utf8) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return cordon_main(argc, argv.data());
}
