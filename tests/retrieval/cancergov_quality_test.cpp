// BM25 with radlite's default options on the bundled CancerGov BEIR set must reach the best Lucene
// figures of examples/data/cancergov/README.md (Lucene 8.7 StandardAnalyzer, k1 1.2, b 0.75).
#include <radlite/retrieval/beir.h>
#include <radlite/retrieval/bm25.h>

#include <gtest/gtest.h>

TEST(CancerGovQuality, DefaultBm25ReachesLuceneFigures) {
  const auto data = radlite::load_beir(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov");
  std::vector<std::string> ids, texts, queries;
  for (const auto& d : data.corpus) {
    ids.push_back(d.id);
    texts.push_back(radlite::document_text(d));
  }
  for (const auto& q : data.queries) queries.push_back(q.text);
  radlite::Bm25Index index;  // defaults
  index.add(ids, texts);
  const auto results = index.search_batch(queries, 100);
  radlite::Run run;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    run[data.queries[i].id] = radlite::run_entries(results[i], [&](std::size_t d) { return index.id(d); });
  }
  const auto r = radlite::evaluate(run, data.qrels);
  std::printf("CancerGov default BM25: queries %zu MRR@10 %.4f nDCG@10 %.4f Recall@10 %.4f Recall@100 %.4f MAP %.4f\n",
              r.queries, r.mrr_at_10, r.ndcg_at_10, r.recall_at_10, r.recall_at_100, r.map);
  EXPECT_EQ(r.queries, 729u);
  EXPECT_GE(r.ndcg_at_10, 0.4960);
  EXPECT_GE(r.mrr_at_10, 0.4099);
  // Sanity bound from the README: nothing can beat the best achievable recall.
  EXPECT_LE(r.recall_at_10, 0.9794);
}
