#include <gtest/gtest.h>

#include <string>

#include "radlite/version.h"

TEST(Version, IsSemanticVersion) {
  std::string v = radlite::version();
  int dots = 0;
  for (char c : v) {
    if (c == '.')
      ++dots;
    else
      EXPECT_TRUE(c >= '0' && c <= '9') << v;
  }
  EXPECT_EQ(dots, 2) << v;
}
