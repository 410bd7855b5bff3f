// Model and Sequence on the CPU: checkpoint -> bound weights -> TextModel, plus the per-sequence
// KV cache and the bookkeeping that makes eval() all-or-nothing.
#include "engine/model.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include "cpu/thread_pool.hpp"
#include "engine/checkpoint.hpp"
#include "engine/error.hpp"
#include "engine/kv_cache.hpp"
#include "engine/llama4_text.hpp"
#include "engine/weights.hpp"

namespace scout {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::InvalidArgument, message);
}

Error out_of_memory(const std::string& what) {
  return Error(ErrorCode::OutOfMemory, "not enough memory for " + what);
}

class CpuModel;

// FNV-1a over the weight format and every tensor's name, shape and first and last bytes: cheap to
// compute from the memory map, and different for different weights in practice.
uint64_t fingerprint(const Checkpoint& checkpoint, WeightFormat format) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* data, size_t n) {
    const auto* b = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  const auto f = static_cast<int>(format);
  mix(&f, sizeof f);
  auto tensors = checkpoint.tensors();
  std::sort(tensors.begin(), tensors.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const TensorView* t : tensors) {
    mix(t->name.data(), t->name.size());
    mix(t->shape.data(), t->shape.size() * sizeof(int64_t));
    const size_t edge = std::min<size_t>(t->nbytes, 64);
    if (edge > 0) {
      mix(t->data, edge);
      mix(t->data + t->nbytes - edge, edge);
    }
  }
  return h;
}

class CpuSequence final : public Sequence {
 public:
  CpuSequence(const CpuModel& model, int64_t capacity);

  int64_t position() const override { return cache_.position(); }
  int64_t capacity() const override { return cache_.capacity(); }
  uint64_t kv_bytes() const override { return cache_.bytes(); }
  int64_t truncate(int64_t n) override { return cache_.truncate(n); }
  void save(const std::string& path) const override;
  void load(const std::string& path) override;
  void eval(std::span<const int32_t> tokens, Logits mode, float* out,
            const std::atomic<bool>* cancel) override {
    run(tokens, nullptr, mode, out, cancel);
  }
  void eval_with_images(std::span<const int32_t> tokens, std::span<const float> image_rows, Logits mode,
                        float* out, const std::atomic<bool>* cancel) override;

 private:
  void run(std::span<const int32_t> tokens, const float* image_rows, Logits mode, float* out,
           const std::atomic<bool>* cancel);

  const CpuModel& model_;
  KvCache cache_;
};

class CpuModel final : public Model {
 public:
  CpuModel(std::unique_ptr<Checkpoint> checkpoint, const LoadOptions& options,
           const std::atomic<bool>* cancel, const ProgressFn& progress)
      : checkpoint_(std::move(checkpoint)),
        weights_(bind_text_weights(*checkpoint_, options.weights, cancel, progress)),
        pool_(options.threads),
        text_(checkpoint_->config(), weights_, pool_),
        model_id_(fingerprint(*checkpoint_, options.weights)) {}

  const TextConfig& config() const override { return checkpoint_->config(); }
  uint64_t weight_bytes() const override { return weights_.bytes(); }

  std::unique_ptr<Sequence> new_sequence(int64_t max_tokens) override {
    const int64_t limit = config().max_position_embeddings;
    if (max_tokens < 1 || max_tokens > limit)
      invalid("sequence capacity must be in [1, " + std::to_string(limit) +
              "] (max_position_embeddings), got " + std::to_string(max_tokens));
    return std::make_unique<CpuSequence>(*this, max_tokens);
  }

  const TextModel& text() const { return text_; }
  // Identifies the weights a KV cache was computed with (see kv_file.cpp).
  uint64_t model_id() const { return model_id_; }

 private:
  std::unique_ptr<Checkpoint> checkpoint_;  // owns the memory map that borrowed weights point into
  TextWeights weights_;
  mutable cpu::ThreadPool pool_;
  TextModel text_;
  uint64_t model_id_;
};

CpuSequence::CpuSequence(const CpuModel& model, int64_t capacity)
    : model_(model), cache_(model.config(), capacity) {}

void CpuSequence::save(const std::string& path) const {
  const std::string tmp = path + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorCode::Io, "cannot write " + tmp);
    cache_.save(out, model_.model_id());
    out.flush();
    if (!out) throw Error(ErrorCode::Io, "could not write " + tmp + " (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(ErrorCode::Io, "cannot rename " + tmp + " to " + path + ": " + ec.message());
}

