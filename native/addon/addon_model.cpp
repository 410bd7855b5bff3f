#include "addon/addon_model.hpp"

namespace scout::addon {
void register_model(Napi::Env env, Napi::Object exports) {}
}  // namespace scout::addon
