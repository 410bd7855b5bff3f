// The Model, Sequence and CancelFlag classes that JavaScript sees.
//
// Every slow call (load, eval, generate) runs on a libuv worker thread through PromiseWorker, so
// the JavaScript thread never blocks; tokens stream back through a thread-safe function. A
// Sequence runs one call at a time (it owns a KV cache), and keeps its Model alive.
#include "addon/addon_model.hpp"

#include <atomic>
#include <cstring>
#include <memory>
#include <optional>

#include "addon/js_args.hpp"
#include "addon/promise_worker.hpp"
#include "engine/generate.hpp"
#include "engine/model.hpp"

namespace scout::addon {

Napi::Error to_js_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

namespace {

using CancelPtr = std::shared_ptr<std::atomic<bool>>;

// new CancelFlag(); flag.cancel(). Passed to slow calls; checked by the engine between layers.
class CancelFlag : public Napi::ObjectWrap<CancelFlag> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "CancelFlag",
                       {InstanceMethod("cancel", &CancelFlag::cancel),
                        InstanceAccessor("cancelled", &CancelFlag::cancelled, nullptr)});
  }
  explicit CancelFlag(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CancelFlag>(info) {}
  CancelPtr flag = std::make_shared<std::atomic<bool>>(false);

 private:
  Napi::Value cancel(const Napi::CallbackInfo& info) {
    flag->store(true);
    return info.Env().Undefined();
  }
  Napi::Value cancelled(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), flag->load());
  }
};

Napi::FunctionReference* g_cancel_ctor = nullptr;
Napi::FunctionReference* g_model_ctor = nullptr;
Napi::FunctionReference* g_sequence_ctor = nullptr;

// The flag behind an optional CancelFlag argument (a fresh, never-set flag when absent).
CancelPtr cancel_arg(const Napi::Value& v) {
  if (v.IsObject() && g_cancel_ctor && v.As<Napi::Object>().InstanceOf(g_cancel_ctor->Value()))
    return CancelFlag::Unwrap(v.As<Napi::Object>())->flag;
  if (!v.IsUndefined() && !v.IsNull()) throw Napi::TypeError::New(v.Env(), "cancel must be a CancelFlag");
  return std::make_shared<std::atomic<bool>>(false);
}

Napi::Object config_to_js(Napi::Env env, const TextConfig& c) {
  auto o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  o.Set("architecture", c.architecture);
  num("hiddenSize", c.hidden_size);
  num("numHiddenLayers", c.num_hidden_layers);
  num("numAttentionHeads", c.num_attention_heads);
  num("numKeyValueHeads", c.num_key_value_heads);
  num("headDim", c.head_dim);
  num("vocabSize", c.vocab_size);
  num("numLocalExperts", c.num_local_experts);
  num("numExpertsPerTok", c.num_experts_per_tok);
  num("attentionChunkSize", c.attention_chunk_size);
  num("maxPositionEmbeddings", c.max_position_embeddings);
  num("bosTokenId", c.bos_token_id);
  num("imageTokenIndex", c.image_token_index);  // -1: the model takes no images
  auto eos = Napi::Array::New(env, c.eos_token_ids.size());
  for (size_t i = 0; i < c.eos_token_ids.size(); ++i) eos.Set(i, Napi::Number::New(env, c.eos_token_ids[i]));
  o.Set("eosTokenIds", eos);
  return o;
}

