// config.json: both architectures, the defaults HF applies, and every CF case of
// shared/docs/bad-inputs.md. Each error must name the file and the field path.
#include "engine/config.hpp"

#include <cmath>
#include <random>

#include "tests/check.hpp"
#include "tests/model_files.hpp"

using namespace scout;
using namespace scout::test;

namespace {

TextConfig parse(const std::string& text) {
  return parse_text_config(text, "/models/x/config.json");
}

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
  const TextConfig c = parse(causal_config({{"num_hidden_layers", "8"},
                                            {"head_dim", ""},
                                            {"no_rope_layers", ""},
                                            {"interleave_moe_layer_step", "2"},
                                            {"rope_scaling", "null"},
                                            {"use_qk_norm", ""},
                                            {"attn_temperature_tuning", ""},
                                            {"floor_scale", ""},
                                            {"attn_scale", ""},
                                            {"pad_token_id", "null"},
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
  expect_config_error(conditional_config({{"num_attention_heads", "40"},
                                          {"num_key_value_heads", "7"},
                                          {"hidden_size", "5120"},
                                          {"head_dim", "128"}}),
                      "text_config.num_key_value_heads must divide num_attention_heads (40), got 7");
}

SCOUT_TEST(config_cf1_max_positions_are_a_number_not_an_allocation) {
  // 5e7 written as an integer is accepted (nothing is sized by it); as a float literal it is not
  // an integer; beyond 2^31 it is not a sane context length.
  CHECK(parse(causal_config({{"max_position_embeddings", "50000000"}})).max_position_embeddings == 50000000);
  expect_config_error(causal_config({{"max_position_embeddings", "5e7"}}),
                      "max_position_embeddings must be an integer literal within ±2^53, got 50000000");
  expect_config_error(conditional_config({{"max_position_embeddings", "2147483649"}}),
                      "text_config.max_position_embeddings must be in [1, 2147483648], got 2147483649");
}

SCOUT_TEST(config_cf2_heads) {
  expect_config_error(conditional_config({{"num_key_value_heads", "0"}}),
                      "text_config.num_key_value_heads must be in [1, 2], got 0");
  expect_config_error(conditional_config({{"num_attention_heads", "0"}}),
                      "text_config.num_attention_heads must be in [1, 1024]");
  // head_dim × heads need not equal hidden_size (only Scout happens to have it so).
  const TextConfig c = parse(conditional_config({{"head_dim", "6"}}));
  CHECK(c.head_dim == 6 && c.head_dim * c.num_attention_heads != c.hidden_size);
  expect_config_error(conditional_config({{"head_dim", "5"}}),
                      "text_config.head_dim must be even (RoPE rotates pairs), got 5");
  expect_config_error(
      conditional_config({{"head_dim", ""}, {"num_attention_heads", "3"}, {"num_key_value_heads", "1"}}),
      "text_config.head_dim is absent, and hidden_size / num_attention_heads (8 / 3)");
  expect_config_error(conditional_config({{"head_dim", "4.0"}}),
                      "text_config.head_dim must be an integer literal");
}

SCOUT_TEST(config_cf3_rope_scaling_and_norm_eps) {
  expect_config_error(conditional_config({{"rope_scaling", R"({"rope_type":"yarn","factor":4.0})"}}),
                      "text_config.rope_scaling.rope_type must be \"llama3\" or \"default\" (the scalings "
                      "Llama 4 uses), got \"yarn\"");
  expect_config_error(conditional_config({{"rope_scaling", R"({"type":"dynamic","factor":4.0})"}}),
                      "got \"dynamic\"");
  const std::string base =
      R"("low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192)";
  expect_config_error(
      conditional_config({{"rope_scaling", R"({"rope_type":"llama3","factor":0,)" + base + "}"}}),
      "text_config.rope_scaling.factor must be a positive number, got 0");
  expect_config_error(
      conditional_config({{"rope_scaling", R"({"rope_type":"llama3","factor":-8.0,)" + base + "}"}}),
      "text_config.rope_scaling.factor must be a positive number, got -8");
  expect_config_error(conditional_config({{"rope_scaling", R"({"rope_type":"llama3",)" + base + "}"}}),
                      "text_config.rope_scaling.factor is required but missing");
  expect_config_error(
      conditional_config(
          {{"rope_scaling",
            R"({"rope_type":"llama3","factor":8,"low_freq_factor":4,"high_freq_factor":1,"original_max_position_embeddings":8192})"}}),
      "text_config.rope_scaling.high_freq_factor must be >= low_freq_factor (4), got 1");
  expect_config_error(
      conditional_config(
          {{"rope_scaling",
            R"({"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":0})"}}),
      "text_config.rope_scaling.original_max_position_embeddings must be in [1, 2147483648], got 0");
  expect_config_error(
      conditional_config({{"rope_scaling", R"({"rope_type":"llama3","type":"linear","factor":8})"}}),
      "text_config.rope_scaling.type disagrees with rope_type");
  expect_config_error(conditional_config({{"rope_scaling", R"({"factor":8})"}}),
                      "text_config.rope_scaling.rope_type is required");
  expect_config_error(conditional_config({{"rope_scaling", "16"}}),
                      "text_config.rope_scaling must be an object or null, got 16");
  // The legacy "type" spelling and HF's explicit "default" are both understood.
  CHECK(parse(causal_config({{"rope_scaling", R"({"type":"llama3","factor":8,)" + base + "}"}}))
            .rope_scaling.factor == 8.0);
  CHECK(parse(causal_config({{"rope_scaling", R"({"rope_type":"default"})"}})).rope_scaling.type ==
        "default");

  expect_config_error(conditional_config({{"rms_norm_eps", "0"}}),
                      "text_config.rms_norm_eps must be a positive number, got 0");
  expect_config_error(conditional_config({{"rms_norm_eps", "-1e-5"}}),
                      "text_config.rms_norm_eps must be a positive number");
  expect_config_error(conditional_config({{"rms_norm_eps", "NaN"}}),
                      "invalid JSON at byte");  // JSON has no NaN
  expect_config_error(conditional_config({{"rms_norm_eps", "1e999"}}), "number out of range");
  expect_config_error(conditional_config({{"rope_theta", "0.0"}}),
                      "text_config.rope_theta must be a positive number");
  expect_config_error(conditional_config({{"rope_theta", ""}}),
                      "text_config.rope_theta is required but missing");
}

SCOUT_TEST(config_cf4_dtype_and_architecture) {
  expect_config_error(conditional_config({}, {{"torch_dtype", "\"float8_e4m3fn\""}}),
                      "torch_dtype must be float32, bfloat16 or float16, got \"float8_e4m3fn\"");
  expect_config_error(conditional_config({{"torch_dtype", "\"int8\""}}),
                      "text_config.torch_dtype must be float32");
  expect_config_error(causal_config({{"dtype", "\"fp4\""}}),
                      "dtype must be float32, bfloat16 or float16, got \"fp4\"");
  CHECK(parse(causal_config({{"torch_dtype", ""}, {"dtype", "\"float16\""}})).torch_dtype == "float16");

  expect_config_error(causal_config({{"architectures", "[\"LlamaForCausalLM\"]"}}),
                      "architectures[0] must be Llama4ForConditionalGeneration or Llama4ForCausalLM, got "
                      "\"LlamaForCausalLM\"");
  expect_config_error(causal_config({{"architectures", "[\"llama4forcausallm\"]"}}),
                      "got \"llama4forcausallm\"");
  // Spoofed: the right architecture string on another model type.
  expect_config_error(causal_config({{"model_type", "\"llama\""}}),
                      "model_type must be \"llama4_text\" for Llama4ForCausalLM, got \"llama\"");
  expect_config_error(conditional_config({}, {{"model_type", "\"llama4_text\""}}),
                      "model_type must be \"llama4\" for Llama4ForConditionalGeneration");
  expect_config_error(conditional_config({{"model_type", "\"mllama\""}}),
                      "text_config.model_type must be \"llama4_text\"");
  expect_config_error(causal_config({{"architectures", "[]"}}), "architectures must not be empty");
  expect_config_error(causal_config({{"architectures", "\"Llama4ForCausalLM\""}}),
                      "architectures must be an array");
  expect_config_error(causal_config({{"architectures", "[4]"}}), "architectures[0] must be a string, got 4");
  expect_config_error(causal_config({{"architectures", ""}}), "architectures is required but missing");
  expect_config_error(causal_config({{"model_type", ""}}), "model_type is required but missing");
  expect_config_error(causal_config({{"hidden_size", "null"}}), "hidden_size is required but null");
  expect_config_error(conditional_config({}, {{"text_config", ""}}), "text_config is required but missing");
  expect_config_error(conditional_config({}, {{"text_config", "[]"}}),
                      "text_config must be an object, got an array");
  expect_config_error("[1]", "must hold a JSON object, got an array");
  expect_config_error("{\"a\":1,\"a\":2}", "duplicate key \"a\"");
}

SCOUT_TEST(config_rejects_tied_embeddings_at_either_level) {
  expect_config_error(conditional_config({}, {{"tie_word_embeddings", "true"}}),
                      "tie_word_embeddings is true");
  expect_config_error(conditional_config({{"tie_word_embeddings", "true"}}),
                      "text_config.tie_word_embeddings is true");
  expect_config_error(causal_config({{"tie_word_embeddings", "1"}}),
                      "tie_word_embeddings must be true or false, got 1");
}

SCOUT_TEST(config_checks_sizes_and_experts) {
  expect_config_error(conditional_config({{"hidden_size", "65537"}}),
                      "text_config.hidden_size must be in [1, 65536], got 65537");
  expect_config_error(conditional_config({{"num_hidden_layers", "0"}}),
                      "text_config.num_hidden_layers must be in [1, 1024], got 0");
  expect_config_error(conditional_config({{"vocab_size", "4194305"}}),
                      "text_config.vocab_size must be in [1, 4194304]");
  expect_config_error(conditional_config({{"vocab_size", "\"32\""}}),
                      "text_config.vocab_size must be an integer, got \"32\"");
  expect_config_error(conditional_config({{"intermediate_size", "-16"}}),
                      "text_config.intermediate_size must be in [1, 1048576]");
  expect_config_error(conditional_config({{"num_experts_per_tok", "0"}}),
                      "text_config.num_experts_per_tok must be in [1, 4], got 0");
  expect_config_error(conditional_config({{"num_experts_per_tok", "5"}}),
                      "text_config.num_experts_per_tok must be in [1, 4], got 5");
  expect_config_error(conditional_config({{"num_local_experts", "0"}}),
                      "text_config.num_local_experts must be in [1, 1024]");
  expect_config_error(conditional_config({{"attention_chunk_size", "0"}}),
                      "text_config.attention_chunk_size must be in [1,");
  expect_config_error(conditional_config({{"floor_scale", "0"}}),
                      "text_config.floor_scale must be a positive number");
  expect_config_error(conditional_config({{"attn_scale", "\"x\""}}),
                      "text_config.attn_scale must be a number");
  expect_config_error(conditional_config({{"hidden_act", "\"gelu\""}}),
                      "text_config.hidden_act must be \"silu\"");
  expect_config_error(conditional_config({{"attention_bias", "true"}}), "text_config.attention_bias is true");
  expect_config_error(conditional_config({{"use_qk_norm", "\"yes\""}}),
                      "text_config.use_qk_norm must be true or false");
}

SCOUT_TEST(config_moe_layers_step_and_explicit_lists) {
  expect_config_error(conditional_config({{"interleave_moe_layer_step", "0"}}),
                      "text_config.interleave_moe_layer_step must be in [1, 2], got 0");
  // Step 2 on 2 layers: layer 0 is dense, so the dense width is required.
  const TextConfig c = parse(conditional_config({{"interleave_moe_layer_step", "2"}}));
  CHECK(c.moe_layers == (std::vector<int64_t>{1}) && !c.is_moe_layer(0) && c.intermediate_size_mlp == 32);
  expect_config_error(conditional_config({{"interleave_moe_layer_step", "2"}, {"intermediate_size_mlp", ""}}),
                      "text_config.intermediate_size_mlp is required but missing");
  // All-MoE models do not need it.
  CHECK(parse(conditional_config({{"intermediate_size_mlp", ""}})).intermediate_size_mlp == 0);
  // HF also accepts an explicit moe_layers list; it wins over the step.
  CHECK(parse(causal_config({{"moe_layers", "[0]"}})).moe_layers == (std::vector<int64_t>{0}));
  CHECK(parse(causal_config({{"moe_layers", "null"}})).moe_layers == (std::vector<int64_t>{0, 1}));
  expect_config_error(causal_config({{"moe_layers", "[2]"}}), "moe_layers[0] must be in [0, 1], got 2");
  expect_config_error(causal_config({{"moe_layers", "[1,0]"}}),
                      "moe_layers[1] must be strictly increasing, got 0");
  expect_config_error(causal_config({{"moe_layers", "[1,1]"}}), "moe_layers[1] must be strictly increasing");
}

SCOUT_TEST(config_no_rope_layers_and_layer_types) {
  expect_config_error(conditional_config({{"no_rope_layers", "[1,0,1]"}}),
                      "text_config.no_rope_layers must list one 0/1 per layer (2), got 3 entries");
  expect_config_error(conditional_config({{"no_rope_layers", "[1,2]"}}),
                      "text_config.no_rope_layers[1] must be in [0, 1], got 2");
  expect_config_error(conditional_config({{"no_rope_layers", "[1,true]"}}),
                      "text_config.no_rope_layers[1] must be an integer");
  expect_config_error(conditional_config({{"no_rope_layers", "{}"}}),
                      "text_config.no_rope_layers must be an array");
  CHECK(parse(causal_config({{"layer_types", R"(["chunked_attention","full_attention"])"}})).uses_rope(0));
  expect_config_error(
      causal_config({{"layer_types", R"(["full_attention","full_attention"])"}}),
      "layer_types[0] must be \"chunked_attention\" to match no_rope_layers, got \"full_attention\"");
  expect_config_error(causal_config({{"layer_types", R"(["chunked_attention"])"}}),
                      "layer_types must have one entry per layer (2)");
}

SCOUT_TEST(config_attention_temperature_tuning_is_python_truthiness) {
  CHECK(!parse(causal_config({{"attn_temperature_tuning", "0"}})).attn_temperature_tuning);
  CHECK(!parse(causal_config({{"attn_temperature_tuning", "false"}})).attn_temperature_tuning);
  CHECK(parse(causal_config({{"attn_temperature_tuning", "true"}})).attn_temperature_tuning);
  CHECK(parse(causal_config({{"attn_temperature_tuning", "0.5"}})).attn_temperature_tuning);
  expect_config_error(causal_config({{"attn_temperature_tuning", "\"on\""}}),
                      "attn_temperature_tuning must be a boolean or a number, got \"on\"");
}

SCOUT_TEST(config_token_ids_must_be_in_the_vocabulary) {
  expect_config_error(conditional_config({{"eos_token_id", "[2,32]"}}),
                      "text_config.eos_token_id[1] must be in [0, 31], got 32");
  expect_config_error(conditional_config({{"eos_token_id", "[]"}}),
                      "text_config.eos_token_id must not be an empty list");
  expect_config_error(conditional_config({{"eos_token_id", "-1"}}),
                      "text_config.eos_token_id must be in [0, 31], got -1");
  expect_config_error(conditional_config({{"bos_token_id", "1.0"}}),
                      "text_config.bos_token_id must be an integer literal");
  expect_config_error(conditional_config({}, {{"image_token_index", "200092"}}),
                      "image_token_index must be in [0, 31], got 200092");
  CHECK(parse(causal_config({{"eos_token_id", ""}})).eos_token_ids.empty());
}

SCOUT_TEST(config_load_reads_the_file_and_reports_missing_ones) {
  const std::string dir = temp_dir("cfg_load");
  CHECK_THROWS_CODE_MSG(load_text_config(dir + "/config.json"), ErrorCode::NotFound,
                        "config.json: no such file");
  write_file(dir + "/config.json", causal_config());
  CHECK(load_text_config(dir + "/config.json").architecture == "Llama4ForCausalLM");
  write_file(dir + "/config.json", causal_config({{"hidden_size", "8.5"}}));
  CHECK_THROWS_CODE_MSG(load_text_config(dir + "/config.json"), ErrorCode::Config,
                        dir + "/config.json: hidden_size must be an integer literal within ±2^53, got 8.5");
  write_file(dir + "/config.json", "<html>404</html>");
  CHECK_THROWS_CODE_MSG(load_text_config(dir + "/config.json"), ErrorCode::Config,
                        "config.json: invalid JSON at byte 0");
}

SCOUT_TEST(config_random_corruption_gives_config_errors_only) {
  // Seeded edits of a valid config: each result parses or fails as Error(Config), never otherwise.
  const std::string good = conditional_config();
  std::mt19937 rng(99);
  const std::string alphabet = "{}[]:,\"0123456789-.eE \\ntruefalsnul";
  int rejected = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string text = good;
    const size_t at = rng() % text.size();
    switch (rng() % 3) {
      case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
      case 1: text.erase(at, 1 + rng() % 8); break;
      case 2: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
    }
    try {
      const TextConfig c = parse(text);
      CHECK(c.no_rope_layers.size() == static_cast<size_t>(c.num_hidden_layers));
      CHECK(c.num_attention_heads % c.num_key_value_heads == 0 && c.head_dim % 2 == 0);
    } catch (const Error& e) {
      ++rejected;
      if (e.code() != ErrorCode::Config) report_failure(__FILE__, __LINE__, e.what());
    }
  }
  CHECK(rejected > 0);
}
