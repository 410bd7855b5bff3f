// The strict JSON reader: values, exact integers, strings and UTF-8, and every rejection with its
// byte offset.
#include "engine/json.hpp"

#include <string>

#include "tests/check.hpp"

using namespace scout;
using namespace scout::json;

namespace {

const Source kSrc{ErrorCode::Config, "doc.json"};

Value parse_ok(std::string_view text) {
  return parse(text, kSrc);
}

}  // namespace

SCOUT_TEST(json_parses_every_value_type_in_order) {
  const Value v = parse_ok(R"( {"b": true, "n": null, "a": [1, -2.5, "x"], "o": {"k": false}, "z": 0} )");
  CHECK(v.is(Type::Object) && v.size() == 5);
  CHECK(v.keys()[0] == "b" && v.keys()[4] == "z");  // document order
  CHECK(v.find("b")->boolean() && v.find("n")->is(Type::Null));
  const Value& a = *v.find("a");
  CHECK(a.is(Type::Array) && a.size() == 3);
  CHECK(a.items()[0].is_integer() && a.items()[0].integer() == 1);
  CHECK(!a.items()[1].is_integer() && a.items()[1].number() == -2.5);
  CHECK(a.items()[2].string() == "x");
  CHECK(v.find("o")->find("k")->is(Type::Bool) && !v.find("o")->find("k")->boolean());
  CHECK(v.find("missing") == nullptr && a.find("x") == nullptr);
  CHECK(a.offset() == 29);  // byte offset of '['
}

SCOUT_TEST(json_keeps_integers_exact_up_to_int64) {
  const Value v = parse_ok("[9007199254740993, -9223372036854775808, 9223372036854775808, 1e3, 1.0, -0]");
  CHECK(v.items()[0].is_integer() && v.items()[0].integer() == 9007199254740993);  // 2^53 + 1, exact
  CHECK(v.items()[1].is_integer() && v.items()[1].integer() == INT64_MIN);
  CHECK(!v.items()[2].is_integer() && v.items()[2].number() == 9223372036854775808.0);
  CHECK(!v.items()[3].is_integer() && v.items()[3].number() == 1000.0);
  CHECK(!v.items()[4].is_integer());
  CHECK(v.items()[5].is_integer() && v.items()[5].integer() == 0);
}

namespace {

// Asserts that `text` is rejected as Error(Config) "doc.json: invalid JSON at byte <at>: <what>".
void expect_reject(std::string_view text, size_t at, const std::string& what, const Limits& limits = {}) {
  const std::string prefix = "doc.json: invalid JSON at byte " + std::to_string(at) + ": ";
  CHECK_THROWS_CODE_MSG(parse(text, kSrc, limits), ErrorCode::Config, prefix);
  CHECK_THROWS_CODE_MSG(parse(text, kSrc, limits), ErrorCode::Config, what);
}

}  // namespace

SCOUT_TEST(json_decodes_escapes_and_surrogate_pairs) {
  const Value v = parse_ok(R"(["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "\u0000x", "é中😀"])");
  CHECK(v.items()[0].string() == "a\"b\\c/d\b\f\n\r\t");
  CHECK(v.items()[1].string() == "\xC3\xA9\xE4\xB8\xAD");
  CHECK(v.items()[2].string() == "\xF0\x9F\x98\x80");  // U+1F600 from a surrogate pair
  CHECK(v.items()[3].string() == std::string("\0x", 2));
  CHECK(v.items()[4].string() == v.items()[1].string() + "\xF0\x9F\x98\x80");
}

SCOUT_TEST(json_rejects_bad_grammar_with_byte_offsets) {
  expect_reject("", 0, "unexpected end of input");
  expect_reject("  ", 2, "unexpected end of input");
  expect_reject("[1,]", 3, "unexpected character ']'");
  expect_reject("{\"a\":1,}", 7, "expected a string key, found '}'");
  expect_reject("{\"a\" 1}", 5, "expected ':' after a key");
  expect_reject("{'a':1}", 1, "expected a string key, found '''");
  expect_reject("[1 2]", 3, "expected ',' or ']' in array, found '2'");
  expect_reject("{\"a\":1 \"b\":2}", 7, "expected ',' or '}' in object");
  expect_reject("[1] x", 4, "unexpected data after the top-level value");
  expect_reject("// c\n1", 0, "unexpected character '/'");
  expect_reject("[NaN]", 1, "unexpected character 'N'");
  expect_reject("[Infinity]", 1, "unexpected character 'I'");
  expect_reject("tru", 0, "unexpected character 't'");
  expect_reject("\xEF\xBB\xBF{}", 0, "byte order mark");
  expect_reject("[\"abc", 1, "unterminated string");
  expect_reject("{\"a\":[1,2", 9, "expected ',' or ']' in array, found (end of input)");
}

