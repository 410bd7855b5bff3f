// The CPU Llama 4 model on tiny random checkpoints (tests/model_fixture.hpp).
#include "engine/model.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/error.hpp"
#include "tests/check.hpp"
#include "tests/model_fixture.hpp"

using namespace scout;
using namespace scout::test;

namespace {

const std::vector<int32_t> kPrompt = {1,  7, 22, 3,  39, 0, 15, 15, 8,  31, 2, 27,
                                      11, 5, 36, 19, 4,  4, 25, 9,  13, 38, 6};

std::unique_ptr<Model> load(const std::string& dir, WeightFormat format = WeightFormat::F32,
                            int threads = 2) {
  LoadOptions options;
  options.weights = format;
  options.threads = threads;
  return Model::load(dir, options);
}

// Logits of every position of `tokens`, evaluated in one call.
std::vector<float> full_logits(Model& model, const std::vector<int32_t>& tokens) {
  auto seq = model.new_sequence(64);
  std::vector<float> out(tokens.size() * static_cast<size_t>(model.config().vocab_size));
  seq->eval(tokens, Logits::All, out.data());
  return out;
}

}  // namespace

SCOUT_TEST(model_piecewise_eval_equals_full_eval_across_chunk_boundaries) {
  auto model = load(TinyModel{}.write());
  const size_t V = static_cast<size_t>(model->config().vocab_size);
  const auto full = full_logits(*model, kPrompt);
  for (size_t step : {1, 2, 3, 5, 7}) {
    auto seq = model->new_sequence(64);
    std::vector<float> got(full.size());
    for (size_t at = 0; at < kPrompt.size(); at += step) {
      const size_t n = std::min(step, kPrompt.size() - at);
      seq->eval(std::span(kPrompt).subspan(at, n), Logits::All, got.data() + at * V);
    }
    CHECK(seq->position() == static_cast<int64_t>(kPrompt.size()));
    CHECK(max_rel_diff(got.data(), full.data(), full.size()) <= 1e-5);
  }
}

SCOUT_TEST(model_prompt_in_pieces_then_decode_matches_one_pass) {
  auto model = load(TinyModel{}.write());
  const size_t V = static_cast<size_t>(model->config().vocab_size);
  const auto full = full_logits(*model, kPrompt);
  auto seq = model->new_sequence(64);
  std::vector<float> row(V);
  // 13 prompt tokens as 6 + 7 (the 7 spans two chunk boundaries), then one at a time.
  seq->eval(std::span(kPrompt).first(6), Logits::None, nullptr);
  seq->eval(std::span(kPrompt).subspan(6, 7), Logits::Last, row.data());
  CHECK(max_rel_diff(row.data(), &full[12 * V], V) <= 1e-5);
  for (size_t t = 13; t < kPrompt.size(); ++t) {
    seq->eval(std::span(kPrompt).subspan(t, 1), Logits::Last, row.data());
    CHECK(max_rel_diff(row.data(), &full[t * V], V) <= 1e-5);
  }
}

SCOUT_TEST(model_last_logits_equal_last_row_of_all) {
  auto model = load(TinyModel{}.write());
  const size_t V = static_cast<size_t>(model->config().vocab_size);
  const auto full = full_logits(*model, kPrompt);
  auto seq = model->new_sequence(64);
  std::vector<float> last(V);
  seq->eval(kPrompt, Logits::Last, last.data());
  CHECK(std::memcmp(last.data(), &full[(kPrompt.size() - 1) * V], V * 4) == 0);
}

