// The shared JSON reader: the limits that keep hostile files from crashing the host (issue 8, defects 3 and 12)
// and the one message shape of typed field access.
#include <gtest/gtest.h>

#include <string>

#include "io/json_reader.h"
#include "radlite/error.h"

using namespace radlite;
using nlohmann::json;

namespace {
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}
}  // namespace

TEST(JsonReader, DeepNestingIsAnErrorNotACrash) {
  // 100,000 levels used to parse fine and then overflow the stack in dump() inside an error message.
  std::string deep = "{\"input_ids\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::string msg = message_of<FormatError>([&] { io::parse_json(deep, "stdin line 1"); });
  EXPECT_NE(msg.find("stdin line 1: invalid JSON (nested deeper than 256 levels"), std::string::npos) << msg;
  // The limit itself is accepted, one more level is not; brackets inside strings do not count.
  std::string ok = std::string(io::kMaxJsonDepth, '[') + std::string(io::kMaxJsonDepth, ']');
  EXPECT_NO_THROW(io::parse_json(ok, "ok"));
  EXPECT_THROW(io::parse_json("[" + ok + "]", "one more"), FormatError);
  EXPECT_NO_THROW(io::parse_json("{\"s\": \"" + std::string(1000, '[') + "\"}", "string"));
  EXPECT_NO_THROW(io::parse_json("{\"s\": \"\\\"" + std::string(1000, '{') + "\"}", "escaped quote"));
}

TEST(JsonReader, NulByteIsAnErrorWithItsOffset) {
  std::string text = std::string("{\"text\": \"a\"}") + '\0' + "garbage";
  std::string msg = message_of<FormatError>([&] { io::parse_json(text, "config.json"); });
  EXPECT_EQ(msg, "config.json: invalid JSON (NUL byte at offset 13)");
}

TEST(JsonReader, NumberOutOfRangeIsAFormatError) {
  std::string msg = message_of<FormatError>([] { io::parse_json("{\"x\": 1e400}", "queries.jsonl line 2"); });
  EXPECT_EQ(msg.find("queries.jsonl line 2: invalid JSON ("), 0u) << msg;
}

TEST(JsonReader, FileSizeIsCapped) {
  std::string msg = message_of<FormatError>([] { io::read_json_file("/dev/zero", 1 << 20); });
  EXPECT_NE(msg.find("/dev/zero: larger than 1048576 bytes"), std::string::npos) << msg;
  EXPECT_THROW(io::read_json_file("/nonexistent/config.json"), IoError);
}

TEST(JsonReader, DescribeIsBounded) {
  json big = json::array();
  for (int i = 0; i < 10000; ++i) big.push_back(i);
  std::string d = io::describe(big, 20);
  EXPECT_EQ(d, "[0,1,2,3,4,5,6,7,8,9...");
  EXPECT_EQ(io::describe(json("x")), "\"x\"");
}

TEST(JsonReader, TypedFieldsShareOneMessageShape) {
  const json cfg = json::parse(R"({"n": 7.9, "m": -1, "s": 3, "b": "yes", "big": 18446744073709551615})");
  io::JsonPlace at{"config.json"};
  EXPECT_EQ(message_of<FormatError>([&] { io::get_int(cfg, "n", at, 0, 100); }),
            "config.json: field 'n': expected an integer, got 7.9");
  EXPECT_EQ(message_of<FormatError>([&] { io::get_int(cfg, "m", at, 1, 100); }),
            "config.json: field 'm': out of range [1, 100]: -1");
  EXPECT_EQ(message_of<FormatError>([&] { io::get_string(cfg, "s", at); }),
            "config.json: field 's': expected a string, got 3");
  EXPECT_EQ(message_of<FormatError>([&] { io::get_bool(cfg, "b", at); }),
            "config.json: field 'b': expected true or false, got \"yes\"");
  EXPECT_EQ(message_of<FormatError>([&] { io::get_int(cfg, "big", at, 0, 1000); }),
            "config.json: field 'big': out of range [0, 1000]: 18446744073709551615");
  EXPECT_EQ(message_of<FormatError>([&] { io::get_string(cfg, "absent", at.at("sub")); }),
            "config.json: field 'sub.absent': missing");
  EXPECT_EQ(io::get_int(cfg, "absent", at, 42, 0, 100), 42);
  EXPECT_EQ(io::get_uint(cfg, "big", at), 18446744073709551615ull);
  EXPECT_EQ(message_of<FormatError>([&] { io::get_number(cfg, "m", at, 0.0, 1.0); }),
            "config.json: field 'm': out of range [0.0, 1.0]: -1");
  EXPECT_EQ(message_of<FormatError>([&] { io::require(json::array(), "k", at); }),
            "config.json: expected an object, got an array");
}
