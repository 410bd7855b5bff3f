// Writes model files for tests: safetensors files (well-formed, or raw header + data for the
// malformed cases) and Llama 4 config.json texts with any field overridden or removed.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace scout::test {

struct StTensor {
  std::string name;
  std::string dtype;  // safetensors spelling: "F32", "BF16", "I8", ...
  std::vector<int64_t> shape;
  std::string bytes;  // exactly numel × dtype size
};

inline std::string le64(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out;
}

// A file made of an explicit header length, header text and data: for malformed cases.
inline std::string raw_safetensors(uint64_t header_len, const std::string& header, const std::string& data) {
  return le64(header_len) + header + data;
}
inline std::string raw_safetensors(const std::string& header, const std::string& data) {
  return raw_safetensors(header.size(), header, data);
}

inline std::string shape_json(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

// A well-formed file: tensors laid out back to back in the given order, header padded with
// spaces to a multiple of 8 bytes (as the reference writer does), optional metadata.
inline std::string make_safetensors(const std::vector<StTensor>& tensors,
                                    const std::map<std::string, std::string>& metadata = {}) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      header += (first ? "\"" : ",\"") + k + "\":\"" + v + "\"";
      first = false;
    }
    header += "}";
  }
  std::string data;
  for (const auto& t : tensors) {
    if (header.size() > 1) header += ",";
    header += "\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":" + shape_json(t.shape) +
              ",\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + t.bytes.size()) + "]}";
    data += t.bytes;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  return raw_safetensors(header, data);
}

inline std::string f32_bytes(const std::vector<float>& values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}
inline std::string u16_bytes(const std::vector<uint16_t>& values) {
  std::string out(values.size() * 2, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}
inline std::string bf16_bytes(const std::vector<float>& values) {
  std::vector<uint16_t> bits;
  for (float v : values) bits.push_back(f32_to_bf16(v));
  return u16_bytes(bits);
}
// `count` F32 values 0, 1, 2, ... (distinct, so a wrong offset shows up as wrong data).
inline std::string f32_iota(int64_t count, float start = 0) {
  std::vector<float> v(static_cast<size_t>(count));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
  return f32_bytes(v);
}

// The text fields of a tiny Llama 4 config (2 layers, hidden 8, 2 heads of 4, 1 KV head,
// 4 experts, top-1, vocab 32). Values are raw JSON; an override with value "" removes the field.
inline std::map<std::string, std::string> tiny_text_fields() {
  return {
      {"hidden_size", "8"},
      {"num_hidden_layers", "2"},
      {"num_attention_heads", "2"},
      {"num_key_value_heads", "1"},
      {"head_dim", "4"},
      {"vocab_size", "32"},
      {"intermediate_size", "16"},
      {"intermediate_size_mlp", "32"},
      {"num_local_experts", "4"},
      {"num_experts_per_tok", "1"},
      {"interleave_moe_layer_step", "1"},
      {"no_rope_layers", "[1,0]"},
      {"attention_chunk_size", "16"},
      {"rope_theta", "500000.0"},
      {"rope_scaling",
       R"({"rope_type":"llama3","factor":16.0,"low_freq_factor":1.0,"high_freq_factor":1.0,"original_max_position_embeddings":8192})"},
      {"max_position_embeddings", "10485760"},
      {"use_qk_norm", "true"},
      {"attn_temperature_tuning", "4"},
      {"floor_scale", "8192"},
      {"attn_scale", "0.1"},
      {"rms_norm_eps", "1e-05"},
      {"bos_token_id", "1"},
      {"eos_token_id", "[2,3]"},
      {"pad_token_id", "0"},
      {"hidden_act", "\"silu\""},
      {"model_type", "\"llama4_text\""},
      {"tie_word_embeddings", "false"},
  };
}

inline std::string json_object(const std::map<std::string, std::string>& fields) {
  std::string out = "{";
  for (const auto& [k, v] : fields) {
    if (v.empty()) continue;
    out += (out.size() > 1 ? ",\n  \"" : "\n  \"") + k + "\": " + v;
  }
  return out + "\n}";
}

inline std::map<std::string, std::string> with(std::map<std::string, std::string> fields,
                                               const std::map<std::string, std::string>& overrides) {
  for (const auto& [k, v] : overrides) fields[k] = v;
  return fields;
}

// Llama4ForCausalLM: text fields at the top level.
inline std::string causal_config(const std::map<std::string, std::string>& text_overrides = {}) {
  auto fields = with(tiny_text_fields(),
                     {{"architectures", "[\"Llama4ForCausalLM\"]"}, {"torch_dtype", "\"bfloat16\""}});
  return json_object(with(fields, text_overrides));
}

// Llama4ForConditionalGeneration: text fields under text_config, image_token_index on top.
inline std::string conditional_config(const std::map<std::string, std::string>& text_overrides = {},
                                      const std::map<std::string, std::string>& top_overrides = {}) {
  const auto top = with({{"architectures", "[\"Llama4ForConditionalGeneration\"]"},
                         {"model_type", "\"llama4\""},
                         {"image_token_index", "30"},
                         {"torch_dtype", "\"bfloat16\""},
                         {"vision_config", "{\"hidden_size\": 1408}"},
                         {"text_config", json_object(with(tiny_text_fields(), text_overrides))}},
                        top_overrides);
  return json_object(top);
}

}  // namespace scout::test
