// Int4 row kernels (weights: cpu/int4.hpp; activations: Q8Acts in cpu/row_kernels.hpp), w4a8.
//
// For group g of a row and token t the integer dot  I = Σ_j nibble_j · qx_j  is exact (nibbles
// are q + 8 in 0..15, qx the int8 activations), so the group contributes
//   (I − 8 · Σ qx) · scale_w · scale_x
// and every ISA computes the same integers; only the order of the f32 accumulation over groups
// differs. AVX-512 VNNI multiplies 64 nibbles by 64 int8 activations per vpdpbusd; AVX2 uses
// vpmaddubsw (at most 2 · 15 · 127 per 16-bit lane, far from saturating).
#include <immintrin.h>

// GCC 12's AVX-512 intrinsic headers seed some conversions with deliberately undefined
// registers (_mm512_undefined_*), which -Wuninitialized reports inside the header.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cmath>

#include "cpu/int4.hpp"
#include "cpu/row_kernels.hpp"

namespace scout::cpu {

void quantize_acts_q8(const float* x, int64_t T, int64_t K, Q8Acts& out) {
  const int64_t G = int4_groups(K);
  out.groups = G;
  out.q.assign(static_cast<size_t>(T * G * kInt4Group), 0);
  out.scale.resize(static_cast<size_t>(T * G));
  out.sum.resize(static_cast<size_t>(T * G));
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t g = 0; g < G; ++g) {
      const float* xg = x + t * K + g * kInt4Group;
      const int64_t n = std::min(kInt4Group, K - g * kInt4Group);
      float absmax = 0.0f;
      for (int64_t i = 0; i < n; ++i) absmax = std::max(absmax, std::fabs(xg[i]));
      const float scale = absmax / 127.0f;
      const float inv = absmax > 0.0f ? 127.0f / absmax : 0.0f;
      int8_t* q = &out.q[static_cast<size_t>((t * G + g) * kInt4Group)];
      int32_t sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(xg[i] * inv), -127.0f, 127.0f));
        sum += q[i];
      }
      out.scale[static_cast<size_t>(t * G + g)] = scale;
      out.sum[static_cast<size_t>(t * G + g)] = sum;
    }
  }
}

namespace {

// The group's combined scale and its offset correction for token t.
template <WeightType W>
inline void group_terms(const uint8_t* w, const Q8Acts& a, int64_t t, int64_t K, int64_t g, float* scale,
                        float* offset) {
  const size_t i = static_cast<size_t>(t * a.groups + g);
  *scale = int4_scale(W, w, K, g) * a.scale[i];
  *offset = 8.0f * static_cast<float>(a.sum[i]);
}

// Scalar: any x86-64, and the reference the SIMD paths are tested against.
template <WeightType W, int NT>
void int4_dots_scalar(const uint8_t* w, const Q8Acts& a, int64_t t0, int64_t K, float* out) {
  for (int i = 0; i < NT; ++i) {
    const int64_t t = t0 + i;
    float acc = 0.0f;
    for (int64_t g = 0; g < a.groups; ++g) {
      const uint8_t* b = w + g * kInt4GroupBytes;
      const int8_t* q = &a.q[static_cast<size_t>((t * a.groups + g) * kInt4Group)];
      int32_t dot = 0;
      for (int64_t j = 0; j < kInt4GroupBytes; ++j)
        dot += (b[j] & 0x0F) * q[j] + (b[j] >> 4) * q[j + kInt4GroupBytes];
      float scale, offset;
      group_terms<W>(w, a, t, K, g, &scale, &offset);
      acc += (static_cast<float>(dot) - offset) * scale;
    }
    out[i] = acc;
  }
}

// AVX2: 32 nibble bytes at a time; maddubs gives 16-bit pair sums, madd with ones 32-bit sums.
template <WeightType W, int NT>
__attribute__((target("avx2,fma"))) void int4_dots_avx2(const uint8_t* w, const Q8Acts& a, int64_t t0,
                                                        int64_t K, float* out) {
  const __m256i low4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  __m256 acc[NT];
  float offsets[NT] = {};
  for (int i = 0; i < NT; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t g = 0; g < a.groups; ++g) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kInt4GroupBytes));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kInt4GroupBytes + 32));
    const __m256i lo0 = _mm256_and_si256(b0, low4), lo1 = _mm256_and_si256(b1, low4);
    const __m256i hi0 = _mm256_and_si256(_mm256_srli_epi16(b0, 4), low4);
    const __m256i hi1 = _mm256_and_si256(_mm256_srli_epi16(b1, 4), low4);
    for (int i = 0; i < NT; ++i) {
      const int64_t t = t0 + i;
      const int8_t* q = &a.q[static_cast<size_t>((t * a.groups + g) * kInt4Group)];
      const __m256i* x = reinterpret_cast<const __m256i*>(q);  // 4 x 32 activations
      // Four 16-bit partial sums of at most 3810 each: their sum still fits in 16 bits.
      const __m256i s16 =
          _mm256_add_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(lo0, _mm256_loadu_si256(x)),
                                            _mm256_maddubs_epi16(lo1, _mm256_loadu_si256(x + 1))),
                           _mm256_add_epi16(_mm256_maddubs_epi16(hi0, _mm256_loadu_si256(x + 2)),
                                            _mm256_maddubs_epi16(hi1, _mm256_loadu_si256(x + 3))));
      const __m256 dot = _mm256_cvtepi32_ps(_mm256_madd_epi16(s16, ones));
      float scale, offset;
      group_terms<W>(w, a, t, K, g, &scale, &offset);
      acc[i] = _mm256_fmadd_ps(dot, _mm256_set1_ps(scale), acc[i]);
      offsets[i] += offset * scale;
    }
  }
  for (int i = 0; i < NT; ++i) {
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(acc[i]), _mm256_extractf128_ps(acc[i], 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    out[i] = _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d))) - offsets[i];
  }
}

