// Int4 row kernels (layout: cpu/int4.hpp): dot products of group-128 int4 weight rows with f32
// activations. Each group's integer weights are widened to f32 once and shared by all NT tokens;
// a token accumulates q·x over the group, then adds that partial sum times the group's scale
// (one multiply per 128 weights instead of one per weight). A partial last group goes through
// the same scalar code on every ISA.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsic headers seed some conversions with deliberately undefined
// registers (_mm512_undefined_*), which -Wuninitialized reports inside the header.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>

#include "cpu/int4.hpp"
#include "cpu/row_kernels.hpp"

namespace scout::cpu {
namespace {

// The partial last group (fewer than 128 weights), scalar, added to acc[t].
template <WeightType W, int NT>
inline void partial_group(const uint8_t* w, const float* x, int64_t ldx, int64_t K, float* acc) {
  const int64_t g = K / kInt4Group, k0 = g * kInt4Group, n = K - k0;
  if (n == 0) return;
  float q[kInt4Group];
  int4_unpack_group(w, g, q);
  const float s = int4_scale(W, w, K, g);
  for (int t = 0; t < NT; ++t) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += q[i] * x[t * ldx + k0 + i];
    acc[t] += sum * s;
  }
}

// Scalar: any x86-64, and the reference the SIMD paths are tested against.
template <WeightType W, int NT>
void int4_dots_scalar(const uint8_t* w, size_t, const float* x, int64_t ldx, int64_t K, float* out) {
  float acc[NT] = {};
  float q[kInt4Group];
  for (int64_t g = 0; g < K / kInt4Group; ++g) {
    int4_unpack_group(w, g, q);
    const float s = int4_scale(W, w, K, g);
    for (int t = 0; t < NT; ++t) {
      const float* xg = x + t * ldx + g * kInt4Group;
      float sum = 0.0f;
      for (int64_t i = 0; i < kInt4Group; ++i) sum += q[i] * xg[i];
      acc[t] += sum * s;
    }
  }
  partial_group<W, NT>(w, x, ldx, K, acc);
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

// AVX2 + FMA: a group is four 16-byte chunks; chunk c holds weights 16c..16c+15 (low nibbles) and
// 64+16c..64+16c+15 (high nibbles), widened 8 at a time.
__attribute__((target("avx2,fma"))) inline __m256 widen8(__m128i nibbles) {
  return _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(nibbles), _mm256_set1_epi32(8)));
}

template <WeightType W, int NT>
__attribute__((target("avx2,fma"))) void int4_dots_avx2(const uint8_t* w, size_t, const float* x, int64_t ldx,
                                                        int64_t K, float* out) {
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  const __m128i low4 = _mm_set1_epi8(0x0F);
  for (int64_t g = 0; g < K / kInt4Group; ++g) {
    const uint8_t* bytes = w + g * kInt4GroupBytes;
    const int64_t k0 = g * kInt4Group;
    __m256 sum[NT];
    for (int t = 0; t < NT; ++t) sum[t] = _mm256_setzero_ps();
    for (int c = 0; c < 4; ++c) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + 16 * c));
      const __m128i lo = _mm_and_si128(b, low4), hi = _mm_and_si128(_mm_srli_epi16(b, 4), low4);
      const __m256 w0 = widen8(lo), w1 = widen8(_mm_srli_si128(lo, 8));
      const __m256 w2 = widen8(hi), w3 = widen8(_mm_srli_si128(hi, 8));
      for (int t = 0; t < NT; ++t) {
        const float* xl = x + t * ldx + k0 + 16 * c;
        const float* xh = xl + kInt4GroupBytes;
        sum[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xl), sum[t]);
        sum[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xl + 8), sum[t]);
        sum[t] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(xh), sum[t]);
        sum[t] = _mm256_fmadd_ps(w3, _mm256_loadu_ps(xh + 8), sum[t]);
      }
    }
    const __m256 s = _mm256_set1_ps(int4_scale(W, w, K, g));
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_fmadd_ps(sum[t], s, acc[t]);
  }
  float tail[NT] = {};
  partial_group<W, NT>(w, x, ldx, K, tail);
  for (int t = 0; t < NT; ++t) {
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(acc[t]), _mm256_extractf128_ps(acc[t], 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    out[t] = _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d))) + tail[t];
  }
}

