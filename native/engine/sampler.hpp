// Token sampling: greedy, temperature, top-k, top-p, min-p, repetition penalty; seeded, so a
// given seed and logits always give the same token.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace scout {

struct SamplingParams {
  float temperature = 0.0f;         // <= 0: greedy (argmax; ties go to the lowest id)
  int32_t top_k = 0;                // 0: off
  float top_p = 1.0f;               // 1: off
  float min_p = 0.0f;               // 0: off; keeps tokens with p >= min_p * p_max
  float repetition_penalty = 1.0f;  // 1: off; CTRL-style, over `penalty_window` recent tokens
  int32_t penalty_window = 64;
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // Picks the next token from one row of logits given the tokens so far (for the penalty).
  // Throws Error(InvalidArgument) on invalid parameters (checked in the constructor).
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> scratch_;  // (logit, id) of the current step
  std::vector<double> probs_;                       // unnormalised probabilities, best first
};

}  // namespace scout
