// The Llama 4 text configuration, parsed strictly from a Hugging Face config.json.
//
// Accepts `Llama4ForConditionalGeneration` (fields under "text_config") and the text-only
// `Llama4ForCausalLM` (fields at the top level). Every field the forward pass uses is validated
// here, once, so the graph code can trust it: a bad value is a scout::Error(Config) naming the
// file and the field. See shared/docs/llama4.md §1.1 for the values of the released model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scout {

struct RopeScaling {
  // "default" (no scaling) or "llama3". Anything else is rejected.
  std::string type = "default";
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 1.0;
  int64_t original_max_position_embeddings = 0;
};

struct TextConfig {
  std::string architecture;  // "Llama4ForConditionalGeneration" or "Llama4ForCausalLM"
  int64_t hidden_size = 0;           // D
  int64_t num_hidden_layers = 0;     // L
  int64_t num_attention_heads = 0;   // Hq
  int64_t num_key_value_heads = 0;   // Hkv; Hq % Hkv == 0
  int64_t head_dim = 0;              // d; Hq * d need not equal D (it does for Scout)
  int64_t vocab_size = 0;            // V
  int64_t intermediate_size = 0;     // expert FFN width (and the shared expert's)
  int64_t intermediate_size_mlp = 0; // dense-layer FFN width
  int64_t num_local_experts = 0;     // E
  int64_t num_experts_per_tok = 0;   // top-k, 1 <= k <= E
  int64_t interleave_moe_layer_step = 1;
  std::vector<int64_t> moe_layers;   // derived: layer i is MoE iff listed (HF: range(step-1, L, step))
  std::vector<uint8_t> no_rope_layers;  // per layer: 1 = uses RoPE (chunked attention), 0 = NoPE (global)
  int64_t attention_chunk_size = 0;  // chunk length of the RoPE layers' attention
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 0;
  bool use_qk_norm = true;
  bool attn_temperature_tuning = true;  // the released config stores the int 4: truthy
  double floor_scale = 8192.0;
  double attn_scale = 0.1;
  double rms_norm_eps = 1e-5;
  bool tie_word_embeddings = false;
  std::vector<int64_t> eos_token_ids;
  int64_t bos_token_id = -1;
  int64_t pad_token_id = -1;
  int64_t image_token_index = -1;  // top-level (conditional generation only); -1 when absent
  std::string torch_dtype;         // as written; informational

  bool is_moe_layer(int64_t layer) const;
  bool uses_rope(int64_t layer) const { return no_rope_layers[static_cast<size_t>(layer)] != 0; }
};

// Parses and validates `path` (a config.json). Throws scout::Error(NotFound) when the file does
// not exist and scout::Error(Config), naming the file and the field path, for anything else.
TextConfig load_text_config(const std::string& path);
// The same from text already in memory; `path` is used only in error messages.
TextConfig parse_text_config(const std::string& json_text, const std::string& path);

}  // namespace scout
