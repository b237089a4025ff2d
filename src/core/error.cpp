#include "core/error.hpp"

#include <cerrno>
#include <cstring>

namespace cordon {

namespace {

struct ErrnoName {
  int code;
  const char* name;
};

#define CORDON_E(name) \
  { name, #name }
// A table, not a switch: some values coincide on some platforms (EAGAIN/EWOULDBLOCK).
constexpr ErrnoName kErrnoNames[] = {
    CORDON_E(EPERM),        CORDON_E(ENOENT),      CORDON_E(ESRCH),     CORDON_E(EINTR),
    CORDON_E(EIO),          CORDON_E(E2BIG),       CORDON_E(ENOEXEC),   CORDON_E(EBADF),
    CORDON_E(ECHILD),       CORDON_E(EAGAIN),      CORDON_E(ENOMEM),    CORDON_E(EACCES),
    CORDON_E(EFAULT),       CORDON_E(EBUSY),       CORDON_E(EEXIST),    CORDON_E(EXDEV),
    CORDON_E(ENODEV),       CORDON_E(ENOTDIR),     CORDON_E(EISDIR),    CORDON_E(EINVAL),
    CORDON_E(ENFILE),       CORDON_E(EMFILE),      CORDON_E(ENOTTY),    CORDON_E(ETXTBSY),
    CORDON_E(EFBIG),        CORDON_E(ENOSPC),      CORDON_E(ESPIPE),    CORDON_E(EROFS),
    CORDON_E(EMLINK),       CORDON_E(EPIPE),       CORDON_E(ERANGE),    CORDON_E(ENAMETOOLONG),
    CORDON_E(ENOSYS),       CORDON_E(ENOTEMPTY),   CORDON_E(ELOOP),     CORDON_E(EOPNOTSUPP),
    CORDON_E(ECONNREFUSED), CORDON_E(ENETUNREACH), CORDON_E(ETIMEDOUT), CORDON_E(EAFNOSUPPORT),
#ifdef EUSERS  // not in the Windows CRT
    CORDON_E(EUSERS),
#endif
};
#undef CORDON_E

}  // namespace

std::string errno_name(int code) {
  for (const auto& e : kErrnoNames)
    if (e.code == code) return e.name;
  return "errno " + std::to_string(code);
}

std::string Error::message() const {
  std::string out = call;
  if (!argument.empty())
    out += "(" + argument + ")";
  else if (code != 0)
    out += "()";
  if (code != 0) out += ": " + errno_name(code) + " (" + std::strerror(code) + ")";
  if (!detail.empty()) out += (out.empty() ? "" : ": ") + detail;
  if (!hint.empty()) out += "\n  hint: " + hint;
  return out;
}

Error os_error(std::string call, std::string argument, int code, std::string hint) {
  return Error{std::move(call), std::move(argument), code, {}, std::move(hint)};
}

Error usage_error(std::string what, std::string detail, std::string hint) {
  return Error{std::move(what), {}, 0, std::move(detail), std::move(hint)};
}

}  // namespace cordon
