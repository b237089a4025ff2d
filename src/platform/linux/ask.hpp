// cordon: asking instead of failing (cordon run --ask, --learn). The creation broker
// (create_broker.hpp) found that a call the command made is refused only because its path
// lies outside the writable roots; the gate decides whether cordon makes it anyway:
//
//   AskGate gate(settings, rules);
//   if (auto st = gate.open_terminal(); !st) fail(st);          // --ask: before the run
//   bool yes = gate.decide(question, [&] { return pending(); }); // supervisor's thread
//   gate.cancel();                                               // the run is ending
//   std::vector<Grant> record = gate.grants();                   // into the run's JSON
//
// The question is asked on cordon's own controlling terminal (/dev/tty, opened before the
// run, outside the sandbox): the command's terminal is a pty of its own (pty.hpp), so
// nothing inside can read or answer the prompt. Before it is shown the relay puts what the
// command wrote before the asked call on that terminal (pty_relay_catch_up, when it is the
// relay's), so the question comes after it. While it is shown the pty's relay is
// paused both ways (no typed key reaches the command, no output the command writes can
// make the terminal answer a query into cordon's input), the terminal's input queue is
// flushed, and only a key that arrives on its own counts (a terminal's answer to a query
// arrives as a burst), after 500 ms with no key (one typed into the command as the
// question appeared, or amid a run of keys, is typing, not an answer: a command can time
// a question to the user's typing). Everything from the sandbox in the prompt is escaped.
//
// The gate only decides; never_ask() (plan/ask_rules.hpp) has said the path is one that
// may be asked about. Answers: once (this call), this path for the run, its directory for
// the run, always (a filesystem.writable rule in the user's config, and the directory for
// the run), deny. An identical question denied once is not asked again. No answer within
// the timeout, or the run ending, is deny. --learn answers "this path for the run"
// without asking and prints each grant.
//
// A read of a file the user added to --deny-read, or of a file below a directory the user
// added (operation "read") is decided apart from the writes (a grant of one never covers
// the other). Answers: once, this file for the run, always (a filesystem.allow_read entry
// for the file in the user's config), deny; below a denied directory also, on the terminal,
// "d": the files below the file's directory (AskQuestion::read_dir) for the run.
//
// Network questions (AskKind::LocalPort, AskKind::Host) go through the same decide():
// a connect() to a port of the host's loopback that nothing inside listens on (the
// broker, on the supervisor's thread), a host name that is not on the allowlist (the
// proxy's CONNECT or SOCKS request, on a thread of the proxy's; the sandbox's name
// server, on a resolver thread). Answers: once (this connection, this lookup), the port
// or the host for the run, always (network.allow_localhost or network.allow in the
// user's config), deny. decide() may be called from several threads: one question is
// on the terminal at a time (the others wait for it).
//
// In a `cordon mcp --ask` worker (AskMode::Client) the question goes instead to the
// server over the channel it gave the worker (open_channel; core/ask_message.hpp), which
// asks the MCP client with elicitation; the answers are the same, recorded as by
// "mcp-client", and "for this run" lasts for the one tool call the worker runs. Network
// questions too: the proxy's and the name server's threads ask through the same channel,
// one question at a time (decide_mutex_), and each takes only the answer with its id.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/result.hpp"
#include "plan/denial_rules.hpp"
#include "platform/linux/unique_fd.hpp"
#include "platform/platform.hpp"

namespace cordon {

struct AskSettings {
  platform::AskMode mode = platform::AskMode::Off;
  int timeout_seconds = 60;
  std::string config_file;  // "allow always" writes here ("" : not offered)
  int channel_fd = -1;      // AskMode::Client: the server's question channel
};

enum class AskKind {
  File,       // path (and to): a file operation outside the writable roots
  LocalPort,  // port: a connect() to the host's loopback port; path: the address asked
  Host,       // path: a host name not on the allowlist (port: the port asked, 0 for a lookup)
};

struct AskQuestion {
  AskKind kind = AskKind::File;
  std::string operation;      // "create", "mkdir", "write", "delete", "rename", "read"; "connect", "resolve"
  std::string path;           // on the host (the pinned directory's path and the name)
  std::string to;             // rename
  bool is_directory = false;  // mkdir, rmdir: the directory grant is the path itself
  std::string read_dir;       // "read" below a denied directory: what "d" grants ("": not offered)
  pid_t pid = 0;              // 0: not known (the proxy and the name server see no process)
  uint16_t port = 0;          // LocalPort, Host
  std::string via;            // "": a call waiting on the supervisor's thread; "proxy", "name server"
};

class AskGate {
 public:
  AskGate(AskSettings settings, const DenialRules& rules) : settings_(std::move(settings)), rules_(rules) {}
  AskGate(const AskGate&) = delete;
  AskGate& operator=(const AskGate&) = delete;

