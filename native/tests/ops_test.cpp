// CPU ops against plain scalar references, on odd sizes that exercise every SIMD tail.
#include "cpu/ops.hpp"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/attention.hpp"
#include "cpu/matmul.hpp"
#include "cpu/row_kernels.hpp"
#include "engine/tensor.hpp"
#include "tests/check.hpp"

using namespace scout;
using namespace scout::cpu;

namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

Matrix make_matrix(WeightType type, int64_t rows, int64_t cols, const std::vector<float>& values) {
  Matrix m(type, rows, cols);
  for (int64_t r = 0; r < rows; ++r) m.set_row_from_f32(r, &values[static_cast<size_t>(r * cols)]);
  return m;
}

bool close(double got, double want, double tol) {
  return std::fabs(got - want) <= tol * (1.0 + std::fabs(want));
}

// The activations an int4 or int8 matmul actually multiplies: x quantized to int8 per group.
std::vector<float> as_q8(const std::vector<float>& x, int64_t T, int64_t K) {
  Q8Acts acts;
  quantize_acts_q8(x.data(), T, K, acts);
  std::vector<float> out(x.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < K; ++k)
      out[t * K + k] = acts.q[(t * acts.groups) * 128 + k] * acts.scale[t * acts.groups + k / 128];
  return out;
}

void check_matmul(WeightType type, int64_t T, int64_t N, int64_t K, int threads) {
  ThreadPool pool(threads);
  auto w = random_vector(static_cast<size_t>(N * K), 1);
  const auto x_in = random_vector(static_cast<size_t>(T * K), 2);
  Matrix m = make_matrix(type, N, K, w);
  std::vector<float> y(static_cast<size_t>(T * N));
  matmul(pool, x_in.data(), T, m, y.data());
  // The reference: dequantized weights times (for int4) the int8 activations, in double.
  const auto x = is_int4(type) || type == WeightType::Int8 ? as_q8(x_in, T, K) : x_in;
  std::vector<float> row(static_cast<size_t>(K));
  int bad = 0;
  for (int64_t n = 0; n < N; ++n) {
    m.row_to_f32(n, row.data());
    for (int64_t t = 0; t < T; ++t) {
      double want = 0;
      for (int64_t k = 0; k < K; ++k) want += static_cast<double>(row[k]) * x[t * K + k];
      if (!close(y[t * N + n], want, 1e-5)) ++bad;
    }
  }
  CHECK(bad == 0);
}

}  // namespace

// Runs `body` once per instruction set this CPU has, then restores the default.
template <typename Body>
void for_each_isa(Body body) {
  const Isa best = kernel_isa();
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512})
    if (set_kernel_isa(isa)) body();
  set_kernel_isa(best);
}

SCOUT_TEST(ops_matmul_f32_matches_reference_on_odd_sizes) {
  for_each_isa([] {
    for (int64_t K : {1, 7, 15, 16, 17, 31, 33, 100, 129})
      for (int64_t T : {1, 3, 4, 5, 9}) check_matmul(WeightType::F32, T, 13, K, 2);
  });
}

SCOUT_TEST(ops_matmul_bf16_matches_reference_on_odd_sizes) {
  for_each_isa([] {
    for (int64_t K : {1, 7, 9, 16, 23, 40, 129})
      for (int64_t T : {1, 4, 6}) check_matmul(WeightType::BF16, T, 11, K, 2);
  });
}

// The int4 kernels against the dequantized rows (q · scale) in double precision: whole groups,
// a partial last group, and rows shorter than one group, for both scale types.
SCOUT_TEST(ops_matmul_int4_matches_reference_on_odd_sizes) {
  for_each_isa([] {
    for (WeightType type : {WeightType::Int4, WeightType::Int4F32})
      for (int64_t K : {1, 100, 128, 129, 256, 300, 640})
        for (int64_t T : {1, 3, 4, 5, 9}) check_matmul(type, T, 13, K, 2);
  });
}

// w4a8 against f32 activations: per-group int8 activations cost well under 1 % of the output's scale.
SCOUT_TEST(ops_matmul_int4_activation_quantization_error_is_small) {
  for_each_isa([] {
    ThreadPool pool(2);
    const int64_t T = 5, N = 17, K = 1024;
    auto w = random_vector(static_cast<size_t>(N * K), 7);
    auto x = random_vector(static_cast<size_t>(T * K), 8);
    Matrix m = make_matrix(WeightType::Int4, N, K, w);
    std::vector<float> y(static_cast<size_t>(T * N)), row(static_cast<size_t>(K));
    matmul(pool, x.data(), T, m, y.data());
    double worst = 0, rms = 0;
    for (int64_t n = 0; n < N; ++n) {
      m.row_to_f32(n, row.data());
      for (int64_t t = 0; t < T; ++t) {
        double want = 0;
        for (int64_t k = 0; k < K; ++k) want += static_cast<double>(row[k]) * x[t * K + k];
        worst = std::max(worst, std::fabs(y[t * N + n] - want));
        rms += want * want;
      }
    }
    rms = std::sqrt(rms / static_cast<double>(T * N));
    CHECK(worst > 0.0);         // the activations really are quantized
    CHECK(worst < 0.01 * rms);  // and cost far less than the weights' own int4 error
  });
}

