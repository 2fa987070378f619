// MaxScore pruning of Bm25Index::search against exhaustive scoring (search_exhaustive) as the oracle, on a
// synthetic corpus with a Zipf-distributed vocabulary (frequent terms with long postings, rare terms with
// short ones: the case where pruning skips the most).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "radlite/retrieval/analyzer.h"
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

// 20,000 documents of 5 to max_len Zipf words; with `repeats`, every 997th also repeats one of the three most
// frequent terms 255-344 times (past the one-byte term frequencies of the scan).
Bm25Index zipf_index(std::mt19937& rng, Zipf& zipf, int max_len, bool repeats) {
  std::vector<std::string> ids, texts;
  for (int d = 0; d < 20000; ++d) {
    int len = std::uniform_int_distribution<int>(5, max_len)(rng);
    std::string t;
    for (int i = 0; i < len; ++i) t += word(zipf.draw(rng)) + " ";
    if (repeats && d % 997 == 0)
      for (int i = 0; i < 255 + d % 90; ++i) t += word(d % 3) + " ";
    ids.push_back("d" + std::to_string(d));
    texts.push_back(t);
  }
  Bm25Index index;
  index.add(ids, texts);
  return index;
}

}  // namespace

TEST(Bm25Pruning, IdenticalToExhaustiveScoring) {
  std::mt19937 rng(7);
  Zipf zipf(20000);
  const Bm25Index index = zipf_index(rng, zipf, 150, false);
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

// ---- Every strategy of the scoring kernel against exhaustive scoring, with and without deleted documents ----

#include "retrieval/bm25_internal.h"
#include "retrieval/bm25_kernels.h"

namespace {

namespace bi = radlite::bm25_internal;

std::vector<Hit> run(const Bm25Index& index, const std::string& query, std::size_t k, bi::Strategy strategy,
                     const std::uint8_t* deleted, bool avx2 = true) {
  const auto& m = index.internals();
  bi::Scratch s;
  std::vector<std::string> analyzed;
  AnalyzerSession session(m.analyzer);
  session.analyze(query, analyzed);
  m.query_terms(analyzed, s.qterms);
  for (const auto& [t, qtf] : s.qterms) {
    const bi::PostingSpan span = m.plist(t);
    s.lists.push_back(m.term_postings(t, span, m.idf(span.size) * static_cast<double>(qtf), m.avglen(),
                                      strategy == bi::Strategy::kExhaustive));
  }
  return bi::top_k(s.lists, m.norms.data(), deleted, m.n_docs, k, s, strategy, avx2);
}

}  // namespace

TEST(Bm25Pruning, EveryStrategyIdenticalToExhaustiveScoring) {
  std::mt19937 rng(11);
  Zipf zipf(20000);
  const Bm25Index index = zipf_index(rng, zipf, 200, true);
  std::vector<std::uint8_t> deleted(index.size());
  for (auto& x : deleted) x = std::uniform_int_distribution<int>(0, 9)(rng) == 0;
  ASSERT_TRUE(index.internals().dense(index.internals().vocab.find("w1")).size() == index.size());

  const std::vector<std::pair<bi::Strategy, bool>> strategies = {
      {bi::Strategy::kMaxScore, true}, {bi::Strategy::kScan, true}, {bi::Strategy::kScan, false},
      {bi::Strategy::kMaxScoreThenScan, true}, {bi::Strategy::kAuto, true}};
  std::size_t compared = 0, frequent_only = 0, with_capped = 0;
  for (int q = 0; q < 240; ++q) {
    const int nterms = std::uniform_int_distribution<int>(1, 7)(rng);
    std::string query;
    // A third of the queries take only frequent terms (each in >= 1/64 of the documents: kAuto scans them).
    const std::size_t range = q % 3 == 0 ? 40 : 3000;
    bool all_frequent = true;
    for (int i = 0; i < nterms; ++i) {
      const std::string w = word(zipf.draw(rng) % range);
      all_frequent = all_frequent && index.doc_frequency(w) * 64 >= index.size();
      query += w + " ";
    }
    if (q % 5 == 0) query += query.substr(0, query.find(' '));  // a repeated query term
    frequent_only += all_frequent;
    with_capped += query.find("w0 ") != std::string::npos || query.find("w1 ") != std::string::npos;
    const std::uint8_t* const masks[] = {nullptr, deleted.data()};
    for (const std::uint8_t* del : masks) {
      for (std::size_t k : {1u, 10u, 100u}) {
        const auto exact = run(index, query, k, bi::Strategy::kExhaustive, del);
        for (const auto& [strategy, avx2] : strategies) {
          const auto got = run(index, query, k, strategy, del, avx2);
          const std::string what = query + " k " + std::to_string(k) + " strategy " +
                                   std::to_string(static_cast<int>(strategy)) + (avx2 ? "" : " portable") +
                                   (del ? " with deletes" : "");
          ASSERT_EQ(got.size(), exact.size()) << what;
          for (std::size_t i = 0; i < exact.size(); ++i) {
            ASSERT_EQ(got[i].doc, exact[i].doc) << what << " rank " << i;
            ASSERT_EQ(got[i].score, exact[i].score) << what << " rank " << i;  // bit-identical
            if (del) ASSERT_FALSE(deleted[got[i].doc]) << what;
          }
          compared += exact.size();
        }
      }
    }
  }
  EXPECT_GT(compared, 100000u);
  EXPECT_GT(frequent_only, 40u);  // the scan really is what kAuto ran for these
  EXPECT_GT(with_capped, 20u);
}

// The float screen: every document whose exact (double) score reaches the threshold is a candidate, and
// hardly any below it, for the portable and the AVX2 kernel, over tf values 0-255 and awkward counts.
TEST(Bm25Pruning, ScreenKeepsEveryDocumentThatCanReachTheThreshold) {
  std::mt19937 rng(5);
  for (std::uint32_t count : {1u, 7u, 8u, 9u, 300u, 4099u}) {
    const std::size_t n_terms = 1 + count % 6;
    std::vector<std::vector<std::uint8_t>> tf(n_terms, std::vector<std::uint8_t>(count));
    std::vector<double> norms(count);
    std::vector<bm25_kernels::ScanTerm> terms(n_terms);
    for (std::size_t j = 0; j < n_terms; ++j) {
      for (auto& x : tf[j]) {
        const int r = std::uniform_int_distribution<int>(0, 99)(rng);
        x = static_cast<std::uint8_t>(r < 50 ? 0 : r < 97 ? r % 6 + 1 : r == 97 ? 255 : 200);
      }
      terms[j] = {tf[j].data(), std::uniform_real_distribution<float>(0.05f, 9.0f)(rng)};
    }
    for (auto& x : norms) x = std::uniform_real_distribution<double>(0.2, 3.0)(rng);
    // Exact scores in double, 255 screened as "255 or more" (ratio 1 at most).
    std::vector<double> exact(count, 0.0), upper(count, 0.0);
    for (std::uint32_t d = 0; d < count; ++d)
      for (std::size_t j = 0; j < n_terms; ++j)
        if (tf[j][d] != 0) {
          const double w = terms[j].weight;
          exact[d] += w * tf[j][d] / (tf[j][d] + norms[d]);
          upper[d] += tf[j][d] == 255 ? w : w * tf[j][d] / (tf[j][d] + norms[d]);
        }
    std::vector<double> sorted = exact;
    std::sort(sorted.begin(), sorted.end(), std::greater<double>());
    const double threshold = sorted[std::min<std::size_t>(count - 1, 5)];
    auto check = [&](bool avx2) {
      std::vector<std::uint32_t> out(count);
      const std::size_t found =
          avx2 ? bm25_kernels::scan_candidates_avx2(terms.data(), n_terms, norms.data(), count,
                                                    static_cast<float>(threshold) * (1 - 1e-7f), out.data())
               : bm25_kernels::scan_candidates(terms.data(), n_terms, norms.data(), count,
                                               static_cast<float>(threshold) * (1 - 1e-7f), out.data());
      out.resize(found);
      std::size_t must = 0;
      for (std::uint32_t d = 0; d < count; ++d)
        if (exact[d] >= threshold && exact[d] > 0) {
          ++must;
          EXPECT_TRUE(std::binary_search(out.begin(), out.end(), d)) << "doc " << d << " count " << count;
        }
      for (std::uint32_t d : out) EXPECT_GE(upper[d], threshold * (1 - 2e-4)) << "doc " << d;
      EXPECT_TRUE(std::is_sorted(out.begin(), out.end()));
      EXPECT_GT(must, 0u);
      return found;
    };
    const std::size_t portable = check(false);
    if (bm25_kernels::scan_avx2_available()) EXPECT_EQ(check(true), portable) << count;
  }
  // The check can fail: a screen that ignores the last term misses documents that reach the threshold.
  std::vector<std::uint8_t> a = {1, 0}, b = {0, 3};
  std::vector<double> norms = {1.0, 1.0};
  bm25_kernels::ScanTerm terms[2] = {{a.data(), 1.0f}, {b.data(), 1.0f}};
  std::uint32_t out[2];
  EXPECT_EQ(bm25_kernels::scan_candidates(terms, 1, norms.data(), 2, 0.7f, out), 0u);
  EXPECT_EQ(bm25_kernels::scan_candidates(terms, 2, norms.data(), 2, 0.7f, out), 1u);
}
