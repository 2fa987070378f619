// Tests of radlite::Pipeline: each stage against an independent computation (the retrieval-core indexes
// queried directly, RRF and the calibration formula by hand), persistence round trips, corruption of every
// index file, and saves killed with SIGKILL.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "radlite/error.h"
#include "radlite/retrieval/bm25.h"
#include "radlite/retrieval/dense.h"
#include "radlite/retrieval/fusion.h"
#include "radlite/retrieval/pipeline.h"
#include "io/atomic_directory.h"
#include "retrieval/fake_models.h"

namespace fs = std::filesystem;
using namespace radlite;
using radlite::test_models::HashingEncoder;
using radlite::test_models::OverlapScorer;

namespace {

std::vector<BeirDocument> small_corpus() {
  return {
      {"d0", "", "Pulmonary embolism on CT shows a filling defect in the pulmonary artery."},
      {"d1", "", "Acute appendicitis: dilated appendix with periappendiceal fat stranding on CT."},
      {"d2", "Pneumothorax", "A visceral pleural line with absent lung markings beyond it."},
      {"d3", "", "Pulmonary nodules: solid nodules under 6 mm need no routine follow-up."},
      {"d4", "", "Aortic dissection shows an intimal flap separating true and false lumen on CT angiography."},
      {"d5", "", "Embolism of fat after long bone fracture causes petechiae and hypoxemia."},
      {"d6", "", "The filling defect of a pulmonary embolus may be central or eccentric; chronic emboli are mural."},
      {"d7", "", "Ground glass opacity in the lung has many causes including infection and edema."},
      {"d8", "Renal cysts", "Bosniak classification grades cystic renal masses on CT."},
      {"d9", "", "Pleural effusion layers dependently on decubitus radiographs."},
      {"d10", "", "Artery of Adamkiewicz and the spinal cord blood supply."},
      {"d11", "", "CT pulmonary angiography is the test of choice for suspected pulmonary embolism."},
  };
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::string temp_dir(const std::string& name) {
  std::string base = ::testing::TempDir() + "radlite_pipeline_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(base);
  fs::create_directories(base);
  return base;
}

// The BM25 index a Pipeline keeps over small_corpus(), built directly: the oracle of the pipeline's BM25 side.
Bm25Index small_corpus_bm25() {
  Bm25Index index;
  std::vector<std::string> ids, texts;
  for (const auto& d : small_corpus()) ids.push_back(d.id), texts.push_back(document_text(d));
  index.add(ids, texts);
  return index;
}

void expect_same_hits(const std::vector<PipelineHit>& a, const std::vector<PipelineHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("rank " + std::to_string(i));
    EXPECT_EQ(a[i].doc, b[i].doc);
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].score, b[i].score);
    EXPECT_EQ(a[i].dense, b[i].dense);
    EXPECT_EQ(a[i].bm25, b[i].bm25);
    EXPECT_EQ(a[i].fused, b[i].fused);
    EXPECT_EQ(a[i].rerank_logit, b[i].rerank_logit);
    EXPECT_EQ(a[i].rerank_prob, b[i].rerank_prob);
    EXPECT_EQ(a[i].final, b[i].final);
  }
}

// The one file of `dir` whose name ends with `suffix` (segment files are named after their segment).
std::string segment_file(const std::string& dir, const std::string& suffix) {
  std::string found;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      EXPECT_TRUE(found.empty()) << "two files end with " << suffix << " in " << dir;
      found = n;
    }
  }
  EXPECT_FALSE(found.empty()) << "no file ends with " << suffix << " in " << dir;
  return found;
}

// The generation number of a saved index as written in its file names ("000003").
std::string gen_of(const std::string& dir) {
  std::ifstream in(dir + "/manifest.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const auto pos = text.find("\"generation\": ");
  EXPECT_NE(pos, std::string::npos);
  std::string digits = std::to_string(std::stoull(text.substr(pos + 14)));
  return std::string(6 - std::min<std::size_t>(6, digits.size()), '0') + digits;
}

