#include "platform/linux/ask.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

#include "core/ask_message.hpp"
#include "core/config.hpp"
#include "core/paths.hpp"
#include "core/terminal_text.hpp"
#include "plan/ask_rules.hpp"
#include "platform/linux/pty.hpp"

namespace cordon {
namespace {

constexpr size_t kMaxGrants = 4096;  // the run's record; past it, counted

// A key counts as an answer only after this long with no key: one typed into the command
// as the question appeared (a command can time a question to the user's typing), or one
// of a run of keys still being typed, is the user's typing, not an answer to a question
// not yet read.
constexpr std::chrono::milliseconds kAnswerGrace{500};

// Written before a question: the command's output before the call may have left the
// terminal drawing concealed (SGR 8), in the line-drawing set or without line wrap, and a
// question shown that way is one the user cannot read, under a fake one the command
// printed. Attributes off (SGR 0), G0 the ASCII set and selected (SI), line wrap on.
// Before those: the margins of the whole screen (a scroll region of two lines with the
// cursor in it showed only the question's last line, beside a fake question drawn below),
// the cursor kept where it was (DECSC and DECRC around them), the screen below the cursor
// erased (a fake question drawn there would be the last one on the screen), and the
// terminal's own default colours (OSC 110/111: the command may have set the foreground to
// the background).
constexpr const char* kPlainText =
    "\0337\033[r\033[?69l\0338\033[J\033]110\033\\\033]111\033\\\033[0m\033(B\017\033[?7h";

std::string now_utc() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The asking process's argv, joined with spaces (bounded); "" when it is gone.
std::string command_of(pid_t pid) {
  UniqueFd f(::open(("/proc/" + std::to_string(pid) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC));
  char buf[512];
  const ssize_t n = f.valid() ? ::read(f.get(), buf, sizeof buf) : -1;
  if (n <= 0) return {};
  std::string out(buf, static_cast<size_t>(n));
  while (!out.empty() && out.back() == '\0') out.pop_back();
  for (char& c : out)
    if (c == '\0') c = ' ';
  return out;
}

// The id of a new question on the channel: unique in the worker, whichever gate and
// thread asks (a late answer to an earlier question can never match a later one).
uint64_t next_question_id() {
  static std::atomic<uint64_t> last{0};
  return ++last;
}

bool write_all(int fd, const std::string& s) {
  for (size_t done = 0; done < s.size();) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// The relay paused for as long as a question is on the terminal.
struct RelayPause {
  RelayPause() { pty_relay_pause(true); }
  ~RelayPause() { pty_relay_pause(false); }
  RelayPause(const RelayPause&) = delete;
  RelayPause& operator=(const RelayPause&) = delete;
};

}  // namespace

Status AskGate::open_terminal() {
  tty_.reset(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!tty_.valid())
    return os_error(
        "open", "/dev/tty", errno,
        "--ask asks on cordon's terminal and there is none: run it on a terminal, or use --learn FILE");
  if (::isatty(tty_.get()) != 1) return os_error("isatty", "/dev/tty", ENOTTY, "--ask needs a terminal");
  return Ok{};
}

Status AskGate::open_channel(int fd) {
  struct stat st {};
  const int code = fd < 0 ? EBADF : ::fstat(fd, &st) != 0 ? errno : !S_ISSOCK(st.st_mode) ? ENOTSOCK : 0;
  if (code != 0)
    return os_error("fstat", "--ask-fd " + std::to_string(fd), code,
                    "internal to cordon mcp --ask: the server's question channel");
  // A copy: a second pass of the stages (run_stages) opens it again. The original stays
  // close-on-exec (platform.cpp closes every inherited descriptor on exec): nothing of
  // the sandbox ever holds either.
  channel_.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  if (!channel_.valid() || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
    return os_error("fcntl(F_DUPFD_CLOEXEC)", "--ask-fd", errno);
  return Ok{};
}

bool AskGate::covered(const std::string& path) const {
  if (run_paths_.count(path)) return true;
  for (const auto& d : run_dirs_)
    if (paths::is_within(path, d)) return true;
  return false;
}

void AskGate::record(Grant g) {
  std::lock_guard<std::mutex> lock(grants_mutex_);
  if (grants_.size() < kMaxGrants)
    grants_.push_back(std::move(g));
  else
    ++dropped_;
}

std::vector<Grant> AskGate::grants() const {
  std::lock_guard<std::mutex> lock(grants_mutex_);
  return grants_;
}

bool AskGate::decide(const AskQuestion& q, const std::function<bool()>& pending) {
  if (settings_.mode == platform::AskMode::Off || cancelled_) return false;
  std::lock_guard<std::mutex> one_at_a_time(decide_mutex_);
  if (cancelled_) return false;  // the run ended while another question was on the terminal
  if (q.kind != AskKind::File) return decide_network(q, pending);
  if (q.operation == "read") return decide_read(q, pending);
  // NUL between the parts: no path holds one, so a name with a newline cannot make two
  // questions one key (a rename's two ends: "/a\n/b" -> "/c" and "/a" -> "/b\n/c").
  const std::string key = q.operation + std::string(1, '\0') + q.path + std::string(1, '\0') + q.to;
  if (covered(q.path) && (q.to.empty() || covered(q.to))) return true;
  if (denied_.count(key)) return false;
  Grant g;
  g.operation = q.operation;
  g.path = q.path;
  g.to = q.to;
  g.pid = q.pid;
  g.command = command_of(q.pid);
  if (answered_while_waiting_ && answered_while_waiting_->count(key)) {
    // Made while the identical question was on the terminal: its answer, not a second
    // prompt. Only for calls already waiting then; a later one is asked again.
    g.allowed = true;
    g.scope = "once";
    g.by = "identical";  // the user, through the identical question
    g.at = now_utc();
    record(std::move(g));
    return true;
  }
  if (settings_.mode == platform::AskMode::Learn) {
    g.allowed = true;
    g.scope = "run";
    g.rule = q.path;
    g.by = "learn";
    g.at = now_utc();
    run_paths_.insert(q.path);
    if (!q.to.empty()) run_paths_.insert(q.to);
    std::cerr << "cordon: learn: allowed " << escape_for_terminal(q.operation) << " "
              << escape_for_terminal(q.path) << (q.to.empty() ? "" : " -> " + escape_for_terminal(q.to))
              << " for this run (pid " << q.pid << ")\n";
    record(std::move(g));
    return true;
  }
  // The directory a "d" or "a" answer names: both ends of a rename must lie in it.
  std::string dir = grant_directory(rules_, q.path, q.is_directory);
  if (!dir.empty() && !q.to.empty() && !paths::is_within(q.to, dir)) dir.clear();
  std::string by = "user";
  const char key_pressed = settings_.mode == platform::AskMode::Client ? ask_client(q, dir, pending, by)
                                                                       : ask_terminal(q, dir, pending);
  g.at = now_utc();
  g.by = key_pressed == 0 ? "timeout" : by;
  Scopes sc;
  sc.key = key;
  sc.run_set = &run_paths_;
  sc.run_entries = {q.path};
  if (!q.to.empty()) sc.run_entries.push_back(q.to);
  sc.run_rule = q.path;
  sc.dir_set = &run_dirs_;
  sc.dir = dir;
  sc.always_rule = dir;
  sc.always_dir = true;
  sc.write_always = [&] { return write_always_rule(dir); };
  sc.unwritten_scope = "run-directory";
  return apply_answer(key_pressed, std::move(g), sc);
}

// A loopback port or a host name (AskKind::LocalPort, AskKind::Host). The run's grants
// name the port or the host, whatever address or port it is reached on.
bool AskGate::decide_network(const AskQuestion& q, const std::function<bool()>& pending) {
  const bool local = q.kind == AskKind::LocalPort;
  const std::string rule = local ? std::to_string(q.port) : q.path;
  const std::string run_key = std::string(local ? "localhost" : "domain") + std::string(1, '\0') + rule;
  // "Identical" is the same port, or the same host (a lookup and a connection through the
  // proxy are one question: the host).
  const std::string key = std::string("network") + std::string(1, '\0') + run_key;
  if (run_network_.count(run_key)) return true;
  if (denied_.count(key)) return false;
  Grant g;
  g.operation = q.operation;
  // A loopback port: the address as the command gave it; a host: host:port, or the name of a lookup.
  g.address = local || q.port == 0 ? q.path : q.path + ":" + std::to_string(q.port);
  g.network = local ? "localhost" : "domain";
  g.pid = q.pid;
  g.command = q.pid > 0 ? command_of(q.pid) : "";
  const bool from_supervisor = q.via.empty();
  if (from_supervisor && answered_while_waiting_ && answered_while_waiting_->count(key)) {
    g.allowed = true;
    g.scope = "once";
    g.by = "identical";
    g.at = now_utc();
    record(std::move(g));
    return true;
  }
  if (settings_.mode == platform::AskMode::Learn) {
    g.allowed = true;
    g.scope = "run";
    g.rule = rule;
    g.by = "learn";
    g.at = now_utc();
    run_network_.insert(run_key);
    std::cerr << "cordon: learn: allowed " << escape_for_terminal(q.operation) << " "
              << escape_for_terminal(g.address)
              << (local ? " (the host's loopback port " + rule + ")"
                        : " (host " + escape_for_terminal(rule) + ")")
              << " for this run" << (q.pid > 0 ? " (pid " + std::to_string(q.pid) + ")" : "")
              << (q.via.empty() ? "" : " (" + q.via + ")") << "\n";
    record(std::move(g));
    return true;
  }
  // cordon mcp --ask: the server asks the client (no directory: "d" is never offered).
  std::string by = "user";
  const char key_pressed = settings_.mode == platform::AskMode::Client ? ask_client(q, "", pending, by)
                                                                       : ask_terminal(q, "", pending);
  g.at = now_utc();
  g.by = key_pressed == 0 ? "timeout" : by;
  Scopes sc;
  sc.key = key;
  sc.remember_once = from_supervisor;
  sc.run_set = &run_network_;
  sc.run_entries = {run_key};
  sc.run_rule = rule;
  sc.always_rule = rule;
  sc.write_always = [&] {
    return local ? write_always_entry("network", "allow_localhost", ConfigEntry{rule, true},
                                      "the host's loopback port " + rule)
                 : write_always_entry("network", "allow", ConfigEntry{rule, false}, "the host " + rule);
  };
  return apply_answer(key_pressed, std::move(g), sc);
}

bool AskGate::decide_read(const AskQuestion& q, const std::function<bool()>& pending) {
  const std::string key = q.operation + std::string(1, '\0') + q.path + std::string(1, '\0');
  if (run_reads_.count(q.path)) return true;
  for (const auto& d : run_read_dirs_)
    if (paths::is_within(q.path, d)) return true;
  if (denied_.count(key)) return false;
  Grant g;
  g.operation = q.operation;
  g.path = q.path;
  g.pid = q.pid;
  g.command = command_of(q.pid);
  if (answered_while_waiting_ && answered_while_waiting_->count(key)) {
    g.allowed = true;
    g.scope = "once";
    g.by = "identical";
    g.at = now_utc();
    record(std::move(g));
    return true;
  }
  if (settings_.mode == platform::AskMode::Learn) {
    g.allowed = true;
    g.scope = "run";
    g.rule = q.path;
    g.by = "learn";
    g.at = now_utc();
    run_reads_.insert(q.path);
    std::cerr << "cordon: learn: allowed read " << escape_for_terminal(q.path)
              << (q.read_dir.empty() ? " (a --deny-read file)" : " (below a --deny-read directory)")
              << " for this run (pid " << q.pid << ")\n";
    record(std::move(g));
    return true;
  }
  // The terminal may offer the file's directory (below a denied directory) for the run; the
  // client is offered once, the run and deny (no directory, no "always" through MCP).
  std::string by = "user";
  const char key_pressed = settings_.mode == platform::AskMode::Client ? ask_client(q, "", pending, by)
                                                                       : ask_terminal(q, q.read_dir, pending);
  g.at = now_utc();
  g.by = key_pressed == 0 ? "timeout" : by;
  Scopes sc;
  sc.key = key;
  sc.run_set = &run_reads_;
  sc.run_entries = {q.path};
  sc.run_rule = q.path;
  sc.dir_set = &run_read_dirs_;
  sc.dir = q.read_dir;
  sc.always_rule = q.path;
  sc.write_always = [&] {
    return write_always_entry("filesystem", "allow_read", ConfigEntry{q.path, false}, q.path);
  };
  return apply_answer(key_pressed, std::move(g), sc);
}

// One answer applied: the grant recorded, what it allows for the run added to the run's
// sets, "always" written; "deny" (or no answer) remembered for the question's key.
bool AskGate::apply_answer(char key_pressed, Grant g, const Scopes& sc) {
  bool allowed = true;
  switch (key_pressed) {
    case 'o':
      g.scope = "once";
      if (sc.remember_once) once_answer_ = sc.key;
      break;
    case 'r':
      g.scope = "run";
      g.rule = sc.run_rule;
      sc.run_set->insert(sc.run_entries.begin(), sc.run_entries.end());
      break;
    case 'd':
      if (!sc.dir_set || sc.dir.empty()) {  // never offered: deny
        allowed = false;
        break;
      }
      g.scope = "run-directory";
      g.rule = sc.dir;
      sc.dir_set->insert(sc.dir);
      break;
    case 'a': {
      if (sc.always_dir && (!sc.dir_set || sc.dir.empty())) {
        allowed = false;
        break;
      }
      g.scope = "always";
      g.rule = sc.always_rule;
      if (sc.always_dir)
        sc.dir_set->insert(sc.dir);
      else
        sc.run_set->insert(sc.run_entries.begin(), sc.run_entries.end());
      const std::string said = sc.write_always();
      g.config = settings_.config_file;
      if (!said.empty()) {  // not written: the grant holds for this run
        g.scope = sc.unwritten_scope;
        g.config.clear();
      }
      break;
    }
    default:
      allowed = false;
      break;
  }
  if (!allowed) denied_.insert(sc.key);
  g.allowed = allowed;
  record(std::move(g));
  return allowed;
}

std::optional<std::string> AskGate::take_once_answer() {
  std::optional<std::string> key;
  key.swap(once_answer_);
  return key;
}

// Adds `dir` to filesystem.writable in the user's config (a new file beside it, renamed
// over it). Returns "" when written, else why not (said on the terminal too).
std::string AskGate::write_always_rule(const std::string& dir) {
  return write_always_entry("filesystem", "writable", ConfigEntry{dir, false}, dir);
}

// Adds `value` to the array table.key of the user's config, as write_always_rule() does.
std::string AskGate::write_always_entry(const std::string& table, const std::string& key,
                                        const ConfigEntry& value, const std::string& what) {
  const std::string& file = settings_.config_file;
  auto say = [&](const std::string& s) {
    if (tty_.valid()) (void)write_all(tty_.get(), "cordon: " + escape_for_terminal(s) + "\r\n");
    return s;
  };
  if (file.empty()) return say("no user config file to write the rule to: allowed for this run only");
  // A config the sandbox can write (a $XDG_CONFIG_HOME in the workspace, before the file
  // exists) could hold links the command planted: never written there.
  char real[PATH_MAX];
  std::string existing = paths::parent(file);  // the nearest directory that exists, resolved
  while (existing != "/" && !::realpath(existing.c_str(), real)) existing = paths::parent(existing);
  const std::string resolved = existing == "/" ? existing : std::string(real);
  for (const auto& root : rules_.write_roots)
    if (paths::is_within(file, root) || paths::is_within(resolved, root))
      return say(file + " lies in the writable root " + root + ": allowed for this run only");
  std::string text;
  {
    UniqueFd f(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (f.valid()) {
      if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
        return say(file + " is not a regular file of at most 1 MiB: allowed for this run only");
      char buf[8192];
      for (ssize_t n; (n = ::read(f.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    } else if (errno != ENOENT) {
      return say("cannot read " + file + " (" + std::strerror(errno) + "): allowed for this run only");
    }
  }
  const char* how = settings_.mode == platform::AskMode::Client ? "cordon mcp --ask" : "cordon run --ask";
  auto edited =
      add_config_entry(text, table, key, value, std::string("allowed with ") + how + " on " + now_utc());
  if (!edited) return say(edited.error().message() + ": allowed for this run only");
  // The directory of the config (~/.config/cordon) may not exist yet.
  const std::string parent = paths::parent(file);
  for (size_t at = 1; at <= parent.size(); ++at)
    if (at == parent.size() || parent[at] == '/') (void)::mkdir(parent.substr(0, at).c_str(), 0700);
  const std::string temp = file + ".cordon-new";
  (void)::unlink(temp.c_str());
  UniqueFd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out.valid() || !write_all(out.get(), *edited) || ::fsync(out.get()) != 0 ||
      ::rename(temp.c_str(), file.c_str()) != 0) {
    const int e = errno;
    (void)::unlink(temp.c_str());
    return say("cannot write " + file + " (" + std::strerror(e) + "): allowed for this run only");
  }
  (void)say("added " + what + " to " + table + "." + key + " in " + file);
  return {};
}

// Sends the question to the server and waits for the answer to it: the key ask_terminal
// would return for it ('n' for deny), 0 when no answer came (timeout, the call went
// away, the run ends, the channel failed). Anything on the channel that is not the
// answer to this question (a late answer to an earlier one, a malformed message) is
// dropped; an answer that names a choice this question did not offer is deny.
char AskGate::ask_client(const AskQuestion& q, const std::string& dir, const std::function<bool()>& pending,
                         std::string& by) {
  if (!channel_.valid()) return 0;
  AskChannelQuestion m;
  m.id = next_question_id();
  m.operation = q.operation;
  m.path = q.path;
  m.to = q.to;
  m.pid = q.pid;
  m.command = q.pid > 0 ? command_of(q.pid) : "";
  m.directory = dir;
  m.config = dir.empty() ? std::string() : settings_.config_file;
  if (q.kind != AskKind::File) {
    m.network = q.kind == AskKind::LocalPort ? "localhost" : "domain";
    m.port = q.port;
    m.via = q.kind == AskKind::Host ? q.via : "";
    m.config = settings_.config_file;  // "always": network.allow_localhost or network.allow
  }
  m.timeout_seconds = settings_.timeout_seconds;
  const std::string text = encode_ask_question(m);
  if (text.size() > kMaxAskMessageBytes || ::send(channel_.get(), text.data(), text.size(), MSG_NOSIGNAL) < 0)
    return 0;
  // The server denies at the timeout itself and says so; this bound is the backstop
  // for a server that does not answer.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(settings_.timeout_seconds + 2);
  while (!cancelled_ && std::chrono::steady_clock::now() < deadline) {
    if (!pending()) break;
    pollfd p{channel_.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, 100);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    char buf[4096];
    const ssize_t got = ::recv(channel_.get(), buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) break;                                  // the server is gone
    if (static_cast<size_t>(got) > sizeof buf) continue;  // truncated: not an answer
    const auto a = decode_ask_answer(std::string_view(buf, static_cast<size_t>(got)));
    if (!a || a->id != m.id) continue;
    by = a->by;
    if (!ask_answer_offered(m, a->answer)) return 'n';
    switch (a->answer) {
      case AskAnswer::Once:
        return 'o';
      case AskAnswer::Run:
        return 'r';
      case AskAnswer::Directory:
        return 'd';
      case AskAnswer::Always:
        return 'a';
      case AskAnswer::Deny:
        return 'n';
    }
  }
  return 0;
}

// Shows the question and waits for one key: 'o', 'r', 'd', 'a' or 'n'; 0 when no answer
// came (timeout, the call went away, the run ends, the terminal failed).
char AskGate::ask_terminal(const AskQuestion& q, const std::string& dir,
                           const std::function<bool()>& pending) {
  if (!tty_.valid()) return 0;
  RelayPause pause;
  // The command's output reaches the terminal through the relay, later than it was
  // written: what it wrote before the asked call goes there first (when the relay writes
  // to this terminal), so the question never appears above it.
  (void)pty_relay_catch_up(tty_.get());
  // Answers the terminal owes to queries written before (that output included) arrive
  // now; then gone.
  ::usleep(50 * 1000);
  (void)::tcflush(tty_.get(), TCIFLUSH);
  termios saved{};
  const bool have_modes = ::tcgetattr(tty_.get(), &saved) == 0;
  if (have_modes) {
    termios raw = saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    (void)::tcsetattr(tty_.get(), TCSANOW, &raw);
  }
  const std::string command = q.pid > 0 ? command_of(q.pid) : "";
  const bool network = q.kind != AskKind::File;
  const bool read = q.kind == AskKind::File && q.operation == "read";
  std::string text;
  if (q.kind == AskKind::LocalPort) {
    text = "\r\ncordon: the command asks to connect to " + escape_for_terminal(q.path) +
           " (the host's loopback port " + std::to_string(q.port) + ", not allowed by the network policy)";
  } else if (q.kind == AskKind::Host) {
    text = "\r\ncordon: the command asks to " +
           (q.port ? "connect to " + escape_for_terminal(q.path) + ":" + std::to_string(q.port)
                   : "look up " + escape_for_terminal(q.path)) +
           " (not in the allowlist" + (q.via.empty() ? "" : "; through cordon's " + q.via) + ")";
  } else {
    text = "\r\ncordon: the command asks to " + escape_for_terminal(q.operation) + " " +
           escape_for_terminal(q.path);
    if (!q.to.empty()) text += " -> " + escape_for_terminal(q.to);
    text += !read         ? " (outside the writable roots)"
            : dir.empty() ? " (a --deny-read file)"
                          : " (below a --deny-read directory)";
  }
  text += q.pid > 0
              ? "\r\n  process " + std::to_string(q.pid) + ": " + escape_for_terminal(command.substr(0, 200))
              : "\r\n  process: not known (through cordon's " + q.via + ")";
  if (q.kind == AskKind::LocalPort) {
    text += "\r\n  [o] allow once  [r] allow port " + std::to_string(q.port) + " for this run";
    if (!settings_.config_file.empty())
      text += "\r\n  [a] allow port " + std::to_string(q.port) + " always (network.allow_localhost in " +
              escape_for_terminal(settings_.config_file) + ")";
  } else if (q.kind == AskKind::Host) {
    text += "\r\n  [o] allow once  [r] allow " + escape_for_terminal(q.path) + " for this run";
    if (!settings_.config_file.empty())
      text += "\r\n  [a] allow " + escape_for_terminal(q.path) + " always (network.allow in " +
              escape_for_terminal(settings_.config_file) + ")";
  } else if (read) {
    text += "\r\n  [o] allow once  [r] allow this file for this run";
    if (!dir.empty())
      text += "  [d] allow reading the files below " + escape_for_terminal(dir) + " for this run";
    if (!settings_.config_file.empty())
      text += "\r\n  [a] allow reading it always (filesystem.allow_read in " +
              escape_for_terminal(settings_.config_file) + ")";
  } else {
    text += "\r\n  [o] allow once  [r] allow this path for this run";
  }
  if (!network && !read && !dir.empty()) {
    text += "  [d] allow " + escape_for_terminal(dir) + " for this run";
    if (!settings_.config_file.empty())
      text += "\r\n  [a] allow " + escape_for_terminal(dir) + " always (a rule in " +
              escape_for_terminal(settings_.config_file) + ")";
  }
  text += "  [n] deny   (no answer in " + std::to_string(settings_.timeout_seconds) + " s: deny) ";
  char answer = 0;
  if (write_all(tty_.get(), kPlainText + text)) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(settings_.timeout_seconds);
    auto quiet_since = std::chrono::steady_clock::now();  // the question drawn, or the last key
    while (!cancelled_ && std::chrono::steady_clock::now() < deadline) {
      if (!pending()) break;
      pollfd p{tty_.get(), POLLIN, 0};
      const int n = ::poll(&p, 1, 100);
      if (n < 0 && errno != EINTR) break;
      if (n <= 0) continue;
      if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) break;
      char buf[64];
      const ssize_t got = ::read(tty_.get(), buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) break;
      const auto now = std::chrono::steady_clock::now();
      const bool after_quiet = now - quiet_since >= kAnswerGrace;
      quiet_since = now;
      if (!after_quiet) continue;  // typed before the question could be read
      if (got != 1) continue;      // a burst: a terminal's reply or a paste, not a key press
      const char c = buf[0];
      const bool offered = c == 'o' || c == 'r' || c == 'n' || (c == 'd' && !network && !dir.empty()) ||
                           (c == 'a' && (network || read || !dir.empty()) && !settings_.config_file.empty());
      if (offered) {
        answer = c;
        break;
      }
    }
  }
  const char* said = answer == 'o'   ? "allowed once"
                     : answer == 'r' ? "allowed for this run"
                     : answer == 'd' ? "directory allowed for this run"
                     : answer == 'a' ? "allowed always"
                     : answer == 'n' ? "denied"
                                     : "no answer: denied";
  (void)write_all(tty_.get(), std::string("\r\n  ") + said + "\r\n");
  if (have_modes) (void)::tcsetattr(tty_.get(), TCSANOW, &saved);
  return answer;
}

}  // namespace cordon
