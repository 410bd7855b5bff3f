#include "cpu/int8.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/tensor.hpp"

namespace scout::cpu {

float int8_scale(const uint8_t* row, int64_t cols) {
  uint16_t b;
  std::memcpy(&b, row + cols, 2);
  return bf16_to_f32(b);
}

void int8_quantize_row(const float* w, int64_t cols, uint8_t* row) {
  float absmax = 0.0f;
  for (int64_t k = 0; k < cols; ++k) absmax = std::max(absmax, std::fabs(w[k]));
  // Round the scale to bf16 first so that quantization sees the value the kernels multiply by.
  const uint16_t b = f32_to_bf16(std::max(absmax / 127.0f, 1e-10f));
  std::memcpy(row + cols, &b, 2);
  const float scale = bf16_to_f32(b);
  for (int64_t k = 0; k < cols; ++k) {
    // bf16 rounding may leave scale a little under absmax / 127: clamp keeps q in int8 range.
    const float q = std::clamp(std::nearbyint(w[k] / scale), -127.0f, 127.0f);
    row[k] = static_cast<uint8_t>(static_cast<int8_t>(q));
  }
}

void int8_dequantize_row(const uint8_t* row, int64_t cols, float* out) {
  const float scale = int8_scale(row, cols);
  for (int64_t k = 0; k < cols; ++k) out[k] = static_cast<float>(static_cast<int8_t>(row[k])) * scale;
}

}  // namespace scout::cpu
