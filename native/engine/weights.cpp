#include "engine/weights.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/error.hpp"

namespace scout {
namespace {

// The storage type of each kind of matrix in a format (model.hpp).
struct Storage {
  cpu::WeightType attention, experts, dense, lm_head, other;  // other: embeddings, router
};

Storage storage_for(WeightFormat format) {
  using cpu::WeightType;
  switch (format) {
    case WeightFormat::F32:
      return {WeightType::F32, WeightType::F32, WeightType::F32, WeightType::F32, WeightType::F32};
    case WeightFormat::BF16:
      return {WeightType::BF16, WeightType::BF16, WeightType::BF16, WeightType::BF16, WeightType::BF16};
    case WeightFormat::Int4Mixed:
      return {WeightType::BF16, WeightType::Int4F32, WeightType::BF16, WeightType::BF16, WeightType::BF16};
    case WeightFormat::Int4:
      return {WeightType::Int4, WeightType::Int4, WeightType::Int4, WeightType::BF16, WeightType::BF16};
    case WeightFormat::Int4Int8Head:
      return {WeightType::Int4, WeightType::Int4, WeightType::Int4, WeightType::Int8, WeightType::BF16};
  }
  throw Error(ErrorCode::InvalidArgument, "unknown weight format");
}

// Walks the checkpoint tensor by tensor, checking each one and reporting progress.
class Binder {
 public:
  Binder(const Checkpoint& checkpoint, const std::atomic<bool>* cancel, const ProgressFn& progress)
      : ckpt_(checkpoint), cancel_(cancel), progress_(progress) {}

  void set_total(uint64_t total) { total_ = total; }

  // The tensor `relative` (under the text prefix) with exactly `shape`.
  const TensorView& tensor(const std::string& relative, const std::vector<int64_t>& shape) {
    if (cancel_ && cancel_->load(std::memory_order_relaxed)) throw Cancelled();
    return ckpt_.require(ckpt_.text_name(relative), shape);
  }

  void done(const TensorView& t) {
    done_ += t.nbytes;
    if (progress_) progress_(done_, total_);
  }

  std::vector<float> vector(const std::string& relative, int64_t n) {
    const TensorView& t = tensor(relative, {n});
    std::vector<float> out(static_cast<size_t>(n));
    copy_to_f32(t, 0, out.size(), out.data());
    done(t);
    return out;
  }

  // An nn.Linear weight [rows, cols] (already output-major) stored as `type`.
  cpu::Matrix linear(const std::string& relative, int64_t rows, int64_t cols, cpu::WeightType type) {
    const TensorView& t = tensor(relative, {rows, cols});
    const bool same_type = (t.dtype == DType::F32 && type == cpu::WeightType::F32) ||
                           (t.dtype == DType::BF16 && type == cpu::WeightType::BF16);
    if (same_type && reinterpret_cast<uintptr_t>(t.data) % cpu::weight_type_size(type) == 0) {
      done(t);
      return cpu::Matrix::borrow(type, rows, cols, t.data);
    }
    cpu::Matrix m(type, rows, cols);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      copy_to_f32(t, static_cast<size_t>(r * cols), row.size(), row.data());
      m.set_row_from_f32(r, row.data());
    }
    done(t);
    return m;
  }

  // Columns [col0, col0 + n) of expert e of an input-major [E, K, N] tensor, as an
  // output-major [n, K] matrix of `type` (the transpose of that slice).
  cpu::Matrix expert_columns(const TensorView& t, int64_t e, int64_t col0, int64_t n, cpu::WeightType type) {
    const int64_t K = t.shape[1], N = t.shape[2];
    // Transposed in tiles of kTile input rows: a tile is read row by row, then written out as
    // kTile contiguous floats per output row, instead of one scattered float per cache line.
    constexpr int64_t kTile = 64;
    std::vector<float> transposed(static_cast<size_t>(n * K)), tile(static_cast<size_t>(kTile * n));
    for (int64_t k0 = 0; k0 < K; k0 += kTile) {
      const int64_t rows = std::min(kTile, K - k0);
      for (int64_t j = 0; j < rows; ++j)
        copy_to_f32(t, static_cast<size_t>((e * K + k0 + j) * N + col0), static_cast<size_t>(n),
                    &tile[j * n]);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < rows; ++j) transposed[static_cast<size_t>(i * K + k0 + j)] = tile[j * n + i];
    }
    cpu::Matrix m(type, n, K);
    for (int64_t i = 0; i < n; ++i) m.set_row_from_f32(i, &transposed[static_cast<size_t>(i * K)]);
    return m;
  }

  SwiGluWeights swiglu(const std::string& prefix, int64_t D, int64_t F, cpu::WeightType type) {
    SwiGluWeights w;
    w.gate = linear(prefix + "gate_proj.weight", F, D, type);
    w.up = linear(prefix + "up_proj.weight", F, D, type);
    w.down = linear(prefix + "down_proj.weight", D, F, type);
    return w;
  }

