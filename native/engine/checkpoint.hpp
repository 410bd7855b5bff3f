// A Hugging Face model folder: config.json plus one model.safetensors or shards listed by
// model.safetensors.index.json. Tensors are memory-mapped (MAP_PRIVATE, read-only) and exposed
// as TensorViews; nothing is copied at open time.
//
// Opening validates every header completely (see shared/docs/bad-inputs.md, ST and shards):
// any malformed header, out-of-range offset, overlapping tensor, duplicate name, missing or
// escaping shard is a scout::Error naming the file and the tensor.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/config.hpp"
#include "engine/tensor.hpp"

namespace scout {

class SafetensorsFile;    // one mmapped .safetensors file (engine/safetensors.hpp)
struct SafetensorsEntry;  // one tensor's header entry, whatever its dtype

class Checkpoint {
 public:
  // Opens the folder `dir`. Throws scout::Error (NotFound, Config, Safetensors, ShardIndex, and
  // ModelMismatch when tensors name layers beyond num_hidden_layers or lack the text prefix).
  // model.safetensors is used when present (as Hugging Face does), else the shards listed by
  // model.safetensors.index.json; each shard file is opened once.
  static std::unique_ptr<Checkpoint> open(const std::string& dir);
  ~Checkpoint();

  const std::string& dir() const { return dir_; }
  const TextConfig& config() const { return config_; }

  // The tensor called `name`, or nullptr (also when it exists with a dtype Scout does not compute
  // with, e.g. I8; require() names the dtype in that case).
  const TensorView* find(std::string_view name) const;

  // The tensor called `name`, checked against `shape`. Throws Error(ModelMismatch) naming the
  // tensor when it is missing or has another shape; dtype must be F32, BF16 or F16.
  const TensorView& require(std::string_view name, const std::vector<int64_t>& shape) const;

  // The prefix of the text model's tensors: "language_model." for conditional generation
  // checkpoints, "" for Llama4ForCausalLM. Tensor names below are relative to it, e.g.
  // text_name("model.norm.weight").
  std::string text_name(std::string_view relative) const;

  // Every F32/BF16/F16 tensor, for listing and validation, in file order.
  std::vector<const TensorView*> tensors() const;

 private:
  Checkpoint() = default;
  std::string dir_;
  std::string text_prefix_;
  TextConfig config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  struct Slot {
    const SafetensorsEntry* entry;  // every tensor has one
    const TensorView* view;         // nullptr for dtypes other than F32/BF16/F16
    const SafetensorsFile* file;    // where it lives
  };
  std::unordered_map<std::string, Slot> by_name_;

  void add_file(std::unique_ptr<SafetensorsFile> file);
  void open_shards(const std::string& index_path);
  void check_names_against_config() const;
};

}  // namespace scout