SCOUT_TEST(json_rejects_malformed_numbers) {
  expect_reject("[01]", 1, "leading zeros are not allowed");
  expect_reject("[-]", 2, "expected a digit");
  expect_reject("[+1]", 1, "unexpected character '+'");
  expect_reject("[1.]", 3, "expected a digit after '.'");
  expect_reject("[.5]", 1, "unexpected character '.'");
  expect_reject("[1e]", 3, "expected a digit in the exponent");
  expect_reject("[1e999]", 1, "number out of range");
  expect_reject("[-1e999]", 1, "number out of range");
  CHECK(parse_ok("[1e-999]").items()[0].number() == 0.0);  // underflow is just zero
}

SCOUT_TEST(json_rejects_bad_strings_and_utf8) {
  expect_reject("[\"a\x01\"]", 3, "control character 0x01 in a string");
  expect_reject("[\"\\x41\"]", 2, "invalid escape \\x");
  expect_reject("[\"\\u12G4\"]", 6, "invalid hex digit 'G'");
  expect_reject("[\"\\u12\"]", 6, "invalid hex digit '\"'");
  expect_reject("[\"\\udc00\"]", 2, "lone low surrogate");
  expect_reject("[\"\\ud800\"]", 2, "high surrogate not followed by a low surrogate");
  expect_reject("[\"\\ud800\\u0041\"]", 2, "high surrogate not followed by a low surrogate");
  expect_reject("[\"\xC0\xAF\"]", 2, "invalid UTF-8");          // overlong '/'
  expect_reject("[\"\xE0\x80\xAF\"]", 2, "invalid UTF-8");      // overlong, 3 bytes
  expect_reject("[\"\xED\xA0\x80\"]", 2, "invalid UTF-8");      // UTF-8-encoded surrogate
  expect_reject("[\"\xF4\x90\x80\x80\"]", 2, "invalid UTF-8");  // above U+10FFFF
  expect_reject("[\"\xF5\x80\x80\x80\"]", 2, "invalid UTF-8");
  expect_reject("[\"a\x80\"]", 3, "invalid UTF-8");             // lone continuation byte
  expect_reject("[\"\xE4\xB8\"]", 2, "invalid UTF-8");          // truncated sequence
  expect_reject("[\xC3\xA9]", 1, "unexpected character 0xC3");  // non-ASCII outside a string
}

SCOUT_TEST(json_reports_duplicate_keys_at_the_second_occurrence) {
  expect_reject(R"({"a":1,"b":2,"a":3})", 13, "duplicate key \"a\"");
  expect_reject(R"({"o":{"k":1,"k":1}})", 12, "duplicate key \"k\"");
  CHECK(parse_ok(R"([{"a":1},{"a":2}])").size() == 2);  // the same key in sibling objects is fine
}

SCOUT_TEST(json_enforces_its_limits) {
  Limits small;
  small.max_bytes = 8;
  expect_reject("[1,2,3,4,5]", 0, "document is 11 bytes, more than the limit of 8", small);
  // Depth: 10,000 nested arrays must fail fast and without exhausting the stack.
  expect_reject(std::string(10000, '['), 64, "nesting deeper than 64 levels");
  Limits depth3;
  depth3.max_depth = 3;
  CHECK(parse(std::string("[[[]]]"), kSrc, depth3).size() == 1);
  expect_reject("[[[[]]]]", 3, "nesting deeper than 3 levels", depth3);
  Limits members;
  members.max_members = 3;
  CHECK(parse("[1,2,3]", kSrc, members).size() == 3);
  expect_reject("[1,2,3,4]", 7, "array has more than 3 items", members);
  expect_reject(R"({"a":1,"b":2,"c":3,"d":4})", 19, "object has more than 3 members", members);
  Limits values;
  values.max_values = 4;
  expect_reject("[[1],[2]]", 6, "more than 4 values in the document", values);
  Limits strings;
  strings.max_string_bytes = 4;
  expect_reject(R"(["abcdefgh"])", 1, "string longer than 4 bytes", strings);
}

