// The SentencePiece code against libsentencepiece (the oracle, linked into this test only): unigram
// normalization and segmentation on synthetic text mixing the hard cases, and BPE, word and char segmentation and
// decoding on the reference BPE model and on variants of it rewritten at the protobuf level
// (support/model_proto_writer.h); models libsentencepiece refuses are refused too.
#include <gtest/gtest.h>

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "radlite/error.h"
#include "sentencepiece_test_models.h"
#include "support/model_proto_writer.h"
#include "support/sentencepiece_fixtures.h"

using namespace sentencepiece_tests;
using rt::encode;
using rt::ids_of;
using rt::join_model;
using rt::ProtoPiece;
using rt::put_bytes;
using rt::put_key;
using rt::put_varint;
using rt::show;
using rt::split_model;
using rt::trainer_model_type;

namespace {

// Fragments mixing the hard cases: whitespace runs, control characters, NFKC-sensitive forms, combining marks,
// CJK, emoji sequences, invalid UTF-8, literal special-token texts.
std::vector<std::string> hard_fragments() {
  return {"the",
          "cancer",
          " ",
          "  ",
          "\t",
          "\n",
          "\r\n",
          "\xC2\xA0",
          "\xE3\x80\x80",
          "\xEF\xBC\xA1\xEF\xBD\x82",
          "\xEF\xAC\x81",
          "e\xCC\x81",
          "\xC3\xA9",
          "A\xCC\x8A\xCC\x81",
          "\xE2\x85\xAB",
          "\xE3\x8D\xBF",
          "\xE2\x91\xA0",
          "\xED\x95\x9C\xEA\xB5\xAD",
          "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB",
          "\xE7\x99\x8C",
          "\xF0\x9F\x98\x80",
          "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",
          "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",
          "\xE2\x80\x8B",
          "\xEF\xBF\xBD",
          "\x07",
          std::string(1, '\0'),
          "\x80",
          "\xC3",
          "\xED\xA0\x80",
          "\xFF",
          "--",
          "---",
          "...",
          "\xE2\x80\x94",
          "\xE2\x80\x9Cq\xE2\x80\x9D",
          "<s>",
          "</s>",
          "<unk>",
          "\xE2\x96\x81",
          "I\xCC\x87",
          "\xE1\xBA\x9E",
          "\xCE\xA3",
          "\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A",
          "\xE0\xA4\xB9\xE0\xA4\xBF",
          "0123",
          "\xEF\xBC\x91"};
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Our SentencePiece unigram normalizer against libsentencepiece on synthetic text mixing the hard cases
// (whitespace runs, control characters, NFKC-sensitive forms, combining marks, CJK, emoji sequences, invalid
// UTF-8). The normalized text (concatenated pieces) must be identical; the segmentation too, except where the
// two segmentations score exactly the same (the tie rule of 0.1.97 differs from 0.2.x, see above).

TEST(SentencePiece, UnigramMatchesLibsentencepieceOnSyntheticText) {
  sentencepiece::SentencePieceProcessor lib;
  ASSERT_TRUE(lib.Load(kUnigramModel).ok());
  const auto mine = rt::native_sentencepiece_file(kUnigramModel);
  const std::vector<std::string> fragments = hard_fragments();
  std::mt19937 rng(20240601u);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> count(1, 12);
  int identical = 0;
  int ties = 0;
  const int total = 3000;
  for (int n = 0; n < total; ++n) {
    std::string text;
    for (int k = count(rng); k > 0; --k) text += fragments[pick(rng)];
    const auto ours = encode(*mine, text);
    const auto theirs = lib.EncodeAsImmutableProto(text);
    std::string ours_norm;
    std::string theirs_norm;
    std::vector<std::int32_t> theirs_ids;
    double ours_score = 0;
    double theirs_score = 0;
    for (const auto& p : ours) {
      ours_norm += p.text;
      if (p.id != mine->unk_id()) ours_score += lib.GetScore(p.id);
    }
    for (std::size_t i = 0; i < theirs.pieces_size(); ++i) {
      theirs_norm += theirs.pieces(i).piece();
      theirs_ids.push_back(static_cast<std::int32_t>(theirs.pieces(i).id()));
      if (!lib.IsUnknown(theirs.pieces(i).id())) theirs_score += lib.GetScore(theirs.pieces(i).id());
    }
    ASSERT_EQ(ours_norm, theirs_norm) << "normalization differs for " << show(text);
    if (ids_of(ours) == theirs_ids) {
      ++identical;
    } else if (std::abs(ours_score - theirs_score) < 1e-4) {
      ++ties;
    } else {
      ADD_FAILURE() << "segmentation differs (scores " << ours_score << " vs " << theirs_score << ")";
    }
  }
  std::printf("synthetic texts vs libsentencepiece %s: %d identical, %d equal-score ties, of %d\n", "0.1.97", identical,
              ties, total);
  EXPECT_EQ(identical + ties, total);
  EXPECT_GT(identical, total * 9 / 10);
}

// ---------------------------------------------------------------------------------------------------------------
// BPE, word and char segmentation and decoding against libsentencepiece. The reference BPE model exercises
// merging only; variants of it, rewritten at the protobuf level, add what it lacks: UNUSED pieces (resegmented),
// user-defined symbols (frozen), byte fallback (256 BYTE pieces), a custom unk_surface, and the word and char
// algorithms. Both implementations load the same bytes.

namespace {

// The BPE reference model with every 4th multi-character normal piece made UNUSED, three user-defined symbols,
// 256 byte pieces with byte_fallback, and unk_surface "<?>".
std::string bpe_variant() {
  std::vector<ProtoPiece> pieces;
  std::string rest;
  split_model(radlite::io::read_file(kBpeModel), pieces, rest);
  std::set<std::string> present;
  int multi = 0;
  for (auto& p : pieces) {
    present.insert(p.piece);
    const bool multi_char = p.type == 1 && p.piece.size() > 1 && p.piece != "\xE2\x96\x81";
    if (multi_char && ++multi % 4 == 0) p.type = 5;
  }
  for (const char* ud : {"<med>", "xab", "\xE2\x80\x94"}) {
    if (present.insert(ud).second) pieces.push_back({ud, 0.0f, 4});
  }
  char buf[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    pieces.push_back({buf, 0.0f, 6});
  }
  std::string trainer;
  put_key(trainer, 35, 0);
  put_varint(trainer, 1);
  put_bytes(trainer, 44, "<?>");
  return join_model(pieces, rest, trainer);
}

struct CrossCheck {
  int texts = 0;
  int encode_identical = 0;
  int decode_identical = 0;
  int random_decodes = 0;
  int random_decode_identical = 0;
};

// Encodes synthetic texts with both implementations (ids and pieces must be identical) and decodes the ids with
// both; then decodes random id sequences drawn from the whole vocabulary (control, unknown and byte pieces
// included) with both. compare_encode is false for unigram models, whose segmentation is compared (ties aside)
// by UnigramMatchesLibsentencepieceOnSyntheticText.
CrossCheck cross_check(const std::string& model_bytes, const std::string& name, std::uint32_t seed,
                       bool compare_encode = true) {
  CrossCheck c;
  sentencepiece::SentencePieceProcessor lib;
  const auto status = lib.LoadFromSerializedProto(model_bytes);
  EXPECT_TRUE(status.ok()) << name << ": " << status.ToString();
  if (!status.ok()) return c;
  const auto mine = rt::native_sentencepiece(model_bytes, name);
  EXPECT_EQ(mine->vocab_size(), static_cast<std::size_t>(lib.GetPieceSize()));

  std::vector<std::string> fragments = hard_fragments();
  for (const char* w : {"hepatocellular ", "carcinoma", " of the ", "imaging", "MRI", " patients", "<med>", "xab", "ab",
                        "treatment", "Tumor", "\xE2\x80\x94", "cells "}) {
    fragments.push_back(w);
  }
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> count(1, 14);
  const int total = 2000;
  for (int n = 0; n < total; ++n) {
    std::string text;
    for (int k = count(rng); k > 0; --k) text += fragments[pick(rng)];
    const auto ours = encode(*mine, text);
    const auto theirs = lib.EncodeAsImmutableProto(text);
    std::vector<std::int32_t> theirs_ids;
    std::vector<std::string> theirs_pieces;
    for (std::size_t i = 0; i < theirs.pieces_size(); ++i) {
      theirs_ids.push_back(static_cast<std::int32_t>(theirs.pieces(i).id()));
      theirs_pieces.push_back(theirs.pieces(i).piece());
    }
    std::vector<std::string> ours_pieces;
    for (const auto& p : ours) ours_pieces.push_back(p.text);
    ++c.texts;
    if (ids_of(ours) == theirs_ids && ours_pieces == theirs_pieces) {
      ++c.encode_identical;
    } else if (compare_encode) {
      ADD_FAILURE() << name << ": segmentation differs for " << show(text) << "\n  ours   "
                    << nlohmann::json(ours_pieces).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                    << "\n  theirs "
                    << nlohmann::json(theirs_pieces).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::string lib_text;
    EXPECT_TRUE(lib.Decode(theirs_ids, &lib_text).ok());
    if (mine->decode(theirs_ids) == lib_text) {
      ++c.decode_identical;
    } else {
      ADD_FAILURE() << name << ": decode differs for the ids of " << show(text) << ": "
                    << show(mine->decode(theirs_ids)) << " vs " << show(lib_text);
    }
  }
  std::uniform_int_distribution<std::int32_t> any_id(0, lib.GetPieceSize() - 1);
  // Mostly the first ids (control, unknown, byte pieces when present) and the last ones, to hit every kind.
  std::uniform_int_distribution<std::int32_t> low_id(0, std::min(lib.GetPieceSize(), 300) - 1);
  for (int n = 0; n < 2000; ++n) {
    std::vector<std::int32_t> ids;
    for (int k = count(rng); k > 0; --k) ids.push_back(n % 2 == 0 ? any_id(rng) : low_id(rng));
    std::string lib_text;
    EXPECT_TRUE(lib.Decode(ids, &lib_text).ok());
    ++c.random_decodes;
    if (mine->decode(ids) == lib_text) {
      ++c.random_decode_identical;
    } else {
      ADD_FAILURE() << name << ": decode differs for ids " << nlohmann::json(ids).dump() << ": "
                    << show(mine->decode(ids)) << " vs " << show(lib_text);
    }
  }
  std::printf(
      "%s vs libsentencepiece 0.1.97: encode %d/%d identical (ids and pieces), decode of those ids %d/%d, "
      "decode of random ids %d/%d\n",
      name.c_str(), c.encode_identical, c.texts, c.decode_identical, c.texts, c.random_decode_identical,
      c.random_decodes);
  if (compare_encode) EXPECT_EQ(c.encode_identical, c.texts);
  EXPECT_EQ(c.decode_identical, c.texts);
  EXPECT_EQ(c.random_decode_identical, c.random_decodes);
  return c;
}

}  // namespace

TEST(SentencePiece, BpeMatchesLibsentencepiece) { cross_check(radlite::io::read_file(kBpeModel), "sp_bpe_2k", 11u); }

TEST(SentencePiece, BpeVariantMatchesLibsentencepiece) {
  const std::string variant = bpe_variant();
  cross_check(variant, "sp_bpe_2k+unused+user-defined+bytes", 12u);
  // The variant really exercises what it was built for.
  const auto m = rt::native_sentencepiece(variant, "variant");
  std::vector<std::string> pieces;
  for (const auto& p : encode(*m, "a<med>b \xE7\x99\x8C")) pieces.push_back(p.text);
  EXPECT_NE(std::find(pieces.begin(), pieces.end(), "<med>"), pieces.end());
  EXPECT_NE(std::find(pieces.begin(), pieces.end(), "<0xE7>"), pieces.end());
  EXPECT_EQ(m->decode({m->unk_id()}), "<?>");
}

TEST(SentencePiece, UnigramDecodeMatchesLibsentencepiece) {
  const CrossCheck c = cross_check(radlite::io::read_file(kUnigramModel), "test_model", 13u, false);
  EXPECT_GT(c.encode_identical, c.texts * 9 / 10);  // the rest are the 0.1.97 score ties
}

TEST(SentencePiece, WordAndCharModelsMatchLibsentencepiece) {
  std::vector<ProtoPiece> pieces;
  std::string rest;
  split_model(radlite::io::read_file(kBpeModel), pieces, rest);
  cross_check(join_model(pieces, rest, trainer_model_type(3)), "sp_bpe_2k-as-word", 14u);
  cross_check(join_model(pieces, rest, trainer_model_type(4)), "sp_bpe_2k-as-char", 15u);
  std::string variant_bytes = bpe_variant();
  std::string t = trainer_model_type(4);
  put_bytes(variant_bytes, 2, t);
  cross_check(variant_bytes, "variant-as-char", 16u);
}

// Models that libsentencepiece refuses to load are refused here too (we replaced its loader), with a FormatError
// naming the origin and the problem.
TEST(SentencePiece, InvalidModelsRefusedLikeLibsentencepiece) {
  std::vector<ProtoPiece> pieces;
  std::string rest;
  split_model(radlite::io::read_file(kBpeModel), pieces, rest);
  struct Case {
    const char* name;
    std::string bytes;
    const char* fragment;
  };
  std::vector<Case> cases;
  auto dup = pieces;
  dup.push_back(pieces[10]);
  cases.push_back({"duplicate", join_model(dup, rest, ""), "already defined"});
  auto no_unk = pieces;
  for (auto& p : no_unk) {
    if (p.type == 2) p.type = 3;
  }
  cases.push_back({"no-unk", join_model(no_unk, rest, ""), "UNKNOWN"});
  auto two_unk = pieces;
  two_unk.push_back({"<unk2>", 0.0f, 2});
  cases.push_back({"two-unk", join_model(two_unk, rest, ""), "UNKNOWN"});
  auto empty_piece = pieces;
  empty_piece[20].piece.clear();
  cases.push_back({"empty-piece", join_model(empty_piece, rest, ""), "empty"});
  auto stray_byte = pieces;
  stray_byte.push_back({"<0x41>", 0.0f, 6});
  cases.push_back({"byte-without-fallback", join_model(stray_byte, rest, ""), "byte_fallback"});
  std::string fallback;
  put_key(fallback, 35, 0);
  put_varint(fallback, 1);
  cases.push_back({"fallback-without-bytes", join_model(stray_byte, rest, fallback), "256 byte pieces"});
  auto bad_byte = pieces;
  bad_byte.push_back({"<0xZZ>", 0.0f, 6});
  cases.push_back({"invalid-byte-piece", join_model(bad_byte, rest, fallback), "not a valid byte piece"});
  for (const Case& c : cases) {
    sentencepiece::SentencePieceProcessor lib;
    EXPECT_FALSE(lib.LoadFromSerializedProto(c.bytes).ok()) << c.name << ": libsentencepiece accepts it";
    expect_error<radlite::FormatError>([&] { rt::native_sentencepiece(c.bytes, c.name); }, c.fragment);
    expect_error<radlite::FormatError>([&] { xlmr_from_bytes(c.bytes, c.name); }, c.name);
  }
  // The unchanged pieces load in both.
  sentencepiece::SentencePieceProcessor lib;
  EXPECT_TRUE(lib.LoadFromSerializedProto(join_model(pieces, rest, "")).ok());
  EXPECT_NO_THROW(rt::native_sentencepiece(join_model(pieces, rest, ""), "ok"));
}

// The cross-check can fail: a model whose scores are reversed segments differently, and the checker notices.
TEST(SentencePiece, BpeCrossCheckDetectsDifferences) {
  std::vector<ProtoPiece> pieces;
  std::string rest;
  split_model(radlite::io::read_file(kBpeModel), pieces, rest);
  auto reversed = pieces;
  for (auto& p : reversed) p.score = -p.score;
  const auto normal = rt::native_sentencepiece(join_model(pieces, rest, ""), "normal");
  const auto flipped = rt::native_sentencepiece(join_model(reversed, rest, ""), "reversed");
  sentencepiece::SentencePieceProcessor lib;
  ASSERT_TRUE(lib.LoadFromSerializedProto(join_model(pieces, rest, "")).ok());
  const std::string text = "What are the imaging features of hepatocellular carcinoma on MRI?";
  std::vector<std::int32_t> lib_ids;
  ASSERT_TRUE(lib.Encode(text, &lib_ids).ok());
  EXPECT_EQ(ids_of(encode(*normal, text)), lib_ids);
  EXPECT_NE(ids_of(encode(*flipped, text)), lib_ids);
  // And decoding notices a dropped piece.
  auto fewer = lib_ids;
  fewer.erase(fewer.begin() + 2);
  std::string lib_text;
  ASSERT_TRUE(lib.Decode(lib_ids, &lib_text).ok());
  EXPECT_EQ(normal->decode(lib_ids), lib_text);
  EXPECT_NE(normal->decode(fewer), lib_text);
}
