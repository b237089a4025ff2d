#include "core/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/limits.hpp"
#include "core/option_table.hpp"
#include "core/paths.hpp"

// toml++ 3.3 guards some parser preconditions with assert() in debug builds and with
// an optimiser assumption in release builds (clang, MSVC), yet malformed input such as
// "[/x]" or "[[[a]]]" breaks them (upstream tomlplusplus PR #301). The parser has its
// own error path for those inputs, so the checks become no-ops here: a bad file is a
// parse error, never an abort or undefined behaviour. This is the only file that
// includes toml++, so the setting is the same everywhere it is compiled.
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")

namespace cordon {
namespace {

// Config files are a few hundred bytes; anything this large is a mistake or an attack.
constexpr size_t kMaxConfigBytes = size_t{1} << 20;
constexpr const char* kUserConfig = "~/.config/cordon/config.toml";

// --- a guard for toml++ 3.3 ------------------------------------------------------------

// toml++ 3.3 reaches __builtin_unreachable() when it asks whether some non-ASCII
// characters are whitespace (for example U+00A1..U+0499; upstream issues #190 and
// #295, fixed after 3.3). That is undefined behaviour on input a cloned repository
// controls. So before parsing, every BMP code point that toml++ looks up in that table
// and that is not whitespace moves to plane 15 (U+F0000 + c), which toml++ classifies
// without the table; every string read back from the tree moves it home. Plane 15
// (private use) is therefore refused in config files, raw or as a \U000F.... escape.
constexpr char32_t kShift = 0xF0000;

bool shifted_by_guard(char32_t c) {
  if (c < 0xA1 || c > 0xFEFE) return false;
  const bool toml_whitespace = c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 ||
                               c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x2060 || c == 0x3000;
  return !toml_whitespace;
}

struct CodePoint {
  char32_t value = 0;
  size_t length = 0;  // 0: ASCII or malformed (left for toml++ to judge)
};

CodePoint decode_utf8(std::string_view s, size_t i) {
  auto byte = [&](size_t k) -> char32_t { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0; };
  auto tail = [&](size_t k) { return (byte(k) & 0xC0) == 0x80; };
  const char32_t b = byte(i);
  if (b >= 0xC2 && b <= 0xDF && tail(i + 1)) return {((b & 0x1F) << 6) | (byte(i + 1) & 0x3F), 2};
  if (b >= 0xE0 && b <= 0xEF && tail(i + 1) && tail(i + 2)) {
    const char32_t c = ((b & 0x0F) << 12) | ((byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F);
    if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) return {c, 3};
  }
  if (b >= 0xF0 && b <= 0xF4 && tail(i + 1) && tail(i + 2) && tail(i + 3)) {
    const char32_t c = ((b & 0x07) << 18) | ((byte(i + 1) & 0x3F) << 12) | ((byte(i + 2) & 0x3F) << 6) |
                       (byte(i + 3) & 0x3F);
    if (c >= 0x10000 && c <= 0x10FFFF) return {c, 4};
  }
  return {};
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  }
  out += static_cast<char>(0x80 | (c & 0x3F));
}

// Applies `map` to every well-formed multi-byte code point; other bytes are copied.
template <class Map>
std::string map_code_points(std::string_view s, Map map) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const CodePoint cp = decode_utf8(s, i);
    if (cp.length == 0) {
      out += s[i++];
      continue;
    }
    append_utf8(out, map(cp.value));
    i += cp.length;
  }
  return out;
}

std::string guard_for_toml(std::string_view s) {
  return map_code_points(s, [](char32_t c) { return shifted_by_guard(c) ? c + kShift : c; });
}

std::string unguard(std::string_view s) {
  return map_code_points(
      s, [](char32_t c) { return c > kShift && shifted_by_guard(c - kShift) ? c - kShift : c; });
}

// Byte offset of the first plane-15 code point or \U000F escape, if any.
std::optional<size_t> find_plane15(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && (s.substr(i + 1, 5) == "U000F" || s.substr(i + 1, 5) == "U000f")) return i;
    const CodePoint cp = decode_utf8(s, i);
    if (cp.value >= 0xF0000 && cp.value <= 0xFFFFF) return i;
  }
  return std::nullopt;
}