SCOUT_TEST(json_typed_access_names_the_path) {
  const Source src{ErrorCode::Config, "c.json"};
  const Value v =
      parse(R"({"i":7,"big":9007199254740993,"f":1.5,"e":1e3,"s":"3","b":true,"n":-9007199254740992})", src);
  CHECK(get_int(*v.find("i"), src, "i") == 7);
  CHECK(get_int(*v.find("n"), src, "n") == -kMaxExactInteger);
  CHECK_THROWS_CODE_MSG(get_int(*v.find("big"), src, "x.big"), ErrorCode::Config,
                        "c.json: x.big must be an integer literal within ±2^53, got 9007199254740993");
  CHECK_THROWS_CODE_MSG(get_int(*v.find("f"), src, "f"), ErrorCode::Config,
                        "c.json: f must be an integer literal");
  CHECK_THROWS_CODE_MSG(get_int(*v.find("e"), src, "e"), ErrorCode::Config, "got 1000");
  CHECK_THROWS_CODE_MSG(get_int(*v.find("s"), src, "s"), ErrorCode::Config,
                        "c.json: s must be an integer, got \"3\"");
  CHECK_THROWS_CODE_MSG(get_int(*v.find("b"), src, "b"), ErrorCode::Config, "got true");
  CHECK(get_number(*v.find("f"), src, "f") == 1.5);
  CHECK_THROWS_CODE_MSG(get_number(*v.find("s"), src, "s"), ErrorCode::Config, "s must be a number");
  CHECK(get_bool(*v.find("b"), src, "b"));
  CHECK_THROWS_CODE_MSG(get_bool(*v.find("i"), src, "i"), ErrorCode::Config,
                        "i must be true or false, got 7");
  CHECK(get_string(*v.find("s"), src, "s") == "3");
  CHECK(&get_object(v, src, "top") == &v);
  CHECK_THROWS_CODE_MSG(get_object(*v.find("i"), src, "i"), ErrorCode::Config, "i must be an object, got 7");
  CHECK_THROWS_CODE_MSG(get_array(v, src, "top"), ErrorCode::Config,
                        "c.json: top must be an array, got an object");
  CHECK(join("", "a") == "a" && join("a", "b") == "a.b" && index_path("x", 3) == "x[3]");
}

SCOUT_TEST(json_quote_shortens_and_escapes) {
  CHECK(quote("ab") == "\"ab\"");
  CHECK(quote(std::string("a\0\n\"", 4)) == "\"a\\x00\\x0A\\x22\"");
  const std::string q = quote(std::string(100, 'x'));
  CHECK(q.find("(100 bytes)") != std::string::npos && q.size() < 100);
}

SCOUT_TEST(json_read_file_checks_existence_and_size_first) {
  const std::string dir = scout::test::temp_dir("json_read");
  CHECK_THROWS_CODE_MSG(read_file(dir + "/none.json", 100, ErrorCode::Config), ErrorCode::NotFound,
                        "none.json: no such file");
  CHECK_THROWS_CODE_MSG(read_file(dir, 100, ErrorCode::Config), ErrorCode::Config, "not a regular file");
  scout::test::write_file(dir + "/big.json", std::string(101, ' '));
  CHECK_THROWS_CODE_MSG(read_file(dir + "/big.json", 100, ErrorCode::ShardIndex), ErrorCode::ShardIndex,
                        "big.json: 101 bytes, more than the limit of 100");
  scout::test::write_file(dir + "/ok.json", "{}");
  CHECK(read_file(dir + "/ok.json", 100, ErrorCode::Config) == "{}");
}

SCOUT_TEST(json_parse_members_streams_an_object_with_the_same_checks) {
  std::vector<std::pair<std::string, int64_t>> seen;
  const auto collect = [&](const std::string& key, Value&& v) { seen.emplace_back(key, v.integer()); };
  parse_members(R"( {"a": 1, "b": 2} )", kSrc, {}, collect);
  CHECK(seen == (std::vector<std::pair<std::string, int64_t>>{{"a", 1}, {"b", 2}}));
  parse_members("{}", kSrc, {}, collect);
  CHECK(seen.size() == 2);
  CHECK_THROWS_CODE_MSG(parse_members("[1]", kSrc, {}, collect), ErrorCode::Config,
                        "doc.json: invalid JSON at byte 0: the document must be an object, found '['");
  CHECK_THROWS_CODE_MSG(parse_members(R"({"a":1,"a":2})", kSrc, {}, collect), ErrorCode::Config,
                        "byte 7: duplicate key \"a\"");
  CHECK_THROWS_CODE_MSG(parse_members(R"({"a":1} x)", kSrc, {}, collect), ErrorCode::Config,
                        "unexpected data after");
  Limits members;
  members.max_members = 2;
  CHECK_THROWS_CODE_MSG(parse_members(R"({"a":1,"b":2,"c":3})", kSrc, members, collect), ErrorCode::Config,
                        "object has more than 2 members");
  // The callback may stop the parse with its own error.
  CHECK_THROWS_CODE_MSG(parse_members(R"({"a":1,"b":2})", kSrc, {},
                                      [](const std::string& key, Value&&) {
                                        if (key == "b") throw Error(ErrorCode::Safetensors, "stop at b");
                                      }),
                        ErrorCode::Safetensors, "stop at b");
}
