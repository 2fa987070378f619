// Pipeline variants against Hugging Face tokenizers: the bundled tokenizer.json files with some sections replaced
// (Oniguruma patterns with Unicode classes and empty matches, Strip, Unigram with other normalizers and
// pre-tokenizers), and the ids HF tokenizers 0.23.2 gives for each text (tests/data/tokenizers/
// pipeline-cases-hf.json, made by reference_tools/make_pipeline_cases.js from reference_tools/pipeline_cases.json).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "radlite/tokenizer.h"

using nlohmann::json;
using radlite::EncodeOptions;
using radlite::Tokenizer;
using radlite::test_support::load_fixture;
using radlite::test_support::show_ids;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;
const std::string kRepo = kData + "/../..";  // the specs name base files by their path in the repository

Tokenizer build(const json& c) {
  json tj = load_fixture(kRepo + "/" + c["base"].get<std::string>());
  for (auto it = c["set"].begin(); it != c["set"].end(); ++it) tj[it.key()] = it.value();
  return Tokenizer::from_json(tj.dump());
}

// Texts whose ids differ from the recorded ones; `report` adds a test failure for each.
int mismatches(const Tokenizer& tok, const json& c, const json& texts, bool report, const std::string& suffix = "") {
  int bad = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>() + suffix;
    const auto expected = c["ids"][i].get<std::vector<std::int32_t>>();
    const auto got = tok.encode(text).ids;
    if (got == expected) continue;
    ++bad;
    if (report)
      ADD_FAILURE() << c["name"].get<std::string>() << ": " << json(text).dump() << "\n  got      " << show_ids(got)
                    << "\n  expected " << show_ids(expected);
  }
  return bad;
}

}  // namespace

TEST(PipelineCases, IdsIdenticalToHuggingFace) {
  const json fx = load_fixture(kData + "/tokenizers/pipeline-cases-hf.json");
  ASSERT_GE(fx["cases"].size(), 10u);
  std::size_t texts = 0;
  for (const auto& c : fx["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const Tokenizer tok = build(c);
    EXPECT_EQ(mismatches(tok, c, fx["texts"], true), 0);
    texts += fx["texts"].size();
  }
  std::printf("pipeline cases: %zu cases, %zu texts compared with HF tokenizers\n", fx["cases"].size(), texts);
}

// The comparison notices a changed text and a changed pipeline.
TEST(PipelineCases, ComparisonDetectsDifferences) {
  const json fx = load_fixture(kData + "/tokenizers/pipeline-cases-hf.json");
  for (const auto& c : fx["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const Tokenizer tok = build(c);
    EXPECT_GT(mismatches(tok, c, fx["texts"], false, " zq"), static_cast<int>(fx["texts"].size()) / 2);
    json plain = c;
    plain["set"] = json::object();  // the base tokenizer, without the variant's sections
    EXPECT_GT(mismatches(build(plain), c, fx["texts"], false), 0);
  }
}
