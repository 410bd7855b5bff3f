// Meta's group-128 int4 recipe (llama4.md §6.1) as cpu/int4 implements it: scales, rounding,
// clipping, packing and the partial last group.
#include "cpu/int4.hpp"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/tensor.hpp"
#include "tests/check.hpp"

using namespace scout;
using namespace scout::cpu;

namespace {

std::vector<uint8_t> quantize(WeightType type, const std::vector<float>& w) {
  const auto K = static_cast<int64_t>(w.size());
  std::vector<uint8_t> row(int4_row_bytes(type, K));
  int4_quantize_row(type, w.data(), K, row.data());
  return row;
}

std::vector<float> dequantize(WeightType type, const std::vector<uint8_t>& row, int64_t K) {
  std::vector<float> out(static_cast<size_t>(K));
  int4_dequantize_row(type, row.data(), K, out.data());
  return out;
}

}  // namespace

SCOUT_TEST(int4_row_layout_is_nibbles_then_one_scale_per_group) {
  CHECK(int4_row_bytes(WeightType::Int4F32, 256) == 2 * (64 + 4));
  CHECK(int4_row_bytes(WeightType::Int4, 256) == 2 * (64 + 2));
  CHECK(int4_row_bytes(WeightType::Int4, 129) == 2 * (64 + 2));  // a partial group costs a whole one
  CHECK(int4_row_bytes(WeightType::Int4, 1) == 64 + 2);
  CHECK(row_bytes(WeightType::Int4F32, 5120) == 40 * 68);
}

SCOUT_TEST(int4_scale_is_absmax_over_8_and_absmax_clips_to_7) {
  // Group: +4 at 0, -4 at 1, 1.25 at 2 (q = 2.5 -> 2, half to even), 1.75 at 3 (q = 3.5 -> 4),
  // 0.5 at 64 (q = 1, stored in the high nibble of byte 0); absmax 4 -> scale 0.5.
  std::vector<float> w(128, 0.0f);
  w[0] = 4.0f, w[1] = -4.0f, w[2] = 1.25f, w[3] = 1.75f, w[64] = 0.5f;
  const auto row = quantize(WeightType::Int4F32, w);
  CHECK(int4_scale(WeightType::Int4F32, row.data(), 128, 0) == 0.5f);
  CHECK(row[0] == ((1 + 8) << 4 | (7 + 8)));   // +absmax rounds to +8 and is clipped to +7
  CHECK(row[1] == ((0 + 8) << 4 | (-8 + 8)));  // -absmax is exactly -8
  CHECK((row[2] & 0x0F) == 2 + 8);
  CHECK((row[3] & 0x0F) == 4 + 8);
  const auto back = dequantize(WeightType::Int4F32, row, 128);
  CHECK(back[0] == 3.5f && back[1] == -4.0f && back[2] == 1.0f && back[3] == 2.0f && back[64] == 0.5f);
  CHECK(back[5] == 0.0f);
}

SCOUT_TEST(int4_all_zero_group_uses_the_minimum_scale) {
  const auto row = quantize(WeightType::Int4F32, std::vector<float>(128, 0.0f));
  CHECK(int4_scale(WeightType::Int4F32, row.data(), 128, 0) == 1e-6f);
  for (float v : dequantize(WeightType::Int4F32, row, 128)) CHECK(v == 0.0f);
}

SCOUT_TEST(int4_groups_are_independent_and_the_partial_group_is_zero_padded) {
  // Three groups with very different magnitudes; the last holds 44 weights.
  const int64_t K = 300;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> w(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) w[k] = dist(rng) * (k < 128 ? 100.0f : k < 256 ? 0.01f : 1.0f);
  for (WeightType type : {WeightType::Int4, WeightType::Int4F32}) {
    const auto row = quantize(type, w);
    const auto back = dequantize(type, row, K);
    for (int64_t g = 0; g < 3; ++g) {
      const float s = int4_scale(type, row.data(), K, g);
      float absmax = 0;
      for (int64_t k = g * 128; k < std::min<int64_t>(K, g * 128 + 128); ++k)
        absmax = std::max(absmax, std::fabs(w[k]));
      // bf16 scales are the f32 scale rounded to 8 significant bits.
      CHECK(std::fabs(s - absmax / 8) <= (type == WeightType::Int4 ? 4e-3f : 1e-7f) * (absmax / 8));
      for (int64_t k = g * 128; k < std::min<int64_t>(K, g * 128 + 128); ++k) {
        // Round to nearest: within half a step, except the clipped +absmax (one step less).
        const float err = std::fabs(back[k] - w[k]);
        CHECK(err <= 0.5f * s * 1.0001f || (w[k] > 0 && err <= 1.0001f * s + 1e-3f * s));
      }
    }
    // Past the end of the row the last group's padding nibbles encode zero (8).
    const uint8_t* last = row.data() + 2 * 64;
    for (int64_t j = 44; j < 64; ++j) CHECK((last[j] & 0x0F) == 8 && (last[j] >> 4) == 8);
  }
}
