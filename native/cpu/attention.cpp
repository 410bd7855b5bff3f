#include "cpu/attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/matmul.hpp"

namespace scout::cpu {

void attention(ThreadPool& pool, const AttentionParams& params, const KvPages& kv, const float* q, int64_t p0,
               int64_t T, float* out) {
  const int64_t H = params.n_heads, d = params.head_dim;
  const int64_t group = H / params.n_kv_heads;
  // One work item per (token, head): each output row is computed by one thread, start to end.
  pool.parallel_for(T * H, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t t = item / H, h = item % H;
      const int64_t pq = p0 + t;
      const int64_t first = first_visible_key(pq, params.chunk);
      const int64_t kv_off = (h / group) * d;
      const float* qh = q + t * H * d + h * d;
      float* oh = out + t * H * d + h * d;

      scores.resize(static_cast<size_t>(pq - first + 1));
      float max_score = -INFINITY;
      for (int64_t pk = first; pk <= pq; ++pk) {
        const float s = dot_f32(qh, kv.key(pk) + kv_off, d) * params.scale;
        scores[static_cast<size_t>(pk - first)] = s;
        max_score = std::max(max_score, s);
      }
      float denom = 0.0f;
      for (float& s : scores) {
        s = std::exp(s - max_score);
        denom += s;
      }
      std::fill(oh, oh + d, 0.0f);
      for (int64_t pk = first; pk <= pq; ++pk) {
        const float w = scores[static_cast<size_t>(pk - first)];
        const float* v = kv.value(pk) + kv_off;
        for (int64_t i = 0; i < d; ++i) oh[i] += w * v[i];
      }
      const float inv = 1.0f / denom;
      for (int64_t i = 0; i < d; ++i) oh[i] *= inv;
    }
  });
}

}  // namespace scout::cpu
