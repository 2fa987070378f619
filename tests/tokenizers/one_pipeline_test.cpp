// The behaviours that had drifted apart between the two tokenizer pipelines, now decided once (issue 9), and the
// malformed values that used to be accepted silently (issue 8): Strip's fields, Unicode normalization failure, the
// one list of tokenizer file names, model_max_length, max_input_chars_per_word, non-finite .model scores.
// (Empty regex matches and Unigram files with other normalizers / pre-tokenizers are compared with HF tokenizers'
// own ids in pipeline_cases_test.cpp.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/file_util.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"
#include "support/model_proto_writer.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/tokenizer_files.h"
#include "tokenizers/unicode.h"

using nlohmann::json;
using radlite::Tokenizer;
namespace fs = std::filesystem;
namespace rt = radlite::tokenizers;

namespace {

const std::string kModels = RADLITE_MODELS_DIR;
const std::string kData = RADLITE_TEST_DATA_DIR;

template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception of the expected type";
  return "";
}

std::string fresh_dir(const std::string& name) {
  const fs::path d = fs::path(testing::TempDir()) / ("radlite_one_pipeline_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

}  // namespace

// HF's Strip has no defaults (its deserializer requires both fields); the Unigram side used to default them to
// false and the other side to true. Now a missing field is a FormatError on every model.
TEST(OnePipeline, StripNeedsBothFieldsOnEveryModel) {
  for (const std::string base : {"/bert-biencoder-cls-tiny/tokenizer.json", "/xlmr-biencoder-sp-tiny/tokenizer.json"}) {
    SCOPED_TRACE(base);
    json tj = radlite::io::read_json_file(kModels + base);
    tj["normalizer"] = {{"type", "Strip"}, {"strip_left", true}};
    const std::string what = error_of<radlite::FormatError>([&] { Tokenizer::from_json(tj.dump()); });
    EXPECT_NE(what.find("normalizer.strip_right"), std::string::npos) << what;
    tj["normalizer"] = {{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}};
    const Tokenizer tok = Tokenizer::from_json(tj.dump());
    // Left stripped, right kept: the trailing spaces reach the pre-tokenizer (which drops them on both models).
    EXPECT_EQ(tok.encode("  cancer  ").ids, tok.encode("cancer").ids);
  }
  EXPECT_EQ(
      [] {
        std::string s = " \t x \n";
        rt::make_normalizer({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}}, {"t", "n"})
            ->normalize(s);
        return s;
      }(),
      " \t x");
}

// One Unicode normalization, and it fails loudly: the Unigram side used to return its input unchanged.
TEST(OnePipeline, NormalizationFailureIsAnError) {
  for (const char* form : {"NFC", "NFD", "NFKC", "NFKD"}) {
    auto n = rt::make_normalizer({{"type", form}}, {"t", "normalizer"});
    std::string ok = "A\xCC\x8A";  // A + combining ring
    n->normalize(ok);
    EXPECT_EQ(ok, rt::unicode::normalize(
                      "A\xCC\x8A", form[2] == 'K'
                                       ? (form[3] == 'C' ? rt::unicode::NormForm::NFKC : rt::unicode::NormForm::NFKD)
                                       : (form[2] == 'C' ? rt::unicode::NormForm::NFC : rt::unicode::NormForm::NFD)));
    std::string bad = "x\xC3";  // invalid UTF-8: only reachable here, the Tokenizer repairs its input first
    EXPECT_THROW(n->normalize(bad), radlite::InvalidArgument) << form;
  }
}

