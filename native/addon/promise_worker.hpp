// One AsyncWorker template for every slow call the addon makes.
//
// `work` runs on a libuv worker thread and must not touch JavaScript; `settle` runs back on the
// JavaScript thread and turns the result into a value. Any exception from `work` rejects the
// promise with a JS Error whose `code` is the scout::ErrorCode name ("safetensors", "cancelled",
// ...), so the TypeScript side can rethrow it as a typed ScoutError.
#pragma once

#include <napi.h>

#include <exception>
#include <functional>
#include <optional>
#include <string>

#include "engine/error.hpp"

namespace scout::addon {

// Builds the JS Error for a caught exception. The message is the engine's own text, never a
// pointer or other internal state.
Napi::Error to_js_error(Napi::Env env, const std::string& code, const std::string& message);

template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  using Settle = std::function<Napi::Value(Napi::Env, Result&)>;

  // Queues the work and returns its promise. `keep_alive` objects (the owning Model/Sequence)
  // are referenced until the promise settles, so garbage collection cannot free them mid-call.
  static Napi::Promise run(Napi::Env env, Work work, Settle settle, std::vector<Napi::Object> keep_alive = {}) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(settle), keep_alive);
    auto promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      result_.emplace(work_());
    } catch (const scout::Error& e) {
      code_ = error_code_name(e.code());
      message_ = e.what();
    } catch (const std::bad_alloc&) {
      code_ = "out_of_memory";
      message_ = "out of memory";
    } catch (const std::exception& e) {
      code_ = "internal";
      message_ = e.what();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!result_) {
      deferred_.Reject(to_js_error(env, code_, message_).Value());
      return;
    }
    try {
      deferred_.Resolve(settle_(env, *result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  PromiseWorker(Napi::Env env, Work work, Settle settle, const std::vector<Napi::Object>& keep_alive)
      : Napi::AsyncWorker(env, "scout"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), settle_(std::move(settle)) {
    for (const auto& o : keep_alive) refs_.push_back(Napi::Persistent(o));
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Settle settle_;
  std::optional<Result> result_;
  std::string code_;
  std::string message_;
  std::vector<Napi::ObjectReference> refs_;
};

}  // namespace scout::addon
