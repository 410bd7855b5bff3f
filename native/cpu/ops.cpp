#include "cpu/ops.hpp"

#include <cmath>

namespace scout::cpu {

void rmsnorm(const float* x, const float* weight, int64_t rows, int64_t n, float eps, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = out + r * n;
    double sum_sq = 0.0;
    for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(xr[i]) * xr[i];
    const float inv_rms = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(n) + eps));
    if (weight) {
      for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * inv_rms * weight[i];
    } else {
      for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * inv_rms;
    }
  }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void add_inplace(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void rope_interleaved(float* x, int64_t heads, int64_t pairs, const float* cos, const float* sin) {
  for (int64_t h = 0; h < heads; ++h) {
    float* xh = x + h * 2 * pairs;
    for (int64_t j = 0; j < pairs; ++j) {
      const float a = xh[2 * j], b = xh[2 * j + 1];
      xh[2 * j] = a * cos[j] - b * sin[j];
      xh[2 * j + 1] = a * sin[j] + b * cos[j];
    }
  }
}

float sigmoid(float x) {
  return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
}

int64_t argmax(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

}  // namespace scout::cpu
