// CPU ops of the Llama 4 vision tower (shared/docs/llama4.md §4.2-4.5), on f32 row-major buffers.
//
// Each op is written as the plain loop that defines it; reductions (LayerNorm statistics,
// attention dot products) accumulate so that results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/thread_pool.hpp"

namespace scout::cpu {

// LayerNorm with affine weight and bias over `rows` rows of width n:
//   out = (x - mean) / sqrt(var + eps) * weight + bias,  var the biased (1/n) variance.
// Statistics are accumulated in double. out may equal x.
void layernorm(const float* x, const float* weight, const float* bias, int64_t rows, int64_t n, float eps,
               float* out);

// x[r, i] += bias[i] for `rows` rows of width n (the bias of an nn.Linear).
void add_bias(float* x, const float* bias, int64_t rows, int64_t n);

// The exact (erf) GELU in place: x = x/2 · (1 + erf(x/√2)). Not the tanh approximation.
void gelu_exact(float* x, int64_t n);

// Unfolds one image tile [channels, side, side] into patch rows [grid², channels·patch²] with
// grid = side / patch: row y·grid + x holds patch (x, y), channel-major inside the patch
// (index c·patch² + ky·patch + kx), as a flattened Conv2d weight expects (llama4.md §3.2).
void unfold_patches(const float* tile, int64_t channels, int64_t side, int64_t patch, float* out);

// Pixel shuffle with ratio 0.5 (llama4.md §4.5): x [grid², C] (row-major over the grid) becomes
// [(grid/2)², 4C]; output token i·(grid/2) + j is the concatenation of the input tokens at
// (row 2i, col 2j), (2i, 2j+1), (2i+1, 2j), (2i+1, 2j+1). grid must be even.
void pixel_shuffle_half(const float* x, int64_t grid, int64_t channels, float* out);

// The 2-D RoPE table of one tile (llama4.md §4.3): for the grid² patches then the CLS token,
// `pairs` angles each (pairs = head_dim / 2, a multiple of 2). With n = pairs / 2 and
// θ_m = theta^(-2m / pairs), pair m < n turns by (x+1)·θ_m and pair n+m by (y+1)·θ_m for the
// patch at (x, y) = (idx mod grid, idx div grid); the CLS token (last) turns by 0.
// cos and sin are [(grid² + 1), pairs], computed in double and rounded once.
void vision_rope_table(int64_t grid, int64_t pairs, double theta, std::vector<float>& cos,
                       std::vector<float>& sin);

// Unmasked (bidirectional) multi-head attention over T tokens: q, k, v, out are
// [T, heads·head_dim]; out = softmax(q·kᵀ · scale) · v per head, the softmax in f32 after
// subtracting the row maximum. Split over (head, query) pairs; each output is computed by one
// thread, so the result does not depend on the thread count.
void attention_unmasked(ThreadPool& pool, const float* q, const float* k, const float* v, int64_t T,
                        int64_t heads, int64_t head_dim, float scale, float* out);

}  // namespace scout::cpu