class AddonModel : public Napi::ObjectWrap<AddonModel> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(
        env, "Model",
        {StaticMethod("load", &AddonModel::load), InstanceMethod("config", &AddonModel::config),
         InstanceAccessor("weightBytes", &AddonModel::weight_bytes, nullptr),
         InstanceMethod("newSequence", &AddonModel::new_sequence),
         InstanceMethod("dispose", &AddonModel::dispose)});
  }
  explicit AddonModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonModel>(info) {}
  std::shared_ptr<Model> model;

  Model& get(Napi::Env env) {
    if (!model) throw to_js_error(env, "invalid_argument", "the model was disposed");
    return *model;
  }

 private:
  // Model.load(dir, { weights, threads }, cancel?, onProgress?(done, total)); see load_options().
  static Napi::Value load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::string dir = require_string(info[0], "dir");
    const LoadOptions options = load_options(info[1]);
    CancelPtr cancel = cancel_arg(info[2]);
    std::shared_ptr<Napi::ThreadSafeFunction> progress;
    if (info[3].IsFunction()) {
      progress = std::make_shared<Napi::ThreadSafeFunction>(
          Napi::ThreadSafeFunction::New(env, info[3].As<Napi::Function>(), "scout-load-progress", 0, 1));
    }
    auto work = [dir, options, cancel, progress]() -> std::shared_ptr<Model> {
      ProgressFn report;
      if (progress) {
        report = [progress](uint64_t done, uint64_t total) {
          progress->NonBlockingCall([done, total](Napi::Env env, Napi::Function fn) {
            fn.Call({Napi::Number::New(env, static_cast<double>(done)),
                     Napi::Number::New(env, static_cast<double>(total))});
          });
        };
      }
      std::shared_ptr<Model> m;
      try {
        m = Model::load(dir, options, cancel.get(), report);
      } catch (...) {
        if (progress) progress->Release();
        throw;
      }
      if (progress) progress->Release();
      return m;
    };
    auto settle = [](Napi::Env env, std::shared_ptr<Model>& m) -> Napi::Value {
      Napi::Object obj = g_model_ctor->New({});
      AddonModel::Unwrap(obj)->model = std::move(m);
      return obj;
    };
    return PromiseWorker<std::shared_ptr<Model>>::run(env, work, settle);
  }

  Napi::Value config(const Napi::CallbackInfo& info) {
    return config_to_js(info.Env(), get(info.Env()).config());
  }

  Napi::Value weight_bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(get(info.Env()).weight_bytes()));
  }

  Napi::Value new_sequence(const Napi::CallbackInfo& info);

  Napi::Value dispose(const Napi::CallbackInfo& info) {
    model.reset();  // sequences still hold their own reference until they are disposed
    return info.Env().Undefined();
  }
};

