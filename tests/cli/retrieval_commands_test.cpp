// Tests of `radlite index`, `radlite search` and `radlite eval`, running the built binary (RADLITE_CLI) on the
// bundled CancerGov BEIR data.
#include <gtest/gtest.h>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/metrics.h"
#include "radlite/retrieval/pipeline.h"
#include "support/cli_runner.h"

namespace fs = std::filesystem;
using namespace radlite;

namespace {

const std::string kData = std::string(RADLITE_TEST_DATA_DIR) + "/../../examples/data/cancergov";

using Result = radlite::test_support::CliResult;
using radlite::test_support::run_cli;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string scratch(const std::string& name) {
  std::string dir = ::testing::TempDir() + "radlite_cli_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string data_args() {
  return "--corpus '" + kData + "/corpus.jsonl' --queries '" + kData + "/queries.jsonl' --qrels '" + kData +
         "/qrels/test.tsv'";
}

}  // namespace

TEST(RetrievalCli, EvalBm25WritesMetricsAndRun) {
  std::string dir = scratch("eval");
  Result r = run_cli("eval " + data_args() + " --bm25 --output '" + dir + "/m.json' --run-out '" + dir + "/run.trec'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("BM25"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MRR@10"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << "stderr is not a terminal, so no progress bar: " << r.err;

  nlohmann::json m = nlohmann::json::parse(read_all(dir + "/m.json"));
  for (const char* key : {"queries", "mrr@10", "ndcg@10", "recall@10", "recall@100", "map"})
    ASSERT_TRUE(m.contains(key)) << key << " missing in " << m.dump();
  EXPECT_EQ(m["queries"].get<int>(), 729);
  // The dataset README's Lucene StandardAnalyzer BM25 (k1 1.2, b 0.75): MRR@10 0.4099, nDCG@10 0.4960,
  // R@10 0.7695, R@100 0.9396, with up to 0.013 difference from Lucene's lossy length encoding.
  EXPECT_NEAR(m["mrr@10"].get<double>(), 0.4099, 0.013);
  EXPECT_NEAR(m["ndcg@10"].get<double>(), 0.4960, 0.013);
  EXPECT_NEAR(m["recall@10"].get<double>(), 0.7695, 0.013);
  EXPECT_NEAR(m["recall@100"].get<double>(), 0.9396, 0.013);
  EXPECT_GT(m["map"].get<double>(), m["mrr@10"].get<double>() * 0.9);
  EXPECT_LE(m["map"].get<double>(), 1.0);

  // The run file is well formed, ranked consistently and as deep as BM25 allows (<= 1000 per query), and
  // evaluating it again gives the printed metrics.
  std::ifstream run_in(dir + "/run.trec");
  radlite::Run run = read_trec_run(run_in, "run.trec");
  EXPECT_EQ(run.size(), 729u);
  std::size_t deepest = 0;
  for (const auto& [qid, entries] : run) {
    deepest = std::max(deepest, entries.size());
    EXPECT_LE(entries.size(), 1000u);
    for (std::size_t i = 1; i < entries.size(); ++i) EXPECT_GE(entries[i - 1].score, entries[i].score) << qid;
  }
  EXPECT_GT(deepest, 100u);
  Qrels qrels = load_beir_qrels(kData + "/qrels/test.tsv");
  EvalResult again = evaluate(run, qrels);
  EXPECT_NEAR(again.mrr_at_10, m["mrr@10"].get<double>(), 1e-6);
  EXPECT_NEAR(again.recall_at_100, m["recall@100"].get<double>(), 1e-6);
}

TEST(RetrievalCli, EvalBm25ParametersChangeTheResult) {
  std::string dir = scratch("eval_params");
  Result r = run_cli("eval " + data_args() + " --k1 0.9 --b 0.4 --stopwords english --stemmer porter --output '" + dir +
                     "/m.json'");
  ASSERT_EQ(r.status, 0) << r.err;
  nlohmann::json m = nlohmann::json::parse(read_all(dir + "/m.json"));
  // README: Lucene EnglishAnalyzer, k1 0.9, b 0.4: MRR@10 0.3428, Recall@100 0.9081.
  EXPECT_NEAR(m["mrr@10"].get<double>(), 0.3428, 0.013);
  EXPECT_NEAR(m["recall@100"].get<double>(), 0.9081, 0.013);
}

TEST(RetrievalCli, IndexThenSearchJson) {
  std::string dir = scratch("index");
  Result idx = run_cli("index --corpus '" + kData + "/corpus.jsonl' --out '" + dir + "/idx'");
  ASSERT_EQ(idx.status, 0) << idx.err;
  EXPECT_NE(idx.out.find("indexed 729 documents"), std::string::npos) << idx.out;
  EXPECT_TRUE(fs::is_regular_file(dir + "/idx/manifest.json"));

  Result s =
      run_cli("search --index '" + dir + "/idx' --k 5 --json 'symptoms of adult leukemia' 'breast cancer screening'");
  ASSERT_EQ(s.status, 0) << s.err;
  std::istringstream lines(s.out);
  std::string line;
  std::vector<nlohmann::json> objs;
  while (std::getline(lines, line)) objs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0]["query"], "symptoms of adult leukemia");
  // The same index loaded in-process gives the same ranking.
  Pipeline pipe = Pipeline::load(dir + "/idx", nullptr, nullptr);
  SearchOptions o;
  o.k = 5;
  for (const auto& obj : objs) {
    const auto& hits = obj["hits"];
    ASSERT_EQ(hits.size(), 5u);
    auto expected = pipe.search(obj["query"].get<std::string>(), o);
    for (std::size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(hits[i]["rank"].get<int>(), static_cast<int>(i + 1));
      EXPECT_EQ(hits[i]["id"].get<std::string>(), expected[i].id);
      EXPECT_DOUBLE_EQ(hits[i]["score"].get<double>(), expected[i].score);
      EXPECT_DOUBLE_EQ(hits[i]["bm25"].get<double>(), *expected[i].bm25);
      EXPECT_TRUE(hits[i]["dense"].is_null());
      EXPECT_EQ(hits[i]["text"].get<std::string>(), pipe.document(expected[i].doc).text);
    }
  }
  // Table output names the query and has one row per hit.
  Result t = run_cli("search --index '" + dir + "/idx' --k 3 'melanoma'");
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("query q1: melanoma"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("   3  "), std::string::npos) << t.out;

  // --queries FILE: one result line per query of the file.
  std::ofstream(dir + "/q.jsonl")
      << "{\"_id\": \"a\", \"text\": \"skin cancer\"}\n{\"_id\": \"b\", \"text\": \"lung\"}\n";
  Result f = run_cli("search --index '" + dir + "/idx' --json --k 2 --queries '" + dir + "/q.jsonl'");
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_NE(f.out.find("\"query_id\":\"b\""), std::string::npos) << f.out;
}

