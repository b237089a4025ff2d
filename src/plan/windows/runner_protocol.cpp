#include "plan/windows/runner_protocol.hpp"

#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

namespace cordon::win::runner {
namespace {

using nlohmann::json;

Error frame_error(std::string detail) {
  return usage_error("runner frame", std::move(detail));
}

// Reads the fields of one frame object and remembers which it saw, so that finish()
// can reject anything unknown.
class Fields {
 public:
  explicit Fields(const json& object) : object_(object) { seen_ = {"version", "type"}; }

  const json* find(const std::string& key, bool required) {
    seen_.insert(key);
    auto it = object_.find(key);
    if (it == object_.end()) {
      if (required && !error_) error_ = frame_error("missing field \"" + key + "\"");
      return nullptr;
    }
    return &*it;
  }
  void fail(const std::string& key, const char* want) {
    if (!error_) error_ = frame_error("field \"" + key + "\" must be " + want);
  }
  void string(const std::string& key, std::string& out, bool required = true) {
    if (const json* v = find(key, required)) {
      if (v->is_string())
        out = v->get<std::string>();
      else
        fail(key, "a string");
    }
  }
  void boolean(const std::string& key, bool& out, bool required = true) {
    if (const json* v = find(key, required)) {
      if (v->is_boolean())
        out = v->get<bool>();
      else
        fail(key, "a boolean");
    }
  }
  template <class T>
  void unsigned_number(const std::string& key, T& out, bool required = true) {
    if (const json* v = find(key, required)) {
      if (v->is_number_unsigned() && v->get<uint64_t>() <= std::numeric_limits<T>::max())
        out = static_cast<T>(v->get<uint64_t>());
      else
        fail(key, "a non-negative integer in range");
    }
  }
  // An optional limit: absent is no limit; present, from 1 to `max` (0 would read as
  // "no limit" to some and "nothing at all" to others: neither is asked for).
  template <class T>
  void limit(const std::string& key, std::optional<T>& out, uint64_t max = std::numeric_limits<T>::max()) {
    const json* v = find(key, false);
    if (!v) return;
    if (v->is_number_unsigned() && v->get<uint64_t>() >= 1 && v->get<uint64_t>() <= max)
      out = static_cast<T>(v->get<uint64_t>());
    else
      fail(key, ("an integer from 1 to " + std::to_string(max)).c_str());
  }
  void strings(const std::string& key, std::vector<std::string>& out) {
    const json* v = find(key, true);
    if (!v) return;
    if (!v->is_array()) return fail(key, "an array of strings");
    for (const auto& item : *v) {
      if (!item.is_string()) return fail(key, "an array of strings");
      out.push_back(item.get<std::string>());
    }
  }
  void data(const std::string& key, std::string& out) {
    std::string text;
    string(key, text);
    if (error_) return;
    auto bytes = base64_decode(text);
    if (!bytes) return fail(key, "base64");
    out = std::move(*bytes);
  }
  void failure(const std::string& key, std::optional<Failure>& out, bool required) {
    const json* v = find(key, required);
    if (!v) return;
    if (!v->is_object()) return fail(key, "an object");
    Fields inner(*v);
    inner.seen_.clear();
    Failure f;
    inner.string("call", f.call);
    inner.string("argument", f.argument);
    inner.unsigned_number("win32", f.win32);
    inner.string("message", f.message);
    inner.string("hint", f.hint);
    if (auto e = inner.finish(); !e) {
      if (!error_) error_ = frame_error("in \"" + key + "\": " + e.error().detail);
      return;
    }
    out = std::move(f);
  }

  Status finish() {
    if (error_) return *error_;
    for (const auto& [key, value] : object_.items())
      if (!seen_.count(key)) return frame_error("unknown field \"" + key + "\"");
    return Ok{};
  }