  // gate_up_proj [E, D, 2F] (gate = columns 0..F-1, up = F..2F-1) and down_proj [E, F, D],
  // both input-major and without a ".weight" suffix.
  std::vector<SwiGluWeights> experts(const std::string& prefix, int64_t E, int64_t D, int64_t F,
                                     cpu::WeightType type) {
    const TensorView& gate_up = tensor(prefix + "gate_up_proj", {E, D, 2 * F});
    const TensorView& down = tensor(prefix + "down_proj", {E, F, D});
    std::vector<SwiGluWeights> out(static_cast<size_t>(E));
    for (int64_t e = 0; e < E; ++e) {
      if (cancel_ && cancel_->load(std::memory_order_relaxed)) throw Cancelled();
      SwiGluWeights& w = out[static_cast<size_t>(e)];
      w.gate = expert_columns(gate_up, e, 0, F, type);
      w.up = expert_columns(gate_up, e, F, F, type);
      w.down = expert_columns(down, e, 0, D, type);
    }
    done(gate_up);
    done(down);
    return out;
  }

 private:
  const Checkpoint& ckpt_;
  const std::atomic<bool>* cancel_;
  const ProgressFn& progress_;
  uint64_t done_ = 0, total_ = 0;
};

// Bytes of the checkpoint's text tensors (the progress total): every tensor under the prefix.
uint64_t text_bytes(const Checkpoint& checkpoint) {
  const std::string prefix = checkpoint.text_name("");
  uint64_t total = 0;
  for (const TensorView* t : checkpoint.tensors())
    if (t->name.compare(0, prefix.size(), prefix) == 0 && t->name.find("vision") == std::string::npos)
      total += t->nbytes;
  return total;
}

}  // namespace

uint64_t TextWeights::bytes() const {
  uint64_t total = embed.bytes() + lm_head.bytes() + final_norm.size() * 4;
  auto swiglu_bytes = [](const SwiGluWeights& w) { return w.gate.bytes() + w.up.bytes() + w.down.bytes(); };
  for (const LayerWeights& l : layers) {
    total += l.q.bytes() + l.k.bytes() + l.v.bytes() + l.o.bytes();
    total += (l.input_norm.size() + l.post_attention_norm.size()) * 4;
    total += swiglu_bytes(l.dense) + l.moe.router.bytes() + swiglu_bytes(l.moe.shared);
    for (const SwiGluWeights& e : l.moe.experts) total += swiglu_bytes(e);
  }
  return total;
}

TextWeights bind_text_weights(const Checkpoint& checkpoint, WeightFormat format,
                              const std::atomic<bool>* cancel, const ProgressFn& progress) {
  const TextConfig& c = checkpoint.config();
  const int64_t D = c.hidden_size, V = c.vocab_size, d = c.head_dim;
  const int64_t q_width = c.num_attention_heads * d, kv_width = c.num_key_value_heads * d;
  const Storage store = storage_for(format);
  Binder bind(checkpoint, cancel, progress);
  bind.set_total(text_bytes(checkpoint));

  TextWeights w;
  w.embed = bind.linear("model.embed_tokens.weight", V, D, store.other);
  w.layers.resize(static_cast<size_t>(c.num_hidden_layers));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    LayerWeights& l = w.layers[static_cast<size_t>(i)];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    l.input_norm = bind.vector(p + "input_layernorm.weight", D);
    l.q = bind.linear(p + "self_attn.q_proj.weight", q_width, D, store.attention);
    l.k = bind.linear(p + "self_attn.k_proj.weight", kv_width, D, store.attention);
    l.v = bind.linear(p + "self_attn.v_proj.weight", kv_width, D, store.attention);
    l.o = bind.linear(p + "self_attn.o_proj.weight", D, q_width, store.attention);
    l.post_attention_norm = bind.vector(p + "post_attention_layernorm.weight", D);
    l.is_moe = c.is_moe_layer(i);
    if (l.is_moe) {
      l.moe.router = bind.linear(p + "feed_forward.router.weight", c.num_local_experts, D, store.other);
      l.moe.experts = bind.experts(p + "feed_forward.experts.", c.num_local_experts, D, c.intermediate_size,
                                   store.experts);
      l.moe.shared = bind.swiglu(p + "feed_forward.shared_expert.", D, c.intermediate_size, store.experts);
    } else {
      l.dense = bind.swiglu(p + "feed_forward.", D, c.intermediate_size_mlp, store.dense);
    }
  }
  w.final_norm = bind.vector("model.norm.weight", D);
  w.lm_head = bind.linear("lm_head.weight", V, D, store.lm_head);
  return w;
}

}  // namespace scout
