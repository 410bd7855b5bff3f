// libFuzzer target: the JSON header of a .safetensors file, with a length prefix that always
// matches. Mutating whole files rarely keeps the 8-byte prefix consistent with the header, so
// this target spends its time in the header's validation instead (offsets, shapes, dtypes,
// names, __metadata__).
//
// Input: 2 bytes (little-endian) = size of the data section, then the header text. The data
// section repeats the input's bytes, so accepted tensors hold varied values (NaN, Inf, …).
#pragma once

#include "fuzz/safetensors_checks.hpp"

namespace scout::fuzz {

// One input of the safetensors_header_fuzz target; aborts on a finding.
inline void safetensors_header_target(const uint8_t* data, size_t size) {
  if (size < 2) return;
  const size_t data_bytes = static_cast<size_t>(data[0]) | (static_cast<size_t>(data[1]) << 8);
  const std::string_view header = scout::fuzz::as_text(data + 2, size - 2);
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i)
    file[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  file += header;
  for (size_t i = 0; i < data_bytes; ++i) file += static_cast<char>(data[i % size]);
  scout::fuzz::open_and_check(file);
}

}  // namespace scout::fuzz
