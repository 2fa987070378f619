#include <gtest/gtest.h>

#include "io/file_util.h"
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

TEST(FileUtil, JoinPath) {
  EXPECT_EQ(io::join_path("a", "b"), "a/b");
  EXPECT_EQ(io::join_path("a/", "b"), "a/b");
  EXPECT_EQ(io::join_path("", "b"), "b");
}
