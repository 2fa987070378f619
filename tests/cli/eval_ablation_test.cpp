// Tests of the `radlite eval` configuration table and its caching reranker, in-process with small stand-in
// models (the real bi-encoder and cross-encoder are not needed to check how rows are built and run).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "cli/evaluation.h"
#include "radlite/retrieval/beir.h"
#include "retrieval/fake_models.h"

using namespace radlite;
using radlite::cli::EvalConfig;
using radlite::test_models::HashingEncoder;
using radlite::test_models::OverlapScorer;

namespace {

const std::string kData = std::string(RADLITE_TEST_DATA_DIR) + "/../../examples/data/cancergov";

std::vector<std::string> names(const std::vector<EvalConfig>& configs) {
  std::vector<std::string> out;
  for (const auto& c : configs) out.push_back(c.name);
  return out;
}

}  // namespace

TEST(EvalAblation, RowsFollowTheRadlitTable) {
  SearchOptions base;
  base.k = 1000;
  auto all = cli::ablation_configs(true, true, base, false);
  EXPECT_EQ(names(all), (std::vector<std::string>{"BM25", "bi-encoder", "bi-encoder + BM25 (RRF)",
                                                  "bi-encoder > reranker", "bi-encoder + BM25 > reranker + BM25"}));
  // Stages of each row.
  EXPECT_TRUE(!all[0].options.use_dense && all[0].options.use_bm25 && !all[0].options.use_reranker);
  EXPECT_TRUE(all[1].options.use_dense && !all[1].options.use_bm25);
  EXPECT_TRUE(all[2].options.use_dense && all[2].options.use_bm25 && !all[2].options.use_reranker);
  EXPECT_TRUE(all[3].options.use_reranker && !all[3].options.use_bm25 && !all[3].options.final_bm25_fusion);
  EXPECT_TRUE(all[4].options.use_reranker && all[4].options.use_bm25 && all[4].options.final_bm25_fusion);
  // Single retrievers run deep (1000); fused and reranked rows keep the configured K1.
  EXPECT_EQ(all[0].options.candidates, 1000u);
  EXPECT_EQ(all[1].options.candidates, 1000u);
  EXPECT_EQ(all[2].options.candidates, 100u);
  EXPECT_EQ(all[4].options.candidates, 100u);
  EXPECT_EQ(cli::ablation_configs(true, true, base, true)[0].options.candidates, 100u);

  EXPECT_EQ(names(cli::ablation_configs(false, false, base, false)), std::vector<std::string>{"BM25"});
  EXPECT_EQ(names(cli::ablation_configs(false, true, base, false)),
            (std::vector<std::string>{"BM25", "BM25 > reranker", "BM25 > reranker + BM25"}));
  base.fusion = FirstFusion::kLinear;
  EXPECT_EQ(cli::ablation_configs(true, false, base, false)[2].name, "bi-encoder + BM25 (linear)");

  // The evaluated row is the one with the requested stages.
  EXPECT_EQ(all[cli::requested_config(all, true, true, true)].name, "bi-encoder + BM25 > reranker + BM25");
  EXPECT_EQ(all[cli::requested_config(all, true, true, false)].name, "bi-encoder > reranker");
  auto dense_only = cli::ablation_configs(true, false, base, false);
  EXPECT_EQ(dense_only[cli::requested_config(dense_only, true, false, false)].name, "bi-encoder");
  EXPECT_EQ(dense_only[cli::requested_config(dense_only, true, false, true)].name, "bi-encoder + BM25 (linear)");
  auto ce_only = cli::ablation_configs(false, true, base, false);
  EXPECT_EQ(ce_only[cli::requested_config(ce_only, false, true, false)].name, "BM25 > reranker + BM25");
}

TEST(EvalAblation, CachingScorerReturnsTheInnerScoresOnce) {
  auto inner = std::make_shared<OverlapScorer>();
  cli::CachingPairScorer cache(inner);
  std::vector<std::string> docs = {"lung nodule", "renal cyst", "lung"};
  auto first = cache.score_pairs("lung nodule", docs);
  EXPECT_EQ(first, inner->score_pairs("lung nodule", docs));
  std::size_t inner_pairs = inner->pairs();
  auto again = cache.score_pairs("lung nodule", {"renal cyst", "lung nodule", "new doc"});
  EXPECT_EQ(again[0], first[1]);
  EXPECT_EQ(again[1], first[0]);
  EXPECT_EQ(inner->pairs(), inner_pairs + 1);  // only "new doc" reached the inner scorer
  EXPECT_EQ(cache.scored(), 4u);
  // The same document under another query is another pair.
  EXPECT_NE(cache.score_pairs("renal", {"renal cyst"})[0], first[1]);
  EXPECT_EQ(cache.identity(), inner->identity());
}

TEST(EvalAblation, RunsEveryRowOnCancerGov) {
  BeirDataset data = load_beir(kData, "test");
  auto scorer = std::make_shared<cli::CachingPairScorer>(std::make_shared<OverlapScorer>());
  Pipeline pipe(std::make_shared<HashingEncoder>(256, "hash-256"), scorer);
  pipe.add(data.corpus);
  std::vector<std::string> qids, queries;
  Qrels qrels;  // every 9th query, to keep the test short
  for (std::size_t i = 0; i < data.queries.size(); i += 9) {
    qids.push_back(data.queries[i].id);
    queries.push_back(data.queries[i].text);
    qrels[qids.back()] = data.qrels.at(qids.back());
  }
  SearchOptions base;
  base.k = 1000;
  base.rerank_depth = 20;
  auto configs = cli::ablation_configs(true, true, base, false);
  std::vector<cli::EvalRow> rows;
  for (const auto& c : configs) rows.push_back(cli::run_config(pipe, c, qids, queries, qrels, EvalOptions{}));
  std::set<double> mrrs;
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(r.result.queries, qids.size());
    EXPECT_EQ(r.run.size(), qids.size());
    for (double v :
         {r.result.mrr_at_10, r.result.ndcg_at_10, r.result.recall_at_10, r.result.recall_at_100, r.result.map}) {
      EXPECT_TRUE(std::isfinite(v));
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
    }
    mrrs.insert(r.result.mrr_at_10);
  }
  EXPECT_EQ(mrrs.size(), rows.size()) << "each configuration ranks differently";
  // The BM25 row equals a direct BM25-only search, and single-retriever rows are deep.
  SearchOptions bm25 = configs[0].options;
  auto direct = pipe.search(queries[0], bm25);
  ASSERT_EQ(rows[0].run.at(qids[0]).size(), direct.size());
  for (std::size_t i = 0; i < direct.size(); ++i) EXPECT_EQ(rows[0].run.at(qids[0])[i].doc_id, direct[i].id);
  EXPECT_GT(rows[1].run.at(qids[0]).size(), 100u);
  // Rows 3 and 4 rerank overlapping candidates: the cache scores fewer pairs than the rows requested.
  EXPECT_LT(scorer->scored(), 2 * 20 * qids.size());
}
