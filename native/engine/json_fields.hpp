// Reading the fields of one JSON object (a config.json level, a nested config) with their full
// dotted paths, so every complaint reads "<file>: text_config.rope_scaling.factor must be …".
//
// Null counts as absent, as Hugging Face writes null for "not set": optional_* return the
// fallback, need() reports "is required but null".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/json.hpp"

namespace scout::json {

class Fields {
 public:
  // `prefix` is the object's own path ("" for the top level, "text_config", ...).
  Fields(const Value& obj, std::string prefix, const Source& src)
      : obj_(obj), prefix_(std::move(prefix)), src_(src) {}

  std::string path(std::string_view name) const { return join(prefix_, name); }
  [[noreturn]] void fail(std::string_view name, const std::string& problem) const;

  // The member, or nullptr when absent or null.
  const Value* get(std::string_view name) const;
  const Value& need(std::string_view name) const;

  // Integers (exact literals within ±2^53) in [lo, hi].
  int64_t int_in(const Value& v, std::string_view name, int64_t lo, int64_t hi) const;
  int64_t required_int(std::string_view name, int64_t lo, int64_t hi) const;
  int64_t optional_int(std::string_view name, int64_t fallback, int64_t lo, int64_t hi) const;

  // Finite numbers > 0.
  double positive(const Value& v, std::string_view name) const;
  double required_positive(std::string_view name) const;
  double optional_positive(std::string_view name, double fallback) const;

  bool optional_bool(std::string_view name, bool fallback) const;
  const std::string* optional_string(std::string_view name) const;

  const Value& object() const { return obj_; }
  const Source& source() const { return src_; }

 private:
  const Value& obj_;
  std::string prefix_;
  const Source& src_;
};

}  // namespace scout::json