class AddonSequence : public Napi::ObjectWrap<AddonSequence> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(
        env, "Sequence",
        {InstanceAccessor("position", &AddonSequence::position, nullptr),
         InstanceAccessor("capacity", &AddonSequence::capacity, nullptr),
         InstanceAccessor("kvBytes", &AddonSequence::kv_bytes, nullptr),
         InstanceMethod("eval", &AddonSequence::eval), InstanceMethod("generate", &AddonSequence::generate),
         InstanceMethod("truncate", &AddonSequence::truncate), InstanceMethod("save", &AddonSequence::save),
         InstanceMethod("load", &AddonSequence::load),
         InstanceMethod("dispose", &AddonSequence::dispose)});
  }
  explicit AddonSequence(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonSequence>(info) {}

  std::shared_ptr<Model> model;
  std::shared_ptr<Sequence> seq;
  std::shared_ptr<std::atomic<bool>> busy = std::make_shared<std::atomic<bool>>(false);

 private:
  // Claims the sequence for one call; the returned guard releases it when the work ends.
  std::shared_ptr<void> claim(Napi::Env env) {
    if (!seq) throw to_js_error(env, "invalid_argument", "the sequence was disposed");
    bool expected = false;
    if (!busy->compare_exchange_strong(expected, true))
      throw to_js_error(env, "invalid_argument", "the sequence is busy with another call");
    auto flag = busy;
    return std::shared_ptr<void>(nullptr, [flag](void*) { flag->store(false); });
  }

  Napi::Value position(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), seq ? static_cast<double>(seq->position()) : 0);
  }
  Napi::Value capacity(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), seq ? static_cast<double>(seq->capacity()) : 0);
  }
  Napi::Value kv_bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), seq ? static_cast<double>(seq->kv_bytes()) : 0);
  }

  // eval(tokens, 'none' | 'last' | 'all', cancel?) -> Promise<Float32Array | null>
  Napi::Value eval(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto tokens = token_ids(info[0], "tokens");
    const std::string mode_name = info[1].IsUndefined() ? "last" : require_string(info[1], "mode");
    Logits mode;
    if (mode_name == "none")
      mode = Logits::None;
    else if (mode_name == "last")
      mode = Logits::Last;
    else if (mode_name == "all")
      mode = Logits::All;
    else
      throw to_js_error(env, "invalid_argument", "mode must be 'none', 'last' or 'all'");
    if (tokens.empty()) throw to_js_error(env, "invalid_argument", "eval needs at least one token");
    CancelPtr cancel = cancel_arg(info[2]);
    // Optional image features for the <|patch|> positions (VisionEncoder.encode's output), copied
    // so that the caller may reuse its buffer at once.
    std::optional<std::vector<float>> image_rows;
    if (!info[3].IsUndefined() && !info[3].IsNull()) {
      if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw Napi::TypeError::New(env, "imageRows must be a Float32Array");
      auto rows = info[3].As<Napi::Float32Array>();
      image_rows.emplace(rows.Data(), rows.Data() + rows.ElementLength());
    }
    auto guard = claim(env);
    const size_t vocab = static_cast<size_t>(model->config().vocab_size);
    const size_t rows = mode == Logits::All ? tokens.size() : mode == Logits::Last ? 1 : 0;
    auto s = seq;
    auto work = [s, tokens = std::move(tokens), image_rows = std::move(image_rows), mode, cancel, guard, rows,
                 vocab]() {
      std::vector<float> out(rows * vocab);
      float* dst = out.empty() ? nullptr : out.data();
      if (image_rows)
        s->eval_with_images(tokens, *image_rows, mode, dst, cancel.get());
      else
        s->eval(tokens, mode, dst, cancel.get());
      return out;
    };
    auto settle = [rows](Napi::Env env, std::vector<float>& out) -> Napi::Value {
      if (rows == 0) return env.Null();
      // Copied, not wrapped: Electron's V8 sandbox forbids external array buffers.
      auto buf = Napi::ArrayBuffer::New(env, out.size() * sizeof(float));
      std::memcpy(buf.Data(), out.data(), out.size() * sizeof(float));
      return Napi::Float32Array::New(env, out.size(), buf, 0);
    };
    return PromiseWorker<std::vector<float>>::run(env, work, settle, {Value()});
  }

  // generate(prompt, params, onToken(id, index), cancel?) -> Promise<{ tokens, stopReason }>
  Napi::Value generate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto prompt = token_ids(info[0], "prompt");
    if (!info[1].IsObject()) throw Napi::TypeError::New(env, "params must be an object");
    auto p = info[1].As<Napi::Object>();
    GenerateParams params;
    params.max_tokens = int_prop(p, "maxTokens", 256);
    params.sampling.temperature = static_cast<float>(number_prop(p, "temperature", 0));
    params.sampling.top_k = static_cast<int32_t>(int_prop(p, "topK", 0));
    params.sampling.top_p = static_cast<float>(number_prop(p, "topP", 1));
    params.sampling.min_p = static_cast<float>(number_prop(p, "minP", 0));
    params.sampling.repetition_penalty = static_cast<float>(number_prop(p, "repetitionPenalty", 1));
    params.sampling.seed = static_cast<uint64_t>(int_prop(p, "seed", 0));
    if (p.Has("stopIds")) params.stop_ids = token_ids(p.Get("stopIds"), "stopIds");
    if (p.Has("history")) params.history = token_ids(p.Get("history"), "history");
    if (p.Has("stopSequences")) {
      Napi::Value v = p.Get("stopSequences");
      if (!v.IsArray()) throw Napi::TypeError::New(env, "stopSequences must be an array of token arrays");
      auto arr = v.As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); ++i)
        params.stop_sequences.push_back(token_ids(arr.Get(i), "stopSequences[]"));
    }
    if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "onToken must be a function");
    CancelPtr cancel = cancel_arg(info[3]);
    auto guard = claim(env);
    auto tsfn = std::make_shared<Napi::ThreadSafeFunction>(
        Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "scout-tokens", 0, 1));
    auto s = seq;
    auto m = model;
    auto work = [m, s, prompt = std::move(prompt), params = std::move(params), cancel, guard, tsfn]() {
      size_t index = 0;
      auto on_token = [&](int32_t id) {
        const double i = static_cast<double>(index++);
        tsfn->NonBlockingCall([id, i](Napi::Env env, Napi::Function fn) {
          fn.Call({Napi::Number::New(env, id), Napi::Number::New(env, i)});
        });
      };
      try {
        auto r = scout::generate(*m, *s, prompt, params, on_token, cancel.get());
        tsfn->Release();
        return r;
      } catch (...) {
        tsfn->Release();
        throw;
      }
    };
    auto settle = [](Napi::Env env, GenerateResult& r) -> Napi::Value {
      auto o = Napi::Object::New(env);
      auto ids = Napi::Array::New(env, r.tokens.size());
      for (size_t i = 0; i < r.tokens.size(); ++i) ids.Set(i, Napi::Number::New(env, r.tokens[i]));
      o.Set("tokens", ids);
      o.Set("stopReason", stop_reason_name(r.reason));
      return o;
    };
    return PromiseWorker<GenerateResult>::run(env, work, settle, {Value()});
  }

  // save(path) / load(path) -> Promise<void>: KV cache files, written and read off the JS thread.
  Napi::Value save(const Napi::CallbackInfo& info) { return file_io(info, true); }
  Napi::Value load(const Napi::CallbackInfo& info) { return file_io(info, false); }

  Napi::Value file_io(const Napi::CallbackInfo& info, bool saving) {
    Napi::Env env = info.Env();
    const std::string path = require_string(info[0], "path");
    auto guard = claim(env);
    auto s = seq;
    auto work = [s, path, saving, guard]() {
      if (saving)
        s->save(path);
      else
        s->load(path);
      return true;
    };
    auto settle = [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); };
    return PromiseWorker<bool>::run(env, work, settle, {Value()});
  }

  Napi::Value truncate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "n must be a number");
    const int64_t n = info[0].As<Napi::Number>().Int64Value();
    auto guard = claim(env);
    try {
      return Napi::Number::New(env, static_cast<double>(seq->truncate(n)));
    } catch (const scout::Error& e) {
      throw to_js_error(env, error_code_name(e.code()), e.what());
    }
  }

  Napi::Value dispose(const Napi::CallbackInfo& info) {
    if (busy->load())
      throw to_js_error(info.Env(), "invalid_argument", "cannot dispose a sequence during a call");
    seq.reset();
    model.reset();
    return info.Env().Undefined();
  }
};

