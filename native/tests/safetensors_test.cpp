// safetensors: the happy paths, then every malformed case of shared/docs/bad-inputs.md (ST1-15).
#include "engine/safetensors.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

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
  const std::string path =
      write_st("st_happy", make_safetensors({{"a", "F32", {2, 3}, f32_iota(6)},
                                             {"b", "BF16", {4}, bf16_bytes({1.0f, -2.0f, 0.5f, 3.0f})},
                                             {"c", "F16", {2}, u16_bytes({0x3C00, 0xC000})}},
                                            {{"format", "pt"}}));
  const auto file = SafetensorsFile::open(path);
  CHECK(file->path() == path);
  CHECK(file->views().size() == 3);
  CHECK(file->metadata().size() == 1 && file->metadata()[0].first == "format" &&
        file->metadata()[0].second == "pt");
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

// ---- Malformed files: each must be Error(Safetensors) naming the file and what is wrong ----

namespace {

void expect_st_error(const std::string& label, const std::string& bytes, const std::string& needle) {
  const std::string path = write_st(label, bytes);
  CHECK_THROWS_CODE_MSG(SafetensorsFile::open(path), ErrorCode::Safetensors, path + ": ");
  CHECK_THROWS_CODE_MSG(SafetensorsFile::open(path), ErrorCode::Safetensors, needle);
}

// A header with one F32 tensor "t" of `shape` spanning data_offsets `offsets` (raw JSON), padded
// with `data_bytes` bytes of data.
std::string one_tensor(const std::string& shape, const std::string& offsets, size_t data_bytes,
                       const std::string& dtype = "\"F32\"") {
  return raw_safetensors(
      R"({"t":{"dtype":)" + dtype + R"(,"shape":)" + shape + R"(,"data_offsets":)" + offsets + "}}",
      std::string(data_bytes, '\0'));
}

}  // namespace

SCOUT_TEST(safetensors_missing_file_is_not_found_and_a_folder_is_rejected) {
  const std::string dir = temp_dir("st_missing");
  CHECK_THROWS_CODE_MSG(SafetensorsFile::open(dir + "/nope.safetensors"), ErrorCode::NotFound,
                        "nope.safetensors");
  CHECK_THROWS_CODE_MSG(SafetensorsFile::open(dir), ErrorCode::Safetensors, "not a regular file");
}

SCOUT_TEST(safetensors_st1_empty_short_and_zero_length_header) {
  expect_st_error("st1_empty", "", "file is 0 bytes, too short");
  for (size_t n = 1; n < 8; ++n)
    expect_st_error("st1_short", std::string(n, '\x01'), "too short for the 8-byte header length");
  expect_st_error("st1_n0", le64(0), "header length is 0");
}

SCOUT_TEST(safetensors_st2_header_length_and_header_content) {
  const std::string header = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  expect_st_error("st2_beyond", raw_safetensors(header.size() + 5, header, std::string(4, '\0')),
                  "exceeds the 58 bytes that follow it: the file is truncated");
  expect_st_error("st2_max", raw_safetensors(UINT64_MAX, header, ""),
                  "header length 18446744073709551615 is more than the limit");
  expect_st_error("st2_cap", raw_safetensors(kSafetensorsMaxHeaderBytes + 1, header, ""),
                  "104857601 is more than the limit");
  expect_st_error("st2_utf8", raw_safetensors("{\"t\xff\":1}", ""), "invalid UTF-8 in a string");
  expect_st_error("st2_not_json", raw_safetensors("{\"t\":", ""), "invalid JSON at byte 5");
  expect_st_error("st2_array", raw_safetensors("[]", ""),
                  "invalid JSON at byte 0: the document must be an object, found '['");
  expect_st_error("st2_string", raw_safetensors("  \"x\"", ""),
                  "invalid JSON at byte 2: the document must be an object");
}

SCOUT_TEST(safetensors_st3_git_lfs_pointer_and_html_page_get_helpful_messages) {
  expect_st_error("st3_lfs",
                  "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 4993755408\n",
                  "git-lfs pointer, not the weights; run `git lfs pull`");
  expect_st_error("st3_html", "\n<!DOCTYPE html><html><body>Access denied</body></html>",
                  "looks like an HTML page");
  expect_st_error("st3_short_html", "<p>", "looks like an HTML page");
}

SCOUT_TEST(safetensors_header_length_starting_with_a_markup_byte_is_still_valid) {
  // 60 = '<': a valid length prefix can start with any byte; the HTML sniff must not fire.
  std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  header.append(60 - header.size(), ' ');
  const auto file = SafetensorsFile::open(write_st("st_lt", raw_safetensors(header, f32_iota(1, 5))));
  CHECK(file->views().size() == 1 && f32_at(file->views()[0], 0) == 5.0f);
}