TEST(RetrievalCli, SearchPrintsEachQueryTime) {
  // Issue 12: `radlite search` prints each query's time, as `radlite demo` does.
  std::string dir = scratch("timing");
  ASSERT_EQ(run_cli("index --corpus '" + kData + "/corpus.jsonl' --out '" + dir + "/idx'").status, 0);
  Result t = run_cli("search --index '" + dir + "/idx' --k 2 'melanoma' 'lung cancer' 'leukemia'");
  ASSERT_EQ(t.status, 0) << t.err;
  const std::regex per_query(R"(query q[123]: [a-z ]+   \((\d+\.\d) ms\)\n)");
  EXPECT_EQ(std::distance(std::sregex_iterator(t.out.begin(), t.out.end(), per_query), std::sregex_iterator()), 3)
      << t.out;
  const std::regex summary(R"(\n3 queries in \d+\.\d ms: median (\d+\.\d) ms, p95 (\d+\.\d) ms\n$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(t.out, m, summary)) << t.out;
  EXPECT_LE(std::stod(m[1]), std::stod(m[2]));  // median <= p95

  Result j = run_cli("search --index '" + dir + "/idx' --json 'melanoma'");
  ASSERT_EQ(j.status, 0) << j.err;
  const auto obj = nlohmann::json::parse(j.out);
  ASSERT_TRUE(obj["time_ms"].is_number()) << j.out;
  EXPECT_GE(obj["time_ms"].get<double>(), 0.0);
  EXPECT_EQ(j.out.find("queries in"), std::string::npos);  // stdout stays one JSON object per line
}

TEST(RetrievalCli, IndexRefusesToReplaceADirectoryThatIsNotAnIndex) {
  // Issue 8 defect 1: `index --out DIR` replaced whatever DIR was; with the corpus inside DIR, the corpus and
  // everything else in DIR were deleted and the exit status was 0.
  std::string dir = scratch("not_an_index");
  fs::copy_file(kData + "/corpus.jsonl", dir + "/corpus.jsonl");
  std::ofstream(dir + "/notes.txt") << "my notes\n";
  const std::string corpus = read_all(dir + "/corpus.jsonl");
  Result r = run_cli("index --corpus '" + dir + "/corpus.jsonl' --out '" + dir + "'");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.err.find(dir), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(read_all(dir + "/corpus.jsonl"), corpus);
  EXPECT_EQ(read_all(dir + "/notes.txt"), "my notes\n");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 2u);  // nothing added either

  // An index directory is still replaced by a new build.
  ASSERT_EQ(run_cli("index --corpus '" + dir + "/corpus.jsonl' --out '" + dir + "/idx'").status, 0);
  Result again = run_cli("index --corpus '" + dir + "/corpus.jsonl' --out '" + dir + "/idx' --k1 0.9");
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("BM25 k1=0.9"), std::string::npos) << again.out;
}

