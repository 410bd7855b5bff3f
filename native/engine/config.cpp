// Reads config.json strictly (see config.hpp and shared/docs/bad-inputs.md "config.json (CF)").
//
// Every field the forward pass relies on is required and range-checked here. The Hugging Face
// class defaults (bos=1, eos=2, no rope scaling, …) are never assumed: a checkpoint's config.json
// spells out everything that matters, and a missing field means the file is not what it claims.
// Only fields whose absence has a single meaning in HF's own code get a default (head_dim,
// no_rope_layers, interleave_moe_layer_step, rope_scaling, the attention-temperature knobs).
//
// Upper bounds are sanity bounds, far above any released Llama 4 but low enough that products
// like hidden_size × vocab_size cannot overflow int64. max_position_embeddings is accepted up to
// 2^31 (Scout Instruct says 10,485,760; 5e7 written as an integer is accepted too): the engine
// never allocates in proportion to it, sequences are sized by what the caller asks for.
#include "engine/config.hpp"

#include <algorithm>
#include <cmath>

#include "engine/json_fields.hpp"

namespace scout {

bool TextConfig::is_moe_layer(int64_t layer) const {
  return std::binary_search(moe_layers.begin(), moe_layers.end(), layer);
}

namespace {

constexpr const char* kConditional = "Llama4ForConditionalGeneration";
constexpr const char* kCausal = "Llama4ForCausalLM";
constexpr size_t kMaxConfigBytes = size_t{16} << 20;

using json::quote;

void read_rope_scaling(const json::Fields& f, TextConfig& c) {
  const json::Value* v = f.get("rope_scaling");
  if (!v) return;  // null or absent: no scaling
  if (!v->is(json::Type::Object))
    f.fail("rope_scaling", "must be an object or null, got " + json::describe(*v));
  const json::Fields rs(*v, f.path("rope_scaling"), f.source());
  const std::string* rope_type = rs.optional_string("rope_type");
  const std::string* legacy_type = rs.optional_string("type");  // the older spelling
  if (rope_type && legacy_type && *rope_type != *legacy_type)
    rs.fail("type", "disagrees with rope_type (" + quote(*rope_type) + " vs " + quote(*legacy_type) + ")");
  const std::string* type = rope_type ? rope_type : legacy_type;
  if (!type) rs.fail("rope_type", "is required but missing");
  if (*type == "default") return;
  if (*type != "llama3")
    rs.fail("rope_type",
            "must be \"llama3\" or \"default\" (the scalings Llama 4 uses), got " + quote(*type));
  c.rope_scaling.type = "llama3";
  c.rope_scaling.factor = rs.required_positive("factor");
  c.rope_scaling.low_freq_factor = rs.required_positive("low_freq_factor");
  c.rope_scaling.high_freq_factor = rs.required_positive("high_freq_factor");
  if (c.rope_scaling.high_freq_factor < c.rope_scaling.low_freq_factor)
    rs.fail("high_freq_factor", "must be >= low_freq_factor (" + json::describe(rs.need("low_freq_factor")) +
                                    "), got " + json::describe(rs.need("high_freq_factor")));
  c.rope_scaling.original_max_position_embeddings =
      rs.required_int("original_max_position_embeddings", 1, int64_t{1} << 31);
}

// no_rope_layers: per layer, 1 = the layer uses RoPE. Absent, null or [] (the released base
// config has []) all mean HF's default: every fourth layer (i + 1) % 4 == 0 is NoPE.
void read_rope_layers(const json::Fields& f, TextConfig& c) {
  const int64_t layers = c.num_hidden_layers;
  const json::Value* v = f.get("no_rope_layers");
  if (!v || (v->is(json::Type::Array) && v->size() == 0)) {
    for (int64_t i = 0; i < layers; ++i) c.no_rope_layers.push_back((i + 1) % 4 != 0 ? 1 : 0);
  } else {
    json::get_array(*v, f.source(), f.path("no_rope_layers"));
    if (static_cast<int64_t>(v->size()) != layers)
      f.fail("no_rope_layers", "must list one 0/1 per layer (" + std::to_string(layers) + "), got " +
                                   std::to_string(v->size()) + " entries");
    for (size_t i = 0; i < v->size(); ++i)
      c.no_rope_layers.push_back(
          static_cast<uint8_t>(f.int_in(v->items()[i], json::index_path("no_rope_layers", i), 0, 1)));
  }
  // Newer HF configs also write layer_types, derived from no_rope_layers; a file where the two
  // disagree would give different attention in different engines.
  if (const json::Value* types = f.get("layer_types")) {
    json::get_array(*types, f.source(), f.path("layer_types"));
    if (static_cast<int64_t>(types->size()) != layers)
      f.fail("layer_types", "must have one entry per layer (" + std::to_string(layers) + ")");
    for (size_t i = 0; i < types->size(); ++i) {
      const std::string name = json::index_path("layer_types", i);
      const std::string& t = json::get_string(types->items()[i], f.source(), f.path(name));
      const char* expected = c.no_rope_layers[i] ? "chunked_attention" : "full_attention";
      if (t != expected)
        f.fail(name, "must be \"" + std::string(expected) + "\" to match no_rope_layers, got " + quote(t));
    }
  }
}

// moe_layers: explicit list, or HF's range(step - 1, L, step).
void read_moe_layers(const json::Fields& f, TextConfig& c) {
  const int64_t layers = c.num_hidden_layers;
  c.interleave_moe_layer_step = f.optional_int("interleave_moe_layer_step", 1, 1, layers);
  if (const json::Value* v = f.get("moe_layers")) {
    json::get_array(*v, f.source(), f.path("moe_layers"));
    for (size_t i = 0; i < v->size(); ++i) {
      const int64_t layer = f.int_in(v->items()[i], json::index_path("moe_layers", i), 0, layers - 1);
      if (!c.moe_layers.empty() && layer <= c.moe_layers.back())
        f.fail(json::index_path("moe_layers", i),
               "must be strictly increasing, got " + std::to_string(layer));
      c.moe_layers.push_back(layer);
    }
  } else {
    for (int64_t i = c.interleave_moe_layer_step - 1; i < layers; i += c.interleave_moe_layer_step)
      c.moe_layers.push_back(i);
  }
}

void read_token_ids(const json::Fields& f, TextConfig& c) {
  const int64_t last = c.vocab_size - 1;
  if (const json::Value* eos = f.get("eos_token_id")) {
    if (eos->is(json::Type::Array)) {
      if (eos->size() == 0) f.fail("eos_token_id", "must not be an empty list");
      for (size_t i = 0; i < eos->size(); ++i)
        c.eos_token_ids.push_back(f.int_in(eos->items()[i], json::index_path("eos_token_id", i), 0, last));
    } else {
      c.eos_token_ids.push_back(f.int_in(*eos, "eos_token_id", 0, last));
    }
  }
  c.bos_token_id = f.optional_int("bos_token_id", -1, 0, last);
  c.pad_token_id = f.optional_int("pad_token_id", -1, 0, last);
}

void read_dtype(const json::Fields& f, TextConfig& c) {
  // Transformers >= 4.56 writes "dtype" where older versions wrote "torch_dtype".
  for (const char* key : {"torch_dtype", "dtype"}) {
    const std::string* d = f.optional_string(key);
    if (!d) continue;
    if (*d != "float32" && *d != "bfloat16" && *d != "float16")
      f.fail(key, "must be float32, bfloat16 or float16, got " + quote(*d));
    if (c.torch_dtype.empty()) c.torch_dtype = *d;
  }
}

// Fields that exist at both levels of a conditional-generation config.
void check_shared_fields(const json::Fields& f, TextConfig& c) {
  read_dtype(f, c);
  if (f.optional_bool("tie_word_embeddings", false))
    f.fail("tie_word_embeddings",
           "is true, but Llama 4 keeps a separate lm_head and Scout does not support tied "
           "embeddings");
}

void read_text_fields(const json::Fields& f, TextConfig& c) {
  c.hidden_size = f.required_int("hidden_size", 1, 65536);
  c.num_hidden_layers = f.required_int("num_hidden_layers", 1, 1024);
  c.num_attention_heads = f.required_int("num_attention_heads", 1, 1024);
  c.num_key_value_heads = f.required_int("num_key_value_heads", 1, c.num_attention_heads);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    f.fail("num_key_value_heads", "must divide num_attention_heads (" +
                                      std::to_string(c.num_attention_heads) + "), got " +
                                      std::to_string(c.num_key_value_heads));
  if (f.get("head_dim")) {
    c.head_dim = f.required_int("head_dim", 2, 1024);
    if (c.head_dim % 2 != 0)
      f.fail("head_dim", "must be even (RoPE rotates pairs), got " + std::to_string(c.head_dim));
  } else {
    if (c.hidden_size % c.num_attention_heads != 0 || (c.hidden_size / c.num_attention_heads) % 2 != 0)
      f.fail("head_dim", "is absent, and hidden_size / num_attention_heads (" +
                             std::to_string(c.hidden_size) + " / " + std::to_string(c.num_attention_heads) +
                             ") is not a whole even number");
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  c.vocab_size = f.required_int("vocab_size", 1, 4194304);
  c.num_local_experts = f.required_int("num_local_experts", 1, 1024);
  c.num_experts_per_tok = f.required_int("num_experts_per_tok", 1, c.num_local_experts);
  c.intermediate_size = f.required_int("intermediate_size", 1, 1 << 20);
  read_moe_layers(f, c);
  // The dense-layer width matters only when some layer is dense (none is in Scout).
  const bool has_dense = static_cast<int64_t>(c.moe_layers.size()) < c.num_hidden_layers;
  c.intermediate_size_mlp = has_dense ? f.required_int("intermediate_size_mlp", 1, 1 << 20)
                                      : f.optional_int("intermediate_size_mlp", 0, 1, 1 << 20);
  read_rope_layers(f, c);
  c.attention_chunk_size = f.required_int("attention_chunk_size", 1, int64_t{1} << 31);
  c.max_position_embeddings = f.required_int("max_position_embeddings", 1, int64_t{1} << 31);
  c.rope_theta = f.required_positive("rope_theta");
  read_rope_scaling(f, c);
  c.rms_norm_eps = f.required_positive("rms_norm_eps");
  c.use_qk_norm = f.optional_bool("use_qk_norm", true);
  // The released config stores the integer 4 here: any nonzero number means "on", as in Python.
  if (const json::Value* t = f.get("attn_temperature_tuning")) {
    if (t->is(json::Type::Bool))
      c.attn_temperature_tuning = t->boolean();
    else if (t->is(json::Type::Number))
      c.attn_temperature_tuning = t->number() != 0;
    else
      f.fail("attn_temperature_tuning", "must be a boolean or a number, got " + json::describe(*t));
  }
  c.floor_scale = f.optional_positive("floor_scale", 8192.0);
  c.attn_scale = f.optional_positive("attn_scale", 0.1);
  if (const std::string* act = f.optional_string("hidden_act"); act && *act != "silu")
    f.fail("hidden_act", "must be \"silu\" (Llama 4's SwiGLU), got " + quote(*act));
  if (f.optional_bool("attention_bias", false))
    f.fail("attention_bias", "is true, but Llama 4 has no attention biases");
  read_token_ids(f, c);
}

}  // namespace

TextConfig parse_text_config(const std::string& json_text, const std::string& path) {
  const json::Source src{ErrorCode::Config, path};
  json::Limits limits;
  limits.max_bytes = kMaxConfigBytes;
  const json::Value doc = json::parse(json_text, src, limits);
  if (!doc.is(json::Type::Object)) json::fail(src, "", "must hold a JSON object, got " + json::describe(doc));
  const json::Fields top(doc, "", src);

  TextConfig c;
  const json::Value& archs = json::get_array(top.need("architectures"), src, "architectures");
  if (archs.size() == 0) top.fail("architectures", "must not be empty");
  c.architecture = json::get_string(archs.items()[0], src, "architectures[0]");
  const std::string& model_type = json::get_string(top.need("model_type"), src, "model_type");

  if (c.architecture == kConditional) {
    if (model_type != "llama4")
      top.fail("model_type", "must be \"llama4\" for " + c.architecture + ", got " + quote(model_type));
    const json::Value& text = json::get_object(top.need("text_config"), src, "text_config");
    const json::Fields tf(text, "text_config", src);
    if (const std::string* t = tf.optional_string("model_type"); t && *t != "llama4_text")
      tf.fail("model_type", "must be \"llama4_text\", got " + quote(*t));
    check_shared_fields(top, c);
    check_shared_fields(tf, c);
    read_text_fields(tf, c);
    c.image_token_index = top.optional_int("image_token_index", -1, 0, c.vocab_size - 1);
  } else if (c.architecture == kCausal) {
    if (model_type != "llama4_text")
      top.fail("model_type", "must be \"llama4_text\" for " + c.architecture + ", got " + quote(model_type));
    check_shared_fields(top, c);
    read_text_fields(top, c);
  } else {
    top.fail("architectures[0]",
             "must be " + std::string(kConditional) + " or " + kCausal + ", got " + quote(c.architecture));
  }
  return c;
}

TextConfig load_text_config(const std::string& path) {
  return parse_text_config(json::read_file(path, kMaxConfigBytes, ErrorCode::Config), path);
}

}  // namespace scout
