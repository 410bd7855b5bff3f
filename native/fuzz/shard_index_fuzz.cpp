// libFuzzer entry of the shard_index_fuzz target; the target and its checks are in shard_index_target.hpp, so
// that native/tests/hardening_corpus_test.cpp replays the committed seeds through the same checks.
#include "fuzz/shard_index_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  scout::fuzz::shard_index_target(data, size);
  return 0;
}