// The tokenizer loader and the encoders share one list of file names. spiece.model is not on it (T5 / ALBERT use
// other id conventions): a directory with only spiece.model has no tokenizer, so the encoders load it for the ids
// path instead of failing inside Tokenizer::from_path.
TEST(OnePipeline, OneListOfTokenizerFiles) {
  const std::string only_spiece = fresh_dir("spiece");
  fs::copy_file(kData + "/tokenizers/files/sentencepiece-test/test_model.model", only_spiece + "/spiece.model");
  EXPECT_FALSE(rt::has_tokenizer_files(only_spiece));
  const std::string what = error_of<radlite::IoError>([&] { Tokenizer::from_path(only_spiece); });
  EXPECT_NE(what.find(rt::tokenizer_files_text()), std::string::npos) << what;
  EXPECT_EQ(rt::tokenizer_files_text(),
            "tokenizer.json, vocab.json + merges.txt, vocab.txt or sentencepiece.bpe.model");
  // The files a model identity hashes include every file the loader reads.
  const auto hashed = [](const char* name) {
    for (const char* f : rt::kTokenizerInputFiles)
      if (std::string(f) == name) return true;
    return false;
  };
  for (const auto& f : rt::kTokenizerFiles) {
    EXPECT_TRUE(hashed(f.name)) << f.name;
    if (f.companion) EXPECT_TRUE(hashed(f.companion)) << f.companion;
  }
  EXPECT_FALSE(hashed("config.json"));  // read by the model, not the tokenizer (the check can fail)

  // Every listed file is found and loads, in the list's order of preference.
  for (const auto& f : rt::kTokenizerFiles) {
    const std::string dir = fresh_dir(std::string("has_") + f.name);
    if (std::string(f.name) == "tokenizer.json")
      fs::copy_file(kModels + "/bert-biencoder-cls-tiny/tokenizer.json", dir + "/tokenizer.json");
    else if (std::string(f.name) == "vocab.json")
      for (const char* n : {"vocab.json", "merges.txt"})
        fs::copy_file(kModels + "/roberta-biencoder-tiny-st5/" + n, dir + "/" + n);
    else if (std::string(f.name) == "vocab.txt")
      fs::copy_file(kModels + "/bert-crossencoder-tiny-vocab/vocab.txt", dir + "/vocab.txt");
    else
      fs::copy_file(kModels + "/xlmr-biencoder-sp-tiny/sentencepiece.bpe.model", dir + "/" + f.name);
    fs::copy_file(kData + "/tokenizers/files/sentencepiece-test/test_model.model", dir + "/spiece.model");
    SCOPED_TRACE(f.name);
    EXPECT_TRUE(rt::has_tokenizer_files(dir));
    EXPECT_GT(Tokenizer::from_path(dir).encode("hepatic lesion").ids.size(), 2u);
  }
}

// Values HF or transformers would not read, once accepted by truncation or clamping.
TEST(OnePipeline, MalformedNumbersAreRefused) {
  const std::string dir = fresh_dir("max_length");
  fs::copy_file(kModels + "/bert-biencoder-cls-tiny/tokenizer.json", dir + "/tokenizer.json");
  std::ofstream(dir + "/tokenizer_config.json") << R"({"model_max_length": 7.9})";
  std::string what = error_of<radlite::FormatError>([&] { Tokenizer::from_path(dir); });
  EXPECT_NE(what.find("tokenizer_config.json: field 'model_max_length'"), std::string::npos) << what;
  std::ofstream(dir + "/tokenizer_config.json", std::ios::trunc) << R"({"model_max_length": 1e30})";
  EXPECT_EQ(Tokenizer::from_path(dir).model_max_length(), 0u);  // transformers' "no limit"
  std::ofstream(dir + "/tokenizer_config.json", std::ios::trunc) << R"({"model_max_length": 128})";
  EXPECT_EQ(Tokenizer::from_path(dir).model_max_length(), 128u);

  json tj = radlite::io::read_json_file(kModels + "/bert-biencoder-cls-tiny/tokenizer.json");
  tj["model"]["max_input_chars_per_word"] = -1;
  what = error_of<radlite::FormatError>([&] { Tokenizer::from_json(tj.dump()); });
  EXPECT_NE(what.find("model.max_input_chars_per_word"), std::string::npos) << what;
}

// A .model whose piece score is NaN (SentencePiece would let it poison every Viterbi sum).
TEST(OnePipeline, NonFiniteSentencePieceScoreIsRefused) {
  using radlite::test_support::join_model;
  auto piece = [](const std::string& text, float score, int type) { return join_model({{text, score, type}}, "", ""); };
  const std::string dir = fresh_dir("nan_model");
  const std::string good = piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3) +
                           piece(
                               "\xE2\x96\x81"
                               "a",
                               -1, 1);
  std::ofstream(dir + "/good.model", std::ios::binary) << good;
  EXPECT_EQ(Tokenizer::from_path(dir + "/good.model").encode("a").ids, (std::vector<std::int32_t>{0, 4, 2}));
  std::ofstream(dir + "/nan.model", std::ios::binary) << good + piece(
                                                                    "\xE2\x96\x81"
                                                                    "b",
                                                                    std::nanf(""), 1);
  const std::string what = error_of<radlite::FormatError>([&] { Tokenizer::from_path(dir + "/nan.model"); });
  EXPECT_NE(what.find("not finite"), std::string::npos) << what;
}
