// Tests of radlite::Pipeline's search: each stage against an independent computation (the retrieval-core
// indexes queried directly, RRF and the calibration formula by hand), stage switches, batches, progress, errors
// and concurrent searches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "pipeline_fixtures.h"
#include "radlite/error.h"
#include "radlite/retrieval/bm25.h"
#include "radlite/retrieval/dense.h"
#include "radlite/retrieval/fusion.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace fs = std::filesystem;
using namespace radlite;
using namespace pipeline_tests;
using radlite::test_models::HashingEncoder;
using radlite::test_models::OverlapScorer;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// The BM25 index a Pipeline keeps over small_corpus(), built directly: the oracle of the pipeline's BM25 side.
Bm25Index small_corpus_bm25() {
  Bm25Index index;
  std::vector<std::string> ids, texts;
  for (const auto& d : small_corpus()) ids.push_back(d.id), texts.push_back(document_text(d));
  index.add(ids, texts);
  return index;
}

}  // namespace

TEST(Pipeline, Bm25OnlyMatchesTheBm25Index) {
  Pipeline pipe(nullptr, nullptr);
  pipe.add(small_corpus());
  const Bm25Index oracle = small_corpus_bm25();
  for (const auto& q : kQueries) {
    SearchOptions o;
    o.k = 5;
    auto hits = pipe.search(q, o);
    auto expected = oracle.search(q, 5);
    ASSERT_EQ(hits.size(), expected.size()) << q;
    for (std::size_t i = 0; i < hits.size(); ++i) {
      EXPECT_EQ(hits[i].doc, expected[i].doc);
      EXPECT_EQ(hits[i].id, oracle.id(expected[i].doc));
      EXPECT_DOUBLE_EQ(hits[i].score, expected[i].score);
      ASSERT_TRUE(hits[i].bm25);
      EXPECT_DOUBLE_EQ(*hits[i].bm25, expected[i].score);
      EXPECT_FALSE(hits[i].dense || hits[i].fused || hits[i].rerank_prob || hits[i].final);
    }
  }
}

TEST(Pipeline, TitleIsIndexedWithText) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  // The encoder saw "title text" for titled documents, text alone otherwise (BEIR convention).
  auto seen = enc->seen();
  ASSERT_EQ(seen.size(), small_corpus().size());
  EXPECT_EQ(seen[2], "Pneumothorax A visceral pleural line with absent lung markings beyond it.");
  EXPECT_EQ(seen[0], small_corpus()[0].text);
  // BM25 finds a document by a word that only its title contains.
  SearchOptions o;
  o.use_dense = false;
  auto hits = pipe.search("pneumothorax", o);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].id, "d2");
}

