// The HNSW dense kind against exact search: recall of the dense candidates, exact scores of the hits
// (the graph's candidates are re-ranked exactly), persistence, deletes and merges.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "pipeline_fixtures.h"
#include "radlite/error.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace fs = std::filesystem;
using namespace radlite;
using pipeline_tests::dense_only;
using radlite::test_models::HashingEncoder;

namespace {

std::vector<BeirDocument> hnsw_corpus(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<BeirDocument> docs;
  for (std::size_t i = 0; i < n; ++i) {
    std::string text;
    const int len = 4 + static_cast<int>(rng() % 20);
    for (int w = 0; w < len; ++w) text += "t" + std::to_string(rng() % 400) + " ";
    docs.push_back({"d" + std::to_string(i), "", text});
  }
  return docs;
}

std::vector<std::string> queries(unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int q = 0; q < 60; ++q) {
    std::string text;
    for (int w = 0; w < 3; ++w) text += "t" + std::to_string(rng() % 400) + " ";
    out.push_back(text);
  }
  return out;
}

// Mean recall@k of `approx` against `exact` over the queries; also checks each approximate hit's score is the
// exact score of that document.
double recall(const Pipeline& approx, const Pipeline& exact, const std::vector<std::string>& qs, std::size_t k,
              std::size_t ef) {
  double total = 0.0;
  for (const auto& q : qs) {
    SearchOptions o = dense_only(k);
    o.ef_search = ef;
    const auto a = approx.search(q, o);
    SearchOptions all = dense_only(exact.size());
    std::map<std::string, double> exact_score;
    for (const auto& h : exact.search(q, all)) exact_score[h.id] = *h.dense;
    const auto e = exact.search(q, dense_only(k));
    std::set<std::string> truth;
    for (const auto& h : e) truth.insert(h.id);
    std::size_t hit = 0;
    for (const auto& h : a) {
      hit += truth.count(h.id);
      EXPECT_NEAR(*h.dense, exact_score.at(h.id), 1e-5) << h.id;
    }
    total += static_cast<double>(hit) / static_cast<double>(e.size());
  }
  return total / static_cast<double>(qs.size());
}

}  // namespace

