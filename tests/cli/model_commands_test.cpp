// The retrieval commands with real (tiny, random-weight) model directories: demo, index with a bi-encoder,
// search with bi-encoder + cross-encoder, eval's ablation table. Rankings of random models mean nothing; these
// tests check the wiring: every stage runs, its scores reach the output, and model mismatches are refused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "support/cli_runner.h"

namespace ts = radlite::test_support;

namespace {

const std::string kModels = RADLITE_MODELS_DIR;
const std::string kData = std::string(RADLITE_TEST_DATA_DIR) + "/../../examples/data/cancergov";
const std::string kBi = kModels + "/roberta-biencoder-tiny";
const std::string kCross = kModels + "/bert-crossencoder-tiny";

// The first n documents of the bundled corpus, and the queries and qrels that point into them.
void write_subset(const ts::ScratchDir& dir, std::size_t n) {
  std::ifstream corpus(kData + "/corpus.jsonl");
  std::ofstream out(dir.file("corpus.jsonl"));
  std::set<std::string> ids;
  std::string line;
  for (std::size_t i = 0; i < n && std::getline(corpus, line); ++i) {
    out << line << "\n";
    ids.insert(nlohmann::json::parse(line)["_id"].get<std::string>());
  }
  std::ifstream qrels(kData + "/qrels/test.tsv");
  std::ofstream qout(dir.file("qrels.tsv"));
  std::set<std::string> qids;
  std::getline(qrels, line);
  qout << line << "\n";
  while (std::getline(qrels, line)) {
    std::istringstream f(line);
    std::string q, d;
    f >> q >> d;
    if (ids.count(d)) qout << line << "\n", qids.insert(q);
  }
  std::ifstream queries(kData + "/queries.jsonl");
  std::ofstream qsout(dir.file("queries.jsonl"));
  while (std::getline(queries, line))
    if (qids.count(nlohmann::json::parse(line)["_id"].get<std::string>())) qsout << line << "\n";
}

}  // namespace

TEST(ModelsCli, DemoRunsTheFullPipelineAndSaysTheModelsAreRandom) {
  const auto r = ts::run_cli("demo --k 2 --threads 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("RANDOM-WEIGHT"), std::string::npos);
  EXPECT_NE(r.out.find("models/download.sh"), std::string::npos);
  for (const char* q : {"Q1:", "Q2:", "Q3:"}) EXPECT_NE(r.out.find(q), std::string::npos) << q;
  // Every stage's column appears: the demo ran dense, BM25, RRF, the reranker and the final fusion.
  for (const char* col : {"dense", "bm25", "fused", "logit", "prob", "final"})
    EXPECT_NE(r.out.find(col), std::string::npos) << col;
  EXPECT_NE(r.out.find("729 documents"), std::string::npos);
}

TEST(ModelsCli, DemoNamesAMissingCorpus) {
  const auto r = ts::run_cli("demo --data /nonexistent/beir");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("/nonexistent/beir/corpus.jsonl"), std::string::npos) << r.err;
}

TEST(ModelsCli, IndexWithBiEncoderThenSearchWithReranker) {
  ts::ScratchDir dir;
  write_subset(dir, 60);
  const auto idx =
      ts::run_cli("index --corpus " + dir.file("corpus.jsonl") + " --out " + dir.file("idx") + " --bi-encoder " + kBi);
  ASSERT_EQ(idx.status, 0) << idx.err;

  const auto s = ts::run_cli("search --index " + dir.file("idx") + " --bi-encoder " + kBi + " --cross-encoder " +
                             kCross + " --k 5 --json 'treatment of childhood leukemia'");
  ASSERT_EQ(s.status, 0) << s.err;
  const auto j = nlohmann::json::parse(s.out);
  ASSERT_EQ(j["hits"].size(), 5u);
  for (const auto& h : j["hits"]) {
    EXPECT_TRUE(h["rerank_logit"].is_number()) << h.dump();
    EXPECT_TRUE(h["rerank_prob"].is_number()) << h.dump();
    EXPECT_TRUE(h["final"].is_number()) << h.dump();
    // sigmoid(logit / 1.5)
    const double logit = h["rerank_logit"].get<double>();
    EXPECT_NEAR(h["rerank_prob"].get<double>(), 1.0 / (1.0 + std::exp(-logit / 1.5)), 1e-6);
  }
  bool any_dense = false;
  for (const auto& h : j["hits"]) any_dense |= h["dense"].is_number();
  EXPECT_TRUE(any_dense);

  // The index remembers its bi-encoder: none, or another model, is refused with a clear message.
  const auto none = ts::run_cli("search --index " + dir.file("idx") + " 'leukemia'");
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.err.find("--bi-encoder"), std::string::npos) << none.err;
  const auto other = ts::run_cli("search --index " + dir.file("idx") + " --bi-encoder " + kModels +
                                 "/bert-biencoder-cls-tiny 'leukemia'");
  EXPECT_NE(other.status, 0);
  // The refusal names the index's model by its identity (architecture and weight fingerprint, no longer the
  // directory name).
  EXPECT_NE(other.err.find("made by bi-encoder 'roberta"), std::string::npos) << other.err;
}

TEST(ModelsCli, EvalPrintsTheAblationTable) {
  ts::ScratchDir dir;
  write_subset(dir, 25);
  const auto r = ts::run_cli("eval --threads 1 --corpus " + dir.file("corpus.jsonl") + " --queries " +
                             dir.file("queries.jsonl") + " --qrels " + dir.file("qrels.tsv") + " --bi-encoder " + kBi +
                             " --cross-encoder " + kCross + " --ablation --output " + dir.file("m.json"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto m = nlohmann::json::parse(ts::read_bytes(dir.file("m.json")));
  for (const char* key : {"queries", "mrr@10", "ndcg@10", "recall@10", "recall@100", "map"})
    EXPECT_TRUE(m.contains(key)) << key;
  EXPECT_GT(m["queries"].get<int>(), 0);
  ASSERT_TRUE(m.contains("ablation"));
  EXPECT_GE(m["ablation"].size(), 5u) << m["ablation"].dump();
}
