// The vision forward pass, tile by tile, top to bottom as llama4.md §4.2-4.5 states it.
#include "engine/vision.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "cpu/matmul.hpp"
#include "cpu/ops.hpp"
#include "cpu/thread_pool.hpp"
#include "cpu/vision_ops.hpp"
#include "engine/checkpoint.hpp"
#include "engine/error.hpp"
#include "engine/vision_weights.hpp"

namespace scout {
namespace {

void check_cancel(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
}

// y = x·Wᵀ + b for T rows.
void linear(cpu::ThreadPool& pool, const float* x, int64_t T, const VisionLinear& l, float* y) {
  cpu::matmul(pool, x, T, l.weight, y);
  cpu::add_bias(y, l.bias.data(), T, l.weight.rows());
}

}  // namespace

VisionEncoder::~VisionEncoder() = default;

std::unique_ptr<VisionEncoder> VisionEncoder::load(const std::string& dir, const LoadOptions& options,
                                                   const std::atomic<bool>* cancel) {
  std::unique_ptr<VisionEncoder> enc(new VisionEncoder());
  enc->checkpoint_ = Checkpoint::open(dir);
  enc->config_ = load_vision_config(dir + "/config.json");
  const cpu::WeightType type =
      options.weights == WeightFormat::F32 ? cpu::WeightType::F32 : cpu::WeightType::BF16;
  enc->weights_ =
      std::make_unique<VisionWeights>(bind_vision_weights(*enc->checkpoint_, enc->config_, type, cancel));
  enc->pool_ = std::make_unique<cpu::ThreadPool>(options.threads);
  return enc;
}

void VisionEncoder::encode(const float* pixels, int64_t pixel_count, int64_t tiles, float* out,
                           const std::atomic<bool>* cancel) {
  if (tiles < 1)
    throw Error(ErrorCode::InvalidArgument,
                "vision: at least one tile is needed, got " + std::to_string(tiles));
  if (pixel_count != tiles * tile_floats())
    throw Error(ErrorCode::InvalidArgument, "vision: " + std::to_string(tiles) + " tiles need " +
                                                std::to_string(tiles * tile_floats()) +
                                                " pixel values, got " + std::to_string(pixel_count));
  for (int64_t i = 0; i < pixel_count; ++i)
    if (!std::isfinite(pixels[i]))
      throw Error(ErrorCode::InvalidArgument, "vision: pixel value " + std::to_string(i) + " is not finite");
  const int64_t out_floats = tokens_per_tile() * config_.text_hidden_size;
  for (int64_t t = 0; t < tiles; ++t) encode_tile(pixels + t * tile_floats(), out + t * out_floats, cancel);
}

void VisionEncoder::encode_tile(const float* tile, float* out, const std::atomic<bool>* cancel) {
  const VisionConfig& c = config_;
  const VisionWeights& w = *weights_;
  cpu::ThreadPool& pool = *pool_;
  const int64_t G = c.grid(), patches = G * G, T = patches + 1, H = c.hidden_size;
  const int64_t heads = c.num_attention_heads, pairs = c.head_dim() / 2;
  const float eps = static_cast<float>(c.norm_eps);

  // §4.2: unfold, patch embedding, CLS appended last, learned positions, layernorm_pre.
  std::vector<float> unfolded(static_cast<size_t>(patches * w.patch_embedding.cols()));
  cpu::unfold_patches(tile, c.num_channels, c.image_size, c.patch_size, unfolded.data());
  std::vector<float> h(static_cast<size_t>(T * H));
  cpu::matmul(pool, unfolded.data(), patches, w.patch_embedding, h.data());
  std::copy(w.class_embedding.begin(), w.class_embedding.end(), h.begin() + patches * H);
  cpu::add_inplace(h.data(), w.positional_embedding.data(), T * H);
  cpu::layernorm(h.data(), w.ln_pre_weight.data(), w.ln_pre_bias.data(), T, H, eps, h.data());

  // §4.3: one 2-D RoPE table serves every layer.
  std::vector<float> cos, sin;
  cpu::vision_rope_table(G, pairs, c.rope_theta, cos, sin);

  // §4.4: pre-norm encoder layers, unmasked attention within the tile.
  std::vector<float> x(h.size()), q(h.size()), k(h.size()), v(h.size()), attn(h.size());
  std::vector<float> mlp(static_cast<size_t>(T * c.intermediate_size));
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim())));
  for (const VisionLayerWeights& l : w.layers) {
    check_cancel(cancel);
    cpu::layernorm(h.data(), l.ln1_weight.data(), l.ln1_bias.data(), T, H, eps, x.data());
    linear(pool, x.data(), T, l.q, q.data());
    linear(pool, x.data(), T, l.k, k.data());
    linear(pool, x.data(), T, l.v, v.data());
    for (int64_t t = 0; t < T; ++t) {
      const float* cs = cos.data() + t * pairs;
      const float* sn = sin.data() + t * pairs;
      cpu::rope_interleaved(q.data() + t * H, heads, pairs, cs, sn);
      cpu::rope_interleaved(k.data() + t * H, heads, pairs, cs, sn);
    }
    cpu::attention_unmasked(pool, q.data(), k.data(), v.data(), T, heads, c.head_dim(), scale, attn.data());
    linear(pool, attn.data(), T, l.o, x.data());
    cpu::add_inplace(h.data(), x.data(), T * H);

    cpu::layernorm(h.data(), l.ln2_weight.data(), l.ln2_bias.data(), T, H, eps, x.data());
    linear(pool, x.data(), T, l.fc1, mlp.data());
    cpu::gelu_exact(mlp.data(), T * c.intermediate_size);
    linear(pool, mlp.data(), T, l.fc2, x.data());
    cpu::add_inplace(h.data(), x.data(), T * H);
  }
  check_cancel(cancel);

  // §4.5: layernorm_post, drop the CLS row, pixel shuffle, adapter MLP (GELU after both), projector.
  cpu::layernorm(h.data(), w.ln_post_weight.data(), w.ln_post_bias.data(), patches, H, eps, h.data());
  const int64_t tokens = tokens_per_tile();
  std::vector<float> shuffled(static_cast<size_t>(tokens * 4 * H));
  cpu::pixel_shuffle_half(h.data(), G, H, shuffled.data());
  std::vector<float> a(static_cast<size_t>(tokens * c.projector_input_dim));
  cpu::matmul(pool, shuffled.data(), tokens, w.adapter_fc1, a.data());
  cpu::gelu_exact(a.data(), static_cast<int64_t>(a.size()));
  std::vector<float> z(static_cast<size_t>(tokens * c.projector_output_dim));
  cpu::matmul(pool, a.data(), tokens, w.adapter_fc2, z.data());
  cpu::gelu_exact(z.data(), static_cast<int64_t>(z.size()));
  cpu::matmul(pool, z.data(), tokens, w.projector, out);
}

}  // namespace scout
