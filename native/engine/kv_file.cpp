// Saving a sequence's KV cache to disk and loading it back, so that reopening a workspace does
// not pay the prefill of a repository's shared prefix again.
//
// Layout (little-endian): a fixed header, then for each layer the K|V rows of the positions it
// holds, oldest first. Global (NoPE) layers hold [0, position); RoPE layers hold only what their
// ring still has, [ring_lo, position). Everything read is checked against the cache it is loaded
// into before any byte is copied: a file from another model, another shape or a truncated write
// is a typed error, never a crash or a silently wrong cache.
#include <cstring>
#include <istream>
#include <ostream>

#include "engine/error.hpp"
#include "engine/kv_cache.hpp"

namespace scout {

namespace {

constexpr char kMagic[8] = {'S', 'C', 'O', 'U', 'T', 'K', 'V', '1'};

struct Header {
  char magic[8];
  uint64_t model_id;
  int64_t layers, kv_width, chunk, ring_slots, position, ring_lo;
};

// The first position a RoPE layer's ring holds.
int64_t ring_low(int64_t position, int64_t ring_valid_from, int64_t slots) {
  return std::max<int64_t>(ring_valid_from, position - slots);
}

}  // namespace

void KvCache::save(std::ostream& out, uint64_t model_id) const {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.model_id = model_id;
  h.layers = static_cast<int64_t>(layers_.size());
  h.kv_width = kv_width_;
  h.chunk = chunk_;
  h.ring_slots = ring_slots_;
  h.position = position_;
  h.ring_lo = ring_low(position_, ring_valid_from_, ring_slots_);
  out.write(reinterpret_cast<const char*>(&h), sizeof h);
  const auto row_bytes = static_cast<std::streamsize>(2 * kv_width_ * sizeof(float));
  for (const Layer& l : layers_) {
    for (int64_t p = l.ring ? h.ring_lo : 0; p < position_; ++p)
      out.write(reinterpret_cast<const char*>(l.view.key(p)), row_bytes);  // K then V, adjacent
  }
  if (!out) throw Error(ErrorCode::Io, "could not write the KV cache file");
}

void KvCache::load(std::istream& in, uint64_t model_id, const std::string& path) {
  if (position_ != 0) throw Error(ErrorCode::InvalidArgument, "a KV cache file loads only into an empty sequence");
  Header h{};
  if (!in.read(reinterpret_cast<char*>(&h), sizeof h) || std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
    throw Error(ErrorCode::InvalidArgument, path + ": not a Scout KV cache file");
  if (h.model_id != model_id)
    throw Error(ErrorCode::InvalidArgument, path + ": KV cache of another model or weight format");
  if (h.layers != static_cast<int64_t>(layers_.size()) || h.kv_width != kv_width_ || h.chunk != chunk_)
    throw Error(ErrorCode::InvalidArgument, path + ": KV cache shape does not match the model");
  if (h.position < 0 || h.position > capacity_)
    throw Error(ErrorCode::InvalidArgument,
                path + ": KV cache holds " + std::to_string(h.position) + " positions, the sequence " +
                    std::to_string(capacity_));
  if (h.ring_lo != ring_low(h.position, h.ring_lo, ring_slots_) || h.ring_lo < 0 || h.ring_lo > h.position)
    throw Error(ErrorCode::InvalidArgument, path + ": KV cache ring does not fit this sequence");

  const auto row_bytes = static_cast<std::streamsize>(2 * kv_width_ * sizeof(float));
  for (Layer& l : layers_) {
    const int64_t from = l.ring ? h.ring_lo : 0;
    ensure_slots(l, from, h.position - from);
    for (int64_t p = from; p < h.position; ++p) {
      if (!in.read(reinterpret_cast<char*>(l.view.key(p)), row_bytes)) {
        // Leave the cache empty, as it was: nothing half-loaded is ever visible.
        position_ = 0;
        ring_valid_from_ = 0;
        throw Error(ErrorCode::InvalidArgument, path + ": KV cache file is truncated");
      }
    }
  }
  if (in.peek() != std::char_traits<char>::eof())
    throw Error(ErrorCode::InvalidArgument, path + ": KV cache file has trailing bytes");
  position_ = h.position;
  ring_valid_from_ = h.ring_lo;
}

}  // namespace scout
