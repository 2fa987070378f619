// PipelineOptions::vector_dtype = float16: hits against float32 storage on the bundled CancerGov set (top-10
// overlap and nDCG@10), half the bytes in the vector files, the dtype recorded in the manifest (Pipeline::info,
// reload, appends and merges keep it), approximate kinds re-ranking from the float16 vectors, and a manifest
// that disagrees with a vector file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "pipeline_fixtures.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/metrics.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace fs = std::filesystem;
using namespace radlite;
using namespace pipeline_tests;
using radlite::test_models::HashingEncoder;

namespace {

std::uint64_t dense_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.size() > 10 && n.compare(n.size() - 10, 10, ".dense.bin") == 0) total += fs::file_size(e.path());
  }
  return total;
}

}  // namespace

TEST(VectorDtype, Float16HitsMatchFloat32OnCancerGov) {
  const BeirDataset data = load_beir(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov");
  auto enc = std::make_shared<HashingEncoder>(256, "test-hashing-bow-256");
  PipelineOptions full_options, half_options;
  full_options.bm25 = half_options.bm25 = false;  // the dense stage alone: what the dtype changes
  half_options.vector_dtype = VectorDtype::kFloat16;
  Pipeline full(enc, nullptr, full_options), half(enc, nullptr, half_options);
  full.add(data.corpus);
  half.add(data.corpus);
  std::vector<std::string> texts;
  for (const auto& q : data.queries) texts.push_back(q.text);
  const auto a = full.search_batch(texts, dense_only(10)), b = half.search_batch(texts, dense_only(10));
  radlite::Run run_a, run_b;
  double overlap = 0.0, max_score_diff = 0.0;
  for (std::size_t q = 0; q < texts.size(); ++q) {
    std::set<std::string> top;
    for (const auto& h : a[q]) {
      top.insert(h.id);
      run_a[data.queries[q].id].push_back({h.id, h.score});
    }
    for (const auto& h : b[q]) {
      overlap += top.count(h.id);
      run_b[data.queries[q].id].push_back({h.id, h.score});
    }
    for (std::size_t i = 0; i < std::min(a[q].size(), b[q].size()); ++i)
      max_score_diff = std::max(max_score_diff, std::abs(a[q][i].score - b[q][i].score));
  }
  overlap /= 10.0 * static_cast<double>(texts.size());
  const double ndcg_a = evaluate(run_a, data.qrels).ndcg_at_10, ndcg_b = evaluate(run_b, data.qrels).ndcg_at_10;
  std::printf(
      "[ info ] CancerGov, %zu queries, hashing encoder (256-d), exact dense top 10: overlap float16 vs "
      "float32 %.4f, nDCG@10 %.4f (float32) %.4f (float16), largest score difference at a rank %.2e\n",
      texts.size(), overlap, ndcg_a, ndcg_b, max_score_diff);
  EXPECT_GE(overlap, 0.97);
  EXPECT_NEAR(ndcg_b, ndcg_a, 0.005);
  EXPECT_LT(max_score_diff, 2e-3);

  // On disk: the vector files hold half the bytes (beyond the 72 of header and end marker).
  const std::string base = temp_dir("dtype_cancergov");
  full.save(base + "/full");
  half.save(base + "/half");
  EXPECT_EQ(dense_bytes(base + "/half") - 72, (dense_bytes(base + "/full") - 72) / 2);
  EXPECT_EQ(Pipeline::info(base + "/half").vector_dtype, "float16");
  EXPECT_EQ(Pipeline::info(base + "/full").vector_dtype, "float32");
  const Pipeline loaded = Pipeline::load(base + "/half", enc, nullptr);
  EXPECT_EQ(loaded.options().vector_dtype, VectorDtype::kFloat16);
  const auto c = loaded.search_batch(texts, dense_only(10));
  for (std::size_t q = 0; q < texts.size(); ++q) expect_same_hits(c[q], b[q]);
}

TEST(VectorDtype, Float16SurvivesAppendsMergesAndApproximateKinds) {
  auto enc = std::make_shared<HashingEncoder>();
  for (DenseKind kind : {DenseKind::kExact, DenseKind::kHnsw}) {
    PipelineOptions o;
    o.vector_dtype = VectorDtype::kFloat16;
    o.dense_kind = kind;
    Pipeline pipe(enc, nullptr, o);
    pipe.add(small_corpus());
    const std::string dir = temp_dir(kind == DenseKind::kHnsw ? "dtype_hnsw" : "dtype_exact") + "/index";
    pipe.save(dir);
    Pipeline loaded = Pipeline::load(dir, enc, nullptr);
    loaded.add({{"late", "", "pulmonary embolism on CT angiography"}});  // a new segment, in float16 too
    loaded.save(dir);
    Pipeline again = Pipeline::load(dir, enc, nullptr);
    again.merge();
    again.save(dir);
    Pipeline merged = Pipeline::load(dir, enc, nullptr);
    EXPECT_EQ(merged.options().vector_dtype, VectorDtype::kFloat16);
    // The same documents in one float16 exact pipeline: identical dense scores (the stored halves are the
    // same; HNSW re-ranks its candidates from them).
    PipelineOptions exact = o;
    exact.dense_kind = DenseKind::kExact;
    Pipeline fresh(enc, nullptr, exact);
    auto docs = small_corpus();
    docs.push_back({"late", "", "pulmonary embolism on CT angiography"});
    fresh.add(docs);
    for (const auto& q : kQueries) {
      const auto x = merged.search(q, dense_only(5)), y = fresh.search(q, dense_only(5));
      ASSERT_EQ(x.size(), y.size()) << q;
      // HNSW re-ranks with the one-query kernel, exact batches with another: the same scores up to float
      // rounding, so near-ties may swap.
      for (std::size_t i = 0; i < x.size(); ++i) {
        EXPECT_NEAR(*x[i].dense, *y[i].dense, 1e-6) << q << " rank " << i;
        for (const auto& h : y)
          if (h.id == x[i].id) EXPECT_NEAR(*x[i].dense, *h.dense, 1e-6) << q << " " << h.id;
      }
    }
  }
}

TEST(VectorDtype, ManifestAndVectorFileMustAgree) {
  auto enc = std::make_shared<HashingEncoder>();
  PipelineOptions o;
  o.vector_dtype = VectorDtype::kFloat16;
  Pipeline pipe(enc, nullptr, o);
  pipe.add(small_corpus());
  const std::string dir = temp_dir("dtype_mismatch") + "/index";
  pipe.save(dir);
  std::ifstream in(dir + "/manifest.json");
  nlohmann::json m = nlohmann::json::parse(in);
  in.close();
  ASSERT_EQ(m["dense"]["vector_dtype"], "float16");
  for (const char* value : {"", "bfloat16"}) {
    if (*value)
      m["dense"]["vector_dtype"] = value;
    else
      m["dense"].erase("vector_dtype");  // what a float32 index's manifest says
    std::ofstream(dir + "/manifest.json") << m.dump(2);
    try {
      Pipeline::load(dir, enc, nullptr);
      ADD_FAILURE() << value << ": no exception";
    } catch (const FormatError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(*value ? "vector_dtype" : ".dense.bin"), std::string::npos) << what;
    }
  }
}
