// cordon (Windows): RAII wrappers and string/error helpers for the Win32 appliers.
//
//   UniqueHandle h(CreateFileW(...));          // closed on scope exit; move-only
//   if (!h) return win32_error("CreateFileW", path);
//   LocalPtr<SECURITY_DESCRIPTOR> sd;          // LocalFree'd
//   std::wstring w = widen(utf8); std::string s = narrow(w);
#pragma once

#include <windows.h>

#include <string>
#include <utility>

#include "core/error.hpp"

namespace cordon::winsys {

// A kernel HANDLE; INVALID_HANDLE_VALUE and NULL both mean "none". Keeps the last
// error across the close so a failed call can be reported after cleanup.
class UniqueHandle {
 public:
  UniqueHandle() = default;
  explicit UniqueHandle(HANDLE h) : h_(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
  ~UniqueHandle() { reset(); }
  UniqueHandle(UniqueHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;

  HANDLE get() const { return h_; }
  HANDLE* out() {
    reset();
    return &h_;
  }
  HANDLE release() { return std::exchange(h_, nullptr); }
  explicit operator bool() const { return h_ != nullptr; }
  void reset() {
    if (h_) {
      DWORD saved = GetLastError();
      CloseHandle(h_);
      SetLastError(saved);
      h_ = nullptr;
    }
  }

 private:
  HANDLE h_ = nullptr;
};

// Memory from LocalAlloc (security descriptors, ACLs, SIDs from ConvertStringSidToSidW).
template <class T>
class LocalPtr {
 public:
  LocalPtr() = default;
  explicit LocalPtr(T* p) : p_(p) {}
  ~LocalPtr() {
    if (p_) LocalFree(reinterpret_cast<HLOCAL>(p_));
  }
  LocalPtr(LocalPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  LocalPtr& operator=(LocalPtr&& o) noexcept {
    if (this != &o) {
      if (p_) LocalFree(reinterpret_cast<HLOCAL>(p_));
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  LocalPtr(const LocalPtr&) = delete;
  LocalPtr& operator=(const LocalPtr&) = delete;
  T* get() const { return p_; }
  // For out-parameters typed as T** (or void** via a cast by the caller).
  T** out() { return &p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

std::wstring widen(const std::string& utf8);
std::string narrow(const std::wstring& wide);

// Error{call, argument, detail="Win32 error N: text"}; the code goes in the detail
// because Error::code is an errno. A known code may carry a one-line hint.
Error win32_error(const std::string& call, const std::string& argument, DWORD code = GetLastError(),
                  std::string hint = {});

}  // namespace cordon::winsys
