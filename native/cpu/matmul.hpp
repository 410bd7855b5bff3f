// Matrix products of f32 activations with weight matrices, accumulating in f32.
//
//   y[t, n] = sum_k x[t, k] * W[n, k]     for t < T (tokens), n < W.rows()
//
// Work is split over output rows n, and each output is one dot product whose arithmetic does
// not depend on T, on the split, or on the thread count: a token gives the same bits whether
// it is evaluated alone or in a batch, which is what makes piecewise prompt evaluation match a
// full pass exactly. Each weight row is read once per call and applied to all T tokens (GEMM
// for prefill, GEMV for decode). AVX2 / AVX-512 versions are chosen at run time.
//
// Int4 and int8 weights run as w4a8 / w8a8: each token's activations are first quantized to int8
// per group of 128 (cpu/row_kernels.hpp Q8Acts), and the integer group dots are exact; f32 and
// bf16 weights multiply the f32 activations as given.
#pragma once

#include <cstdint>

#include "cpu/matrix.hpp"
#include "cpu/thread_pool.hpp"

namespace scout::cpu {

// x: [T, W.cols()] row-major; y: [T, W.rows()] row-major (overwritten).
void matmul(ThreadPool& pool, const float* x, int64_t T, const Matrix& W, float* y);

// One dot product of n f32 values, with the same kernel matmul uses for f32 weights.
float dot_f32(const float* a, const float* b, int64_t n);

enum class Isa { Scalar, Avx2, Avx512 };
// The instruction set the kernels use: the best this machine supports unless set_kernel_isa
// chose another. set_kernel_isa returns false (and changes nothing) when the CPU lacks `isa`;
// it exists so tests and benchmarks can run every path, and must not race with compute.
Isa kernel_isa();
bool set_kernel_isa(Isa isa);
const char* isa_name(Isa isa);

}  // namespace scout::cpu
