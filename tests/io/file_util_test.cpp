#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "io/file_util.h"
#include "io/numbers.h"
#include "radlite/error.h"

using namespace radlite;

TEST(FileUtil, MissingFileNamesPath) {
  try {
    io::read_file("/nonexistent/radlite/file.json");
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/radlite/file.json"), std::string::npos);
  }
}

TEST(FileUtil, BrokenJsonNamesOrigin) {
  try {
    io::parse_json("{\"a\": [1, 2", "config.json");
    FAIL() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos);
  }
  EXPECT_EQ(io::parse_json("{\"a\": 1}", "x")["a"], 1);
}

// io/numbers.h: the whole string, decimal only, within the range; anything else is nothing.
TEST(Numbers, IntegersAreWholeDecimalAndInRange) {
  EXPECT_EQ(io::parse_int("42"), 42);
  EXPECT_EQ(io::parse_int("-7"), -7);
  EXPECT_EQ(io::parse_int("010"), 10);  // never octal
  EXPECT_EQ(io::parse_int("4294967297"), 4294967297LL);
  EXPECT_EQ(io::parse_int("4294967297", 0, 100), std::nullopt);
  EXPECT_EQ(io::parse_int("-1", 0, 100), std::nullopt);
  EXPECT_EQ(io::parse_int("100", 0, 100), 100);
  EXPECT_EQ(io::parse_int("99999999999999999999"), std::nullopt);  // beyond 64 bits
  for (const char* bad : {"", "-", "+5", " 5", "5 ", "5x", "0x10", "1.0", "1e3"})
    EXPECT_EQ(io::parse_int(bad), std::nullopt) << "'" << bad << "'";
}

TEST(Numbers, RealsAreWholeDecimal) {
  EXPECT_EQ(io::parse_double("1.5"), 1.5);
  EXPECT_EQ(io::parse_double("-2e-3"), -2e-3);
  EXPECT_EQ(io::parse_double("7"), 7.0);
  EXPECT_EQ(io::parse_double("1e400"), std::nullopt);  // beyond double's range
  const auto nan = io::parse_double("nan");
  ASSERT_TRUE(nan.has_value());  // a number to the parser; callers that need finite values check
  EXPECT_TRUE(std::isnan(*nan));
  for (const char* bad : {"", "+1", " 1", "1 ", "1.5x", "0x1p3", "."})
    EXPECT_EQ(io::parse_double(bad), std::nullopt) << "'" << bad << "'";
}
