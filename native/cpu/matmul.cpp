#include "cpu/matmul.hpp"

#include <immintrin.h>

// GCC 12's AVX-512 intrinsic headers seed some conversions with deliberately undefined
// registers (_mm512_undefined_*), which -Wuninitialized reports inside the header.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cstring>

#include "cpu/row_kernels.hpp"
#include "engine/tensor.hpp"

namespace scout::cpu {
namespace {

// ---- Row kernels (cpu/row_kernels.hpp) for f32 and bf16 weights; int4: cpu/int4_kernels.cpp ----

// Weight k of a row, widened to f32.
template <WeightType W>
inline float weight_at(const uint8_t* w, int64_t k) {
  if constexpr (W == WeightType::F32) {
    float v;
    std::memcpy(&v, w + 4 * k, 4);
    return v;
  } else {
    uint16_t v;
    std::memcpy(&v, w + 2 * k, 2);
    return bf16_to_f32(v);
  }
}

// The last n (< one vector) weights of a row from k on, zero-padded to `lanes` floats.
template <WeightType W>
inline void widen_tail(const uint8_t* w, int64_t k, int64_t n, int lanes, float* out) {
  for (int i = 0; i < lanes; ++i) out[i] = i < n ? weight_at<W>(w, k + i) : 0.0f;
}

// Scalar: any x86-64 (and the reference the SIMD paths are tested against in ops_test).
template <WeightType W, int NT>
void dots_scalar(const uint8_t* w, size_t, const float* x, int64_t ldx, int64_t K, float* out) {
  float acc[NT] = {};
  for (int64_t k = 0; k < K; ++k) {
    const float wk = weight_at<W>(w, k);
    for (int t = 0; t < NT; ++t) acc[t] += wk * x[t * ldx + k];
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

// AVX2 + FMA: 8 lanes, two accumulators per token (16 weights per step), scalar-free tail via
// a zero-padded copy of the last weights and a masked load of x.
__attribute__((target("avx2,fma"))) inline __m256 load8_w(const uint8_t* w, int64_t k, WeightType type) {
  if (type == WeightType::F32) return _mm256_loadu_ps(reinterpret_cast<const float*>(w) + k);
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2 * k));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

__attribute__((target("avx2,fma"))) inline __m256i tail_mask8(int64_t n) {
  alignas(32) static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table + 8 - n));
}

template <WeightType W, int NT>
__attribute__((target("avx2,fma"))) void dots_avx2(const uint8_t* w, size_t, const float* x, int64_t ldx,
                                                   int64_t K, float* out) {
  __m256 a0[NT], a1[NT];
  for (int t = 0; t < NT; ++t) a0[t] = a1[t] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    const __m256 w0 = load8_w(w, k, W), w1 = load8_w(w, k + 8, W);
    for (int t = 0; t < NT; ++t) {
      a0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + t * ldx + k), a0[t]);
      a1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + t * ldx + k + 8), a1[t]);
    }
  }
  for (; k < K; k += 8) {
    const int64_t n = std::min<int64_t>(8, K - k);
    alignas(32) float wt[8];
    widen_tail<W>(w, k, n, 8, wt);
    const __m256 wv = _mm256_load_ps(wt);
    const __m256i m = tail_mask8(n);
    for (int t = 0; t < NT; ++t) a0[t] = _mm256_fmadd_ps(wv, _mm256_maskload_ps(x + t * ldx + k, m), a0[t]);
  }
  for (int t = 0; t < NT; ++t) {
    const __m256 s = _mm256_add_ps(a0[t], a1[t]);
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    out[t] = _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
  }
}

