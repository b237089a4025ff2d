// cordon: errors that name the failed call.
//
//   Result<int> r = ...;
//   if (!r) std::cerr << r.error().message();   // "landlock_restrict_self(): EPERM ..."
//
// An Error carries the call that failed, the argument it failed on, the OS error
// code (errno or Win32), and an optional one-line hint on how to fix the host.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace cordon {

struct Error {
  std::string call;      // "landlock_restrict_self", "config", "mount" ...
  std::string argument;  // the path, key or value the call failed on
  int code = 0;          // errno / Win32 error; 0 when not an OS error
  std::string detail;    // free text (parse errors, conflicts)
  std::string hint;      // one-line fix, if known

  // "call(argument): strerror(code): detail" followed by "hint: ..." on its own line.
  [[nodiscard]] std::string message() const;
};

[[nodiscard]] Error os_error(std::string call, std::string argument, int code, std::string hint = {});
[[nodiscard]] Error usage_error(std::string what, std::string detail, std::string hint = {});

// Name of an errno value ("EPERM"), portable across libc implementations.
[[nodiscard]] std::string errno_name(int code);

// A value or an Error. Small on purpose: C++20 has no std::expected.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  explicit operator bool() const { return v_.index() == 0; }
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Ok) {}                                                // NOLINT
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT
  explicit operator bool() const { return ok_; }
  bool ok() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace cordon
