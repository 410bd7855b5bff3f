// The Llama 4 vision configuration ("vision_config" of a Llama4ForConditionalGeneration
// config.json), parsed strictly: every field the vision path uses is required and checked, and
// the structural constraints the graph relies on (whole patch grid, even grid for the pixel
// shuffle, head_dim a multiple of 4 for the 2-D RoPE, …) are errors here, not surprises later.
// Values of the released model: shared/docs/llama4.md §1.2.
#pragma once

#include <cstdint>
#include <string>

namespace scout {

struct VisionConfig {
  int64_t image_size = 0;            // tile side S (336 for Scout)
  int64_t patch_size = 0;            // P (14)
  int64_t num_channels = 0;          // 3
  int64_t hidden_size = 0;           // H (1408)
  int64_t num_hidden_layers = 0;     // 34
  int64_t num_attention_heads = 0;   // 16, head_dim = H / heads
  int64_t intermediate_size = 0;     // encoder MLP width and the adapter's input width (5632)
  int64_t projector_input_dim = 0;   // adapter fc1 output (4096)
  int64_t projector_output_dim = 0;  // adapter fc2 output (4096)
  int64_t vision_output_dim = 0;     // the projector's input (4096)
  int64_t text_hidden_size = 0;      // the projector's output: the text model's hidden size
  double norm_eps = 1e-5;
  double rope_theta = 10000.0;

  int64_t grid() const { return image_size / patch_size; }  // patches per side
  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  int64_t tokens_per_tile() const { return grid() * grid() / 4; }  // after the pixel shuffle
};

// Parses the vision_config of `json_text` (a whole config.json). Throws scout::Error(Config)
// naming `path` and the field; a text-only config (no vision_config) is Error(Config) too.
VisionConfig parse_vision_config(const std::string& json_text, const std::string& path);
VisionConfig load_vision_config(const std::string& path);

}  // namespace scout