const std::vector<std::string> kQueries = {"pulmonary embolism CT", "filling defect artery", "pleural lung",
                                           "renal cysts Bosniak", "fat embolism fracture"};

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
      for (std::size_t c = 0; c < docs.cols(); ++c) dot += double(docs(r, c)) * qv(0, c), dn += double(docs(r, c)) * docs(r, c);
      ref.push_back({(qn > 0 && dn > 0) ? dot / std::sqrt(qn * dn) : 0.0, r});
    }
    std::sort(ref.begin(), ref.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
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

// ---------------------------------------------------------------------------------------------------------
// Persistence

TEST(PipelinePersistence, SaveLoadGivesIdenticalResults) {
  auto enc = std::make_shared<HashingEncoder>();
  auto ce = std::make_shared<OverlapScorer>();
  Pipeline pipe(enc, ce);
  pipe.add(small_corpus());
  std::string dir = temp_dir("roundtrip") + "/index";
  pipe.save(dir);
  EXPECT_TRUE(fs::is_regular_file(dir + "/manifest.json"));
  for (const char* suffix : {".docs.jsonl", ".bm25.bin", ".dense.bin"})
    EXPECT_TRUE(fs::is_regular_file(dir + "/" + segment_file(dir, suffix))) << suffix;
  Pipeline loaded = Pipeline::load(dir, enc, ce);
  EXPECT_EQ(loaded.size(), pipe.size());
  EXPECT_EQ(loaded.encoder_identity(), "test-hashing-bow-64");
  for (std::size_t i = 0; i < pipe.size(); ++i) {
    EXPECT_EQ(loaded.document(i).id, pipe.document(i).id);
    EXPECT_EQ(loaded.document(i).title, pipe.document(i).title);
    EXPECT_EQ(loaded.document(i).text, pipe.document(i).text);
  }
  for (const auto& q : kQueries) {
    SearchOptions o;
    o.k = 20;
    expect_same_hits(pipe.search(q, o), loaded.search(q, o));
    o.fusion = FirstFusion::kLinear;
    expect_same_hits(pipe.search(q, o), loaded.search(q, o));
  }
  // Saving over an existing index replaces it, and the loaded copy can grow and be saved again.
  loaded.add({{"d12", "", "pulmonary embolism pulmonary embolism"}});
  loaded.save(dir);
  Pipeline again = Pipeline::load(dir, enc, ce);
  EXPECT_EQ(again.size(), 13u);
  EXPECT_EQ(again.search("pulmonary embolism")[0].id, "d12");
  // No temp or aside directories are left next to the index.
  for (const auto& e : fs::directory_iterator(fs::path(dir).parent_path()))
    EXPECT_EQ(e.path().filename().string(), "index");
}

TEST(PipelinePersistence, Bm25OnlyIndexRoundTrip) {
  PipelineOptions po;
  po.bm25_options.k1 = 0.9;
  po.bm25_options.b = 0.4;
  Pipeline pipe(nullptr, nullptr, po);
  pipe.add(small_corpus());
  std::string dir = temp_dir("bm25only") + "/index";
  pipe.save(dir);
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().string().find("dense"), std::string::npos) << e.path();
  // An encoder passed for an index without embeddings is ignored.
  Pipeline loaded = Pipeline::load(dir, std::make_shared<HashingEncoder>(), nullptr);
  EXPECT_FALSE(loaded.has_embeddings());
  EXPECT_DOUBLE_EQ(loaded.options().bm25_options.k1, 0.9);
  EXPECT_DOUBLE_EQ(loaded.options().bm25_options.b, 0.4);
  for (const auto& q : kQueries) expect_same_hits(pipe.search(q), loaded.search(q));
  std::ifstream m(dir + "/manifest.json");
  std::stringstream ss;
  ss << m.rdbuf();
  EXPECT_NE(ss.str().find("\"k1\": 0.9"), std::string::npos) << ss.str();
  EXPECT_NE(ss.str().find("\"bi_encoder\": null"), std::string::npos);
}

