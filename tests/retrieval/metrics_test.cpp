#include <radlite/error.h>
#include <radlite/retrieval/metrics.h>

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using radlite::EvalOptions;
using radlite::Qrels;

namespace {

// q1: graded judgments, one judged non-relevant doc; q2: no relevant doc (not averaged);
// q3: relevant doc but absent from the run (scores 0 with trec_eval -c).
Qrels qrels() {
  return {{"q1", {{"d1", 2}, {"d2", 1}, {"d3", 0}, {"d4", 1}}}, {"q2", {{"d5", 0}}}, {"q3", {{"d6", 1}}}};
}

// trec_eval ranks q1 as d3 (5), dX (4), d1 (4), d2 (3), d4 (1): the tie d1/dX goes to the larger doc id.
radlite::Run run() {
  return {{"q1", {{"d1", 4.0}, {"d2", 3.0}, {"d3", 5.0}, {"d4", 1.0}, {"dX", 4.0}}},
          {"q2", {{"d5", 1.0}}},
          {"q9", {{"d1", 1.0}}}};
}

}  // namespace

TEST(Metrics, MatchTrecEvalByHand) {
  EvalOptions o;
  o.ndcg_cutoffs = {3, 10};
  o.recall_cutoffs = {3, 10, 100};
  const auto r = radlite::evaluate(run(), qrels(), o);
  ASSERT_EQ(r.queries, 2u);  // q1 and q3
  ASSERT_EQ(r.per_query.size(), 2u);
  const auto& q1 = r.per_query[0];
  EXPECT_EQ(q1.query_id, "q1");
  EXPECT_EQ(q1.relevant, 3u);
  EXPECT_EQ(r.metric_names,
            (std::vector<std::string>{"MRR@10", "nDCG@3", "nDCG@10", "Recall@3", "Recall@10", "Recall@100", "MAP"}));
  // Relevance in rank order: 0, unjudged, 2, 1, 1.
  const double idcg = 2.0 / std::log2(2.0) + 1.0 / std::log2(3.0) + 1.0 / std::log2(4.0);
  const double mrr = 1.0 / 3.0;
  const double ndcg3 = (2.0 / std::log2(4.0)) / idcg;
  const double ndcg10 = (2.0 / std::log2(4.0) + 1.0 / std::log2(5.0) + 1.0 / std::log2(6.0)) / idcg;
  const double map = (1.0 / 3.0 + 2.0 / 4.0 + 3.0 / 5.0) / 3.0;
  EXPECT_NEAR(q1.values[0], mrr, 1e-12);
  EXPECT_NEAR(q1.values[1], ndcg3, 1e-12);
  EXPECT_NEAR(q1.values[2], ndcg10, 1e-12);
  EXPECT_NEAR(q1.values[3], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(q1.values[4], 1.0, 1e-12);
  EXPECT_NEAR(q1.values[6], map, 1e-12);
  EXPECT_NEAR(ndcg10, 0.5805, 1e-4);                         // literal value of the hand formula
  for (double v : r.per_query[1].values) EXPECT_EQ(v, 0.0);  // q3, missing from the run
  EXPECT_NEAR(r.mrr_at_10, mrr / 2, 1e-12);
  EXPECT_NEAR(r.ndcg_at_10, ndcg10 / 2, 1e-12);
  EXPECT_NEAR(r.recall_at_10, 0.5, 1e-12);
  EXPECT_NEAR(r.map, map / 2, 1e-12);
  EXPECT_NEAR(r.mean("nDCG@3"), ndcg3 / 2, 1e-12);
  EXPECT_THROW(r.mean("P@5"), radlite::InvalidArgument);
}

TEST(Metrics, TieBreakingIsTrecEvalsAndCanBeTurnedOff) {
  // With the given order (d1 before dX), d1 is at rank 2: MRR 1/2 instead of 1/3 -- the tie rule matters.
  EvalOptions o;
  o.trec_eval_order = false;
  radlite::Run given = {{"q1", {{"d3", 5.0}, {"d1", 4.0}, {"dX", 4.0}, {"d2", 3.0}, {"d4", 1.0}}}};
  EXPECT_NEAR(radlite::evaluate(given, qrels(), o).per_query[0].values[0], 0.5, 1e-12);
  EXPECT_NEAR(radlite::evaluate(given, qrels()).per_query[0].values[0], 1.0 / 3.0, 1e-12);
}

TEST(Metrics, MissingQueriesAndRelevanceLevel) {
  EvalOptions o;
  o.missing_queries_score_zero = false;
  const auto r = radlite::evaluate(run(), qrels(), o);
  EXPECT_EQ(r.queries, 1u);
  // Only grade >= 2 is relevant: d1 alone (rank 3); nDCG gains still use every positive grade.
  EvalOptions g;
  g.min_relevance = 2;
  const auto rg = radlite::evaluate(run(), qrels(), g);
  ASSERT_EQ(rg.queries, 1u);  // q3's only doc has grade 1
  EXPECT_NEAR(rg.mrr_at_10, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(rg.recall_at_10, 1.0, 1e-12);
  EXPECT_NEAR(rg.map, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(rg.ndcg_at_10, radlite::evaluate(run(), qrels()).per_query[0].values[1], 1e-12);
  // No query with a relevant doc: nothing averaged, means 0.
  const auto none = radlite::evaluate(run(), Qrels{{"q2", {{"d5", 0}}}});
  EXPECT_EQ(none.queries, 0u);
  EXPECT_EQ(none.mrr_at_10, 0.0);
}

TEST(Metrics, RejectsBadRuns) {
  radlite::Run dup = {{"q1", {{"d1", 1.0}, {"d1", 0.5}}}};
  EXPECT_THROW(radlite::evaluate(dup, qrels()), radlite::InvalidArgument);
  radlite::Run nan = {{"q1", {{"d1", std::nan("")}}}};
  EXPECT_THROW(radlite::evaluate(nan, qrels()), radlite::InvalidArgument);
  EvalOptions o;
  o.ndcg_cutoffs = {0};
  EXPECT_THROW(radlite::evaluate(run(), qrels(), o), radlite::InvalidArgument);
}

TEST(Metrics, TrecRunWriteReadRoundTrip) {
  std::ostringstream out;
  radlite::write_trec_run(out, run(), "radlite-bm25");
  const std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find('\n')), "q1 Q0 d3 1 5 radlite-bm25");
  EXPECT_NE(text.find("q1 Q0 dX 2 4 radlite-bm25\nq1 Q0 d1 3 4 radlite-bm25\n"), std::string::npos);
  std::istringstream in(text);
  const radlite::Run back = radlite::read_trec_run(in, "run.trec");
  EXPECT_EQ(back.size(), 3u);
  const auto a = radlite::evaluate(run(), qrels()), b = radlite::evaluate(back, qrels());
  EXPECT_EQ(a.means, b.means);
  EXPECT_THROW(radlite::write_trec_run(out, run(), "bad tag"), radlite::InvalidArgument);
}

TEST(Metrics, TrecRunReaderErrorsNameFileAndLine) {
  auto expect_error = [](const std::string& text, const std::string& fragment) {
    std::istringstream in(text);
    try {
      radlite::read_trec_run(in, "run.trec");
      FAIL() << "expected FormatError for: " << text;
    } catch (const radlite::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2 t\n", "run.trec line 2: expected 6 columns");
  expect_error("q1 Q0 d1 1 abc t\n", "run.trec line 1: score 'abc'");
  expect_error("\nq1 Q0 d1 1 inf t\n", "run.trec line 2: score 'inf' is not finite");
  expect_error("q1 Q0 d1 1 1 t\nq1 Q0 d1 2 0.5 t\n", "line 2: doc 'd1' repeated");
}
