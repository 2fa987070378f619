// The SentencePiece code's API and pipeline: decode round trips and vocabulary lookups, the Hugging Face
// normalizers, pre-tokenizers and decoders on a hand-made Unigram vocabulary where the expected result is forced,
// and concurrent encodes.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"
#include "sentencepiece_test_models.h"
#include "support/sentencepiece_fixtures.h"

using namespace sentencepiece_tests;
using rt::encode;
using rt::ids_of;

TEST(SentencePiece, DecodeRoundTrip) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  const auto texts = radlite::io::read_json_file(kData + "/texts/public_texts.json");
  std::vector<std::unique_ptr<const rt::SentencePieceModel>> models;
  models.push_back(rt::native_sentencepiece_file(kUnigramModel));
  models.push_back(rt::native_sentencepiece_file(kBpeModel));
  models.push_back(rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel)));
  models.push_back(hf(tj));
  for (const auto& m : models) {
    int checked = 0;
    for (const auto& t : texts) {
      const std::string text = t.is_string() ? t.get<std::string>() : t.at("text").get<std::string>();
      // Texts that normalization leaves alone: printable ASCII, single spaces, no edge spaces.
      bool plain = !text.empty() && text.front() != ' ' && text.back() != ' ' && text.find("  ") == std::string::npos;
      for (const char c : text) plain = plain && c >= 0x20 && c < 0x7F;
      if (!plain) continue;
      const auto pieces = encode(*m, text);
      bool has_unk = false;
      for (const auto& p : pieces) has_unk = has_unk || p.id == m->unk_id();
      if (has_unk) continue;
      EXPECT_EQ(m->decode(ids_of(pieces)), text);
      ++checked;
    }
    EXPECT_GT(checked, 100);
  }
  const auto m = rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel));
  EXPECT_EQ(m->id_to_piece(0), "<s>");
  EXPECT_EQ(m->id_to_piece(3), "<unk>");
  EXPECT_EQ(m->id_to_piece(static_cast<std::int32_t>(m->vocab_size() - 1)), "<mask>");
  EXPECT_EQ(m->vocab_size(), 1002u);
  EXPECT_EQ(m->piece_to_id("▁the"), 8);
  EXPECT_EQ(m->piece_to_id("no such piece"), -1);
  EXPECT_EQ(m->unk_id(), 3);
  EXPECT_THROW(m->id_to_piece(-1), radlite::InvalidArgument);
  EXPECT_THROW(m->id_to_piece(1002), radlite::InvalidArgument);
  EXPECT_THROW(m->decode({5, 5000}), radlite::InvalidArgument);
}

// ---------------------------------------------------------------------------------------------------------------
// Pipeline pieces the goldens do not exercise, on a hand-made vocabulary where the expected result is forced.

namespace {

nlohmann::json small_unigram(bool byte_fallback, bool with_unk) {
  nlohmann::json vocab = nlohmann::json::array();
  vocab.push_back({"<unk>", 0.0});
  for (const char* p : {"\xE2\x96\x81"
                        "a",
                        "\xE2\x96\x81", "y", "b", "yb",
                        "\xE2\x96\x81"
                        "ab"}) {
    vocab.push_back({p, -1.0});
  }
  if (byte_fallback) {
    char buf[8];
    for (int b = 0; b < 256; ++b) {
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      vocab.push_back({buf, -10.0});
    }
  }
  nlohmann::json model = {{"type", "Unigram"}, {"vocab", vocab}, {"byte_fallback", byte_fallback}};
  if (with_unk) model["unk_id"] = 0;
  return {{"model", model}};
}

std::vector<std::string> texts_of(const rt::SentencePieceModel& m, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& p : encode(m, text)) out.push_back(p.text);
  return out;
}

}  // namespace