// "line:column" of a byte offset, counting code points from 1 as toml++ does.
std::string position_of(std::string_view s, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

// What one key handler sees: the key's full dotted name, its value node and where it is.
struct Field {
  const std::string& source;
  ConfigScope scope;
  std::string key;  // "filesystem.writable"
  const toml::node& node;
  int line;

  Origin origin() const { return Origin{source, line}; }
  Origin origin_of(const toml::node& n) const {
    int l = static_cast<int>(n.source().begin.line);
    return Origin{source, l > 0 ? l : line};
  }
};

// Keys and values are echoed in messages; a repository's config must not be able to
// send terminal control sequences (C0, DEL, and C1 as UTF-8) to the user's terminal.
std::string printable(std::string_view s) {
  static const char* const hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool c1 = c == 0xc2 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xe0) == 0x80;
    if (c >= 0x20 && c != 0x7f && !c1) {
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      const auto b = c1 ? static_cast<unsigned char>(s[++i]) : c;
      out += c1 ? "\\u00" : "\\x";
      out += hex[b >> 4];
      out += hex[b & 0xf];
    }
  }
  return out;
}

Error key_error(const std::string& key, const Origin& where, const std::string& detail,
                const std::string& hint = {}) {
  return usage_error(printable(key) + " (" + where.describe() + ")", detail, hint);
}

// A project config lives inside the repository the agent works on, so anything a
// cloned repository could use to widen the sandbox needs the user's own say-so.
Error widening_error(const Field& f, const std::string& what, const std::string& flag) {
  return key_error(f.key, f.origin(),
                   what +
                       " is not allowed in a project config (<workspace>/.cordon/config.toml), "
                       "which may only narrow the policy",
                   std::string("move it into the user config ") + kUserConfig + " or pass " + flag);
}

const char* type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Error type_error(const Field& f, const std::string& expected) {
  return key_error(f.key, f.origin(),
                   std::string("must be ") + expected + ", not " + type_name(f.node.type()));
}

// Strings reach system calls as C strings: an embedded NUL would silently cut a path short.
Result<std::string> string_value(const Field& f, const toml::node& n, const std::string& expected) {
  const auto* s = n.as_string();
  if (!s) {
    if (&n == &f.node) return type_error(f, expected);
    return key_error(f.key, f.origin_of(n),
                     "every element must be a string, not " + std::string(type_name(n.type())));
  }
  const std::string v = unguard(s->get());
  if (v.find('\0') != std::string::npos)
    return key_error(f.key, f.origin_of(n), "must not contain a NUL character");
  return v;
}

template <class E>
Result<Sourced<E>> enum_value(const Field& f, std::optional<E> (*parse)(const std::string&),
                              const char* valid) {
  auto s = string_value(f, f.node, "a string (one of: " + std::string(valid) + ")");
  if (!s) return s.error();
  auto e = parse(*s);
  if (!e)
    return key_error(f.key, f.origin(), "invalid value '" + printable(*s) + "'; valid values: " + valid);
  return Sourced<E>{*e, f.origin()};
}

Result<Sourced<bool>> bool_value(const Field& f) {
  const auto* b = f.node.as_boolean();
  if (!b) return type_error(f, "a boolean (true or false)");
  return Sourced<bool>{b->get(), f.origin()};
}

// Paths stay as written (the resolver expands ~), but a relative path is rejected
// here because only the parser knows its line.
Status check_path(const Field& f, const toml::node& n, const std::string& p) {
  if (p.empty()) return key_error(f.key, f.origin_of(n), "empty path");
  // "~", "~/x" (and "~\\x" on Windows): whatever the resolver will expand.
  const bool home_relative = paths::expand_home(p, "h") != p;
  if (home_relative || paths::is_absolute(p)) return Ok{};
  return key_error(
      f.key, f.origin_of(n),
      "'" + printable(p) + "' is a relative path; config files need an absolute path or one starting with ~/",
      "relative paths are only accepted on the command line");
}