TEST(PipelinePersistence, WrongEncoderIsRejected) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  std::string dir = temp_dir("identity") + "/index";
  pipe.save(dir);
  try {
    Pipeline::load(dir, std::make_shared<HashingEncoder>(64, "other-model sha256:abc"), nullptr);
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("test-hashing-bow-64"), std::string::npos) << msg;
    EXPECT_NE(msg.find("other-model sha256:abc"), std::string::npos) << msg;
  }
  EXPECT_THROW(Pipeline::load(dir, nullptr, nullptr), ModelError);
  EXPECT_THROW(Pipeline::load(dir, std::make_shared<HashingEncoder>(32, "test-hashing-bow-64"), nullptr), ModelError);
  EXPECT_NO_THROW(Pipeline::load(dir, enc, nullptr));
}

TEST(PipelinePersistence, MissingDirectoryAndVersion) {
  EXPECT_THROW(Pipeline::load(temp_dir("missing") + "/nope", nullptr, nullptr), IoError);
  Pipeline pipe(nullptr, nullptr);
  pipe.add(small_corpus());
  std::string dir = temp_dir("version") + "/index";
  pipe.save(dir);
  std::string manifest_path = dir + "/manifest.json";
  std::ifstream in(manifest_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto pos = text.find("\"format_version\": 2");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 19, "\"format_version\": 3");
  std::ofstream(manifest_path, std::ios::trunc) << text;
  try {
    Pipeline::load(dir, nullptr, nullptr);
    FAIL() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("manifest.json: field 'format_version': unsupported version 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rebuild"), std::string::npos) << e.what();
  }
  std::ofstream(manifest_path, std::ios::trunc) << "{\"format\": \"radlite-index\", ";
  try {
    Pipeline::load(dir, nullptr, nullptr);
    FAIL() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("manifest.json"), std::string::npos) << e.what();
  }
}

namespace {

void expect_load_error_names(const std::string& dir, const std::shared_ptr<const TextEncoder>& enc,
                             const std::string& file, const std::string& what) {
  try {
    Pipeline::load(dir, enc, nullptr);
    ADD_FAILURE() << what << " of " << file << ": no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << what << ": " << e.what();
  }
}

}  // namespace

TEST(PipelinePersistence, EveryCorruptedOrTruncatedFileIsNamed) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  std::string base = temp_dir("corrupt");
  pipe.add({{"late", "", "a second segment"}});
  pipe.remove({"d3"});  // a tombstone file too
  // Every file of both segments: documents, BM25, vectors, and the first segment's tombstones.
  for (const std::string suffix : {"-0.docs.jsonl", "-0.bm25.bin", "-0.dense.bin", "-1.docs.jsonl", "-1.bm25.bin",
                                   "-1.dense.bin", "tombstones"}) {
    for (const std::string how : {"flip", "truncate", "delete", "append"}) {
      SCOPED_TRACE(suffix + " " + how);
      std::string dir = base + "/" + how + "_" + suffix;
      pipe.save(dir);
      ASSERT_NO_THROW(Pipeline::load(dir, enc, nullptr));
      const std::string file = segment_file(dir, suffix == "tombstones" ? ".del-" + gen_of(dir) + ".bin" : suffix);
      std::string path = dir + "/" + file;
      auto size = fs::file_size(path);
      if (how == "flip") {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(size / 2));
        char c;
        f.get(c);
        f.seekp(static_cast<std::streamoff>(size / 2));
        f.put(static_cast<char>(c ^ 0x01));
      } else if (how == "truncate") {
        fs::resize_file(path, size - 7);
      } else if (how == "delete") {
        fs::remove(path);
      } else {
        std::ofstream(path, std::ios::app | std::ios::binary) << "x";
      }
      expect_load_error_names(dir, enc, file, how);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Atomic saves

namespace ri = radlite::io;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_dir(const std::string& target, const std::string& content, bool exchange) {
  ri::AtomicDirectoryWriter w(target, [](const std::string&) { return std::string(); }, exchange);
  w.write_file("a.txt", [&](std::ostream& out) { out << content; });
  w.write_file("b.txt", [&](std::ostream& out) { out << content << content; });
  w.commit();
}

std::vector<std::string> leftovers(const std::string& parent) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(parent)) {
    std::string n = e.path().filename().string();
    if (n.find(".radlite-") != std::string::npos) out.push_back(n);
  }
  return out;
}

}  // namespace

