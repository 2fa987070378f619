// Bad-input catalogue, part 2: texts. Very long texts (1 MB, 10 MB) must be truncated in linear time and
// memory; empty texts, invalid UTF-8, NUL bytes and lone surrogates in JSON input lines must give a clear
// error naming the line (or, for an empty text, the documented embedding). See catalogue.h.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "catalogue.h"
#include "radlite/encoder.h"
#include "radlite/tokenizer.h"
#include "support/cli_runner.h"

namespace {

using radlite::FormatError;
using radlite::hardening::expect_cli_error;
using radlite::hardening::expect_error_in_child;
using radlite::hardening::record;
namespace ts = radlite::test_support;

const std::string kModels = RADLITE_MODELS_DIR;
const std::string kData = RADLITE_TEST_DATA_DIR;

// Radiology-like text of `bytes` bytes: words, punctuation, digits, some non-ASCII.
std::string long_text(std::size_t bytes) {
  const char* words[] = {"The",     "chest",       "CT",     "shows", "a",     "3.2",          "cm", "spiculated",
                         "nodule,", "caf\xC3\xA9", "(right", "upper", "lobe)", "\xE2\x80\x94", "no", "effusion."};
  std::string s;
  s.reserve(bytes + 16);
  for (std::size_t i = 0; s.size() < bytes; ++i) s.append(words[(i * 5) % 16]).push_back(' ');
  s.resize(bytes);
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();  // whole code points
  while (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  return s;
}

long peak_rss_mb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

double seconds_to_encode(const radlite::Tokenizer& tok, const std::string& text, std::size_t max_length,
                         std::size_t* n_ids) {
  radlite::EncodeOptions o;
  o.max_length = max_length;
  const auto t0 = std::chrono::steady_clock::now();
  *n_ids = tok.encode(text, o).ids.size();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(BadTexts, OneAndTenMegabyteTextsAreTruncatedInLinearTime) {
  const std::string mb1 = long_text(1 << 20), mb10 = long_text(10 << 20);
  struct Kind {
    const char* name;
    std::string path;
  };
  const Kind kinds[] = {{"byte-level BPE (roberta-base)", kData + "/tokenizers/files/roberta-base/tokenizer.json"},
                        {"WordPiece (bert-base-uncased)", kData + "/tokenizers/files/bert-base-uncased/tokenizer.json"},
                        {"Unigram (xlmr tiny)", kModels + "/xlmr-biencoder-sp-tiny/tokenizer.json"}};
  for (const Kind& k : kinds) {
    const radlite::Tokenizer tok = radlite::Tokenizer::from_path(k.path);
    std::size_t n1 = 0, n10 = 0;
    const long rss0 = peak_rss_mb();
    const double t1 = seconds_to_encode(tok, mb1, 512, &n1);
    const double t10 = seconds_to_encode(tok, mb10, 512, &n10);
    const long rss_growth = peak_rss_mb() - rss0;
    EXPECT_EQ(n1, 512u) << k.name;
    EXPECT_EQ(n10, 512u) << k.name;
    // Linear: 10x the text, about 10x the time. Quadratic would be 100x; allow noise up to 30x.
    const double ratio = t10 / std::max(t1, 1e-3);
    EXPECT_LT(ratio, 30.0) << k.name << ": 1 MB took " << t1 << " s, 10 MB " << t10 << " s";
    // Memory: a bounded multiple of the text, far from the 10 MB x 10 MB of a quadratic table.
    EXPECT_LT(rss_growth, 2048) << k.name << ": peak RSS grew by " << rss_growth << " MB for a 10 MB text";
    record("long texts (Tokenizer::encode, max_length 512)", std::string(k.name) + ": 1 MB and 10 MB texts",
           "truncated to 512 ids",
           "1 MB: " + std::to_string(t1) + " s; 10 MB: " + std::to_string(t10) + " s (ratio " + std::to_string(ratio) +
               "); peak RSS growth " + std::to_string(rss_growth) + " MB");
  }
}

TEST(BadTexts, TenMegabyteTextThroughTheBiEncoder) {
  const radlite::BiEncoder enc = radlite::BiEncoder::load(kModels + "/bert-biencoder-cls-tiny");
  const radlite::Matrix m = enc.encode({long_text(10 << 20), "short"});
  ASSERT_EQ(m.rows(), 2u);
  EXPECT_EQ(enc.tokenize(long_text(10 << 20)).size(), enc.max_length());
  record("long texts (BiEncoder::encode)", "10 MB text",
         "embedded, truncated at max_length " + std::to_string(enc.max_length()), "");
}

TEST(BadTexts, HundredThousandSpacesThroughAReplaceRegex) {
  // Issue 8, defect 2 (owner: tok): std::regex recursion overflows the stack on a long run of matches. The
  // normalizer is the Replace(" {2,}") that transformers writes into SentencePiece-converted tokenizers.
  std::ifstream in(kModels + "/xlmr-biencoder-sp-tiny/tokenizer.json");
  nlohmann::json tok = nlohmann::json::parse(in);
  tok["normalizer"] = {
      {"type", "Sequence"},
      {"normalizers", {tok["normalizer"], {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}}}};
  const std::string json = tok.dump();
  const radlite::hardening::ChildOutcome o = radlite::hardening::run_in_child([&] {
    const auto t = radlite::Tokenizer::from_json(json);
    (void)t.encode("a" + std::string(100000, ' ') + "b");
  });
  record("long texts (Tokenizer::encode)", "100,000 spaces through Replace(\" {2,}\")",
         o.crashed ? "CRASH (signal " + std::to_string(o.signal) + ")" : (o.type.empty() ? "encoded" : o.type),
         o.message);
  EXPECT_FALSE(o.crashed) << "signal " << o.signal;
  EXPECT_EQ(o.type, "") << o.message;
}

// ---- JSON input lines of the CLI (stdin of encode / rerank) ----

const std::string kEncode = "encode --model '" + kModels + "/bert-biencoder-cls-tiny' --threads 1";

TEST(BadTexts, JsonInputLines) {
  // The model commands and tokenize share the line reader; tokenize (no libtorch to load) takes the cases
  // about JSON itself, encode those about the fields it reads.
  const char* area = "JSON input lines (radlite encode / tokenize, stdin)";
  const std::string tok = "tokenize --tokenizer '" + kData + "/tokenizers/files/bert-base-uncased/tokenizer.json'";
  expect_cli_error(area, "encode: a blank line", kEncode, "{\"text\": \"a\"}\n\n", {"line 2"});
  expect_cli_error(area, "encode: invalid UTF-8 byte 0xFF inside a string", kEncode, "{\"text\": \"a\xFF b\"}\n",
                   {"line 1"});
  expect_cli_error(area, "encode: lone surrogate \\ud800", kEncode, "{\"text\": \"a\\ud800b\"}\n", {"line 1"});
  expect_cli_error(area, "encode: raw NUL byte inside a string", kEncode, std::string("{\"text\": \"a\0b\"}\n", 15),
                   {"line 1"});
  expect_cli_error(area, "encode: text is a number", kEncode, "{\"text\": 5}\n", {"line 1", "text"});
  expect_cli_error(area, "encode: input_ids with an id outside the vocabulary", kEncode,
                   "{\"input_ids\": [101, 999999, 102]}\n", {"line 1"});
  expect_cli_error(area, "tokenize: truncated UTF-8 sequence (0xE2 0x80) at the end of a string", tok,
                   "{\"text\": \"a\xE2\x80\"}\n", {"line 1"});
  expect_cli_error(area, "tokenize: lone low surrogate \\udc00 on line 3", tok,
                   "{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \"\\udc00\"}\n", {"line 3"});
  expect_cli_error(area, "tokenize: not an object ([\"text\"])", tok, "[\"text\"]\n", {"line 1"});
  expect_cli_error(area, "tokenize: a line of plain text", tok, "plain text\n", {"line 1"});
}

TEST(BadTexts, JsonInputLinesFormerlyAcceptedAreRefused) {
  // Issue 8, defects 12 and 13 (owners: lead for JSON, cli): today these lines are accepted.
  const char* area = "JSON input lines (radlite encode / tokenize, stdin)";
  expect_cli_error(area, "encode: NUL byte after the object, then more JSON", kEncode,
                   std::string("{\"text\": \"a\"}\0{\"text\": \"b\"}\n", 27), {"line 1"});
  expect_cli_error(area, "encode: both text and input_ids", kEncode, "{\"text\": \"a\", \"input_ids\": [101, 102]}\n",
                   {"line 1", "text", "input_ids"});
}

TEST(BadTexts, JsonInputNestedDeeply) {
  // Issue 8, defect 3 (owner: lead, JSON safety): 100,000 nested arrays crash the error message's dump().
  expect_cli_error("JSON input lines (radlite encode / tokenize, stdin)", "encode: input_ids nested 100,000 levels",
                   kEncode, "{\"input_ids\": " + std::string(100000, '[') + std::string(100000, ']') + "}\n",
                   {"line 1"});
}

TEST(BadTexts, EmptyTextIsEmbeddedLikeSentenceTransformers) {
  // An empty text is valid input: sentence-transformers embeds "" as [CLS] [SEP]. The catalogue records
  // the reaction; the embedding must equal the library's for "".
  const ts::CliResult r = ts::run_cli(kEncode, "{\"text\": \"\"}\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto line = nlohmann::json::parse(r.out);
  const radlite::BiEncoder enc = radlite::BiEncoder::load(kModels + "/bert-biencoder-cls-tiny");
  const radlite::Matrix m = enc.encode({""});
  ASSERT_EQ(line.at("embedding").size(), m.cols());
  for (std::size_t j = 0; j < m.cols(); ++j) EXPECT_NEAR(line["embedding"][j].get<double>(), m(0, j), 1e-6);
  EXPECT_EQ(enc.tokenize(""), (std::vector<std::int32_t>{101, 102}));
  record("JSON input lines (radlite encode / tokenize, stdin)", "encode: {\"text\": \"\"} (empty text)", "exit 0",
         "embedding of [CLS] [SEP], as sentence-transformers gives");
}

}  // namespace
