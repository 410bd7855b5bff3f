// Row-wise symmetric int8 weights, for lm_head in the int4_int8_head format: the largest single
// read of every decoded token, where int8 halves the bytes and keeps the logits close (one scale
// per row = absmax / 127, q = round_half_even(w / scale) in -127..127, w ≈ q · scale).
//
// A row of K weights is K int8 values followed by the row's bf16 scale (K + 2 bytes).
#pragma once

#include <cstddef>
#include <cstdint>

namespace scout::cpu {

inline size_t int8_row_bytes(int64_t cols) {
  return static_cast<size_t>(cols) + 2;
}
float int8_scale(const uint8_t* row, int64_t cols);
void int8_quantize_row(const float* w, int64_t cols, uint8_t* row);
void int8_dequantize_row(const uint8_t* row, int64_t cols, float* out);

}  // namespace scout::cpu
