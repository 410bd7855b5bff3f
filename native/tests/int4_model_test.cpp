// The whole model with int4 weights against the same checkpoint in f32 (tests/model_fixture.hpp):
// top-1 agreement of the next-token logits, and the mean KL divergence KL(f32 || int4), printed
// so that test logs record it.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "engine/model.hpp"
#include "tests/check.hpp"
#include "tests/model_fixture.hpp"

using namespace scout;
using namespace scout::test;

namespace {

std::unique_ptr<Model> load(const std::string& dir, WeightFormat format) {
  LoadOptions options;
  options.weights = format;
  options.threads = 2;
  return Model::load(dir, options);
}

std::vector<int32_t> random_prompt(size_t n, int32_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, vocab - 1);
  std::vector<int32_t> tokens(n);
  for (int32_t& t : tokens) t = dist(rng);
  return tokens;
}

std::vector<float> all_logits(Model& model, const std::vector<int32_t>& tokens) {
  auto seq = model.new_sequence(static_cast<int64_t>(tokens.size()));
  std::vector<float> out(tokens.size() * static_cast<size_t>(model.config().vocab_size));
  seq->eval(tokens, Logits::All, out.data());
  return out;
}

std::vector<double> log_softmax(const float* logits, size_t V) {
  double max = logits[0];
  for (size_t i = 1; i < V; ++i) max = std::max(max, double(logits[i]));
  double sum = 0;
  for (size_t i = 0; i < V; ++i) sum += std::exp(logits[i] - max);
  std::vector<double> out(V);
  for (size_t i = 0; i < V; ++i) out[i] = logits[i] - max - std::log(sum);
  return out;
}

size_t argmax(const float* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

struct Agreement {
  double top1 = 0;     // fraction of positions whose argmax matches
  double mean_kl = 0;  // mean over positions of KL(reference || candidate), nats
};

Agreement compare(const std::vector<float>& reference, const std::vector<float>& candidate, size_t V) {
  const size_t positions = reference.size() / V;
  Agreement a;
  for (size_t p = 0; p < positions; ++p) {
    const float* r = &reference[p * V];
    const float* c = &candidate[p * V];
    if (argmax(r, V) == argmax(c, V)) a.top1 += 1;
    const auto lr = log_softmax(r, V), lc = log_softmax(c, V);
    for (size_t i = 0; i < V; ++i) a.mean_kl += std::exp(lr[i]) * (lr[i] - lc[i]);
  }
  a.top1 /= double(positions);
  a.mean_kl /= double(positions);
  return a;
}

// A tiny model whose rows span whole int4 groups as well as a partial one (hidden 160 = 128 + 32).
TinyModel int4_sized_model(uint32_t seed) {
  TinyModel m;
  m.seed = seed;
  m.hidden = 160, m.heads = 4, m.kv_heads = 2, m.head_dim = 40, m.ffn = 192, m.ffn_mlp = 256, m.vocab = 64;
  return m;
}

}  // namespace

// Random-weight fixtures have nearly flat next-token distributions (entropy close to log V), so the
// gap between the two best logits is a small fraction of the logit spread and int4's ~6 % weight
// noise flips some of them; trained models have far larger margins. The bounds below are what the
// recipe achieves here with room to spare (measured: int4_mixed ~90 %, int4 ~72 %, KL ~2e-3 and
// ~1.4e-2 nats); a wrong scale, nibble order or group boundary drops agreement to chance (1/V).
SCOUT_TEST(int4_model_tracks_f32_top1_and_kl) {
  struct Bound {
    WeightFormat format;
    const char* name;
    double min_top1, max_kl;
  };
  const Bound bounds[] = {{WeightFormat::BF16, "bf16", 0.97, 1e-3},
                          {WeightFormat::Int4Mixed, "int4_mixed", 0.85, 5e-3},
                          {WeightFormat::Int4, "int4", 0.65, 3e-2},
                          {WeightFormat::Int4Int8Head, "int4+int8", 0.65, 3e-2}};
  for (uint32_t seed : {1u, 2u}) {
    const std::string dir = int4_sized_model(seed).write();
    auto reference = load(dir, WeightFormat::F32);
    const size_t V = static_cast<size_t>(reference->config().vocab_size);
    const auto prompt = random_prompt(200, static_cast<int32_t>(V), seed);
    const auto exact = all_logits(*reference, prompt);
    for (const Bound& b : bounds) {
      const Agreement a = compare(exact, all_logits(*load(dir, b.format), prompt), V);
      std::printf("     %-10s seed %u: top-1 agreement with f32 %.1f%%, mean KL %.2e nats (%zu positions)\n",
                  b.name, seed, 100 * a.top1, a.mean_kl, prompt.size());
      CHECK(a.top1 >= b.min_top1);
      CHECK(a.mean_kl > 0.0 && a.mean_kl <= b.max_kl);
    }
  }
}

SCOUT_TEST(int4_model_piecewise_eval_equals_full_eval) {
  auto model = load(int4_sized_model(3).write(), WeightFormat::Int4);
  const size_t V = static_cast<size_t>(model->config().vocab_size);
  const auto prompt = random_prompt(23, static_cast<int32_t>(V), 3);
  const auto full = all_logits(*model, prompt);
  auto seq = model->new_sequence(static_cast<int64_t>(prompt.size()));
  std::vector<float> got(full.size());
  for (size_t at = 0; at < prompt.size(); at += 5) {
    const size_t n = std::min<size_t>(5, prompt.size() - at);
    seq->eval(std::span(prompt).subspan(at, n), Logits::All, got.data() + at * V);
  }
  CHECK(std::memcmp(got.data(), full.data(), full.size() * 4) == 0);
}

SCOUT_TEST(int4_model_weight_bytes_shrink_with_the_format) {
  const std::string dir = int4_sized_model(4).write();
  const uint64_t bf16 = load(dir, WeightFormat::BF16)->weight_bytes();
  const uint64_t mixed = load(dir, WeightFormat::Int4Mixed)->weight_bytes();
  const uint64_t all = load(dir, WeightFormat::Int4)->weight_bytes();
  const uint64_t int8_head = load(dir, WeightFormat::Int4Int8Head)->weight_bytes();
  CHECK(mixed < bf16);
  CHECK(all < mixed);
  CHECK(int8_head < all);
}
