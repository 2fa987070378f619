// Bad input to the built radlite binary ends in one clear error naming what is wrong, before any work or
// output: out-of-range numbers (issue 8 defects 4, 5), invalid UTF-8 in queries (defect 11), NUL bytes and
// ambiguous or blank stdin lines (defects 12, 13), and NaN model outputs (defect 7).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include "support/cli_runner.h"

namespace ts = radlite::test_support;

namespace {

const std::string kModels = RADLITE_MODELS_DIR;
const std::string kData = std::string(RADLITE_TEST_DATA_DIR) + "/../../examples/data/cancergov";
const std::string kBi = kModels + "/roberta-biencoder-tiny";
const std::string kCross = kModels + "/bert-crossencoder-tiny";

// A copy of `model` in `dir` with the F32 tensors named in `values` filled: every element set to the value, or
// only the first one when `first_only` (the file is otherwise intact).
std::string model_with(const ts::ScratchDir& dir, const std::string& model, const std::map<std::string, float>& values,
                       bool first_only = false) {
  const std::string out = dir.file("model");
  std::filesystem::create_directory(out);
  ts::copy_model_dir(model, out);
  std::string bytes = ts::read_bytes(out + "/model.safetensors");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  for (const auto& [name, value] : values) {
    const auto& t = header.at(name);
    if (t.at("dtype") != "F32") throw std::runtime_error(name + " is not F32");
    const std::size_t begin = 8 + n + t.at("data_offsets")[0].get<std::size_t>();
    const std::size_t end = first_only ? begin + 4 : 8 + n + t.at("data_offsets")[1].get<std::size_t>();
    for (std::size_t at = begin; at < end; at += 4) std::memcpy(&bytes[at], &value, sizeof value);
  }
  ts::write_file(out + "/model.safetensors", bytes);
  return out;
}

bool mentions_non_finite(const std::string& err) {
  for (const char* word : {"NaN", "non-finite", "not finite", "infinite"})
    if (err.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(CliNumbers, OutOfRangeNumbersAreRefusedWithTheRange) {
  // Issue 9: "--k 4294967297 silently becomes 1". Issue 8: --max-length 4294967298 became 2, --threads 100000
  // hung, --threads -1 meant all cores. Refused while parsing, so the paths need not exist.
  const struct {
    const char* args;
    const char* message;
  } cases[] = {
      {"search --index /nonexistent --k 4294967297 q",
       "radlite search: error: --k: must be an integer in [0, 10000000], got '4294967297'"},
      {"encode --model /nonexistent --max-length 4294967298",
       "radlite encode: error: --max-length: must be an integer in [0, 16777216], got '4294967298'"},
      {"encode --model /nonexistent --threads 100000", "--threads: must be an integer in [0, "},
      {"rerank --model /nonexistent --threads -1", "--threads: must be an integer in [0, "},
      {"index --corpus c --out o --batch-size 0", "--batch-size: must be an integer in [1, 65536], got '0'"},
      {"rerank --model /nonexistent --temperature nan", "--temperature: must be a finite number > 0, got 'nan'"},
      {"search --index /nonexistent --temperature -1 q", "--temperature: must be a finite number > 0, got '-1'"},
      {"eval --corpus c --queries q --qrels r --dense-weight 2", "--dense-weight: must be a number in [0, 1]"},
      {"tokenize --tokenizer t --max-length ten", "--max-length: must be an integer in"},
  };
  for (const auto& c : cases) {
    const ts::CliResult r = ts::run_cli(c.args);
    EXPECT_EQ(r.status, 1) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

TEST(CliNumbers, UsageAndCommandErrors) {
  EXPECT_EQ(ts::run_cli("").status, 2);
  const ts::CliResult unknown = ts::run_cli("serch");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("unknown command 'serch'"), std::string::npos) << unknown.err;
  const ts::CliResult help = ts::run_cli("help");
  EXPECT_EQ(help.status, 0);
  for (const char* c : {"demo", "version", "tokenize", "bench-tokenize", "index", "search", "encode", "rerank", "eval"})
    EXPECT_NE(help.out.find(std::string("  ") + c + " "), std::string::npos) << c;
  const ts::CliResult missing = ts::run_cli("encode");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("--model is required"), std::string::npos) << missing.err;
  const ts::CliResult extra = ts::run_cli("eval --corpus c --queries q --qrels r stray");
  EXPECT_EQ(extra.status, 1);
  EXPECT_NE(extra.err.find("stray"), std::string::npos) << extra.err;
  const ts::CliResult flag_value = ts::run_cli("encode --model m --help");
  EXPECT_EQ(flag_value.status, 0);
  EXPECT_NE(flag_value.out.find("usage: radlite encode"), std::string::npos) << flag_value.out;
}

TEST(CliQueryText, InvalidUtf8QueryIsOneErrorForEveryPath) {
  // Issue 8 defect 11: refused by BM25, accepted by the dense path, and a failure after searching with --json.
  ts::ScratchDir dir;
  ASSERT_EQ(ts::run_cli("index --corpus '" + kData + "/corpus.jsonl' --out '" + dir.file("bm25") + "'").status, 0);
  ts::write_file(dir.file("small.jsonl"),
                 "{\"_id\": \"a\", \"text\": \"lung cancer screening\"}\n"
                 "{\"_id\": \"b\", \"text\": \"treatment of leukemia\"}\n");
  ASSERT_EQ(ts::run_cli("index --no-bm25 --threads 1 --corpus '" + dir.file("small.jsonl") + "' --out '" +
                        dir.file("dense") + "' --bi-encoder " + kBi)
                .status,
            0);
  const std::string bad_query = "\"$(printf 'lung \\377cancer')\"";  // byte 0xFF at offset 5
  const std::string message = "radlite search: error: query 2 is not valid UTF-8 (byte offset 5)";
  for (const std::string& args :
       {"--index '" + dir.file("bm25") + "' fine " + bad_query,
        "--index '" + dir.file("bm25") + "' --json fine " + bad_query,
        "--index '" + dir.file("dense") + "' --threads 1 --bi-encoder " + kBi + " fine " + bad_query,
        "--index '" + dir.file("dense") + "' --threads 1 --json --bi-encoder " + kBi + " fine " + bad_query}) {
    const ts::CliResult r = ts::run_cli("search " + args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << args;  // refused before the first query ran
  }
}

TEST(CliStdinLines, NulByteIsAnError) {
  const std::string input = "{\"text\": \"a\"}\n{\"text\": \"b\"}" + std::string(1, '\0') + "{\"text\": \"c\"}\n";
  for (const std::string& args : {"tokenize --tokenizer " + kBi, "encode --threads 1 --model " + kBi}) {
    const ts::CliResult r = ts::run_cli(args, input);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.err.find("stdin line 2: invalid JSON (NUL byte at offset 13)"), std::string::npos) << args << "\n"
                                                                                                   << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args;  // line 1 answered
  }
}

TEST(CliStdinLines, BlankLinesAreAnErrorForTokenizeAndEncode) {
  // Issue 8 defect 13: tokenize skipped blank lines where encode refused them. Both refuse, naming the line.
  const std::string input = "{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n";
  for (const std::string& args : {"tokenize --tokenizer " + kBi, "encode --threads 1 --model " + kBi}) {
    const ts::CliResult r = ts::run_cli(args, input);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.err.find("stdin line 2: empty line"), std::string::npos) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args;
  }
}

TEST(CliStdinLines, BothTextAndIdsIsAnError) {
  const ts::CliResult e =
      ts::run_cli("encode --threads 1 --model " + kBi, "{\"text\": \"a\", \"input_ids\": [0, 5, 2]}\n");
  EXPECT_EQ(e.status, 1);
  EXPECT_NE(e.err.find("stdin line 1: has both \"text\" and \"input_ids\""), std::string::npos) << e.err;
  EXPECT_EQ(e.out, "");
  const ts::CliResult r = ts::run_cli("rerank --threads 1 --model " + kCross,
                                      "{\"query\": \"q\", \"doc\": \"d\"}\n"
                                      "{\"query\": \"q\", \"doc\": \"d\", \"input_ids\": [101, 5, 102]}\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("stdin line 2: has both \"query\"/\"doc\" and \"input_ids\""), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST(CliNonFinite, NanWeightsNeverPrintNull) {
  // Issue 8 defect 7: NaN weights gave "null" embeddings and logits with exit status 0. Whether the loader
  // refuses the weights or the output check catches the NaN, the command fails and names it.
  {
    ts::ScratchDir dir;
    const std::string model = model_with(
        dir, kBi, {{"encoder.layer.1.output.LayerNorm.bias", std::numeric_limits<float>::quiet_NaN()}}, true);
    const ts::CliResult r = ts::run_cli("encode --threads 1 --model " + model, "{\"text\": \"CT of the chest\"}\n");
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.out.find("null"), std::string::npos) << r.out;
    EXPECT_TRUE(mentions_non_finite(r.err)) << r.err;
    if (r.err.find("stdin line") != std::string::npos)
      EXPECT_NE(r.err.find("stdin line 1: the model's output is NaN or infinite"), std::string::npos) << r.err;
  }
  {
    ts::ScratchDir dir;
    const std::string model =
        model_with(dir, kCross, {{"classifier.bias", std::numeric_limits<float>::quiet_NaN()}}, true);
    const ts::CliResult r = ts::run_cli("rerank --threads 1 --model " + model, "{\"query\": \"q\", \"doc\": \"d\"}\n");
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.out.find("null"), std::string::npos) << r.out;
    EXPECT_TRUE(mentions_non_finite(r.err)) << r.err;
  }
}

TEST(CliNonFinite, OverflowingOutputIsAnErrorNamingTheLine) {
  // Finite weights the loader accepts, but whose logit overflows float: the pooler's tanh saturates at 1 (bias
  // 1e4) and 32 classifier weights of 3e38 sum to infinity. Caught after loading (by the model's own check or
  // the CLI's output check), and named by its stdin line.
  ts::ScratchDir dir;
  const std::string model = model_with(dir, kCross, {{"bert.pooler.dense.bias", 1e4f}, {"classifier.weight", 3e38f}});
  const ts::CliResult r = ts::run_cli("rerank --threads 1 --model " + model,
                                      "{\"query\": \"q\", \"doc\": \"d\"}\n{\"query\": \"a\", \"doc\": \"b\"}\n");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("radlite rerank: error: stdin line 1: "), std::string::npos) << r.err;
  EXPECT_TRUE(mentions_non_finite(r.err)) << r.err;
}