TEST(Pipeline, DenseOnlyMatchesBruteForceCosine) {
  auto enc = std::make_shared<HashingEncoder>();
  PipelineOptions po;
  po.bm25 = false;
  Pipeline pipe(enc, nullptr, po);
  auto corpus = small_corpus();
  pipe.add(corpus);
  std::vector<std::string> texts;
  for (const auto& d : corpus) texts.push_back(document_text(d));
  Matrix docs = enc->encode_texts(texts);
  for (const auto& q : kQueries) {
    Matrix qv = enc->encode_texts({q});
    std::vector<std::pair<double, std::size_t>> ref;
    double qn = 0;
    for (std::size_t c = 0; c < qv.cols(); ++c) qn += double(qv(0, c)) * qv(0, c);
    for (std::size_t r = 0; r < docs.rows(); ++r) {
      double dot = 0, dn = 0;
      for (std::size_t c = 0; c < docs.cols(); ++c)
        dot += double(docs(r, c)) * qv(0, c), dn += double(docs(r, c)) * docs(r, c);
      ref.push_back({(qn > 0 && dn > 0) ? dot / std::sqrt(qn * dn) : 0.0, r});
    }
    std::sort(ref.begin(), ref.end(),
              [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    SearchOptions o;
    o.k = 6;
    auto hits = pipe.search(q, o);
    ASSERT_EQ(hits.size(), 6u);
    for (std::size_t i = 0; i < hits.size(); ++i) {
      ASSERT_TRUE(hits[i].dense);
      EXPECT_NEAR(*hits[i].dense, ref[i].first, 1e-5) << q << " rank " << i;
      EXPECT_EQ(hits[i].score, *hits[i].dense);
      EXPECT_FALSE(hits[i].bm25);
      if (i > 0) EXPECT_LE(hits[i].score, hits[i - 1].score);
    }
    // Same top document (ties aside, the top cosine is unique for these queries).
    EXPECT_EQ(hits[0].doc, ref[0].second) << q;
  }
}

TEST(Pipeline, RrfFusionComputedByHand) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  SearchOptions dense_only, bm25_only, both;
  dense_only.use_bm25 = false;
  bm25_only.use_dense = false;
  dense_only.k = bm25_only.k = both.k = 100;
  for (const auto& q : kQueries) {
    auto d = pipe.search(q, dense_only), b = pipe.search(q, bm25_only), f = pipe.search(q, both);
    std::map<std::size_t, double> expected;
    for (std::size_t r = 0; r < d.size(); ++r) expected[d[r].doc] += 1.0 / (60.0 + r + 1);
    for (std::size_t r = 0; r < b.size(); ++r) expected[b[r].doc] += 1.0 / (60.0 + r + 1);
    ASSERT_EQ(f.size(), expected.size()) << q;
    for (std::size_t i = 0; i < f.size(); ++i) {
      ASSERT_TRUE(f[i].fused);
      EXPECT_NEAR(*f[i].fused, expected[f[i].doc], 1e-12);
      EXPECT_EQ(f[i].score, *f[i].fused);
      if (i > 0) EXPECT_GE(f[i - 1].score, f[i].score);
    }
    // A fused hit shows the scores of the lists it came from.
    for (const auto& h : f) {
      bool in_dense = std::any_of(d.begin(), d.end(), [&](auto& x) { return x.doc == h.doc; });
      EXPECT_EQ(h.dense.has_value(), in_dense);
    }
  }
}

TEST(Pipeline, LinearFusionUsesWeights) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  SearchOptions o;
  o.fusion = FirstFusion::kLinear;
  o.dense_weight = 1.0;  // BM25 weight 0: the fused order is the dense order for documents in the dense list
  o.k = 100;
  SearchOptions d = o;
  d.use_bm25 = false;
  auto fused = pipe.search("pulmonary embolism CT", o);
  auto dense = pipe.search("pulmonary embolism CT", d);
  ASSERT_FALSE(dense.empty());
  EXPECT_EQ(fused[0].doc, dense[0].doc);
  EXPECT_DOUBLE_EQ(*fused[0].fused, 1.0);  // min-max: the best dense hit maps to 1, times weight 1
  o.dense_weight = 0.0;
  SearchOptions b = o;
  b.use_dense = false;
  EXPECT_EQ(pipe.search("pulmonary embolism CT", o)[0].doc, pipe.search("pulmonary embolism CT", b)[0].doc);
}

