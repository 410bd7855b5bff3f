// The decode loop: feed a prompt, then sample and feed one token at a time until a stop.
//
// Shared by the addon (streaming to JavaScript), the native tests and the benchmarks, so that
// every front end stops for the same reasons.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/model.hpp"
#include "engine/sampler.hpp"

namespace scout {

struct GenerateParams {
  SamplingParams sampling;
  int64_t max_tokens = 256;                          // tokens to generate at most (>= 1)
  std::vector<int32_t> stop_ids;                     // e.g. the config's eos ids
  std::vector<std::vector<int32_t>> stop_sequences;  // token sequences; matched at the tail
  // Tokens before the prompt that the repetition penalty should still see: a caller that decodes
  // in slices (to let other requests in between) passes what earlier slices produced.
  std::vector<int32_t> history;
};

enum class StopReason { Eos, StopSequence, MaxTokens, ContextFull, Cancelled };
const char* stop_reason_name(StopReason reason) noexcept;  // "eos", "stop_sequence", ...

struct GenerateResult {
  std::vector<int32_t> tokens;  // generated ids, including the stop id or sequence that ended it
  StopReason reason = StopReason::MaxTokens;
};

// Appends `prompt` (>= 1 token) to `seq` (a sequence of `model`), then generates. `on_token` sees each id as soon as it
// is sampled. Cancellation during the prompt throws scout::Cancelled; during decoding it ends
// the loop with StopReason::Cancelled and keeps what was generated.
GenerateResult generate(const Model& model, Sequence& seq, std::span<const int32_t> prompt, const GenerateParams& params,
                        const std::function<void(int32_t)>& on_token, const std::atomic<bool>* cancel);

}  // namespace scout
