// `radlite index --append / --delete / --merge / --dense` and `radlite info`, run as a user runs them, checked
// against the library: the changed index must search exactly like a fresh build of the same live documents.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"
#include "support/cli_runner.h"

namespace fs = std::filesystem;
using namespace radlite;
using radlite::test_support::CliResult;
using radlite::test_support::run_cli;

namespace {

const std::string kCorpus = std::string(RADLITE_TEST_DATA_DIR) + "/../../examples/data/cancergov/corpus.jsonl";
const std::string kBiEncoder = std::string(RADLITE_MODELS_DIR) + "/roberta-biencoder-tiny";

std::string scratch(const std::string& name) {
  std::string dir = ::testing::TempDir() + "radlite_cli_maint_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Writes documents [from, to) of the bundled corpus as a BEIR file.
std::string corpus_slice(const std::string& dir, const std::string& name, std::size_t from, std::size_t to) {
  std::ifstream in(kCorpus);
  std::ofstream out(dir + "/" + name);
  std::string line;
  for (std::size_t i = 0; std::getline(in, line); ++i)
    if (i >= from && i < to) out << line << '\n';
  return dir + "/" + name;
}

// `radlite index` of the bundled corpus' first n documents with the tiny bi-encoder into dir/index (plus `extra`
// options); returns the index directory.
std::string index_first(const std::string& dir, std::size_t n, const std::string& extra = "") {
  const std::string idx = dir + "/index";
  const CliResult r = run_cli("index --corpus '" + corpus_slice(dir, "a.jsonl", 0, n) + "' --out '" + idx +
                              "' --bi-encoder '" + kBiEncoder + "' --threads 1" + extra);
  EXPECT_EQ(r.status, 0) << r.err;
  return idx;
}

std::vector<std::string> ids_of(const std::vector<PipelineHit>& hits) {
  std::vector<std::string> ids;
  for (const auto& h : hits) ids.push_back(h.id + "@" + std::to_string(h.score));
  return ids;
}

}  // namespace

TEST(IndexMaintenanceCli, AppendDeleteMergeThenInfo) {
  const std::string dir = scratch("bm25");
  const std::string idx = dir + "/index";
  CliResult r = run_cli("index --corpus '" + corpus_slice(dir, "a.jsonl", 0, 300) + "' --out '" + idx + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli("index --append --corpus '" + corpus_slice(dir, "b.jsonl", 300, 500) + "' --out '" + idx + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("500 live documents in 2 segments"), std::string::npos) << r.out;

  const std::vector<BeirDocument> all = load_beir_corpus(kCorpus);
  {
    std::ofstream ids(dir + "/gone.txt");
    for (std::size_t i = 0; i < 500; i += 7) ids << all[i].id << '\n';
  }
  r = run_cli("index --delete '" + dir + "/gone.txt' --out '" + idx + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::size_t deleted = (500 + 6) / 7;
  EXPECT_NE(r.out.find("deleted " + std::to_string(deleted) + " of " + std::to_string(deleted) + " ids"),
            std::string::npos)
      << r.out;

  r = run_cli("info --index '" + idx + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(std::to_string(500 - deleted) + " live, " + std::to_string(deleted) + " deleted"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("segments    2"), std::string::npos) << r.out;

  r = run_cli("index --merge --out '" + idx + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("in 1 segments"), std::string::npos) << r.out;

  // The oracle: a fresh build of the live documents searches identically (ids and scores).
  std::vector<BeirDocument> live;
  for (std::size_t i = 0; i < 500; ++i)
    if (i % 7 != 0) live.push_back(all[i]);
  Pipeline fresh(nullptr, nullptr);
  fresh.add(live);
  Pipeline changed = Pipeline::load(idx, nullptr, nullptr);
  EXPECT_EQ(changed.live_size(), live.size());
  for (const char* q : {"What are the symptoms of lung cancer?", "treatment of melanoma", "stage of breast cancer"})
    EXPECT_EQ(ids_of(changed.search(q)), ids_of(fresh.search(q))) << q;
  // And the check can fail: a deleted document is still searchable in the fresh build of everything.
  Pipeline everything(nullptr, nullptr);
  everything.add(std::vector<BeirDocument>(all.begin(), all.begin() + 500));
  EXPECT_NE(ids_of(changed.search("What are the symptoms of lung cancer?")),
            ids_of(everything.search("What are the symptoms of lung cancer?")));
}

TEST(IndexMaintenanceCli, BadCombinationsAreRefused) {
  const std::string dir = scratch("bad");
  CliResult r = run_cli("index --out '" + dir + "/i'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--corpus is required"), std::string::npos) << r.err;
  r = run_cli("index --append --out '" + dir + "/i'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--append needs --corpus"), std::string::npos) << r.err;
  r = run_cli("index --corpus '" + kCorpus + "' --dense hnsw --out '" + dir + "/i'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--dense hnsw needs --bi-encoder"), std::string::npos) << r.err;
  r = run_cli("index --corpus '" + kCorpus + "' --dense annoy --out '" + dir + "/i'");
  EXPECT_EQ(r.status, 1);
  r = run_cli("info --index '" + dir + "/missing'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(dir + "/missing"), std::string::npos) << r.err;
}

TEST(IndexMaintenanceCli, HnswIndexSearchesAndReportsItsKind) {
  const std::string idx = index_first(scratch("hnsw"), 200, " --dense hnsw");
  CliResult r = run_cli("info --index '" + idx + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("dense       hnsw, dimension 32"), std::string::npos) << r.out;
  r = run_cli("search --index '" + idx + "' --bi-encoder '" + kBiEncoder +
              "' --ef-search 64 --threads 1 --k 3 --json 'lung cancer screening'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"hits\""), std::string::npos) << r.out;
}

// `search --no-verify` skips the checksum pass: a changed byte inside the vectors is then not noticed (only
// sizes and structure are checked), while the default load refuses the index, naming the file and sha256.
TEST(IndexMaintenanceCli, SearchNoVerifySkipsOnlyTheChecksums) {
  const std::string idx = index_first(scratch("noverify"), 50);
  const std::string search = "search --index '" + idx + "' --bi-encoder '" + kBiEncoder + "' --threads 1 --k 3 ";
  ASSERT_EQ(run_cli(search + "'lung cancer'").status, 0);
  std::string dense;
  for (const auto& e : std::filesystem::directory_iterator(idx))
    if (e.path().string().find(".dense.bin") != std::string::npos) dense = e.path().string();
  ASSERT_FALSE(dense.empty());
  {
    std::fstream f(dense, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-64, std::ios::end);  // inside the last vector
    f.put('\x3f');
  }
  CliResult r = run_cli(search + "'lung cancer'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(".dense.bin: sha256"), std::string::npos) << r.err;
  r = run_cli(search + "--no-verify 'lung cancer'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("lung"), std::string::npos) << r.out;
}
