// Scaled dot-product attention of a run of query positions over one layer's KV cache.
#pragma once

#include <cstdint>

#include "cpu/thread_pool.hpp"

namespace scout::cpu {

// Where one layer's cached keys and values live. Position p is stored in slot p % slots (a
// ring when slots is smaller than the sequence), slots are grouped in pages of page_slots, and
// each slot holds the K row then the V row, kv_width = n_kv_heads * head_dim floats each.
struct KvPages {
  float* const* pages = nullptr;
  int64_t page_slots = 0;
  int64_t slots = 0;
  int64_t kv_width = 0;

  float* key(int64_t pos) const {
    const int64_t s = pos % slots;
    return pages[s / page_slots] + (s % page_slots) * 2 * kv_width;
  }
  float* value(int64_t pos) const { return key(pos) + kv_width; }
};

struct AttentionParams {
  int64_t n_heads = 0;     // query heads
  int64_t n_kv_heads = 0;  // query head h reads KV head h / (n_heads / n_kv_heads)
  int64_t head_dim = 0;
  float scale = 0.0f;  // multiplies q.k
  // 0: causal over the whole history. C > 0: chunked ("iRoPE" local) attention, a key at pk is
  // visible to a query at pq iff pk <= pq and floor(pk / C) == floor(pq / C).
  int64_t chunk = 0;
};

// q: [T, n_heads * head_dim], the queries of positions p0 .. p0+T-1, whose keys and values are
// already in `kv` (with every earlier position the mask lets them see). out: same shape as q,
// heads concatenated. Softmax in f32 after subtracting the row maximum.
void attention(ThreadPool& pool, const AttentionParams& params, const KvPages& kv, const float* q, int64_t p0,
               int64_t T, float* out);

// The first key position a query at `pos` may see.
inline int64_t first_visible_key(int64_t pos, int64_t chunk) {
  return chunk > 0 ? pos / chunk * chunk : 0;
}

}  // namespace scout::cpu
