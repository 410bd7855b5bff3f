// Sampling follows the order of Hugging Face's logits processors: repetition penalty, then
// temperature, top-k, top-p, min-p, then one draw from the renormalised distribution.
#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "engine/error.hpp"

namespace scout {
namespace {

void invalid(const std::string& what) {
  throw Error(ErrorCode::InvalidArgument, "sampling: " + what);
}

// Higher logit first; equal logits by lower id, so every ordering (and greedy) is well defined.
bool before(const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

}  // namespace

Sampler::Sampler(const SamplingParams& p) : params_(p), rng_(p.seed) {
  if (std::isnan(p.temperature) || std::isinf(p.temperature))
    invalid("temperature must be a finite number, got " + std::to_string(p.temperature));
  if (p.top_k < 0) invalid("top_k must be >= 0, got " + std::to_string(p.top_k));
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f))
    invalid("top_p must be in (0, 1], got " + std::to_string(p.top_p));
  if (!(p.min_p >= 0.0f && p.min_p < 1.0f))
    invalid("min_p must be in [0, 1), got " + std::to_string(p.min_p));
  if (!(p.repetition_penalty > 0.0f) || std::isinf(p.repetition_penalty))
    invalid("repetition_penalty must be a finite number > 0, got " + std::to_string(p.repetition_penalty));
  if (p.penalty_window < 0) invalid("penalty_window must be >= 0, got " + std::to_string(p.penalty_window));
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  const auto vocab = static_cast<int64_t>(logits.size());
  if (vocab == 0) invalid("no logits");
  scratch_.resize(logits.size());
  for (int64_t i = 0; i < vocab; ++i) {
    if (std::isnan(logits[static_cast<size_t>(i)])) invalid("logit " + std::to_string(i) + " is NaN");
    scratch_[static_cast<size_t>(i)] = {logits[static_cast<size_t>(i)], static_cast<int32_t>(i)};
  }

  // CTRL-style penalty, once per distinct recent token: shrink positive logits, push negative
  // ones further down.
  if (params_.repetition_penalty != 1.0f && params_.penalty_window > 0) {
    const size_t window = std::min(history.size(), static_cast<size_t>(params_.penalty_window));
    std::unordered_set<int32_t> seen;
    for (int32_t id : history.subspan(history.size() - window)) {
      if (id < 0 || id >= vocab)
        invalid("history token " + std::to_string(id) + " is outside the vocabulary");
      if (!seen.insert(id).second) continue;
      float& l = scratch_[static_cast<size_t>(id)].first;
      l = l > 0.0f ? l / params_.repetition_penalty : l * params_.repetition_penalty;
    }
  }

  if (params_.temperature <= 0.0f || params_.top_k == 1)
    return std::min_element(scratch_.begin(), scratch_.end(), before)->second;

  // Keep the top_k best (all when 0), sorted best first.
  auto kept = static_cast<size_t>(params_.top_k > 0 ? std::min<int64_t>(params_.top_k, vocab) : vocab);
  std::partial_sort(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(kept), scratch_.end(),
                    before);

  // Softmax of logit / temperature over the kept tokens (in double: the tail of 200K tokens
  // would otherwise lose mass).
  std::vector<double>& probs = probs_;
  probs.resize(kept);
  const double max_scaled = scratch_[0].first / static_cast<double>(params_.temperature);
  double total = 0.0;
  for (size_t i = 0; i < kept; ++i) {
    probs[i] = std::exp(scratch_[i].first / static_cast<double>(params_.temperature) - max_scaled);
    total += probs[i];
  }
  // top-p: the shortest best-first prefix whose mass reaches top_p (at least one token).
  if (params_.top_p < 1.0f) {
    double mass = 0.0;
    size_t n = 0;
    while (n < kept) {
      mass += probs[n++] / total;
      if (mass >= params_.top_p) break;
    }
    kept = n;
  }
  // min-p: tokens at least min_p times as likely as the best one.
  if (params_.min_p > 0.0f) {
    size_t n = 1;
    while (n < kept && probs[n] >= params_.min_p * probs[0]) ++n;
    kept = n;
  }

  double kept_mass = 0.0;
  for (size_t i = 0; i < kept; ++i) kept_mass += probs[i];
  // 53 random bits -> [0, 1): the same draw on every platform for a given seed.
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * kept_mass;
  double cumulative = 0.0;
  for (size_t i = 0; i < kept; ++i) {
    cumulative += probs[i];
    if (u < cumulative) return scratch_[i].second;
  }
  return scratch_[kept - 1].second;  // u fell in the rounding gap at the very top
}

}  // namespace scout
