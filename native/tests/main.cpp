// Runs every registered native test; prints "N passed, N failed" last (CI reads that line).
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/check.hpp"

namespace scout::test {

std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

int g_failures = 0;

void report_failure(const char* file, int line, const std::string& what) {
  ++g_failures;
  std::fprintf(stderr, "    %s:%d: %s\n", file, line, what.c_str());
}

namespace {
std::filesystem::path& temp_root() {
  static std::filesystem::path root;
  return root;
}
}  // namespace

std::string temp_dir(const std::string& label) {
  static int counter = 0;
  if (temp_root().empty()) {
    std::random_device rd;
    temp_root() = std::filesystem::temp_directory_path() / ("scout-native-tests-" + std::to_string(rd()));
    std::filesystem::create_directories(temp_root());
  }
  auto dir = temp_root() / (label + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir.string();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace scout::test

int main(int argc, char** argv) {
  using namespace scout::test;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (const auto& t : registry()) {
    if (filter && !std::strstr(t.name, filter)) continue;
    g_failures = 0;
    try {
      t.fn();
    } catch (const std::exception& e) {
      report_failure(t.name, 0, std::string("uncaught exception: ") + e.what());
    }
    if (g_failures == 0) {
      ++passed;
      std::printf("ok   %s\n", t.name);
    } else {
      ++failed;
      std::printf("FAIL %s\n", t.name);
    }
  }
  std::error_code ec;
  if (!temp_root().empty()) std::filesystem::remove_all(temp_root(), ec);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
