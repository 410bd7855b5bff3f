// The vision ops against values worked out by hand or by a plain double-precision restatement.
#include "cpu/vision_ops.hpp"

#include <cmath>
#include <random>
#include <vector>

#include "tests/check.hpp"

using namespace scout;
using namespace scout::cpu;

namespace {

bool near(double got, double want, double tol) {
  return std::fabs(got - want) <= tol * (1.0 + std::fabs(want));
}

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace

SCOUT_TEST(vision_layernorm_uses_mean_biased_variance_weight_and_bias) {
  const float x[4] = {1, 2, 3, 4};
  const float weight[4] = {1, 1, 2, 1};
  const float bias[4] = {0, 1, 0, -1};
  float out[4];
  layernorm(x, weight, bias, 1, 4, 1e-5f, out);
  const double inv = 1.0 / std::sqrt(1.25 + 1e-5);  // mean 2.5, variance 5/4 (divided by n, not n-1)
  CHECK(near(out[0], -1.5 * inv, 1e-6));
  CHECK(near(out[1], -0.5 * inv + 1, 1e-6));
  CHECK(near(out[2], 0.5 * inv * 2, 1e-6));
  CHECK(near(out[3], 1.5 * inv - 1, 1e-6));
}

SCOUT_TEST(vision_gelu_is_the_exact_erf_form) {
  float x[4] = {0.0f, 1.0f, -1.0f, 3.0f};
  gelu_exact(x, 4);
  CHECK(x[0] == 0.0f);
  CHECK(near(x[1], 0.8413447460685429, 1e-7));
  CHECK(near(x[2], -0.15865525393145707, 1e-6));
  // The tanh approximation gives 2.9963627; the exact form 2.9959502.
  CHECK(near(x[3], 2.995950233, 1e-7));
}

SCOUT_TEST(vision_unfold_is_row_major_over_patches_and_channel_major_inside) {
  const int64_t C = 3, side = 6, P = 3, G = 2;
  std::vector<float> tile(static_cast<size_t>(C * side * side));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < side; ++y)
      for (int64_t x = 0; x < side; ++x)
        tile[static_cast<size_t>((c * side + y) * side + x)] = float(c * 1000 + y * 10 + x);
  std::vector<float> out(static_cast<size_t>(G * G * C * P * P));
  unfold_patches(tile.data(), C, side, P, out.data());
  int bad = 0;
  for (int64_t py = 0; py < G; ++py)
    for (int64_t px = 0; px < G; ++px)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t ky = 0; ky < P; ++ky)
          for (int64_t kx = 0; kx < P; ++kx) {
            const float want = float(c * 1000 + (py * P + ky) * 10 + px * P + kx);
            bad += out[static_cast<size_t>((py * G + px) * C * P * P + c * P * P + ky * P + kx)] != want;
          }
  CHECK(bad == 0);
  // Patch 1 is the top-right one: its first value is pixel (x=3, y=0) of channel 0.
  CHECK(out[static_cast<size_t>(C * P * P)] == 3.0f);
}

SCOUT_TEST(vision_pixel_shuffle_concatenates_each_2x2_block_row_by_row) {
  const int64_t G = 4, C = 2;
  std::vector<float> x(static_cast<size_t>(G * G * C));
  for (int64_t t = 0; t < G * G; ++t)
    for (int64_t ch = 0; ch < C; ++ch) x[static_cast<size_t>(t * C + ch)] = float(t * 10 + ch);
  std::vector<float> out(x.size());
  pixel_shuffle_half(x.data(), G, C, out.data());
  // Output token 1 = (i 0, j 1): input tokens (0,2)=2, (0,3)=3, (1,2)=6, (1,3)=7.
  const float token1[8] = {20, 21, 30, 31, 60, 61, 70, 71};
  for (int i = 0; i < 8; ++i) CHECK(out[static_cast<size_t>(4 * C + i)] == token1[i]);
  // Output token 2 = (i 1, j 0): input tokens 8, 9, 12, 13 (not the transposed order 2, 3, 6, 7).
  const float token2[8] = {80, 81, 90, 91, 120, 121, 130, 131};
  for (int i = 0; i < 8; ++i) CHECK(out[static_cast<size_t>(2 * 4 * C + i)] == token2[i]);
}

SCOUT_TEST(vision_rope_table_uses_x_plus_1_then_y_plus_1_and_leaves_cls_alone) {
  const int64_t G = 3, pairs = 4;
  const double theta = 100.0;
  std::vector<float> cos, sin;
  vision_rope_table(G, pairs, theta, cos, sin);
  CHECK(cos.size() == static_cast<size_t>((G * G + 1) * pairs));
  // Patch 5 is at x = 2, y = 1. θ_0 = 1, θ_1 = 100^(-2/4) = 0.1.
  const double want[4] = {3 * 1.0, 3 * 0.1, 2 * 1.0, 2 * 0.1};
  for (int m = 0; m < 4; ++m) {
    CHECK(near(cos[static_cast<size_t>(5 * pairs + m)], std::cos(want[m]), 1e-7));
    CHECK(near(sin[static_cast<size_t>(5 * pairs + m)], std::sin(want[m]), 1e-7));
  }
  for (int m = 0; m < 4; ++m) {
    CHECK(cos[static_cast<size_t>(G * G * pairs + m)] == 1.0f);
    CHECK(sin[static_cast<size_t>(G * G * pairs + m)] == 0.0f);
  }
}

SCOUT_TEST(vision_unmasked_attention_matches_double_reference_for_any_thread_count) {
  const int64_t T = 7, heads = 3, d = 5, W = heads * d;
  const auto q = random_values(static_cast<size_t>(T * W), 1);
  const auto k = random_values(static_cast<size_t>(T * W), 2);
  const auto v = random_values(static_cast<size_t>(T * W), 3);
  const float scale = 0.4f;
  std::vector<float> one(static_cast<size_t>(T * W)), three(one.size());
  {
    ThreadPool pool(1);
    attention_unmasked(pool, q.data(), k.data(), v.data(), T, heads, d, scale, one.data());
  }
  {
    ThreadPool pool(3);
    attention_unmasked(pool, q.data(), k.data(), v.data(), T, heads, d, scale, three.data());
  }
  CHECK(one == three);
  int bad = 0;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t t = 0; t < T; ++t) {
      std::vector<double> p(static_cast<size_t>(T));
      double total = 0;
      for (int64_t s = 0; s < T; ++s) {  // every key, earlier or later: no mask
        double dot = 0;
        for (int64_t i = 0; i < d; ++i) dot += double(q[t * W + h * d + i]) * k[s * W + h * d + i];
        p[static_cast<size_t>(s)] = std::exp(dot * scale);
        total += p[static_cast<size_t>(s)];
      }
      for (int64_t i = 0; i < d; ++i) {
        double want = 0;
        for (int64_t s = 0; s < T; ++s) want += p[static_cast<size_t>(s)] / total * v[s * W + h * d + i];
        bad += !near(one[static_cast<size_t>(t * W + h * d + i)], want, 1e-5);
      }
    }
  CHECK(bad == 0);
}