TEST(Pipeline, RerankScoresTopK2AndCalibrates) {
  auto enc = std::make_shared<HashingEncoder>();
  auto ce = std::make_shared<OverlapScorer>();
  Pipeline pipe(enc, ce);
  pipe.add(small_corpus());
  const std::string q = "pulmonary embolism CT";
  SearchOptions first;
  first.use_reranker = false;
  first.k = 100;
  auto candidates = pipe.search(q, first);
  ASSERT_GT(candidates.size(), 4u);

  SearchOptions o;
  o.rerank_depth = 4;
  o.final_bm25_fusion = false;
  o.k = 100;
  auto hits = pipe.search(q, o);
  // The cross-encoder saw exactly the top-4 candidates, as "title text".
  auto scored = ce->last_docs();
  ASSERT_EQ(scored.size(), 4u);
  for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(scored[j], document_text(pipe.document(candidates[j].doc)));
  ASSERT_EQ(hits.size(), candidates.size());
  auto logits = ce->score_pairs(q, scored);
  std::set<std::size_t> head_docs;
  for (std::size_t j = 0; j < 4; ++j) head_docs.insert(candidates[j].doc);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(head_docs.count(hits[i].doc));
    ASSERT_TRUE(hits[i].rerank_logit && hits[i].rerank_prob);
    EXPECT_NEAR(*hits[i].rerank_prob, sigmoid(*hits[i].rerank_logit / 1.5), 1e-12);
    EXPECT_EQ(hits[i].score, *hits[i].rerank_prob);
    EXPECT_FALSE(hits[i].final);
    if (i > 0) EXPECT_GE(hits[i - 1].score, hits[i].score);
  }
  // The head is ordered by the reranker, not by the first stage: the scorer's best document leads.
  std::size_t best = std::max_element(logits.begin(), logits.end()) - logits.begin();
  EXPECT_EQ(hits[0].doc, candidates[best].doc);
  // Below K2: first-stage order, no rerank scores, scores strictly below the reranked block.
  for (std::size_t i = 4; i < hits.size(); ++i) {
    EXPECT_EQ(hits[i].doc, candidates[i].doc);
    EXPECT_FALSE(hits[i].rerank_prob);
    EXPECT_LT(hits[i].score, hits[3].score);
    if (i > 4) EXPECT_GE(hits[i - 1].score, hits[i].score);
  }
  // Temperature changes the probabilities as sigmoid(logit / T).
  o.temperature = 0.5;
  auto sharp = pipe.search(q, o);
  EXPECT_NEAR(*sharp[0].rerank_prob, sigmoid(*sharp[0].rerank_logit / 0.5), 1e-12);
  EXPECT_NE(*sharp[0].rerank_prob, *hits[0].rerank_prob);
}

TEST(Pipeline, FinalFusionWithBm25ComputedByHand) {
  auto enc = std::make_shared<HashingEncoder>();
  auto ce = std::make_shared<OverlapScorer>();
  Pipeline pipe(enc, ce);
  pipe.add(small_corpus());
  const Bm25Index oracle = small_corpus_bm25();
  for (const auto& q : kQueries) {
    SearchOptions o;
    o.rerank_depth = 6;
    o.k = 6;
    auto hits = pipe.search(q, o);
    ASSERT_FALSE(hits.empty());
    double lo = 1e300, hi = -1e300;
    for (const auto& h : hits) {
      ASSERT_TRUE(h.bm25) << "every reranked hit has a BM25 score for the final fusion";
      EXPECT_NEAR(*h.bm25, oracle.score(q, h.doc), 1e-9);  // exact, also for dense-only candidates
      lo = std::min(lo, *h.bm25), hi = std::max(hi, *h.bm25);
    }
    for (std::size_t i = 0; i < hits.size(); ++i) {
      const auto& h = hits[i];
      double mm = hi > lo ? (*h.bm25 - lo) / (hi - lo) : 1.0;
      ASSERT_TRUE(h.final);
      EXPECT_NEAR(*h.final, 0.7 * sigmoid(*h.rerank_logit / 1.5) + 0.3 * mm, 1e-12) << q;
      EXPECT_EQ(h.score, *h.final);
      if (i > 0) EXPECT_GE(hits[i - 1].score, h.score);
    }
  }
  // Weight 1 ranks the reranked block by BM25 alone.
  SearchOptions o;
  o.final_bm25_weight = 1.0;
  o.k = 50;
  auto hits = pipe.search("pulmonary embolism CT", o);
  for (std::size_t i = 1; i < hits.size() && hits[i].final; ++i) EXPECT_GE(*hits[i - 1].bm25, *hits[i].bm25);
}

TEST(Pipeline, StagesCanBeSwitchedOff) {
  auto enc = std::make_shared<HashingEncoder>();
  auto ce = std::make_shared<OverlapScorer>();
  Pipeline pipe(enc, ce);
  pipe.add(small_corpus());
  SearchOptions o;
  o.use_bm25 = false;
  o.final_bm25_fusion = false;
  auto hits = pipe.search("pulmonary embolism", o);  // bi-encoder + reranker
  ASSERT_FALSE(hits.empty());
  EXPECT_TRUE(hits[0].dense && hits[0].rerank_prob);
  EXPECT_FALSE(hits[0].fused || hits[0].final || hits[0].bm25);
  o.use_dense = false;
  EXPECT_THROW(pipe.search("x", o), InvalidArgument);  // no first-stage retriever left
  SearchOptions bad;
  bad.temperature = 0;
  EXPECT_THROW(pipe.search("x", bad), InvalidArgument);
  bad = SearchOptions{};
  bad.final_bm25_weight = 1.5;
  EXPECT_THROW(pipe.search("x", bad), InvalidArgument);
  bad = SearchOptions{};
  bad.candidates = 0;
  EXPECT_THROW(pipe.search("x", bad), InvalidArgument);
  SearchOptions zero;
  zero.k = 0;
  EXPECT_TRUE(pipe.search("pulmonary", zero).empty());
  PipelineOptions none;
  none.bm25 = false;
  EXPECT_THROW(Pipeline(nullptr, nullptr, none), InvalidArgument);
}

