// Checkpoint: single-file and sharded folders for both architectures, the shard-index checks of
// bad-inputs.md ST15, and the config/tensor cross-checks.
#include "engine/checkpoint.hpp"

#include <filesystem>

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
      {{"model.safetensors",
        make_safetensors(
            {{"language_model.model.norm.weight", "BF16", {8}, bf16_bytes({2, 0, 0, 0, 0, 0, 0, 0})},
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
  const std::string dir =
      model_dir("ck_sharded", causal_config(),
                {{"model.safetensors.index.json", index},
                 {"model-00001-of-00002.safetensors",
                  make_safetensors({{"model.embed_tokens.weight", "F32", {4}, f32_iota(4, 10)}})},
                 {"model-00002-of-00002.safetensors",
                  make_safetensors({{"model.norm.weight", "F16", {2}, u16_bytes({0x3C00, 0})},
                                    {"lm_head.weight", "F32", {2, 2}, f32_iota(4, 20)}})}});
  const auto ck = Checkpoint::open(dir);
  CHECK(ck->config().architecture == "Llama4ForCausalLM");
  CHECK(ck->text_name("model.norm.weight") == "model.norm.weight");
  CHECK(first_f32(ck->require("model.embed_tokens.weight", {4})) == 10.0f);
  CHECK(first_f32(ck->require("lm_head.weight", {2, 2})) == 20.0f);
  CHECK(ck->require("model.norm.weight", {2}).dtype == DType::F16);
  CHECK(ck->tensors().size() == 3);
  CHECK(ck->require("lm_head.weight", {2, 2}).file.find("model-00002-of-00002.safetensors") !=
        std::string::npos);
}

namespace {

const std::string kShardA = "model-00001-of-00002.safetensors";
const std::string kShardB = "model-00002-of-00002.safetensors";

std::string shard_a() {
  return make_safetensors({{"model.embed_tokens.weight", "F32", {4}, f32_iota(4)}});
}
std::string shard_b() {
  return make_safetensors({{"model.norm.weight", "F32", {2}, f32_iota(2)}});
}

std::string index_json(const std::map<std::string, std::string>& weight_map) {
  std::string out = R"({"metadata":{"total_size":24},"weight_map":{)";
  bool first = true;
  for (const auto& [tensor, shard] : weight_map) {
    out += (first ? "\"" : ",\"") + tensor + "\":\"" + shard + "\"";
    first = false;
  }
  return out + "}}";
}

// A sharded CausalLM folder with the two shards above and the given index.
std::string sharded_dir(const std::string& label, const std::string& index) {
  return model_dir(label, causal_config(),
                   {{"model.safetensors.index.json", index}, {kShardA, shard_a()}, {kShardB, shard_b()}});
}

const std::map<std::string, std::string> kGoodMap = {{"model.embed_tokens.weight", kShardA},
                                                     {"model.norm.weight", kShardB}};

void expect_index_error(const std::string& label, const std::string& index, const std::string& needle) {
  const std::string dir = sharded_dir(label, index);
  CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::ShardIndex, "model.safetensors.index.json: ");
  CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::ShardIndex, needle);
}

}  // namespace

SCOUT_TEST(checkpoint_missing_folder_config_or_weights_is_not_found) {
  const std::string root = temp_dir("ck_missing");
  CHECK_THROWS_CODE_MSG(Checkpoint::open(root + "/nope"), ErrorCode::NotFound, "nope: no such model folder");
  CHECK_THROWS_CODE_MSG(Checkpoint::open(root), ErrorCode::NotFound, "config.json: no such file");
  write_file(root + "/config.json", causal_config());
  CHECK_THROWS_CODE_MSG(Checkpoint::open(root), ErrorCode::NotFound,
                        "no weights found (looked for model.safetensors and model.safetensors.index.json)");
  write_file(root + "/config.json", causal_config({{"vocab_size", "0"}}));
  CHECK_THROWS_CODE_MSG(Checkpoint::open(root), ErrorCode::Config, "config.json: vocab_size must be in");
}

SCOUT_TEST(checkpoint_prefers_model_safetensors_like_hugging_face) {
  const std::string dir =
      model_dir("ck_both", causal_config(),
                {{"model.safetensors", make_safetensors({{"lm_head.weight", "F32", {1}, f32_iota(1)}})},
                 {"model.safetensors.index.json", "not even json"}});
  CHECK(Checkpoint::open(dir)->tensors().size() == 1);
}

SCOUT_TEST(checkpoint_opens_each_shard_once_and_keeps_views_in_its_mapping) {
  const std::string dir = model_dir(
      "ck_once", causal_config(),
      {{"model.safetensors.index.json", index_json({{"a", kShardA}, {"b", kShardA}, {"c", kShardB}})},
       {kShardA, make_safetensors({{"a", "F32", {2}, f32_iota(2)}, {"b", "F32", {1}, f32_iota(1, 9)}})},
       {kShardB, make_safetensors({{"c", "BF16", {2}, bf16_bytes({1, 2})}})}});
  const auto ck = Checkpoint::open(dir);
  const TensorView& a = ck->require("a", {2});
  const TensorView& b = ck->require("b", {1});
  CHECK(a.file == b.file && b.data == a.data + 8 && first_f32(b) == 9.0f);
  CHECK(ck->require("c", {2}).file != a.file);
}

SCOUT_TEST(checkpoint_st15_index_naming_a_missing_shard) {
  const std::string dir = sharded_dir(
      "ck_missing_shard", index_json(with(kGoodMap, {{"model.norm.weight", "model-00003.safetensors"}})));
  CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::NotFound,
                        "shard \"model-00003.safetensors\" does not exist in");
}

