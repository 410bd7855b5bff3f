#include "engine/json.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unordered_set>

namespace scout::json {

const char* type_name(Type type) noexcept {
  switch (type) {
    case Type::Null: return "null";
    case Type::Bool: return "a boolean";
    case Type::Number: return "a number";
    case Type::String: return "a string";
    case Type::Array: return "an array";
    case Type::Object: return "an object";
  }
  return "?";
}

namespace {
const std::vector<Value> kNoItems;
const std::vector<std::string> kNoKeys;
}  // namespace

const std::vector<Value>& Value::items() const noexcept {
  return children_ ? children_->items : kNoItems;
}
const std::vector<std::string>& Value::keys() const noexcept {
  return children_ ? children_->keys : kNoKeys;
}

const Value* Value::find(std::string_view key) const noexcept {
  if (type_ != Type::Object) return nullptr;
  const auto& k = children_->keys;
  for (size_t i = 0; i < k.size(); ++i)
    if (k[i] == key) return &children_->items[i];
  return nullptr;
}

// Recursive descent over the whole document. Depth is bounded by Limits::max_depth, so the
// recursion is too.
class Parser {
 public:
  Parser(std::string_view text, const Source& source, const Limits& limits)
      : text_(text), source_(source), limits_(limits) {}

  Value parse_document() {
    begin_document();
    Value v = parse_value(0);
    end_document();
    return v;
  }

  void parse_members(const MemberFn& fn) {
    begin_document();
    if (peek() != '{') error(pos_, "the document must be an object, found " + show_char(pos_));
    ++values_;
    Value top;  // holds only the keys, for the duplicate check
    parse_object(top, 1, &fn);
    end_document();
  }

 private:
  void begin_document() {
    if (text_.size() > limits_.max_bytes)
      error(0, "document is " + std::to_string(text_.size()) + " bytes, more than the limit of " +
                   std::to_string(limits_.max_bytes));
    if (text_.size() >= 3 && text_.substr(0, 3) == "\xEF\xBB\xBF")
      error(0, "byte order mark before the value");
    skip_ws();
  }

  void end_document() {
    skip_ws();
    if (pos_ != text_.size()) error(pos_, "unexpected data after the top-level value");
  }

  [[noreturn]] void error(size_t at, const std::string& what) const {
    throw Error(source_.code, source_.name + ": invalid JSON at byte " + std::to_string(at) + ": " + what);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_ws() {
    while (!at_end()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  void expect_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) error(pos_, "unexpected character " + show_char(pos_));
    pos_ += word.size();
  }

  std::string show_char(size_t at) const {
    if (at >= text_.size()) return "(end of input)";
    const auto c = static_cast<unsigned char>(text_[at]);
    char buf[16];
    if (c >= 0x20 && c < 0x7F)
      std::snprintf(buf, sizeof buf, "'%c'", c);
    else
      std::snprintf(buf, sizeof buf, "0x%02X", c);
    return buf;
  }

  Value parse_value(size_t depth) {
    if (++values_ > limits_.max_values)
      error(pos_, "more than " + std::to_string(limits_.max_values) + " values in the document");
    Value v;
    v.offset_ = pos_;
    switch (peek()) {
      case '{': parse_object(v, depth + 1); break;
      case '[': parse_array(v, depth + 1); break;
      case '"':
        v.type_ = Type::String;
        v.string_ = parse_string();
        break;
      case 't':
        expect_literal("true");
        v.type_ = Type::Bool;
        v.bool_ = true;
        break;
      case 'f':
        expect_literal("false");
        v.type_ = Type::Bool;
        break;
      case 'n': expect_literal("null"); break;
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
          parse_number(v);
          break;
        }
        error(pos_, at_end() ? "unexpected end of input" : "unexpected character " + show_char(pos_));
    }
    return v;
  }

