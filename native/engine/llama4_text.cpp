// Shapes: T tokens in this call, D = hidden_size, Hq/Hkv = query/KV heads, d = head_dim,
// E = experts, F = FFN width, V = vocab. All activations are row-major f32.
#include "engine/llama4_text.hpp"

#include <algorithm>
#include <cmath>

#include "cpu/attention.hpp"
#include "cpu/matmul.hpp"
#include "cpu/ops.hpp"
#include "engine/error.hpp"
#include "engine/rope.hpp"

namespace scout {

TextModel::TextModel(const TextConfig& config, const TextWeights& weights, cpu::ThreadPool& pool)
    : config_(config), weights_(weights), pool_(pool), inv_freq_(rope_inv_freq(config)) {}

void TextModel::forward(std::span<const int32_t> tokens, int64_t p0, KvCache& cache, Logits mode,
                        float* logits, const std::atomic<bool>* cancel, const float* image_rows) const {
  const auto T = static_cast<int64_t>(tokens.size());
  const int64_t D = config_.hidden_size;

  // Embedding, no scaling (§2.1). x is the residual stream [T, D].
  std::vector<float> x(static_cast<size_t>(T * D));
  for (int64_t t = 0; t < T; ++t) weights_.embed.row_to_f32(tokens[static_cast<size_t>(t)], &x[t * D]);
  if (image_rows) {
    // Image features take the <|patch|> positions, in order (§4.6).
    for (int64_t t = 0; t < T; ++t)
      if (tokens[static_cast<size_t>(t)] == config_.image_token_index) {
        std::copy(image_rows, image_rows + D, &x[t * D]);
        image_rows += D;
      }
  }

  for (int64_t layer = 0; layer < config_.num_hidden_layers; ++layer) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
    attention_block(layer, p0, T, cache, x);
    ffn_block(layer, T, x);
  }
  if (mode == Logits::None) return;

  // Final norm and lm_head (§2.4), only on the rows asked for.
  const int64_t first = mode == Logits::Last ? T - 1 : 0, rows = T - first;
  std::vector<float> y(static_cast<size_t>(rows * D));
  cpu::rmsnorm(&x[first * D], weights_.final_norm.data(), rows, D, static_cast<float>(config_.rms_norm_eps),
               y.data());
  cpu::matmul(pool_, y.data(), rows, weights_.lm_head, logits);
}

// §2.2 steps 1-8: x += o_proj(attention(q, k, v)).
void TextModel::attention_block(int64_t layer, int64_t p0, int64_t T, KvCache& cache,
                                std::vector<float>& x) const {
  const LayerWeights& w = weights_.layers[static_cast<size_t>(layer)];
  const int64_t D = config_.hidden_size, d = config_.head_dim;
  const int64_t Hq = config_.num_attention_heads, Hkv = config_.num_key_value_heads;
  const auto eps = static_cast<float>(config_.rms_norm_eps);
  const bool rope = config_.uses_rope(layer);

  std::vector<float> a(static_cast<size_t>(T * D));  // [T, D]
  cpu::rmsnorm(x.data(), w.input_norm.data(), T, D, eps, a.data());
  std::vector<float> q(static_cast<size_t>(T * Hq * d)), k(static_cast<size_t>(T * Hkv * d)), v(k.size());
  cpu::matmul(pool_, a.data(), T, w.q, q.data());  // [T, Hq*d]
  cpu::matmul(pool_, a.data(), T, w.k, k.data());  // [T, Hkv*d]
  cpu::matmul(pool_, a.data(), T, w.v, v.data());  // [T, Hkv*d]

  if (rope) {
    // Interleaved-pair RoPE, then the weightless per-head RMS qk-norm (steps 3-4).
    const int64_t pairs = d / 2;
    std::vector<float> cos(static_cast<size_t>(T * pairs)), sin(cos.size());
    rope_angles(inv_freq_, p0, T, cos.data(), sin.data());
    for (int64_t t = 0; t < T; ++t) {
      cpu::rope_interleaved(&q[t * Hq * d], Hq, pairs, &cos[t * pairs], &sin[t * pairs]);
      cpu::rope_interleaved(&k[t * Hkv * d], Hkv, pairs, &cos[t * pairs], &sin[t * pairs]);
    }
    if (config_.use_qk_norm) {
      cpu::rmsnorm(q.data(), nullptr, T * Hq, d, eps, q.data());
      cpu::rmsnorm(k.data(), nullptr, T * Hkv, d, eps, k.data());
    }
  } else if (config_.attn_temperature_tuning) {
    // NoPE layers scale the queries with the absolute position (step 5); keys stay raw.
    for (int64_t t = 0; t < T; ++t) {
      const float s = attention_temperature(config_, p0 + t);
      for (int64_t i = 0; i < Hq * d; ++i) q[t * Hq * d + i] *= s;
    }
  }

  cache.write(layer, p0, T, k.data(), v.data());  // step 6
  const cpu::AttentionParams params{Hq, Hkv, d, static_cast<float>(1.0 / std::sqrt(static_cast<double>(d))),
                                    rope ? config_.attention_chunk_size : 0};
  std::vector<float> attn(q.size());  // [T, Hq*d], heads concatenated
  cpu::attention(pool_, params, cache.layer(layer), q.data(), p0, T, attn.data());

  std::vector<float> o(static_cast<size_t>(T * D));
  cpu::matmul(pool_, attn.data(), T, w.o, o.data());  // [T, D]
  cpu::add_inplace(x.data(), o.data(), T * D);
}

