// Reading arguments from JavaScript with type checks. A wrong type is a TypeError thrown back to
// the caller (the TypeScript wrapper validates first, so reaching these is a programming error).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace scout::addon
