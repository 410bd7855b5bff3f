// Registration of the N-API addon. Each exported class lives in its own Addon*.cpp file; this
// file only wires them into the module object.
#include <napi.h>

#include "addon/addon_model.hpp"
#include "addon/addon_vision.hpp"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  scout::addon::register_model(env, exports);
  scout::addon::register_vision(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(scout_addon, Init)