SCOUT_TEST(safetensors_st4_truncation_at_every_byte_is_rejected) {
  const std::string good =
      make_safetensors({{"a", "F32", {2}, f32_iota(2)}, {"b", "BF16", {3}, bf16_bytes({1, 2, 3})}});
  const std::string path = write_st("st4", good);
  CHECK(SafetensorsFile::open(path)->views().size() == 2);
  // Every proper prefix: mid-length, mid-header, header end, mid-tensor, last byte missing.
  for (size_t len = 0; len < good.size(); ++len) {
    write_file(path, good.substr(0, len));
    CHECK_THROWS_CODE_MSG(SafetensorsFile::open(path), ErrorCode::Safetensors, path);
  }
  write_file(path, good.substr(0, good.size() - 1));
  CHECK_THROWS_CODE_MSG(
      SafetensorsFile::open(path), ErrorCode::Safetensors,
      "tensor \"b\" needs bytes [8, 14) of the data section, which holds only 13: the file is truncated");
}

SCOUT_TEST(safetensors_st5_trailing_bytes_are_rejected) {
  expect_st_error("st5", make_safetensors({{"a", "F32", {1}, f32_iota(1)}}) + "PK\x03\x04zip",
                  "7 trailing bytes after the last tensor");
}

SCOUT_TEST(safetensors_st6_offsets) {
  const auto two = [](const std::string& a, const std::string& b, size_t data) {
    return raw_safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":)" + a +
                               R"(},"b":{"dtype":"F32","shape":[1],"data_offsets":)" + b + "}}",
                           std::string(data, '\0'));
  };
  expect_st_error("st6_overlap", two("[0,4]", "[2,6]", 6), "tensors \"a\" and \"b\" overlap at byte 2");
  expect_st_error("st6_same", two("[0,4]", "[0,4]", 4), "overlap at byte 0");
  expect_st_error("st6_hole", two("[0,4]", "[6,10]", 10),
                  "bytes [4, 6) of the data section belong to no tensor");
  expect_st_error("st6_hole_start", two("[2,6]", "[6,10]", 10),
                  "bytes [0, 2) of the data section belong to no tensor");
  expect_st_error("st6_end_before_begin", one_tensor("[0]", "[4,0]", 4),
                  "tensor \"t\" data_offsets end 0 is before begin 4");
  expect_st_error("st6_negative", one_tensor("[1]", "[-4,0]", 4), "tensor \"t\" has a negative data offset");
  expect_st_error("st6_beyond_eof", one_tensor("[1]", "[0,4]", 2), "tensor \"t\" needs bytes [0, 4)");
  expect_st_error(
      "st6_2p53", one_tensor("[1]", "[9007199254740993,9007199254740997]", 4),
      "tensor \"t\" data_offsets[0] must be an integer literal within ±2^53, got 9007199254740993");
  expect_st_error("st6_u64", one_tensor("[1]", "[0,18446744073709551615]", 4),
                  "tensor \"t\" data_offsets[1] must be an integer");
  expect_st_error("st6_float", one_tensor("[1]", "[0,1.5]", 4),
                  "data_offsets[1] must be an integer literal within ±2^53, got 1.5");
  expect_st_error("st6_exp", one_tensor("[1]", "[0,4e0]", 4), "data_offsets[1] must be an integer literal");
  expect_st_error("st6_string", one_tensor("[1]", R"(["0","4"])", 4),
                  "data_offsets[0] must be an integer, got \"0\"");
  expect_st_error("st6_three", one_tensor("[1]", "[0,4,8]", 4),
                  "tensor \"t\" data_offsets must be [begin, end]");
  expect_st_error("st6_not_array", one_tensor("[1]", "4", 4), "tensor \"t\" data_offsets must be an array");
}

SCOUT_TEST(safetensors_st7_shapes) {
  expect_st_error("st7_negative", one_tensor("[-1,4]", "[0,4]", 4), "tensor \"t\" has a negative dimension");
  expect_st_error("st7_float", one_tensor("[1.0]", "[0,4]", 4),
                  "tensor \"t\" shape[0] must be an integer literal");
  expect_st_error("st7_string", one_tensor("[\"1\"]", "[0,4]", 4), "shape[0] must be an integer");
  expect_st_error("st7_empty_nonzero", one_tensor("[]", "[0,8]", 8),
                  "spans 8 bytes but shape [] of F32 needs 4");
  expect_st_error("st7_overflow", one_tensor("[4194305,4194305,211106198978564]", "[0,16]", 16, "\"BF16\""),
                  "shape [4194305, 4194305, 211106198978564] has too many elements");
  expect_st_error("st7_bits_overflow", one_tensor("[4503599627370496,4096]", "[0,4]", 4),
                  "has too many elements");
  // Zero elements in all, but 2^53 × 1024 = 2^63 does not fit in int64 on the way there.
  expect_st_error("st7_prefix_overflow", one_tensor("[9007199254740992,1024,0]", "[0,0]", 0),
                  "shape [9007199254740992, 1024, 0] has too many elements");
  expect_st_error("st7_above_span", one_tensor("[3]", "[0,8]", 8),
                  "spans 8 bytes but shape [3] of F32 needs 12");
  expect_st_error("st7_below_span", one_tensor("[1]", "[0,8]", 8),
                  "spans 8 bytes but shape [1] of F32 needs 4");
  expect_st_error("st7_not_array", one_tensor("4", "[0,16]", 16), "tensor \"t\" shape must be an array");
  std::string rank65 = "[1";
  for (int i = 1; i < 65; ++i) rank65 += ",1";
  expect_st_error("st7_rank", one_tensor(rank65 + "]", "[0,4]", 4),
                  "tensor \"t\" has 65 dimensions (limit 64)");
}

