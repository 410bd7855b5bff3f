// libFuzzer target: a whole .safetensors file, byte for byte (bad-inputs.md ST1-ST12: the length
// prefix, truncations, trailing bytes and every header field).
#include "fuzz/safetensors_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  scout::fuzz::open_and_check(scout::fuzz::as_text(data, size));
  return 0;
}