// AVX-512 VNNI: one vpdpbusd per 64 nibbles (low nibbles with activations 0..63, high with 64..127).
template <WeightType W, int NT>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void int4_dots_vnni(const uint8_t* w, const Q8Acts& a,
                                                                           int64_t t0, int64_t K,
                                                                           float* out) {
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  __m512 acc[NT];
  float offsets[NT] = {};
  for (int i = 0; i < NT; ++i) acc[i] = _mm512_setzero_ps();
  for (int64_t g = 0; g < a.groups; ++g) {
    const __m512i b = _mm512_loadu_si512(w + g * kInt4GroupBytes);
    const __m512i lo = _mm512_and_si512(b, low4), hi = _mm512_and_si512(_mm512_srli_epi16(b, 4), low4);
    for (int i = 0; i < NT; ++i) {
      const int64_t t = t0 + i;
      const int8_t* q = &a.q[static_cast<size_t>((t * a.groups + g) * kInt4Group)];
      __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_loadu_si512(q));
      dot = _mm512_dpbusd_epi32(dot, hi, _mm512_loadu_si512(q + kInt4GroupBytes));
      float scale, offset;
      group_terms<W>(w, a, t, K, g, &scale, &offset);
      acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_set1_ps(scale), acc[i]);
      offsets[i] += offset * scale;
    }
  }
  for (int i = 0; i < NT; ++i) out[i] = _mm512_reduce_add_ps(acc[i]) - offsets[i];
}

template <WeightType W>
Q8DotsFn pick(Isa isa, int tokens) {
  const bool block = tokens == kTokenBlock;
  if (isa == Isa::Avx512 && cpu_has_vnni())
    return block ? int4_dots_vnni<W, kTokenBlock> : int4_dots_vnni<W, 1>;
  if (isa != Isa::Scalar) return block ? int4_dots_avx2<W, kTokenBlock> : int4_dots_avx2<W, 1>;
  return block ? int4_dots_scalar<W, kTokenBlock> : int4_dots_scalar<W, 1>;
}

}  // namespace

bool cpu_has_vnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
}

Q8DotsFn int4_dots(Isa isa, WeightType type, int tokens) {
  return type == WeightType::Int4F32 ? pick<WeightType::Int4F32>(isa, tokens)
                                     : pick<WeightType::Int4>(isa, tokens);
}

}  // namespace scout::cpu
