// Position encodings of the Llama 4 text model: RoPE frequencies with llama3 scaling
// (shared/docs/llama4.md §2.3) and the attention temperature of the NoPE layers (§2.2 step 5).
//
// Frequencies and angles are computed in double and rounded once to f32: there is no table
// over max_position_embeddings (10M for Scout), only the angles of the positions in use.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/config.hpp"

namespace scout {

// ω_j for the head_dim/2 rotation pairs, scaled as config.rope_scaling says ("default": none).
std::vector<double> rope_inv_freq(const TextConfig& config);

// cos and sin of p·ω_j for p = p0 .. p0+T-1; each output is [T, inv_freq.size()].
void rope_angles(const std::vector<double>& inv_freq, int64_t p0, int64_t T, float* cos, float* sin);

// The NoPE layers' query scale 1 + attn_scale · ln(1 + floor((p + 1) / floor_scale)).
float attention_temperature(const TextConfig& config, int64_t pos);

}  // namespace scout
