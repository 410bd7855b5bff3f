// The chunk-aware KV cache of one sequence (shared/docs/llama4.md §7).
//
// RoPE layers attend only inside their attention chunk (C positions aligned to position 0), so
// each keeps a ring of min(C, capacity) slots: position p lives in slot p % slots. NoPE
// (global) layers keep the whole history, one slot per position. Pages of slots are allocated
// as positions are first written, so memory grows with the sequence only in the global layers
// and is bounded by one chunk per RoPE layer.
//
// Writes go straight into the cache; the model calls begin_eval() first, which saves the ring
// entries the new positions will overwrite while the current chunk still needs them, so that a
// cancelled or failed evaluation can be rolled back exactly (abort_eval).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "cpu/attention.hpp"
#include "cpu/matrix.hpp"
#include "engine/config.hpp"

namespace scout {

class KvCache {
 public:
  KvCache(const TextConfig& config, int64_t capacity);

  int64_t capacity() const { return capacity_; }
  int64_t position() const { return position_; }  // positions [0, position) are cached
  int64_t ring_slots() const { return ring_slots_; }
  uint64_t bytes() const;

  // Starts appending positions [position(), position() + n): allocates their slots and saves
  // what abort_eval needs. Throws Error(OutOfMemory).
  void begin_eval(int64_t n);
  // Where layer `layer` reads and writes; valid between begin_eval and commit/abort.
  const cpu::KvPages& layer(int64_t layer) const { return layers_[static_cast<size_t>(layer)].view; }
  // Stores K and V rows ([n, kv_width] each) of positions [p0, p0 + n) in one layer.
  void write(int64_t layer, int64_t p0, int64_t n, const float* k, const float* v);
  // Makes the appended positions visible (position() += n).
  void commit_eval();
  // Puts back every ring entry the evaluation overwrote; position() is unchanged.
  void abort_eval();

  // Writes the cached positions to `out` / reads them back into an empty cache of the same shape
  // (engine/kv_file.cpp). `model_id` ties a file to the weights it was computed with.
  void save(std::ostream& out, uint64_t model_id) const;
  void load(std::istream& in, uint64_t model_id, const std::string& path);

  // Forgets positions >= n; returns the new position (see Sequence::truncate: it is lower than
  // n when n falls in a chunk whose start has already left the rings).
  int64_t truncate(int64_t n);

 private:
  struct Layer {
    bool ring = false;
    int64_t slots = 0;
    int64_t page_slots = 0;
    std::vector<cpu::AlignedBytes> pages;
    std::vector<float*> page_ptrs;
    cpu::KvPages view;
  };
  void ensure_slots(Layer& layer, int64_t p0, int64_t n);
  size_t page_bytes(const Layer& layer) const;

  int64_t capacity_ = 0;
  int64_t chunk_ = 0;
  int64_t ring_slots_ = 0;
  int64_t kv_width_ = 0;
  std::vector<Layer> layers_;

  int64_t position_ = 0;
  // Lowest position whose ring entry is still intact (older ones were overwritten).
  int64_t ring_valid_from_ = 0;

  // The evaluation in progress.
  int64_t pending_ = 0;
  int64_t saved_from_ = 0, saved_to_ = 0;  // positions whose ring entries were saved
  std::vector<float> saved_;               // [ring layers][saved_to - saved_from][2 * kv_width]
};

}  // namespace scout
