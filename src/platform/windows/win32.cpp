#include "platform/windows/win32.hpp"

namespace cordon::winsys {

std::wstring widen(const std::string& utf8) {
  if (utf8.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string narrow(const std::wstring& wide) {
  if (wide.empty()) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0, nullptr,
                              nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), out.data(), n, nullptr,
                      nullptr);
  return out;
}

Error win32_error(const std::string& call, const std::string& argument, DWORD code, std::string hint) {
  wchar_t* text = nullptr;
  FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                 nullptr, code, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string message = text ? narrow(text) : std::string();
  if (text) LocalFree(text);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == ' '))
    message.pop_back();
  if (hint.empty()) {
    if (code == ERROR_ACCESS_DENIED)
      hint = "the current user cannot change this object; check its owner and ACL";
    if (code == ERROR_PRIVILEGE_NOT_HELD) hint = "this step needs a privilege the unelevated user lacks";
  }
  Error e;
  e.call = call;
  e.argument = argument;
  e.detail = "Win32 error " + std::to_string(code) + (message.empty() ? "" : " (" + message + ")");
  e.hint = std::move(hint);
  return e;
}

}  // namespace cordon::winsys