TEST(Pipeline, SearchBatchEqualsSearch) {
  auto enc = std::make_shared<HashingEncoder>();
  PipelineOptions po;
  po.encode_batch_size = 2;  // several encoder batches
  Pipeline pipe(enc, std::make_shared<OverlapScorer>(), po);
  pipe.add(small_corpus());
  auto batch = pipe.search_batch(kQueries);
  ASSERT_EQ(batch.size(), kQueries.size());
  for (std::size_t i = 0; i < kQueries.size(); ++i) expect_same_hits(batch[i], pipe.search(kQueries[i]));
}

TEST(Pipeline, AddIsAllOrNothing) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  auto before = pipe.search("pulmonary embolism");
  std::vector<BeirDocument> dup = {{"new1", "", "fresh pulmonary text"}, {"d3", "", "duplicate of an existing id"}};
  try {
    pipe.add(dup);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'d3'"), std::string::npos) << e.what();
  }
  std::vector<BeirDocument> dup_in_batch = {{"x", "", "a"}, {"x", "", "b"}};
  EXPECT_THROW(pipe.add(dup_in_batch), InvalidArgument);
  std::vector<BeirDocument> empty_id = {{"", "", "a"}};
  EXPECT_THROW(pipe.add(empty_id), InvalidArgument);
  std::vector<BeirDocument> bad_utf8 = {{"ok", "", "fine"}, {"bad", "", std::string("caf\xC3", 4)}};
  try {
    pipe.add(bad_utf8);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'bad'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pipe.size(), small_corpus().size());
  EXPECT_EQ(pipe.find("new1"), -1);
  expect_same_hits(before, pipe.search("pulmonary embolism"));
  // A later valid add works and gets the next doc numbers.
  pipe.add({{"d12", "", "pulmonary embolism pulmonary embolism"}});
  EXPECT_EQ(pipe.find("d12"), 12);
  EXPECT_EQ(pipe.search("pulmonary embolism")[0].id, "d12");
}

TEST(Pipeline, BrokenEncoderIsAModelError) {
  class WrongShape : public HashingEncoder {
   public:
    Matrix encode_texts(const std::vector<std::string>& t) const override { return Matrix(t.size(), 3); }
  };
  Pipeline pipe(std::make_shared<WrongShape>(), nullptr);
  try {
    pipe.add(small_corpus());
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("expected 12 x 64"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pipe.size(), 0u);
}

TEST(Pipeline, ProgressIsReported) {
  auto enc = std::make_shared<HashingEncoder>();
  PipelineOptions po;
  po.encode_batch_size = 5;
  Pipeline pipe(enc, nullptr, po);
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  pipe.add(small_corpus(), [&](std::size_t done, std::size_t total) { calls.push_back({done, total}); });
  std::vector<std::pair<std::size_t, std::size_t>> expected = {{5, 12}, {10, 12}, {12, 12}};
  EXPECT_EQ(calls, expected);
}

TEST(Pipeline, ConcurrentSearchesMatchSerialOnes) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, std::make_shared<OverlapScorer>());
  pipe.add(small_corpus());
  std::vector<std::vector<PipelineHit>> serial;
  for (const auto& q : kQueries) serial.push_back(pipe.search(q));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 50; ++rep) {
        std::size_t i = (t + rep) % kQueries.size();
        auto hits = pipe.search(kQueries[i]);
        if (hits.size() != serial[i].size()) {
          ++mismatches;
          continue;
        }
        for (std::size_t j = 0; j < hits.size(); ++j)
          if (hits[j].doc != serial[i][j].doc || hits[j].score != serial[i][j].score) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}