Result<Sourced<std::string>> path_value(const Field& f) {
  auto s = string_value(f, f.node, "a string (a path)");
  if (!s) return s.error();
  if (auto ok = check_path(f, f.node, *s); !ok) return ok.error();
  return Sourced<std::string>{*s, f.origin()};
}

enum class ListKind { Path, EnvName, EnvPattern, Text };

Status list_value(const Field& f, ListKind kind, std::vector<Sourced<std::string>>& out) {
  const auto* arr = f.node.as_array();
  if (!arr) return type_error(f, "an array of strings");
  for (const toml::node& el : *arr) {
    auto s = string_value(f, el, "an array of strings");
    if (!s) return s.error();
    if (kind == ListKind::Path) {
      if (auto ok = check_path(f, el, *s); !ok) return ok.error();
    } else if (kind == ListKind::Text) {
      // checked by resolve()
    } else if (s->empty() || s->find('=') != std::string::npos) {
      return key_error(f.key, f.origin_of(el),
                       "'" + printable(*s) + "' is not a valid variable " +
                           (kind == ListKind::EnvName ? "name" : "name pattern") +
                           " (empty, or contains '=')");
    }
    out.push_back(Sourced<std::string>{*s, f.origin_of(el)});
  }
  return Ok{};
}

// --- key handlers: one per schema key ------------------------------------------
//
// Most keys are one of two shapes: an enum whose widest value a project config may not
// choose, or a list that a project config may not extend at all. `Widening` names, for
// the error, what was refused and the flag that grants it on the command line.

struct Widening {
  const char* what;
  const char* flag;
};

template <class E>
Status set_enum(const Field& f, std::optional<Sourced<E>>& out, std::optional<E> (*parse)(const std::string&),
                const char* valid, E project_refused, Widening widening) {
  auto v = enum_value<E>(f, parse, valid);
  if (!v) return v.error();
  if (f.scope == ConfigScope::Project && v->value == project_refused)
    return widening_error(f, widening.what, widening.flag);
  out = *v;
  return Ok{};
}

// `widening` set: the whole key is refused in a project config.
Status set_list(const Field& f, ListKind kind, std::vector<Sourced<std::string>>& out,
                std::optional<Widening> widening = std::nullopt) {
  if (widening && f.scope == ConfigScope::Project) return widening_error(f, widening->what, widening->flag);
  return list_value(f, kind, out);
}

Status set_mode(const Field& f, PolicyLayer& out) {
  return set_enum<Mode>(f, out.mode, parse_mode, "read-only, workspace-write, full-access", Mode::FullAccess,
                        {"mode = \"full-access\"", "--mode full-access"});
}

Status set_best_effort(const Field& f, PolicyLayer& out) {
  auto v = bool_value(f);
  if (!v) return v.error();
  if (f.scope == ConfigScope::Project && v->value)
    return widening_error(f, "best_effort = true", "--best-effort");
  out.best_effort = *v;
  return Ok{};
}

// A widening, so the user config's only: an answer to a question adds a writable path for
// the run, and "allow always" writes a rule into the user's config. A repository that
// turned asking on would put its writes in front of the user as questions to say yes to.
// `ask = false` only narrows and is allowed anywhere.
Status set_ask(const Field& f, PolicyLayer& out) {
  auto v = bool_value(f);
  if (!v) return v.error();
  if (f.scope == ConfigScope::Project && v->value) return widening_error(f, "ask = true", "--ask");
  out.ask = *v;
  return Ok{};
}

// Not a widening: the pty is the sandbox's own (its own devpts), and without one the
// command writes to the caller's terminal directly, so a project config may choose any.
Status set_tty(const Field& f, PolicyLayer& out) {
  auto v = enum_value<TtyMode>(f, parse_tty, "auto, always, never");
  if (!v) return v.error();
  out.tty = *v;
  return Ok{};
}

Status set_workspace(const Field& f, PolicyLayer& out) {
  if (f.scope == ConfigScope::Project) return widening_error(f, "choosing the workspace", "--workspace DIR");
  auto v = path_value(f);
  if (!v) return v.error();
  out.workspace = *v;
  return Ok{};
}

Status set_tmp(const Field& f, PolicyLayer& out) {
  return set_enum<TmpMode>(f, out.tmp, parse_tmp, "private, host, none", TmpMode::Host,
                           {"tmp = \"host\"", "--tmp host"});
}

