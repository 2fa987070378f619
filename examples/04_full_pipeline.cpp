// 04: the full RadLITE pipeline: bi-encoder + BM25 -> RRF -> cross-encoder rerank (T = 1.5) -> BM25 fusion.
//
//   ./04_full_pipeline [BI_ENCODER_DIR CROSS_ENCODER_DIR [CORPUS_JSONL]]
//
// Saves the index to a directory and loads it back, as an application would between runs.
#include <radlite/encoder.h>
#include <radlite/error.h>
#include <radlite/retrieval/pipeline.h>

#include <cstdio>
#include <memory>
#include <string>

namespace {

void print(const char* label, const std::optional<double>& v) {
  if (v) std::printf(" %s=%.4f", label, *v);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root = RADLITE_SOURCE_DIR;
  const std::string bi_dir = argc > 2 ? argv[1] : root + "/models/tiny/roberta-biencoder-tiny";
  const std::string ce_dir = argc > 2 ? argv[2] : root + "/models/tiny/bert-crossencoder-tiny";
  const std::string corpus = argc > 3 ? argv[3] : root + "/examples/data/cancergov/corpus.jsonl";
  try {
    auto encoder = std::make_shared<radlite::BiEncoder>(radlite::BiEncoder::load(bi_dir));
    auto reranker = std::make_shared<radlite::CrossEncoder>(radlite::CrossEncoder::load(ce_dir));

    radlite::Pipeline pipeline(encoder, reranker);  // BM25 on, cosine dense index
    pipeline.add(radlite::load_beir_corpus(corpus));
    const std::string index_dir = "radlite-example-index";
    pipeline.save(index_dir);  // atomic: a crash mid-save leaves any previous index intact
    radlite::Pipeline loaded = radlite::Pipeline::load(index_dir, encoder, reranker);

    radlite::SearchOptions options;  // k = 10, K1 = 100 candidates, rerank top 50, T = 1.5, BM25 weight 0.3
    options.k = 5;
    const std::string query = "What imaging tests are used to diagnose lung cancer?";
    std::printf("%zu documents; query: %s\n", loaded.size(), query.c_str());
    for (const radlite::PipelineHit& h : loaded.search(query, options)) {
      std::printf("%-26s score=%.4f", h.id.c_str(), h.score);
      print("dense", h.dense);
      print("bm25", h.bm25);
      print("rrf", h.fused);
      print("logit", h.rerank_logit);
      print("p", h.rerank_prob);
      print("final", h.final);
      std::printf("\n");
    }
  } catch (const radlite::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
