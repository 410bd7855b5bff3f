// safetensors: the happy paths, then every malformed case of shared/docs/bad-inputs.md (ST1-15).
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/safetensors.hpp"
#include "tests/check.hpp"
#include "tests/model_files.hpp"

using namespace scout;
using namespace scout::test;

namespace {

std::string write_st(const std::string& label, const std::string& bytes) {
  const std::string path = temp_dir(label) + "/model.safetensors";
  write_file(path, bytes);
  return path;
}

float f32_at(const TensorView& t, size_t i) {
  float v;
  copy_to_f32(t, i, 1, &v);
  return v;
}

}  // namespace

SCOUT_TEST(safetensors_maps_f32_bf16_f16_tensors_in_place) {
  const std::string path = write_st(
      "st_happy", make_safetensors({{"a", "F32", {2, 3}, f32_iota(6)},
                                    {"b", "BF16", {4}, bf16_bytes({1.0f, -2.0f, 0.5f, 3.0f})},
                                    {"c", "F16", {2}, u16_bytes({0x3C00, 0xC000})}},
                                   {{"format", "pt"}}));
  const auto file = SafetensorsFile::open(path);
  CHECK(file->path() == path);
  CHECK(file->views().size() == 3);
  CHECK(file->metadata().size() == 1 && file->metadata()[0].first == "format" && file->metadata()[0].second == "pt");
  const TensorView& a = file->views()[0];
  CHECK(a.name == "a" && a.dtype == DType::F32 && a.shape == (std::vector<int64_t>{2, 3}));
  CHECK(a.nbytes == 24 && a.numel() == 6 && a.file == path);
  CHECK(f32_at(a, 0) == 0.0f && f32_at(a, 5) == 5.0f);
  const TensorView& b = file->views()[1];
  CHECK(b.dtype == DType::BF16 && b.nbytes == 8);
  CHECK(f32_at(b, 1) == -2.0f && f32_at(b, 3) == 3.0f);
  const TensorView& c = file->views()[2];
  CHECK(c.dtype == DType::F16 && f32_at(c, 0) == 1.0f && f32_at(c, 1) == -2.0f);
  // The data lies right after the 8-byte length and the header.
  CHECK(b.data == a.data + 24 && c.data == b.data + 8);
}

SCOUT_TEST(safetensors_keeps_other_dtypes_as_entries_without_views) {
  const std::string path = write_st("st_other", make_safetensors({{"q", "I8", {4}, std::string(4, '\x01')},
                                                                   {"w", "F32", {1}, f32_iota(1, 7)},
                                                                   {"s", "F8_E4M3", {2}, std::string(2, '\0')},
                                                                   {"f4", "F4", {4}, std::string(2, '\0')}}));
  const auto file = SafetensorsFile::open(path);
  CHECK(file->entries().size() == 4);
  CHECK(file->entries()[0].dtype == "I8" && !file->entries()[0].compute);
  CHECK(file->entries()[3].dtype == "F4" && file->entries()[3].end - file->entries()[3].begin == 2);
  CHECK(file->views().size() == 1 && file->views()[0].name == "w" && f32_at(file->views()[0], 0) == 7.0f);
  CHECK(safetensors_dtype_bits("F6_E2M3") == 6 && safetensors_dtype_bits("f32") == 0);
}

SCOUT_TEST(safetensors_scalar_and_zero_size_tensors) {
  // A scalar (shape []) holds one element; a zero-size tensor may alias any offset and has no data.
  const std::string header =
      R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"z":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},)"
      R"("z0":{"dtype":"BF16","shape":[3,0],"data_offsets":[0,0]}})";
  const auto file = SafetensorsFile::open(write_st("st_zero", raw_safetensors(header, f32_iota(1, 9))));
  CHECK(file->views().size() == 3);
  CHECK(file->views()[0].numel() == 1 && f32_at(file->views()[0], 0) == 9.0f);
  CHECK(file->views()[1].data == nullptr && file->views()[1].nbytes == 0 && file->views()[1].numel() == 0);
  CHECK(file->views()[2].data == nullptr);
}

SCOUT_TEST(safetensors_scan_counts_nan_inf_subnormal_zero) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float denorm = std::numeric_limits<float>::denorm_min();
  const auto file = SafetensorsFile::open(write_st(
      "st_scan", make_safetensors({{"f", "F32", {6}, f32_bytes({1.0f, nan, -inf, inf, denorm, 0.0f})},
                                   {"b", "BF16", {3}, u16_bytes({0x7FC0, 0x0001, 0x8000})},
                                   {"h", "F16", {3}, u16_bytes({0x7C00, 0x3C00, 0x0000})}})));
  const NonFiniteCounts f = scan_non_finite(file->views()[0]);
  CHECK(f.nan == 1 && f.inf == 2 && f.subnormal == 1 && f.zero == 1 && !f.all_finite());
  const NonFiniteCounts b = scan_non_finite(file->views()[1]);
  CHECK(b.nan == 1 && b.inf == 0 && b.subnormal == 1 && b.zero == 1);
  const NonFiniteCounts h = scan_non_finite(file->views()[2]);
  CHECK(h.inf == 1 && h.nan == 0 && h.zero == 1 && h.subnormal == 0);
  CHECK(scan_non_finite(file->views()[2]).all_finite() == false);
}
