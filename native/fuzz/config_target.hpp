// libFuzzer target: config.json, read as the text model's and the vision tower's configuration
// (bad-inputs.md CF1-CF4). An accepted config must satisfy what the forward pass relies on
// without checking again (engine/config.hpp, engine/vision_config.hpp).
#pragma once

#include <cmath>

#include "engine/config.hpp"
#include "engine/vision_config.hpp"
#include "fuzz/fuzz_support.hpp"

namespace scout::fuzz {

// One input of the config_fuzz target; aborts on a finding.
inline void config_target(const uint8_t* data, size_t size) {
  const std::string text(scout::fuzz::as_text(data, size));
  scout::fuzz::expect_typed_errors_only([&] {
    const scout::TextConfig c = scout::parse_text_config(text, "config.json");
    SCOUT_FUZZ_REQUIRE(c.hidden_size > 0 && c.num_hidden_layers > 0 && c.vocab_size > 0);
    SCOUT_FUZZ_REQUIRE(c.head_dim > 0 && c.num_attention_heads > 0 && c.num_key_value_heads > 0);
    SCOUT_FUZZ_REQUIRE(c.num_attention_heads % c.num_key_value_heads == 0);
    SCOUT_FUZZ_REQUIRE(c.num_experts_per_tok >= 1 && c.num_experts_per_tok <= c.num_local_experts);
    SCOUT_FUZZ_REQUIRE(c.no_rope_layers.size() == static_cast<size_t>(c.num_hidden_layers));
    for (int64_t layer : c.moe_layers) SCOUT_FUZZ_REQUIRE(layer >= 0 && layer < c.num_hidden_layers);
    SCOUT_FUZZ_REQUIRE(std::isfinite(c.rms_norm_eps) && c.rms_norm_eps > 0);
    SCOUT_FUZZ_REQUIRE(std::isfinite(c.rope_theta) && c.rope_theta > 0);
    SCOUT_FUZZ_REQUIRE(std::isfinite(c.rope_scaling.factor) && c.rope_scaling.factor > 0);
    for (int64_t id : c.eos_token_ids) SCOUT_FUZZ_REQUIRE(id >= 0 && id < c.vocab_size);
    for (int64_t layer = 0; layer < c.num_hidden_layers; ++layer) (void)c.is_moe_layer(layer);
  });
  scout::fuzz::expect_typed_errors_only([&] {
    const scout::VisionConfig v = scout::parse_vision_config(text, "config.json");
    SCOUT_FUZZ_REQUIRE(v.patch_size > 0 && v.image_size % v.patch_size == 0);
    SCOUT_FUZZ_REQUIRE(v.grid() % 2 == 0 && v.tokens_per_tile() > 0);
    SCOUT_FUZZ_REQUIRE(v.num_attention_heads > 0 && v.hidden_size % v.num_attention_heads == 0);
    SCOUT_FUZZ_REQUIRE(v.head_dim() % 4 == 0);
  });
}

}  // namespace scout::fuzz
