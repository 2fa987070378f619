// SentencePiece code on bad input: empty, whitespace-only, invalid UTF-8 and huge texts; missing, truncated and
// garbage .model files; malformed tokenizer.json fields; randomly corrupted models and charsmaps (an exception
// or a result, never a crash).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"
#include "sentencepiece_test_models.h"
#include "support/sentencepiece_fixtures.h"

using namespace sentencepiece_tests;
using rt::encode;
using rt::ids_of;

TEST(SentencePiece, EmptyWhitespaceAndInvalidUtf8) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  std::vector<std::unique_ptr<const rt::SentencePieceModel>> models;
  models.push_back(rt::native_sentencepiece_file(kUnigramModel));
  models.push_back(rt::native_sentencepiece_file(kBpeModel));
  models.push_back(rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel)));
  models.push_back(hf(tj));
  for (std::size_t k = 0; k < models.size(); ++k) {
    const auto& m = models[k];
    EXPECT_TRUE(encode(*m, "").empty());
    EXPECT_TRUE(encode(*m, "    ").empty());
    // test_model.model keeps tabs and newlines as pieces (see the raw fixture); the Hugging Face pipelines split
    // them away.
    if (k >= 2) EXPECT_TRUE(encode(*m, " \t\n  \r\n \xE3\x80\x80").empty());
    // Invalid UTF-8 (lone continuation, truncated sequence, overlong '/', encoded surrogate, 0xFF) and NUL.
    const std::string bad = std::string("ab\x80 c\xC3 d\xC0\xAF e\xED\xA0\x80 f\xFF g") + std::string(1, '\0') + "h";
    const auto pieces = encode(*m, bad);
    EXPECT_FALSE(pieces.empty());
    for (const auto& p : pieces) {
      EXPECT_GE(p.id, 0);
      EXPECT_LT(static_cast<std::size_t>(p.id), m->vocab_size());
    }
    // A 1 MB input with no whitespace and one with many words.
    std::string big_word(1 << 20, 'a');
    EXPECT_FALSE(encode(*m, big_word).empty());
    std::string many;
    for (int i = 0; i < 20000; ++i) many += "hepatocellular carcinoma ";
    EXPECT_GE(encode(*m, many).size(), 40000u);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Bad files.

namespace {

std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = testing::TempDir() + "/radlite_sp_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace

TEST(SentencePiece, BadModelFiles) {
  expect_error<radlite::IoError>([] { rt::native_sentencepiece_file("/nonexistent/x.model"); }, "/nonexistent/x.model");
  const std::string data = radlite::io::read_file(kUnigramModel);
  const std::string truncated = write_temp("truncated.model", data.substr(0, data.size() / 2));
  expect_error<radlite::FormatError>([&] { rt::native_sentencepiece_file(truncated); }, truncated);
  const std::string garbage = write_temp("garbage.model", "this is not a protobuf \xFF\xFF\xFF\xFF\xFF");
  expect_error<radlite::FormatError>([&] { rt::through_tokenizer(radlite::Tokenizer::from_path(garbage)); }, garbage);
  // From memory: same result as from the file, and errors name the given origin.
  const auto from_bytes = rt::native_sentencepiece(data, "in-memory");
  const auto from_file = rt::native_sentencepiece_file(kUnigramModel);
  EXPECT_EQ(ids_of(encode(*from_bytes, "Hepatocellular carcinoma")),
            ids_of(encode(*from_file, "Hepatocellular carcinoma")));
  expect_error<radlite::FormatError>([&] { xlmr_from_bytes(data.substr(0, 100), "in-memory"); }, "in-memory");
  const std::string empty = write_temp("empty.model", "");
  expect_error<radlite::FormatError>([&] { rt::native_sentencepiece_file(empty); }, empty);
}

// Errors name the field, in the one message shape of the tokenizer.json reader.
TEST(SentencePiece, BadTokenizerJson) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  auto no_vocab = tj;
  no_vocab["model"].erase("vocab");
  expect_error<radlite::FormatError>([&] { hf(no_vocab); }, "field 'model.vocab': missing");
  auto bad_entry = tj;
  bad_entry["model"]["vocab"][7] = "just a string";
  expect_error<radlite::FormatError>([&] { hf(bad_entry); }, "model.vocab[7]");
  auto bpe = tj;
  bpe["model"]["type"] = "BPE";  // a BPE vocabulary is an object
  expect_error<radlite::FormatError>([&] { hf(bpe); }, "model.vocab");
  auto bad_b64 = tj;
  bad_b64["normalizer"]["precompiled_charsmap"] = "@@@@";
  expect_error<radlite::FormatError>([&] { hf(bad_b64); }, "normalizer.precompiled_charsmap");
  auto short_blob = tj;
  short_blob["normalizer"]["precompiled_charsmap"] = "AQID";  // 3 bytes
  expect_error<radlite::FormatError>([&] { hf(short_blob); }, "precompiled_charsmap");
  auto bad_unk = tj;
  bad_unk["model"]["unk_id"] = 99999;
  expect_error<radlite::FormatError>([&] { hf(bad_unk); }, "model.unk_id");
  expect_error<radlite::FormatError>([&] { hf(nlohmann::json::array()); }, "expected a JSON object");
  // What the separate Unigram pipeline refused now loads: every normalizer serves every model (HF parity of such
  // files: pipeline_cases_test.cpp).
  auto bert_norm = tj;
  bert_norm["normalizer"] = {{"type", "BertNormalizer"}};
  EXPECT_FALSE(encode(*hf(bert_norm), "Hello World").empty());
}

// Corrupted inputs must give an exception or a result, never a crash (run under the sanitizer build too).
TEST(SentencePiece, CorruptedCharsmapAndModelDoNotCrash) {
  std::mt19937 rng(7u);
  const std::string model = radlite::io::read_file(kUnigramModel);
  int rejected = 0;
  for (int n = 0; n < 200; ++n) {
    std::string mutated = model;
    for (int k = 0; k < 8; ++k) {
      mutated[std::uniform_int_distribution<std::size_t>(0, mutated.size() - 1)(rng)] =
          static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    const std::string path = testing::TempDir() + "/radlite_sp_mutated.model";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << mutated;
    try {
      for (const bool xlmr : {false, true}) {
        const auto m =
            xlmr ? rt::through_tokenizer(radlite::Tokenizer::from_path(path)) : rt::native_sentencepiece_file(path);
        std::vector<rt::Piece> out;
        m->encode("Hepatocellular carcinoma \xC3\xA9 \xEF\xBC\xA1 \xF0\x9F\x98\x80 end", out);
      }
    } catch (const radlite::Error&) {
      ++rejected;
    }
  }
  std::printf("mutated models: %d of 200 rejected with radlite::Error, the rest encoded\n", rejected);

  // The same for the BPE model (our BPE segmenter and decoder on whatever vocabulary survives).
  const std::string bpe = radlite::io::read_file(kBpeModel);
  int bpe_rejected = 0;
  for (int n = 0; n < 200; ++n) {
    std::string mutated = bpe;
    for (int k = 0; k < 8; ++k) {
      mutated[std::uniform_int_distribution<std::size_t>(0, mutated.size() - 1)(rng)] =
          static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    try {
      const auto m = rt::native_sentencepiece(mutated, "mutated-bpe");
      std::vector<rt::Piece> out;
      m->encode("Hepatocellular carcinoma \xC3\xA9 \xEF\xBC\xA1 \xF0\x9F\x98\x80 end", out);
      std::vector<std::int32_t> ids = ids_of(out);
      for (std::int32_t id = 0; id < 300 && static_cast<std::size_t>(id) < m->vocab_size(); ++id) ids.push_back(id);
      m->decode(ids);
    } catch (const radlite::Error&) {
      ++bpe_rejected;
    }
  }
  std::printf("mutated BPE models: %d of 200 rejected with radlite::Error, the rest encoded and decoded\n",
              bpe_rejected);

  auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string original = tj["normalizer"]["precompiled_charsmap"].get<std::string>();
  for (int n = 0; n < 200; ++n) {
    std::string b64 = original;
    for (int k = 0; k < 16; ++k) {
      b64[std::uniform_int_distribution<std::size_t>(0, b64.size() - 1)(rng)] =
          kB64[std::uniform_int_distribution<int>(0, 63)(rng)];
    }
    if (n % 4 == 0) b64 = b64.substr(0, b64.size() / 2 / 4 * 4);
    tj["normalizer"]["precompiled_charsmap"] = b64;
    try {
      const auto m = hf(tj);
      std::vector<rt::Piece> out;
      m->encode("Hepatocellular carcinoma \xC3\xA9 \xEF\xBC\xA1 \xF0\x9F\x98\x80 e\xCC\x81 end", out);
    } catch (const radlite::Error&) {
    }
  }
}