Status set_git(const Field& f, PolicyLayer& out) {
  return set_enum<GitMode>(f, out.git, parse_git, "read-only, config-only, writable", GitMode::Writable,
                           {"git = \"writable\"", "--git writable"});
}

Status set_net_mode(const Field& f, PolicyLayer& out) {
  return set_enum<NetMode>(f, out.net, parse_net, "off, proxy, on", NetMode::On,
                           {"network.mode = \"on\"", "--net on"});
}

// Ports as integers (or strings of digits); resolve() checks the range.
Status set_net_allow_localhost(const Field& f, PolicyLayer& out) {
  if (f.scope == ConfigScope::Project)
    return widening_error(f, "allowing host loopback ports", "--allow-localhost PORT");
  const auto* arr = f.node.as_array();
  if (!arr) return type_error(f, "an array of port numbers");
  for (const toml::node& el : *arr) {
    if (const auto* i = el.as_integer()) {
      out.allow_localhost.push_back({std::to_string(i->get()), f.origin_of(el)});
      continue;
    }
    auto s = string_value(f, el, "an array of port numbers");
    if (!s) return s.error();
    out.allow_localhost.push_back({*s, f.origin_of(el)});
  }
  return Ok{};
}

Status set_env_keep(const Field& f, PolicyLayer& out) {
  return set_list(f, ListKind::EnvName, out.env_keep,
                  Widening{"keeping secret-looking variables", "--env-keep NAME"});
}

Status set_env_drop(const Field& f, PolicyLayer& out) {
  return set_list(f, ListKind::EnvPattern, out.env_drop);
}

// An integer or a float, as a double; `expected` names it in the type error.
Result<double> number_value(const Field& f, const std::string& expected) {
  if (const auto* i = f.node.as_integer()) return static_cast<double>(i->get());
  if (const auto* d = f.node.as_floating_point()) return d->get();
  return type_error(f, expected);
}

Status set_timeout(const Field& f, PolicyLayer& out) {
  auto v = number_value(f, "a number of seconds");
  if (!v) return v.error();
  if (!std::isfinite(*v) || !(*v > 0))
    return key_error(f.key, f.origin(), "must be a positive number of seconds");
  out.timeout = Sourced<double>{*v, f.origin()};
  return Ok{};
}

// [limits] memory / max_output: bytes as an integer, or a string with K, M or G.
Status size_value(const Field& f, std::optional<Sourced<uint64_t>>& out) {
  uint64_t v = 0;
  if (const auto* i = f.node.as_integer()) {
    if (i->get() < 0) return key_error(f.key, f.origin(), "must not be negative");
    v = static_cast<uint64_t>(i->get());
  } else if (const auto* s = f.node.as_string()) {
    std::string why;
    auto parsed = parse_size(s->get(), &why);
    if (!parsed) return key_error(f.key, f.origin(), why);
    v = *parsed;
  } else {
    return type_error(f, "a size (an integer number of bytes, or a string such as \"512M\")");
  }
  out = Sourced<uint64_t>{v, f.origin()};
  return Ok{};
}

Status set_memory(const Field& f, PolicyLayer& out) {
  return size_value(f, out.memory);
}
Status set_max_output(const Field& f, PolicyLayer& out) {
  return size_value(f, out.max_output);
}

Status set_pids(const Field& f, PolicyLayer& out) {
  const auto* i = f.node.as_integer();
  if (!i) return type_error(f, "an integer number of processes");
  if (i->get() < 1) return key_error(f.key, f.origin(), "must be at least 1");
  out.pids = Sourced<uint64_t>{static_cast<uint64_t>(i->get()), f.origin()};
  return Ok{};
}

Status set_cpu_time(const Field& f, PolicyLayer& out) {
  auto v = number_value(f, "a number of CPU seconds");
  if (!v) return v.error();
  out.cpu_time = Sourced<double>{*v, f.origin()};
  return Ok{};
}