TEST(AtomicDirectory, ReplacesWithAndWithoutExchange) {
  for (bool exchange : {true, false}) {
    std::string parent = temp_dir(exchange ? "atomic_x" : "atomic_r");
    std::string target = parent + "/idx";
    write_dir(target, "one", exchange);
    EXPECT_EQ(read_all(target + "/a.txt"), "one");
    write_dir(target, "two", exchange);
    EXPECT_EQ(read_all(target + "/a.txt"), "two");
    EXPECT_EQ(read_all(target + "/b.txt"), "twotwo");
    EXPECT_TRUE(leftovers(parent).empty());
  }
}

TEST(AtomicDirectory, ChecksumAndSizeOfWrittenFile) {
  std::string parent = temp_dir("atomic_sum");
  ri::AtomicDirectoryWriter w(parent + "/idx");
  auto f = w.write_file("abc.txt", [](std::ostream& out) { out << "abc"; });
  EXPECT_EQ(f.bytes, 3u);
  EXPECT_EQ(f.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2 example
  w.commit();
}

TEST(AtomicDirectory, FailedSaveLeavesPreviousContent) {
  std::string parent = temp_dir("atomic_fail");
  std::string target = parent + "/idx";
  write_dir(target, "old", true);
  {
    ri::AtomicDirectoryWriter w(target, [](const std::string&) { return std::string(); });
    w.write_file("a.txt", [](std::ostream& out) { out << "partial"; });
    EXPECT_THROW(w.write_file("b.txt", [](std::ostream&) { throw IoError("simulated failure"); }), IoError);
  }  // destroyed without commit
  EXPECT_EQ(read_all(target + "/a.txt"), "old");
  EXPECT_TRUE(leftovers(parent).empty());
}

TEST(AtomicDirectory, RecoversAnAsideCopyWhenTheTargetIsMissing) {
  // The state a kill between the two renames of the rename-aside path leaves: no target, one complete
  // aside copy named after a process that no longer exists (a child that has exited).
  std::string parent = temp_dir("atomic_recover");
  std::string target = parent + "/idx";
  write_dir(target, "previous", false);
  pid_t child = ::fork();
  if (child == 0) _exit(0);
  ::waitpid(child, nullptr, 0);
  std::string aside = parent + "/.idx.radlite-old-" + std::to_string(child) + "-0000abcd";
  fs::rename(target, aside);
  EXPECT_EQ(ri::recover_directory(target), aside);
  EXPECT_EQ(read_all(ri::recover_directory(target) + "/a.txt"), "previous");
  // The aside survives the next writer's cleanup while there is no target, and is deleted once there is.
  write_dir(target, "next", false);
  EXPECT_EQ(read_all(target + "/a.txt"), "next");
  EXPECT_TRUE(fs::exists(aside));
  write_dir(target, "third", false);
  EXPECT_FALSE(fs::exists(aside));
  EXPECT_TRUE(leftovers(parent).empty());
}

namespace {

// Builds a pipeline large enough that one save takes a while (several MB, fsynced).
Pipeline big_pipeline(std::size_t n, const std::shared_ptr<const TextEncoder>& enc) {
  std::mt19937 rng(7);
  const char* vocab[] = {"pulmonary", "embolism", "artery", "nodule", "lung", "ct", "mri", "contrast", "renal",
                         "cyst", "liver", "lesion", "bone", "fracture", "brain", "hemorrhage", "stroke", "aorta"};
  std::vector<BeirDocument> docs;
  for (std::size_t i = 0; i < n; ++i) {
    std::string text;
    for (int w = 0; w < 40; ++w) text += std::string(vocab[rng() % 18]) + " ";
    docs.push_back({"doc" + std::to_string(i), "", text});
  }
  Pipeline p(enc, nullptr);
  p.add(docs);
  return p;
}

}  // namespace

TEST(PipelinePersistence, SaveKilledMidwayLeavesALoadableIndex) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  Pipeline a = big_pipeline(20000, enc);
  Pipeline b = big_pipeline(20000, enc);
  b.add({{"extra", "", "zebra unicorn"}});
  std::string parent = temp_dir("kill");
  std::string dir = parent + "/index";
  auto t0 = std::chrono::steady_clock::now();
  a.save(dir);
  double save_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::string q = "zebra unicorn lung";
  const auto ref_a = a.search(q), ref_b = b.search(q);
  ASSERT_EQ(ref_b[0].id, "extra");
  ASSERT_NE(ref_a[0].id, "extra");

  std::mt19937 rng(42);
  int mid_save_kills = 0, iterations = 0;
  for (; iterations < 40 && mid_save_kills < 5; ++iterations) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Alternate between the two indexes forever; the parent kills us at a random instant.
      for (;;) {
        try {
          b.save(dir);
          a.save(dir);
        } catch (...) {
          _exit(3);
        }
      }
    }
    std::uniform_real_distribution<double> delay(0.0, 3.0 * save_ms);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(1000 * delay(rng))));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the saving child failed on its own";
    if (!leftovers(parent).empty()) ++mid_save_kills;  // killed while a temp/aside directory existed
    Pipeline loaded = Pipeline::load(dir, enc, nullptr);
    ASSERT_TRUE(loaded.size() == a.size() || loaded.size() == b.size()) << loaded.size();
    expect_same_hits(loaded.search(q), loaded.size() == a.size() ? ref_a : ref_b);
  }
  EXPECT_GT(mid_save_kills, 0) << "no kill landed inside a save in " << iterations << " tries";
  // The next save removes what the killed children left behind.
  a.save(dir);
  EXPECT_TRUE(leftovers(parent).empty());
  std::printf("[ info ] one save %.1f ms; %d of %d kills landed mid-save\n", save_ms, mid_save_kills, iterations);
}

