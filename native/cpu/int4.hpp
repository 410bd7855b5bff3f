// Group-128 symmetric int4 weights (llama4.md §6.1): the row layout, quantization and
// dequantization that the int4 row kernels (cpu/int4_kernels.cpp) and the weight binder share.
//
// Quantization is Meta's recipe: each group of 128 consecutive weights along the input dimension
// gets scale = max(|w|)/8 (at least 1e-6), and q = clamp(round_half_even(w / scale), -8, 7), so
// w ≈ q · scale. A row of K weights has G = ceil(K / 128) groups and is stored as
//
//   [G × 64 bytes of nibbles][G scales: bf16 (Int4) or f32 (Int4F32)]
//
// Byte j of a group holds weight j in its low nibble and weight j + 64 in its high nibble, each as
// q + 8 (0..15). That is not Meta's on-disk packing (even/odd neighbours share a byte) but the one
// SIMD unpacks cheapest: the low nibbles of 64 bytes are weights 0..63 in order, the high nibbles
// 64..127. A partial last group is padded with zero weights (nibble 8).
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu/matrix.hpp"

namespace scout::cpu {

constexpr int64_t kInt4Group = 128;
constexpr int64_t kInt4GroupBytes = kInt4Group / 2;

inline int64_t int4_groups(int64_t cols) {
  return (cols + kInt4Group - 1) / kInt4Group;
}
size_t int4_scale_bytes(WeightType type) noexcept;  // 2 (Int4) or 4 (Int4F32)
size_t int4_row_bytes(WeightType type, int64_t cols) noexcept;

// The scale of group g of a row that starts at `row`.
float int4_scale(WeightType type, const uint8_t* row, int64_t cols, int64_t g);

// Quantizes `cols` weights into one row (int4_row_bytes bytes) of `type`.
void int4_quantize_row(WeightType type, const float* w, int64_t cols, uint8_t* row);
// The row's weights as f32: q · scale, exactly the values the kernels multiply by.
void int4_dequantize_row(WeightType type, const uint8_t* row, int64_t cols, float* out);
// The 128 quantized values of group g, as floats q in -8..7 (zeros past the end of the row).
void int4_unpack_group(const uint8_t* row, int64_t g, float* q);

}  // namespace scout::cpu
