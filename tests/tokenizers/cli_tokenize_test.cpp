// `radlite tokenize` and `radlite bench-tokenize` end to end: fixture parity through the JSON-lines interface,
// default max length from the model directory, and a clear error for a bad input line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

using nlohmann::json;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;
const std::string kModels = RADLITE_MODELS_DIR;

struct CliRun {
  int rc;
  std::string out;
};

// Runs the CLI with `input` on stdin; stdout (and stderr, when merge_stderr) captured.
CliRun run_cli(const std::string& args, const std::string& input, bool merge_stderr = false) {
  char path[] = "/tmp/radlite_cli_in_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return {-1, "mkstemp failed"};
  close(fd);
  std::ofstream(path) << input;
  std::string cmd = std::string(RADLITE_CLI) + " " + args + " < " + path + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  CliRun r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 65536> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::remove(path);
  return r;
}

json load(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

}  // namespace

TEST(TokenizeCli, PairsMatchBertFixture) {
  json fx = load(kData + "/tokenizers/bert-base-uncased.json");
  std::string input;
  for (const auto& e : fx["pairs"]) input += json{{"query", e["query"]}, {"doc", e["doc"]}}.dump() + "\n";
  CliRun r = run_cli("tokenize --pairs --max-length 128 --tokenizer " + kData + "/tokenizers/files/bert-base-uncased/vocab.txt",
                  input);
  ASSERT_EQ(r.rc, 0);
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
  CliRun shorter = run_cli("tokenize --pairs --max-length 64 --tokenizer " + kData +
                            "/tokenizers/files/bert-base-uncased/vocab.txt", input);
  ASSERT_EQ(shorter.rc, 0);
  EXPECT_NE(shorter.out, r.out);
}

TEST(TokenizeCli, DefaultMaxLengthIsModelMaxLength) {
  // bert-biencoder-cls-tiny: model_max_length 128 in tokenizer_config.json, so the golden ids are reproduced.
  json g = load(kData + "/golden/bert-biencoder-cls-tiny.json");
  std::string input;
  for (const auto& t : g["texts"]) input += json{{"text", t}}.dump() + "\n";
  CliRun r = run_cli("tokenize --tokenizer " + kModels + "/bert-biencoder-cls-tiny", input);
  ASSERT_EQ(r.rc, 0);
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
  CliRun r = run_cli("tokenize --tokenizer " + kModels + "/roberta-biencoder-tiny",
                  "{\"text\": \"ok\"}\n{\"text\": broken\n", true);
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("line 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{\"input_ids\": [0, 1638, 2]"), std::string::npos) << r.out;  // line 1 was written

  CliRun missing = run_cli("tokenize --tokenizer " + kModels + "/roberta-biencoder-tiny", "{\"txt\": \"x\"}\n", true);
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.out.find("'text'"), std::string::npos) << missing.out;

  CliRun nodir = run_cli("tokenize --tokenizer /nonexistent/tok", "", true);
  EXPECT_NE(nodir.rc, 0);
  EXPECT_NE(nodir.out.find("/nonexistent/tok"), std::string::npos) << nodir.out;
}

TEST(TokenizeCli, BenchPrintsCounts) {
  char path[] = "/tmp/radlite_bench_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "{\"text\": \"Hello world\"}\n{\"text\": \"CT shows a filling defect.\"}\n";
  CliRun r = run_cli(std::string("bench-tokenize --repeat 3 --tokenizer ") + kModels + "/roberta-biencoder-tiny --input " +
                      path, "");
  std::remove(path);
  ASSERT_EQ(r.rc, 0);
  json j = json::parse(r.out);
  EXPECT_EQ(j["texts"], 6);
  EXPECT_EQ(j["bytes"], 3 * (11 + 26));
  // "Hello world" -> 4 ids, "CT shows a filling defect." -> <s> CT Ġshows Ġa Ġfilling Ġdefect . </s> = 8 ids.
  EXPECT_EQ(j["tokens"], 3 * (4 + 8));
  EXPECT_GT(j["tokens_per_s"].get<double>(), 0.0);
}
