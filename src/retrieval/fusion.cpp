// Rank fusion. Scores are accumulated per doc in a hash map (lists are short: top-k of each retriever).
#include <radlite/error.h>
#include <radlite/retrieval/fusion.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace radlite {
namespace {

std::vector<double> checked_weights(const std::vector<double>& weights, std::size_t lists, bool non_negative,
                                    const char* who) {
  if (weights.empty()) return std::vector<double>(lists, 1.0);
  if (weights.size() != lists) {
    throw InvalidArgument(std::string(who) + ": " + std::to_string(weights.size()) + " weights for " +
                          std::to_string(lists) + " lists");
  }
  for (double w : weights) {
    if (!std::isfinite(w) || (non_negative && w < 0.0)) {
      throw InvalidArgument(std::string(who) + ": invalid weight " + std::to_string(w));
    }
  }
  return weights;
}

std::vector<Hit> finish(const std::unordered_map<std::size_t, double>& fused, std::size_t top_k) {
  std::vector<Hit> out;
  out.reserve(fused.size());
  for (const auto& [doc, score] : fused) out.push_back({doc, score});
  if (top_k > 0 && top_k < out.size()) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(top_k), out.end(), ranks_before);
    out.resize(top_k);
  } else {
    std::sort(out.begin(), out.end(), ranks_before);
  }
  return out;
}

}  // namespace

std::vector<Hit> rrf_fuse(const std::vector<std::vector<Hit>>& lists, const RrfOptions& options) {
  if (!(options.k > 0.0) || !std::isfinite(options.k))
    throw InvalidArgument("rrf_fuse: k must be > 0, got " + std::to_string(options.k));
  const auto weights = checked_weights(options.weights, lists.size(), true, "rrf_fuse");
  std::unordered_map<std::size_t, double> fused;
  std::unordered_set<std::size_t> seen;
  for (std::size_t l = 0; l < lists.size(); ++l) {
    seen.clear();
    for (std::size_t i = 0; i < lists[l].size(); ++i) {
      const std::size_t doc = lists[l][i].doc;
      if (!seen.insert(doc).second) continue;  // a repeated doc counts at its first (best) rank only
      fused[doc] += weights[l] / (options.k + static_cast<double>(i + 1));
    }
  }
  return finish(fused, options.top_k);
}

std::vector<double> normalize_scores(const std::vector<Hit>& list, ScoreNormalization normalization) {
  std::vector<double> out;
  out.reserve(list.size());
  for (const Hit& h : list) {
    if (!std::isfinite(h.score)) throw InvalidArgument("fusion: non-finite score for doc " + std::to_string(h.doc));
    out.push_back(h.score);
  }
  if (out.empty()) return out;
  switch (normalization) {
    case ScoreNormalization::kNone:
      break;
    case ScoreNormalization::kMinMax: {
      const auto [lo, hi] = std::minmax_element(out.begin(), out.end());
      const double min = *lo, range = *hi - *lo;
      for (double& s : out) s = range > 0.0 ? (s - min) / range : 1.0;
      break;
    }
    case ScoreNormalization::kZScore: {
      const double mean = std::accumulate(out.begin(), out.end(), 0.0) / static_cast<double>(out.size());
      double var = 0.0;
      for (double s : out) var += (s - mean) * (s - mean);
      const double sd = std::sqrt(var / static_cast<double>(out.size()));
      for (double& s : out) s = sd > 0.0 ? (s - mean) / sd : 0.0;
      break;
    }
    default:
      throw InvalidArgument("fusion: unknown score normalization");
  }
  return out;
}

std::vector<Hit> linear_fuse(const std::vector<std::vector<Hit>>& lists, const LinearFusionOptions& options) {
  const auto weights = checked_weights(options.weights, lists.size(), false, "linear_fuse");
  // First pass: normalised scores per list and the value a missing doc gets there.
  std::vector<std::unordered_map<std::size_t, double>> per_list(lists.size());
  std::vector<double> missing(lists.size(), 0.0);
  std::vector<std::size_t> all_docs;
  std::unordered_set<std::size_t> known;
  for (std::size_t l = 0; l < lists.size(); ++l) {
    const auto norm = normalize_scores(lists[l], options.normalization);
    if (norm.empty()) continue;
    missing[l] = *std::min_element(norm.begin(), norm.end());
    if (options.normalization == ScoreNormalization::kMinMax) missing[l] = 0.0;
    for (std::size_t i = 0; i < norm.size(); ++i) {
      const std::size_t doc = lists[l][i].doc;
      if (per_list[l].emplace(doc, norm[i]).second && known.insert(doc).second) all_docs.push_back(doc);
    }
  }
  std::unordered_map<std::size_t, double> fused;
  for (std::size_t doc : all_docs) {
    double s = 0.0;
    for (std::size_t l = 0; l < lists.size(); ++l) {
      if (lists[l].empty()) continue;
      auto it = per_list[l].find(doc);
      s += weights[l] * (it != per_list[l].end() ? it->second : missing[l]);
    }
    fused[doc] = s;
  }
  return finish(fused, options.top_k);
}

}  // namespace radlite
