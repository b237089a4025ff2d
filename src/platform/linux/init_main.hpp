// cordon: the sandbox's init, a fresh image: cordon-init (this code linked alone and
// statically, src/apps/init/main.cpp), or cordon's own binary where cordon-init is absent.
//
//   // launcher.cpp, in the child after every setup step (Landlock, seccomp included):
//   execveat(exe_fd, "", {"cordon-init", kInitArg, "<report fd>", "<spec fd>"}, {}, AT_EMPTY_PATH);
//   // apps/init/main.cpp, and cli/main.cpp before anything else (no CLI11, no config):
//   if (is_init_invocation(argc, argv)) return init_main(argc, argv);
//
// Why an exec: the child of clone() is a copy of cordon, with cordon's environment (the
// secret variables the filter removed), its memory and every descriptor it holds (the
// caller's, the workspace lock, an MCP worker's report pipe). As pid 1 of the sandbox it
// would be reachable by the command (/proc/1/environ, /proc/1/mem, pidfd_getfd). The exec
// replaces all of that with a new image, an empty environment and only the descriptors
// named in argv; the image then makes itself non-dumpable and closes everything else.
//
// The init reads its InitSpec (core/exec_request.hpp) from the spec descriptor (a memfd
// the parent wrote: the command's environment never appears in a command line), closes
// it, and with InitSpec::read_request first reads the MCP request from stdin
// ("<length>\n<json>"). Then, as pid 1: fork the command, reap, forward signals, exit
// with the command's status; otherwise: exec the command. Failures of its own go to the
// ChildFailure pipe (child_report.hpp), so the parent reports them as sandbox errors.
#pragma once

namespace cordon {

inline constexpr const char* kInitArg = "__cordon-init";

bool is_init_invocation(int argc, char** argv);
[[noreturn]] void init_main(int argc, char** argv);

}  // namespace cordon
