// Shared plumbing of the libFuzzer targets in this folder.
//
// Every target feeds one untrusted input to one parser of the engine core and holds it to the
// contract of shared/docs/bad-inputs.md: the parser either succeeds, with results that satisfy
// its documented invariants, or throws scout::Error. Anything else is a finding and aborts, so
// libFuzzer saves the input: a sanitizer report, a crash, a hang (libFuzzer's -timeout), an
// allocation beyond -malloc_limit_mb, an exception of any other type (std::bad_alloc,
// std::length_error, ... mean a size from the file reached an allocation unchecked) or a broken
// invariant (a parser that accepted something it documents as rejected).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <typeinfo>

#include "engine/error.hpp"

namespace scout::fuzz {

// The name of the input being replayed, when a test replays saved inputs (libFuzzer names its
// own inputs when it saves them).
inline std::string& current_input() {
  static std::string name;
  return name;
}

[[noreturn]] inline void finding(std::string_view what) {
  std::fprintf(stderr, "scout fuzz finding%s%s: %.*s\n", current_input().empty() ? "" : " in ",
               current_input().c_str(), static_cast<int>(what.size()), what.data());
  std::abort();
}

// A broken invariant of an accepted input.
#define SCOUT_FUZZ_REQUIRE(cond)                                       \
  do {                                                                 \
    if (!(cond)) ::scout::fuzz::finding("invariant violated: " #cond); \
  } while (0)

// Runs `fn`; scout::Error is an accepted outcome, every other exception is a finding.
template <typename Fn>
void expect_typed_errors_only(Fn&& fn) {
  try {
    fn();
  } catch (const scout::Error&) {
  } catch (const std::exception& e) {
    finding(std::string("untyped exception ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    finding("an exception that is not a std::exception");
  }
}

// A private scratch folder for this fuzzing process (parsers that open paths need real files).
// Made once, under /dev/shm when it exists so that millions of executions do not wear a disk,
// and removed at exit. The path lives on the heap for the whole run: a function-local static
// string would be destroyed before the atexit handler that removes the folder runs.
inline const std::string& scratch_dir() {
  static const std::string* const dir = [] {
    const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    auto* path = new std::string(std::string(base) + "/scout-fuzz-XXXXXX");
    if (!::mkdtemp(path->data())) finding("cannot create a scratch folder");
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return path;
  }();
  return *dir;
}

// Replaces the file at `path` with exactly `bytes`.
inline void write_bytes(const std::string& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) finding("cannot write " + path);
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) finding("short write");
  std::fclose(f);
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace scout::fuzz
