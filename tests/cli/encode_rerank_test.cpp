// `radlite encode` and `radlite rerank` run as a user runs them: JSON lines in, one line out per input, in order;
// errors on stderr naming the line, non-zero exit.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "model/golden.h"
#include "support/cli_runner.h"

namespace ts = radlite::test_support;

namespace {

struct CliRun {
  int status = -1;
  std::vector<nlohmann::json> lines;
  std::string err;
};

// The shared runner, with stdout read as the JSON lines the commands write.
CliRun run_cli(const std::string& args, const std::string& input) {
  const ts::CliResult raw = ts::run_cli(args, input);
  CliRun r;
  r.status = raw.status;
  std::istringstream out(raw.out);
  for (std::string line; std::getline(out, line);) r.lines.push_back(nlohmann::json::parse(line));
  r.err = raw.err;
  return r;
}

TEST(EncodeCli, TextsAndIdsMatchGoldenInOrder) {
  const auto g = ts::golden("roberta-biencoder-tiny");
  // 150 inputs (more than one 64-line chunk), alternating text and ids lines.
  std::string input;
  std::vector<std::size_t> which;
  for (std::size_t k = 0; k < 150; ++k) {
    const std::size_t i = k % g["texts"].size();
    which.push_back(i);
    nlohmann::json j;
    if (k % 2)
      j["input_ids"] = g["input_ids"][i];
    else
      j["text"] = g["texts"][i];
    input += j.dump() + "\n";
  }
  const CliRun r =
      run_cli("encode --model " + ts::model_dir("roberta-biencoder-tiny") + " --batch-size 16 --threads 1", input);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.lines.size(), which.size());
  double diff = 0;
  for (std::size_t k = 0; k < which.size(); ++k) {
    const auto got = r.lines[k]["embedding"].get<std::vector<double>>();
    const auto& want = g["embeddings"][which[k]];
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t c = 0; c < got.size(); ++c) diff = std::max(diff, std::fabs(got[c] - want[c].get<double>()));
  }
  EXPECT_LT(diff, 1e-5);
}

TEST(EncodeCli, BadLineIsReportedAfterAnsweringEarlierLines) {
  const std::string input =
      "{\"text\": \"a\"}\n{\"input_ids\": [0, 5, 2]}\n{\"input_ids\": [0, 99999, 2]}\n{\"text\": \"b\"}\n";
  const CliRun r = run_cli("encode --model " + ts::model_dir("roberta-biencoder-tiny"), input);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.lines.size(), 2u);
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("99999"), std::string::npos) << r.err;

  const CliRun broken =
      run_cli("encode --model " + ts::model_dir("roberta-biencoder-tiny"), "{\"text\": \"a\"}\n{\"text\": \n");
  EXPECT_NE(broken.status, 0);
  EXPECT_EQ(broken.lines.size(), 1u);
  EXPECT_NE(broken.err.find("line 2"), std::string::npos) << broken.err;

  const CliRun missing = run_cli("encode --model " + ts::model_dir("roberta-biencoder-tiny"), "{\"txt\": \"a\"}\n");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("line 1"), std::string::npos) << missing.err;

  const CliRun bad_option =
      run_cli("encode --model " + ts::model_dir("roberta-biencoder-tiny") + " --dtype float64", "");
  EXPECT_NE(bad_option.status, 0);
  EXPECT_NE(bad_option.err.find("float64"), std::string::npos) << bad_option.err;
}

// bfloat16 on a CPU without bfloat16 instructions still runs, with one warning on stderr; with them, none.
TEST(EncodeCli, Bfloat16WarnsOnlyOnCpusWithoutBfloat16Instructions) {
  const CliRun r = run_cli("encode --model " + ts::model_dir("roberta-biencoder-tiny") + " --dtype bf16",
                           "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.lines.size(), 2u);
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  const bool slow = !__builtin_cpu_supports("avx512bf16");
#else
  const bool slow = false;
#endif
  const auto at = r.err.find("warning: --dtype bfloat16");
  EXPECT_EQ(at != std::string::npos, slow) << r.err;
  if (slow) EXPECT_EQ(r.err.find("warning", at + 1), std::string::npos) << "warned twice: " << r.err;
  // float32 never warns.
  const CliRun f32 = run_cli("encode --model " + ts::model_dir("roberta-biencoder-tiny"), "{\"text\": \"a\"}\n");
  EXPECT_EQ(f32.status, 0) << f32.err;
  EXPECT_EQ(f32.err.find("warning"), std::string::npos) << f32.err;
}

TEST(RerankCli, LogitsAndCalibratedScores) {
  const auto g = ts::golden("bert-crossencoder-tiny");
  std::string input;
  const std::size_t n = 70;
  for (std::size_t i = 0; i < n; ++i) {
    nlohmann::json j;
    if (i % 3 == 0) {
      j["input_ids"] = g["input_ids"][i];
      j["token_type_ids"] = g["token_type_ids"][i];
    } else {
      j["query"] = g["pairs"][i][0];
      j["doc"] = g["pairs"][i][1];
    }
    input += j.dump() + "\n";
  }
  const CliRun r = run_cli("rerank --model " + ts::model_dir("bert-crossencoder-tiny") + " --temperature 1.5", input);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.lines.size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    const double logit = r.lines[i]["logits"][0].get<double>();
    EXPECT_NEAR(logit, g["logits"][i][0].get<double>(), 1e-5) << "line " << i + 1;
    EXPECT_NEAR(r.lines[i]["score"].get<double>(), 1.0 / (1.0 + std::exp(-logit / 1.5)), 1e-7);
  }
  const CliRun bad =
      run_cli("rerank --model " + ts::model_dir("bert-crossencoder-tiny"),
              "{\"query\": \"q\", \"doc\": \"d\"}\n{\"input_ids\": [101, 5, 102], \"token_type_ids\": [0, 7, 0]}\n");
  EXPECT_NE(bad.status, 0);
  EXPECT_EQ(bad.lines.size(), 1u);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
  const CliRun bad_t = run_cli("rerank --model " + ts::model_dir("bert-crossencoder-tiny") + " --temperature 0", "");
  EXPECT_NE(bad_t.status, 0);
}

}  // namespace