// AVX-512F: the 64 bytes of a group in one load; 16-byte lanes i of the low and high nibbles are
// weights 16i.. and 64+16i.., widened 16 at a time.
__attribute__((target("avx512f"))) inline __m512 widen16(__m128i nibbles) {
  return _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(nibbles), _mm512_set1_epi32(8)));
}

template <WeightType W, int NT>
__attribute__((target("avx512f"))) void int4_dots_avx512(const uint8_t* w, size_t, const float* x,
                                                         int64_t ldx, int64_t K, float* out) {
  __m512 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int64_t g = 0; g < K / kInt4Group; ++g) {
    const __m512i b = _mm512_loadu_si512(w + g * kInt4GroupBytes);
    const __m512i lo = _mm512_and_si512(b, low4), hi = _mm512_and_si512(_mm512_srli_epi64(b, 4), low4);
    const __m512 wv[8] = {
        widen16(_mm512_extracti32x4_epi32(lo, 0)), widen16(_mm512_extracti32x4_epi32(lo, 1)),
        widen16(_mm512_extracti32x4_epi32(lo, 2)), widen16(_mm512_extracti32x4_epi32(lo, 3)),
        widen16(_mm512_extracti32x4_epi32(hi, 0)), widen16(_mm512_extracti32x4_epi32(hi, 1)),
        widen16(_mm512_extracti32x4_epi32(hi, 2)), widen16(_mm512_extracti32x4_epi32(hi, 3))};
    const __m512 s = _mm512_set1_ps(int4_scale(W, w, K, g));
    for (int t = 0; t < NT; ++t) {
      const float* xg = x + t * ldx + g * kInt4Group;
      // Two chains of four, so consecutive FMAs do not wait on each other.
      __m512 s0 = _mm512_mul_ps(wv[0], _mm512_loadu_ps(xg));
      __m512 s1 = _mm512_mul_ps(wv[1], _mm512_loadu_ps(xg + 16));
      for (int i = 2; i < 8; i += 2) {
        s0 = _mm512_fmadd_ps(wv[i], _mm512_loadu_ps(xg + 16 * i), s0);
        s1 = _mm512_fmadd_ps(wv[i + 1], _mm512_loadu_ps(xg + 16 * i + 16), s1);
      }
      acc[t] = _mm512_fmadd_ps(_mm512_add_ps(s0, s1), s, acc[t]);
    }
  }
  float tail[NT] = {};
  partial_group<W, NT>(w, x, ldx, K, tail);
  for (int t = 0; t < NT; ++t) out[t] = _mm512_reduce_add_ps(acc[t]) + tail[t];
}

template <WeightType W>
DotsFn pick(Isa isa, int tokens) {
  const bool block = tokens == kTokenBlock;
  switch (isa) {
    case Isa::Avx512: return block ? int4_dots_avx512<W, kTokenBlock> : int4_dots_avx512<W, 1>;
    case Isa::Avx2: return block ? int4_dots_avx2<W, kTokenBlock> : int4_dots_avx2<W, 1>;
    case Isa::Scalar: break;
  }
  return block ? int4_dots_scalar<W, kTokenBlock> : int4_dots_scalar<W, 1>;
}

}  // namespace

DotsFn int4_dots(Isa isa, WeightType type, int tokens) {
  return type == WeightType::Int4F32 ? pick<WeightType::Int4F32>(isa, tokens)
                                     : pick<WeightType::Int4>(isa, tokens);
}

}  // namespace scout::cpu
