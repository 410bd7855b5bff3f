// Checkpoint: single-file and sharded folders for both architectures, the shard-index checks of
// bad-inputs.md ST15, and the config/tensor cross-checks.
#include <filesystem>

#include "engine/checkpoint.hpp"
#include "tests/check.hpp"
#include "tests/model_files.hpp"

using namespace scout;
using namespace scout::test;

namespace {

// A folder holding config.json and the given files.
std::string model_dir(const std::string& label, const std::string& config,
                      const std::map<std::string, std::string>& files) {
  const std::string dir = temp_dir(label);
  write_file(dir + "/config.json", config);
  for (const auto& [name, bytes] : files) write_file(dir + "/" + name, bytes);
  return dir;
}

float first_f32(const TensorView& t) {
  float v;
  copy_to_f32(t, 0, 1, &v);
  return v;
}

}  // namespace

SCOUT_TEST(checkpoint_opens_single_file_conditional_generation) {
  const std::string dir = model_dir(
      "ck_single", conditional_config(),
      {{"model.safetensors", make_safetensors({{"language_model.model.norm.weight", "BF16", {8}, bf16_bytes({2, 0, 0, 0, 0, 0, 0, 0})},
                                               {"language_model.model.layers.1.input_layernorm.weight", "F32", {8}, f32_iota(8, 3)},
                                               {"vision_model.patch_embedding.linear.weight", "BF16", {2, 2}, bf16_bytes({1, 2, 3, 4})}})}});
  const auto ck = Checkpoint::open(dir);
  CHECK(ck->dir() == dir);
  CHECK(ck->config().architecture == "Llama4ForConditionalGeneration");
  CHECK(ck->text_name("model.norm.weight") == "language_model.model.norm.weight");
  const TensorView& norm = ck->require(ck->text_name("model.norm.weight"), {8});
  CHECK(norm.dtype == DType::BF16 && first_f32(norm) == 2.0f);
  CHECK(first_f32(ck->require(ck->text_name("model.layers.1.input_layernorm.weight"), {8})) == 3.0f);
  CHECK(ck->find("language_model.model.norm.weight") == &norm);
  CHECK(ck->find("model.norm.weight") == nullptr);
  CHECK(ck->tensors().size() == 3);
}

SCOUT_TEST(checkpoint_opens_sharded_causal_lm) {
  const std::string index = R"({"metadata":{"total_size":48},"weight_map":{
      "model.embed_tokens.weight":"model-00001-of-00002.safetensors",
      "model.norm.weight":"model-00002-of-00002.safetensors",
      "lm_head.weight":"model-00002-of-00002.safetensors"}})";
  const std::string dir = model_dir(
      "ck_sharded", causal_config(),
      {{"model.safetensors.index.json", index},
       {"model-00001-of-00002.safetensors", make_safetensors({{"model.embed_tokens.weight", "F32", {4}, f32_iota(4, 10)}})},
       {"model-00002-of-00002.safetensors", make_safetensors({{"model.norm.weight", "F16", {2}, u16_bytes({0x3C00, 0})},
                                                              {"lm_head.weight", "F32", {2, 2}, f32_iota(4, 20)}})}});
  const auto ck = Checkpoint::open(dir);
  CHECK(ck->config().architecture == "Llama4ForCausalLM");
  CHECK(ck->text_name("model.norm.weight") == "model.norm.weight");
  CHECK(first_f32(ck->require("model.embed_tokens.weight", {4})) == 10.0f);
  CHECK(first_f32(ck->require("lm_head.weight", {2, 2})) == 20.0f);
  CHECK(ck->require("model.norm.weight", {2}).dtype == DType::F16);
  CHECK(ck->tensors().size() == 3);
  CHECK(ck->require("lm_head.weight", {2, 2}).file.find("model-00002-of-00002.safetensors") != std::string::npos);
}
