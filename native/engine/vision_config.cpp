#include "engine/vision_config.hpp"

#include <cmath>

#include "engine/json.hpp"

namespace scout {
namespace {

constexpr size_t kMaxConfigBytes = size_t{16} << 20;
constexpr int64_t kMaxWidth = int64_t{1} << 16;  // sanity bound on every width: no int64 overflow

class VisionFields {
 public:
  VisionFields(const json::Value& obj, const json::Source& src) : obj_(obj), src_(src) {}

  const json::Value& need(std::string_view name) const {
    const json::Value* v = obj_.find(name);
    if (!v || v->is(json::Type::Null))
      json::fail(src_, path(name), v ? "is required but null" : "is required but missing");
    return *v;
  }
  int64_t integer(std::string_view name, int64_t lo, int64_t hi) const {
    const int64_t x = json::get_int(need(name), src_, path(name));
    if (x < lo || x > hi)
      json::fail(
          src_, path(name),
          "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(x));
    return x;
  }
  double positive(std::string_view name, double fallback) const {
    const json::Value* v = obj_.find(name);
    if (!v || v->is(json::Type::Null)) return fallback;
    const double x = json::get_number(*v, src_, path(name));
    if (!(x > 0) || !std::isfinite(x))
      json::fail(src_, path(name), "must be a positive number, got " + json::describe(*v));
    return x;
  }
  [[noreturn]] void fail(std::string_view name, const std::string& problem) const {
    json::fail(src_, path(name), problem);
  }
  static std::string path(std::string_view name) { return json::join("vision_config", name); }

 private:
  const json::Value& obj_;
  const json::Source& src_;
};

}  // namespace

VisionConfig parse_vision_config(const std::string& json_text, const std::string& path) {
  const json::Source src{ErrorCode::Config, path};
  json::Limits limits;
  limits.max_bytes = kMaxConfigBytes;
  const json::Value doc = json::parse(json_text, src, limits);
  json::get_object(doc, src, "");
  const json::Value* vision = doc.find("vision_config");
  if (!vision || vision->is(json::Type::Null))
    json::fail(src, "vision_config", "is missing: this model has no vision tower (a text-only checkpoint)");
  const VisionFields f(json::get_object(*vision, src, "vision_config"), src);
  const json::Value* text = doc.find("text_config");
  if (!text || text->is(json::Type::Null)) json::fail(src, "text_config", "is required but missing");
  const json::Value* text_hidden = json::get_object(*text, src, "text_config").find("hidden_size");
  if (!text_hidden) json::fail(src, "text_config.hidden_size", "is required but missing");

  VisionConfig c;
  c.text_hidden_size = json::get_int(*text_hidden, src, "text_config.hidden_size");
  if (c.text_hidden_size < 1 || c.text_hidden_size > kMaxWidth)
    json::fail(src, "text_config.hidden_size", "is out of range");
  c.image_size = f.integer("image_size", 2, 4096);
  c.patch_size = f.integer("patch_size", 1, 512);
  c.num_channels = f.integer("num_channels", 3, 3);
  c.hidden_size = f.integer("hidden_size", 4, kMaxWidth);
  c.num_hidden_layers = f.integer("num_hidden_layers", 0, 1024);
  c.num_attention_heads = f.integer("num_attention_heads", 1, 1024);
  c.intermediate_size = f.integer("intermediate_size", 1, kMaxWidth);
  c.projector_input_dim = f.integer("projector_input_dim", 1, kMaxWidth);
  c.projector_output_dim = f.integer("projector_output_dim", 1, kMaxWidth);
  c.vision_output_dim = f.integer("vision_output_dim", 1, kMaxWidth);
  c.norm_eps = f.positive("norm_eps", 1e-5);
  c.rope_theta = f.positive("rope_theta", 10000.0);

  if (c.image_size % c.patch_size != 0)
    f.fail("image_size", "must be a multiple of patch_size (" + std::to_string(c.patch_size) + ")");
  if (c.grid() % 2 != 0) f.fail("image_size", "must give an even patch grid for the pixel shuffle");
  if (c.hidden_size % c.num_attention_heads != 0 || c.head_dim() % 4 != 0)
    f.fail("num_attention_heads",
           "must divide hidden_size into heads whose size is a multiple of 4 (2-D RoPE)");
  const double ratio = f.positive("pixel_shuffle_ratio", 0.0);
  if (ratio != 0.5) f.fail("pixel_shuffle_ratio", "must be 0.5 (the only ratio Llama 4 uses)");
  // Hugging Face sizes the adapter's input from intermediate_size; it only works when that equals
  // the pixel-shuffled width 4·hidden_size, as it does for every released model.
  if (c.intermediate_size != 4 * c.hidden_size)
    f.fail("intermediate_size", "must equal 4 × hidden_size (the pixel-shuffled width the adapter reads)");
  if (c.vision_output_dim != c.projector_output_dim)
    f.fail("vision_output_dim", "must equal projector_output_dim (the adapter output feeds the projector)");
  if (const json::Value* layer = vision->find("vision_feature_layer");
      layer && !layer->is(json::Type::Null)) {
    if (json::get_int(*layer, src, "vision_config.vision_feature_layer") != -1)
      f.fail("vision_feature_layer", "must be -1 (Llama 4 reads the last layer only)");
  }
  if (const json::Value* bias = vision->find("multi_modal_projector_bias");
      bias && !bias->is(json::Type::Null)) {
    if (json::get_bool(*bias, src, "vision_config.multi_modal_projector_bias"))
      f.fail("multi_modal_projector_bias", "must be false (Llama 4's projector has no bias)");
  }
  return c;
}

VisionConfig load_vision_config(const std::string& path) {
  return parse_vision_config(json::read_file(path, kMaxConfigBytes, ErrorCode::Config), path);
}

}  // namespace scout
