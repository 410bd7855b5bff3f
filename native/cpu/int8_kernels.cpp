// Int8 row kernels (layout: cpu/int8.hpp): each token accumulates q·x in f32 over the row and
// multiplies by the row's scale once at the end. The tail past the last whole vector is scalar.
#include <immintrin.h>

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "cpu/int8.hpp"
#include "cpu/row_kernels.hpp"

namespace scout::cpu {
namespace {

inline float q_at(const uint8_t* w, int64_t k) {
  return static_cast<float>(static_cast<int8_t>(w[k]));
}

template <int NT>
void int8_dots_scalar(const uint8_t* w, size_t, const float* x, int64_t ldx, int64_t K, float* out) {
  float acc[NT] = {};
  for (int64_t k = 0; k < K; ++k)
    for (int t = 0; t < NT; ++t) acc[t] += q_at(w, k) * x[t * ldx + k];
  const float s = int8_scale(w, K);
  for (int t = 0; t < NT; ++t) out[t] = acc[t] * s;
}

template <int NT>
__attribute__((target("avx2,fma"))) void int8_dots_avx2(const uint8_t* w, size_t, const float* x, int64_t ldx,
                                                        int64_t K, float* out) {
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + k));
    const __m256 wv = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + t * ldx + k), acc[t]);
  }
  const float s = int8_scale(w, K);
  for (int t = 0; t < NT; ++t) {
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(acc[t]), _mm256_extractf128_ps(acc[t], 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    float sum = _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
    for (int64_t i = k; i < K; ++i) sum += q_at(w, i) * x[t * ldx + i];
    out[t] = sum * s;
  }
}

template <int NT>
__attribute__((target("avx512f"))) void int8_dots_avx512(const uint8_t* w, size_t, const float* x,
                                                         int64_t ldx, int64_t K, float* out) {
  __m512 a0[NT], a1[NT];  // two chains per token so consecutive FMAs do not wait on each other
  for (int t = 0; t < NT; ++t) a0[t] = a1[t] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + k));
    const __m512 w0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q)));
    const __m512 w1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1)));
    for (int t = 0; t < NT; ++t) {
      a0[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + t * ldx + k), a0[t]);
      a1[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + t * ldx + k + 16), a1[t]);
    }
  }
  const float s = int8_scale(w, K);
  for (int t = 0; t < NT; ++t) {
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(a0[t], a1[t]));
    for (int64_t i = k; i < K; ++i) sum += q_at(w, i) * x[t * ldx + i];
    out[t] = sum * s;
  }
}

}  // namespace

DotsFn int8_dots(Isa isa, int tokens) {
  const bool block = tokens == kTokenBlock;
  switch (isa) {
    case Isa::Avx512: return block ? int8_dots_avx512<kTokenBlock> : int8_dots_avx512<1>;
    case Isa::Avx2: return block ? int8_dots_avx2<kTokenBlock> : int8_dots_avx2<1>;
    case Isa::Scalar: break;
  }
  return block ? int8_dots_scalar<kTokenBlock> : int8_dots_scalar<1>;
}

}  // namespace scout::cpu
