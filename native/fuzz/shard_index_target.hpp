// libFuzzer target: model.safetensors.index.json, opened as part of a whole model folder
// (bad-inputs.md ST15: missing shards, "../" and absolute paths, a symlink out of the folder,
// one tensor in two shards, a tensor in no shard).
//
// The folder is built once: a tiny config.json, two real shards, a shard in a subfolder, and
// "escape.safetensors", a symlink to a valid shard outside the folder. Each input replaces the
// index. An accepted folder must hold exactly the tensors the index lists, each from a file
// inside the folder: the tensor behind the symlink must never load.
#pragma once

#include "engine/checkpoint.hpp"
#include "fuzz/fuzz_support.hpp"
#include "tests/model_files.hpp"

namespace scout::fuzz::detail {

namespace fs = std::filesystem;
using scout::test::f32_iota;
using scout::test::make_safetensors;

inline const std::string& model_dir() {
  static const std::string dir = [] {
    const std::string root = scout::fuzz::scratch_dir();
    const std::string model = root + "/model";
    fs::create_directories(model + "/sub");
    scout::fuzz::write_bytes(model + "/config.json", scout::test::causal_config());
    scout::fuzz::write_bytes(
        model + "/model-00001-of-00002.safetensors",
        make_safetensors({{"model.embed_tokens.weight", "F32", {2}, f32_iota(2)},
                          {"model.layers.0.input_layernorm.weight", "F32", {1}, f32_iota(1)}}));
    scout::fuzz::write_bytes(model + "/model-00002-of-00002.safetensors",
                             make_safetensors({{"model.norm.weight", "BF16", {2}, std::string(4, '\x3f')}}));
    scout::fuzz::write_bytes(model + "/sub/extra.safetensors",
                             make_safetensors({{"model.layers.1.extra", "F32", {1}, f32_iota(1, 3)}}));
    scout::fuzz::write_bytes(root + "/outside.safetensors",
                             make_safetensors({{"model.layers.0.outside", "F32", {1}, f32_iota(1, 5)}}));
    fs::create_symlink(root + "/outside.safetensors", model + "/escape.safetensors");
    return model;
  }();
  return dir;
}

}  // namespace scout::fuzz::detail

namespace scout::fuzz {

// One input of the shard_index_fuzz target; aborts on a finding.
inline void shard_index_target(const uint8_t* data, size_t size) {
  const std::string& dir = detail::model_dir();
  scout::fuzz::write_bytes(dir + "/model.safetensors.index.json", scout::fuzz::as_text(data, size));
  scout::fuzz::expect_typed_errors_only([&] {
    const auto ck = scout::Checkpoint::open(dir);
    SCOUT_FUZZ_REQUIRE(ck->find("model.layers.0.outside") == nullptr);
    const std::string real_dir = std::filesystem::canonical(dir).string() + "/";
    for (const scout::TensorView* t : ck->tensors()) {
      SCOUT_FUZZ_REQUIRE(std::filesystem::canonical(t->file).string().rfind(real_dir, 0) == 0);
      SCOUT_FUZZ_REQUIRE(ck->find(t->name) == t);
    }
  });
}

}  // namespace scout::fuzz
