// The strict JSON reader: values, exact integers, strings and UTF-8, and every rejection with its
// byte offset.
#include <string>

#include "engine/json.hpp"
#include "tests/check.hpp"

using namespace scout;
using namespace scout::json;

namespace {

const Source kSrc{ErrorCode::Config, "doc.json"};

Value parse_ok(std::string_view text) { return parse(text, kSrc); }

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
