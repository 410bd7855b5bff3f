// Row-wise int8 (cpu/int8.hpp): scale = absmax / 127 in bf16, round half to even, clamp.
#include "cpu/int8.hpp"

#include <cmath>
#include <vector>

#include "tests/check.hpp"

using namespace scout::cpu;

SCOUT_TEST(int8_row_scale_is_absmax_over_127_and_values_round_to_nearest) {
  // absmax 127 -> scale exactly 1 (a bf16 value), so q is w rounded half to even.
  const std::vector<float> w = {127.0f, -127.0f, 2.5f, 3.5f, -0.4f, 0.0f, 60.2f};
  std::vector<uint8_t> row(int8_row_bytes(7));
  int8_quantize_row(w.data(), 7, row.data());
  CHECK(row.size() == 9);
  CHECK(int8_scale(row.data(), 7) == 1.0f);
  std::vector<float> back(7);
  int8_dequantize_row(row.data(), 7, back.data());
  const std::vector<float> want = {127.0f, -127.0f, 2.0f, 4.0f, -0.0f, 0.0f, 60.0f};
  for (size_t i = 0; i < want.size(); ++i) CHECK(back[i] == want[i]);
}

SCOUT_TEST(int8_row_error_is_at_most_half_a_step) {
  std::vector<float> w(300);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * static_cast<float>(i)) * 0.03f;
  std::vector<uint8_t> row(int8_row_bytes(300));
  int8_quantize_row(w.data(), 300, row.data());
  const float s = int8_scale(row.data(), 300);
  std::vector<float> back(300);
  int8_dequantize_row(row.data(), 300, back.data());
  for (size_t i = 0; i < w.size(); ++i) CHECK(std::fabs(back[i] - w[i]) <= 0.5001f * s);
}
