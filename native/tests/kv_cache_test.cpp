// The chunk-aware KV cache: ring slots for RoPE layers, paged history for NoPE layers,
// all-or-nothing evaluation and truncation.
#include "engine/kv_cache.hpp"

#include <vector>

#include "engine/error.hpp"
#include "tests/check.hpp"

using namespace scout;

namespace {

// Layer 0 uses RoPE (chunk 4), layer 1 is global. One KV head of 2 values: kv_width 2.
TextConfig two_layer_config(int64_t chunk = 4) {
  TextConfig c;
  c.num_hidden_layers = 2;
  c.no_rope_layers = {1, 0};
  c.attention_chunk_size = chunk;
  c.num_key_value_heads = 1;
  c.head_dim = 2;
  return c;
}

// Appends n positions whose K row is (p, layer) and V row is (-p, layer), like an eval would.
void append(KvCache& cache, int64_t n, float tag = 0.0f) {
  const int64_t p0 = cache.position();
  cache.begin_eval(n);
  for (int64_t layer = 0; layer < 2; ++layer) {
    std::vector<float> k, v;
    for (int64_t p = p0; p < p0 + n; ++p) {
      k.insert(k.end(), {float(p) + tag, float(layer)});
      v.insert(v.end(), {-float(p) - tag, float(layer)});
    }
    cache.write(layer, p0, n, k.data(), v.data());
  }
  cache.commit_eval();
}

bool holds(const KvCache& cache, int64_t layer, int64_t pos) {
  const cpu::KvPages& view = cache.layer(layer);
  return view.key(pos)[0] == float(pos) && view.key(pos)[1] == float(layer) &&
         view.value(pos)[0] == -float(pos);
}

}  // namespace

SCOUT_TEST(kv_cache_rope_layers_ring_over_one_chunk_global_layers_keep_everything) {
  KvCache cache(two_layer_config(), 100);
  CHECK(cache.ring_slots() == 4);
  append(cache, 3);
  append(cache, 7);  // positions 3..9: the ring has wrapped twice
  CHECK(cache.position() == 10);
  for (int64_t p = 6; p < 10; ++p) CHECK(holds(cache, 0, p));  // the last 4 positions
  for (int64_t p = 0; p < 10; ++p) CHECK(holds(cache, 1, p));  // the whole history
  // A capacity below the chunk needs no more ring slots than positions.
  KvCache small(two_layer_config(), 3);
  CHECK(small.ring_slots() == 3);
  CHECK_THROWS_CODE(KvCache(two_layer_config(), 0), ErrorCode::InvalidArgument);
}

SCOUT_TEST(kv_cache_memory_grows_with_position_only_in_global_layers) {
  KvCache cache(two_layer_config(), 2000);
  CHECK(cache.bytes() == 0);  // nothing allocated before use
  append(cache, 1);
  const uint64_t ring_bytes = 4 * 2 * 2 * sizeof(float);     // 4 slots of K + V
  const uint64_t global_page = 256 * 2 * 2 * sizeof(float);  // one 256-position page
  CHECK(cache.bytes() == ring_bytes + global_page);
  append(cache, 600);  // 601 positions: 3 global pages, the same ring
  CHECK(cache.bytes() == ring_bytes + 3 * global_page);
  // Truncation gives back whole pages of the global layers.
  CHECK(cache.truncate(300) == 300);
  CHECK(cache.bytes() == ring_bytes + 2 * global_page);
}

SCOUT_TEST(kv_cache_abort_restores_ring_entries_the_current_chunk_needs) {
  KvCache cache(two_layer_config(), 100);
  append(cache, 6);  // chunk 1 holds positions 4, 5
  // Positions 6..10 cross into chunk 2; writing 8 and 9 reuses the slots of 4 and 5.
  cache.begin_eval(5);
  std::vector<float> garbage(5 * 2, 99.0f);
  cache.write(0, 6, 5, garbage.data(), garbage.data());
  cache.write(1, 6, 5, garbage.data(), garbage.data());
  CHECK(!holds(cache, 0, 4));
  cache.abort_eval();
  CHECK(cache.position() == 6);
  CHECK(holds(cache, 0, 4));
  CHECK(holds(cache, 0, 5));
  for (int64_t p = 0; p < 6; ++p) CHECK(holds(cache, 1, p));
  // The cache goes on as if the aborted evaluation never happened.
  append(cache, 5);
  for (int64_t p = 8; p < 11; ++p) CHECK(holds(cache, 0, p));
}

SCOUT_TEST(kv_cache_truncate_keeps_what_the_rings_still_hold) {
  KvCache cache(two_layer_config(), 100);
  append(cache, 14);                // ring holds 10..13; chunk of 13 is 12..15
  CHECK(cache.truncate(13) == 13);  // 12 is still in the ring
  CHECK(cache.truncate(11) == 8);   // 8, 9 have left the ring: back to chunk start 8
  CHECK(cache.position() == 8);
  append(cache, 3);
  CHECK(cache.truncate(10) == 10);  // 8, 9 were rewritten: available again
  CHECK(holds(cache, 0, 8));
  CHECK(cache.truncate(50) == 10);  // never grows
  CHECK_THROWS_CODE(cache.truncate(-1), ErrorCode::InvalidArgument);
}
