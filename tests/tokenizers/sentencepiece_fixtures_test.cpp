// Parity of the SentencePiece code with the reference outputs (sentencepiece 0.2.2, transformers 5.17 /
// tokenizers 0.23.2) over the shared public texts: raw .model segmentation, the XLM-R id convention through
// Tokenizer::from_path, and the tiny model's golden ids through its tokenizer.json and its .model; plus the
// controls that show these checks can fail.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "radlite/tokenizer.h"
#include "sentencepiece_test_models.h"
#include "support/sentencepiece_fixtures.h"

using namespace sentencepiece_tests;
using rt::check_golden;
using rt::check_raw;
using rt::check_xlmr;
using rt::encode;
using rt::ids_of;

TEST(SentencePiece, RawUnigramFixture) {
  const auto m = rt::native_sentencepiece_file(kUnigramModel);
  const rt::FixtureCount c = check_raw(*m, kData + "/tokenizers/sp-unigram-test.json");
  std::printf("sp-unigram-test: %d/%d texts match (ids and pieces)\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, RawBpeFixture) {
  const auto m = rt::native_sentencepiece_file(kBpeModel);
  const rt::FixtureCount c = check_raw(*m, kData + "/tokenizers/sp-bpe-2k.json");
  std::printf("sp-bpe-2k: %d/%d texts match (ids and pieces)\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, XlmrUnigramFixture) {
  const auto m = rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel));
  const rt::FixtureCount c = check_xlmr(*m, kData + "/tokenizers/sp-unigram-test-xlmr.json");
  std::printf("sp-unigram-test-xlmr: %d/%d entries match\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228 + 99);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, XlmrBpeFixture) {
  const auto m = rt::through_tokenizer(radlite::Tokenizer::from_path(kBpeModel));
  const rt::FixtureCount c = check_xlmr(*m, kData + "/tokenizers/sp-bpe-2k-xlmr.json");
  std::printf("sp-bpe-2k-xlmr: %d/%d entries match\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228 + 99);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, GoldenThroughTokenizerJson) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  const auto m = hf(tj);
  const rt::FixtureCount c = check_golden(*m, kTinyGolden);
  std::printf("xlmr-biencoder-sp-tiny via tokenizer.json: %d/%d texts match\n", c.ok, c.total);
  EXPECT_GT(c.total, 0);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, GoldenThroughSpmModel) {
  const auto m = rt::through_tokenizer(radlite::Tokenizer::from_path(kTinyDir + "/sentencepiece.bpe.model"));
  const rt::FixtureCount c = check_golden(*m, kTinyGolden);
  std::printf("xlmr-biencoder-sp-tiny via sentencepiece.bpe.model: %d/%d texts match\n", c.ok, c.total);
  EXPECT_GT(c.total, 0);
  EXPECT_EQ(c.ok, c.total);
}

// ---------------------------------------------------------------------------------------------------------------
// The parity checks above can fail: wrong id convention, changed configuration and changed text all show up.

TEST(SentencePiece, ParityChecksDetectDifferences) {
  // Raw spm ids against the XLM-R fixture: the id shift alone breaks nearly every entry.
  const auto raw = rt::native_sentencepiece_file(kUnigramModel);
  const rt::FixtureCount shifted = check_xlmr(*raw, kData + "/tokenizers/sp-unigram-test-xlmr.json", false);
  EXPECT_LT(shifted.ok, shifted.total / 10) << "xlmr_ids=false must not match the XLM-R fixture";

  // XLM-R ids against the raw fixture.
  const auto xlmr = rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel));
  const rt::FixtureCount raw_vs_xlmr = check_raw(*xlmr, kData + "/tokenizers/sp-unigram-test.json", false);
  EXPECT_LT(raw_vs_xlmr.ok, raw_vs_xlmr.total / 10);

  // The Hugging Face pipeline without its Precompiled normalizer or without WhitespaceSplit: the goldens with
  // accents, full-width forms, tabs and newlines must then fail.
  auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  auto no_norm = tj;
  no_norm["normalizer"] = nullptr;
  const rt::FixtureCount c1 = check_golden(*hf(no_norm), kTinyGolden, false);
  EXPECT_LT(c1.ok, c1.total);
  auto no_ws = tj;
  no_ws["pre_tokenizer"] = no_ws["pre_tokenizer"]["pretokenizers"][1];
  const rt::FixtureCount c2 = check_golden(*hf(no_ws), kTinyGolden, false);
  EXPECT_LT(c2.ok, c2.total);
  std::printf(
      "negative controls: raw-vs-xlmr %d/%d, xlmr-vs-raw %d/%d, no normalizer %d/%d, no WhitespaceSplit %d/%d\n",
      shifted.ok, shifted.total, raw_vs_xlmr.ok, raw_vs_xlmr.total, c1.ok, c1.total, c2.ok, c2.total);

  // A one-character change in the text changes the ids.
  const auto a = ids_of(encode(*raw, "What are the imaging features of hepatocellular carcinoma on MRI?"));
  const auto b = ids_of(encode(*raw, "What are the imaging features of hepatocellular carcinoma on MRU?"));
  EXPECT_NE(a, b);
}

// The score tie that libsentencepiece 0.1.97 (the system library) breaks the other way from 0.2.2.
TEST(SentencePiece, UnigramTieFollowsSentencePiece02) {
  const auto m = rt::native_sentencepiece_file(kUnigramModel);
  std::vector<std::string> pieces;
  for (const auto& p : encode(*m, "---")) pieces.push_back(p.text);
  EXPECT_EQ(pieces, (std::vector<std::string>{"▁", "-", "--"}));
}
