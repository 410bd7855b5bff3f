// A minimal test harness for the native core (no Node, no third-party framework).
//
//   SCOUT_TEST(safetensors_rejects_empty_file) { CHECK(...); CHECK_THROWS_CODE(expr, ErrorCode::Safetensors); }
//
// Each test registers itself; main.cpp runs them (optionally filtered by a substring given as
// argv[1]) and ends with the line "N passed, N failed".
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "engine/error.hpp"

namespace scout::test {

struct TestCase {
  const char* name;
  std::function<void()> fn;
};
std::vector<TestCase>& registry();
struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

// Set by a failing CHECK; the runner reports and resets it after each test.
extern int g_failures;
void report_failure(const char* file, int line, const std::string& what);

// A fresh, empty temporary folder for one test; removed when the process exits.
std::string temp_dir(const std::string& label);
void write_file(const std::string& path, const std::string& bytes);

}  // namespace scout::test

#define SCOUT_TEST(name)                                                   \
  static void scout_test_##name();                                         \
  static ::scout::test::Registrar scout_registrar_##name(#name, scout_test_##name); \
  static void scout_test_##name()

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) ::scout::test::report_failure(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

// Asserts that `expr` throws scout::Error with `code`; returns the message through `msg_out`
// when given (use CHECK_THROWS_CODE_MSG to also check the message names something).
#define CHECK_THROWS_CODE_MSG(expr, expected_code, needle)                                         \
  do {                                                                                            \
    bool scout_thrown = false;                                                                    \
    try {                                                                                         \
      (void)(expr);                                                                               \
    } catch (const ::scout::Error& e) {                                                           \
      scout_thrown = true;                                                                        \
      if (e.code() != (expected_code))                                                            \
        ::scout::test::report_failure(__FILE__, __LINE__,                                         \
                                      std::string("wrong code ") + ::scout::error_code_name(e.code()) + \
                                          ": " + e.what());                                       \
      else if (std::string(e.what()).find(needle) == std::string::npos)                           \
        ::scout::test::report_failure(__FILE__, __LINE__,                                         \
                                      std::string("message lacks '") + (needle) + "': " + e.what()); \
    } catch (const std::exception& e) {                                                           \
      scout_thrown = true;                                                                        \
      ::scout::test::report_failure(__FILE__, __LINE__, std::string("untyped exception: ") + e.what()); \
    }                                                                                             \
    if (!scout_thrown) ::scout::test::report_failure(__FILE__, __LINE__, "no exception: " #expr);  \
  } while (0)

#define CHECK_THROWS_CODE(expr, expected_code) CHECK_THROWS_CODE_MSG(expr, expected_code, "")
