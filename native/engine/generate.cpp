#include "engine/generate.hpp"

#include <algorithm>
#include <string>

#include "engine/error.hpp"

namespace scout {

const char* stop_reason_name(StopReason reason) noexcept {
  switch (reason) {
    case StopReason::Eos: return "eos";
    case StopReason::StopSequence: return "stop_sequence";
    case StopReason::MaxTokens: return "max_tokens";
    case StopReason::ContextFull: return "context_full";
    case StopReason::Cancelled: return "cancelled";
  }
  return "max_tokens";
}

namespace {

bool ends_with(const std::vector<int32_t>& tokens, const std::vector<int32_t>& tail) {
  return !tail.empty() && tail.size() <= tokens.size() &&
         std::equal(tail.rbegin(), tail.rend(), tokens.rbegin());
}

}  // namespace

GenerateResult generate(const Model& model, Sequence& seq, std::span<const int32_t> prompt, const GenerateParams& params,
                        const std::function<void(int32_t)>& on_token, const std::atomic<bool>* cancel) {
  if (prompt.empty()) throw Error(ErrorCode::InvalidArgument, "generate needs at least one prompt token");
  if (params.max_tokens < 1)
    throw Error(ErrorCode::InvalidArgument, "max_tokens must be >= 1, got " + std::to_string(params.max_tokens));
  Sampler sampler(params.sampling);  // validates the sampling parameters before any compute

  // The penalty window looks back over the prompt and what has been generated so far.
  std::vector<int32_t> history(params.history);
  history.insert(history.end(), prompt.begin(), prompt.end());
  std::vector<float> logits(static_cast<size_t>(model.config().vocab_size));
  seq.eval(prompt, Logits::Last, logits.data(), cancel);

  GenerateResult result;
  for (;;) {
    const int32_t next = sampler.sample(logits, history);
    result.tokens.push_back(next);
    history.push_back(next);
    if (on_token) on_token(next);

    if (std::find(params.stop_ids.begin(), params.stop_ids.end(), next) != params.stop_ids.end()) {
      result.reason = StopReason::Eos;
      break;
    }
    if (std::any_of(params.stop_sequences.begin(), params.stop_sequences.end(),
                    [&](const auto& s) { return ends_with(result.tokens, s); })) {
      result.reason = StopReason::StopSequence;
      break;
    }
    if (static_cast<int64_t>(result.tokens.size()) >= params.max_tokens) {
      result.reason = StopReason::MaxTokens;
      break;
    }
    if (seq.position() >= seq.capacity()) {
      result.reason = StopReason::ContextFull;
      break;
    }
    if (cancel && cancel->load(std::memory_order_relaxed)) {
      result.reason = StopReason::Cancelled;
      break;
    }
    try {
      const int32_t one[1] = {next};
      seq.eval(one, Logits::Last, logits.data(), cancel);
    } catch (const Cancelled&) {
      result.reason = StopReason::Cancelled;
      break;
    }
  }
  return result;
}

}  // namespace scout
