// MaxScore pruning of Bm25Index::search against exhaustive scoring (search_exhaustive) as the oracle, on a
// synthetic corpus with a Zipf-distributed vocabulary (frequent terms with long postings, rare terms with
// short ones: the case where pruning skips the most).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "radlite/retrieval/bm25.h"

using namespace radlite;

namespace {

std::string word(std::size_t rank) { return "w" + std::to_string(rank); }

// Ranks drawn with probability ~ 1 / rank (Zipf, s = 1).
struct Zipf {
  explicit Zipf(std::size_t n) {
    cdf.resize(n);
    double sum = 0.0;
    for (std::size_t r = 0; r < n; ++r) cdf[r] = sum += 1.0 / static_cast<double>(r + 1);
    for (auto& c : cdf) c /= sum;
  }
  std::size_t draw(std::mt19937& rng) {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
  std::vector<double> cdf;
};

}  // namespace

TEST(Bm25Pruning, IdenticalToExhaustiveScoring) {
  std::mt19937 rng(7);
  Zipf zipf(20000);
  std::vector<std::string> ids, texts;
  for (int d = 0; d < 20000; ++d) {
    int len = std::uniform_int_distribution<int>(5, 150)(rng);
    std::string t;
    for (int i = 0; i < len; ++i) t += word(zipf.draw(rng)) + " ";
    ids.push_back("d" + std::to_string(d));
    texts.push_back(t);
  }
  Bm25Index index;
  index.add(ids, texts);
  std::size_t compared = 0;
  for (int q = 0; q < 300; ++q) {
    int nterms = std::uniform_int_distribution<int>(1, 8)(rng);
    std::string query;
    for (int i = 0; i < nterms; ++i) query += word(zipf.draw(rng) % 3000) + " ";
    if (q % 5 == 0) query += query.substr(0, query.find(' '));  // a repeated query term
    for (std::size_t k : {1u, 10u, 100u}) {
      auto pruned = index.search(query, k);
      auto exact = index.search_exhaustive(query, k);
      ASSERT_EQ(pruned.size(), exact.size()) << query;
      for (std::size_t i = 0; i < exact.size(); ++i) {
        ASSERT_EQ(pruned[i].doc, exact[i].doc) << query << " k " << k << " rank " << i;
        ASSERT_EQ(pruned[i].score, exact[i].score) << query << " k " << k << " rank " << i;  // bit-identical
      }
      compared += exact.size();
    }
  }
  EXPECT_GT(compared, 10000u);
  // The comparison can fail: the same check against another query's exhaustive list disagrees.
  auto a = index.search("w1 w50 w700", 10), b = index.search_exhaustive("w1 w50 w701", 10);
  bool differ = a.size() != b.size();
  for (std::size_t i = 0; !differ && i < a.size(); ++i) differ = a[i].doc != b[i].doc || a[i].score != b[i].score;
  EXPECT_TRUE(differ);
}