// The control for the test above: the same kills during a naive in-place overwrite (files rewritten one by
// one inside the index directory) do leave indexes that fail to load, so the test above can fail, and the
// checksums catch the torn state instead of serving a mix of two indexes.
TEST(PipelinePersistence, InPlaceOverwriteKilledMidwayIsDetected) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  Pipeline a = big_pipeline(20000, enc);
  Pipeline b = big_pipeline(20000, enc);
  b.add({{"extra", "", "zebra unicorn"}});
  std::string parent = temp_dir("naive");
  a.save(parent + "/a");
  b.save(parent + "/b");
  const std::string dir = parent + "/index";
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(parent + "/a")) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  std::rotate(files.begin(), files.begin() + 1, files.end());  // manifest.json last, as a save writes it
  auto copy_all = [&](const std::string& from) {
    for (const auto& f : files) {
      std::ifstream in(from + "/" + f, std::ios::binary);
      std::ofstream out(dir + "/" + f, std::ios::binary | std::ios::trunc);
      std::vector<char> buf(1 << 16);
      while (in.read(buf.data(), buf.size()) || in.gcount() > 0) out.write(buf.data(), in.gcount());
    }
  };
  fs::create_directories(dir);
  copy_all(parent + "/a");
  auto t0 = std::chrono::steady_clock::now();
  copy_all(parent + "/a");
  double copy_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::mt19937 rng(1);
  int failures = 0, iterations = 0;
  for (; iterations < 60 && failures == 0; ++iterations) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (;;) {
        copy_all(parent + "/b");
        copy_all(parent + "/a");
      }
    }
    std::uniform_real_distribution<double> delay(0.0, 2.0 * copy_ms);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(1000 * delay(rng))));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    try {
      Pipeline::load(dir, enc, nullptr);
    } catch (const FormatError&) {
      ++failures;
    }
  }
  EXPECT_GT(failures, 0) << "no torn index in " << iterations << " kills: the kill test would not detect a naive save";
}

