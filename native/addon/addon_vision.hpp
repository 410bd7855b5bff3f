#pragma once
#include <napi.h>

namespace scout::addon {
// Exports the VisionEncoder class (VisionEncoder.load, encoder.encode).
void register_vision(Napi::Env env, Napi::Object exports);
}  // namespace scout::addon