// A list key of the option table (core/option_table.hpp): the row says where it lands,
// whether it holds paths (validated here; other text is checked by resolve(), which
// names the file and line) and what a project config may not do with it.
Status set_table_list(const Field& f, PolicyLayer& out) {
  const OptionSpec* o = option_by_config_key(f.key);
  if (o == nullptr || o->list == nullptr) return key_error(f.key, f.origin(), "no handler (a bug in cordon)");
  std::optional<Widening> widening;
  const std::string what(o->project_refuses), flag = std::string(o->flag) + " " + std::string(o->value_name);
  if (!what.empty()) widening = Widening{what.c_str(), flag.c_str()};
  return set_list(f, o->kind == OptionKind::PathList ? ListKind::Path : ListKind::Text, out.*o->list,
                  widening);
}

// --- the schema as data ------------------------------------------------------------

using Handler = Status (*)(const Field&, PolicyLayer&);
struct KeySpec {
  std::string_view name;
  Handler handler;
};
struct TableSpec {
  std::string_view name;  // [name]
  std::vector<KeySpec> keys;
};

// The keys in the order errors list them, each with a handler of its own or nullptr: a
// list the option table describes fully (set_table_list). Then every list key of the
// option table not named here (option_table_test checks the schema and the table agree).
struct Schema {
  std::vector<KeySpec> top;
  std::vector<TableSpec> tables;
};
Schema own_schema();

const Schema& schema() {
  static const Schema s = [] {
    Schema out = own_schema();
    for (auto& k : out.top)
      if (k.handler == nullptr) k.handler = set_table_list;
    for (auto& t : out.tables)
      for (auto& k : t.keys)
        if (k.handler == nullptr) k.handler = set_table_list;
    auto known = [&](std::string_view table, std::string_view key) {
      const auto& keys = table.empty()
                             ? out.top
                             : std::find_if(out.tables.begin(), out.tables.end(), [&](const TableSpec& t) {
                                 return t.name == table;
                               })->keys;
      return std::any_of(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.name == key; });
    };
    for (const OptionSpec& o : policy_options()) {
      if (o.config_key.empty() || o.list == nullptr) continue;
      const size_t dot = o.config_key.find('.');
      const std::string_view table = dot == std::string_view::npos ? "" : o.config_key.substr(0, dot);
      const std::string_view key =
          dot == std::string_view::npos ? o.config_key : o.config_key.substr(dot + 1);
      if (!table.empty() && std::none_of(out.tables.begin(), out.tables.end(),
                                         [&](const TableSpec& t) { return t.name == table; }))
        out.tables.push_back({table, {}});
      if (known(table, key)) continue;
      auto& keys = table.empty()
                       ? out.top
                       : std::find_if(out.tables.begin(), out.tables.end(), [&](const TableSpec& t) {
                           return t.name == table;
                         })->keys;
      keys.push_back({key, set_table_list});
    }
    return out;
  }();
  return s;
}

const std::vector<KeySpec>& top_keys() {
  return schema().top;
}

const std::vector<TableSpec>& tables() {
  return schema().tables;
}

Schema own_schema() {
  Schema s;
  s.top = {{"mode", set_mode}, {"best_effort", set_best_effort}, {"tty", set_tty}, {"ask", set_ask}};
  s.tables = {
      {"filesystem",
       {{"workspace", set_workspace},
        {"writable", nullptr},
        {"protect", nullptr},
        {"unprotect", nullptr},
        {"deny_read", nullptr},
        {"allow_read", nullptr},
        {"tmp", set_tmp},
        {"git", set_git}}},
      {"network",
       {{"mode", set_net_mode},
        {"allow", nullptr},
        {"deny", nullptr},
        {"allow_localhost", set_net_allow_localhost},
        {"allow_private_host", nullptr},
        {"allow_unix_socket", nullptr}}},
      {"env", {{"keep", set_env_keep}, {"drop", set_env_drop}}},
      {"limits",
       {{"timeout", set_timeout},
        {"memory", set_memory},
        {"pids", set_pids},
        {"cpu_time", set_cpu_time},
        {"max_output", set_max_output}}},
  };
  return s;
}

std::string valid_keys(const std::vector<KeySpec>& keys, bool with_tables) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + std::string(k.name);
  if (with_tables)
    for (const auto& t : tables()) out += ", [" + std::string(t.name) + "]";
  return out;
}

