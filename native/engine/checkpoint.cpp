// Opening a model folder: config.json, then one model.safetensors or the shards that
// model.safetensors.index.json lists, cross-checked so that every tensor has exactly one home.
#include "engine/checkpoint.hpp"

#include <cstdlib>
#include <filesystem>
#include <unordered_set>

#include "engine/json.hpp"
#include "engine/safetensors.hpp"

namespace scout {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr size_t kMaxIndexBytes = size_t{64} << 20;

// True when something is at `path`, a dangling symlink included (opening it then says why).
bool exists_at(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

// The canonical path (symlinks resolved), or "" when it does not exist.
std::string real_path(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return {};
  std::string out(resolved);
  std::free(resolved);
  return out;
}

// `path` and `folder` are canonical; true when path lies strictly below folder.
bool is_inside(const std::string& path, const std::string& folder) {
  if (folder == "/") return path.size() > 1 && path[0] == '/';
  return path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 &&
         path[folder.size()] == '/';
}

// A shard name from the index must be a relative path that stays in the model folder: no
// absolute path, no "..", "." or empty component, no backslash (a Windows separator that could
// mean something else once the folder is shared).
void check_shard_name(const std::string& shard, const json::Source& src) {
  const std::string where = "weight_map names shard " + json::quote(shard);
  if (shard.empty()) json::fail(src, "", "weight_map names an empty shard file name");
  if (shard.front() == '/')
    json::fail(src, "", where + ", an absolute path; shards must be in the model folder");
  if (shard.find('\\') != std::string::npos) json::fail(src, "", where + " with a backslash");
  size_t start = 0;
  for (;;) {
    const size_t slash = shard.find('/', start);
    const std::string part =
        shard.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      json::fail(src, "", where + ", which escapes or is not a plain path inside the model folder");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (unsigned char c : shard)
    if (c < 0x20) json::fail(src, "", where + " with a control character");
}

// Where a shard may really live. Normally inside the model folder. In the Hugging Face cache
// (<repo>/snapshots/<revision>/file -> ../../blobs/<hash>) every file is a symlink into the
// repository's blobs folder, so that folder is trusted too, and nothing else.
std::vector<std::string> trusted_roots(const std::string& real_dir) {
  std::vector<std::string> roots{real_dir};
  const fs::path p(real_dir);
  if (p.parent_path().filename() == "snapshots") {
    const std::string blobs = real_path((p.parent_path().parent_path() / "blobs").string());
    if (!blobs.empty()) roots.push_back(blobs);
  }
  return roots;
}

}  // namespace

Checkpoint::~Checkpoint() = default;

std::unique_ptr<Checkpoint> Checkpoint::open(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ErrorCode::NotFound, dir + ": no such model folder");
  auto ck = std::unique_ptr<Checkpoint>(new Checkpoint());
  ck->dir_ = dir;
  ck->config_ = load_text_config(dir + "/config.json");

  const std::string single = dir + "/" + kSingleFile;
  const std::string index = dir + "/" + kIndexFile;
  if (exists_at(single)) {
    ck->add_file(SafetensorsFile::open(single));
  } else if (exists_at(index)) {
    ck->open_shards(index);
  } else {
    throw Error(ErrorCode::NotFound,
                dir + ": no weights found (looked for " + kSingleFile + " and " + kIndexFile + ")");
  }

  const bool conditional = ck->config_.architecture == "Llama4ForConditionalGeneration";
  ck->text_prefix_ = conditional ? "language_model." : "";
  ck->check_names_against_config();
  return ck;
}

// Registers every tensor of `file`. Two files holding the same name is a shard-index error: the
// single-file case cannot get here with duplicates (the header parser rejects them).
void Checkpoint::add_file(std::unique_ptr<SafetensorsFile> file) {
  size_t view_index = 0;
  for (const auto& entry : file->entries()) {
    const TensorView* view = entry.compute ? &file->views()[view_index++] : nullptr;
    const auto [it, inserted] = by_name_.emplace(entry.name, Slot{&entry, view, file.get()});
    if (!inserted)
      throw Error(ErrorCode::ShardIndex, dir_ + ": tensor " + json::quote(entry.name) + " is in both " +
                                             it->second.file->path() + " and " + file->path());
  }
  files_.push_back(std::move(file));
}

void Checkpoint::open_shards(const std::string& index_path) {
  const json::Source src{ErrorCode::ShardIndex, index_path};
  json::Limits limits;
  limits.max_bytes = kMaxIndexBytes;
  const json::Value doc =
      json::parse(json::read_file(index_path, kMaxIndexBytes, ErrorCode::ShardIndex), src, limits);
  json::get_object(doc, src, "");
  if (const json::Value* meta = doc.find("metadata"); meta && !meta->is(json::Type::Null))
    json::get_object(*meta, src, "metadata");
  const json::Value* map_value = doc.find("weight_map");
  if (!map_value) json::fail(src, "weight_map", "is required but missing");
  const json::Value& weight_map = json::get_object(*map_value, src, "weight_map");
  if (weight_map.size() == 0) json::fail(src, "weight_map", "lists no tensors");

  // tensor name -> shard name, and the shards in order of first mention.
  std::unordered_map<std::string_view, std::string_view> shard_of;
  std::vector<std::string> shards;
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < weight_map.size(); ++i) {
    const std::string& tensor = weight_map.keys()[i];
    const std::string& shard =
        json::get_string(weight_map.items()[i], src, "weight_map." + json::quote(tensor));
    shard_of.emplace(tensor, shard);
    if (seen.insert(shard).second) {
      check_shard_name(shard, src);
      shards.push_back(shard);
    }
  }

