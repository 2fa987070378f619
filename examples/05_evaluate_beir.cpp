// 05: evaluate retrieval on a BEIR dataset (corpus.jsonl, queries.jsonl, qrels/test.tsv) with trec_eval's
// definitions: MRR@10, nDCG@10, Recall@10/100, MAP.
//
//   ./05_evaluate_beir [BEIR_DIR [BI_ENCODER_DIR]]
//
// BM25 alone by default; with a bi-encoder directory, dense retrieval fused with BM25 (RRF) is evaluated too.
// `radlite eval` does the same and more (reranker, ablation table, TREC run files).
#include <radlite/encoder.h>
#include <radlite/error.h>
#include <radlite/retrieval/metrics.h>
#include <radlite/retrieval/pipeline.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

radlite::EvalResult evaluate(const radlite::Pipeline& pipeline, const radlite::BeirDataset& data,
                             const radlite::SearchOptions& options) {
  std::vector<std::string> texts;
  for (const auto& q : data.queries) texts.push_back(q.text);
  auto results = pipeline.search_batch(texts, options);
  radlite::Run run;
  for (std::size_t i = 0; i < data.queries.size(); ++i)
    for (const auto& h : results[i]) run[data.queries[i].id].push_back({h.id, h.score});
  return radlite::evaluate(run, data.qrels);
}

void report(const char* name, const radlite::EvalResult& r) {
  std::printf("%-14s %7zu %8.4f %8.4f %10.4f %10.4f %8.4f\n", name, r.queries, r.mrr_at_10, r.ndcg_at_10,
              r.recall_at_10, r.recall_at_100, r.map);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : RADLITE_SOURCE_DIR "/examples/data/cancergov";
  try {
    radlite::BeirDataset data = radlite::load_beir(dir);  // keeps the queries that have judgments
    std::shared_ptr<const radlite::TextEncoder> encoder;
    if (argc > 2) encoder = std::make_shared<radlite::BiEncoder>(radlite::BiEncoder::load(argv[2]));

    radlite::Pipeline pipeline(encoder, nullptr);
    pipeline.add(data.corpus);
    std::printf("%-14s %7s %8s %8s %10s %10s %8s\n", "run", "queries", "MRR@10", "nDCG@10", "Recall@10", "Recall@100",
                "MAP");
    radlite::SearchOptions bm25;
    bm25.k = 100;
    bm25.use_dense = false;
    report("BM25", evaluate(pipeline, data, bm25));
    if (encoder) {
      radlite::SearchOptions dense = bm25;
      dense.use_dense = true;
      dense.use_bm25 = false;
      report("dense", evaluate(pipeline, data, dense));
      dense.use_bm25 = true;
      report("dense+BM25", evaluate(pipeline, data, dense));
    }
  } catch (const radlite::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
