// libFuzzer entry of the safetensors_file_fuzz target; the target and its checks are in
// safetensors_file_target.hpp, so that native/tests/hardening_corpus_test.cpp replays the committed seeds
// through the same checks.
#include "fuzz/safetensors_file_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  scout::fuzz::safetensors_file_target(data, size);
  return 0;
}
