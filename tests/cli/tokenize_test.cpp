// `radlite tokenize` and `radlite bench-tokenize` end to end: fixture parity through the JSON-lines interface,
// default max length from the model directory, and a clear error for a bad input line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "support/cli_runner.h"

using nlohmann::json;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;
const std::string kModels = RADLITE_MODELS_DIR;

using radlite::test_support::run_cli;

json load(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

}  // namespace

TEST(TokenizeCli, PairsMatchBertFixture) {
  json fx = load(kData + "/tokenizers/bert-base-uncased.json");
  std::string input;
  for (const auto& e : fx["pairs"]) input += json{{"query", e["query"]}, {"doc", e["doc"]}}.dump() + "\n";
  auto r = run_cli(
      "tokenize --pairs --max-length 128 --tokenizer " + kData + "/tokenizers/files/bert-base-uncased/vocab.txt",
      input);
  ASSERT_EQ(r.status, 0);
  std::istringstream lines(r.out);
  std::string line;
  std::size_t i = 0, mismatches = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(i, fx["pairs"].size());
    json j = json::parse(line);
    if (j["input_ids"] != fx["pairs"][i]["input_ids"] || j["token_type_ids"] != fx["pairs"][i]["token_type_ids"])
      ++mismatches;
    EXPECT_EQ(j["attention_mask"].size(), j["input_ids"].size());
    ++i;
  }
  EXPECT_EQ(i, fx["pairs"].size());
  EXPECT_EQ(mismatches, 0u);

  // The same input truncated at 64 no longer matches the fixture (truncated at 128) for the long pairs.
  auto shorter = run_cli(
      "tokenize --pairs --max-length 64 --tokenizer " + kData + "/tokenizers/files/bert-base-uncased/vocab.txt", input);
  ASSERT_EQ(shorter.status, 0);
  EXPECT_NE(shorter.out, r.out);
}

TEST(TokenizeCli, DefaultMaxLengthIsModelMaxLength) {
  // bert-biencoder-cls-tiny: model_max_length 128 in tokenizer_config.json, so the golden ids are reproduced.
  json g = load(kData + "/golden/bert-biencoder-cls-tiny.json");
  std::string input;
  for (const auto& t : g["texts"]) input += json{{"text", t}}.dump() + "\n";
  auto r = run_cli("tokenize --tokenizer " + kModels + "/bert-biencoder-cls-tiny", input);
  ASSERT_EQ(r.status, 0);
  std::istringstream lines(r.out);
  std::string line;
  std::size_t i = 0, mismatches = 0, longest = 0;
  while (std::getline(lines, line)) {
    json j = json::parse(line);
    if (j["input_ids"] != g["input_ids"][i]) ++mismatches;
    longest = std::max(longest, j["input_ids"].size());
    ++i;
  }
  EXPECT_EQ(i, g["texts"].size());
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(longest, 128u);
}

TEST(TokenizeCli, BadLineNamesLineNumber) {
  auto r =
      run_cli("tokenize --tokenizer " + kModels + "/roberta-biencoder-tiny", "{\"text\": \"ok\"}\n{\"text\": broken\n");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("{\"input_ids\": [0, 1638, 2]"), std::string::npos) << r.out;  // line 1 was written

  auto missing = run_cli("tokenize --tokenizer " + kModels + "/roberta-biencoder-tiny", "{\"txt\": \"x\"}\n");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("'text'"), std::string::npos) << missing.err;

  auto nodir = run_cli("tokenize --tokenizer /nonexistent/tok", "");
  EXPECT_NE(nodir.status, 0);
  EXPECT_NE(nodir.err.find("/nonexistent/tok"), std::string::npos) << nodir.err;
}

TEST(TokenizeCli, BenchPrintsCounts) {
  radlite::test_support::ScratchDir dir;
  const std::string path = dir.file("in.jsonl");
  std::ofstream(path) << "{\"text\": \"Hello world\"}\n{\"text\": \"CT shows a filling defect.\"}\n";
  auto r = run_cli(
      std::string("bench-tokenize --repeat 3 --tokenizer ") + kModels + "/roberta-biencoder-tiny --input " + path, "");
  ASSERT_EQ(r.status, 0);
  json j = json::parse(r.out);
  EXPECT_EQ(j["texts"], 6);
  EXPECT_EQ(j["bytes"], 3 * (11 + 26));
  // "Hello world" -> 4 ids, "CT shows a filling defect." -> <s> CT Ġshows Ġa Ġfilling Ġdefect . </s> = 8 ids.
  EXPECT_EQ(j["tokens"], 3 * (4 + 8));
  EXPECT_GT(j["tokens_per_s"].get<double>(), 0.0);
}
