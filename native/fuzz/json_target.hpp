// libFuzzer target: scout::json, the reader under every model file (bad-inputs.md ST2, CF, the
// shard index). Checks, for every input:
//   * parse() either throws scout::Error or returns a tree that keeps the documented promises:
//     no duplicate keys, depth within the limit, integers exact, strings valid UTF-8;
//   * parse_members() (the streaming reader of safetensors headers) accepts exactly the objects
//     parse() accepts and hands over the same keys in the same order: two readers of one file
//     that disagree are how "the same file means two things" bugs start.
#pragma once

#include <set>
#include <vector>

#include "engine/json.hpp"
#include "fuzz/fuzz_support.hpp"

namespace scout::fuzz::detail {

using scout::json::Type;
using scout::json::Value;

inline bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

inline void check_value(const Value& v, size_t depth, size_t max_depth) {
  SCOUT_FUZZ_REQUIRE(depth <= max_depth + 1);
  switch (v.type()) {
    case Type::Number:
      if (v.is_integer()) SCOUT_FUZZ_REQUIRE(static_cast<double>(v.integer()) == v.number());
      SCOUT_FUZZ_REQUIRE(v.number() == v.number());  // JSON has no NaN
      break;
    case Type::String: SCOUT_FUZZ_REQUIRE(valid_utf8(v.string())); break;
    case Type::Object: {
      SCOUT_FUZZ_REQUIRE(v.keys().size() == v.items().size());
      std::set<std::string> unique(v.keys().begin(), v.keys().end());
      SCOUT_FUZZ_REQUIRE(unique.size() == v.keys().size());
      for (const auto& k : v.keys()) SCOUT_FUZZ_REQUIRE(valid_utf8(k) && v.find(k) != nullptr);
      [[fallthrough]];
    }
    case Type::Array:
      for (const Value& child : v.items()) check_value(child, depth + 1, max_depth);
      break;
    default: break;
  }
  (void)scout::json::describe(v);
}

}  // namespace scout::fuzz::detail

namespace scout::fuzz {

// One input of the json_fuzz target; aborts on a finding.
inline void json_target(const uint8_t* data, size_t size) {
  const std::string_view text = scout::fuzz::as_text(data, size);
  const scout::json::Source src{scout::ErrorCode::Config, "fuzz.json"};
  scout::json::Limits limits;
  limits.max_depth = 16;  // small limits, so the fuzzer reaches them with small inputs
  limits.max_members = 64;
  limits.max_values = 512;
  limits.max_string_bytes = 256;

  bool parsed = false;
  std::vector<std::string> keys;
  scout::fuzz::expect_typed_errors_only([&] {
    const json::Value doc = scout::json::parse(text, src, limits);
    parsed = true;
    detail::check_value(doc, 1, limits.max_depth);
    if (doc.is(json::Type::Object))
      keys = doc.keys();
    else
      parsed = false;  // parse_members() wants an object; compare objects only
  });

  bool streamed = false;
  std::vector<std::string> streamed_keys;
  scout::fuzz::expect_typed_errors_only([&] {
    scout::json::parse_members(text, src, limits, [&](const std::string& key, json::Value&& value) {
      detail::check_value(value, 2, limits.max_depth);
      streamed_keys.push_back(key);
    });
    streamed = true;
  });
  SCOUT_FUZZ_REQUIRE(parsed == streamed);
  if (parsed) SCOUT_FUZZ_REQUIRE(keys == streamed_keys);
  (void)scout::json::quote(text);
}

}  // namespace scout::fuzz
