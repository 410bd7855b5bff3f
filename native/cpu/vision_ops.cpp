#include "cpu/vision_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/matmul.hpp"

namespace scout::cpu {

void layernorm(const float* x, const float* weight, const float* bias, int64_t rows, int64_t n, float eps,
               float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = out + r * n;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += xr[i];
    const double mean = sum / static_cast<double>(n);
    double sum_sq = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const double d = xr[i] - mean;
      sum_sq += d * d;
    }
    const double inv_std = 1.0 / std::sqrt(sum_sq / static_cast<double>(n) + eps);
    for (int64_t i = 0; i < n; ++i)
      yr[i] = static_cast<float>((xr[i] - mean) * inv_std) * weight[i] + bias[i];
  }
}

void add_bias(float* x, const float* bias, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i) x[r * n + i] += bias[i];
}

void gelu_exact(float* x, int64_t n) {
  constexpr double kInvSqrt2 = 0.70710678118654752440;
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    x[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v * kInvSqrt2)));
  }
}

void unfold_patches(const float* tile, int64_t channels, int64_t side, int64_t patch, float* out) {
  const int64_t grid = side / patch;
  const int64_t width = channels * patch * patch;
  for (int64_t py = 0; py < grid; ++py)
    for (int64_t px = 0; px < grid; ++px) {
      float* row = out + (py * grid + px) * width;
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t ky = 0; ky < patch; ++ky) {
          const float* src = tile + (c * side + py * patch + ky) * side + px * patch;
          std::memcpy(row + (c * patch + ky) * patch, src, static_cast<size_t>(patch) * sizeof(float));
        }
    }
}

void pixel_shuffle_half(const float* x, int64_t grid, int64_t channels, float* out) {
  const int64_t half = grid / 2;
  const size_t bytes = static_cast<size_t>(channels) * sizeof(float);
  for (int64_t i = 0; i < half; ++i)
    for (int64_t j = 0; j < half; ++j) {
      float* dst = out + (i * half + j) * 4 * channels;
      const int64_t sources[4] = {(2 * i) * grid + 2 * j, (2 * i) * grid + 2 * j + 1,
                                  (2 * i + 1) * grid + 2 * j, (2 * i + 1) * grid + 2 * j + 1};
      for (int64_t s = 0; s < 4; ++s) std::memcpy(dst + s * channels, x + sources[s] * channels, bytes);
    }
}

void vision_rope_table(int64_t grid, int64_t pairs, double theta, std::vector<float>& cos,
                       std::vector<float>& sin) {
  const int64_t tokens = grid * grid + 1;
  const int64_t n = pairs / 2;
  cos.assign(static_cast<size_t>(tokens * pairs), 1.0f);  // the CLS row stays at angle 0
  sin.assign(static_cast<size_t>(tokens * pairs), 0.0f);
  for (int64_t idx = 0; idx < grid * grid; ++idx) {
    const double x = static_cast<double>(idx % grid + 1), y = static_cast<double>(idx / grid + 1);
    for (int64_t m = 0; m < n; ++m) {
      const double freq = std::pow(theta, -2.0 * static_cast<double>(m) / static_cast<double>(pairs));
      const size_t ax = static_cast<size_t>(idx * pairs + m), ay = ax + static_cast<size_t>(n);
      cos[ax] = static_cast<float>(std::cos(x * freq));
      sin[ax] = static_cast<float>(std::sin(x * freq));
      cos[ay] = static_cast<float>(std::cos(y * freq));
      sin[ay] = static_cast<float>(std::sin(y * freq));
    }
  }
}

void attention_unmasked(ThreadPool& pool, const float* q, const float* k, const float* v, int64_t T,
                        int64_t heads, int64_t head_dim, float scale, float* out) {
  const int64_t width = heads * head_dim;
  pool.parallel_for(heads * T, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<size_t>(T));
    std::vector<float> acc(static_cast<size_t>(head_dim));
    for (int64_t job = begin; job < end; ++job) {
      const int64_t h = job / T, t = job % T;
      const float* qr = q + t * width + h * head_dim;
      float best = -INFINITY;
      for (int64_t s = 0; s < T; ++s) {
        scores[static_cast<size_t>(s)] = dot_f32(qr, k + s * width + h * head_dim, head_dim) * scale;
        best = std::max(best, scores[static_cast<size_t>(s)]);
      }
      float total = 0.0f;
      for (float& e : scores) {
        e = std::exp(e - best);
        total += e;
      }
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t s = 0; s < T; ++s) {
        const float w = scores[static_cast<size_t>(s)];
        const float* vr = v + s * width + h * head_dim;
        for (int64_t i = 0; i < head_dim; ++i) acc[static_cast<size_t>(i)] += w * vr[i];
      }
      float* o = out + t * width + h * head_dim;
      for (int64_t i = 0; i < head_dim; ++i) o[i] = acc[static_cast<size_t>(i)] / total;
    }
  });
}

}  // namespace scout::cpu