 private:
  const json& object_;
  std::set<std::string> seen_;
  std::optional<Error> error_;
};

json failure_json(const Failure& f) {
  return {{"call", f.call},
          {"argument", f.argument},
          {"win32", f.win32},
          {"message", f.message},
          {"hint", f.hint}};
}

struct ToJson {
  json& j;
  void operator()(const Start& s) const {
    j["argv"] = s.argv;
    j["cwd"] = s.cwd;
    j["env"] = s.env;
    j["capability_sids"] = s.capability_sids;
    if (!s.run_sid.empty()) j["run_sid"] = s.run_sid;
    if (s.timeout_ms) j["timeout_ms"] = *s.timeout_ms;
    j["tty"] = s.tty;
    if (s.tty) j["rows"] = s.rows, j["columns"] = s.columns;
    j["private_desktop"] = s.private_desktop;
    j["safe_directories"] = s.safe_directories;
    if (s.memory_bytes) j["memory_bytes"] = *s.memory_bytes;
    if (s.processes) j["processes"] = *s.processes;
    if (s.process_user_time) j["process_user_time"] = *s.process_user_time;
  }
  void operator()(const Stdin& s) const {
    j["data"] = base64_encode(s.data);
    j["eof"] = s.eof;
  }
  void operator()(const Terminate&) const {}
  void operator()(const Started& s) const { j["pid"] = s.pid; }
  void operator()(const Output& o) const { j["data"] = base64_encode(o.data); }
  void operator()(const Exit& e) const {
    j["exit_code"] = e.exit_code;
    j["timed_out"] = e.timed_out;
    j["terminated"] = e.terminated;
    if (e.error) j["error"] = failure_json(*e.error);
  }
  void operator()(const ErrorFrame& e) const { j["error"] = failure_json(e.error); }
  void operator()(const Resize& r) const { j["rows"] = r.rows, j["columns"] = r.columns; }
};

// rows and columns of a pseudoconsole: required, 1..kMaxTtySide each.
void tty_size(Fields& f, uint16_t& rows, uint16_t& columns) {
  f.unsigned_number("rows", rows);
  f.unsigned_number("columns", columns);
  if (rows < 1 || rows > kMaxTtySide) f.fail("rows", "from 1 to 1000");
  if (columns < 1 || columns > kMaxTtySide) f.fail("columns", "from 1 to 1000");
}

Result<Message> from_fields(const std::string& type, Fields& f) {
  if (type == "start") {
    Start s;
    f.strings("argv", s.argv);
    f.string("cwd", s.cwd);
    f.strings("env", s.env);
    f.strings("capability_sids", s.capability_sids);
    f.string("run_sid", s.run_sid, /*required=*/false);
    uint64_t timeout = 0;
    if (f.find("timeout_ms", false)) {
      f.unsigned_number("timeout_ms", timeout);
      s.timeout_ms = timeout;
    }
    f.boolean("tty", s.tty);
    if (s.tty) tty_size(f, s.rows, s.columns);  // without tty they are unknown fields
    f.boolean("private_desktop", s.private_desktop);
    f.strings("safe_directories", s.safe_directories);
    f.limit("memory_bytes", s.memory_bytes);
    f.limit("processes", s.processes);
    f.limit("process_user_time", s.process_user_time, std::numeric_limits<int64_t>::max());
    return Message{std::move(s)};
  }
  if (type == "stdin") {
    Stdin s;
    f.data("data", s.data);
    f.boolean("eof", s.eof);
    return Message{std::move(s)};
  }
  if (type == "terminate") return Message{Terminate{}};
  if (type == "resize") {
    Resize r;
    tty_size(f, r.rows, r.columns);
    return Message{r};
  }
  if (type == "started") {
    Started s;
    f.unsigned_number("pid", s.pid);
    return Message{s};
  }
  if (type == "stdout" || type == "stderr") {
    Output o;
    o.stream = type == "stdout" ? Stream::Stdout : Stream::Stderr;
    f.data("data", o.data);
    return Message{std::move(o)};
  }
  if (type == "exit") {
    Exit e;
    f.unsigned_number("exit_code", e.exit_code);
    f.boolean("timed_out", e.timed_out);
    f.boolean("terminated", e.terminated);
    f.failure("error", e.error, false);
    return Message{std::move(e)};
  }
  if (type == "error") {
    std::optional<Failure> failure;
    f.failure("error", failure, true);
    return Message{ErrorFrame{failure.value_or(Failure{})}};
  }
  return frame_error("unknown frame type \"" + type + "\"");
}

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string_view type_name(const Message& m) {
  static constexpr std::array<std::string_view, 8> kNames = {"start",  "stdin", "terminate", "started",
                                                             "stdout", "exit",  "error",     "resize"};
  if (const auto* o = std::get_if<Output>(&m)) return o->stream == Stream::Stdout ? "stdout" : "stderr";
  return kNames.at(m.index());
}

Direction direction_of(const Message& m) {
  return m.index() <= 2 || std::holds_alternative<Resize>(m) ? Direction::ToRunner : Direction::ToCaller;
}

Result<std::string> encode(const Message& m, size_t max_body) {
  json j = {{"version", kProtocolVersion}, {"type", std::string(type_name(m))}};
  std::visit(ToJson{j}, m);
  std::string body;
  try {
    body = j.dump();
  } catch (const json::exception&) {
    return frame_error("a string in the frame is not UTF-8");
  }
  if (body.size() > max_body)
    return frame_error("frame of " + std::to_string(body.size()) + " bytes exceeds the cap of " +
                       std::to_string(max_body));
  std::string out(kHeaderSize, '\0');
  const auto n = static_cast<uint32_t>(body.size());
  for (size_t i = 0; i < kHeaderSize; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  out += body;
  return out;
}

Result<Message> decode_body(std::string_view body, Direction direction) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return frame_error("body is not JSON");
  if (!j.is_object()) return frame_error("body is not a JSON object");
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_unsigned()) return frame_error("missing \"version\"");
  if (version->get<uint64_t>() != kProtocolVersion)
    return frame_error("protocol version " + version->dump() + " (this side speaks " +
                       std::to_string(kProtocolVersion) + ")");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return frame_error("missing \"type\"");
  Fields fields(j);
  auto message = from_fields(type->get<std::string>(), fields);
  if (!message) return message;
  if (auto done = fields.finish(); !done) return done.error();
  if (direction_of(*message) != direction)
    return frame_error("frame type \"" + type->get<std::string>() + "\" travels the other way");
  return message;
}

void FrameDecoder::feed(std::string_view bytes) {
  while (!bytes.empty() && !failure_) {
    if (!body_) {
      const size_t take = std::min(kHeaderSize - header_fill_, bytes.size());
      for (size_t i = 0; i < take; ++i) header_[header_fill_ + i] = static_cast<unsigned char>(bytes[i]);
      header_fill_ += take;
      bytes.remove_prefix(take);
      if (header_fill_ < kHeaderSize) return;
      uint32_t n = 0;
      for (size_t i = 0; i < kHeaderSize; ++i) n |= static_cast<uint32_t>(header_[i]) << (8 * i);
      header_fill_ = 0;
      if (n > max_body_) {
        failure_ = frame_error("frame length " + std::to_string(n) + " exceeds the cap of " +
                               std::to_string(max_body_));
        return;
      }
      body_size_ = n;
      body_.emplace();
      body_->reserve(n);
    }
    const size_t take = std::min(body_size_ - body_->size(), bytes.size());
    body_->append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (body_->size() == body_size_) {
      ready_.push_back(std::move(*body_));
      body_.reset();
    }
  }
}

std::optional<Result<Message>> FrameDecoder::next() {
  if (!ready_.empty()) {
    std::string body = std::move(ready_.front());
    ready_.pop_front();
    return decode_body(body, direction_);
  }
  if (failure_) return Result<Message>(*failure_);
  return std::nullopt;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    int padding = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      uint32_t digit = 0;
      if (c == '=') {
        // Padding only in the last group, only in its last two places, and only at the end.
        if (i + 4 != text.size() || k < 2) return std::nullopt;
        ++padding;
      } else {
        if (padding > 0) return std::nullopt;
        auto pos = kAlphabet.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        digit = static_cast<uint32_t>(pos);
      }
      v = (v << 6) | digit;
    }
    // Canonical form only: the bits the padding drops must be zero.
    if ((padding == 1 && (v & 0xFF) != 0) || (padding == 2 && (v & 0xFFFF) != 0)) return std::nullopt;
    out.push_back(static_cast<char>((v >> 16) & 0xFF));
    if (padding < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (padding < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return out;
}

}  // namespace cordon::win::runner
