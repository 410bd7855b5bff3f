// vision_config parsing: the released values are accepted, and each structural constraint the
// vision graph relies on is a Config error naming the field.
#include "engine/vision_config.hpp"

#include <string>

#include "tests/check.hpp"

using namespace scout;

namespace {

// A config.json with Scout's vision_config, with `replace` substituted for `field`'s value.
std::string scout_config(const std::string& field = "", const std::string& replace = "") {
  std::string vision =
      R"("image_size": 336, "patch_size": 14, "num_channels": 3, "hidden_size": 1408, "num_hidden_layers": 34,)"
      R"("num_attention_heads": 16, "intermediate_size": 5632, "projector_input_dim": 4096,)"
      R"("projector_output_dim": 4096, "vision_output_dim": 4096, "pixel_shuffle_ratio": 0.5,)"
      R"("rope_theta": 10000, "norm_eps": 1e-05, "vision_feature_layer": -1, "multi_modal_projector_bias": false)";
  if (!field.empty()) {
    const std::string key = "\"" + field + "\": ";
    const size_t at = vision.find(key) + key.size();
    const size_t end = vision.find_first_of(",", at);
    vision.replace(at, (end == std::string::npos ? vision.size() : end) - at, replace);
  }
  return R"({"text_config": {"hidden_size": 5120}, "vision_config": {)" + vision + "}}";
}

}  // namespace

SCOUT_TEST(vision_config_accepts_scout_and_derives_sizes) {
  const VisionConfig c = parse_vision_config(scout_config(), "config.json");
  CHECK(c.grid() == 24);
  CHECK(c.head_dim() == 88);
  CHECK(c.tokens_per_tile() == 144);
  CHECK(c.text_hidden_size == 5120);
  CHECK(c.num_hidden_layers == 34);
}

SCOUT_TEST(vision_config_rejects_what_the_graph_cannot_run) {
  CHECK_THROWS_CODE_MSG(parse_vision_config(R"({"text_config": {"hidden_size": 8}})", "c.json"),
                        ErrorCode::Config, "no vision tower");
  struct Case {
    const char* field;
    const char* value;
    const char* needle;
  };
  const Case cases[] = {
      {"image_size", "330", "vision_config.image_size"},
      {"image_size", "350", "even patch grid"},
      {"pixel_shuffle_ratio", "0.25", "vision_config.pixel_shuffle_ratio"},
      {"num_attention_heads", "704", "multiple of 4"},
      {"intermediate_size", "5000", "4 × hidden_size"},
      {"vision_feature_layer", "-2", "vision_feature_layer"},
      {"multi_modal_projector_bias", "true", "multi_modal_projector_bias"},
      {"hidden_size", "\"1408\"", "vision_config.hidden_size"},
      {"patch_size", "0", "vision_config.patch_size"},
      {"vision_output_dim", "1024", "projector_output_dim"},
  };
  for (const Case& c : cases)
    CHECK_THROWS_CODE_MSG(parse_vision_config(scout_config(c.field, c.value), "c.json"), ErrorCode::Config,
                          c.needle);
}
