// `radlite eval --dense exact|hnsw|ivfpq` on the bundled CancerGov set with the bundled tiny bi-encoder (issue 10):
// the approximate dense kinds must give the exact kind's nDCG@10 within 0.005, in the bi-encoder row and in the
// fused row; a deliberately crippled HNSW graph must not (the check can fail).
#include <gtest/gtest.h>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/cli_runner.h"

namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(RADLITE_TEST_DATA_DIR) + "/../../examples/data/cancergov";
const std::string kBiEncoder = std::string(RADLITE_MODELS_DIR) + "/roberta-biencoder-tiny";

// nDCG@10 per ablation row of `radlite eval ... extra`, from its --output JSON.
std::map<std::string, double> ndcg_by_row(const std::string& extra) {
  const std::string dir = ::testing::TempDir() + "radlite_eval_dense_" + std::to_string(::getpid());
  fs::create_directories(dir);
  const std::string out = dir + "/metrics.json";
  const auto r = radlite::test_support::run_cli(
      "eval --corpus '" + kData + "/corpus.jsonl' --queries '" + kData + "/queries.jsonl' --qrels '" + kData +
      "/qrels/test.tsv' --bi-encoder '" + kBiEncoder + "' --threads 1 --k 10 --output '" + out + "' " + extra);
  EXPECT_EQ(r.status, 0) << r.err;
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  fs::remove_all(dir);
  std::map<std::string, double> rows;
  if (r.status != 0) return rows;
  const nlohmann::json metrics = nlohmann::json::parse(text.str());
  for (const auto& row : metrics.at("ablation"))
    rows[row.at("configuration").get<std::string>()] = row.at("ndcg@10").get<double>();
  return rows;
}

double max_difference(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (const auto& [name, v] : a) {
    EXPECT_TRUE(b.count(name)) << name;
    if (b.count(name)) worst = std::max(worst, std::fabs(v - b.at(name)));
  }
  return worst;
}

}  // namespace

TEST(EvalDense, ApproximateKindsMatchExactOnCancerGov) {
  const auto exact = ndcg_by_row("--dense exact");
  ASSERT_EQ(exact.size(), 3u);  // BM25, bi-encoder, bi-encoder + BM25
  for (const char* kind : {"hnsw", "ivfpq"}) {
    SCOPED_TRACE(kind);
    const auto approx = ndcg_by_row(std::string("--dense ") + kind);
    const double diff = max_difference(exact, approx);
    std::printf("--dense %s: largest nDCG@10 difference to exact %.4f\n", kind, diff);
    EXPECT_LE(diff, 0.005);
  }
  // Negative control: a graph of degree 2 built and searched with one candidate misses neighbours.
  const auto crippled = ndcg_by_row("--dense hnsw --hnsw-m 2 --hnsw-ef-construction 1 --ef-search 1");
  const double diff = max_difference(exact, crippled);
  std::printf("crippled HNSW: largest nDCG@10 difference to exact %.4f\n", diff);
  EXPECT_GT(diff, 0.005);
}

TEST(EvalDense, ApproximateKindNeedsABiEncoder) {
  const auto r = radlite::test_support::run_cli("eval --corpus '" + kData + "/corpus.jsonl' --queries '" + kData +
                                                "/queries.jsonl' --qrels '" + kData + "/qrels/test.tsv' --dense hnsw");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--dense hnsw needs --bi-encoder"), std::string::npos) << r.err;
}