SCOUT_TEST(checkpoint_st15_shard_names_must_stay_in_the_folder) {
  const auto bad_name = [&](const std::string& label, const std::string& shard, const std::string& needle) {
    expect_index_error(label, index_json(with(kGoodMap, {{"model.norm.weight", shard}})), needle);
  };
  bad_name("ck_dotdot", "../" + kShardB,
           "weight_map names shard \"../model-00002-of-00002.safetensors\", which escapes");
  bad_name("ck_inner_dotdot", "sub/../" + kShardB,
           "which escapes or is not a plain path inside the model folder");
  bad_name("ck_dot", "./" + kShardB, "which escapes or is not a plain path");
  bad_name("ck_abs", "/etc/passwd", "weight_map names shard \"/etc/passwd\", an absolute path");
  bad_name("ck_backslash", "..\\\\" + kShardB, "with a backslash");
  bad_name("ck_empty", "", "weight_map names an empty shard file name");
  bad_name("ck_double_slash", "sub//" + kShardB, "which escapes or is not a plain path");
}

SCOUT_TEST(checkpoint_st15_symlink_out_of_the_folder_is_rejected) {
  const std::string outside = temp_dir("ck_outside") + "/secret.safetensors";
  write_file(outside, shard_b());
  const std::string dir =
      model_dir("ck_symlink", causal_config(),
                {{"model.safetensors.index.json", index_json(kGoodMap)}, {kShardA, shard_a()}});
  std::filesystem::create_symlink(outside, dir + "/" + kShardB);
  CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::ShardIndex,
                        "shard \"" + kShardB + "\" resolves to " + outside + ", outside the model folder");
  // A symlink that stays inside the folder is fine.
  std::filesystem::remove(dir + "/" + kShardB);
  std::filesystem::create_directory(dir + "/store");
  write_file(dir + "/store/b.safetensors", shard_b());
  std::filesystem::create_symlink("store/b.safetensors", dir + "/" + kShardB);
  CHECK(Checkpoint::open(dir)->tensors().size() == 2);
}