  const std::string real_dir = real_path(dir_);
  const std::vector<std::string> roots = trusted_roots(real_dir);
  for (const std::string& shard : shards) {
    const std::string candidate = dir_ + "/" + shard;
    const std::string real = real_path(candidate);
    if (real.empty())
      throw Error(ErrorCode::NotFound,
                  index_path + ": shard " + json::quote(shard) + " does not exist in " + dir_);
    bool trusted = false;
    for (const auto& root : roots) trusted |= is_inside(real, root);
    if (!trusted)
      json::fail(src, "",
                 "shard " + json::quote(shard) + " resolves to " + real + ", outside the model folder " +
                     real_dir + " (a symlink escape)");
    // Open the resolved path (a symlink swapped after the check cannot redirect us) but name the
    // shard as the user knows it.
    auto file = SafetensorsFile::open(real, candidate);
    for (const auto& entry : file->entries())
      if (shard_of.count(entry.name) == 0)
        json::fail(src, "",
                   "does not list tensor " + json::quote(entry.name) + ", which shard " + json::quote(shard) +
                       " holds");
    add_file(std::move(file));  // rejects a tensor held by two shards
  }

  // Every tensor now has exactly one home; it must be the shard the index names, and every
  // tensor the index lists must have one. files_[i] was opened for shards[i].
  for (size_t i = 0; i < files_.size(); ++i) {
    for (const auto& entry : files_[i]->entries()) {
      const std::string_view listed = shard_of.at(entry.name);
      if (listed != shards[i])
        json::fail(src, "",
                   "maps tensor " + json::quote(entry.name) + " to shard " + json::quote(listed) +
                       ", but shard " + json::quote(shards[i]) + " holds it");
    }
  }
  for (const auto& [tensor, shard] : shard_of)
    if (by_name_.count(std::string(tensor)) == 0)
      json::fail(src, "",
                 "lists tensor " + json::quote(tensor) + " in shard " + json::quote(shard) +
                     ", which does not hold it");
}

// Cross-checks tensor names with config.json: the text prefix must exist, and no tensor may
// belong to a layer the config does not have.
void Checkpoint::check_names_against_config() const {
  if (!text_prefix_.empty()) {
    bool found = false;
    for (const auto& [name, slot] : by_name_)
      found |= name.compare(0, text_prefix_.size(), text_prefix_) == 0;
    if (!found)
      throw Error(ErrorCode::ModelMismatch, dir_ + ": config.json declares " + config_.architecture +
                                                ", but no tensor name starts with \"" + text_prefix_ + "\"");
  }
  const std::string layers = text_prefix_ + "model.layers.";
  for (const auto& [name, slot] : by_name_) {
    if (name.compare(0, layers.size(), layers) != 0) continue;
    const size_t dot = name.find('.', layers.size());
    const std::string digits =
        name.substr(layers.size(), dot == std::string::npos ? std::string::npos : dot - layers.size());
    const bool well_formed = !digits.empty() && digits.size() <= 9 && (digits == "0" || digits[0] != '0') &&
                             digits.find_first_not_of("0123456789") == std::string::npos;
    const std::string& file = slot.file->path();
    if (!well_formed)
      throw Error(ErrorCode::ModelMismatch,
                  file + ": tensor " + json::quote(name) + " has a malformed layer index");
    if (std::stoll(digits) >= config_.num_hidden_layers)
      throw Error(ErrorCode::ModelMismatch, file + ": tensor " + json::quote(name) + " belongs to layer " +
                                                digits + ", but config.json has num_hidden_layers = " +
                                                std::to_string(config_.num_hidden_layers));
  }
}

const TensorView* Checkpoint::find(std::string_view name) const {
  const auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second.view;
}

const TensorView& Checkpoint::require(std::string_view name, const std::vector<int64_t>& shape) const {
  const auto it = by_name_.find(std::string(name));
  if (it == by_name_.end())
    throw Error(ErrorCode::ModelMismatch, dir_ + ": tensor " + json::quote(name) +
                                              " is missing (expected shape " + shape_text(shape) + ")");
  const Slot& slot = it->second;
  if (!slot.view)
    throw Error(ErrorCode::ModelMismatch, slot.file->path() + ": tensor " + json::quote(name) +
                                              " has dtype " + slot.entry->dtype +
                                              "; Scout computes with F32, BF16 or F16");
  if (slot.view->shape != shape)
    throw Error(ErrorCode::ModelMismatch, slot.view->file + ": tensor " + json::quote(name) + " has shape " +
                                              shape_text(slot.view->shape) + ", expected " +
                                              shape_text(shape));
  return *slot.view;
}

std::string Checkpoint::text_name(std::string_view relative) const {
  return text_prefix_ + std::string(relative);
}

std::vector<const TensorView*> Checkpoint::tensors() const {
  std::vector<const TensorView*> out;
  for (const auto& file : files_)
    for (const auto& view : file->views()) out.push_back(&view);
  return out;
}

}  // namespace scout
