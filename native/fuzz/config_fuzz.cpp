// libFuzzer entry of the config_fuzz target; the target and its checks are in config_target.hpp, so that
// native/tests/hardening_corpus_test.cpp replays the committed seeds through the same checks.
#include "fuzz/config_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  scout::fuzz::config_target(data, size);
  return 0;
}
