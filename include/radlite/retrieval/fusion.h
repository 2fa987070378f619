// radlite/retrieval/fusion.h: combine ranked lists (BM25, dense, reranker) into one.
//
//   std::vector<radlite::Hit> fused = radlite::rrf_fuse({bm25_hits, dense_hits});          // k = 60
//   auto linear = radlite::linear_fuse({bm25_hits, ce_hits},
//                                      {radlite::ScoreNormalization::kMinMax, {0.3, 0.7}});
//
// All lists must use the same document numbering (Hit::doc), e.g. a BM25 and a dense index filled in the
// same order. The rank of a hit is its 1-based position in its list: lists are used in the order given
// (sort them with ranks_before first if needed). A doc repeated within one list counts at its first
// position only. Results are ordered by fused score desc, then doc asc; `top_k` = 0 keeps every document
// that appears in at least one list.
//
// Thread safety: pure functions.
#pragma once

#include <radlite/retrieval/hit.h>

#include <cstddef>
#include <vector>

namespace radlite {

struct RrfOptions {
  double k = 60.0;              // rank constant (Cormack et al. 2009), > 0
  std::vector<double> weights;  // one per list (>= 0), or empty for all 1
  std::size_t top_k = 0;        // keep the best top_k fused hits; 0 keeps all
};

/// Reciprocal rank fusion: score(d) = sum over lists L containing d of weight_L / (k + rank_L(d)).
/// A list that does not contain d contributes nothing. InvalidArgument on k <= 0, negative weights or a
/// weights size that differs from the number of lists.
std::vector<Hit> rrf_fuse(const std::vector<std::vector<Hit>>& lists, const RrfOptions& options = {});

enum class ScoreNormalization {
  kNone,    // raw scores
  kMinMax,  // (s - min) / (max - min) over the list; a list whose scores are all equal maps to 1
  kZScore,  // (s - mean) / stddev (population) over the list; a constant list maps to 0
};

struct LinearFusionOptions {
  ScoreNormalization normalization = ScoreNormalization::kMinMax;
  std::vector<double> weights;  // one per list (any finite value), or empty for all 1
  std::size_t top_k = 0;        // keep the best top_k fused hits; 0 keeps all
};

/// Linear fusion: score(d) = sum over lists of weight_L * norm_L(d). A document missing from a list gets
/// that list's lowest normalised score there: 0 for min-max (as if it were the list's worst hit, the usual
/// choice), the list's minimum z-score for z-score, and the list's minimum raw score for kNone. An empty
/// list contributes nothing. InvalidArgument on a weights size that differs from the number of lists or
/// non-finite weights/scores.
std::vector<Hit> linear_fuse(const std::vector<std::vector<Hit>>& lists, const LinearFusionOptions& options = {});

/// The normalised scores of one list, in list order (exposed for tests and custom fusions).
std::vector<double> normalize_scores(const std::vector<Hit>& list, ScoreNormalization normalization);

}  // namespace radlite
