// The vision encoder end to end on a tiny checkpoint written here: a text model (TinyModel) plus a
// vision tower with the real structure (llama4.md §3.2). Numerical parity with an independent
// reference is in test/vision/vision-parity.test.ts; this checks what the C++ API promises.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "engine/vision.hpp"
#include "tests/check.hpp"
#include "tests/model_fixture.hpp"

using namespace scout;
using namespace scout::test;

namespace {

// Tiles of 8 px in 2 px patches (a 4×4 grid: 4 features per tile), hidden 8, 2 heads of 4.
constexpr const char* kVisionConfig =
    R"({"image_size": 8, "patch_size": 2, "num_channels": 3, "hidden_size": 8, "num_hidden_layers": 2,)"
    R"("num_attention_heads": 2, "intermediate_size": 32, "projector_input_dim": 12, "projector_output_dim": 10,)"
    R"("vision_output_dim": 10, "pixel_shuffle_ratio": 0.5, "rope_theta": 10000, "norm_eps": 1e-5})";

std::vector<std::pair<std::string, std::vector<int64_t>>> vision_shapes(int64_t text_hidden) {
  const int64_t H = 8, I = 32;
  std::vector<std::pair<std::string, std::vector<int64_t>>> s = {
      {"vision_model.patch_embedding.linear.weight", {H, 12}},
      {"vision_model.class_embedding", {H}},
      {"vision_model.positional_embedding_vlm", {17, H}},
      {"vision_model.layernorm_pre.weight", {H}},
      {"vision_model.layernorm_pre.bias", {H}},
      {"vision_model.layernorm_post.weight", {H}},
      {"vision_model.layernorm_post.bias", {H}}};
  for (int l = 0; l < 2; ++l) {
    const std::string p = "vision_model.model.layers." + std::to_string(l) + ".";
    for (const char* n : {"input_layernorm", "post_attention_layernorm"}) {
      s.push_back({p + n + ".weight", {H}});
      s.push_back({p + n + ".bias", {H}});
    }
    for (const char* n : {"q", "k", "v", "o"}) {
      s.push_back({p + "self_attn." + n + "_proj.weight", {H, H}});
      s.push_back({p + "self_attn." + n + "_proj.bias", {H}});
    }
    s.push_back({p + "mlp.fc1.weight", {I, H}});
    s.push_back({p + "mlp.fc1.bias", {I}});
    s.push_back({p + "mlp.fc2.weight", {H, I}});
    s.push_back({p + "mlp.fc2.bias", {H}});
  }
  s.push_back({"vision_model.vision_adapter.mlp.fc1.weight", {12, I}});
  s.push_back({"vision_model.vision_adapter.mlp.fc2.weight", {10, 12}});
  s.push_back({"multi_modal_projector.linear_1.weight", {text_hidden, 10}});
  return s;
}

// A conditional-generation checkpoint with the tiny tower; `omit` leaves one vision tensor out.
std::string write_vision_model(const std::string& dtype = "F32", const std::string& omit = "") {
  TinyModel tiny;
  tiny.dtype = dtype;
  const std::string dir = tiny.write();
  write_file(dir + "/config.json",
             conditional_config(tiny.config_fields(), {{"vision_config", kVisionConfig}}));
  std::vector<StTensor> tensors;
  auto add = [&](const std::string& name, const std::vector<int64_t>& shape, const std::vector<float>& v) {
    tensors.push_back({name, dtype, shape, dtype == "BF16" ? bf16_bytes(v) : f32_bytes(v)});
  };
  for (const auto& [name, shape] : tiny.tensor_shapes())
    add(tiny.prefix() + name, shape, tiny.values(name, shape));
  for (const auto& [name, shape] : vision_shapes(tiny.hidden))
    if (name != omit) add(name, shape, tiny.values(name, shape));
  write_file(dir + "/model.safetensors", make_safetensors(tensors));
  return dir;
}

std::unique_ptr<VisionEncoder> load(const std::string& dir, int threads = 2,
                                    WeightFormat f = WeightFormat::F32) {
  LoadOptions options;
  options.threads = threads;
  options.weights = f;
  return VisionEncoder::load(dir, options);
}

std::vector<float> random_pixels(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace

SCOUT_TEST(vision_encoder_tiles_are_independent_and_thread_count_free) {
  const std::string dir = write_vision_model();
  auto enc = load(dir, 1);
  CHECK(enc->tokens_per_tile() == 4);
  CHECK(enc->tile_floats() == 3 * 8 * 8);
  const size_t per_tile = static_cast<size_t>(enc->tokens_per_tile() * enc->config().text_hidden_size);
  const auto pixels = random_pixels(static_cast<size_t>(2 * enc->tile_floats()), 5);
  std::vector<float> both(2 * per_tile), second(per_tile), threaded(2 * per_tile);
  enc->encode(pixels.data(), static_cast<int64_t>(pixels.size()), 2, both.data());
  enc->encode(pixels.data() + enc->tile_floats(), enc->tile_floats(), 1, second.data());
  CHECK(std::memcmp(both.data() + per_tile, second.data(), per_tile * sizeof(float)) == 0);
  load(dir, 3)->encode(pixels.data(), static_cast<int64_t>(pixels.size()), 2, threaded.data());
  CHECK(both == threaded);
  bool finite = true, varied = false;
  for (float x : both) finite &= std::isfinite(x);
  for (size_t i = 1; i < both.size(); ++i) varied |= both[i] != both[0];
  CHECK(finite && varied);
  CHECK(std::memcmp(both.data(), both.data() + per_tile, per_tile * sizeof(float)) != 0);  // different tiles
}

SCOUT_TEST(vision_encoder_bf16_weights_stay_close_to_f32) {
  const std::string dir = write_vision_model("BF16");
  auto f32 = load(dir, 2, WeightFormat::F32);
  auto bf16 = load(dir, 2, WeightFormat::BF16);  // used in place from the memory map
  const auto pixels = random_pixels(static_cast<size_t>(f32->tile_floats()), 9);
  const size_t n = static_cast<size_t>(f32->tokens_per_tile() * f32->config().text_hidden_size);
  std::vector<float> a(n), b(n);
  f32->encode(pixels.data(), f32->tile_floats(), 1, a.data());
  bf16->encode(pixels.data(), bf16->tile_floats(), 1, b.data());
  CHECK(max_rel_diff(b.data(), a.data(), n) <= 1e-5);  // same bf16 numbers, f32 arithmetic either way
}

SCOUT_TEST(vision_encoder_rejects_bad_pixels_and_incomplete_checkpoints) {
  auto enc = load(write_vision_model());
  std::vector<float> out(static_cast<size_t>(enc->tokens_per_tile() * enc->config().text_hidden_size));
  auto pixels = random_pixels(static_cast<size_t>(enc->tile_floats()), 1);
  CHECK_THROWS_CODE_MSG(enc->encode(pixels.data(), enc->tile_floats() - 1, 1, out.data()),
                        ErrorCode::InvalidArgument, "need 192 pixel values, got 191");
  CHECK_THROWS_CODE_MSG(enc->encode(pixels.data(), 0, 0, out.data()), ErrorCode::InvalidArgument,
                        "at least one tile");
  pixels[17] = std::numeric_limits<float>::infinity();
  CHECK_THROWS_CODE_MSG(enc->encode(pixels.data(), enc->tile_floats(), 1, out.data()),
                        ErrorCode::InvalidArgument, "pixel value 17 is not finite");
  CHECK_THROWS_CODE_MSG(load(write_vision_model("F32", "vision_model.model.layers.1.mlp.fc2.bias")),
                        ErrorCode::ModelMismatch, "vision_model.model.layers.1.mlp.fc2.bias");
  TinyModel causal;
  causal.conditional = false;
  CHECK_THROWS_CODE_MSG(load(causal.write()), ErrorCode::Config, "no vision tower");
}
