// A strict JSON reader for the files that come with a model (safetensors headers, config.json,
// model.safetensors.index.json).
//
// Written by hand rather than taken from a library because every one of these files is untrusted
// and we need exact control over what is accepted:
//   * RFC 8259 grammar only: no comments, no trailing commas, no NaN/Infinity, no byte order mark,
//     nothing but whitespace after the top-level value;
//   * strings must be valid UTF-8 (no overlong forms, no encoded surrogates, nothing above
//     U+10FFFF); \u escapes are decoded, surrogate pairs joined, lone surrogates rejected;
//   * duplicate object keys are an error (two parsers that pick different duplicates are how
//     "the same file means two things" bugs start);
//   * numbers keep their exact integer value when written as an integer literal, so a field that
//     must be an integer can reject 1.5, 1e3, "3" and anything beyond 2^53;
//   * limits on input size, nesting depth, members per object and total values bound both memory
//     and time before a hostile file can make us allocate in proportion to its claims.
// Every error is a scout::Error with the caller's code, naming the source and the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"

namespace scout::json {

enum class Type : uint8_t { Null, Bool, Number, String, Array, Object };
const char* type_name(Type type) noexcept;  // "null", "a boolean", "a number", ...

// The largest integer a double (and so JavaScript, and most JSON parsers) holds exactly.
inline constexpr int64_t kMaxExactInteger = int64_t{1} << 53;

struct Limits {
  size_t max_bytes = size_t{64} << 20;         // whole document
  size_t max_depth = 64;                       // nested arrays/objects
  size_t max_members = 1u << 20;               // entries in one array or object
  size_t max_values = 1u << 22;                // values in the whole document
  size_t max_string_bytes = size_t{16} << 20;  // one decoded string (keys included)
};

// How errors about a document are reported: which scout::ErrorCode, and the file's name.
struct Source {
  ErrorCode code;
  std::string name;
};

// One parsed value. Objects keep their members in document order.
class Value {
 public:
  Value() = default;
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;

  Type type() const noexcept { return type_; }
  size_t offset() const noexcept { return offset_; }  // byte offset of the value in the document
  bool is(Type t) const noexcept { return type_ == t; }

  bool boolean() const noexcept { return bool_; }
  double number() const noexcept { return number_; }
  // True when the number was written as an integer literal (no fraction, no exponent) whose
  // value fits in int64; then integer() is exact.
  bool is_integer() const noexcept { return is_integer_; }
  int64_t integer() const noexcept { return integer_; }
  const std::string& string() const noexcept { return string_; }

  // Array items, or object member values (parallel to keys()).
  const std::vector<Value>& items() const noexcept;
  const std::vector<std::string>& keys() const noexcept;  // object only
  size_t size() const noexcept { return items().size(); }

  // The member called `key` of an object, or nullptr (also for non-objects).
  const Value* find(std::string_view key) const noexcept;

 private:
  friend class Parser;
  struct Children {
    std::vector<Value> items;
    std::vector<std::string> keys;
  };
  Type type_ = Type::Null;
  bool bool_ = false;
  bool is_integer_ = false;
  size_t offset_ = 0;
  double number_ = 0;
  int64_t integer_ = 0;
  std::string string_;
  std::unique_ptr<Children> children_;  // arrays and objects only: keeps scalars small
};

// Parses `text` completely. Throws scout::Error(source.code) "<name>: invalid JSON at byte N: …".
Value parse(std::string_view text, const Source& source, const Limits& limits = {});

// Reads a whole document from disk. Error(NotFound) when it does not exist, Error(code) when it
// is not a regular file or is larger than `max_bytes` (checked before reading), Error(Io) when
// the OS refuses.
std::string read_file(const std::string& path, size_t max_bytes, ErrorCode code);

// Parses a document that must be an object, handing each member to `fn` as soon as it is read and
// dropping it afterwards, so memory is bounded by the largest member rather than by the whole
// document (a safetensors header lists up to tens of thousands of tensors). All checks of parse()
// apply, duplicate keys included; `fn` may throw to stop early.
using MemberFn = std::function<void(const std::string& key, Value&& value)>;
void parse_members(std::string_view text, const Source& source, const Limits& limits, const MemberFn& fn);

// ---- Typed access with field paths ------------------------------------------------------------
// These report "<source>: <path> must be …, got …" as scout::Error(source.code). `path` is the
// dotted field path as the user would write it, e.g. "text_config.rope_scaling.factor".

[[noreturn]] void fail(const Source& source, std::string_view path, std::string_view problem);

// A string quoted for an error message: at most 80 bytes shown, control characters escaped.
std::string quote(std::string_view s);
// A short, printable description of a value for error messages: 1.5, "abc…", an object, …
std::string describe(const Value& value);

// An integer literal with |value| <= 2^53 (rejects 1.5, 1e3, "3", true).
int64_t get_int(const Value& value, const Source& source, std::string_view path);
// Any finite number.
double get_number(const Value& value, const Source& source, std::string_view path);
bool get_bool(const Value& value, const Source& source, std::string_view path);
const std::string& get_string(const Value& value, const Source& source, std::string_view path);
const Value& get_object(const Value& value, const Source& source, std::string_view path);
const Value& get_array(const Value& value, const Source& source, std::string_view path);

// Joins a parent path and a member name: join("a", "b") == "a.b", join("", "b") == "b".
std::string join(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, size_t index);  // "a[3]"

}  // namespace scout::json
