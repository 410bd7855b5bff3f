// The Llama 4 vision tower, adapter and projector weights, bound from a checkpoint (names and
// shapes: shared/docs/llama4.md §3.2). Matrices are nn.Linear weights [out, in]; vectors are
// widened to f32.
#pragma once

#include <atomic>
#include <vector>

#include "cpu/matrix.hpp"
#include "engine/checkpoint.hpp"
#include "engine/model.hpp"
#include "engine/vision_config.hpp"

namespace scout {

struct VisionLinear {
  cpu::Matrix weight;       // [out, in]
  std::vector<float> bias;  // [out]
};

struct VisionLayerWeights {
  std::vector<float> ln1_weight, ln1_bias;  // input_layernorm [H]
  VisionLinear q, k, v, o;                  // [H, H] each; q/k rows in interleaved-pair order
  std::vector<float> ln2_weight, ln2_bias;  // post_attention_layernorm [H]
  VisionLinear fc1;                         // [I, H]
  VisionLinear fc2;                         // [H, I]
};

struct VisionWeights {
  cpu::Matrix patch_embedding;              // [H, C·P·P], no bias
  std::vector<float> class_embedding;       // [H]
  std::vector<float> positional_embedding;  // [G² + 1, H]; the last row is the CLS token's
  std::vector<float> ln_pre_weight, ln_pre_bias;
  std::vector<float> ln_post_weight, ln_post_bias;
  std::vector<VisionLayerWeights> layers;
  cpu::Matrix adapter_fc1;  // [projector_input_dim, 4H], no bias
  cpu::Matrix adapter_fc2;  // [projector_output_dim, projector_input_dim], no bias
  cpu::Matrix projector;    // [text hidden, vision_output_dim], no bias
};

// Binds every vision tensor of `checkpoint` for `config`, stored as `type`. Throws
// Error(ModelMismatch) naming a missing or misshapen tensor, Cancelled when *cancel is set.
VisionWeights bind_vision_weights(const Checkpoint& checkpoint, const VisionConfig& config,
                                  cpu::WeightType type, const std::atomic<bool>* cancel);

}  // namespace scout
