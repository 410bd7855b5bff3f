#pragma once
#include <napi.h>

namespace scout::addon {
// Exports loadModel() and the Model / Sequence classes.
void register_model(Napi::Env env, Napi::Object exports);
}  // namespace scout::addon