TEST(SentencePiece, HuggingFacePipelineComponents) {
  using V = std::vector<std::string>;
  auto tj = small_unigram(false, true);
  tj["normalizer"] = {{"type", "Sequence"},
                      {"normalizers",
                       {{{"type", "Replace"}, {"pattern", {{"String", "x"}}}, {"content", "y"}},
                        {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}},
                        {{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}}}};
  tj["pre_tokenizer"] = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}, {"split", true}};
  // "  a   xb " -> "a yb" -> "▁a▁yb" -> words "▁a", "▁yb"; "yb" beats "y" + "b" (one piece, -1 against -2).
  EXPECT_EQ(texts_of(*hf(tj), "  a   xb "), (V{"▁a", "▁", "yb"}));
  // Without split the Viterbi sees "▁a▁yb" whole and "▁ab" cannot form; same pieces.
  tj["pre_tokenizer"]["split"] = false;
  EXPECT_EQ(texts_of(*hf(tj), "a xb"), (V{"▁a", "▁", "yb"}));
  // prepend_scheme never: no leading "▁"; consecutive unknowns ("qq") fuse into one <unk> token.
  tj["pre_tokenizer"]["prepend_scheme"] = "never";
  const auto never = hf(tj);
  EXPECT_EQ(texts_of(*never, "ybqq"), (V{"yb", "<unk>"}));  // Encoding.tokens spell ids as the vocabulary does
  EXPECT_EQ(ids_of(encode(*never, "ybqq")), (std::vector<std::int32_t>{5, 0}));
  // A duplicated piece takes its last id, as tokenizers' vocabulary hash map does.
  auto dup = tj;
  dup["model"]["vocab"].push_back({"yb", -1.0});
  EXPECT_EQ(ids_of(encode(*hf(dup), "yb")), (std::vector<std::int32_t>{7}));

  // Byte fallback: the unknown "c" (after "▁a") becomes its byte, not <unk>.
  auto bf = small_unigram(true, true);
  bf["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"add_prefix_space", true}};
  // The decoder transformers writes for byte-fallback SentencePiece conversions.
  bf["decoder"] = {{"type", "Sequence"},
                   {"decoders",
                    {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                     {{"type", "ByteFallback"}},
                     {{"type", "Fuse"}},
                     {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  const auto bfm = hf(bf);
  EXPECT_EQ(texts_of(*bfm, "ac"), (V{"▁a", "<0x63>"}));
  EXPECT_EQ(ids_of(encode(*bfm, "ac")), (std::vector<std::int32_t>{1, 7 + 0x63}));
  EXPECT_EQ(texts_of(*bfm, "ab"), (V{"▁ab"}));
  EXPECT_EQ(bfm->decode(ids_of(encode(*bfm, "ac ab"))), "ac ab");

  // No unk_id: fine until a character outside the vocabulary shows up.
  auto nounk = small_unigram(false, false);
  const auto nu = hf(nounk);
  EXPECT_EQ(texts_of(*nu, "yb"), (V{"yb"}));
  expect_error<radlite::InvalidArgument>([&] { encode(*nu, "q"); }, "has no unk_id");
}

// encode is const and shares nothing mutable: concurrent calls give the single-threaded results.
TEST(SentencePiece, ConcurrentEncodeIsConsistent) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  const auto texts = radlite::io::read_json_file(kData + "/texts/public_texts.json");
  std::vector<std::string> v;
  for (const auto& t : texts) v.push_back(t.is_string() ? t.get<std::string>() : t.at("text").get<std::string>());
  std::vector<std::unique_ptr<const rt::SentencePieceModel>> models;
  models.push_back(rt::native_sentencepiece_file(kUnigramModel));
  models.push_back(rt::native_sentencepiece_file(kBpeModel));
  models.push_back(hf(tj));
  for (const auto& m : models) {
    std::vector<std::vector<std::int32_t>> expected;
    for (const auto& t : v) expected.push_back(ids_of(encode(*m, t)));
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
      threads.emplace_back([&, k] {
        for (int r = 0; r < 3; ++r) {
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (ids_of(encode(*m, v[i])) != expected[i]) ++mismatches[static_cast<std::size_t>(k)];
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const int n : mismatches) EXPECT_EQ(n, 0);
  }
}