int key_line(const toml::key& k, const toml::node& v) {
  auto l = k.source().begin.line;
  if (l == 0) l = v.source().begin.line;
  return static_cast<int>(l);
}

Status apply_keys(const std::string& source, ConfigScope scope, const toml::table& table,
                  const std::string& prefix, const std::vector<KeySpec>& keys, bool top, PolicyLayer& out) {
  for (const auto& [k, node] : table) {
    const std::string name = unguard(k.str());
    const std::string dotted = prefix.empty() ? name : prefix + "." + name;
    Field f{source, scope, dotted, node, key_line(k, node)};
    if (top) {
      auto t =
          std::find_if(tables().begin(), tables().end(), [&](const TableSpec& s) { return s.name == name; });
      if (t != tables().end()) {
        const auto* sub = node.as_table();
        if (!sub) return type_error(f, "a table ([" + name + "])");
        if (auto ok = apply_keys(source, scope, *sub, dotted, t->keys, false, out); !ok) return ok;
        continue;
      }
    }
    auto spec = std::find_if(keys.begin(), keys.end(), [&](const KeySpec& s) { return s.name == name; });
    if (spec == keys.end())
      return key_error(dotted, f.origin(),
                       "unknown key; valid " +
                           (top ? std::string("top-level keys") : "keys in [" + prefix + "]") + ": " +
                           valid_keys(keys, top));
    if (auto ok = spec->handler(f, out); !ok) return ok;
  }
  return Ok{};
}

}  // namespace

std::vector<std::string> config_keys() {
  std::vector<std::string> out;
  for (const auto& k : top_keys()) out.emplace_back(k.name);
  for (const auto& t : tables())
    for (const auto& k : t.keys) out.push_back(std::string(t.name) + "." + std::string(k.name));
  return out;
}

Result<PolicyLayer> parse_config(std::string_view text, const std::string& source, ConfigScope scope) {
  if (text.size() > kMaxConfigBytes)
    return usage_error("config(" + source + ")", "file is larger than 1 MiB; refusing to parse it");
  if (auto at = find_plane15(text))
    return usage_error(source + ":" + position_of(text, *at),
                       "private-use characters U+F0000..U+FFFFF are not supported in config files");
  toml::parse_result parsed = toml::parse(guard_for_toml(text), source);
  if (!parsed) {
    const auto& err = parsed.error();
    const auto& pos = err.source().begin;
    return usage_error(source + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column),
                       "TOML syntax error: " + printable(unguard(err.description())));
  }
  PolicyLayer layer;
  layer.origin = Origin{source, 0};
  layer.narrow_only = scope == ConfigScope::Project;
  if (auto ok = apply_keys(source, scope, parsed.table(), "", top_keys(), true, layer); !ok)
    return ok.error();
  return layer;
}

Result<std::optional<PolicyLayer>> load_config_file(const std::string& path, ConfigScope scope) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(fs::path(path), ec);
  if (st.type() == fs::file_type::not_found) return std::optional<PolicyLayer>{};
  if (ec) return Error{"stat", path, 0, ec.message(), {}};
  // Refuse FIFOs and devices: opening one could block or read forever.
  if (st.type() != fs::file_type::regular) return usage_error("config(" + path + ")", "not a regular file");

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    const int code = errno;
    if (code == ENOENT) return std::optional<PolicyLayer>{};
    return os_error("fopen", path, code);
  }
  std::string text;
  char buf[16384];
  while (text.size() <= kMaxConfigBytes) {
    const size_t n = std::fread(buf, 1, sizeof buf, file.get());
    text.append(buf, n);
    if (n < sizeof buf) break;
  }
  if (std::ferror(file.get())) return os_error("fread", path, errno != 0 ? errno : EIO);
  if (text.size() > kMaxConfigBytes)
    return usage_error("config(" + path + ")", "file is larger than 1 MiB; refusing to read it");

  auto layer = parse_config(text, path, scope);
  if (!layer) return layer.error();
  return std::optional<PolicyLayer>{std::move(*layer)};
}

}  // namespace cordon

