// Typed access to parsed JSON: the free functions of json.hpp and json::Fields.
#include "engine/json_fields.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace scout::json {

void fail(const Source& source, std::string_view path, std::string_view problem) {
  std::string msg = source.name + ": ";
  if (!path.empty()) msg.append(path).append(" ");
  msg.append(problem);
  throw Error(source.code, std::move(msg));
}

std::string quote(std::string_view s) {
  // Shortened, with anything unprintable escaped: messages must stay readable whatever a hostile
  // file holds.
  std::string out = "\"";
  const size_t shown = std::min<size_t>(s.size(), 80);
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (shown < s.size()) out += "…(" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string describe(const Value& value) {
  switch (value.type()) {
    case Type::Null: return "null";
    case Type::Bool: return value.boolean() ? "true" : "false";
    case Type::Number: {
      if (value.is_integer()) return std::to_string(value.integer());
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", value.number());
      return buf;
    }
    case Type::String: return quote(value.string());
    case Type::Array: return "an array";
    case Type::Object: return "an object";
  }
  return "?";
}

int64_t get_int(const Value& value, const Source& source, std::string_view path) {
  if (!value.is(Type::Number)) fail(source, path, "must be an integer, got " + describe(value));
  // Not is_integer(): a fraction or exponent literal (1.5, 1e3), or an integer beyond int64.
  if (!value.is_integer() || value.integer() > kMaxExactInteger || value.integer() < -kMaxExactInteger)
    fail(source, path, "must be an integer literal within ±2^53, got " + describe(value));
  return value.integer();
}

double get_number(const Value& value, const Source& source, std::string_view path) {
  if (!value.is(Type::Number)) fail(source, path, "must be a number, got " + describe(value));
  return value.number();  // always finite: the parser rejects overflow to infinity
}

bool get_bool(const Value& value, const Source& source, std::string_view path) {
  if (!value.is(Type::Bool)) fail(source, path, "must be true or false, got " + describe(value));
  return value.boolean();
}

const std::string& get_string(const Value& value, const Source& source, std::string_view path) {
  if (!value.is(Type::String)) fail(source, path, "must be a string, got " + describe(value));
  return value.string();
}

const Value& get_object(const Value& value, const Source& source, std::string_view path) {
  if (!value.is(Type::Object)) fail(source, path, "must be an object, got " + describe(value));
  return value;
}

const Value& get_array(const Value& value, const Source& source, std::string_view path) {
  if (!value.is(Type::Array)) fail(source, path, "must be an array, got " + describe(value));
  return value;
}

std::string join(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

// ---- Fields ---------------------------------------------------------------------------------

void Fields::fail(std::string_view name, const std::string& problem) const {
  json::fail(src_, path(name), problem);
}

const Value* Fields::get(std::string_view name) const {
  const Value* v = obj_.find(name);
  return v && !v->is(Type::Null) ? v : nullptr;
}

const Value& Fields::need(std::string_view name) const {
  const Value* v = get(name);
  if (!v) fail(name, obj_.find(name) ? "is required but null" : "is required but missing");
  return *v;
}

int64_t Fields::int_in(const Value& v, std::string_view name, int64_t lo, int64_t hi) const {
  const int64_t x = get_int(v, src_, path(name));
  if (x < lo || x > hi)
    fail(name,
         "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(x));
  return x;
}

int64_t Fields::required_int(std::string_view name, int64_t lo, int64_t hi) const {
  return int_in(need(name), name, lo, hi);
}

int64_t Fields::optional_int(std::string_view name, int64_t fallback, int64_t lo, int64_t hi) const {
  const Value* v = get(name);
  return v ? int_in(*v, name, lo, hi) : fallback;
}

double Fields::positive(const Value& v, std::string_view name) const {
  const double x = get_number(v, src_, path(name));
  if (!(x > 0) || !std::isfinite(x)) fail(name, "must be a positive number, got " + describe(v));
  return x;
}

double Fields::required_positive(std::string_view name) const {
  return positive(need(name), name);
}

double Fields::optional_positive(std::string_view name, double fallback) const {
  const Value* v = get(name);
  return v ? positive(*v, name) : fallback;
}

bool Fields::optional_bool(std::string_view name, bool fallback) const {
  const Value* v = get(name);
  return v ? get_bool(*v, src_, path(name)) : fallback;
}

const std::string* Fields::optional_string(std::string_view name) const {
  const Value* v = get(name);
  return v ? &get_string(*v, src_, path(name)) : nullptr;
}

}  // namespace scout::json