TEST(Hnsw, RecallAgainstExactPersistenceDeletesMerge) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  auto docs = hnsw_corpus(3000, 1);
  PipelineOptions po;
  po.dense_kind = DenseKind::kHnsw;
  po.hnsw.m = 12;
  po.hnsw.ef_construction = 100;
  Pipeline approx(enc, nullptr, po), exact(enc, nullptr);
  approx.add(std::vector<BeirDocument>(docs.begin(), docs.begin() + 2000));
  approx.add(std::vector<BeirDocument>(docs.begin() + 2000, docs.end()));
  exact.add(docs);
  const auto qs = queries(2);
  const double r_high = recall(approx, exact, qs, 10, 200);
  const double r_low = recall(approx, exact, qs, 10, 1);
  EXPECT_GE(r_high, 0.95);
  EXPECT_LT(r_low, r_high);  // ef matters: the comparison can fail
  std::printf("[ info ] HNSW recall@10: %.3f at ef 200, %.3f at ef 1\n", r_high, r_low);

  // Save and load: the same hits.
  const std::string dir = ::testing::TempDir() + "radlite_hnsw_" + std::to_string(::getpid());
  fs::remove_all(dir);
  approx.save(dir);
  Pipeline loaded = Pipeline::load(dir, enc, nullptr);
  EXPECT_EQ(loaded.options().dense_kind, DenseKind::kHnsw);
  for (const auto& q : qs) {
    const auto a = approx.search(q, dense_only(10)), b = loaded.search(q, dense_only(10));
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].id, b[i].id);
  }
  // Deletes are never returned; a merge rebuilds one graph with the same recall.
  std::vector<std::string> gone;
  for (int i = 0; i < 3000; i += 3) gone.push_back("d" + std::to_string(i));
  loaded.remove(gone);
  exact.remove(gone);
  for (const auto& q : qs)
    for (const auto& h : loaded.search(q, dense_only(20))) EXPECT_NE(std::stoi(h.id.substr(1)) % 3, 0) << h.id;
  EXPECT_GE(recall(loaded, exact, qs, 10, 200), 0.95);
  loaded.merge();
  EXPECT_GE(recall(loaded, exact, qs, 10, 200), 0.95);
  loaded.save(dir);
  EXPECT_GE(recall(Pipeline::load(dir, enc, nullptr), exact, qs, 10, 200), 0.95);

  // A corrupted graph file is named.
  std::string graph;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().string().find(".hnsw.bin") != std::string::npos) graph = e.path().string();
  ASSERT_FALSE(graph.empty());
  fs::resize_file(graph, fs::file_size(graph) - 10);
  try {
    Pipeline::load(dir, enc, nullptr);
    ADD_FAILURE() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(graph), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

namespace {

double ivf_recall(const Pipeline& approx, const Pipeline& exact, const std::vector<std::string>& qs, std::size_t nprobe,
                  std::size_t shortlist) {
  double total = 0.0;
  for (const auto& q : qs) {
    SearchOptions o = dense_only(10);
    o.nprobe = nprobe;
    o.ef_search = shortlist;
    std::set<std::string> truth;
    for (const auto& h : exact.search(q, dense_only(10))) truth.insert(h.id);
    std::size_t hit = 0;
    for (const auto& h : approx.search(q, o)) hit += truth.count(h.id);
    total += static_cast<double>(hit) / static_cast<double>(truth.size());
  }
  return total / static_cast<double>(qs.size());
}

}  // namespace

TEST(IvfPq, RecallAgainstExactPersistenceDeletes) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  auto docs = hnsw_corpus(4000, 3);
  PipelineOptions po;
  po.dense_kind = DenseKind::kIvfPq;
  Pipeline approx(enc, nullptr, po), exact(enc, nullptr);
  approx.add(std::vector<BeirDocument>(docs.begin(), docs.begin() + 3500));
  approx.add(std::vector<BeirDocument>(docs.begin() + 3500, docs.end()));  // under 2,000: scanned exactly
  exact.add(docs);
  const auto qs = queries(4);
  const double r_high = ivf_recall(approx, exact, qs, 64, 200);
  const double r_low = ivf_recall(approx, exact, qs, 1, 10);
  EXPECT_GE(r_high, 0.9);
  EXPECT_LT(r_low, r_high);  // nprobe and the shortlist matter: the comparison can fail
  std::printf("[ info ] IVF-PQ recall@10: %.3f at nprobe 64 / shortlist 200, %.3f at nprobe 1 / shortlist 10\n", r_high,
              r_low);
  // Hits carry exact scores (the shortlist is re-ranked exactly).
  for (const auto& q : qs) {
    std::map<std::string, double> exact_score;
    for (const auto& h : exact.search(q, dense_only(exact.size()))) exact_score[h.id] = *h.dense;
    for (const auto& h : approx.search(q, dense_only(10))) EXPECT_NEAR(*h.dense, exact_score.at(h.id), 1e-5);
  }
  const std::string dir = ::testing::TempDir() + "radlite_ivfpq_" + std::to_string(::getpid());
  fs::remove_all(dir);
  approx.save(dir);
  Pipeline loaded = Pipeline::load(dir, enc, nullptr);
  EXPECT_EQ(loaded.options().dense_kind, DenseKind::kIvfPq);
  for (const auto& q : qs) {
    const auto a = approx.search(q, dense_only(10)), b = loaded.search(q, dense_only(10));
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].id, b[i].id);
  }
  std::vector<std::string> gone;
  for (int i = 0; i < 4000; i += 2) gone.push_back("d" + std::to_string(i));
  loaded.remove(gone);
  exact.remove(gone);
  for (const auto& q : qs)
    for (const auto& h : loaded.search(q, dense_only(20))) EXPECT_NE(std::stoi(h.id.substr(1)) % 2, 0) << h.id;
  EXPECT_GE(ivf_recall(loaded, exact, qs, 64, 200), 0.9);
  // A corrupted IVF-PQ file is named.
  std::string file;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().string().find(".ivfpq.bin") != std::string::npos) file = e.path().string();
  ASSERT_FALSE(file.empty());
  fs::resize_file(file, fs::file_size(file) / 2);
  try {
    Pipeline::load(dir, enc, nullptr);
    ADD_FAILURE() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}
