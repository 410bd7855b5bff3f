// The Llama 4 vision path on the CPU: preprocessed image tiles in, one text-width embedding per
// `<|patch|>` token out (shared/docs/llama4.md §4.2-4.5).
//
//   auto vision = scout::VisionEncoder::load(dir, opts);     // vision_model.* + projector
//   vision->encode(pixels, tiles, out);                       // [tiles·144, text hidden]
//
// Pixels come from the TypeScript preprocessor (src/engine/vision): tiles of
// [channels, image_size, image_size], normalised to [-1, 1], in processor order (row-major tiles,
// then the global tile). Tiles never attend to each other, so a tile's features do not depend on
// the other tiles of the call.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/model.hpp"
#include "engine/vision_config.hpp"

namespace scout {

class Checkpoint;
struct VisionWeights;
namespace cpu {
class ThreadPool;
}

class VisionEncoder {
 public:
  // Opens the checkpoint in `dir`, parses its vision_config and binds every vision_model.* and
  // multi_modal_projector.* tensor (missing or misshapen tensors are Error(ModelMismatch) naming
  // them; a text-only model is Error(Config)). options.weights picks f32 or bf16 storage.
  static std::unique_ptr<VisionEncoder> load(const std::string& dir, const LoadOptions& options,
                                             const std::atomic<bool>* cancel = nullptr);
  ~VisionEncoder();

  const VisionConfig& config() const { return config_; }
  // Floats in one tile of pixels, and rows of output per tile.
  int64_t tile_floats() const { return config_.num_channels * config_.image_size * config_.image_size; }
  int64_t tokens_per_tile() const { return config_.tokens_per_tile(); }

  // pixels: `pixel_count` floats = tiles × tile_floats(); out: tiles × tokens_per_tile() rows of
  // config().text_hidden_size floats. Throws Error(InvalidArgument) for a size mismatch or a
  // non-finite pixel, Cancelled (between layers) when *cancel becomes true. One call at a time.
  void encode(const float* pixels, int64_t pixel_count, int64_t tiles, float* out,
              const std::atomic<bool>* cancel = nullptr);

 private:
  VisionEncoder() = default;
  void encode_tile(const float* tile, float* out, const std::atomic<bool>* cancel);

  VisionConfig config_;
  std::unique_ptr<Checkpoint> checkpoint_;  // owns the memory map the weights may borrow from
  std::unique_ptr<VisionWeights> weights_;
  std::unique_ptr<cpu::ThreadPool> pool_;
};

}  // namespace scout
