// RoPE frequencies (llama3 scaling, all three bands) and the attention temperature.
#include "engine/rope.hpp"

#include <cmath>
#include <numbers>

#include "tests/check.hpp"

using namespace scout;

namespace {

TextConfig scout_rope(double factor, double low, double high, int64_t original) {
  TextConfig c;
  c.head_dim = 128;
  c.rope_theta = 500000.0;
  c.rope_scaling.type = "llama3";
  c.rope_scaling.factor = factor;
  c.rope_scaling.low_freq_factor = low;
  c.rope_scaling.high_freq_factor = high;
  c.rope_scaling.original_max_position_embeddings = original;
  return c;
}

double base_freq(int64_t j) {
  return 1.0 / std::pow(500000.0, 2.0 * j / 128.0);
}

}  // namespace

SCOUT_TEST(rope_scout_scaling_divides_pairs_35_to_63_by_16) {
  // llama4.md §2.3: with low == high == 1 the smoothing band is empty (and never divides by 0).
  const auto inv = rope_inv_freq(scout_rope(16.0, 1.0, 1.0, 8192));
  CHECK(inv.size() == 64);
  for (int64_t j = 0; j < 64; ++j) {
    const double want = j <= 34 ? base_freq(j) : base_freq(j) / 16.0;
    CHECK(std::isfinite(inv[j]));
    CHECK(std::fabs(inv[j] - want) <= 1e-15 * want);
  }
}

SCOUT_TEST(rope_smoothing_band_interpolates_between_the_edges) {
  // The original Scout values (factor 8, low 1, high 4, 8192): wavelengths in [2048, 8192] blend.
  const auto inv = rope_inv_freq(scout_rope(8.0, 1.0, 4.0, 8192));
  int blended = 0;
  for (int64_t j = 0; j < 64; ++j) {
    const double w = base_freq(j), wavelen = 2 * std::numbers::pi / w;
    double want = w;
    if (wavelen > 8192) {
      want = w / 8.0;
    } else if (wavelen >= 2048) {
      const double smooth = (8192.0 / wavelen - 1.0) / (4.0 - 1.0);
      want = (1 - smooth) * w / 8.0 + smooth * w;
      ++blended;
    }
    CHECK(std::fabs(inv[j] - want) <= 1e-15 * want);
  }
  CHECK(blended > 0);
  // Strictly between the unscaled and fully scaled values inside the band.
  for (int64_t j = 0; j < 64; ++j) {
    const double w = base_freq(j);
    CHECK(inv[j] <= w && inv[j] >= w / 8.0);
  }
}

SCOUT_TEST(rope_default_type_is_unscaled_and_angles_are_position_times_frequency) {
  TextConfig c = scout_rope(16.0, 1.0, 1.0, 8192);
  c.rope_scaling.type = "default";
  const auto inv = rope_inv_freq(c);
  for (int64_t j = 0; j < 64; ++j) CHECK(std::fabs(inv[j] - base_freq(j)) <= 1e-15 * base_freq(j));
  float cos[2 * 64], sin[2 * 64];
  rope_angles(inv, 1000000, 2, cos, sin);  // far positions need no table
  for (int64_t t = 0; t < 2; ++t)
    for (int64_t j = 0; j < 64; j += 9) {
      const double angle = double(1000000 + t) * inv[j];
      CHECK(std::fabs(cos[t * 64 + j] - std::cos(angle)) < 1e-6);
      CHECK(std::fabs(sin[t * 64 + j] - std::sin(angle)) < 1e-6);
    }
}

SCOUT_TEST(rope_attention_temperature_matches_the_published_values) {
  TextConfig c;
  c.floor_scale = 8192;
  c.attn_scale = 0.1;
  CHECK(attention_temperature(c, 0) == 1.0f);
  CHECK(attention_temperature(c, 8190) == 1.0f);
  // llama4.md §2.2 step 5.
  CHECK(std::fabs(attention_temperature(c, 8191) - 1.0693) < 1e-4);
  CHECK(std::fabs(attention_temperature(c, 16383) - 1.1099) < 1e-4);
  CHECK(std::fabs(attention_temperature(c, 131071) - 1.2833) < 1e-4);
  CHECK(std::fabs(attention_temperature(c, 10485759) - 1.7155) < 1e-4);
}
