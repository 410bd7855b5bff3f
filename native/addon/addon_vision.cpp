// The VisionEncoder class that JavaScript sees: loads a checkpoint's vision tower and turns
// preprocessed tiles into `<|patch|>` embeddings on a libuv worker thread.
//
// Calls on one encoder are serialised by a mutex (the encoder's scratch and thread pool serve
// one tile at a time); the pixels are copied before the work starts, so the caller may reuse its
// buffer at once.
#include "addon/addon_vision.hpp"

#include <memory>
#include <mutex>
#include <vector>

#include "addon/js_args.hpp"
#include "addon/promise_worker.hpp"
#include "engine/vision.hpp"

namespace scout::addon {
namespace {

Napi::FunctionReference* g_vision_ctor = nullptr;

struct Shared {
  std::unique_ptr<VisionEncoder> encoder;
  std::mutex busy;
};

class AddonVision : public Napi::ObjectWrap<AddonVision> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(
        env, "VisionEncoder",
        {StaticMethod("load", &AddonVision::load), InstanceMethod("config", &AddonVision::config),
         InstanceMethod("encode", &AddonVision::encode), InstanceMethod("dispose", &AddonVision::dispose)});
  }
  explicit AddonVision(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonVision>(info) {}
  std::shared_ptr<Shared> shared;

 private:
  std::shared_ptr<Shared> get(Napi::Env env) {
    if (!shared) throw to_js_error(env, "invalid_argument", "the vision encoder was disposed");
    return shared;
  }

  // VisionEncoder.load(dir, { weights, threads }): int4 formats load the tower in bf16 (vision.cpp).
  static Napi::Value load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::string dir = require_string(info[0], "dir");
    const LoadOptions options = load_options(info[1]);
    auto work = [dir, options]() -> std::shared_ptr<Shared> {
      auto s = std::make_shared<Shared>();
      s->encoder = VisionEncoder::load(dir, options);
      return s;
    };
    auto settle = [](Napi::Env, std::shared_ptr<Shared>& s) -> Napi::Value {
      Napi::Object obj = g_vision_ctor->New({});
      AddonVision::Unwrap(obj)->shared = std::move(s);
      return obj;
    };
    return PromiseWorker<std::shared_ptr<Shared>>::run(env, work, settle);
  }

  Napi::Value config(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const VisionConfig& c = get(env)->encoder->config();
    auto o = Napi::Object::New(env);
    auto num = [&](const char* k, int64_t v) { o.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
    num("imageSize", c.image_size);
    num("patchSize", c.patch_size);
    num("numChannels", c.num_channels);
    num("hiddenSize", c.hidden_size);
    num("numHiddenLayers", c.num_hidden_layers);
    num("tokensPerTile", c.tokens_per_tile());
    num("textHiddenSize", c.text_hidden_size);
    return o;
  }

  // encoder.encode(pixels: Float32Array, tiles) -> Promise<Float32Array> of tiles·tokensPerTile rows.
  Napi::Value encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::shared_ptr<Shared> s = get(env);
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "pixels must be a Float32Array");
    if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "tiles must be a number");
    auto arr = info[0].As<Napi::Float32Array>();
    const double tiles_d = info[1].As<Napi::Number>().DoubleValue();
    if (!(tiles_d >= 1 && tiles_d <= 1024) || tiles_d != static_cast<double>(static_cast<int64_t>(tiles_d)))
      throw to_js_error(env, "invalid_argument", "tiles must be an integer in [1, 1024]");
    const int64_t tiles = static_cast<int64_t>(tiles_d);
    auto pixels = std::make_shared<std::vector<float>>(arr.Data(), arr.Data() + arr.ElementLength());
    const VisionConfig& c = s->encoder->config();
    const size_t out_floats = static_cast<size_t>(tiles * c.tokens_per_tile() * c.text_hidden_size);
    auto work = [s, pixels, tiles, out_floats]() -> std::shared_ptr<std::vector<float>> {
      std::lock_guard<std::mutex> lock(s->busy);
      auto out = std::make_shared<std::vector<float>>(out_floats);
      s->encoder->encode(pixels->data(), static_cast<int64_t>(pixels->size()), tiles, out->data());
      return out;
    };
    auto settle = [](Napi::Env env, std::shared_ptr<std::vector<float>>& out) -> Napi::Value {
      auto result = Napi::Float32Array::New(env, out->size());
      std::copy(out->begin(), out->end(), result.Data());
      return result;
    };
    return PromiseWorker<std::shared_ptr<std::vector<float>>>::run(env, work, settle, {Value()});
  }

  Napi::Value dispose(const Napi::CallbackInfo& info) {
    shared.reset();  // a call in flight keeps its own reference until it ends
    return info.Env().Undefined();
  }
};

}  // namespace

void register_vision(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = AddonVision::define(env);
  g_vision_ctor = new Napi::FunctionReference(Napi::Persistent(ctor));
  exports.Set("VisionEncoder", ctor);
}

}  // namespace scout::addon
