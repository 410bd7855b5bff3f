// A tiny random Llama 4 text checkpoint for model tests, written with model_files.hpp.
//
// The default dimensions exercise every branch of the forward pass: RoPE and NoPE layers, MoE
// layers (top-2 of 4 experts) interleaved with dense-MLP layers, GQA (4 query heads on 2 KV
// heads), a 4-position attention chunk (many chunk boundaries in a short prompt), llama3 RoPE
// scaling with a non-empty smoothing band, and attention temperature tuning that starts at
// position 2 (floor_scale 3) instead of 8191.
#pragma once

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/check.hpp"
#include "tests/model_files.hpp"

namespace scout::test {

struct TinyModel {
  bool conditional = true;    // Llama4ForConditionalGeneration ("language_model." prefix) or CausalLM
  std::string dtype = "F32";  // tensor dtype in the file: F32 or BF16
  uint32_t seed = 1;
  int64_t hidden = 16, layers = 4, heads = 4, kv_heads = 2, head_dim = 8, vocab = 40;
  int64_t experts = 4, top_k = 2, ffn = 12, ffn_mlp = 20, moe_step = 2, chunk = 4;
  std::string no_rope_layers = "[1,1,1,0]";
  std::map<std::string, std::string> config_overrides;       // raw JSON values
  std::set<std::string> omit;                                // tensor names left out
  std::map<std::string, std::vector<int64_t>> wrong_shapes;  // tensor name -> shape written

  std::string prefix() const { return conditional ? "language_model." : ""; }

  std::map<std::string, std::string> config_fields() const {
    auto fields = with(
        tiny_text_fields(),
        {
            {"hidden_size", std::to_string(hidden)},
            {"num_hidden_layers", std::to_string(layers)},
            {"num_attention_heads", std::to_string(heads)},
            {"num_key_value_heads", std::to_string(kv_heads)},
            {"head_dim", std::to_string(head_dim)},
            {"vocab_size", std::to_string(vocab)},
            {"intermediate_size", std::to_string(ffn)},
            {"intermediate_size_mlp", std::to_string(ffn_mlp)},
            {"num_local_experts", std::to_string(experts)},
            {"num_experts_per_tok", std::to_string(top_k)},
            {"interleave_moe_layer_step", std::to_string(moe_step)},
            {"no_rope_layers", no_rope_layers},
            {"attention_chunk_size", std::to_string(chunk)},
            {"rope_theta", "10000.0"},
            {"rope_scaling",
             R"({"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":64})"},
            {"floor_scale", "3"},
            {"attn_scale", "0.5"},
            {"max_position_embeddings", "4096"},
            {"bos_token_id", "1"},
            {"eos_token_id", "[2]"},
            {"pad_token_id", "0"},
        });
    return with(fields, config_overrides);
  }

  // name (without prefix) -> shape, in checkpoint layout.
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensor_shapes() const {
    std::vector<std::pair<std::string, std::vector<int64_t>>> out;
    out.push_back({"model.embed_tokens.weight", {vocab, hidden}});
    for (int64_t i = 0; i < layers; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      out.push_back({p + "input_layernorm.weight", {hidden}});
      out.push_back({p + "self_attn.q_proj.weight", {heads * head_dim, hidden}});
      out.push_back({p + "self_attn.k_proj.weight", {kv_heads * head_dim, hidden}});
      out.push_back({p + "self_attn.v_proj.weight", {kv_heads * head_dim, hidden}});
      out.push_back({p + "self_attn.o_proj.weight", {hidden, heads * head_dim}});
      out.push_back({p + "post_attention_layernorm.weight", {hidden}});
      if ((i + 1) % moe_step == 0) {  // HF: moe_layers = range(step - 1, L, step)
        out.push_back({p + "feed_forward.router.weight", {experts, hidden}});
        out.push_back({p + "feed_forward.experts.gate_up_proj", {experts, hidden, 2 * ffn}});
        out.push_back({p + "feed_forward.experts.down_proj", {experts, ffn, hidden}});
        for (const char* m : {"gate_proj", "up_proj"})
          out.push_back({p + "feed_forward.shared_expert." + m + ".weight", {ffn, hidden}});
        out.push_back({p + "feed_forward.shared_expert.down_proj.weight", {hidden, ffn}});
      } else {
        for (const char* m : {"gate_proj", "up_proj"})
          out.push_back({p + "feed_forward." + m + ".weight", {ffn_mlp, hidden}});
        out.push_back({p + "feed_forward.down_proj.weight", {hidden, ffn_mlp}});
      }
    }
    out.push_back({"model.norm.weight", {hidden}});
    out.push_back({"lm_head.weight", {vocab, hidden}});
    return out;
  }

  // Deterministic values for one tensor: norms near 1, matrices ~ U(-a, a) with a = 1.5/sqrt(fan_in)
  // so activations stay O(1) through the layers. The values depend only on (seed, name).
  std::vector<float> values(const std::string& name, const std::vector<int64_t>& shape) const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::mt19937 rng(seed * 7919u + static_cast<uint32_t>(std::hash<std::string>{}(name)));
    std::vector<float> v(static_cast<size_t>(n));
    if (shape.size() == 1) {
      std::uniform_real_distribution<float> dist(0.7f, 1.3f);
      for (float& x : v) x = dist(rng);
      return v;
    }
    const bool input_major = name.find("experts.") != std::string::npos;
    const int64_t fan_in = input_major ? shape[1] : shape.back();
    const float a =
        name.find("embed") != std::string::npos ? 1.0f : 1.5f / std::sqrt(static_cast<float>(fan_in));
    std::uniform_real_distribution<float> dist(-a, a);
    for (float& x : v) x = dist(rng);
    return v;
  }

  // Writes config.json and model.safetensors into a fresh folder and returns it.
  std::string write() const {
    const std::string dir = temp_dir("tiny-llama4");
    const auto fields = config_fields();
    write_file(dir + "/config.json", conditional ? conditional_config(fields) : causal_config(fields));
    std::vector<StTensor> tensors;
    for (const auto& [name, shape] : tensor_shapes()) {
      if (omit.count(name)) continue;
      auto it = wrong_shapes.find(name);
      const std::vector<int64_t>& written = it == wrong_shapes.end() ? shape : it->second;
      const auto v = values(name, written);
      tensors.push_back({prefix() + name, dtype, written, dtype == "BF16" ? bf16_bytes(v) : f32_bytes(v)});
    }
    write_file(dir + "/model.safetensors", make_safetensors(tensors));
    return dir;
  }
};

// Max over elements of |a - b| / (1 + |b|).
inline double max_rel_diff(const float* a, const float* b, size_t n) {
  double worst = 0.0;
  for (size_t i = 0; i < n; ++i)
    worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])) / (1.0 + std::fabs(double(b[i]))));
  return worst;
}

}  // namespace scout::test
