#include "platform/linux/seccomp.hpp"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <memory>

#include "platform/linux/unique_fd.hpp"

namespace cordon {
namespace {

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

}  // namespace

Result<SeccompProgram> seccomp_compile(const std::vector<SeccompRule>& rules) {
  // Default allow: this is a deny list of dangerous calls, with each reason in the plan.
  // Calls from a foreign architecture (i386/x32 entry points) are killed: libseccomp's
  // default bad-arch action, since only the native architecture is added.
  Ctx ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return os_error("seccomp_init", "", ENOMEM);
  for (const auto& r : rules) {
    int nr = seccomp_syscall_resolve_name(r.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    const uint32_t action = SCMP_ACT_ERRNO(static_cast<uint32_t>(r.errno_value));
    scmp_arg_cmp cmp[2];
    unsigned count = 0;
    for (const SeccompArg& a : {SeccompArg{r.check, r.arg, r.mask, r.value}, r.also}) {
      switch (a.check) {
        case ArgCheck::None:
          continue;
        case ArgCheck::MaskedEq:
          cmp[count++] = SCMP_CMP(a.arg, SCMP_CMP_MASKED_EQ, a.mask, a.value);
          break;
        case ArgCheck::NotEq:
          cmp[count++] = SCMP_CMP(a.arg, SCMP_CMP_NE, a.value);
          break;
        case ArgCheck::Eq:
          cmp[count++] = SCMP_CMP(a.arg, SCMP_CMP_EQ, a.value);
          break;
        case ArgCheck::Gt:
          cmp[count++] = SCMP_CMP(a.arg, SCMP_CMP_GT, a.value);
          break;
      }
    }
    int rc = seccomp_rule_add_array(ctx.get(), action, nr, count, cmp);
    if (rc != 0) return os_error("seccomp_rule_add", r.syscall, -rc);
  }
  // libseccomp 2.5 exports only to a file descriptor: use a memfd.
  UniqueFd mem(::memfd_create("cordon-seccomp", MFD_CLOEXEC));
  if (!mem.valid()) return os_error("memfd_create", "cordon-seccomp", errno);
  if (int rc = seccomp_export_bpf(ctx.get(), mem.get()); rc != 0)
    return os_error("seccomp_export_bpf", "", -rc);
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) return os_error("seccomp_export_bpf", "size", EINVAL);
  SeccompProgram prog;
  prog.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(mem.get(), prog.instructions.data(), static_cast<size_t>(size), 0) != size)
    return os_error("pread", "seccomp program", errno);
  return prog;
}

int seccomp_load(const SeccompProgram& program) {
  sock_fprog fprog{static_cast<unsigned short>(program.instructions.size()),
                   const_cast<sock_filter*>(program.instructions.data())};
  return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0);
}

}  // namespace cordon
