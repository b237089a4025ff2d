// cordon (Windows setup): results that carry a structured SetupError.
//
//   SetupResult<Sid> sid = lookup_sid(L"CordonSandboxOffline");
//   if (!sid) return sid.error();            // SetupError{code, call, win32, path}
#pragma once

#include <windows.h>

#include <string>
#include <utility>
#include <variant>

#include "core/error.hpp"
#include "plan/windows/setup_error.hpp"

namespace cordon::winsys {

template <class T>
class [[nodiscard]] SetupResult {
 public:
  SetupResult(T value) : v_(std::move(value)) {}                // NOLINT(google-explicit-constructor)
  SetupResult(win::SetupError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const win::SetupError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, win::SetupError> v_;
};

struct Done {};
using SetupStatus = SetupResult<Done>;

inline win::SetupError setup_error(win::SetupErrorCode code, std::string call, std::string path,
                                   DWORD win32 = GetLastError(), std::string message = {}) {
  return win::SetupError{
      code, std::move(call), static_cast<uint32_t>(win32), std::move(path), std::move(message), {}};
}

// An Error from the shared appliers (acl_apply, state_io) as a SetupError.
inline win::SetupError setup_error(win::SetupErrorCode code, const Error& e) {
  return win::SetupError{code, e.call, win::win32_code_from_detail(e.detail), e.argument, e.detail, e.hint};
}

}  // namespace cordon::winsys
