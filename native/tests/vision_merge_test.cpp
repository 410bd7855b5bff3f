// Image features in the text model (llama4.md §4.6): Sequence::eval_with_images puts one feature
// row at each <|patch|> position, in order, and leaves everything else as eval() does it.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/model.hpp"
#include "tests/check.hpp"
#include "tests/model_fixture.hpp"

using namespace scout;
using namespace scout::test;

namespace {

constexpr int32_t kPatch = 30;  // the tiny model's image_token_index
// Two "images" (3 and 2 patches) among text, spanning several 4-position attention chunks.
const std::vector<int32_t> kTokens = {1, 7, kPatch, kPatch, kPatch, 22, 3, 9, kPatch, kPatch, 15, 8, 2};
const std::vector<int32_t> kStandIns = {11, 5, 36, 19,
                                        4};  // the tokens whose embeddings stand in for the images

std::unique_ptr<Model> load(const TinyModel& tiny) {
  LoadOptions options;
  options.threads = 2;
  return Model::load(tiny.write(), options);
}

// Embedding rows of kStandIns, read from the same values the fixture wrote.
std::vector<float> stand_in_rows(const TinyModel& tiny) {
  const auto embed = tiny.values("model.embed_tokens.weight", {tiny.vocab, tiny.hidden});
  std::vector<float> rows;
  for (int32_t id : kStandIns)
    rows.insert(rows.end(), embed.begin() + id * tiny.hidden, embed.begin() + (id + 1) * tiny.hidden);
  return rows;
}

// kTokens with the patches replaced by kStandIns in order.
std::vector<int32_t> substituted() {
  std::vector<int32_t> out = kTokens;
  size_t next = 0;
  for (int32_t& t : out)
    if (t == kPatch) t = kStandIns[next++];
  return out;
}

}  // namespace

SCOUT_TEST(vision_merge_rows_take_the_patch_positions_in_order) {
  const TinyModel tiny;
  auto model = load(tiny);
  const size_t V = static_cast<size_t>(model->config().vocab_size), n = kTokens.size();
  // Feature rows equal to other tokens' embeddings must give exactly the logits of those tokens.
  std::vector<float> want(n * V), got(n * V);
  model->new_sequence(64)->eval(substituted(), Logits::All, want.data());
  const auto rows = stand_in_rows(tiny);
  model->new_sequence(64)->eval_with_images(kTokens, rows, Logits::All, got.data());
  CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);

  // In pieces of every size (pieces split images and chunks), the rows still go in order.
  for (size_t step : {1, 2, 3, 5}) {
    auto seq = model->new_sequence(64);
    std::vector<float> pieces(n * V);
    size_t row = 0;
    for (size_t at = 0; at < n; at += step) {
      const auto piece = std::span(kTokens).subspan(at, std::min(step, n - at));
      const auto patches = static_cast<size_t>(std::count(piece.begin(), piece.end(), kPatch));
      seq->eval_with_images(piece, std::span(rows).subspan(row * tiny.hidden, patches * tiny.hidden),
                            Logits::All, pieces.data() + at * V);
      row += patches;
    }
    CHECK(max_rel_diff(pieces.data(), want.data(), want.size()) <= 1e-5);
  }
}

SCOUT_TEST(vision_merge_changes_nothing_before_the_first_image) {
  const TinyModel tiny;
  auto model = load(tiny);
  const size_t V = static_cast<size_t>(model->config().vocab_size), n = kTokens.size();
  auto rows = stand_in_rows(tiny);
  std::vector<float> a(n * V), b(n * V);
  model->new_sequence(64)->eval_with_images(kTokens, rows, Logits::All, a.data());
  for (float& x : rows) x *= -1.0f;
  model->new_sequence(64)->eval_with_images(kTokens, rows, Logits::All, b.data());
  CHECK(std::memcmp(a.data(), b.data(), 2 * V * sizeof(float)) == 0);  // positions 0-1: causal
  CHECK(max_rel_diff(a.data() + 2 * V, b.data() + 2 * V, V) > 1e-3);   // the first patch sees its row
  CHECK(max_rel_diff(a.data() + (n - 1) * V, b.data() + (n - 1) * V, V) > 1e-3);
}

SCOUT_TEST(vision_merge_refuses_a_wrong_number_of_rows_and_bad_values) {
  const TinyModel tiny;
  auto model = load(tiny);
  auto seq = model->new_sequence(64);
  std::vector<float> out(static_cast<size_t>(model->config().vocab_size));
  auto rows = stand_in_rows(tiny);
  const std::vector<float> short_rows(rows.begin(), rows.end() - 1);
  CHECK_THROWS_CODE_MSG(seq->eval_with_images(kTokens, short_rows, Logits::Last, out.data()),
                        ErrorCode::InvalidArgument, "5 image positions");
  CHECK_THROWS_CODE_MSG(seq->eval_with_images(std::vector<int32_t>{1, 2}, rows, Logits::Last, out.data()),
                        ErrorCode::InvalidArgument, "0 image positions");
  rows[7] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_CODE_MSG(seq->eval_with_images(kTokens, rows, Logits::Last, out.data()),
                        ErrorCode::InvalidArgument, "not finite");
  CHECK(seq->position() == 0);  // nothing was evaluated

  TinyModel causal;
  causal.conditional = false;
  auto text_only = load(causal);
  CHECK_THROWS_CODE_MSG(
      text_only->new_sequence(8)->eval_with_images(std::vector<int32_t>{1}, {}, Logits::Last, out.data()),
      ErrorCode::InvalidArgument, "no image_token_index");
}
