// Replays the committed fuzz seeds (native/fuzz/corpus: every ST and CF case of
// shared/docs/bad-inputs.md, plus well-formed inputs) through the fuzz targets' own checks, in
// every native test run: gcc or clang, with or without the sanitizers, no libFuzzer needed. A
// finding aborts with "scout fuzz finding: …" (or a sanitizer report), naming the seed first.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/config_target.hpp"
#include "fuzz/json_target.hpp"
#include "fuzz/safetensors_file_target.hpp"
#include "fuzz/safetensors_header_target.hpp"
#include "fuzz/shard_index_target.hpp"
#include "tests/check.hpp"

namespace {

namespace fs = std::filesystem;

// The seeds of one target, in name order so a failure always names the same case first.
std::vector<fs::path> seeds(const std::string& target) {
  const char* root = std::getenv("SCOUT_ROOT");
  const fs::path dir = fs::path(root ? root : ".") / "native" / "fuzz" / "corpus" / target;
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void replay(const std::string& target, void (*run)(const uint8_t*, size_t), size_t at_least) {
  const auto files = seeds(target);
  CHECK(files.size() >= at_least);  // a missing corpus (wrong SCOUT_ROOT) must not pass silently
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string data = bytes.str();
    scout::fuzz::current_input() = path.string();
    run(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  scout::fuzz::current_input().clear();
}

}  // namespace

SCOUT_TEST(hardening_corpus_safetensors_files) {
  replay("safetensors_file_fuzz", scout::fuzz::safetensors_file_target, 40);
}
SCOUT_TEST(hardening_corpus_safetensors_headers) {
  replay("safetensors_header_fuzz", scout::fuzz::safetensors_header_target, 30);
}
SCOUT_TEST(hardening_corpus_config_json) {
  replay("config_fuzz", scout::fuzz::config_target, 15);
}
SCOUT_TEST(hardening_corpus_json) {
  replay("json_fuzz", scout::fuzz::json_target, 25);
}
SCOUT_TEST(hardening_corpus_shard_index) {
  replay("shard_index_fuzz", scout::fuzz::shard_index_target, 10);
}