SCOUT_TEST(safetensors_st8_dtypes) {
  expect_st_error("st8_unknown", one_tensor("[1]", "[0,4]", 4, "\"Q4_K\""),
                  "tensor \"t\" has unknown dtype \"Q4_K\"");
  expect_st_error("st8_lower", one_tensor("[1]", "[0,4]", 4, "\"f32\""),
                  "unknown dtype \"f32\" (dtype names are upper-case: F32)");
  expect_st_error("st8_not_string", one_tensor("[1]", "[0,4]", 4, "4"),
                  "tensor \"t\" dtype must be a string");
  // 3 four-bit elements are a byte and a half.
  expect_st_error("st8_subbyte", one_tensor("[3]", "[0,2]", 2, "\"F4\""),
                  "holds 3 F4 elements, not a whole number of bytes");
}

SCOUT_TEST(safetensors_st9_duplicate_names_are_rejected) {
  const std::string t = R"({"dtype":"F32","shape":[1],"data_offsets":)";
  expect_st_error("st9_same",
                  raw_safetensors(R"({"w":)" + t + R"([0,4]},"w":)" + t + "[0,4]}}", std::string(4, '\0')),
                  "duplicate key \"w\"");
  expect_st_error("st9_diff",
                  raw_safetensors(R"({"w":)" + t + R"([0,4]},"w":)" + t + "[4,8]}}", std::string(8, '\0')),
                  "duplicate key \"w\"");
}

SCOUT_TEST(safetensors_st11_metadata) {
  const std::string t = R"("t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  const std::string four(4, '\0');
  expect_st_error("st11_number", raw_safetensors(R"({"__metadata__":{"step":3},)" + t + "}", four),
                  "__metadata__ \"step\" must be a string, got 3");
  expect_st_error("st11_not_object", raw_safetensors(R"({"__metadata__":"pt",)" + t + "}", four),
                  "__metadata__ must be an object of strings");
  expect_st_error(
      "st11_as_tensor",
      raw_safetensors(R"({"__metadata__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", four),
      "__metadata__ \"shape\" must be a string, got an array");
  const std::string huge(kSafetensorsMaxMetadataValueBytes + 1, 'x');
  expect_st_error("st11_huge",
                  raw_safetensors(R"({"__metadata__":{"blob":")" + huge + R"("},)" + t + "}", four),
                  "__metadata__ \"blob\" is 1048577 bytes (limit 1048576)");
  std::string many = R"({"__metadata__":{)";
  for (size_t i = 0; i <= kSafetensorsMaxMetadataEntries; ++i)
    many += (i ? ",\"" : "\"") + std::to_string(i) + "\":\"v\"";
  expect_st_error("st11_many", raw_safetensors(many + "}," + t + "}", four),
                  "__metadata__ has 1025 entries (limit 1024)");
}

SCOUT_TEST(safetensors_st12_tensor_count_and_names) {
  // One million tiny tensors: refused by the parser's member limit long before they are all built.
  std::string header = "{";
  for (int i = 0; i < 1000000; ++i)
    header +=
        (i ? ",\"" : "\"") + std::to_string(i) + R"(":{"dtype":"F32","shape":[0],"data_offsets":[0,0]})";
  expect_st_error("st12_many", raw_safetensors(header + "}", ""), "object has more than 65537 members");

  const auto named = [](const std::string& json_name) {
    return raw_safetensors(R"({")" + json_name + R"(":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                           std::string(4, '\0'));
  };
  expect_st_error("st12_long", named(std::string(1 << 20, 'n')), "-byte name (limit 1024)");
  expect_st_error("st12_nul", named("a\\u0000b"),
                  "tensor \"a\\x00b\" has a NUL or control character in its name");
  expect_st_error("st12_ctrl", named("a\\nb"), "has a NUL or control character in its name");
  expect_st_error("st12_empty", named(""), "a tensor has an empty name");
  expect_st_error("st12_raw_invalid_utf8", named("w\xc0\xaf"), "invalid UTF-8 in a string");
  expect_st_error("st12_lone_surrogate", named("w\\ud800"), "high surrogate not followed by a low surrogate");
  // "../" in a name is only a name: tensors are never looked up as paths.
  const auto file = SafetensorsFile::open(write_st("st12_dots", named("../../etc/passwd")));
  CHECK(file->views().size() == 1 && file->views()[0].name == "../../etc/passwd");
}

SCOUT_TEST(safetensors_entry_fields_are_exact) {
  expect_st_error("st_unknown_field",
                  raw_safetensors(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}})",
                                  std::string(4, '\0')),
                  "tensor \"t\" has an unknown field \"extra\"");
  expect_st_error("st_missing_field", raw_safetensors(R"({"t":{"dtype":"F32","shape":[1]}})", ""),
                  "tensor \"t\" needs dtype, shape and data_offsets");
  expect_st_error("st_entry_not_object", raw_safetensors(R"({"t":[1,2]})", ""),
                  "tensor \"t\" must be an object");
}