  // --ask: opens cordon's controlling terminal; an error names why there is none.
  [[nodiscard]] Status open_terminal();
  // cordon mcp --ask: takes a copy of the channel to the server (a SOCK_SEQPACKET socket).
  [[nodiscard]] Status open_channel(int fd);
  // True: allowed (the caller acts). `pending`: the call is still waiting (false ends a
  // question unanswered). Called on the supervisor's thread only.
  bool decide(const AskQuestion& q, const std::function<bool()>& pending);
  void cancel() { cancelled_ = true; }
  // "Identical ones are asked once": the key of the question just answered "once", if
  // any (taken: the supervisor then receives the calls that queued while it waited).
  std::optional<std::string> take_once_answer();
  // The questions answered "once" while the call being decided waited in the queue:
  // an identical one gets the same answer without a prompt (nullptr: none).
  void set_answered_while_waiting(const std::set<std::string>* keys) { answered_while_waiting_ = keys; }
  std::vector<Grant> grants() const;

 private:
  bool covered(const std::string& path) const;
  bool decide_network(const AskQuestion& q, const std::function<bool()>& pending);
  // A read of a file the user's --deny-read masks (operation "read"): its own grants, so
  // that a write grant never covers a read and a read grant never covers a write.
  bool decide_read(const AskQuestion& q, const std::function<bool()>& pending);
  // What each answer of one question grants (apply_answer()).
  struct Scopes {
    std::string key;                           // the question's: "once" remembers it, "deny" too
    bool remember_once = true;                 // false: a question off the supervisor's thread
    std::set<std::string>* run_set = nullptr;  // "r" (and "a" unless always_dir) adds run_entries
    std::vector<std::string> run_entries;
    std::string run_rule;                      // the grant's rule for "r"
    std::set<std::string>* dir_set = nullptr;  // "d" adds dir ("a" too, with always_dir)
    std::string dir;
    std::string always_rule;  // the grant's rule for "a"
    bool always_dir = false;
    std::function<std::string()> write_always;  // "" when written, else why not
    const char* unwritten_scope = "run";        // "a" whose rule could not be written
  };
  bool apply_answer(char key_pressed, Grant g, const Scopes& sc);
  char ask_terminal(const AskQuestion& q, const std::string& dir, const std::function<bool()>& pending);
  // The same keys as ask_terminal; `by` says who answered (core/ask_message.hpp).
  char ask_client(const AskQuestion& q, const std::string& dir, const std::function<bool()>& pending,
                  std::string& by);
  void record(Grant g);
  std::string write_always_rule(const std::string& dir);
  // "allow always": `value` added to the array table.key of the user's config ("" when
  // written, else why not); `what` says it on the terminal.
  std::string write_always_entry(const std::string& table, const std::string& key, const ConfigEntry& value,
                                 const std::string& what);

  AskSettings settings_;
  const DenialRules& rules_;
  UniqueFd tty_;
  UniqueFd channel_;
  std::atomic<bool> cancelled_{false};
  std::mutex decide_mutex_;  // one question at a time; guards the sets below
  std::set<std::string> run_paths_, run_dirs_, denied_;
  std::set<std::string> run_network_;    // "localhost\0PORT", "domain\0NAME" granted for the run
  std::set<std::string> run_reads_;      // --deny-read files granted for the run
  std::set<std::string> run_read_dirs_;  // directories below a denied one: files read for the run
  std::optional<std::string> once_answer_;
  const std::set<std::string>* answered_while_waiting_ = nullptr;
  mutable std::mutex grants_mutex_;
  std::vector<Grant> grants_;
  size_t dropped_ = 0;  // grants past the bound, counted
};

}  // namespace cordon
