// XLM-RoBERTa / SentencePiece tokenizers through radlite::Tokenizer: the Unigram tokenizer.json and the .model files
// (XLM-RoBERTa id convention) against the recorded fixtures and the xlmr tiny model's golden ids.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "fixtures.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"

using nlohmann::json;
using radlite::EncodeOptions;
using radlite::Encoding;
using radlite::Tokenizer;
using radlite::test_support::load_fixture;
using radlite::test_support::show_ids;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;
const std::string kModels = RADLITE_MODELS_DIR;
const std::string kSpFiles = kData + "/tokenizers/files/sentencepiece-test";
const std::string kXlmrDir = kModels + "/xlmr-biencoder-sp-tiny";

// Mismatching entries of a fixture (ids and, where recorded, type ids); the first few are described in report.
std::size_t mismatches(const Tokenizer& tok, const json& fx, std::string& report) {
  std::size_t bad = 0;
  EncodeOptions s, p;
  s.max_length = fx["max_length_single"].get<std::size_t>();
  p.max_length = fx["max_length_pair"].get<std::size_t>();
  auto check = [&](const Encoding& e, const json& entry, const std::string& what) {
    auto want = entry["input_ids"].get<std::vector<std::int32_t>>();
    bool ok = e.ids == want;
    if (ok && entry.contains("token_type_ids") && entry["token_type_ids"].is_array())
      ok = e.type_ids == entry["token_type_ids"].get<std::vector<std::int32_t>>();
    if (!ok && ++bad <= 3) report += what + "\n  want " + show_ids(want) + "\n  got  " + show_ids(e.ids) + "\n";
  };
  for (const auto& e : fx["single"]) check(tok.encode(e["text"].get<std::string>(), s), e, e["text"].dump());
  for (const auto& e : fx["pairs"])
    check(tok.encode_pair(e["query"].get<std::string>(), e["doc"].get<std::string>(), p), e,
          e["query"].dump() + " / " + e["doc"].dump());
  return bad;
}

void expect_fixture(const std::string& tokenizer_path, const std::string& fixture) {
  SCOPED_TRACE(tokenizer_path + " vs " + fixture);
  json fx = load_fixture(kData + "/tokenizers/" + fixture);
  ASSERT_GT(fx["single"].size() + fx["pairs"].size(), 300u);
  std::string report;
  EXPECT_EQ(mismatches(Tokenizer::from_path(tokenizer_path), fx, report), 0u) << report;
}

}  // namespace

TEST(XlmrTokenizer, UnigramModelFile) { expect_fixture(kSpFiles + "/test_model.model", "sp-unigram-test-xlmr.json"); }

TEST(XlmrTokenizer, BpeModelFile) { expect_fixture(kSpFiles + "/sp_bpe_2k.model", "sp-bpe-2k-xlmr.json"); }

TEST(XlmrTokenizer, UnigramTokenizerJson) {
  // The tiny model's tokenizer.json is the same 1000-piece unigram model converted by transformers.
  expect_fixture(kXlmrDir + "/tokenizer.json", "sp-unigram-test-xlmr.json");
}

// Generated adversarial texts with ids recorded from HF tokenizers 0.23.2 on the Unigram tokenizer.json.
TEST(XlmrTokenizer, AdversarialTextsAgainstHfTokenizers) {
  expect_fixture(kXlmrDir + "/tokenizer.json", "hf-adversarial-xlmr.json");
}

TEST(XlmrTokenizer, GoldenIdsThroughDirectoryAndModelFile) {
  json g = load_fixture(kData + "/golden/xlmr-biencoder-sp-tiny.json");
  EncodeOptions o;
  o.max_length = g["max_seq_length"].get<std::size_t>();
  for (const std::string& path : {kXlmrDir, kXlmrDir + "/sentencepiece.bpe.model"}) {
    SCOPED_TRACE(path);
    Tokenizer tok = Tokenizer::from_path(path);
    EXPECT_EQ(tok.model_max_length(), 256u);
    EXPECT_EQ(tok.pad_id(), 1);
    EXPECT_EQ(tok.token_to_id("<mask>"), 1001);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < g["texts"].size(); ++i)
      if (tok.encode(g["texts"][i].get<std::string>(), o).ids != g["input_ids"][i].get<std::vector<std::int32_t>>())
        ++bad;
    EXPECT_EQ(bad, 0u);
  }
}

TEST(XlmrTokenizer, MismatchesAreDetected) {
  json fx = load_fixture(kData + "/tokenizers/sp-unigram-test-xlmr.json");
  const std::size_t total = fx["single"].size() + fx["pairs"].size();
  std::string report;
  // The BPE model on the unigram fixture, and the unigram model without the XLM-R special tokens.
  EXPECT_GT(mismatches(Tokenizer::from_path(kSpFiles + "/sp_bpe_2k.model"), fx, report), total * 8 / 10);
  Tokenizer uni = Tokenizer::from_path(kSpFiles + "/test_model.model");
  std::size_t differs = 0;
  EncodeOptions no_special;
  no_special.add_special_tokens = false;
  no_special.max_length = 512;
  for (const auto& e : fx["single"])
    if (uni.encode(e["text"].get<std::string>(), no_special).ids != e["input_ids"].get<std::vector<std::int32_t>>())
      ++differs;
  EXPECT_EQ(differs, fx["single"].size());
}

TEST(XlmrTokenizer, DecodeAndInvalidUtf8) {
  Tokenizer tok = Tokenizer::from_path(kXlmrDir);
  Encoding e = tok.encode("Hello world");
  EXPECT_EQ(e.ids.front(), 0);
  EXPECT_EQ(e.ids.back(), 2);
  EXPECT_EQ(tok.decode(e.ids), "Hello world");
  Encoding bad = tok.encode("ab\xff\xfe cd");
  EXPECT_EQ(bad.ids, tok.encode("ab\xEF\xBF\xBD\xEF\xBF\xBD cd").ids);
}