SCOUT_TEST(ops_matmul_int8_matches_reference_on_odd_sizes) {
  for_each_isa([] {
    for (int64_t K : {1, 7, 31, 32, 33, 100, 129})
      for (int64_t T : {1, 4, 6}) check_matmul(WeightType::Int8, T, 11, K, 2);
  });
}

SCOUT_TEST(ops_matmul_is_bit_identical_for_any_thread_count_and_batch) {
  for_each_isa([] {
    // N large enough that matmul splits the rows over all three threads.
    const int64_t T = 7, N = 131, K = 301;
    auto w = random_vector(static_cast<size_t>(N * K), 3);
    auto x = random_vector(static_cast<size_t>(T * K), 4);
    for (WeightType type :
         {WeightType::F32, WeightType::BF16, WeightType::Int4, WeightType::Int4F32, WeightType::Int8}) {
      Matrix m = make_matrix(type, N, K, w);
      std::vector<float> y1(static_cast<size_t>(T * N)), y3(y1.size());
      ThreadPool one(1), three(3);
      matmul(one, x.data(), T, m, y1.data());
      matmul(three, x.data(), T, m, y3.data());
      CHECK(std::memcmp(y1.data(), y3.data(), y1.size() * 4) == 0);
      // Token 5 alone gives the same bits as inside the batch of 7.
      std::vector<float> alone(static_cast<size_t>(N));
      matmul(three, x.data() + 5 * K, 1, m, alone.data());
      CHECK(std::memcmp(alone.data(), y1.data() + 5 * N, static_cast<size_t>(N) * 4) == 0);
    }
  });
}

SCOUT_TEST(ops_rmsnorm_matches_reference_with_and_without_weight) {
  const int64_t rows = 3, n = 37;
  auto x = random_vector(static_cast<size_t>(rows * n), 5, 3.0f);
  auto w = random_vector(static_cast<size_t>(n), 6);
  std::vector<float> out(x.size()), bare(x.size());
  rmsnorm(x.data(), w.data(), rows, n, 1e-5f, out.data());
  rmsnorm(x.data(), nullptr, rows, n, 1e-5f, bare.data());
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[r * n + i]) * x[r * n + i];
    const double inv = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int64_t i = 0; i < n; ++i) {
      CHECK(close(out[r * n + i], x[r * n + i] * inv * w[i], 1e-6));
      CHECK(close(bare[r * n + i], x[r * n + i] * inv, 1e-6));
    }
  }
  // The eps keeps an all-zero row finite.
  std::vector<float> zeros(8, 0.0f), z(8);
  rmsnorm(zeros.data(), nullptr, 1, 8, 1e-5f, z.data());
  CHECK(z[0] == 0.0f);
}

SCOUT_TEST(ops_silu_mul_and_sigmoid_match_reference) {
  auto g = random_vector(19, 7, 6.0f), u = random_vector(19, 8, 2.0f);
  std::vector<float> out(19);
  silu_mul(g.data(), u.data(), 19, out.data());
  for (size_t i = 0; i < 19; ++i) CHECK(close(out[i], g[i] / (1.0 + std::exp(-double(g[i]))) * u[i], 1e-6));
  CHECK(close(sigmoid(0.0f), 0.5, 1e-7));
  CHECK(close(sigmoid(3.0f), 1.0 / (1.0 + std::exp(-3.0)), 1e-7));
  CHECK(sigmoid(-1000.0f) == 0.0f);
}

SCOUT_TEST(ops_rope_rotates_adjacent_pairs) {
  // Two heads of 6 (3 pairs). Pair j of every head turns by its own angle.
  auto x = random_vector(12, 9);
  auto orig = x;
  const float angles[3] = {0.3f, -1.2f, 2.5f};
  float c[3], s[3];
  for (int j = 0; j < 3; ++j) c[j] = std::cos(angles[j]), s[j] = std::sin(angles[j]);
  rope_interleaved(x.data(), 2, 3, c, s);
  for (int h = 0; h < 2; ++h)
    for (int j = 0; j < 3; ++j) {
      const double a = orig[h * 6 + 2 * j], b = orig[h * 6 + 2 * j + 1];
      CHECK(close(x[h * 6 + 2 * j], a * std::cos(angles[j]) - b * std::sin(angles[j]), 1e-6));
      CHECK(close(x[h * 6 + 2 * j + 1], a * std::sin(angles[j]) + b * std::cos(angles[j]), 1e-6));
    }
}

