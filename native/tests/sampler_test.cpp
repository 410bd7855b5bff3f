// Token sampling on crafted logits.
#include "engine/sampler.hpp"

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "engine/error.hpp"
#include "tests/check.hpp"

using namespace scout;

namespace {

SamplingParams params(float temperature, uint64_t seed = 7) {
  SamplingParams p;
  p.temperature = temperature;
  p.seed = seed;
  return p;
}

// How often each id comes out of `draws` samples.
std::map<int32_t, int> histogram(Sampler& s, const std::vector<float>& logits, int draws) {
  std::map<int32_t, int> counts;
  for (int i = 0; i < draws; ++i) ++counts[s.sample(logits, {})];
  return counts;
}

}  // namespace

SCOUT_TEST(sampler_greedy_takes_argmax_and_lowest_id_on_ties) {
  Sampler greedy(params(0.0f));
  CHECK(greedy.sample(std::vector<float>{0.5f, 2.0f, -1.0f, 1.9f}, {}) == 1);
  CHECK(greedy.sample(std::vector<float>{1.0f, 3.0f, 3.0f, 3.0f}, {}) == 1);
  CHECK(greedy.sample(std::vector<float>{-INFINITY, -5.0f}, {}) == 1);
}

SCOUT_TEST(sampler_top_k_one_equals_greedy) {
  std::vector<float> logits = {0.1f, 0.3f, 0.3f, -2.0f, 0.29f};
  SamplingParams p = params(1.5f);
  p.top_k = 1;
  Sampler s(p);
  for (int i = 0; i < 50; ++i) CHECK(s.sample(logits, {}) == 1);
}

SCOUT_TEST(sampler_same_seed_same_tokens_other_seed_other_tokens) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(float(i)) * 2.0f;
  Sampler a(params(1.0f, 42)), b(params(1.0f, 42)), c(params(1.0f, 43));
  std::vector<int32_t> ta, tb, tc;
  for (int i = 0; i < 64; ++i) {
    ta.push_back(a.sample(logits, {}));
    tb.push_back(b.sample(logits, {}));
    tc.push_back(c.sample(logits, {}));
  }
  CHECK(ta == tb);
  CHECK(ta != tc);
}

SCOUT_TEST(sampler_temperature_draws_follow_the_softmax) {
  // p = softmax([ln 1, ln 2, ln 7]) = 0.1, 0.2, 0.7 at temperature 1.
  std::vector<float> logits = {0.0f, std::log(2.0f), std::log(7.0f)};
  Sampler s(params(1.0f, 3));
  auto counts = histogram(s, logits, 20000);
  CHECK(std::abs(counts[0] / 20000.0 - 0.1) < 0.015);
  CHECK(std::abs(counts[1] / 20000.0 - 0.2) < 0.015);
  CHECK(std::abs(counts[2] / 20000.0 - 0.7) < 0.015);
  // A low temperature sharpens it towards the best token.
  Sampler cold(params(0.1f, 3));
  CHECK(histogram(cold, logits, 2000)[2] > 1990);
}

SCOUT_TEST(sampler_top_k_keeps_only_the_k_best) {
  std::vector<float> logits = {1.0f, 4.0f, 2.0f, 3.0f, 0.0f};
  SamplingParams p = params(5.0f);
  p.top_k = 2;
  Sampler s(p);
  const auto counts = histogram(s, logits, 3000);
  std::set<int32_t> seen;
  for (const auto& [id, n] : counts) seen.insert(id);
  CHECK(seen == std::set<int32_t>({1, 3}));
}

SCOUT_TEST(sampler_top_p_keeps_the_smallest_prefix_reaching_p) {
  // p = 0.5, 0.3, 0.15, 0.05: top_p 0.79 keeps {0, 1} (0.5 + 0.3 reaches it), 0.81 adds 2.
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  for (auto [top_p, allowed] :
       {std::pair{0.79f, std::set<int32_t>{0, 1}}, std::pair{0.81f, std::set<int32_t>{0, 1, 2}},
        std::pair{0.1f, std::set<int32_t>{0}}}) {
    SamplingParams p = params(1.0f, 11);
    p.top_p = top_p;
    Sampler s(p);
    std::set<int32_t> seen;
    for (const auto& [id, n] : histogram(s, logits, 4000)) seen.insert(id);
    CHECK(seen == allowed);
  }
}

SCOUT_TEST(sampler_min_p_drops_tokens_below_the_fraction_of_the_best) {
  // p = 0.5, 0.3, 0.15, 0.05; min_p 0.29 keeps p >= 0.145 (ids 0, 1, 2).
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplingParams p = params(1.0f, 5);
  p.min_p = 0.29f;
  Sampler s(p);
  const auto counts = histogram(s, logits, 6000);
  CHECK(counts.count(3) == 0);
  CHECK(counts.count(2) == 1);
  // Renormalised over the kept mass 0.95: id 0 comes out 0.5 / 0.95 of the time.
  CHECK(std::abs(counts.at(0) / 6000.0 - 0.5 / 0.95) < 0.02);
}

SCOUT_TEST(sampler_repetition_penalty_divides_positive_and_multiplies_negative_logits) {
  // Greedy shows the penalised values: id 0 (3.0 -> 1.5) loses to id 1 (2.0); a negative
  // logit (-1.0 -> -2.0) loses to id 3 (-1.5).
  SamplingParams p = params(0.0f);
  p.repetition_penalty = 2.0f;
  Sampler s(p);
  const std::vector<int32_t> history = {0, 0, 2};
  CHECK(s.sample(std::vector<float>{3.0f, 2.0f, -9.0f}, history) == 1);
  CHECK(s.sample(std::vector<float>{-3.0f, -5.0f, -1.0f, -1.5f}, history) == 3);
  // Penalised once per distinct token: 3.0 / 2 = 1.5 still beats 1.4 despite two occurrences.
  CHECK(s.sample(std::vector<float>{3.0f, 1.4f, -9.0f}, history) == 0);
  // Only the last penalty_window tokens count.
  p.penalty_window = 1;
  Sampler recent(p);
  CHECK(recent.sample(std::vector<float>{3.0f, 2.0f, 0.0f}, history) == 0);
  CHECK_THROWS_CODE_MSG(s.sample(std::vector<float>{1.0f, 2.0f}, std::vector<int32_t>{5}),
                        ErrorCode::InvalidArgument, "history token 5");
}

SCOUT_TEST(sampler_rejects_invalid_parameters_and_logits) {
  auto bad = [](auto mutate) {
    SamplingParams p;
    mutate(p);
    CHECK_THROWS_CODE(Sampler{p}, ErrorCode::InvalidArgument);
  };
  bad([](SamplingParams& p) { p.temperature = NAN; });
  bad([](SamplingParams& p) { p.top_k = -1; });
  bad([](SamplingParams& p) { p.top_p = 0.0f; });
  bad([](SamplingParams& p) { p.top_p = 1.01f; });
  bad([](SamplingParams& p) { p.top_p = NAN; });
  bad([](SamplingParams& p) { p.min_p = 1.0f; });
  bad([](SamplingParams& p) { p.min_p = -0.1f; });
  bad([](SamplingParams& p) { p.repetition_penalty = 0.0f; });
  bad([](SamplingParams& p) { p.repetition_penalty = -1.0f; });
  bad([](SamplingParams& p) { p.penalty_window = -1; });
  Sampler s(params(1.0f));
  CHECK_THROWS_CODE(s.sample(std::vector<float>{}, {}), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(s.sample(std::vector<float>{1.0f, NAN}, {}), ErrorCode::InvalidArgument);
}
