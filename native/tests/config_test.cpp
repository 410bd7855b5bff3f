// config.json: both architectures, the defaults HF applies, and every CF case of
// shared/docs/bad-inputs.md. Each error must name the file and the field path.
#include <cmath>

#include "engine/config.hpp"
#include "tests/check.hpp"
#include "tests/model_files.hpp"

using namespace scout;
using namespace scout::test;

namespace {

TextConfig parse(const std::string& text) { return parse_text_config(text, "/models/x/config.json"); }

void expect_config_error(const std::string& text, const std::string& needle) {
  CHECK_THROWS_CODE_MSG(parse(text), ErrorCode::Config, "/models/x/config.json: ");
  CHECK_THROWS_CODE_MSG(parse(text), ErrorCode::Config, needle);
}

}  // namespace

SCOUT_TEST(config_reads_conditional_generation_from_text_config) {
  const TextConfig c = parse(conditional_config());
  CHECK(c.architecture == "Llama4ForConditionalGeneration");
  CHECK(c.hidden_size == 8 && c.num_hidden_layers == 2 && c.num_attention_heads == 2);
  CHECK(c.num_key_value_heads == 1 && c.head_dim == 4 && c.vocab_size == 32);
  CHECK(c.intermediate_size == 16 && c.intermediate_size_mlp == 32);
  CHECK(c.num_local_experts == 4 && c.num_experts_per_tok == 1);
  CHECK(c.moe_layers == (std::vector<int64_t>{0, 1}) && c.is_moe_layer(0) && c.is_moe_layer(1));
  CHECK(c.no_rope_layers == (std::vector<uint8_t>{1, 0}) && c.uses_rope(0) && !c.uses_rope(1));
  CHECK(c.attention_chunk_size == 16 && c.rope_theta == 500000.0);
  CHECK(c.rope_scaling.type == "llama3" && c.rope_scaling.factor == 16.0);
  CHECK(c.rope_scaling.low_freq_factor == 1.0 && c.rope_scaling.high_freq_factor == 1.0);
  CHECK(c.rope_scaling.original_max_position_embeddings == 8192);
  CHECK(c.max_position_embeddings == 10485760);
  CHECK(c.use_qk_norm && c.attn_temperature_tuning);  // the int 4 is truthy
  CHECK(c.floor_scale == 8192.0 && c.attn_scale == 0.1 && c.rms_norm_eps == 1e-5);
  CHECK(!c.tie_word_embeddings);
  CHECK(c.eos_token_ids == (std::vector<int64_t>{2, 3}) && c.bos_token_id == 1 && c.pad_token_id == 0);
  CHECK(c.image_token_index == 30);
  CHECK(c.torch_dtype == "bfloat16");
}

SCOUT_TEST(config_reads_causal_lm_from_the_top_level) {
  const TextConfig c = parse(causal_config({{"eos_token_id", "5"}}));
  CHECK(c.architecture == "Llama4ForCausalLM");
  CHECK(c.hidden_size == 8 && c.num_hidden_layers == 2 && c.vocab_size == 32);
  CHECK(c.eos_token_ids == (std::vector<int64_t>{5}));
  CHECK(c.image_token_index == -1);
}

SCOUT_TEST(config_applies_hf_defaults_for_optional_fields) {
  // 8 layers, no head_dim, no no_rope_layers, step 2, no rope_scaling, no knobs.
  const TextConfig c = parse(causal_config({{"num_hidden_layers", "8"}, {"head_dim", ""}, {"no_rope_layers", ""},
                                            {"interleave_moe_layer_step", "2"}, {"rope_scaling", "null"},
                                            {"use_qk_norm", ""}, {"attn_temperature_tuning", ""},
                                            {"floor_scale", ""}, {"attn_scale", ""}, {"pad_token_id", "null"},
                                            {"torch_dtype", ""}}));
  CHECK(c.head_dim == 4);  // hidden / heads
  CHECK(c.no_rope_layers == (std::vector<uint8_t>{1, 1, 1, 0, 1, 1, 1, 0}));
  CHECK(c.moe_layers == (std::vector<int64_t>{1, 3, 5, 7}) && !c.is_moe_layer(0) && c.is_moe_layer(7));
  CHECK(c.rope_scaling.type == "default" && c.rope_scaling.factor == 1.0);
  CHECK(c.use_qk_norm && c.attn_temperature_tuning && c.floor_scale == 8192.0 && c.attn_scale == 0.1);
  CHECK(c.pad_token_id == -1 && c.torch_dtype.empty());
}

SCOUT_TEST(config_treats_an_empty_no_rope_layers_as_absent) {
  // The released base config has "no_rope_layers": []; HF then uses its default.
  const TextConfig c = parse(conditional_config({{"num_hidden_layers", "4"}, {"no_rope_layers", "[]"}}));
  CHECK(c.no_rope_layers == (std::vector<uint8_t>{1, 1, 1, 0}));
}

SCOUT_TEST(config_rejects_kv_heads_that_do_not_divide_heads) {
  expect_config_error(conditional_config({{"num_attention_heads", "40"}, {"num_key_value_heads", "7"},
                                          {"hidden_size", "5120"}, {"head_dim", "128"}}),
                      "text_config.num_key_value_heads must divide num_attention_heads (40), got 7");
}