TEST(PipelinePersistence, MalformedManifestFieldsAreNamed) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  std::string base = temp_dir("manifest_fields");
  // Each edit replaces one piece of the saved manifest; the error must name the manifest (manifest.json, or
  // "the manifest records ..." next to the data file that disagrees with it) and the field or value.
  const std::vector<std::tuple<std::string, std::string, std::string>> edits = {
      {"\"format\": \"radlite-index\"", "\"format\": \"other\"", "format"},
      {"\"format_version\": 2", "\"format_version\": \"2\"", "format_version"},
      {"\"documents\": 12", "\"documents\": -3", "documents"},
      {"\"documents\": 12", "\"documents\": 13", "13"},
      {"\"segments\": [", "\"segments\": {}, \"x\": [", "segments"},
      {"\"name\": \"seg-", "\"name\": \"../seg-", "name"},
      {"\"deleted\": 0", "\"deleted\": 2", "deleted"},
      {"\"identity\": \"test-hashing-bow-64\"", "\"identity\": 64", "identity"},
      {"\"bytes\": ", "\"bytes\": \"x\", \"was\": ", "bytes"},
      {"\"sha256\": \"", "\"sha256\": \"0", "sha256"},
      {"\"files\": {", "\"files\": [], \"x\": {", "files"},
  };
  int n = 0;
  for (const auto& [from, to, expect] : edits) {
    SCOPED_TRACE(to);
    std::string dir = base + "/" + std::to_string(n++);
    pipe.save(dir);
    std::string path = dir + "/manifest.json";
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << text;
    text.replace(pos, from.size(), to);
    std::ofstream(path, std::ios::trunc) << text;
    try {
      Pipeline::load(dir, enc, nullptr);
      ADD_FAILURE() << "no exception";
    } catch (const FormatError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("manifest"), std::string::npos) << msg;
      EXPECT_NE(msg.find(expect), std::string::npos) << msg;
    }
  }
}

// Loads racing with saves of the same directory either fail cleanly (FormatError/IoError) or return one of
// the two saved indexes in full, never a mix of their files.
TEST(PipelinePersistence, LoadsRacingSavesNeverMixIndexes) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  Pipeline a = big_pipeline(3000, enc);
  Pipeline b = big_pipeline(3000, enc);
  b.add({{"extra", "", "zebra unicorn"}});
  const std::string dir = temp_dir("race") + "/index";
  a.save(dir);
  const std::string q = "zebra unicorn lung";
  const auto ref_a = a.search(q), ref_b = b.search(q);
  std::atomic<bool> stop{false};
  std::thread saver([&] {
    while (!stop) {
      b.save(dir);
      a.save(dir);
    }
  });
  int ok = 0, failed = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < until) {
    try {
      Pipeline loaded = Pipeline::load(dir, enc, nullptr);
      ASSERT_TRUE(loaded.size() == a.size() || loaded.size() == b.size());
      expect_same_hits(loaded.search(q), loaded.size() == a.size() ? ref_a : ref_b);
      ++ok;
    } catch (const Error&) {
      ++failed;
    }
  }
  stop = true;
  saver.join();
  EXPECT_GT(ok, 0);
  std::printf("[ info ] %d loads succeeded, %d failed cleanly while saves ran\n", ok, failed);
}

TEST(PipelinePersistence, EmptyIndexRoundTrip) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, std::make_shared<OverlapScorer>());
  pipe.add({});
  EXPECT_EQ(pipe.size(), 0u);
  EXPECT_TRUE(pipe.search("anything").empty());
  const std::string dir = temp_dir("empty") + "/index";
  pipe.save(dir);
  Pipeline loaded = Pipeline::load(dir, enc, nullptr);
  EXPECT_EQ(loaded.size(), 0u);
  EXPECT_TRUE(loaded.search("anything").empty());
  loaded.add(small_corpus());
  EXPECT_EQ(loaded.search("pneumothorax")[0].id, "d2");
}
