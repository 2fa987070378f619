// Differential test against Hugging Face tokenizers 0.23.2 on synthetic stress texts (many scripts, emoji,
// unusual spaces and controls, literal special tokens, long texts): tests/data/tokenizers/extra, made by
// tests/bench/hf_reference.sh. Complements the recorded fixtures with inputs they do not cover.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "fixtures.h"
#include "radlite/tokenizer.h"

using nlohmann::json;
using radlite::Tokenizer;
using radlite::test_support::load_fixture;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;

struct Counts {
  std::size_t checked = 0, mismatches = 0;
  std::string report;
};

// Ids and type ids of every single text and pair, no truncation.
Counts compare(const Tokenizer& tok, const json& fx) {
  Counts c;
  auto note = [&](const std::string& what) {
    if (++c.mismatches <= 3) c.report += what + "\n";
  };
  for (const auto& e : fx["single"]) {
    ++c.checked;
    auto enc = tok.encode(e["text"].get<std::string>());
    if (enc.ids != e["input_ids"].get<std::vector<std::int32_t>>() ||
        enc.type_ids != e["token_type_ids"].get<std::vector<std::int32_t>>())
      note("single: " + e["text"].dump());
  }
  for (const auto& e : fx["pairs"]) {
    ++c.checked;
    auto enc = tok.encode_pair(e["query"].get<std::string>(), e["doc"].get<std::string>());
    if (enc.ids != e["input_ids"].get<std::vector<std::int32_t>>() ||
        enc.type_ids != e["token_type_ids"].get<std::vector<std::int32_t>>())
      note("pair: " + e["query"].dump() + " / " + e["doc"].dump());
  }
  return c;
}

// The parameter names tests/data/tokenizers/extra/<name>.json, which records its tokenizer file.
class HfStress : public ::testing::TestWithParam<std::string> {};

std::string tokenizer_path(const std::string& rel) {
  // The fixture records the tokenizer path relative to tests/data/tokenizers.
  return kData + "/tokenizers/" + rel;
}

}  // namespace

TEST_P(HfStress, IdsIdenticalToHuggingFace) {
  json fx = load_fixture(kData + "/tokenizers/extra/" + GetParam() + ".json");
  ASSERT_EQ(fx["single"].size(), 277u);
  ASSERT_EQ(fx["pairs"].size(), 120u);
  Tokenizer tok = Tokenizer::from_path(tokenizer_path(fx["tokenizer"].get<std::string>()));
  Counts c = compare(tok, fx);
  EXPECT_EQ(c.checked, 397u);
  EXPECT_EQ(c.mismatches, 0u) << c.report;
}

// The comparison can fail: another tokenizer's ids, or the right tokenizer with special tokens dropped, mismatch.
TEST_P(HfStress, ComparisonDetectsWrongIds) {
  json fx = load_fixture(kData + "/tokenizers/extra/" + GetParam() + ".json");
  std::string other =
      GetParam() == "roberta-base" ? "files/bert-base-uncased/tokenizer.json" : "files/roberta-base/tokenizer.json";
  Counts wrong = compare(Tokenizer::from_path(tokenizer_path(other)), fx);
  EXPECT_GT(wrong.mismatches, wrong.checked * 9 / 10);

  Tokenizer tok = Tokenizer::from_path(tokenizer_path(fx["tokenizer"].get<std::string>()));
  std::size_t differ = 0;
  for (const auto& e : fx["single"]) {
    auto enc = tok.encode(e["text"].get<std::string>(), {/*add_special_tokens*/ false, 0});
    if (enc.ids != e["input_ids"].get<std::vector<std::int32_t>>()) ++differ;
  }
  EXPECT_EQ(differ, fx["single"].size());
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, HfStress,
                         ::testing::Values("roberta-base", "bert-base-uncased", "all-MiniLM-L6-v2", "xlmr-sp-tiny"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });
