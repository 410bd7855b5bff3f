#include <cmath>

#include "engine/tensor.hpp"
#include "tests/check.hpp"

using namespace scout;

SCOUT_TEST(bf16_roundtrip_is_exact_for_bf16_values) {
  for (float v : {0.0f, 1.0f, -2.5f, 3.140625f, 1e-30f, 65504.0f}) {
    const float b = bf16_to_f32(f32_to_bf16(v));
    CHECK(bf16_to_f32(f32_to_bf16(b)) == b);
  }
  CHECK(f32_to_bf16(1.0f) == 0x3F80);
  // 1 + 2^-8 is halfway between two bf16 values: ties go to even (1.0).
  CHECK(f32_to_bf16(1.00390625f) == 0x3F80);
  CHECK(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

SCOUT_TEST(f16_decodes_normals_subnormals_and_specials) {
  CHECK(f16_to_f32(0x3C00) == 1.0f);
  CHECK(f16_to_f32(0xC000) == -2.0f);
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isinf(f16_to_f32(0x7C00)));
  CHECK(std::isnan(f16_to_f32(0x7E00)));
}