Napi::Value AddonModel::new_sequence(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "maxTokens must be a number");
  const int64_t max_tokens = info[0].As<Napi::Number>().Int64Value();
  Model& m = get(env);
  std::unique_ptr<Sequence> seq;
  try {
    seq = m.new_sequence(max_tokens);
  } catch (const scout::Error& e) {
    throw to_js_error(env, error_code_name(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    throw to_js_error(env, "out_of_memory",
                      "not enough memory for a KV cache of " + std::to_string(max_tokens) + " tokens");
  }
  Napi::Object obj = g_sequence_ctor->New({});
  auto* wrapped = AddonSequence::Unwrap(obj);
  wrapped->model = model;
  wrapped->seq = std::move(seq);
  return obj;
}

Napi::FunctionReference* persist(Napi::Function fn) {
  auto* ref = new Napi::FunctionReference(Napi::Persistent(fn));
  return ref;
}

}  // namespace

void register_model(Napi::Env env, Napi::Object exports) {
  Napi::Function cancel = CancelFlag::define(env);
  Napi::Function model = AddonModel::define(env);
  Napi::Function sequence = AddonSequence::define(env);
  g_cancel_ctor = persist(cancel);
  g_model_ctor = persist(model);
  g_sequence_ctor = persist(sequence);
  // The constructors live as long as the environment; free them with it.
  env.AddCleanupHook([] {
    delete g_cancel_ctor;
    delete g_model_ctor;
    delete g_sequence_ctor;
    g_cancel_ctor = g_model_ctor = g_sequence_ctor = nullptr;
  });
  exports.Set("CancelFlag", cancel);
  exports.Set("Model", model);
  exports.Set("Sequence", sequence);
}

}  // namespace scout::addon
