// The CPU model against an independent float64 re-statement of llama4.md §2, written the way
// Hugging Face's modeling code reads: whole-sequence attention with an explicit mask, RoPE as a
// complex product, every expert run on its score-scaled input (unselected experts get score 0),
// experts read in their input-major checkpoint layout. It shares nothing with the engine but
// the fixture's weight values.
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "engine/model.hpp"
#include "tests/check.hpp"
#include "tests/model_fixture.hpp"

using namespace scout;
using namespace scout::test;

namespace {

using Vec = std::vector<double>;

class Reference {
 public:
  explicit Reference(const TinyModel& m) : m_(m) {
    for (const auto& [name, shape] : m.tensor_shapes()) {
      const auto v = m.values(name, shape);
      weights_[name] = Vec(v.begin(), v.end());
    }
    for (char ch : m.no_rope_layers)
      if (ch == '0' || ch == '1') uses_rope_.push_back(ch == '1');
  }

  // Logits [T, V] for `tokens` at positions 0..T-1.
  std::vector<Vec> logits(const std::vector<int32_t>& tokens) const {
    const int64_t T = static_cast<int64_t>(tokens.size()), D = m_.hidden;
    std::vector<Vec> x(static_cast<size_t>(T));
    const Vec& embed = w("model.embed_tokens.weight");
    for (int64_t t = 0; t < T; ++t)
      x[t] = Vec(embed.begin() + tokens[t] * D, embed.begin() + (tokens[t] + 1) * D);
    for (int64_t i = 0; i < m_.layers; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      attention(i, p, x);
      for (int64_t t = 0; t < T; ++t) {
        const Vec b = rms(x[t], &w(p + "post_attention_layernorm.weight"));
        const Vec f = (i + 1) % m_.moe_step == 0 ? moe(p, b) : mlp(p + "feed_forward.", b, m_.ffn_mlp);
        for (int64_t j = 0; j < D; ++j) x[t][j] += f[j];
      }
    }
    std::vector<Vec> out;
    for (const Vec& row : x)
      out.push_back(linear(w("lm_head.weight"), rms(row, &w("model.norm.weight")), m_.vocab));
    return out;
  }

 private:
  const Vec& w(const std::string& name) const { return weights_.at(name); }

  static Vec linear(const Vec& W, const Vec& x, int64_t out) {  // y = W x, W [out, in]
    const int64_t in = static_cast<int64_t>(x.size());
    Vec y(static_cast<size_t>(out), 0.0);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < in; ++k) y[o] += W[o * in + k] * x[k];
    return y;
  }