SCOUT_TEST(checkpoint_accepts_the_hugging_face_cache_layout) {
  // <repo>/snapshots/<rev>/<file> -> ../../blobs/<hash>: the blobs folder of the same repo is trusted.
  const std::string repo = temp_dir("ck_hfcache");
  const std::string snap = repo + "/snapshots/abc123";
  std::filesystem::create_directories(snap);
  std::filesystem::create_directories(repo + "/blobs");
  write_file(repo + "/blobs/h1", shard_a());
  write_file(repo + "/blobs/h2", shard_b());
  write_file(snap + "/config.json", causal_config());
  write_file(snap + "/model.safetensors.index.json", index_json(kGoodMap));
  std::filesystem::create_symlink("../../blobs/h1", snap + "/" + kShardA);
  std::filesystem::create_symlink("../../blobs/h2", snap + "/" + kShardB);
  const auto ck = Checkpoint::open(snap);
  CHECK(ck->tensors().size() == 2);
  // Messages name the shard as listed, not the blob it points to.
  CHECK(ck->require("model.norm.weight", {2}).file == snap + "/" + kShardB);
  // ... but nothing else outside the snapshot.
  write_file(repo + "/elsewhere", shard_b());
  std::filesystem::remove(snap + "/" + kShardB);
  std::filesystem::create_symlink("../../elsewhere", snap + "/" + kShardB);
  CHECK_THROWS_CODE_MSG(Checkpoint::open(snap), ErrorCode::ShardIndex, "outside the model folder");
}

SCOUT_TEST(checkpoint_st15_every_tensor_has_exactly_one_listed_home) {
  // The same tensor in two shards: both named.
  {
    const std::string dir = model_dir(
        "ck_two_homes", causal_config(),
        {{"model.safetensors.index.json", index_json({{"w", kShardA}, {"x", kShardB}})},
         {kShardA, make_safetensors({{"w", "F32", {1}, f32_iota(1)}})},
         {kShardB, make_safetensors({{"x", "F32", {1}, f32_iota(1)}, {"w", "F32", {1}, f32_iota(1)}})}});
    CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::ShardIndex, "tensor \"w\" is in both ");
    CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::ShardIndex, kShardA + " and ");
  }
  // The index lists a tensor its shard lacks (a tensor in no shard).
  expect_index_error(
      "ck_listed_missing", index_json(with(kGoodMap, {{"model.extra.weight", kShardB}})),
      "lists tensor \"model.extra.weight\" in shard \"" + kShardB + "\", which does not hold it");
  // A shard holds a tensor the index does not list.
  expect_index_error("ck_unlisted", index_json({{"model.embed_tokens.weight", kShardA}, {"other", kShardB}}),
                     "does not list tensor \"model.norm.weight\", which shard \"" + kShardB + "\" holds");
  // The index sends a tensor to the wrong shard.
  expect_index_error("ck_wrong_shard",
                     index_json({{"model.embed_tokens.weight", kShardB}, {"model.norm.weight", kShardA}}),
                     "maps tensor \"model.norm.weight\" to shard \"" + kShardA + "\", but shard \"" +
                         kShardB + "\" holds it");
}

SCOUT_TEST(checkpoint_index_file_must_be_well_formed) {
  expect_index_error("ck_idx_json", "{\"weight_map\":", "invalid JSON at byte 14");
  expect_index_error("ck_idx_array", "[]", "must be an object, got an array");
  expect_index_error("ck_idx_no_map", R"({"metadata":{}})", "weight_map is required but missing");
  expect_index_error("ck_idx_map_array", R"({"weight_map":[]})", "weight_map must be an object");
  expect_index_error("ck_idx_empty", R"({"weight_map":{}})", "weight_map lists no tensors");
  expect_index_error("ck_idx_value", R"({"weight_map":{"w":3}})", "weight_map.\"w\" must be a string, got 3");
  expect_index_error("ck_idx_meta", R"({"metadata":[],"weight_map":{"w":"a"}})",
                     "metadata must be an object");
  expect_index_error("ck_idx_dup", R"({"weight_map":{"w":"a","w":"b"}})", "duplicate key \"w\"");
}

