// Opens a fuzzed .safetensors file and checks what SafetensorsFile documents for accepted files
// (engine/safetensors.hpp): the non-empty tensors tile the data section exactly, every span is
// numel × dtype size, names are 1..1024 bytes, zero-size tensors have no data. Every mapped
// byte is then read, so a view that points outside the mapping faults here, not in a user's chat.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/safetensors.hpp"
#include "fuzz/fuzz_support.hpp"

namespace scout::fuzz {

inline void check_accepted(const SafetensorsFile& file, uint64_t data_bytes) {
  std::vector<const SafetensorsEntry*> spans;
  size_t with_compute = 0;
  for (const auto& e : file.entries()) {
    SCOUT_FUZZ_REQUIRE(!e.name.empty() && e.name.size() <= kSafetensorsMaxNameBytes);
    SCOUT_FUZZ_REQUIRE(e.begin <= e.end && e.end <= data_bytes);
    const unsigned bits = safetensors_dtype_bits(e.dtype);
    SCOUT_FUZZ_REQUIRE(bits != 0);
    unsigned __int128 numel = 1;
    for (int64_t d : e.shape) {
      SCOUT_FUZZ_REQUIRE(d >= 0);
      numel *= static_cast<unsigned __int128>(d);
      if (numel > (static_cast<unsigned __int128>(1) << 70)) break;  // already far beyond any file
    }
    SCOUT_FUZZ_REQUIRE(numel * bits == static_cast<unsigned __int128>(e.end - e.begin) * 8);
    if (e.end > e.begin) spans.push_back(&e);
    if (e.compute) ++with_compute;
  }
  std::sort(spans.begin(), spans.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  uint64_t next = 0;
  for (const auto* e : spans) {
    SCOUT_FUZZ_REQUIRE(e->begin == next);  // no hole, no overlap
    next = e->end;
  }
  SCOUT_FUZZ_REQUIRE(next == data_bytes);  // no trailing bytes

  SCOUT_FUZZ_REQUIRE(file.views().size() == with_compute);
  for (const TensorView& v : file.views()) {
    SCOUT_FUZZ_REQUIRE(v.nbytes == static_cast<size_t>(v.numel()) * dtype_size(v.dtype));
    SCOUT_FUZZ_REQUIRE((v.data == nullptr) == (v.nbytes == 0));
    if (v.nbytes == 0) continue;
    const NonFiniteCounts counts = scan_non_finite(v);  // reads every element through the map
    SCOUT_FUZZ_REQUIRE(counts.nan + counts.inf + counts.subnormal + counts.zero <=
                       static_cast<uint64_t>(v.numel()));
    float first = 0, last = 0;
    copy_to_f32(v, 0, 1, &first);
    copy_to_f32(v, static_cast<size_t>(v.numel()) - 1, 1, &last);
  }
}

// Writes `bytes` as a .safetensors file and opens it; typed errors are the only allowed failure.
inline void open_and_check(std::string_view bytes) {
  const std::string path = scratch_dir() + "/model.safetensors";
  write_bytes(path, bytes);
  expect_typed_errors_only([&] {
    const auto file = SafetensorsFile::open(path);
    // Accepted, so the first 8 bytes hold a header length that fits in the file.
    SCOUT_FUZZ_REQUIRE(bytes.size() >= 8);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);  // little-endian hosts only, like the engine
    SCOUT_FUZZ_REQUIRE(n <= bytes.size() - 8 && n <= kSafetensorsMaxHeaderBytes);
    SCOUT_FUZZ_REQUIRE(file->file_size() == bytes.size());
    check_accepted(*file, bytes.size() - 8 - n);
  });
}

}  // namespace scout::fuzz
