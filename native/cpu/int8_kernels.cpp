// Int8 row kernels (weights: cpu/int8.hpp; activations: Q8Acts in cpu/row_kernels.hpp), w8a8.
//
// Each group of 128 gives an exact integer dot Σ w_j · qx_j, scaled by the group's activation
// scale; the row's weight scale multiplies the sum once at the end. The unsigned-by-signed byte
// products of vpdpbusd / vpmaddubsw take |w| and qx with w's sign (|w| ≤ 127, so a pair of
// products, at most 2 · 127 · 127, fits the 16-bit lanes of vpmaddubsw). A partial last group is
// scalar on every ISA, since rows are not padded.
#include <immintrin.h>

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>

#include "cpu/int4.hpp"
#include "cpu/int8.hpp"
#include "cpu/row_kernels.hpp"

namespace scout::cpu {
namespace {

// The integer dot of weights [k0, k0 + n) with the activations of that group.
inline int32_t group_dot_scalar(const uint8_t* w, const int8_t* q, int64_t n) {
  int32_t dot = 0;
  for (int64_t j = 0; j < n; ++j) dot += static_cast<int8_t>(w[j]) * q[j];
  return dot;
}

inline const int8_t* group_acts(const Q8Acts& a, int64_t t, int64_t g) {
  return &a.q[static_cast<size_t>((t * a.groups + g) * kInt4Group)];
}

inline float group_scale(const Q8Acts& a, int64_t t, int64_t g) {
  return a.scale[static_cast<size_t>(t * a.groups + g)];
}

// The partial last group (scalar), added to acc.
inline float partial_group(const uint8_t* w, const Q8Acts& a, int64_t t, int64_t K) {
  const int64_t g = K / kInt4Group, k0 = g * kInt4Group;
  if (k0 == K) return 0.0f;
  return static_cast<float>(group_dot_scalar(w + k0, group_acts(a, t, g), K - k0)) * group_scale(a, t, g);
}

template <int NT>
void int8_dots_scalar(const uint8_t* w, const Q8Acts& a, int64_t t0, int64_t K, float* out) {
  const float ws = int8_scale(w, K);
  for (int i = 0; i < NT; ++i) {
    const int64_t t = t0 + i;
    float acc = 0.0f;
    for (int64_t g = 0; g < K / kInt4Group; ++g)
      acc += static_cast<float>(group_dot_scalar(w + g * kInt4Group, group_acts(a, t, g), kInt4Group)) *
             group_scale(a, t, g);
    out[i] = (acc + partial_group(w, a, t, K)) * ws;
  }
}

template <int NT>
__attribute__((target("avx2,fma"))) void int8_dots_avx2(const uint8_t* w, const Q8Acts& a, int64_t t0,
                                                        int64_t K, float* out) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[NT];
  for (int i = 0; i < NT; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t g = 0; g < K / kInt4Group; ++g) {
    __m256i wv[4], aw[4];
    for (int c = 0; c < 4; ++c) {
      wv[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kInt4Group + 32 * c));
      aw[c] = _mm256_abs_epi8(wv[c]);
    }
    for (int i = 0; i < NT; ++i) {
      const auto* x = reinterpret_cast<const __m256i*>(group_acts(a, t0 + i, g));
      __m256i dot = _mm256_setzero_si256();
      for (int c = 0; c < 4; ++c) {
        const __m256i p16 = _mm256_maddubs_epi16(aw[c], _mm256_sign_epi8(_mm256_loadu_si256(x + c), wv[c]));
        dot = _mm256_add_epi32(dot, _mm256_madd_epi16(p16, ones));
      }
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(group_scale(a, t0 + i, g)), acc[i]);
    }
  }
  const float ws = int8_scale(w, K);
  for (int i = 0; i < NT; ++i) {
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(acc[i]), _mm256_extractf128_ps(acc[i], 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    out[i] = (_mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d))) + partial_group(w, a, t0 + i, K)) * ws;
  }
}

template <int NT>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void int8_dots_vnni(const uint8_t* w, const Q8Acts& a,
                                                                           int64_t t0, int64_t K,
                                                                           float* out) {
  __m512 acc[NT];
  for (int i = 0; i < NT; ++i) acc[i] = _mm512_setzero_ps();
  for (int64_t g = 0; g < K / kInt4Group; ++g) {
    const __m512i w0 = _mm512_loadu_si512(w + g * kInt4Group),
                  w1 = _mm512_loadu_si512(w + g * kInt4Group + 64);
    const __m512i a0 = _mm512_abs_epi8(w0), a1 = _mm512_abs_epi8(w1);
    const __mmask64 n0 = _mm512_movepi8_mask(w0), n1 = _mm512_movepi8_mask(w1);  // negative weights
    for (int i = 0; i < NT; ++i) {
      const int8_t* q = group_acts(a, t0 + i, g);
      const __m512i x0 = _mm512_loadu_si512(q), x1 = _mm512_loadu_si512(q + 64);
      const __m512i s0 = _mm512_mask_sub_epi8(x0, n0, _mm512_setzero_si512(), x0);
      const __m512i s1 = _mm512_mask_sub_epi8(x1, n1, _mm512_setzero_si512(), x1);
      const __m512i dot = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), a0, s0), a1, s1);
      acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_set1_ps(group_scale(a, t0 + i, g)), acc[i]);
    }
  }
  const float ws = int8_scale(w, K);
  for (int i = 0; i < NT; ++i) out[i] = (_mm512_reduce_add_ps(acc[i]) + partial_group(w, a, t0 + i, K)) * ws;
}

}  // namespace

Q8DotsFn int8_dots(Isa isa, int tokens) {
  const bool block = tokens == kTokenBlock;
  if (isa == Isa::Avx512 && cpu_has_vnni()) return block ? int8_dots_vnni<kTokenBlock> : int8_dots_vnni<1>;
  if (isa != Isa::Scalar) return block ? int8_dots_avx2<kTokenBlock> : int8_dots_avx2<1>;
  return block ? int8_dots_scalar<kTokenBlock> : int8_dots_scalar<1>;
}

}  // namespace scout::cpu
