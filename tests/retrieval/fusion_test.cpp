#include <radlite/error.h>
#include <radlite/retrieval/fusion.h>

#include <gtest/gtest.h>

#include <cmath>

using radlite::Hit;

namespace {
const std::vector<Hit> kA = {{1, 10.0}, {2, 6.0}, {3, 2.0}};
const std::vector<Hit> kB = {{3, 3.0}, {1, 2.0}, {4, 1.0}};
}  // namespace

TEST(Fusion, RrfEqualsHandComputation) {
  const auto fused = radlite::rrf_fuse({kA, kB});
  ASSERT_EQ(fused.size(), 4u);
  EXPECT_EQ(fused[0].doc, 1u);
  EXPECT_NEAR(fused[0].score, 1.0 / 61 + 1.0 / 62, 1e-12);
  EXPECT_EQ(fused[1].doc, 3u);
  EXPECT_NEAR(fused[1].score, 1.0 / 63 + 1.0 / 61, 1e-12);
  EXPECT_EQ(fused[2].doc, 2u);
  EXPECT_NEAR(fused[2].score, 1.0 / 62, 1e-12);
  EXPECT_EQ(fused[3].doc, 4u);
  EXPECT_NEAR(fused[3].score, 1.0 / 63, 1e-12);

  // Weights and k: list B counts 3 times, k = 1 -> d3: 1/4 + 3/2, d1: 1/2 + 3/3, d4: 3/4, d2: 1/3.
  radlite::RrfOptions o;
  o.k = 1;
  o.weights = {1.0, 3.0};
  o.top_k = 3;
  const auto w = radlite::rrf_fuse({kA, kB}, o);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].doc, 3u);
  EXPECT_NEAR(w[0].score, 0.25 + 1.5, 1e-12);
  EXPECT_EQ(w[1].doc, 1u);
  EXPECT_NEAR(w[1].score, 0.5 + 1.0, 1e-12);
  EXPECT_EQ(w[2].doc, 4u);
  EXPECT_NEAR(w[2].score, 0.75, 1e-12);
}

TEST(Fusion, RrfTiesAndDuplicates) {
  // d5 and d6 are each first in one list: equal fused scores, lower doc first.
  const auto fused = radlite::rrf_fuse({{{6, 1.0}}, {{5, 9.0}}});
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].doc, 5u);
  EXPECT_EQ(fused[1].doc, 6u);
  // A doc repeated in one list counts once, at its first rank.
  const auto dup = radlite::rrf_fuse({{{7, 3.0}, {7, 2.0}}});
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_NEAR(dup[0].score, 1.0 / 61, 1e-12);
  EXPECT_TRUE(radlite::rrf_fuse({}).empty());
  EXPECT_THROW(radlite::rrf_fuse({kA}, {0.0, {}, 0}), radlite::InvalidArgument);
  EXPECT_THROW(radlite::rrf_fuse({kA, kB}, {60.0, {1.0}, 0}), radlite::InvalidArgument);
  EXPECT_THROW(radlite::rrf_fuse({kA, kB}, {60.0, {1.0, -1.0}, 0}), radlite::InvalidArgument);
}

TEST(Fusion, MinMaxEqualsHandComputation) {
  // A -> d1 1, d2 0.5, d3 0; B -> d3 1, d1 0.5, d4 0; missing docs count 0.
  const auto fused = radlite::linear_fuse({kA, kB});
  ASSERT_EQ(fused.size(), 4u);
  EXPECT_EQ(fused[0].doc, 1u);
  EXPECT_NEAR(fused[0].score, 1.5, 1e-12);
  EXPECT_EQ(fused[1].doc, 3u);
  EXPECT_NEAR(fused[1].score, 1.0, 1e-12);
  EXPECT_EQ(fused[2].doc, 2u);
  EXPECT_NEAR(fused[2].score, 0.5, 1e-12);
  EXPECT_EQ(fused[3].doc, 4u);
  EXPECT_NEAR(fused[3].score, 0.0, 1e-12);

  radlite::LinearFusionOptions o;
  o.weights = {0.2, 0.8};
  const auto w = radlite::linear_fuse({kA, kB}, o);
  EXPECT_EQ(w[0].doc, 3u);  // 0.2 * 0 + 0.8 * 1
  EXPECT_NEAR(w[0].score, 0.8, 1e-12);
  EXPECT_EQ(w[1].doc, 1u);  // 0.2 * 1 + 0.8 * 0.5
  EXPECT_NEAR(w[1].score, 0.6, 1e-12);
  // A constant list maps to 1.
  EXPECT_EQ(radlite::normalize_scores({{1, 4.0}, {2, 4.0}}, radlite::ScoreNormalization::kMinMax),
            (std::vector<double>{1.0, 1.0}));
}

TEST(Fusion, ZScoreEqualsHandComputation) {
  // A: mean 6, population sd sqrt(32/3); B: mean 2, sd sqrt(2/3).
  const double sa = std::sqrt(32.0 / 3.0), sb = std::sqrt(2.0 / 3.0);
  const auto za = radlite::normalize_scores(kA, radlite::ScoreNormalization::kZScore);
  EXPECT_NEAR(za[0], 4.0 / sa, 1e-12);
  EXPECT_NEAR(za[2], -4.0 / sa, 1e-12);
  radlite::LinearFusionOptions o;
  o.normalization = radlite::ScoreNormalization::kZScore;
  const auto fused = radlite::linear_fuse({kA, kB}, o);
  // d4 is missing from A: it gets A's minimum z (-4/sa); d2 is missing from B: B's minimum (-1/sb).
  auto score_of = [&](std::size_t doc) {
    for (const Hit& h : fused)
      if (h.doc == doc) return h.score;
    return std::nan("");
  };
  EXPECT_NEAR(score_of(1), 4.0 / sa + 0.0 / sb, 1e-12);
  EXPECT_NEAR(score_of(2), 0.0 / sa - 1.0 / sb, 1e-12);
  EXPECT_NEAR(score_of(3), -4.0 / sa + 1.0 / sb, 1e-12);
  EXPECT_NEAR(score_of(4), -4.0 / sa - 1.0 / sb, 1e-12);
  EXPECT_THROW(radlite::linear_fuse({kA, {{1, std::nan("")}}}), radlite::InvalidArgument);
  EXPECT_THROW(radlite::linear_fuse({kA}, {radlite::ScoreNormalization::kMinMax, {1.0, 2.0}, 0}),
               radlite::InvalidArgument);
}