// AVX-512F: 16 lanes, two accumulators per token, masked loads for the tail.
__attribute__((target("avx512f"))) inline __m512 load16_w(const uint8_t* w, int64_t k, WeightType type) {
  if (type == WeightType::F32) return _mm512_loadu_ps(reinterpret_cast<const float*>(w) + k);
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2 * k));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// R weight rows (w_stride bytes apart) times NT tokens per call: with R = 2 each x load feeds
// two rows, halving the activation traffic of prefill. out is [R][NT].
template <WeightType W, int NT, int R>
__attribute__((target("avx512f"))) void dots_avx512(const uint8_t* w, size_t w_stride, const float* x,
                                                    int64_t ldx, int64_t K, float* out) {
  __m512 a0[R][NT], a1[R][NT];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < NT; ++t) a0[r][t] = a1[r][t] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    __m512 w0[R], w1[R];
    for (int r = 0; r < R; ++r)
      w0[r] = load16_w(w + r * w_stride, k, W), w1[r] = load16_w(w + r * w_stride, k + 16, W);
    for (int t = 0; t < NT; ++t) {
      const __m512 x0 = _mm512_loadu_ps(x + t * ldx + k), x1 = _mm512_loadu_ps(x + t * ldx + k + 16);
      for (int r = 0; r < R; ++r) {
        a0[r][t] = _mm512_fmadd_ps(w0[r], x0, a0[r][t]);
        a1[r][t] = _mm512_fmadd_ps(w1[r], x1, a1[r][t]);
      }
    }
  }
  for (; k < K; k += 16) {
    const int64_t n = std::min<int64_t>(16, K - k);
    const __mmask16 m = static_cast<__mmask16>((1u << n) - 1);
    for (int r = 0; r < R; ++r) {
      __m512 wv;
      if constexpr (W == WeightType::F32) {
        wv = _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(w + r * w_stride) + k);
      } else {
        alignas(64) float wt[16];
        widen_tail<W>(w + r * w_stride, k, n, 16, wt);
        wv = _mm512_load_ps(wt);
      }
      for (int t = 0; t < NT; ++t)
        a0[r][t] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m, x + t * ldx + k), a0[r][t]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < NT; ++t) out[r * NT + t] = _mm512_reduce_add_ps(_mm512_add_ps(a0[r][t], a1[r][t]));
}

// ---- Dispatch ---------------------------------------------------------------------------------

struct RowKernels {
  DotsFn pair[kWeightTypes];    // two rows x kTokenBlock tokens, indexed by WeightType; null: none
  DotsFn block[kWeightTypes];   // one row x kTokenBlock tokens
  DotsFn single[kWeightTypes];  // one row x one token
  Isa isa;
};

bool cpu_has(Isa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case Isa::Scalar: return true;
    case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512: return __builtin_cpu_supports("avx512f");
  }
  return false;
}

RowKernels dense_kernels_for(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return {{dots_avx512<WeightType::F32, kTokenBlock, 2>, dots_avx512<WeightType::BF16, kTokenBlock, 2>},
              {dots_avx512<WeightType::F32, kTokenBlock, 1>, dots_avx512<WeightType::BF16, kTokenBlock, 1>},
              {dots_avx512<WeightType::F32, 1, 1>, dots_avx512<WeightType::BF16, 1, 1>},
              isa};
    case Isa::Avx2:
      return {{nullptr, nullptr},
              {dots_avx2<WeightType::F32, kTokenBlock>, dots_avx2<WeightType::BF16, kTokenBlock>},
              {dots_avx2<WeightType::F32, 1>, dots_avx2<WeightType::BF16, 1>},
              isa};
    case Isa::Scalar: break;
  }
  return {{nullptr, nullptr},
          {dots_scalar<WeightType::F32, kTokenBlock>, dots_scalar<WeightType::BF16, kTokenBlock>},
          {dots_scalar<WeightType::F32, 1>, dots_scalar<WeightType::BF16, 1>},
          Isa::Scalar};
}

RowKernels kernels_for(Isa isa) {
  return dense_kernels_for(isa);  // int4 and int8 have their own loop (matmul_q8)
}

