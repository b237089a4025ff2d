// cordon-runner.exe: one command, run for cordon.exe as the sandbox user.
//
//   cordon-runner.exe --pipe=\\.\pipe\cordon-runner-<hex> --server-pid=<cordon's pid>
//
// Started by cordon with CreateProcessWithLogonW (or, in tests, plainly), it:
//   1. opens BASE-in and BASE-out and checks the server's process id (else exits 3,
//      sending nothing: the peer is not the caller);
//   2. reads one `start` frame (30 s at most);
//   3. builds the write-restricted token from its own token (capability SIDs from the
//      frame, its own logon SID, Everyone: platform/windows/token.cpp) and adds the
//      git safe.directory entries to the environment;
//   4. launches the command in a kill-on-close job with pipes for stdio
//      (platform/windows/launch.cpp), or, with `tty` in the start frame, on a
//      pseudoconsole of its own (conpty.hpp PipedPseudoconsole: no handle of the
//      runner's is inherited, no console of the runner's or the caller's is reachable);
//      sends `started` before the command runs;
//   5. streams `stdout`/`stderr` (with tty: what the pseudoconsole renders, as stdout),
//      feeds `stdin` (with tty: typed into the pseudoconsole), follows `resize`, ends
//      the job on `terminate`, on its timeout, or when the caller's pipe closes;
//   6. sends `exit` after the last output, and exits 0.
// A malformed or unexpected frame gets an `error` frame; then the job ends and the
// runner exits 4 without sending anything more.
// Exit codes: 0 after the exit frame, 2 bad arguments, 3 the pipes could not be
// opened or their server is not the expected process, 4 a protocol error (or no
// start in time), 5 the caller went away. The command's own code is in the exit frame.
#pragma once

#include <string>
#include <vector>

namespace cordon::runner_app {

int run_session(const std::vector<std::string>& args);

}  // namespace cordon::runner_app
