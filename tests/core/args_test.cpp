#include <gtest/gtest.h>

#include <vector>

#include "cli/args.h"
#include "radlite/error.h"

using radlite::cli::Args;

namespace {
Args parse(std::vector<const char*> argv) {
  return Args(static_cast<int>(argv.size()), const_cast<char**>(argv.data()), {"--model", "--k"}, {"--json"});
}
}  // namespace

TEST(Args, ParsesValuesFlagsAndPositionals) {
  auto a = parse({"--model", "dir", "--k=5", "--json", "what is a CT?"});
  EXPECT_EQ(a.required("--model"), "dir");
  EXPECT_EQ(a.get_int("--k", 10), 5);
  EXPECT_TRUE(a.has("--json"));
  ASSERT_EQ(a.positional().size(), 1u);
  EXPECT_EQ(a.positional()[0], "what is a CT?");
}

TEST(Args, RejectsUnknownMissingAndMalformed) {
  EXPECT_THROW(parse({"--modle", "x"}), radlite::InvalidArgument);
  EXPECT_THROW(parse({"--model"}), radlite::InvalidArgument);
  EXPECT_THROW(parse({"--json=1"}), radlite::InvalidArgument);
  EXPECT_THROW(parse({"--k", "ten"}).get_int("--k", 1), radlite::InvalidArgument);
  EXPECT_THROW(parse({}).required("--model"), radlite::InvalidArgument);
}
