// The engine's public C++ API: a loaded Llama 4 text model and the sequences that run on it.
//
//   auto model = scout::Model::load(dir, opts);          // weights ready for compute
//   auto seq = model->new_sequence(max_tokens);          // owns a chunk-aware KV cache
//   seq->eval(prompt, scout::Logits::All, out);          // any number of tokens, any piece size
//   seq->eval({next}, scout::Logits::Last, out);         // then decode one at a time
//
// Nothing here knows about Node: the addon, the native tests and the benchmarks all use this.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "engine/config.hpp"

namespace scout {

class Checkpoint;
class Sequence;

// How weights are held for compute. F32 is the reference path; BF16 keeps the checkpoint's
// bf16 (or converts f32/f16 to it) and accumulates in f32. The int4 formats quantize on load
// (group-128, llama4.md §6.1) and keep everything they do not quantize in bf16:
//   Int4Mixed  Meta's recipe: routed and shared experts, f32 scales
//   Int4       Scout's: every linear layer (attention, experts, shared expert, dense MLP), bf16 scales
//   Int4Int8Head  Int4 plus an int8 lm_head (one bf16 scale per row)
// Embeddings, the router, norms and lm_head are never int4.
enum class WeightFormat { F32, BF16, Int4Mixed, Int4, Int4Int8Head };

struct LoadOptions {
  WeightFormat weights = WeightFormat::F32;
  int threads = 0;  // 0: one per hardware thread
};

// Reports loading progress: `done` of `total` units (bytes of weights prepared).
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

class Model {
 public:
  // Opens the checkpoint in `dir` and prepares every weight. Throws scout::Error; stops with
  // scout::Cancelled when *cancel becomes true.
  static std::unique_ptr<Model> load(const std::string& dir, const LoadOptions& options,
                                     const std::atomic<bool>* cancel = nullptr,
                                     const ProgressFn& progress = {});
  virtual ~Model() = default;

  virtual const TextConfig& config() const = 0;
  virtual uint64_t weight_bytes() const = 0;  // resident bytes of prepared weights

  // A new, empty sequence that can hold up to `max_tokens` positions (1 ..
  // max_position_embeddings, else Error(InvalidArgument)). The sequence uses this model's
  // weights and threads: keep the model alive while the sequence is in use. Sequences are
  // independent; evaluations of different sequences may run from different threads.
  virtual std::unique_ptr<Sequence> new_sequence(int64_t max_tokens) = 0;
};

enum class Logits { None, Last, All };

class Sequence {
 public:
  virtual ~Sequence() = default;

  // Number of positions already in the KV cache; the next token goes at this position.
  virtual int64_t position() const = 0;
  virtual int64_t capacity() const = 0;

  // Appends `tokens` (any count >= 1) at positions [position(), position() + n). Writes logits
  // (vocab_size floats per row) to `out`: none, the last row, or one row per token, in order.
  // Checks *cancel between layers; on cancellation throws scout::Cancelled and leaves the
  // sequence at its previous position. Throws Error(InvalidArgument) for a token id outside
  // the vocabulary or a sequence that would exceed capacity(), Error(OutOfMemory) when the KV
  // cache or the activations cannot be allocated; after any error the sequence is as before.
  virtual void eval(std::span<const int32_t> tokens, Logits mode, float* out,
                    const std::atomic<bool>* cancel = nullptr) = 0;

  // eval() with image features (llama4.md §4.6): the i-th position of `tokens` whose id is
  // config().image_token_index (<|patch|>) takes row i of `image_rows` (hidden_size floats per
  // row, e.g. VisionEncoder::encode's output) instead of the token's embedding. image_rows must
  // hold exactly one row per such position, all finite; otherwise, and for a model without an
  // image_token_index, Error(InvalidArgument). Everything else is as for eval().
  virtual void eval_with_images(std::span<const int32_t> tokens, std::span<const float> image_rows,
                                Logits mode, float* out, const std::atomic<bool>* cancel = nullptr) = 0;
  // Forgets positions >= n so that a shared prefix can be reused. Returns the number of
  // positions actually kept, which may be less than n: RoPE layers keep only the current
  // attention chunk, so rewinding into an earlier chunk keeps the cache up to that chunk's
  // start (the caller re-evaluates the tokens after it).
  virtual int64_t truncate(int64_t n) = 0;

  // Writes the KV cache of positions [0, position()) to `path` (atomically: a temporary file, then
  // a rename), tied to this model's weights. Throws Error(Io).
  virtual void save(const std::string& path) const = 0;
  // Loads a file written by save() into this empty sequence. A file of another model or weight
  // format, another shape, or a truncated one is Error(InvalidArgument) and leaves it empty.
  virtual void load(const std::string& path) = 0;

  // Bytes held by this sequence's KV cache.
  virtual uint64_t kv_bytes() const = 0;
};

}  // namespace scout