SCOUT_TEST(checkpoint_reports_a_malformed_shard_by_its_path) {
  const std::string dir = model_dir("ck_bad_shard", causal_config(),
                                    {{"model.safetensors.index.json", index_json(kGoodMap)},
                                     {kShardA, shard_a()},
                                     {kShardB, shard_b() + "junk"}});
  CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::Safetensors,
                        kShardB + ": 4 trailing bytes after the last tensor");
}

SCOUT_TEST(checkpoint_conditional_generation_needs_the_language_model_prefix) {
  const std::string dir =
      model_dir("ck_prefix", conditional_config(),
                {{"model.safetensors", make_safetensors({{"model.norm.weight", "F32", {8}, f32_iota(8)}})}});
  CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::ModelMismatch,
                        "config.json declares Llama4ForConditionalGeneration, but no tensor name starts with "
                        "\"language_model.\"");
}

SCOUT_TEST(checkpoint_cf1_tensors_for_layers_beyond_the_config_are_a_mismatch) {
  // The config has 2 layers; a tensor for layer 2 means config and weights disagree.
  const std::string dir =
      model_dir("ck_layers", conditional_config(),
                {{"model.safetensors",
                  make_safetensors(
                      {{"language_model.model.layers.1.input_layernorm.weight", "F32", {8}, f32_iota(8)},
                       {"language_model.model.layers.2.input_layernorm.weight", "F32", {8}, f32_iota(8)}})}});
  CHECK_THROWS_CODE_MSG(Checkpoint::open(dir), ErrorCode::ModelMismatch,
                        "model.safetensors: tensor \"language_model.model.layers.2.input_layernorm.weight\" "
                        "belongs to layer 2, "
                        "but config.json has num_hidden_layers = 2");
  const std::string odd =
      model_dir("ck_layers_odd", causal_config(),
                {{"model.safetensors",
                  make_safetensors({{"model.layers.01.input_layernorm.weight", "F32", {8}, f32_iota(8)}})}});
  CHECK_THROWS_CODE_MSG(Checkpoint::open(odd), ErrorCode::ModelMismatch,
                        "tensor \"model.layers.01.input_layernorm.weight\" has a malformed layer index");
  // Vision layers are numbered separately and are not checked against the text layer count.
  const std::string vision = model_dir(
      "ck_layers_vision", conditional_config(),
      {{"model.safetensors",
        make_safetensors({{"language_model.model.norm.weight", "F32", {8}, f32_iota(8)},
                          {"vision_model.model.layers.33.mlp.fc1.weight", "F32", {1}, f32_iota(1)}})}});
  CHECK(Checkpoint::open(vision)->tensors().size() == 2);
}

SCOUT_TEST(checkpoint_require_names_tensor_file_and_shapes) {
  const std::string dir =
      model_dir("ck_require", causal_config(),
                {{"model.safetensors",
                  make_safetensors(
                      {{"model.embed_tokens.weight", "BF16", {30, 8}, bf16_bytes(std::vector<float>(240, 1))},
                       {"model.layers.0.self_attn.q_proj.qweight", "I8", {4}, std::string(4, '\0')}})}});
  const auto ck = Checkpoint::open(dir);
  // CF1: vocab_size (32) differs from the embedding's rows (30).
  CHECK_THROWS_CODE_MSG(
      ck->require("model.embed_tokens.weight", {32, 8}), ErrorCode::ModelMismatch,
      "model.safetensors: tensor \"model.embed_tokens.weight\" has shape [30, 8], expected [32, 8]");
  CHECK_THROWS_CODE_MSG(ck->require("lm_head.weight", {32, 8}), ErrorCode::ModelMismatch,
                        "tensor \"lm_head.weight\" is missing (expected shape [32, 8])");
  CHECK_THROWS_CODE_MSG(ck->require("model.layers.0.self_attn.q_proj.qweight", {4}), ErrorCode::ModelMismatch,
                        "tensor \"model.layers.0.self_attn.q_proj.qweight\" has dtype I8; Scout computes "
                        "with F32, BF16 or F16");
  CHECK(ck->find("model.layers.0.self_attn.q_proj.qweight") == nullptr);
  CHECK(ck->tensors().size() == 1);
}