  void enter(size_t depth) {
    if (depth > limits_.max_depth)
      error(pos_, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
  }

  void parse_array(Value& v, size_t depth) {
    enter(depth);
    v.type_ = Type::Array;
    v.children_ = std::make_unique<Value::Children>();
    ++pos_;  // '['
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    auto& items = v.children_->items;
    for (;;) {
      if (items.size() >= limits_.max_members)
        error(pos_, "array has more than " + std::to_string(limits_.max_members) + " items");
      skip_ws();
      items.push_back(parse_value(depth));
      if (end_of_container(']', "array")) return;
    }
  }

  // After an item: consumes ',' (more items follow: false) or `close` (true).
  bool end_of_container(char close, const char* what) {
    skip_ws();
    if (peek() == ',' || peek() == close) return text_[pos_++] == close;
    error(pos_, std::string("expected ',' or '") + close + "' in " + what + ", found " + show_char(pos_));
  }

  // With a sink, each member's value goes to it instead of into `v` (which keeps only the keys).
  void parse_object(Value& v, size_t depth, const MemberFn* sink = nullptr) {
    enter(depth);
    v.type_ = Type::Object;
    v.children_ = std::make_unique<Value::Children>();
    ++pos_;  // '{'
    skip_ws();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    auto& keys = v.children_->keys;
    auto& items = v.children_->items;
    std::unique_ptr<KeySet> seen;  // only for large objects
    for (;;) {
      if (keys.size() >= limits_.max_members)
        error(pos_, "object has more than " + std::to_string(limits_.max_members) + " members");
      skip_ws();
      if (peek() != '"') error(pos_, "expected a string key, found " + show_char(pos_));
      const size_t key_offset = pos_;
      keys.push_back(parse_string());
      check_new_key(keys, seen, key_offset);
      skip_ws();
      if (peek() != ':') error(pos_, "expected ':' after a key, found " + show_char(pos_));
      ++pos_;
      skip_ws();
      if (sink)
        (*sink)(keys.back(), parse_value(depth));
      else
        items.push_back(parse_value(depth));
      if (end_of_container('}', "object")) break;
    }
  }

  // Rejects keys[last] if an earlier key equals it. Small objects (config fields, tensor entries)
  // are scanned; large ones (a safetensors header's tensor list) switch to a hash set of indices,
  // so the check stays linear. Indices, not string_views: the keys move when the vector grows.
  struct KeyIndex {
    const std::vector<std::string>* keys;
    size_t operator()(uint32_t i) const { return std::hash<std::string>()((*keys)[i]); }
    bool operator()(uint32_t a, uint32_t b) const { return (*keys)[a] == (*keys)[b]; }
  };
  using KeySet = std::unordered_set<uint32_t, KeyIndex, KeyIndex>;
  static constexpr size_t kLinearKeyScan = 16;

  void check_new_key(const std::vector<std::string>& keys, std::unique_ptr<KeySet>& set, size_t key_offset) {
    const uint32_t last = static_cast<uint32_t>(keys.size() - 1);
    bool duplicate = false;
    if (keys.size() <= kLinearKeyScan) {
      for (uint32_t i = 0; i < last && !duplicate; ++i) duplicate = keys[i] == keys[last];
    } else {
      if (!set) {
        const KeyIndex ki{&keys};
        set = std::make_unique<KeySet>(64, ki, ki);
        for (uint32_t i = 0; i < last; ++i) set->insert(i);
      }
      duplicate = !set->insert(last).second;
    }
    if (duplicate) error(key_offset, "duplicate key " + quote(keys[last]));
  }

  void parse_number(Value& v) {
    const size_t start = pos_;
    bool integral = true;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') error(start, "leading zeros are not allowed in numbers");
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++pos_;
    } else {
      error(pos_, "expected a digit, found " + show_char(pos_));
    }
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) error(pos_, "expected a digit after '.'");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) error(pos_, "expected a digit in the exponent");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    v.type_ = Type::Number;
    const auto d = std::from_chars(first, last, v.number_);
    if (d.ec == std::errc::result_out_of_range) {
      // Underflow to zero is harmless; overflow to infinity is not a number we can represent.
      if (integral || std::isinf(std::strtod(std::string(first, last).c_str(), nullptr)))
        error(start, "number out of range");
      v.number_ = 0;
    } else if (d.ec != std::errc()) {
      error(start, "malformed number");
    }
    if (integral) {
      const auto r = std::from_chars(first, last, v.integer_);
      v.is_integer_ = r.ec == std::errc();  // fails only when beyond int64
    }
  }

  // Appends `cp` (a valid scalar value) as UTF-8.
  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  uint32_t parse_hex4() {
    if (pos_ + 4 > text_.size()) error(pos_, "unterminated \\u escape");
    uint32_t cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      uint32_t d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        error(pos_ + i, "invalid hex digit " + show_char(pos_ + i) + " in \\u escape");
      cp = cp << 4 | d;
    }
    pos_ += 4;
    return cp;
  }

  void parse_escape(std::string& out) {
    const size_t at = pos_ - 1;  // the backslash
    if (at_end()) error(at, "unterminated string");
    const char c = text_[pos_++];
    switch (c) {
      case '"': out += '"'; return;
      case '\\': out += '\\'; return;
      case '/': out += '/'; return;
      case 'b': out += '\b'; return;
      case 'f': out += '\f'; return;
      case 'n': out += '\n'; return;
      case 'r': out += '\r'; return;
      case 't': out += '\t'; return;
      case 'u': break;
      default: error(at, "invalid escape \\" + std::string(1, c));
    }
    uint32_t cp = parse_hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) error(at, "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") error(at, "high surrogate not followed by a low surrogate");
      pos_ += 2;
      const uint32_t lo = parse_hex4();
      if (lo < 0xDC00 || lo > 0xDFFF) error(at, "high surrogate not followed by a low surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    put_utf8(out, cp);
  }

  // Length of the valid UTF-8 sequence starting at `pos_` (a byte >= 0x80), or 0 if invalid.
  size_t utf8_sequence_length() const {
    const auto* p = reinterpret_cast<const unsigned char*>(text_.data()) + pos_;
    const size_t left = text_.size() - pos_;
    const unsigned char b0 = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte (RFC 3629 table)
    if (b0 >= 0xC2 && b0 <= 0xDF)
      n = 2;
    else if (b0 == 0xE0)
      n = 3, lo = 0xA0;
    else if (b0 == 0xED)
      n = 3, hi = 0x9F;  // excludes UTF-16 surrogates
    else if (b0 >= 0xE1 && b0 <= 0xEF)
      n = 3;
    else if (b0 == 0xF0)
      n = 4, lo = 0x90;
    else if (b0 == 0xF4)
      n = 4, hi = 0x8F;  // nothing above U+10FFFF
    else if (b0 >= 0xF1 && b0 <= 0xF3)
      n = 4;
    else
      return 0;
    if (left < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; ++i)
      if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
  }

  std::string parse_string() {
    const size_t start = pos_;
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) error(start, "unterminated string");
      if (out.size() > limits_.max_string_bytes)
        error(start, "string longer than " + std::to_string(limits_.max_string_bytes) + " bytes");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        ++pos_;
        parse_escape(out);
      } else if (c < 0x20) {
        error(pos_, "control character " + show_char(pos_) + " in a string (must be escaped)");
      } else if (c < 0x80) {
        // Copy the run of plain ASCII at once: most strings are nothing else.
        size_t end = pos_ + 1;
        while (end < text_.size()) {
          const auto d = static_cast<unsigned char>(text_[end]);
          if (d == '"' || d == '\\' || d < 0x20 || d >= 0x80) break;
          ++end;
        }
        out.append(text_.data() + pos_, end - pos_);
        pos_ = end;
      } else {
        const size_t n = utf8_sequence_length();
        if (n == 0) error(pos_, "invalid UTF-8 in a string");
        out.append(text_.data() + pos_, n);
        pos_ += n;
      }
    }
  }

  std::string_view text_;
  const Source& source_;
  const Limits& limits_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

Value parse(std::string_view text, const Source& source, const Limits& limits) {
  return Parser(text, source, limits).parse_document();
}

void parse_members(std::string_view text, const Source& source, const Limits& limits, const MemberFn& fn) {
  Parser(text, source, limits).parse_members(fn);
}

std::string read_file(const std::string& path, size_t max_bytes, ErrorCode code) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw Error(ErrorCode::NotFound, path + ": no such file");
    throw Error(ErrorCode::Io, path + ": cannot stat: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) throw Error(code, path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    throw Error(code, path + ": " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                          std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, path + ": cannot open: " + std::strerror(errno));
  // One byte more than stat() saw, so a file that grew since (beyond the limit) is still caught.
  std::string text(static_cast<size_t>(st.st_size) + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw Error(ErrorCode::Io, path + ": read failed");
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes)
    throw Error(code, path + ": more than the limit of " + std::to_string(max_bytes) + " bytes");
  return text;
}

}  // namespace scout::json