// §2.2 steps 9-10: x += FFN(RMSNorm(x)), MoE or dense.
void TextModel::ffn_block(int64_t layer, int64_t T, std::vector<float>& x) const {
  const LayerWeights& w = weights_.layers[static_cast<size_t>(layer)];
  const int64_t D = config_.hidden_size;
  std::vector<float> b(static_cast<size_t>(T * D)), out(b.size());  // [T, D]
  cpu::rmsnorm(x.data(), w.post_attention_norm.data(), T, D, static_cast<float>(config_.rms_norm_eps),
               b.data());
  if (w.is_moe)
    moe(w.moe, b.data(), T, out.data());
  else
    swiglu(w.dense, b.data(), T, out.data());
  cpu::add_inplace(x.data(), out.data(), T * D);
}

// shared(b) + Σ_selected Expert_e(sigmoid(logit_e) · b). Only selected experts run, each on
// the batch of tokens that chose it; every token sums its experts in ascending id order, so
// the result does not depend on which other tokens are in the batch.
void TextModel::moe(const MoeWeights& w, const float* b, int64_t T, float* out) const {
  const int64_t D = config_.hidden_size, E = config_.num_local_experts, top_k = config_.num_experts_per_tok;

  std::vector<float> router_logits(static_cast<size_t>(T * E));  // [T, E]
  cpu::matmul(pool_, b, T, w.router, router_logits.data());

  // score[t, e]: sigmoid of the raw logit for the top_k experts of token t (ties: lower id), else 0.
  std::vector<float> score(static_cast<size_t>(T * E), 0.0f);
  std::vector<int64_t> order(static_cast<size_t>(E));
  for (int64_t t = 0; t < T; ++t) {
    const float* l = &router_logits[t * E];
    for (int64_t e = 0; e < E; ++e) order[static_cast<size_t>(e)] = e;
    std::partial_sort(order.begin(), order.begin() + top_k, order.end(),
                      [l](int64_t i, int64_t j) { return l[i] > l[j] || (l[i] == l[j] && i < j); });
    for (int64_t i = 0; i < top_k; ++i) score[t * E + order[i]] = cpu::sigmoid(l[order[i]]);
  }

  std::vector<float> routed(static_cast<size_t>(T * D), 0.0f);  // [T, D]
  std::vector<int64_t> rows;
  std::vector<float> z, y;
  for (int64_t e = 0; e < E; ++e) {
    rows.clear();
    // A zero score (unselected, or a sigmoid that underflowed) contributes Expert(0) = 0.
    for (int64_t t = 0; t < T; ++t)
      if (score[t * E + e] != 0.0f) rows.push_back(t);
    if (rows.empty()) continue;
    const auto n = static_cast<int64_t>(rows.size());
    z.resize(static_cast<size_t>(n * D));  // [n, D]: the score scales the expert's INPUT
    for (int64_t i = 0; i < n; ++i) {
      const float s = score[rows[i] * E + e];
      for (int64_t j = 0; j < D; ++j) z[i * D + j] = s * b[rows[i] * D + j];
    }
    y.resize(z.size());
    swiglu(w.experts[static_cast<size_t>(e)], z.data(), n, y.data());
    for (int64_t i = 0; i < n; ++i) cpu::add_inplace(&routed[rows[i] * D], &y[i * D], D);
  }

  swiglu(w.shared, b, T, out);  // the shared expert sees b unscaled
  cpu::add_inplace(out, routed.data(), T * D);
}

// out = down( silu(gate · x) ⊙ (up · x) ), x [T, D] -> out [T, D].
void TextModel::swiglu(const SwiGluWeights& w, const float* x, int64_t T, float* out) const {
  const int64_t F = w.gate.rows();
  std::vector<float> gate(static_cast<size_t>(T * F)), up(gate.size());  // [T, F]
  cpu::matmul(pool_, x, T, w.gate, gate.data());
  cpu::matmul(pool_, x, T, w.up, up.data());
  cpu::silu_mul(gate.data(), up.data(), T * F, gate.data());
  cpu::matmul(pool_, gate.data(), T, w.down, out);
}

}  // namespace scout