void CpuSequence::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::NotFound, "cannot open KV cache file " + path);
  try {
    cache_.load(in, model_.model_id(), path);
  } catch (const std::bad_alloc&) {
    throw out_of_memory("the KV cache loaded from " + path);
  }
}

void CpuSequence::eval_with_images(std::span<const int32_t> tokens, std::span<const float> image_rows,
                                   Logits mode, float* out, const std::atomic<bool>* cancel) {
  const TextConfig& c = model_.config();
  if (c.image_token_index < 0) invalid("this model has no image_token_index: it cannot take image features");
  const auto patches = static_cast<int64_t>(std::count(tokens.begin(), tokens.end(), c.image_token_index));
  if (static_cast<int64_t>(image_rows.size()) != patches * c.hidden_size)
    invalid("the tokens hold " + std::to_string(patches) + " image positions (id " +
            std::to_string(c.image_token_index) + "), which need " + std::to_string(patches * c.hidden_size) +
            " feature values, got " + std::to_string(image_rows.size()));
  for (size_t i = 0; i < image_rows.size(); ++i)
    if (!std::isfinite(image_rows[i])) invalid("image feature value " + std::to_string(i) + " is not finite");
  run(tokens, image_rows.data(), mode, out, cancel);
}

void CpuSequence::run(std::span<const int32_t> tokens, const float* image_rows, Logits mode, float* out,
                      const std::atomic<bool>* cancel) {
  const TextConfig& c = model_.config();
  const auto n = static_cast<int64_t>(tokens.size());
  if (n == 0) invalid("eval needs at least one token");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size)
      invalid("token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
              " is outside the vocabulary [0, " + std::to_string(c.vocab_size) + ")");
  if (n > cache_.capacity() - cache_.position())
    invalid("eval of " + std::to_string(n) + " tokens at position " + std::to_string(cache_.position()) +
            " exceeds the sequence capacity " + std::to_string(cache_.capacity()));
  if (mode != Logits::None && out == nullptr) invalid("eval asked for logits but gave no output buffer");

  // Split at attention-chunk boundaries: inside one piece no RoPE-layer ring slot is written
  // twice, so no query can lose a key it still needs, whatever the ring size.
  const int64_t p0 = cache_.position(), chunk = c.attention_chunk_size;
  try {
    cache_.begin_eval(n);  // nothing is written yet if this fails
  } catch (const std::bad_alloc&) {
    throw out_of_memory("the KV cache of " + std::to_string(p0 + n) + " positions");
  }
  try {
    for (int64_t done = 0; done < n;) {
      const int64_t pos = p0 + done;
      const int64_t len = std::min(n - done, (pos / chunk + 1) * chunk - pos);
      const bool last_piece = done + len == n;
      Logits piece_mode = mode;
      float* piece_out = out;
      if (mode == Logits::All) piece_out = out + done * c.vocab_size;
      if (mode == Logits::Last && !last_piece) piece_mode = Logits::None;
      const auto piece = tokens.subspan(static_cast<size_t>(done), static_cast<size_t>(len));
      model_.text().forward(piece, pos, cache_, piece_mode, piece_out, cancel, image_rows);
      if (image_rows)
        image_rows += std::count(piece.begin(), piece.end(), c.image_token_index) * c.hidden_size;
      done += len;
    }
  } catch (const std::bad_alloc&) {
    cache_.abort_eval();  // back to p0, with every ring entry the chunk of p0 needs
    throw out_of_memory("the activations of " + std::to_string(n) + " tokens");
  } catch (...) {
    cache_.abort_eval();
    throw;
  }
  cache_.commit_eval();
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& dir, const LoadOptions& options,
                                   const std::atomic<bool>* cancel, const ProgressFn& progress) {
  constexpr int kMaxThreads = 1024;  // far above any CPU we run on; guards against a garbage value
  if (options.threads < 0 || options.threads > kMaxThreads)
    invalid("threads must be in [0, " + std::to_string(kMaxThreads) + "] (0: one per hardware thread), got " +
            std::to_string(options.threads));
  auto checkpoint = Checkpoint::open(dir);
  try {
    return std::make_unique<CpuModel>(std::move(checkpoint), options, cancel, progress);
  } catch (const std::bad_alloc&) {
    throw out_of_memory("the weights of " + dir);
  }
}

}  // namespace scout