namespace cordon {

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    if (end == std::string::npos) {
      lines.push_back(text.substr(at));
      break;
    }
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return {};
  const size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

}  // namespace

namespace {

// One element of an array cordon rewrites: a string (as written, unguarded) or an integer.
std::optional<std::string> array_element_text(const toml::node& e) {
  if (const auto* v = e.as_string()) return toml_string(unguard(v->get()));
  if (const auto* i = e.as_integer()) return std::to_string(i->get());
  return std::nullopt;
}

bool array_holds(const toml::node& e, const ConfigEntry& value) {
  if (value.integer) {
    const auto* i = e.as_integer();
    return i && std::to_string(i->get()) == value.text;
  }
  const auto* v = e.as_string();
  return v && unguard(v->get()) == value.text;
}

}  // namespace

Result<std::string> add_config_entry(const std::string& text, const std::string& table,
                                     const std::string& key, const ConfigEntry& value,
                                     const std::string& comment) {
  const std::string source = "config";
  const std::string dotted = table + "." + key;
  if (auto checked = parse_config(text, source, ConfigScope::User); !checked) return checked.error();
  toml::parse_result parsed = toml::parse(guard_for_toml(text), source);
  if (!parsed) return usage_error(source, "TOML syntax error");
  std::string note;
  for (char c : comment) note += (c == '\n' || c == '\r') ? ' ' : c;
  const std::string literal = value.integer ? value.text : toml_string(value.text);
  const std::string entry = literal + (note.empty() ? "" : ",  # " + note);
  const toml::node* table_node = parsed.table().get(table);
  std::string out;
  if (!table_node) {
    out = text;
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += "\n[" + table + "]\n" + key + " = [\n  " + entry + "\n]\n";
  } else {
    const toml::table* t = table_node->as_table();
    if (!t || t->is_inline())
      return usage_error(table, "is not a [" + table + "] table that cordon can add a line to");
    std::vector<std::string> lines = split_lines(text);
    const size_t header = t->source().begin.line;  // 1-based
    if (header == 0 || header > lines.size() || trimmed(lines[header - 1]).rfind("[" + table + "]", 0) != 0)
      return usage_error(table, "has no [" + table + "] header line for cordon to add a line after");
    const toml::node* w = t->get(key);
    if (!w) {
      lines.insert(lines.begin() + static_cast<long>(header), key + " = [\n  " + entry + "\n]");
    } else {
      const toml::array* arr = w->as_array();
      const size_t first = w->source().begin.line, last = w->source().end.line;
      if (!arr || first == 0 || last < first || last > lines.size() ||
          trimmed(lines[first - 1]).rfind(key, 0) != 0 || trimmed(lines[last - 1]).empty() ||
          trimmed(lines[last - 1]).back() != ']')
        return usage_error(dotted, "is not written in a form cordon can add an entry to");
      std::string rewritten = key + " = [\n";
      for (const auto& e : *arr) {
        auto element = array_element_text(e);
        if (!element) return usage_error(dotted, "holds a value that is neither a string nor a number");
        rewritten += "  " + *element + ",\n";
      }
      rewritten += "  " + entry + "\n]";
      lines.erase(lines.begin() + static_cast<long>(first - 1), lines.begin() + static_cast<long>(last));
      lines.insert(lines.begin() + static_cast<long>(first - 1), rewritten);
    }
    for (const auto& l : lines) out += l + "\n";
  }
  // What is written must parse, and must say what was meant.
  auto again = parse_config(out, source, ConfigScope::User);
  if (!again) return again.error();
  toml::parse_result check = toml::parse(guard_for_toml(out), source);
  const toml::array* arr = check ? check.table().at_path(dotted).as_array() : nullptr;
  bool found = false;
  if (arr)
    for (const auto& e : *arr) found = found || array_holds(e, value);
  if (!found) return usage_error(dotted, "the edited file does not hold the new entry");
  return out;
}

Result<std::string> add_writable_rule(const std::string& text, const std::string& dir,
                                      const std::string& comment) {
  return add_config_entry(text, "filesystem", "writable", ConfigEntry{dir, false}, comment);
}

}  // namespace cordon