SCOUT_TEST(model_logits_are_identical_for_any_thread_count) {
  const std::string dir = TinyModel{}.write();
  auto one = load(dir, WeightFormat::F32, 1), three = load(dir, WeightFormat::F32, 3);
  const auto a = full_logits(*one, kPrompt), b = full_logits(*three, kPrompt);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

SCOUT_TEST(model_bf16_weights_track_f32_weights) {
  // A bf16 checkpoint holds the same numbers either way: f32 and bf16 compute agree closely.
  TinyModel bf16_file;
  bf16_file.dtype = "BF16";
  const std::string dir = bf16_file.write();
  const auto f32 = full_logits(*load(dir, WeightFormat::F32), kPrompt);
  const auto bf16 = full_logits(*load(dir, WeightFormat::BF16), kPrompt);
  CHECK(max_rel_diff(bf16.data(), f32.data(), f32.size()) <= 1e-5);
  // An f32 checkpoint rounded to bf16 at load moves the logits a little, not a lot.
  const std::string f32_dir = TinyModel{}.write();
  const auto exact = full_logits(*load(f32_dir, WeightFormat::F32), kPrompt);
  const auto rounded = full_logits(*load(f32_dir, WeightFormat::BF16), kPrompt);
  const double diff = max_rel_diff(rounded.data(), exact.data(), exact.size());
  CHECK(diff > 0.0);
  CHECK(diff < 0.05);
}

SCOUT_TEST(model_weight_bytes_count_the_requested_format) {
  const std::string dir = TinyModel{}.write();
  const uint64_t f32 = load(dir, WeightFormat::F32)->weight_bytes();
  const uint64_t bf16 = load(dir, WeightFormat::BF16)->weight_bytes();
  CHECK(f32 > 0);
  CHECK(bf16 < f32);
  CHECK(bf16 > f32 / 2);  // norms stay f32
}

SCOUT_TEST(model_causal_lm_prefix_gives_the_same_logits) {
  TinyModel causal;
  causal.conditional = false;
  const auto a = full_logits(*load(TinyModel{}.write()), kPrompt);
  const auto b = full_logits(*load(causal.write()), kPrompt);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

SCOUT_TEST(model_truncate_then_reeval_equals_fresh_eval) {
  auto model = load(TinyModel{}.write());
  const size_t V = static_cast<size_t>(model->config().vocab_size);
  const auto full = full_logits(*model, kPrompt);
  std::vector<int32_t> other = kPrompt;
  for (size_t i = 9; i < other.size(); ++i) other[i] = (other[i] + 5) % 40;
  const auto other_full = full_logits(*model, other);

  auto seq = model->new_sequence(64);
  seq->eval(std::span(kPrompt).first(14), Logits::None, nullptr);
  // Within the current chunk (12..15): kept as asked.
  CHECK(seq->truncate(13) == 13);
  std::vector<float> rows((kPrompt.size() - 13) * V);
  seq->eval(std::span(kPrompt).subspan(13), Logits::All, rows.data());
  CHECK(max_rel_diff(rows.data(), &full[13 * V], rows.size()) <= 1e-5);

  // Into an earlier chunk whose ring entries are gone: back to that chunk's start (8), then
  // a different continuation matches its own fresh evaluation.
  CHECK(seq->truncate(9) == 8);
  CHECK(seq->position() == 8);
  rows.assign((other.size() - 8) * V, 0.0f);
  seq->eval(std::span(other).subspan(8), Logits::All, rows.data());
  CHECK(max_rel_diff(rows.data(), &other_full[8 * V], rows.size()) <= 1e-5);

  // Past the end keeps everything; to 0 empties the sequence.
  CHECK(seq->truncate(1000) == static_cast<int64_t>(other.size()));
  CHECK(seq->truncate(0) == 0);
  CHECK_THROWS_CODE(seq->truncate(-1), ErrorCode::InvalidArgument);
}

SCOUT_TEST(model_cancelled_eval_leaves_the_sequence_unchanged) {
  auto model = load(TinyModel{}.write());
  const size_t V = static_cast<size_t>(model->config().vocab_size);
  const auto full = full_logits(*model, kPrompt);
  auto seq = model->new_sequence(64);
  seq->eval(std::span(kPrompt).first(6), Logits::None, nullptr);
  std::atomic<bool> cancel{true};
  std::vector<float> rows((kPrompt.size() - 6) * V);
  CHECK_THROWS_CODE(seq->eval(std::span(kPrompt).subspan(6), Logits::All, rows.data(), &cancel),
                    ErrorCode::Cancelled);
  CHECK(seq->position() == 6);
  seq->eval(std::span(kPrompt).subspan(6), Logits::All, rows.data());
  CHECK(max_rel_diff(rows.data(), &full[6 * V], rows.size()) <= 1e-5);
}

SCOUT_TEST(model_rejects_bad_tokens_capacity_and_buffers) {
  auto model = load(TinyModel{}.write());
  CHECK_THROWS_CODE_MSG(model->new_sequence(0), ErrorCode::InvalidArgument, "capacity");
  CHECK_THROWS_CODE_MSG(model->new_sequence(4097), ErrorCode::InvalidArgument, "max_position_embeddings");
  auto seq = model->new_sequence(8);
  std::vector<float> out(8 * 40);
  const std::vector<int32_t> bad_high = {1, 40}, bad_low = {-1}, too_many(9, 1), none;
  CHECK_THROWS_CODE_MSG(seq->eval(bad_high, Logits::All, out.data()), ErrorCode::InvalidArgument, "token 40");
  CHECK_THROWS_CODE_MSG(seq->eval(bad_low, Logits::All, out.data()), ErrorCode::InvalidArgument, "token -1");
  CHECK_THROWS_CODE_MSG(seq->eval(too_many, Logits::All, out.data()), ErrorCode::InvalidArgument, "capacity");
  CHECK_THROWS_CODE(seq->eval(none, Logits::All, out.data()), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(seq->eval(std::span(kPrompt).first(2), Logits::Last, nullptr),
                    ErrorCode::InvalidArgument);
  CHECK(seq->position() == 0);
  // Exactly full is fine; one more is not.
  seq->eval(std::span(kPrompt).first(8), Logits::None, nullptr);
  CHECK_THROWS_CODE_MSG(seq->eval(std::span(kPrompt).first(1), Logits::Last, out.data()),
                        ErrorCode::InvalidArgument, "capacity");
  LoadOptions negative;
  negative.threads = -1;
  CHECK_THROWS_CODE(Model::load(TinyModel{}.write(), negative), ErrorCode::InvalidArgument);
  LoadOptions absurd;
  absurd.threads = 1 << 20;
  CHECK_THROWS_CODE_MSG(Model::load(TinyModel{}.write(), absurd), ErrorCode::InvalidArgument, "threads");
}

SCOUT_TEST(model_missing_or_misshapen_tensor_is_a_model_mismatch_naming_it) {
  TinyModel missing;
  missing.omit.insert("model.layers.1.feed_forward.experts.down_proj");
  CHECK_THROWS_CODE_MSG(load(missing.write()), ErrorCode::ModelMismatch,
                        "language_model.model.layers.1.feed_forward.experts.down_proj");
  TinyModel no_head;
  no_head.conditional = false;
  no_head.omit.insert("lm_head.weight");
  CHECK_THROWS_CODE_MSG(load(no_head.write()), ErrorCode::ModelMismatch, "lm_head.weight");
  TinyModel misshapen;
  misshapen.wrong_shapes["model.layers.1.feed_forward.experts.gate_up_proj"] = {4, 12, 32};  // [E, F, 2D]?
  CHECK_THROWS_CODE_MSG(load(misshapen.write()), ErrorCode::ModelMismatch, "experts.gate_up_proj");
  TinyModel dense_shape;
  dense_shape.wrong_shapes["model.layers.0.feed_forward.up_proj.weight"] = {
      12, 16};  // expert width, not mlp width
  CHECK_THROWS_CODE_MSG(load(dense_shape.write()), ErrorCode::ModelMismatch,
                        "layers.0.feed_forward.up_proj.weight");
}

SCOUT_TEST(model_load_reports_progress_and_honours_cancellation) {
  const std::string dir = TinyModel{}.write();
  uint64_t last_done = 0, last_total = 0;
  int calls = 0;
  bool monotonic = true;
  auto progress = [&](uint64_t done, uint64_t total) {
    monotonic = monotonic && done >= last_done;
    last_done = done, last_total = total, ++calls;
  };
  LoadOptions options;
  options.threads = 1;
  Model::load(dir, options, nullptr, progress);
  CHECK(calls > 10);
  CHECK(monotonic);
  CHECK(last_done == last_total);
  std::atomic<bool> cancel{true};
  CHECK_THROWS_CODE(Model::load(dir, options, &cancel), ErrorCode::Cancelled);
}

SCOUT_TEST(model_kv_cache_memory_grows_only_in_global_layers) {
  auto model = load(TinyModel{}.write());
  auto seq = model->new_sequence(4096);
  seq->eval(std::span(kPrompt).first(4), Logits::None, nullptr);
  const uint64_t early = seq->kv_bytes();
  // 3 RoPE layers hold one 4-slot ring each; the NoPE layer grows page by page.
  std::vector<int32_t> many(600, 3);
  seq->eval(many, Logits::None, nullptr);
  const uint64_t later = seq->kv_bytes();
  const uint64_t per_position = 2 * 2 * 8 * 4;  // K and V, 2 KV heads of 8, f32
  CHECK(later > early);
  CHECK(later <= early + 1 * (604 + 256) * per_position);  // one global layer, whole pages
}

SCOUT_TEST(model_cancellation_at_any_moment_rolls_back_exactly) {
  // A second thread cancels a 40-token eval (10 chunk boundaries, starting mid-chunk so the
  // ring entries of positions 4 and 5 get overwritten) after varying delays. Wherever it lands
  // (before, inside or after the eval), the sequence must end up either untouched or complete,
  // and the rest of the run must match a fresh full pass. A wider model makes the eval last
  // long enough for most delays to land inside it.
  TinyModel wide;
  wide.hidden = 256, wide.heads = 8, wide.kv_heads = 2, wide.ffn = 512, wide.ffn_mlp = 512;
  auto model = load(wide.write(), WeightFormat::F32, 1);
  const size_t V = static_cast<size_t>(model->config().vocab_size);
  std::vector<int32_t> tokens;
  for (int i = 0; i < 46; ++i) tokens.push_back((i * 7 + 3) % 40);
  const auto full = full_logits(*model, tokens);
  for (int delay_us : {-1, 0, 250, 500, 1000, 1500, 2000, 4000, 16000}) {
    auto seq = model->new_sequence(64);
    seq->eval(std::span(tokens).first(6), Logits::None, nullptr);
    std::atomic<bool> cancel{delay_us < 0};
    std::thread canceller([&] {
      if (delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
      cancel = true;
    });
    std::vector<float> rows(40 * V);
    bool was_cancelled = false;
    try {
      seq->eval(std::span(tokens).subspan(6, 40), Logits::All, rows.data(), &cancel);
    } catch (const Cancelled&) {
      was_cancelled = true;
    }
    canceller.join();
    CHECK(seq->position() == (was_cancelled ? 6 : 46));
    if (was_cancelled) seq->eval(std::span(tokens).subspan(6, 40), Logits::All, rows.data());
    CHECK(max_rel_diff(rows.data(), &full[6 * V], rows.size()) <= 1e-5);
  }
}
