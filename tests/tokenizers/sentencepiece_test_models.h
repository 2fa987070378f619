// What the SentencePiece tests (sentencepiece_*_test.cpp) share: the models they run on, how a tokenizer.json or
// the bytes of a .model reach the library, and the error check.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "radlite/tokenizer.h"
#include "support/sentencepiece_native.h"

namespace sentencepiece_tests {

namespace rt = radlite::test_support;

inline const std::string kData = RADLITE_TEST_DATA_DIR;
inline const std::string kUnigramModel = kData + "/tokenizers/files/sentencepiece-test/test_model.model";
inline const std::string kBpeModel = kData + "/tokenizers/files/sentencepiece-test/sp_bpe_2k.model";
inline const std::string kTinyDir = std::string(RADLITE_MODELS_DIR) + "/xlmr-biencoder-sp-tiny";
inline const std::string kTinyGolden = kData + "/golden/xlmr-biencoder-sp-tiny.json";

// A tokenizer.json through the library's one pipeline, behind the test interface.
inline std::unique_ptr<const rt::SentencePieceModel> hf(const nlohmann::json& tokenizer_json) {
  return rt::through_tokenizer(radlite::Tokenizer::from_json(tokenizer_json.dump()));
}

// The bytes of a .model through the library's converter (Tokenizer::from_path), from a file named after `name`.
inline std::unique_ptr<const rt::SentencePieceModel> xlmr_from_bytes(const std::string& bytes,
                                                                     const std::string& name) {
  const std::string path = testing::TempDir() + "/radlite_sp_xlmr_" + name + ".model";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return rt::through_tokenizer(radlite::Tokenizer::from_path(path));
}

template <class E, class F>
void expect_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << fragment << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace sentencepiece_tests