TEST(RetrievalCli, BadCorpusLineIsNamed) {
  std::string dir = scratch("bad");
  std::ofstream(dir + "/corpus.jsonl") << "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"y\"}\n"
                                       << "{\"_id\": \"c\", \"text\": \n";
  Result r = run_cli("index --corpus '" + dir + "/corpus.jsonl' --out '" + dir + "/idx'");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("corpus.jsonl line 3"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/idx"));

  std::ofstream(dir + "/corpus2.jsonl") << "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"a\", \"text\": \"y\"}\n";
  Result dup = run_cli("index --corpus '" + dir + "/corpus2.jsonl' --out '" + dir + "/idx'");
  EXPECT_NE(dup.status, 0);
  EXPECT_NE(dup.err.find("line 2"), std::string::npos) << dup.err;
}

TEST(RetrievalCli, UsageErrors) {
  Result none = run_cli("search --index /nonexistent/radlite-index");
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no query"), std::string::npos) << none.err;
  Result missing = run_cli("search --index /nonexistent/radlite-index 'q'");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("/nonexistent/radlite-index"), std::string::npos) << missing.err;
  Result unknown = run_cli("eval --bogus 1");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.err.find("--bogus"), std::string::npos) << unknown.err;
  Result fusion = run_cli("eval " + data_args() + " --fusion max");
  EXPECT_EQ(fusion.status, 1);
  EXPECT_NE(fusion.err.find("--fusion"), std::string::npos) << fusion.err;
  Result nobm25 = run_cli("index --corpus '" + kData + "/corpus.jsonl' --out /tmp/x --no-bm25");
  EXPECT_EQ(nobm25.status, 1);
  EXPECT_NE(nobm25.err.find("--no-bm25"), std::string::npos) << nobm25.err;
  for (const char* cmd : {"index", "search", "eval"}) {
    Result help = run_cli(std::string(cmd) + " --help");
    EXPECT_EQ(help.status, 0) << cmd;
    EXPECT_NE(help.out.find(std::string("usage: radlite ") + cmd), std::string::npos) << help.out;
  }
}
