#include "engine/kv_cache.hpp"

#include <algorithm>
#include <cstring>

#include "engine/error.hpp"

namespace scout {

namespace {
constexpr int64_t kMaxPageSlots = 256;  // positions per page: small enough to grow in, large enough to stream
}

KvCache::KvCache(const TextConfig& config, int64_t capacity)
    : capacity_(capacity),
      chunk_(config.attention_chunk_size),
      // Without chunking (chunk 0) a RoPE layer would need the whole history like a global one.
      ring_slots_(config.attention_chunk_size > 0 ? std::min(config.attention_chunk_size, capacity)
                                                  : capacity),
      kv_width_(config.num_key_value_heads * config.head_dim) {
  if (capacity < 1) throw Error(ErrorCode::InvalidArgument, "sequence capacity must be at least 1");
  layers_.resize(static_cast<size_t>(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    Layer& l = layers_[static_cast<size_t>(i)];
    l.ring = config.uses_rope(i);
    l.slots = l.ring ? ring_slots_ : capacity;
    l.page_slots = std::min(kMaxPageSlots, l.slots);
    const size_t n_pages = static_cast<size_t>((l.slots + l.page_slots - 1) / l.page_slots);
    l.pages.resize(n_pages);
    l.page_ptrs.assign(n_pages, nullptr);
    l.view = {l.page_ptrs.data(), l.page_slots, l.slots, kv_width_};
  }
}

size_t KvCache::page_bytes(const Layer& l) const {
  return static_cast<size_t>(l.page_slots) * 2 * static_cast<size_t>(kv_width_) * sizeof(float);
}

uint64_t KvCache::bytes() const {
  uint64_t total = 0;
  for (const Layer& l : layers_)
    for (const auto& p : l.pages) total += p.size();
  return total;
}

void KvCache::ensure_slots(Layer& l, int64_t p0, int64_t n) {
  // Positions [p0, p0+n) touch every slot once n >= slots; otherwise a (possibly wrapping) run.
  for (int64_t i = 0; i < std::min(n, l.slots); ++i) {
    const size_t page = static_cast<size_t>(((p0 + i) % l.slots) / l.page_slots);
    if (l.page_ptrs[page]) continue;
    l.pages[page] = cpu::AlignedBytes(page_bytes(l));
    l.page_ptrs[page] = reinterpret_cast<float*>(l.pages[page].data());
  }
}

void KvCache::begin_eval(int64_t n) {
  const int64_t p0 = position_;
  for (Layer& l : layers_) ensure_slots(l, p0, n);

  // The chunk of p0 still needs positions [chunk start, p0) from the rings. Writing position p
  // overwrites position p - ring_slots, so those with q + ring_slots < p0 + n get clobbered.
  const int64_t chunk_start = chunk_ > 0 ? p0 / chunk_ * chunk_ : 0;
  saved_from_ = std::max(chunk_start, ring_valid_from_);
  saved_to_ = std::max(saved_from_, std::min(p0, p0 + n - ring_slots_));
  const size_t row = 2 * static_cast<size_t>(kv_width_);
  saved_.clear();
  for (const Layer& l : layers_) {
    if (!l.ring) continue;
    for (int64_t q = saved_from_; q < saved_to_; ++q) {
      const float* k = l.view.key(q);
      saved_.insert(saved_.end(), k, k + row);
    }
  }
  pending_ = n;
}

void KvCache::write(int64_t layer, int64_t p0, int64_t n, const float* k, const float* v) {
  const cpu::KvPages& view = layers_[static_cast<size_t>(layer)].view;
  const size_t bytes = static_cast<size_t>(kv_width_) * sizeof(float);
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(view.key(p0 + i), k + i * kv_width_, bytes);
    std::memcpy(view.value(p0 + i), v + i * kv_width_, bytes);
  }
}

void KvCache::commit_eval() {
  position_ += pending_;
  ring_valid_from_ = std::max(ring_valid_from_, position_ - ring_slots_);
  pending_ = 0;
  saved_.clear();
}

void KvCache::abort_eval() {
  const size_t row = 2 * static_cast<size_t>(kv_width_);
  const float* src = saved_.data();
  for (Layer& l : layers_) {
    if (!l.ring) continue;
    for (int64_t q = saved_from_; q < saved_to_; ++q, src += row)
      std::memcpy(l.view.key(q), src, row * sizeof(float));
  }
  pending_ = 0;
  saved_.clear();
}

int64_t KvCache::truncate(int64_t n) {
  if (n < 0)
    throw Error(ErrorCode::InvalidArgument, "truncate: position must be >= 0, got " + std::to_string(n));
  int64_t keep = std::min(n, position_);
  // A query at `keep` needs the ring entries of [chunk start, keep); if some have been
  // overwritten, fall back to the chunk start, where nothing earlier is needed.
  const int64_t chunk_start = chunk_ > 0 ? keep / chunk_ * chunk_ : 0;
  if (chunk_start < ring_valid_from_) {
    keep = chunk_start;
    ring_valid_from_ = chunk_start;
  }
  position_ = keep;
  // Give back the global layers' pages that hold only forgotten positions.
  for (Layer& l : layers_) {
    if (l.ring) continue;
    for (size_t p = static_cast<size_t>((keep + l.page_slots - 1) / l.page_slots); p < l.pages.size(); ++p) {
      l.pages[p] = cpu::AlignedBytes();
      l.page_ptrs[p] = nullptr;
    }
  }
  return keep;
}

}  // namespace scout