RowKernels& kernels() {
  static RowKernels k = kernels_for(cpu_has(Isa::Avx512) ? Isa::Avx512
                                    : cpu_has(Isa::Avx2) ? Isa::Avx2
                                                         : Isa::Scalar);
  return k;
}

}  // namespace

Isa kernel_isa() {
  return kernels().isa;
}

bool set_kernel_isa(Isa isa) {
  if (!cpu_has(isa)) return false;
  kernels() = kernels_for(isa);
  return true;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

float dot_f32(const float* a, const float* b, int64_t n) {
  float out;
  kernels().single[0](reinterpret_cast<const uint8_t*>(a), 0, b, 0, n, &out);
  return out;
}

// Int4 and int8 weights: the activations are quantized to int8 once per call, then each row is
// applied to blocks of kTokenBlock tokens.
static void matmul_q8(ThreadPool& pool, const float* x, int64_t T, const Matrix& W, float* y) {
  const int64_t N = W.rows(), K = W.cols();
  // Reused across calls (decode runs hundreds of small matmuls per token). Workers must see the
  // calling thread's buffer: a lambda names a thread_local directly instead of capturing it, so
  // bind a plain reference first.
  thread_local Q8Acts buffer;
  Q8Acts& acts = buffer;
  quantize_acts_q8(x, T, K, acts);
  const Isa isa = kernel_isa();
  const bool int8 = W.type() == WeightType::Int8;
  const Q8DotsFn block = int8 ? int8_dots(isa, kTokenBlock) : int4_dots(isa, W.type(), kTokenBlock);
  const Q8DotsFn single = int8 ? int8_dots(isa, 1) : int4_dots(isa, W.type(), 1);
  const int64_t min_rows = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, K * T));
  pool.parallel_for(N, min_rows, [&](int64_t n0, int64_t n1) {
    float tmp[kTokenBlock];
    for (int64_t n = n0; n < n1; ++n) {
      int64_t t = 0;
      for (; t + kTokenBlock <= T; t += kTokenBlock) {
        block(W.row(n), acts, t, K, tmp);
        for (int i = 0; i < kTokenBlock; ++i) y[(t + i) * N + n] = tmp[i];
      }
      for (; t < T; ++t) single(W.row(n), acts, t, K, &y[t * N + n]);
    }
  });
}

void matmul(ThreadPool& pool, const float* x, int64_t T, const Matrix& W, float* y) {
  if (is_int4(W.type()) || W.type() == WeightType::Int8) return matmul_q8(pool, x, T, W, y);
  const int64_t N = W.rows(), K = W.cols();
  const size_t stride = W.row_bytes();
  const auto type = static_cast<size_t>(W.type());
  const DotsFn pair = kernels().pair[type], block = kernels().block[type], single = kernels().single[type];
  // Enough rows per range that waking a thread pays for itself (~64K multiply-adds).
  const int64_t min_rows = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, K * T));
  pool.parallel_for(N, min_rows, [&](int64_t n0, int64_t n1) {
    float tmp[2 * kTokenBlock];
    for (int64_t n = n0; n < n1;) {
      // Two rows at a time when the ISA has a pair kernel and there is a token block to share.
      const int rows = pair && n + 1 < n1 && T >= kTokenBlock ? 2 : 1;
      int64_t t = 0;
      for (; t + kTokenBlock <= T; t += kTokenBlock) {
        (rows == 2 ? pair : block)(W.row(n), stride, x + t * K, K, K, tmp);
        for (int r = 0; r < rows; ++r)
          for (int i = 0; i < kTokenBlock; ++i) y[(t + i) * N + n + r] = tmp[r * kTokenBlock + i];
      }
      for (; t < T; ++t)
        for (int r = 0; r < rows; ++r) single(W.row(n + r), stride, x + t * K, K, K, &y[t * N + n + r]);
      n += rows;
    }
  });
}

}  // namespace scout::cpu
