#include "cpu/int4.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/tensor.hpp"

namespace scout::cpu {

size_t int4_scale_bytes(WeightType type) noexcept {
  return type == WeightType::Int4F32 ? 4 : 2;
}

size_t int4_row_bytes(WeightType type, int64_t cols) noexcept {
  return static_cast<size_t>(int4_groups(cols)) * (kInt4GroupBytes + int4_scale_bytes(type));
}

float int4_scale(WeightType type, const uint8_t* row, int64_t cols, int64_t g) {
  const uint8_t* scales = row + int4_groups(cols) * kInt4GroupBytes;
  if (type == WeightType::Int4F32) {
    float s;
    std::memcpy(&s, scales + 4 * g, 4);
    return s;
  }
  uint16_t b;
  std::memcpy(&b, scales + 2 * g, 2);
  return bf16_to_f32(b);
}

void int4_quantize_row(WeightType type, const float* w, int64_t cols, uint8_t* row) {
  const int64_t groups = int4_groups(cols);
  uint8_t* scales = row + groups * kInt4GroupBytes;
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t k0 = g * kInt4Group, n = std::min(kInt4Group, cols - k0);
    float absmax = 0.0f;
    for (int64_t i = 0; i < n; ++i) absmax = std::max(absmax, std::fabs(w[k0 + i]));
    float scale = std::max(absmax / 8.0f, 1e-6f);
    if (type == WeightType::Int4F32) {
      std::memcpy(scales + 4 * g, &scale, 4);
    } else {
      // Quantize against the scale the kernels will actually use, so rounding sees the bf16 value.
      const uint16_t b = f32_to_bf16(scale);
      std::memcpy(scales + 2 * g, &b, 2);
      scale = bf16_to_f32(b);
    }
    uint8_t nibbles[kInt4Group];
    for (int64_t i = 0; i < kInt4Group; ++i) {
      // nearbyint rounds half to even under the default rounding mode, like torch.round.
      const float q = i < n ? std::clamp(std::nearbyint(w[k0 + i] / scale), -8.0f, 7.0f) : 0.0f;
      nibbles[i] = static_cast<uint8_t>(static_cast<int>(q) + 8);
    }
    uint8_t* bytes = row + g * kInt4GroupBytes;
    for (int64_t j = 0; j < kInt4GroupBytes; ++j)
      bytes[j] = static_cast<uint8_t>(nibbles[j] | (nibbles[j + kInt4GroupBytes] << 4));
  }
}

void int4_unpack_group(const uint8_t* row, int64_t g, float* q) {
  const uint8_t* bytes = row + g * kInt4GroupBytes;
  for (int64_t j = 0; j < kInt4GroupBytes; ++j) {
    q[j] = static_cast<float>((bytes[j] & 0x0F) - 8);
    q[j + kInt4GroupBytes] = static_cast<float>((bytes[j] >> 4) - 8);
  }
}

void int4_dequantize_row(WeightType type, const uint8_t* row, int64_t cols, float* out) {
  float q[kInt4Group];
  for (int64_t g = 0; g < int4_groups(cols); ++g) {
    int4_unpack_group(row, g, q);
    const float s = int4_scale(type, row, cols, g);
    const int64_t k0 = g * kInt4Group, n = std::min(kInt4Group, cols - k0);
    for (int64_t i = 0; i < n; ++i) out[k0 + i] = q[i] * s;
  }
}

}  // namespace scout::cpu