SCOUT_TEST(ops_argmax_prefers_lowest_index_on_ties) {
  const float v[5] = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f};
  CHECK(argmax(v, 5) == 1);
  CHECK(argmax(v, 1) == 0);
}

namespace {

// Reference attention in double over a plain [positions][2][kv_width] array.
void reference_attention(const AttentionParams& p, const std::vector<float>& kv, const float* q, int64_t p0,
                         int64_t T, std::vector<double>& out) {
  const int64_t H = p.n_heads, d = p.head_dim, kvw = p.n_kv_heads * d, group = H / p.n_kv_heads;
  out.assign(static_cast<size_t>(T * H * d), 0.0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t pq = p0 + t, g = h / group;
      std::vector<double> s;
      for (int64_t pk = 0; pk <= pq; ++pk) {
        const bool visible = p.chunk == 0 || pk / p.chunk == pq / p.chunk;
        double dot = 0;
        for (int64_t i = 0; i < d; ++i)
          dot += double(q[t * H * d + h * d + i]) * kv[(pk * 2) * kvw + g * d + i];
        s.push_back(visible ? dot * p.scale : -INFINITY);
      }
      double mx = -INFINITY, den = 0;
      for (double v : s) mx = std::max(mx, v);
      for (double& v : s) den += (v = std::exp(v - mx));
      for (int64_t pk = 0; pk <= pq; ++pk)
        for (int64_t i = 0; i < d; ++i)
          out[(t * H + h) * d + i] += s[pk] / den * kv[(pk * 2 + 1) * kvw + g * d + i];
    }
}

}  // namespace

SCOUT_TEST(ops_attention_matches_reference_for_causal_and_chunked_masks_with_gqa) {
  const int64_t positions = 23, H = 6, Hkv = 2, d = 5, kvw = Hkv * d;
  auto kv = random_vector(static_cast<size_t>(positions * 2 * kvw), 10);
  // Store the same data in pages of 4 slots; for the chunked case a ring of 8 slots (= chunk)
  // holding only the positions of the last chunk in use, as the KV cache does.
  for (int64_t chunk : {int64_t{0}, int64_t{8}}) {
    const int64_t slots = chunk ? chunk : positions, page = 4;
    std::vector<std::vector<float>> pages(static_cast<size_t>((slots + page - 1) / page),
                                          std::vector<float>(static_cast<size_t>(page * 2 * kvw)));
    std::vector<float*> ptrs;
    for (auto& p : pages) ptrs.push_back(p.data());
    KvPages view{ptrs.data(), page, slots, kvw};
    AttentionParams params{H, Hkv, d, 1.0f / std::sqrt(float(d)), chunk};
    ThreadPool pool(2);
    // Queries at 16..22 (a run inside chunk 2 when chunked).
    const int64_t p0 = 16, T = 7;
    for (int64_t pos = chunk ? p0 : 0; pos < positions; ++pos) {
      std::memcpy(view.key(pos), &kv[pos * 2 * kvw], kvw * 4);
      std::memcpy(view.value(pos), &kv[(pos * 2 + 1) * kvw], kvw * 4);
    }
    auto q = random_vector(static_cast<size_t>(T * H * d), 11, 2.0f);
    std::vector<float> out(q.size());
    attention(pool, params, view, q.data(), p0, T, out.data());
    std::vector<double> want;
    reference_attention(params, kv, q.data(), p0, T, want);
    int bad = 0;
    for (size_t i = 0; i < out.size(); ++i) bad += !close(out[i], want[i], 1e-5);
    CHECK(bad == 0);
  }
}

SCOUT_TEST(ops_chunk_start_is_aligned_to_position_zero) {
  CHECK(first_visible_key(0, 8) == 0);
  CHECK(first_visible_key(7, 8) == 0);
  CHECK(first_visible_key(8, 8) == 8);
  CHECK(first_visible_key(17, 8) == 16);
  CHECK(first_visible_key(17, 0) == 0);
}

SCOUT_TEST(ops_thread_pool_covers_every_index_once_and_propagates_errors) {
  ThreadPool pool(3);
  std::vector<int> hits(1001, 0);
  pool.parallel_for(1001, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
  });
  bool all_once = true;
  for (int h : hits) all_once = all_once && h == 1;
  CHECK(all_once);
  CHECK_THROWS_CODE(pool.parallel_for(10, 1,
                                      [](int64_t b, int64_t) {
                                        if (b > 0) throw Error(ErrorCode::Internal, "range failed");
                                      }),
                    ErrorCode::Internal);
  // The pool still works after a failed loop.
  int64_t total = 0;
  std::mutex m;
  pool.parallel_for(100, 1, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> lock(m);
    total += e - b;
  });
  CHECK(total == 100);
}
