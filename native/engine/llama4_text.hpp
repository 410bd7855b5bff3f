// The Llama 4 text forward pass on the CPU (shared/docs/llama4.md §2), in f32.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "cpu/thread_pool.hpp"
#include "engine/config.hpp"
#include "engine/kv_cache.hpp"
#include "engine/model.hpp"
#include "engine/weights.hpp"

namespace scout {

class TextModel {
 public:
  TextModel(const TextConfig& config, const TextWeights& weights, cpu::ThreadPool& pool);

  // Runs tokens at positions [p0, p0 + T) through every layer, storing their keys and values
  // in `cache` (between its begin_eval and commit_eval). All T positions must lie in one
  // attention chunk, so that no ring slot a query still needs is overwritten. Writes `mode`
  // logits rows of vocab_size floats to `logits`. Throws Cancelled between layers when
  // *cancel is set.
  // image_rows, when given, holds one hidden_size row per image-token (<|patch|>) position of
  // `tokens`, in order; those rows replace the token embeddings there (llama4.md §4.6).
  void forward(std::span<const int32_t> tokens, int64_t p0, KvCache& cache, Logits mode, float* logits,
               const std::atomic<bool>* cancel, const float* image_rows = nullptr) const;

 private:
  void attention_block(int64_t layer, int64_t p0, int64_t T, KvCache& cache, std::vector<float>& x) const;
  void ffn_block(int64_t layer, int64_t T, std::vector<float>& x) const;
  void moe(const MoeWeights& w, const float* b, int64_t T, float* out) const;
  void swiglu(const SwiGluWeights& w, const float* x, int64_t T, float* out) const;

  const TextConfig& config_;
  const TextWeights& weights_;
  cpu::ThreadPool& pool_;
  std::vector<double> inv_freq_;
};

}  // namespace scout
