// The row-kernel interface matmul dispatches on (internal to native/cpu).
//
// A row kernel computes out[r * NT + t] = dot(row r of w, x + t*ldx) for R rows (w_stride bytes
// apart) and NT tokens at once, sharing each load of a weight row between the tokens. For a given
// K the arithmetic of every output is the same sequence of operations whatever NT and R are, so
// batching never changes results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/matmul.hpp"
#include "cpu/matrix.hpp"

namespace scout::cpu {

// (weights, bytes between weight rows, x, floats between x rows, K, out)
using DotsFn = void (*)(const uint8_t*, size_t, const float*, int64_t, int64_t, float*);

constexpr int kTokenBlock = 4;  // tokens sharing one pass over a weight row

// Activations as the int4 kernels read them (w4a8): each token's K values quantized per group of
// 128 to int8 (symmetric, scale = absmax / 127, round half to even), zero-padded to whole groups,
// with each group's scale and the sum of its int8 values (the kernels multiply the raw nibbles,
// q + 8, and take 8 · sum back out). Quantizing is per token, so batching never changes a result.
struct Q8Acts {
  int64_t groups = 0;        // per token: ceil(K / 128)
  std::vector<int8_t> q;     // [T, groups * 128]
  std::vector<float> scale;  // [T, groups]
  std::vector<int32_t> sum;  // [T, groups]
};
void quantize_acts_q8(const float* x, int64_t T, int64_t K, Q8Acts& out);

// out[i] = dot(row w, token t0 + i of a) for NT tokens (1 or kTokenBlock), K weights: the kernels
// of the weight types that multiply int8 activations (int4: w4a8, int8: w8a8).
using Q8DotsFn = void (*)(const uint8_t* w, const Q8Acts& a, int64_t t0, int64_t K, float* out);
Q8DotsFn int4_dots(Isa isa, WeightType type, int tokens);
Q8DotsFn int8_dots(Isa isa, int tokens);  // cpu/int8.hpp rows
// Whether the Avx512 kernels of int4 and int8 can use VNNI (else they use the AVX2 ones).
bool cpu_has_vnni();

}  // namespace scout::cpu
