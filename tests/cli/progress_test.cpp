// The progress bar of the long CLI operations (indexing, evaluation, encode/rerank streams).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "cli/progress.h"

TEST(ProgressBar, RenderShowsCountRateAndEta) {
  std::string line = radlite::cli::ProgressBar::render("indexing", 250, 1000, "docs", 2.0, 20);
  EXPECT_EQ(line, "indexing [#####...............] 250/1000 docs  125.0 docs/s  ETA 0:06");
  std::string done = radlite::cli::ProgressBar::render("indexing", 1000, 1000, "docs", 65.0, 10);
  EXPECT_EQ(done, "indexing [##########] 1000/1000 docs  15.4 docs/s  1:05");
  EXPECT_EQ(radlite::cli::ProgressBar::render("eval", 7, 0, "queries", 0.0), "eval 7 queries  0.0 queries/s");
}

TEST(ProgressBar, DrawsOnlyWhenEnabled) {
  std::FILE* quiet = std::tmpfile();
  {
    radlite::cli::ProgressBar bar("x", 10, "docs", quiet);  // a file is not a terminal
    EXPECT_FALSE(bar.enabled());
    bar.update(10);
  }
  EXPECT_EQ(std::ftell(quiet), 0L);
  std::fclose(quiet);

  std::FILE* forced = std::tmpfile();
  {
    radlite::cli::ProgressBar bar("x", 10, "docs", forced, /*force_enabled*/ true);
    bar.update(10);  // the last item always draws
    bar.finish();
  }
  std::rewind(forced);
  char buf[512] = {};
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, forced);
  std::fclose(forced);
  std::string text(buf, n);
  EXPECT_NE(text.find("\rx [##############################] 10/10 docs"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}
