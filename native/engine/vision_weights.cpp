#include "engine/vision_weights.hpp"

#include <cstdint>
#include <cstring>
#include <string>

#include "engine/error.hpp"
#include "engine/tensor.hpp"

namespace scout {
namespace {

class VisionBinder {
 public:
  VisionBinder(const Checkpoint& checkpoint, cpu::WeightType type, const std::atomic<bool>* cancel)
      : ckpt_(checkpoint), type_(type), cancel_(cancel) {}

  std::vector<float> vector(const std::string& name, const std::vector<int64_t>& shape) {
    const TensorView& t = require(name, shape);
    std::vector<float> out(static_cast<size_t>(t.numel()));
    copy_to_f32(t, 0, out.size(), out.data());
    return out;
  }

  // An nn.Linear weight [rows, cols]: used in place from the memory map when it is already
  // stored as type_ (and aligned for it), else converted row by row into an owned matrix.
  cpu::Matrix matrix(const std::string& name, int64_t rows, int64_t cols) {
    const TensorView& t = require(name, {rows, cols});
    const bool stored_as_type = (t.dtype == DType::F32 && type_ == cpu::WeightType::F32) ||
                                (t.dtype == DType::BF16 && type_ == cpu::WeightType::BF16);
    if (stored_as_type && reinterpret_cast<uintptr_t>(t.data) % cpu::weight_type_size(type_) == 0)
      return cpu::Matrix::borrow(type_, rows, cols, t.data);
    cpu::Matrix m(type_, rows, cols);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      copy_to_f32(t, static_cast<size_t>(r * cols), row.size(), row.data());
      uint8_t* dst = m.mutable_data() + static_cast<size_t>(r) * m.row_bytes();
      if (type_ == cpu::WeightType::F32) {
        std::memcpy(dst, row.data(), m.row_bytes());
      } else {
        for (size_t i = 0; i < row.size(); ++i) {
          const uint16_t b = f32_to_bf16(row[i]);
          std::memcpy(dst + 2 * i, &b, 2);
        }
      }
    }
    return m;
  }

  VisionLinear linear(const std::string& prefix, int64_t out, int64_t in) {
    return {matrix(prefix + ".weight", out, in), vector(prefix + ".bias", {out})};
  }

 private:
  const TensorView& require(const std::string& name, const std::vector<int64_t>& shape) {
    if (cancel_ && cancel_->load(std::memory_order_relaxed)) throw Cancelled();
    return ckpt_.require(name, shape);
  }

  const Checkpoint& ckpt_;
  cpu::WeightType type_;
  const std::atomic<bool>* cancel_;
};

}  // namespace

VisionWeights bind_vision_weights(const Checkpoint& checkpoint, const VisionConfig& c, cpu::WeightType type,
                                  const std::atomic<bool>* cancel) {
  VisionBinder b(checkpoint, type, cancel);
  const int64_t H = c.hidden_size, I = c.intermediate_size, G = c.grid();
  const std::string vm = "vision_model.";
  VisionWeights w;
  w.patch_embedding =
      b.matrix(vm + "patch_embedding.linear.weight", H, c.num_channels * c.patch_size * c.patch_size);
  w.class_embedding = b.vector(vm + "class_embedding", {H});
  w.positional_embedding = b.vector(vm + "positional_embedding_vlm", {G * G + 1, H});
  w.ln_pre_weight = b.vector(vm + "layernorm_pre.weight", {H});
  w.ln_pre_bias = b.vector(vm + "layernorm_pre.bias", {H});
  w.ln_post_weight = b.vector(vm + "layernorm_post.weight", {H});
  w.ln_post_bias = b.vector(vm + "layernorm_post.bias", {H});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string layer = vm + "model.layers." + std::to_string(i) + ".";
    VisionLayerWeights l;
    l.ln1_weight = b.vector(layer + "input_layernorm.weight", {H});
    l.ln1_bias = b.vector(layer + "input_layernorm.bias", {H});
    l.q = b.linear(layer + "self_attn.q_proj", H, H);
    l.k = b.linear(layer + "self_attn.k_proj", H, H);
    l.v = b.linear(layer + "self_attn.v_proj", H, H);
    l.o = b.linear(layer + "self_attn.o_proj", H, H);
    l.ln2_weight = b.vector(layer + "post_attention_layernorm.weight", {H});
    l.ln2_bias = b.vector(layer + "post_attention_layernorm.bias", {H});
    l.fc1 = b.linear(layer + "mlp.fc1", I, H);
    l.fc2 = b.linear(layer + "mlp.fc2", H, I);
    w.layers.push_back(std::move(l));
  }
  w.adapter_fc1 = b.matrix(vm + "vision_adapter.mlp.fc1.weight", c.projector_input_dim, I);
  w.adapter_fc2 =
      b.matrix(vm + "vision_adapter.mlp.fc2.weight", c.projector_output_dim, c.projector_input_dim);
  w.projector = b.matrix("multi_modal_projector.linear_1.weight", c.text_hidden_size, c.vision_output_dim);
  return w;
}

}  // namespace scout
