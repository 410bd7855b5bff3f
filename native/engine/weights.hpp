// The Llama 4 text weights, bound from a checkpoint into per-layer structs the forward pass
// reads (names and layouts: shared/docs/llama4.md §3.1).
//
// Every matrix is output-major ([out, in], rows contiguous), whatever the checkpoint layout:
// the fused, input-major expert tensors are split and transposed once here. Shapes in the
// comments use D = hidden_size, Hq/Hkv = query/KV heads, d = head_dim, E = experts,
// F = intermediate_size (experts and shared expert), Fm = intermediate_size_mlp, V = vocab.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "cpu/matrix.hpp"
#include "engine/checkpoint.hpp"
#include "engine/model.hpp"

namespace scout {

// down( silu(gate · x) ⊙ (up · x) ): the routed experts, the shared expert and the dense MLP.
struct SwiGluWeights {
  cpu::Matrix gate;  // [F, D]
  cpu::Matrix up;    // [F, D]
  cpu::Matrix down;  // [D, F]
};

struct MoeWeights {
  cpu::Matrix router;                  // [E, D]
  std::vector<SwiGluWeights> experts;  // E experts, F wide
  SwiGluWeights shared;                // F wide, sees every token unscaled
};

struct LayerWeights {
  std::vector<float> input_norm;           // [D]
  cpu::Matrix q;                           // [Hq*d, D], heads in interleaved-pair order
  cpu::Matrix k;                           // [Hkv*d, D]
  cpu::Matrix v;                           // [Hkv*d, D]
  cpu::Matrix o;                           // [D, Hq*d]
  std::vector<float> post_attention_norm;  // [D]
  bool is_moe = false;
  MoeWeights moe;       // when is_moe
  SwiGluWeights dense;  // otherwise: Fm wide
};

struct TextWeights {
  cpu::Matrix embed;  // [V, D]
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;  // [D]
  cpu::Matrix lm_head;            // [V, D], separate from embed (Llama 4 does not tie them)

  uint64_t bytes() const;  // all matrices and norms
};

// Binds every text tensor of `checkpoint`, checking each name and shape (a missing tensor or
// a wrong shape is Error(ModelMismatch) naming it). Matrices already in the requested format
// and suitably aligned are used in place from the memory map; the rest are converted.
// Reports progress in checkpoint bytes; throws Cancelled when *cancel becomes true.
TextWeights bind_text_weights(const Checkpoint& checkpoint, WeightFormat format,
                              const std::atomic<bool>* cancel, const ProgressFn& progress);

}  // namespace scout