  static Vec rms(const Vec& x, const Vec* weight, double eps = 1e-5) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
    Vec y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * (weight ? (*weight)[i] : 1.0);
    return y;
  }

  static double silu(double g) { return g / (1.0 + std::exp(-g)); }

  // HF _compute_llama3_parameters with the fixture's rope_scaling (factor 8, low 1, high 4, 64).
  Vec inv_freq() const {
    const double factor = 8, low = 1, high = 4, old_len = 64;
    Vec inv;
    for (int64_t j = 0; j < m_.head_dim / 2; ++j) {
      const double f = 1.0 / std::pow(10000.0, 2.0 * j / m_.head_dim);
      const double wavelen = 2 * std::numbers::pi / f;
      const double scaled = wavelen > old_len / low ? f / factor : f;
      const double smooth = (old_len / wavelen - low) / (high - low);
      const bool medium = !(wavelen < old_len / high) && !(wavelen > old_len / low);
      inv.push_back(medium ? (1 - smooth) * scaled / factor + smooth * scaled : scaled);
    }
    return inv;
  }

  void attention(int64_t layer, const std::string& p, std::vector<Vec>& x) const {
    const int64_t T = static_cast<int64_t>(x.size()), D = m_.hidden, d = m_.head_dim;
    const int64_t Hq = m_.heads, Hkv = m_.kv_heads;
    const bool rope = uses_rope_[layer];
    std::vector<Vec> q, k, v;
    for (int64_t t = 0; t < T; ++t) {
      const Vec a = rms(x[t], &w(p + "input_layernorm.weight"));
      q.push_back(linear(w(p + "self_attn.q_proj.weight"), a, Hq * d));
      k.push_back(linear(w(p + "self_attn.k_proj.weight"), a, Hkv * d));
      v.push_back(linear(w(p + "self_attn.v_proj.weight"), a, Hkv * d));
      if (rope) {
        const Vec inv = inv_freq();
        auto rotate = [&](Vec& z, int64_t heads) {
          for (int64_t h = 0; h < heads; ++h) {
            for (int64_t j = 0; j < d / 2; ++j) {
              std::complex<double> c(z[h * d + 2 * j], z[h * d + 2 * j + 1]);
              c *= std::polar(1.0, static_cast<double>(t) * inv[j]);
              z[h * d + 2 * j] = c.real(), z[h * d + 2 * j + 1] = c.imag();
            }
            Vec head(z.begin() + h * d, z.begin() + (h + 1) * d);
            head = rms(head, nullptr);  // qk-norm after RoPE, weightless
            std::copy(head.begin(), head.end(), z.begin() + h * d);
          }
        };
        rotate(q[t], Hq);
        rotate(k[t], Hkv);
      } else {
        const double s =
            1.0 + 0.5 * std::log1p(std::floor((t + 1.0) / 3.0));  // attn_scale 0.5, floor_scale 3
        for (double& e : q[t]) e *= s;
      }
    }
    for (int64_t t = 0; t < T; ++t) {
      Vec concat(static_cast<size_t>(Hq * d), 0.0);
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t g = h / (Hq / Hkv);
        Vec scores;
        for (int64_t s = 0; s < T; ++s) {
          const bool visible = s <= t && (!rope || s / m_.chunk == t / m_.chunk);
          double dot = 0;
          for (int64_t i = 0; i < d; ++i) dot += q[t][h * d + i] * k[s][g * d + i];
          scores.push_back(visible ? dot / std::sqrt(double(d)) : -INFINITY);
        }
        double mx = -INFINITY, den = 0;
        for (double sc : scores) mx = std::max(mx, sc);
        for (double& sc : scores) den += (sc = std::exp(sc - mx));
        for (int64_t s = 0; s < T; ++s)
          for (int64_t i = 0; i < d; ++i) concat[h * d + i] += scores[s] / den * v[s][g * d + i];
      }
      const Vec o = linear(w(p + "self_attn.o_proj.weight"), concat, D);
      for (int64_t j = 0; j < D; ++j) x[t][j] += o[j];
    }
  }

  Vec mlp(const std::string& p, const Vec& b, int64_t F) const {
    const Vec g = linear(w(p + "gate_proj.weight"), b, F), u = linear(w(p + "up_proj.weight"), b, F);
    Vec h(static_cast<size_t>(F));
    for (int64_t j = 0; j < F; ++j) h[j] = silu(g[j]) * u[j];
    return linear(w(p + "down_proj.weight"), h, m_.hidden);
  }

  Vec moe(const std::string& p, const Vec& b) const {
    const int64_t D = m_.hidden, F = m_.ffn, E = m_.experts;
    const Vec logits = linear(w(p + "feed_forward.router.weight"), b, E);
    Vec score(static_cast<size_t>(E), 0.0);
    for (int64_t n = 0; n < m_.top_k; ++n) {  // top-k on raw logits, then sigmoid, no renormalisation
      int64_t best = -1;
      for (int64_t e = 0; e < E; ++e)
        if (score[e] == 0.0 && (best < 0 || logits[e] > logits[best])) best = e;
      score[best] = 1.0 / (1.0 + std::exp(-logits[best]));
    }
    Vec out = mlp(p + "feed_forward.shared_expert.", b, F);
    const Vec& gate_up = w(p + "feed_forward.experts.gate_up_proj");  // [E, D, 2F], h = z @ W[e]
    const Vec& down = w(p + "feed_forward.experts.down_proj");        // [E, F, D]
    for (int64_t e = 0; e < E; ++e) {
      Vec h(static_cast<size_t>(F), 0.0), up(static_cast<size_t>(F), 0.0);
      for (int64_t i = 0; i < D; ++i)
        for (int64_t j = 0; j < F; ++j) {
          const double z = score[e] * b[i];  // the score scales the expert INPUT
          h[j] += z * gate_up[(e * D + i) * 2 * F + j];
          up[j] += z * gate_up[(e * D + i) * 2 * F + F + j];
        }
      for (int64_t j = 0; j < F; ++j)
        for (int64_t o = 0; o < D; ++o) out[o] += silu(h[j]) * up[j] * down[(e * F + j) * D + o];
    }
    return out;
  }

  const TinyModel& m_;
  std::map<std::string, Vec> weights_;
  std::vector<bool> uses_rope_;
};

}  // namespace

SCOUT_TEST(model_reference_f32_logits_match_an_independent_float64_forward_pass) {
  const TinyModel tiny;
  LoadOptions options;
  options.threads = 2;
  auto model = Model::load(tiny.write(), options);
  const std::vector<int32_t> tokens = {1, 7, 22, 3, 39, 0, 15, 15, 8, 31, 2, 27, 11, 5};
  std::vector<float> got(tokens.size() * static_cast<size_t>(tiny.vocab));
  model->new_sequence(32)->eval(tokens, Logits::All, got.data());
  const auto want = Reference(tiny).logits(tokens);
  double worst = 0;
  int top1_mismatches = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    int64_t best_got = 0, best_want = 0;
    for (int64_t j = 0; j < tiny.vocab; ++j) {
      const double g = got[t * tiny.vocab + j], r = want[t][j];
      worst = std::max(worst, std::fabs(g - r) / (1.0 + std::fabs(r)));
      if (g > got[t * tiny.vocab + best_got]) best_got = j;
      if (r > want[t][best_want]) best_want = j;
    }
    top1_mismatches += best_got != best_want;
  }
  CHECK(worst <= 1e-4);
  CHECK(top1_mismatches == 0);
}
