// Element-wise and per-row CPU ops of the text model, all on f32 row-major buffers.
#pragma once

#include <cstdint>

namespace scout::cpu {

// RMS normalisation of `rows` rows of width n: out = x / sqrt(mean(x^2) + eps) * weight.
// weight == nullptr gives the weightless form (Llama 4's qk-norm). The mean is accumulated in
// double so that it does not depend on summation order details. out may equal x.
void rmsnorm(const float* x, const float* weight, int64_t rows, int64_t n, float eps, float* out);

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g). out may equal gate or up.
void silu_mul(const float* gate, const float* up, int64_t n, float* out);

// x[i] += y[i]
void add_inplace(float* x, const float* y, int64_t n);

// Rotates each of `heads` heads (head_dim = 2 * pairs values each, heads contiguous) of one
// token by the interleaved-pair ("complex", GPT-J) convention: pair j is (x[2j], x[2j+1]),
//   x'[2j] = x[2j] cos_j - x[2j+1] sin_j,   x'[2j+1] = x[2j] sin_j + x[2j+1] cos_j.
void rope_interleaved(float* x, int64_t heads, int64_t pairs, const float* cos, const float* sin);

// 1 / (1 + e^-x), computed in double for the router score.
float sigmoid(float x);

// Index of the largest value; ties go to the lowest index. n >= 1.
int64_t argmax(const float* x, int64_t n);

}  // namespace scout::cpu
