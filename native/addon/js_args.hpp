// Reading arguments from JavaScript with type checks. A wrong type is a TypeError thrown back to
// the caller (the TypeScript wrapper validates first, so reaching these is a programming error).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model.hpp"

namespace scout::addon {

inline std::string require_string(const Napi::Value& v, const char* what) {
  if (!v.IsString()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// An optional numeric property of `obj`: `fallback` when absent or undefined.
inline double number_prop(const Napi::Object& obj, const char* key, double fallback) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(obj.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline int64_t int_prop(const Napi::Object& obj, const char* key, int64_t fallback) {
  const double d = number_prop(obj, key, static_cast<double>(fallback));
  if (d != static_cast<double>(static_cast<int64_t>(d)))
    throw Napi::TypeError::New(obj.Env(), std::string(key) + " must be an integer");
  return static_cast<int64_t>(d);
}

// Token ids from an Int32Array or an array of integers.
inline std::vector<int32_t> token_ids(const Napi::Value& v, const char* what) {
  std::vector<int32_t> ids;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto arr = v.As<Napi::Int32Array>();
    ids.assign(arr.Data(), arr.Data() + arr.ElementLength());
    return ids;
  }
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an Int32Array or number[]");
  auto arr = v.As<Napi::Array>();
  ids.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    if (!e.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must hold numbers");
    const double d = e.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int32_t>(d)))
      throw Napi::TypeError::New(v.Env(), std::string(what) + " must hold 32-bit integers");
    ids.push_back(static_cast<int32_t>(d));
  }
  return ids;
}

// The { weights, threads } options of Model.load and VisionEncoder.load. weights is one of
// 'f32' | 'bf16' | 'int4_mixed' | 'int4' | 'int4_int8_head' (engine/model.hpp WeightFormat).
inline LoadOptions load_options(const Napi::Value& v) {
  LoadOptions options;
  if (!v.IsObject()) return options;
  auto o = v.As<Napi::Object>();
  Napi::Value w = o.Get("weights");
  if (!w.IsUndefined()) {
    static const std::pair<const char*, WeightFormat> kFormats[] = {
        {"f32", WeightFormat::F32},   {"bf16", WeightFormat::BF16},
        {"int4_mixed", WeightFormat::Int4Mixed}, {"int4", WeightFormat::Int4},
        {"int4_int8_head", WeightFormat::Int4Int8Head}};
    const std::string s = require_string(w, "weights");
    bool known = false;
    for (const auto& [name, format] : kFormats)
      if (s == name) {
        options.weights = format;
        known = true;
      }
    if (!known) {
      Napi::Error err = Napi::Error::New(
          v.Env(), "weights must be 'f32', 'bf16', 'int4_mixed', 'int4' or 'int4_int8_head', got '" + s + "'");
      err.Set("code", Napi::String::New(v.Env(), "invalid_argument"));
      throw err;
    }
  }
  options.threads = static_cast<int>(int_prop(o, "threads", 0));
  return options;
}

}  // namespace scout::addon
