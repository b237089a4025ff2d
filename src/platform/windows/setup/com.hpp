// cordon (Windows setup): RAII for COM - the apartment, interface pointers, BSTRs.
//
//   ComScope com;                                  // CoInitializeEx for this scope
//   if (!com) return error(com.hr());
//   ComPtr<INetFwPolicy2> policy;
//   CoCreateInstance(clsid, nullptr, CLSCTX_INPROC_SERVER, iid, policy.out_void());
//   Bstr name(L"cordon-offline-block-outbound");   // SysFreeString'd
#pragma once

#include <windows.h>
// SDK headers that need <windows.h> above.
#include <objbase.h>
#include <oleauto.h>

#include <string>
#include <utility>

namespace cordon::winsys {

// CoInitializeEx(APARTMENTTHREADED) for the lifetime of the object. A thread that is
// already in another apartment (RPC_E_CHANGED_MODE) keeps it and is not uninitialised.
class ComScope {
 public:
  ComScope() : hr_(CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE)) {}
  ~ComScope() {
    if (SUCCEEDED(hr_)) CoUninitialize();
  }
  ComScope(const ComScope&) = delete;
  ComScope& operator=(const ComScope&) = delete;
  explicit operator bool() const { return SUCCEEDED(hr_) || hr_ == RPC_E_CHANGED_MODE; }
  HRESULT hr() const { return hr_; }

 private:
  HRESULT hr_;
};

// An owned interface pointer (Release on destruction); move-only.
template <class T>
class ComPtr {
 public:
  ComPtr() = default;
  ~ComPtr() { reset(); }
  ComPtr(ComPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ComPtr& operator=(ComPtr&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  ComPtr(const ComPtr&) = delete;
  ComPtr& operator=(const ComPtr&) = delete;
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T** out() {
    reset();
    return &p_;
  }
  void** out_void() { return reinterpret_cast<void**>(out()); }
  explicit operator bool() const { return p_ != nullptr; }
  void reset() {
    if (p_) p_->Release();
    p_ = nullptr;
  }

 private:
  T* p_ = nullptr;
};

// A BSTR owned by this object (SysFreeString on destruction).
class Bstr {
 public:
  Bstr() = default;
  explicit Bstr(const std::wstring& s) : b_(SysAllocStringLen(s.data(), static_cast<UINT>(s.size()))) {}
  ~Bstr() { reset(); }
  Bstr(Bstr&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  Bstr& operator=(Bstr&& o) noexcept {
    if (this != &o) {
      reset();
      b_ = std::exchange(o.b_, nullptr);
    }
    return *this;
  }
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
  BSTR get() const { return b_; }
  BSTR* out() {
    reset();
    return &b_;
  }
  std::wstring str() const { return b_ ? std::wstring(b_, SysStringLen(b_)) : std::wstring(); }
  void reset() {
    if (b_) SysFreeString(b_);
    b_ = nullptr;
  }

 private:
  BSTR b_ = nullptr;
};

}  // namespace cordon::winsys
