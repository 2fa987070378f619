// The configurations `radlite eval` compares (the RadLIT ablation table) and the loop that runs them,
// separated from argument parsing so tests can drive them with small in-process models.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "radlite/retrieval/metrics.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

/// Remembers cross-encoder logits per (query, document text): ablation rows rerank overlapping candidate
/// sets, and the cross-encoder is by far the slowest stage. Thread-safe (one mutex; the inner scorer runs
/// outside it).
class CachingPairScorer : public PairScorer {
 public:
  explicit CachingPairScorer(std::shared_ptr<const PairScorer> inner) : inner_(std::move(inner)) {}
  std::vector<float> score_pairs(const std::string& query, const std::vector<std::string>& docs) const override;
  std::string identity() const override { return inner_->identity(); }
  /// Pairs the inner scorer has scored (cache misses).
  std::size_t scored() const;

 private:
  std::shared_ptr<const PairScorer> inner_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, float> cache_;
  mutable std::size_t scored_ = 0;
};

struct EvalConfig {
  std::string name;       // row label, e.g. "bi-encoder + BM25 > reranker + BM25"
  SearchOptions options;  // stages of this row
};

/// The rows available with the given models, cheapest first:
///   BM25 | bi-encoder | bi-encoder + BM25 (fusion) | bi-encoder > reranker | bi-encoder + BM25 > reranker + BM25
/// (with a reranker but no bi-encoder: BM25 | BM25 > reranker | BM25 > reranker + BM25).
/// `base` supplies k, depths, fusion, temperature and weights. A single retriever without reranking gets
/// candidates = max(k, 1000) unless `keep_candidates` (the user chose the depth), so its run is deep.
std::vector<EvalConfig> ablation_configs(bool have_bi_encoder, bool have_reranker, const SearchOptions& base,
                                         bool keep_candidates);

/// The row whose stages are the requested ones: dense iff a bi-encoder, rerank iff a reranker, BM25 iff
/// `use_bm25`, final BM25 fusion iff reranking with BM25.
std::size_t requested_config(const std::vector<EvalConfig>& configs, bool have_bi_encoder, bool have_reranker,
                             bool use_bm25);

struct EvalRow {
  std::string name;
  EvalResult result;
  Run run;
  double seconds = 0;  // wall time of the searches
};

/// Runs every query (ids `qids`, texts `queries`) through `pipe` with `config` and evaluates the run.
/// Draws a progress bar on stderr when it is a terminal.
EvalRow run_config(const Pipeline& pipe, const EvalConfig& config, const std::vector<std::string>& qids,
                   const std::vector<std::string>& queries, const Qrels& qrels, const EvalOptions& eval_options);

}  // namespace radlite::cli
