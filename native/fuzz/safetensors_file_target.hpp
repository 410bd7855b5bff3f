// libFuzzer target: a whole .safetensors file, byte for byte (bad-inputs.md ST1-ST12: the length
// prefix, truncations, trailing bytes and every header field).
#pragma once

#include "fuzz/safetensors_checks.hpp"

namespace scout::fuzz {

// One input of the safetensors_file_fuzz target; aborts on a finding.
inline void safetensors_file_target(const uint8_t* data, size_t size) {
  scout::fuzz::open_and_check(scout::fuzz::as_text(data, size));
}

}  // namespace scout::fuzz
