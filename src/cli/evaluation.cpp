#include "cli/evaluation.h"

#include <algorithm>
#include <chrono>

#include "cli/progress.h"

namespace radlite::cli {

std::vector<float> CachingPairScorer::score_pairs(const std::string& query,
                                                  const std::vector<std::string>& docs) const {
  std::vector<float> out(docs.size());
  std::vector<std::size_t> missing;
  std::vector<std::string> keys(docs.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::size_t i = 0; i < docs.size(); ++i) {
      // Length-prefixed so no (query, document) split of one string can collide with another.
      keys[i] = std::to_string(query.size()) + ':' + query + docs[i];
      auto it = cache_.find(keys[i]);
      if (it == cache_.end())
        missing.push_back(i);
      else
        out[i] = it->second;
    }
  }
  if (missing.empty()) return out;
  std::vector<std::string> todo;
  for (std::size_t i : missing) todo.push_back(docs[i]);
  std::vector<float> fresh = inner_->score_pairs(query, todo);
  if (fresh.size() != todo.size()) return fresh;  // the pipeline reports the size mismatch
  std::lock_guard<std::mutex> lock(mu_);
  for (std::size_t j = 0; j < missing.size(); ++j) {
    out[missing[j]] = fresh[j];
    cache_.emplace(keys[missing[j]], fresh[j]);
  }
  scored_ += todo.size();
  return out;
}

std::size_t CachingPairScorer::scored() const {
  std::lock_guard<std::mutex> lock(mu_);
  return scored_;
}

std::vector<EvalConfig> ablation_configs(bool have_bi_encoder, bool have_reranker, const SearchOptions& base,
                                         bool keep_candidates) {
  auto make = [&](bool dense, bool bm25, bool rerank, bool final_fusion) {
    SearchOptions o = base;
    o.use_dense = dense;
    o.use_bm25 = bm25;
    o.use_reranker = rerank;
    o.final_bm25_fusion = final_fusion;
    if (!rerank && dense != bm25 && !keep_candidates) o.candidates = std::max<std::size_t>(o.k, 1000);
    return o;
  };
  const std::string fusion = base.fusion == FirstFusion::kRrf ? "RRF" : "linear";
  std::vector<EvalConfig> configs;
  configs.push_back({"BM25", make(false, true, false, false)});
  if (have_bi_encoder) {
    configs.push_back({"bi-encoder", make(true, false, false, false)});
    configs.push_back({"bi-encoder + BM25 (" + fusion + ")", make(true, true, false, false)});
  }
  if (have_reranker && have_bi_encoder) {
    configs.push_back({"bi-encoder > reranker", make(true, false, true, false)});
    configs.push_back({"bi-encoder + BM25 > reranker + BM25", make(true, true, true, true)});
  } else if (have_reranker) {
    configs.push_back({"BM25 > reranker", make(false, true, true, false)});
    configs.push_back({"BM25 > reranker + BM25", make(false, true, true, true)});
  }
  return configs;
}

std::size_t requested_config(const std::vector<EvalConfig>& configs, bool have_bi_encoder, bool have_reranker,
                             bool use_bm25) {
  const bool bm25 = use_bm25 || !have_bi_encoder;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const SearchOptions& o = configs[i].options;
    if (o.use_dense == have_bi_encoder && o.use_bm25 == bm25 && o.use_reranker == have_reranker &&
        o.final_bm25_fusion == (have_reranker && bm25))
      return i;
  }
  return 0;
}

EvalRow run_config(const Pipeline& pipe, const EvalConfig& config, const std::vector<std::string>& qids,
                   const std::vector<std::string>& queries, const Qrels& qrels, const EvalOptions& eval_options) {
  EvalRow row;
  row.name = config.name;
  auto start = std::chrono::steady_clock::now();
  {
    ProgressBar bar(config.name, queries.size(), "queries");
    // Chunks: query embeddings are batched inside search_batch, and the bar moves between chunks.
    const std::size_t chunk = 16;
    for (std::size_t s = 0; s < queries.size(); s += chunk) {
      std::size_t e = std::min(queries.size(), s + chunk);
      std::vector<std::string> batch(queries.begin() + s, queries.begin() + e);
      auto results = pipe.search_batch(batch, config.options);
      for (std::size_t i = 0; i < results.size(); ++i) {
        auto& entries = row.run[qids[s + i]];
        for (const auto& h : results[i]) entries.push_back(RunEntry{h.id, h.score});
      }
      bar.update(e);
    }
  }
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  row.result = evaluate(row.run, qrels, eval_options);
  return row;
}

}  // namespace radlite::cli
