// Bad-input catalogue, part 4: numbers out of range on the command line. Every one must stop the command
// with exit status 1 or 2 and a message naming the option, before any work is done. See catalogue.h.
#include <gtest/gtest.h>

#include <string>

#include "catalogue.h"
#include "radlite/retrieval/pipeline.h"

namespace {

using radlite::hardening::expect_cli_error;
namespace ts = radlite::test_support;

const char* kArea = "command-line numbers";
const std::string kModels = RADLITE_MODELS_DIR;
const std::string kTok = "tokenize --tokenizer '" + std::string(RADLITE_TEST_DATA_DIR) +
                         "/tokenizers/files/bert-base-uncased/tokenizer.json'";
const std::string kEncode = "encode --model '" + kModels + "/bert-biencoder-cls-tiny'";
const std::string kRerank = "rerank --model '" + kModels + "/bert-crossencoder-tiny'";

// A BM25-only index for `search`.
struct Bm25Index {
  ts::ScratchDir scratch;
  std::string dir = scratch.file("index");
  Bm25Index() {
    radlite::Pipeline p(nullptr, nullptr);
    p.add({{"d1", "", "lung cancer staging"}, {"d2", "", "liver lesion"}});
    p.save(dir);
  }
  std::string search(const std::string& opts) const { return "search --index '" + dir + "' " + opts + " 'lung'"; }
};

TEST(CliNumbers, RejectedToday) {
  const Bm25Index index;
  const std::string line = "{\"text\": \"a\"}\n";
  expect_cli_error(kArea, "--max-length abc", kTok + " --max-length abc", line, {"--max-length"});
  expect_cli_error(kArea, "--max-length -1", kTok + " --max-length -1", line, {"--max-length"});
  expect_cli_error(kArea, "--k -5", index.search("--k -5"), "", {"--k"});
  expect_cli_error(kArea, "--temperature 0", kRerank + " --temperature 0", "{\"query\": \"a\", \"doc\": \"b\"}\n",
                   {"--temperature"});
  expect_cli_error(kArea, "--temperature -1", kRerank + " --temperature -1", "{\"query\": \"a\", \"doc\": \"b\"}\n",
                   {"--temperature"});
  expect_cli_error(kArea, "--rrf-k abc", index.search("--rrf-k abc"), "", {"--rrf-k"});
  expect_cli_error(kArea, "--candidates x7", index.search("--candidates x7"), "", {"--candidates"});
}

TEST(CliNumbers, FormerlyAcceptedOrMisreadAreRefused) {
  // Issue 8, defects 4 and 5 (owner: cli): no upper bound on --threads (100000 hangs), -1 silently means all
  // cores, and integer options are cut to 32 bits (4294967298 becomes 2). Also --batch-size 0 is refused
  // with a message that names BiEncoderOptions.batch_size instead of --batch-size.
  const Bm25Index index;
  const std::string line = "{\"text\": \"a\"}\n";
  // The message names BiEncoderOptions.batch_size, not the option the user typed.
  expect_cli_error(kArea, "--batch-size 0", kEncode + " --batch-size 0", line, {"--batch-size"});
  // Same for the search weights: the message names SearchOptions.final_bm25_weight / rrf_k.
  expect_cli_error(kArea, "--bm25-weight 1.5", index.search("--bm25-weight 1.5"), "", {"--bm25-weight"});
  expect_cli_error(kArea, "--rrf-k -1", index.search("--rrf-k -1"), "", {"--rrf-k"});
  expect_cli_error(kArea, "--threads 100000", kEncode + " --threads 100000", line, {"--threads"});
  expect_cli_error(kArea, "--threads -1", kEncode + " --threads -1", line, {"--threads"});
  expect_cli_error(kArea, "--max-length 4294967298 (2^32 + 2)", kTok + " --max-length 4294967298", line,
                   {"--max-length"});
  expect_cli_error(kArea, "--k 4294967297 (2^32 + 1)", index.search("--k 4294967297"), "", {"--k"});
  // Refused today, but the message says "got -1" for what the user typed as 99999999999999999999.
  expect_cli_error(kArea, "--k 99999999999999999999 (beyond 64 bits)", index.search("--k 99999999999999999999"), "",
                   {"--k", "99999999999999999999"});
}

}  // namespace