SCOUT_TEST(safetensors_accepts_the_tensor_cap_and_rejects_one_more) {
  // Exactly 65,536 zero-size tensors fit; the count, not the byte size, is what is capped.
  const auto header_with = [](size_t count) {
    std::string h = "{";
    for (size_t i = 0; i < count; ++i)
      h += (i ? ",\"" : "\"") + std::to_string(i) + R"(":{"dtype":"F32","shape":[0],"data_offsets":[0,0]})";
    return h + "}";
  };
  const auto file =
      SafetensorsFile::open(write_st("st_cap", raw_safetensors(header_with(kSafetensorsMaxTensors), "")));
  CHECK(file->views().size() == kSafetensorsMaxTensors);
  std::string with_meta = header_with(kSafetensorsMaxTensors + 1);
  expect_st_error("st_cap_plus", raw_safetensors(with_meta, ""), "header lists 65537 tensors (limit 65536)");
}

SCOUT_TEST(safetensors_opens_a_thousand_tensors_in_any_offset_order) {
  // Written in reverse offset order: coverage is checked after sorting by offset.
  std::string header = "{";
  const int n = 1000;
  for (int i = 0; i < n; ++i) {
    const int slot = n - 1 - i;
    header += (i ? ",\"" : "\"") + ("w" + std::to_string(i)) +
              R"(":{"dtype":"F32","shape":[2],"data_offsets":[)" + std::to_string(slot * 8) + "," +
              std::to_string(slot * 8 + 8) + "]}";
  }
  const auto file =
      SafetensorsFile::open(write_st("st_1000", raw_safetensors(header + "}", f32_iota(2 * n))));
  CHECK(file->views().size() == static_cast<size_t>(n));
  CHECK(f32_at(file->views()[0], 0) == static_cast<float>(2 * (n - 1)));
  CHECK(f32_at(file->views()[n - 1], 1) == 1.0f);
}

SCOUT_TEST(safetensors_random_corruption_gives_typed_errors_or_consistent_views) {
  // Seeded byte mutations of a valid file, mostly in the header where the parsing happens. Every
  // outcome must be a scout::Error(Safetensors) or a file whose views agree with their shapes;
  // run under ASan/UBSan this also proves no out-of-bounds read.
  const std::string good = make_safetensors({{"a.weight", "F32", {2, 2}, f32_iota(4)},
                                             {"b", "BF16", {3}, bf16_bytes({1, 2, 3})},
                                             {"z", "F16", {0}, ""}},
                                            {{"format", "pt"}});
  const std::string path = write_st("st_fuzz", good);
  std::mt19937 rng(1234);
  const std::string alphabet = "{}[]:,\"0123456789-.eE \\u";
  int accepted = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = (rng() % 4 != 0) ? rng() % std::min<size_t>(bytes.size(), 200) : rng() % bytes.size();
      switch (rng() % 4) {
        case 0: bytes[at] = static_cast<char>(rng()); break;
        case 1: bytes[at] = alphabet[rng() % alphabet.size()]; break;
        case 2: bytes.erase(at, 1); break;
        case 3: bytes.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    write_file(path, bytes);
    try {
      const auto file = SafetensorsFile::open(path);
      ++accepted;
      for (const auto& v : file->views()) {
        CHECK(v.nbytes == static_cast<size_t>(v.numel()) * dtype_size(v.dtype));
        CHECK((v.data == nullptr) == (v.nbytes == 0));
        CHECK(v.nbytes <= file->file_size());
      }
    } catch (const Error& e) {
      if (e.code() != ErrorCode::Safetensors) report_failure(__FILE__, __LINE__, e.what());
    }
  }
  CHECK(accepted < 2000);  // the mutations do reach the validation
}
